"""The two ways into the backward walk: ``Tensor.backward`` (gradients added to the leaves'
``.grad``) and ``autograd.grad`` (gradients returned, as ``torch.autograd.grad``), and the seed
dL/droot both start from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.backward import walk
from autograd.ops.reduce import value
from autograd.tensor import ArrayLike, Tensor, constant, to_array


def seed(root: Tensor, grad: ArrayLike | None, create_graph: bool = False) -> Any:
    """dL/droot to start from: ``grad``, or 1 for a tensor with one element (an array; a
    Tensor with ``create_graph``, where a given Tensor may itself be part of a graph)."""
    if not root.requires_grad:
        raise RuntimeError("backward(): this tensor does not require grad and has no graph; make a leaf with "
                           "requires_grad=True and compute from it (outside no_grad)")
    if grad is None:
        if root.size != 1:
            raise RuntimeError(f"backward(): grad can be left out only for a tensor with one element, this one "
                               f"has shape {root.shape}; pass grad= an array of that shape")
        g = np.ones(root.shape, root.dtype)
    else:
        g = to_array(grad.data if isinstance(grad, Tensor) else grad, root.dtype)
        if g.shape != root.shape:
            raise ValueError(f"backward(): grad has shape {g.shape} but the tensor has shape {root.shape}")
    if not create_graph:
        return g
    return grad if isinstance(grad, Tensor) and grad.dtype == root.dtype else constant(g)


def backward(root: Tensor, grad: ArrayLike | None = None, *, retain_grads: bool = False,
             create_graph: bool = False) -> None:
    """``root.backward()``: add d(root)/d(leaf) to each leaf's ``.grad`` (and keep it in
    ``grad_tensor`` with ``create_graph``); an intermediate keeps its gradient when it asked
    with ``retain_grad()`` or ``retain_grads`` is set."""

    def store(node: Tensor, g: Any, handed: list) -> None:
        if node._op is None or retain_grads or node._retains_grad:
            if node._grad is None:
                node._grad = np.array(value(g), copy=True)  # owned by the node alone
            else:
                node._grad += value(g)
            if create_graph:
                node.grad_tensor = g if node.grad_tensor is None else node.grad_tensor + g

    walk([(root, seed(root, grad, create_graph))], store, create_graph=create_graph)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: ArrayLike | Sequence[ArrayLike] | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), as ``torch.autograd.grad``: one Tensor per input, with no
    ``.grad`` written anywhere. ``grad_outputs`` weights each output (default 1: each must
    then hold one element). With ``create_graph=True`` the gradients are part of a graph, so
    they can be differentiated again: second derivatives, Hessian-vector products."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    wrt = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    weights = grad_outputs if isinstance(grad_outputs, (list, tuple)) else [grad_outputs] * len(outs)
    if len(weights) != len(outs):
        raise ValueError(f"grad: {len(outs)} output(s) but {len(weights)} grad_outputs")
    for t in wrt:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise ValueError("grad: every input must be a Tensor that requires grad")
    found: dict[int, Tensor] = {}

    def keep(node: Tensor, g: Any, handed: list) -> None:
        found[id(node)] = g if create_graph else constant(np.asarray(g))

    seeds = [(out, seed(out, weight, create_graph)) for out, weight in zip(outs, weights, strict=True)]
    walk(seeds, keep, create_graph=create_graph)
    result = tuple(found.get(id(t)) for t in wrt)
    if not allow_unused and any(r is None for r in result):
        raise RuntimeError("grad: an input is not part of the graph of the outputs (pass allow_unused=True "
                           "to get None for it)")
    return result
