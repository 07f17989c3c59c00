"""Indexing and joining: getitem picks numbers out of a tensor, scatter puts them back, and the two
are each other's backward; concatenate joins tensors and its backward cuts the gradient apart."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import Function, OpError
from autograd.tensor import Tensor


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
