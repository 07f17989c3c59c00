"""Reductions and their adjoint: sum and max shrink axes; broadcast_to grows them back.

Sum and broadcast_to are each other's backward: a sum hands its gradient back to every term
(a broadcast), and a broadcast collects the gradients of every copy (a sum).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import Function, OpError
from autograd.tensor import Tensor, is_number

Axis = int | tuple[int, ...] | None


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """The axes ``axis`` names, as non-negative ints (None: all of them). A 0-d tensor
    accepts axis 0 and -1, as PyTorch does, and reduces nothing."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if is_number(axis) else axis
    if not isinstance(axes, (tuple, list)) or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                                      for a in axes):
        raise OpError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}")
    size = max(ndim, 1)
    bad = [a for a in axes if not -size <= a < size]
    if bad:
        raise OpError(f"{op}: axis {bad[0]} is out of range for a tensor with {ndim} dimension(s)")
    out = tuple(int(a) % size for a in axes)
    if len(set(out)) != len(out):
        raise OpError(f"{op}: axis {axis!r} repeats an axis")
    return out if ndim else ()


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with each reduced axis kept as 1: the result's shape with ``keepdims``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = Σ x over ``axis``.   dy/dx_i = 1: the gradient is copied back to every summed term."""

    name, symbol = "sum", "Σ"
    rule = "d/dx_i Σ x = 1"
    words = "a sum hands its gradient unchanged to every term"
    gradients = ("{g} copied to every summed term of {0}",)

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def settings(self):
        return "" if self.axis is None else f"axis={self.axis}"

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "sum")
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g, out, x):
        return broadcast_to(g.reshape(kept_shape(x.shape, self.axes)), x.shape)


class Max(Function):
    """y = max x over ``axis``.   dy/dx_i = 1 where x_i is the maximum, else 0.

    When several elements tie for the maximum they share its gradient equally (1/k each, as
    ``torch.amax``), so the gradients still sum to the upstream one.
    """

    name, symbol = "max", "max"
    rule = "d/dx_i max(x) = [x_i = max] / (number of ties)"
    words = "the maximum hands its gradient to the element(s) that were largest"
    gradients = ("{g} at the maximum of {0} (shared among ties)",)

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def settings(self):
        return "" if self.axis is None else f"axis={self.axis}"

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "max")
        if x.size == 0:
            raise OpError(f"max: cannot take the maximum of an empty tensor of shape {x.shape}")
        return x.max(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g, out, x):
        shape = kept_shape(x.shape, self.axes)
        winners = value(x) == value(out).reshape(shape)
        share = winners / winners.sum(axis=self.axes, keepdims=True)  # numbers only: no gradient
        return g.reshape(shape) * share


class BroadcastTo(Function):
    """y = x copied along new leading axes and along its axes of size 1, to ``shape``.
    Backward: the gradients of all copies of an element summed back into it."""

    name, symbol = "broadcast_to", "⇉"
    rule = "dL/dx = Σ over the copies of dL/dy"
    words = "a broadcast collects the gradients of every copy"
    gradients = ("{g} summed over the copies of {0}",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)

    def settings(self):
        return f"shape={self.shape}"

    def forward(self, x):
        try:
            return np.broadcast_to(x, self.shape).copy()
        except ValueError as err:
            raise OpError(f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape}") from err

    def backward(self, g, out, x):
        return unbroadcast(g, x.shape)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """x broadcast to ``shape``, as ``np.broadcast_to`` (a Tensor: a copy, a node of the graph)."""
    return x if x.shape == tuple(shape) else BroadcastTo.call(x, shape=shape)


def broadcast_axes(broadcast: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes along which numpy broadcast an array of ``shape`` to ``broadcast``: the new
    leading axes, and those where ``shape`` has 1 and ``broadcast`` does not."""
    lead = len(broadcast) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and broadcast[lead + i] != 1)


def value(x: Any) -> np.ndarray:
    """The numbers of a Tensor or an array."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` summed over the axes numpy broadcast an array of ``shape`` along, back to ``shape``.
    Broadcasting copies an input element to several outputs: its gradient is the sum of theirs."""
    if g.shape == shape:
        return g
    axes = broadcast_axes(g.shape, shape)
    return (g.sum(axis=axes) if axes else g).reshape(shape)
