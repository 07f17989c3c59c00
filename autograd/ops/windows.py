"""Sliding windows, the primitives convolution and pooling are built from, and each other's backward.

``unfold`` gathers every kH×kW window of an image batch into one array (im2col): a window
per row, so that a convolution becomes one matrix product. ``fold`` is its adjoint: it adds
each window back onto the image where it came from (col2im), summing where windows overlap.
The gradient of a gather is a scatter-add of the same places, and the other way round.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.function import Function

Pair = tuple[int, int]


def output_size(height: int, width: int, kernel: Pair, stride: Pair, padding: Pair) -> Pair:
    """(OH, OW): how many windows fit down and across: (H + 2p - k) // s + 1."""
    return ((height + 2 * padding[0] - kernel[0]) // stride[0] + 1,
            (width + 2 * padding[1] - kernel[1]) // stride[1] + 1)


class Unfold(Function):
    """x (N, C, H, W) → its windows (N, OH, OW, C, kH, kW), on x padded with zeros:

        y[n, i, j, c, k, l] = x_padded[n, c, i·sH + k, j·sW + l]

    Backward: fold, which adds each window's gradient back onto the places it was read from."""

    name, symbol = "unfold", "⊞"
    rule = "dL/dx = fold(dL/dy): each window's gradient added back where it was read"
    words = "gathering windows copies numbers: their gradients are added back where they came from"
    gradients = ("fold({g}): each window added back onto {0}",)

    def __init__(self, kernel: Pair, stride: Pair, padding: Pair) -> None:
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def settings(self):
        return f"{self.kernel[0]}×{self.kernel[1]}"

    def forward(self, x):
        (ph, pw), (kh, kw), (sh, sw) = self.padding, self.kernel, self.stride
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        n, c, h, w = x.shape
        oh, ow = output_size(h, w, self.kernel, self.stride, self.padding)
        s = xp.strides
        view = as_strided(xp, shape=(n, oh, ow, c, kh, kw), strides=(s[0], s[2] * sh, s[3] * sw, s[1], s[2], s[3]),
                          writeable=False)
        return np.ascontiguousarray(view)

    def backward(self, g, out, x):
        return Fold.call(g, shape=x.shape, kernel=self.kernel, stride=self.stride, padding=self.padding)


class Fold(Function):
    """Windows y (N, OH, OW, C, kH, kW) → the image (N, C, H, W) they tile, each added where
    ``unfold`` would read it (overlaps sum; the padding is cut off):

        x_padded[n, c, i·sH + k, j·sW + l] += y[n, i, j, c, k, l]

    Backward: unfold, which reads each window's gradient from where it was added."""

    name, symbol = "fold", "⊟"
    rule = "dL/dy = unfold(dL/dx)"
    words = "adding windows onto an image: each window's gradient is read from where it was added"
    gradients = ("unfold({g})",)

    def __init__(self, shape: tuple[int, int, int, int], kernel: Pair, stride: Pair, padding: Pair) -> None:
        self.shape, self.kernel, self.stride, self.padding = tuple(shape), kernel, stride, padding

    def forward(self, y):
        (ph, pw), (kh, kw), (sh, sw) = self.padding, self.kernel, self.stride
        n, c, h, w = self.shape
        oh, ow = y.shape[1:3]
        image = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=y.dtype)
        for i in range(kh):  # one strided slice of the whole batch per offset (i, j) inside a window
            for j in range(kw):
                image[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += \
                    y[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return image[:, :, ph:ph + h, pw:pw + w]

    def backward(self, g, out, y):
        return Unfold.call(g, kernel=self.kernel, stride=self.stride, padding=self.padding)
