"""Shape primitives: they move numbers without changing them, so backward moves each
gradient back to where its number came from. Getitem and scatter are each other's backward,
as are two reshapes and two transposes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import Function, OpError
from autograd.tensor import Tensor


class Reshape(Function):
    """y = x with a new shape (the same numbers in the same order).
    Backward: the gradient reshaped to x's shape."""

    name, symbol = "reshape", "⤾"
    rule = "dL/dx = reshape(dL/dy, x.shape)"
    words = "reshaping moves no numbers: the gradient is reshaped back"
    gradients = ("{g} reshaped like {0}",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)

    def settings(self):
        return f"shape={self.shape}"

    def forward(self, x):
        try:
            return x.reshape(self.shape)
        except (ValueError, TypeError) as err:
            raise OpError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
                          f"shape {self.shape}") from err

    def backward(self, g, out, x):
        return g.reshape(x.shape)


class Transpose(Function):
    """y = x with its axes permuted.   Backward: the gradient permuted back (the inverse permutation)."""

    name, symbol = "transpose", "ᵀ"
    rule = "dL/dx = transpose(dL/dy, inverse permutation)"
    words = "transposing moves no numbers: the gradient is permuted back"
    gradients = ("{g} permuted back like {0}",)

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = None if axes is None else tuple(axes)

    def settings(self):
        return "" if self.axes is None else f"axes={self.axes}"

    def forward(self, x):
        axes = tuple(range(x.ndim))[::-1] if self.axes is None else self.axes
        if len(axes) != x.ndim or sorted(int(a) % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise OpError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of a tensor "
                          f"of shape {x.shape}")
        self.inverse = tuple(int(i) for i in np.argsort([int(a) % x.ndim for a in axes]))
        return x.transpose(axes)

    def backward(self, g, out, x):
        return g.transpose(self.inverse)


def plain_index(index: Any) -> Any:
    """``index`` with any Tensor in it replaced by its numbers as integers (or booleans)."""
    def one(part: Any) -> Any:
        if not isinstance(part, Tensor):
            return part
        data = part.data
        if data.dtype == bool:
            return data
        if not np.all(data == np.round(data)):
            raise IndexError(f"getitem: a tensor used as an index must hold whole numbers, got {data}")
        return data.astype(np.intp)
    return tuple(one(p) for p in index) if isinstance(index, tuple) else one(index)


class GetItem(Function):
    """y = x[index]: slices, ints, integer or boolean arrays, as numpy indexes.
    Backward: a zero gradient of x's shape with dL/dy added at the picked places (scatter);
    an element picked several times gets the sum of its gradients."""

    name, symbol = "getitem", "[ ]"
    rule = "dL/dx[index] += dL/dy"
    words = "indexing hands each picked element its gradient; repeats add up"
    gradients = ("{g} put back at the places picked from {0}",)

    def __init__(self, index: Any) -> None:
        self.index = plain_index(index)

    def forward(self, x):
        try:
            return np.array(x[self.index])  # a copy: the result does not follow later changes of x
        except IndexError as err:
            raise IndexError(f"getitem: index {self.index!r} does not fit a tensor of shape {x.shape}: {err}") from err

    def backward(self, g, out, x):
        return Scatter.call(g, index=self.index, shape=x.shape)


def picks_each_once(index: Any) -> bool:
    """True when ``index`` cannot pick an element twice: ints, slices, None, ..., boolean masks."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               or (isinstance(p, np.ndarray) and p.dtype == bool) for p in parts)


class Scatter(Function):
    """y = zeros(shape) with x added at ``index`` (``y[index] += x``): getitem's backward.
    Backward: the gradient at those places, dL/dx = dL/dy[index]."""

    name, symbol = "scatter", "↤"
    rule = "dL/dx = dL/dy[index]"
    words = "scattering puts each number in its place: its gradient is picked from there"
    gradients = ("{g} at the scattered places",)

    def __init__(self, index: Any, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, tuple(shape)

    def forward(self, x):
        out = np.zeros(self.shape, dtype=x.dtype)
        if picks_each_once(self.index):
            out[self.index] = x
        else:  # integer arrays may pick an element twice: np.add.at adds both, assignment would keep one
            np.add.at(out, self.index, x)
        return out

    def backward(self, g, out, x):
        return g[self.index]


class Concatenate(Function):
    """y = [x1, x2, ...] joined along ``axis``.   Backward: dL/dy cut at the same places."""

    name, symbol = "concatenate", "⧺"
    rule = "dL/dx_k = the k-th piece of dL/dy"
    words = "joining moves no numbers: the gradient is cut back into pieces"

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *xs):
        try:
            return np.concatenate(xs, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as err:
            shapes = " and ".join(str(x.shape) for x in xs)
            raise OpError(f"concatenate: cannot join shapes {shapes} along axis {self.axis}: every other axis "
                          f"must match") from err

    def backward(self, g, out, *xs):
        axis = self.axis % out.ndim
        ends = np.cumsum([x.shape[axis] for x in xs])
        before = (slice(None),) * axis
        return tuple(g[(*before, slice(end - x.shape[axis], end))] for x, end in zip(xs, ends, strict=True))


class AsType(Function):
    """y = x as another float dtype.   Backward: the gradient cast back to x's dtype."""

    name, symbol = "astype", "⇄"
    rule = "dL/dx = dL/dy cast to x's dtype"
    words = "a cast changes no number's meaning: the gradient is cast back"
    gradients = ("{g} cast back to the dtype of {0}",)

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def settings(self):
        return f"{self.dtype}"

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, g, out, x):
        return g.astype(x.dtype)
