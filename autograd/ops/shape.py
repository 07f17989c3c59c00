"""Shape primitives: they move numbers without changing them, so backward moves each gradient
back to where its number came from (a reshape's backward is a reshape, a transpose's the inverse
transpose). A cast changes no number's meaning: its backward casts back.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Function, OpError


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
