"""The backward pass: order the graph once, walk it in reverse, apply the chain rule.

For each node v, in reverse topological order (every consumer of v before v):

    dL/dv = Σ over the consumers y of v of  VJP_y(dL/dy)   (the chain rule, summed over paths)

The sum is complete when v is reached, so v's gradient is stored then and handed on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from autograd.function import check_finite
from autograd.modes import _state

if TYPE_CHECKING:
    from autograd.tensor import Tensor

# on_step(node, dL/dnode, handed): handed lists (parent, vjp, summed) for each parent that
# took a gradient: the op's vector-Jacobian product in the output's (broadcast) shape, and
# the same summed back to the parent's own shape.
StepCallback = Callable[["Tensor", np.ndarray, list[tuple["Tensor", np.ndarray, np.ndarray]]], None]


def topological_order(root: Tensor, grad_only: bool = True) -> list[Tensor]:
    """The tensors that ``root`` depends on (only those that require grad, unless
    ``grad_only=False``), each after all of its parents. Iterative depth-first search (a stack
    of parent iterators), so a chain of a million ops needs no recursion."""
    order: list[Tensor] = []
    seen = {root}
    stack = [(root, iter(root._parents))]
    everything = not grad_only
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if (everything or parent.requires_grad) and parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent._parents)))
                break
        else:  # every parent is placed: the node can follow them
            stack.pop()
            order.append(node)
    return order


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


def run_backward(root: Tensor, grad: np.ndarray, on_step: StepCallback | None = None) -> None:
    """Backpropagate ``grad`` = dL/droot through the graph below ``root``, adding each
    tensor's gradient to its ``.grad``. ``on_step``, when given, is called once per node,
    after its gradient is stored (``explain`` tells the pass with it)."""
    pending: dict[Tensor, np.ndarray] = {root: grad}
    anomaly = _state.anomaly
    for node in reversed(topological_order(root)):
        g = pending.pop(node, None)
        if g is None:  # no path from node to root carries a gradient
            continue
        if g.dtype != node.data.dtype:
            g = g.astype(node.data.dtype)
        if node.grad is None:  # a leaf gets its own copy: users change leaf grads in place
            node.grad = g.copy() if node._op is None else g
        else:
            node.grad = node.grad + g
        op = node._op
        if op is None:
            if on_step is not None:
                on_step(node, g, [])
            continue
        handed = [] if on_step is not None else None
        for parent, vjp in zip(node._parents, op.backward(g), strict=True):
            if vjp is None or not parent.requires_grad:
                continue
            summed = vjp if vjp.shape == parent.data.shape else unbroadcast(vjp, parent.data.shape)
            if anomaly:
                check_finite(summed, f"backward of {op.label()!r}")
            if parent in pending:
                pending[parent] = pending[parent] + summed
            else:
                pending[parent] = summed
            if handed is not None:
                handed.append((parent, vjp, summed))
        if on_step is not None:
            on_step(node, g, handed)
