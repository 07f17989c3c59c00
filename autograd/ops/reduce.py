"""Reductions: sum, mean, max. Backward spreads the output's gradient back over the
elements each output was made from."""

from __future__ import annotations

import numpy as np

from autograd.function import Function, OpError

Axis = int | tuple[int, ...] | None


def normalize_axes(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """The axes ``axis`` names, as non-negative ints; ``None`` means all of them."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < max(ndim, 1):
            raise OpError(f"{op}: axis {a!r} is out of range for a tensor with {ndim} dimension(s)")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise OpError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(out)


def _spread(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes of ``g`` (size 1) so it broadcasts against the input."""
    if not keepdims and axes:
        g = np.expand_dims(g, axes)
    return g


class _Reduce(Function):
    axis: Axis
    keepdims: bool

    def label(self):
        return self.name if self.axis is None else f"{self.name}(axis={self.axis})"

    def _axes(self, x):
        self.shape = x.shape
        axes = normalize_axes(self.axis, x.ndim, self.name)
        self.axes = axes if x.ndim else ()  # a 0-d tensor accepts axis 0 or -1, as PyTorch
        return self.axes


class Sum(_Reduce):
    """y = Σ x over ``axis``.   dy/dx = 1 for every summed element: the gradient is copied
    back (broadcast) to each of them."""

    name = "sum"
    rule = "d/dx_i Σ x = 1"
    words = "a sum hands its gradient unchanged to every term"

    def forward(self, x):
        return x.sum(axis=self._axes(x), keepdims=self.keepdims)

    def backward(self, g):
        return (np.broadcast_to(_spread(g, self.axes, self.keepdims), self.shape),)


class Mean(_Reduce):
    """y = (1/n) Σ x over ``axis``.   dy/dx_i = 1/n. (Fused rather than sum·(1/n): one node
    in pictures, one pass in numpy.)"""

    name = "mean"
    rule = "d/dx_i mean(x) = 1/n"
    words = "a mean hands each term its gradient divided by the count n"

    def forward(self, x):
        axes = self._axes(x)
        self.n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        return x.mean(axis=axes, keepdims=self.keepdims)

    def backward(self, g):
        g = _spread(g, self.axes, self.keepdims) / self.n
        return (np.broadcast_to(g, self.shape),)


class Max(_Reduce):
    """y = max x over ``axis``.   dy/dx_i = 1 at the maximum, 0 elsewhere.

    Ties: when several elements equal the maximum, they share the gradient equally (each
    gets 1/k of it), as ``torch.amax`` does; the sum of the gradients is unchanged.
    """

    name = "max"
    rule = "d/dx_i max(x) = [x_i = max] / (number of ties)"
    words = "the maximum hands its gradient to the element(s) that were largest"

    def forward(self, x):
        axes = self._axes(x)
        if x.size == 0:
            raise OpError(f"max: cannot take the maximum of an empty tensor of shape {x.shape}")
        top = x.max(axis=axes, keepdims=True)
        self.mask = x == top
        self.ties = self.mask.sum(axis=axes, keepdims=True)
        return top if self.keepdims else top.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, g):
        g = _spread(g, self.axes, self.keepdims)
        return (g * self.mask / self.ties,)


class LogSoftmax(_Reduce):
    """y = x - ln Σ_j e^(x_j) along ``axis``, computed as (x - m) - ln Σ e^(x - m) with m the
    maximum, so no exponential overflows.   dL/dx = dL/dy - softmax(x) · Σ_j dL/dy_j.
    (Fused rather than composed: one node, and the stable form in one place.)"""

    name = "log_softmax"
    rule = "dL/dx = dL/dy - softmax(x)·Σ dL/dy"
    words = "log-softmax passes the gradient on, minus each class's probability times the gradient's sum"

    def label(self):
        return f"log_softmax(axis={self.axis})"

    def forward(self, x):
        if not isinstance(self.axis, (int, np.integer)):
            raise OpError(f"log_softmax: axis must be one int, got {self.axis!r}")
        (self.axis,) = normalize_axes(self.axis, x.ndim, self.name) if x.ndim else (0,)
        if x.ndim == 0:
            raise OpError("log_softmax: needs a tensor of at least 1 dimension, got a scalar")
        z = x - x.max(axis=self.axis, keepdims=True)
        out = z - np.log(np.exp(z).sum(axis=self.axis, keepdims=True))
        self.softmax = np.exp(out)
        return out

    def backward(self, g):
        return (g - self.softmax * g.sum(axis=self.axis, keepdims=True),)
