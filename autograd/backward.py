"""The backward pass: walk the graph in reverse topological order, applying the chain rule.

For each node v, in reverse topological order (every consumer of v before v):

    dL/dv = Σ over the consumers y of v of  VJP_y(dL/dy)   (the chain rule, summed over paths)

The sum is complete when v is reached, so v's gradient is stored then and handed on.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import TYPE_CHECKING

import numpy as np

from autograd.buffers import sole_owner
from autograd.function import check_finite
from autograd.modes import _state

if TYPE_CHECKING:
    from autograd.tensor import Tensor

# on_step(node, dL/dnode, handed): handed lists (parent, vjp, summed) for each parent that
# took a gradient: the op's vector-Jacobian product in the output's (broadcast) shape, and
# the same summed back to the parent's own shape.
StepCallback = Callable[["Tensor", np.ndarray, list[tuple["Tensor", np.ndarray, np.ndarray]]], None]


def broadcast_axes(broadcast: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes along which numpy broadcast an array of ``shape`` to ``broadcast``: the new
    leading axes, and the axes where ``shape`` has 1 and ``broadcast`` does not."""
    lead = len(broadcast) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and broadcast[lead + i] != 1)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes numpy broadcast, giving it back the input's ``shape``.

    Broadcasting copies an input along new leading axes and along axes of size 1, so each
    input element fed several outputs: its gradient is the sum of theirs.
    """
    axes = broadcast_axes(grad.shape, shape)
    if axes:
        grad = grad.sum(axis=axes)
    return grad.reshape(shape)


def run_backward(root: Tensor, grad: np.ndarray, on_step: StepCallback | None = None, *,
                 retain_all: bool = False, store: bool = True) -> None:
    """Backpropagate ``grad`` = dL/droot through the graph below ``root``, adding each leaf's
    gradient to its ``.grad``; an intermediate's is stored only when it ``retains_grad`` or
    ``retain_all`` is set, and is otherwise dropped once handed on. With ``store=False``
    nothing is written anywhere. ``on_step``, when given, is called once per node with its
    complete gradient (``explain`` tells the pass with it; pictures collect gradients so).

    The nodes waiting for their turn sit in a heap, latest-made first (tensors carry a
    creation stamp). Every consumer of a node was made after it, so when the node comes off
    the heap all of them have handed over their share, and dL/dnode is complete: the heap
    is the reverse topological order, found as the pass goes, with no recursion.
    """
    pending: dict[Tensor, np.ndarray] = {root: grad}
    heap = [(-root._stamp, root)]
    anomaly = _state.anomaly
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(node)
        if g.dtype != node.data.dtype:
            g = g.astype(node.data.dtype)
        op = node._op
        if op is None:  # a leaf: its .grad is its own array (users change it in place), so sums go in place
            if store and node.grad is not None:
                node.grad += g
            elif store:  # adopt a fresh array that nothing but `g` holds; copy anything else
                node.grad = g if sole_owner(g) else g.copy()
            if on_step is not None:
                on_step(node, g, [])
            continue
        if store and (retain_all or node._retains_grad):
            node.grad = g if node.grad is None else node.grad + g
        handed = [] if on_step is not None else None
        if op.overwrites_grad and (on_step is not None or not sole_owner(g)):
            given = g.copy()  # the op writes into its gradient: give it an array of its own
        else:
            given = g
        for parent, vjp in zip(node._parents, op.backward(given)):  # noqa: B905  (one per input)
            if vjp is None or not parent.requires_grad:
                continue
            summed = vjp if vjp.shape == parent.data.shape else unbroadcast(vjp, parent.data.shape)
            if anomaly:
                check_finite(summed, f"backward of {op.label()!r}")
            earlier = pending.get(parent)
            if earlier is None:
                pending[parent] = summed
                heappush(heap, (-parent._stamp, parent))
            else:
                pending[parent] = earlier + summed
            if handed is not None:
                handed.append((parent, vjp, summed))
        if on_step is not None:
            on_step(node, g, handed)


def gradients(root: Tensor) -> dict[Tensor, np.ndarray]:
    """d(root)/d(t) for every tensor t of the graph that requires grad, by a backward pass
    of its own that writes no ``.grad``. ``root`` must hold a single element."""
    found: dict[Tensor, np.ndarray] = {}

    def keep(node: Tensor, g: np.ndarray, handed: list) -> None:
        found[node] = g

    run_backward(root, root._seed(None), keep, store=False)
    return found
