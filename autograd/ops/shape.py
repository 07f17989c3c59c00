"""Shape ops: they move elements without changing them, so backward moves the gradient
back to where each element came from."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import Function, OpError


class Reshape(Function):
    """y = x viewed with a new shape.   Backward: the gradient reshaped to x's shape."""

    name = "reshape"
    rule = "dL/dx = reshape(dL/dy, x.shape)"
    words = "reshaping moves no numbers: the gradient is reshaped back"
    new_shape: tuple[int, ...]

    def label(self):
        return f"reshape{self.new_shape}"

    def forward(self, x):
        self.shape = x.shape
        try:
            return x.reshape(self.new_shape)
        except (ValueError, TypeError):
            raise OpError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                          f"into shape {self.new_shape}") from None

    def backward(self, g):
        return (g.reshape(self.shape),)


class Transpose(Function):
    """y = x with its axes permuted.   Backward: the inverse permutation."""

    name = "transpose"
    rule = "dL/dx = transpose(dL/dy, inverse permutation)"
    words = "transposing moves no numbers: the gradient is permuted back"
    axes: tuple[int, ...] | None

    def label(self):
        return "transpose" if self.axes is None else f"transpose{self.axes}"

    def forward(self, x):
        axes = tuple(range(x.ndim))[::-1] if self.axes is None else self.axes
        if sorted(int(a) % max(x.ndim, 1) for a in axes) != list(range(x.ndim)) or len(axes) != x.ndim:
            raise OpError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                          f"{x.ndim} axes of a tensor of shape {x.shape}")
        self.inverse = tuple(np.argsort([int(a) % x.ndim for a in axes]))
        return x.transpose(axes)

    def backward(self, g):
        return (g.transpose(self.inverse),)


def _is_basic(index: Any) -> bool:
    """True when ``index`` only slices (ints, slices, None, ...): then no element is taken
    twice and backward may assign instead of accumulate."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


class GetItem(Function):
    """y = x[index] (slices, ints, integer or boolean arrays).

    Backward: a zero gradient of x's shape with dL/dy added at the indexed places;
    an element taken several times (repeated integer indices) gets the sum of its gradients.
    """

    name = "getitem"
    rule = "dL/dx[index] += dL/dy"
    words = "indexing hands each picked element its gradient; repeats add up"
    index: Any

    def label(self):
        return "getitem"

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        try:
            return np.array(x[self.index], copy=True)
        except IndexError as err:
            raise IndexError(f"getitem: index {self.index!r} does not fit a tensor of shape {x.shape}: {err}") from None

    def backward(self, g):
        out = np.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            out[self.index] = g
        else:
            np.add.at(out, self.index, g)
        return (out,)


class Concatenate(Function):
    """y = [x1, x2, ...] joined along ``axis``.   Backward: dL/dy split at the same places."""

    name = "concatenate"
    rule = "dL/dx_k = the k-th piece of dL/dy"
    words = "joining moves no numbers: the gradient is split back into pieces"
    axis: int

    def forward(self, *xs):
        out = np.concatenate(xs, axis=self.axis)
        self.sizes = [x.shape[self.axis] for x in xs]
        return out

    def backward(self, g):
        return tuple(np.split(g, np.cumsum(self.sizes)[:-1], axis=self.axis))


class Stack(Function):
    """y = the x_k stacked along a new ``axis``.   Backward: dL/dy taken apart along it."""

    name = "stack"
    rule = "dL/dx_k = dL/dy[..., k, ...]"
    words = "stacking moves no numbers: the gradient is taken apart along the new axis"
    axis: int

    def forward(self, *xs):
        out = np.stack(xs, axis=self.axis)
        self.new_axis = self.axis % out.ndim
        return out

    def backward(self, g):
        return tuple(np.moveaxis(g, self.new_axis, 0))
