"""The backward pass: order the graph once, walk it in reverse, apply the chain rule.

For each node v, in reverse topological order (every consumer of v before v):

    dL/dv = Σ over the consumers y of v of  VJP_y(dL/dy)   (the chain rule, summed over paths)

The sum is complete when v is reached, so v's gradient is stored then and handed on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from autograd.function import check_finite
from autograd.modes import _state

if TYPE_CHECKING:
    from autograd.tensor import Tensor


def topological_order(root: Tensor) -> list[Tensor]:
    """The tensors that ``root`` depends on and that require grad, each after all of its
    parents. Iterative depth-first search, so a chain of a million ops needs no recursion."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in seen:
                stack.append((parent, False))
    return order


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes numpy broadcast, giving it back the input's ``shape``.

    Broadcasting copies an input along new leading axes and along axes of size 1, so each
    input element fed several outputs: its gradient is the sum of theirs.
    """
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes)
    return grad.reshape(shape)


def backward_steps(root: Tensor, grad: np.ndarray) -> Iterator[tuple[Tensor, np.ndarray, tuple]]:
    """Run the backward pass from ``root`` seeded with ``grad``, one node at a time.

    Yields ``(node, dL/dnode, handed)`` after storing the node's gradient, where ``handed``
    lists, for each parent that takes a gradient, ``(parent, vjp, summed)``: the op's
    vector-Jacobian product in the output's shape, and the same summed back to the parent's
    shape. ``Tensor.backward`` drains it; ``explain`` prints each step.
    """
    pending: dict[int, np.ndarray] = {id(root): grad}
    anomaly = _state.anomaly
    for node in reversed(topological_order(root)):
        g = pending.pop(id(node), None)
        if g is None:  # no path from node to root carries a gradient
            continue
        if g.dtype != node.data.dtype:
            g = g.astype(node.data.dtype)
        _accumulate(node, g)
        handed = []
        op = node._op
        if op is not None:
            for parent, vjp in zip(node._parents, op.backward(g), strict=True):
                if vjp is None or not parent.requires_grad:
                    continue
                summed = vjp if vjp.shape == parent.data.shape else unbroadcast(vjp, parent.data.shape)
                if anomaly:
                    check_finite(summed, f"backward of {op.label()!r}")
                key = id(parent)
                pending[key] = summed if key not in pending else pending[key] + summed
                handed.append((parent, vjp, summed))
        yield node, g, tuple(handed)


def _accumulate(node: Tensor, g: np.ndarray) -> None:
    """Add this pass's gradient to ``node.grad``. Leaves get their own copy, since a user or
    an optimizer may change a leaf's ``.grad`` in place while arrays are shared inside a pass."""
    if node.grad is None:
        node.grad = np.array(g, copy=True) if node._op is None else g
    else:
        node.grad = node.grad + g


def run_backward(root: Tensor, grad: np.ndarray) -> None:
    """The whole backward pass (``Tensor.backward``)."""
    for _ in backward_steps(root, grad):
        pass
