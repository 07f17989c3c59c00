"""2-D convolution and pooling on (N, C, H, W) arrays, vectorised with sliding-window views
(numpy stride tricks) and, for convolution, one matrix product over the windows (im2col): no
Python loop over pixels or batch items.

"Convolution" here is cross-correlation, as in the lab's lecture and in PyTorch: the filter is
not flipped in the forward pass. For input X (3×3) and filter F (2×2), O11 = F11 X11 + F12 X12
+ F21 X21 + F22 X22, and so on for O12, O21, O22.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.function import Function, OpError
from autograd.tensor import Tensor, as_tensor


def pair(value: int | tuple[int, int], name: str, op: str, minimum: int = 1) -> tuple[int, int]:
    """``3`` or ``(3, 3)`` as a pair of ints >= ``minimum``."""
    parts = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(parts) != 2 or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in parts) \
            or min(parts) < minimum:
        raise OpError(f"{op}: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(parts[0]), int(parts[1])


def output_size(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    """(OH, OW): how many windows fit down and across x (N, C, H, W): (H - kH) // sH + 1, ..."""
    return (x.shape[2] - kernel[0]) // stride[0] + 1, (x.shape[3] - kernel[1]) // stride[1] + 1


def pool_window(kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None,
                op: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """A pooling window and its stride as pairs; the stride defaults to the window, as PyTorch."""
    kernel = pair(kernel_size, "kernel_size", op)
    return kernel, kernel if stride is None else pair(stride, "stride", op)


def windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """The sliding windows of x (N, C, H, W) as a view of shape (N, C, OH, OW, kH, kW):
    windows[n, c, i, j] = x[n, c, i·sH : i·sH + kH, j·sW : j·sW + kW]. No copy is made."""
    n, c = x.shape[:2]
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(x, kernel, stride)
    s = x.strides
    return as_strided(x, shape=(n, c, oh, ow, kh, kw), strides=(s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]),
                      writeable=False)


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> tuple[np.ndarray, tuple]:
    """The windows of x as the rows of a matrix: (N·OH·OW, C·kH·kW), so that a convolution is one
    matrix product. Returns it and (N, OH, OW)."""
    view = windows(x, kernel, stride)  # (N, C, OH, OW, kH, kW)
    n, c, oh, ow, kh, kw = view.shape
    return np.ascontiguousarray(view.transpose(0, 2, 3, 1, 4, 5)).reshape(n * oh * ow, c * kh * kw), (n, oh, ow)


def _check_input(x: np.ndarray, kernel: tuple[int, int], op: str, padding: tuple[int, int] = (0, 0)) -> None:
    if x.ndim != 4:
        raise OpError(f"{op}: expects input of shape (N, C, H, W), got shape {x.shape}")
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if kernel[0] > h or kernel[1] > w:
        raise OpError(f"{op}: the kernel {kernel[0]}×{kernel[1]} is larger than the (padded) input "
                      f"{h}×{w} of shape {x.shape}")


class Conv2d(Function):
    """O = X ⋆ W (+ b): O[n, f, i, j] = Σ_c,k,l X[n, c, i·s + k, j·s + l] · W[f, c, k, l] + b[f],
    on X padded with ``padding`` zeros. X is (N, C, H, W), W is (F, C, kH, kW), O is (N, F, OH, OW)
    with OH = (H + 2p - kH) // s + 1.

    Backward, the lecture's two rules:

    * dL/dW = X ⋆ dL/dO: the convolution of the input with the output gradient,
      dW[f, c, k, l] = Σ_n,i,j X[n, c, i·s + k, j·s + l] · dO[n, f, i, j];
    * dL/dX = the full convolution of dL/dO with W rotated by 180°: dO is spread back to the
      input's grid (s - 1 zeros between its entries when the stride s > 1), padded with
      kH - 1 and kW - 1 zeros, and correlated with the flipped filter, summing over f;
    * dL/db = Σ_n,i,j dO[n, f, i, j].
    """

    name = "conv2d"
    rule = "dL/dW = X ⋆ dL/dO,  dL/dX = full_conv(dL/dO, rot180(W))"
    words = "the filter's gradient correlates the input with the output gradient; the input's is the full " \
            "convolution of the output gradient with the flipped filter"
    stride: tuple[int, int]
    padding: tuple[int, int]

    def label(self):
        return f"conv2d(stride={self.stride[0]}, padding={self.padding[0]})"

    def forward(self, x, w, *bias):
        if w.ndim != 4:
            raise OpError(f"conv2d: expects filters of shape (F, C, kH, kW), got shape {w.shape}")
        _check_input(x, w.shape[2:], "conv2d", self.padding)
        if x.shape[1] != w.shape[1]:
            raise OpError(f"conv2d: the input has {x.shape[1]} channels (shape {x.shape}) but the filters expect "
                          f"{w.shape[1]} (shape {w.shape})")
        if bias and bias[0].shape != (w.shape[0],):
            raise OpError(f"conv2d: the bias must have shape ({w.shape[0]},), one per filter, got {bias[0].shape}")
        (ph, pw), kernel = self.padding, w.shape[2:]
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        self.x_shape, self.padded_shape, self.w = x.shape, xp.shape, w
        self.cols, (n, oh, ow) = im2col(xp, kernel, self.stride)  # (N·OH·OW, C·kH·kW)
        out = self.cols @ w.reshape(w.shape[0], -1).T  # (N·OH·OW, F)
        if bias:
            out += bias[0]
        return np.ascontiguousarray(out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2))

    def backward(self, g):
        w, (sh, sw), (ph, pw) = self.w, self.stride, self.padding
        n, f, oh, ow = g.shape
        kh, kw = w.shape[2:]
        g_rows = g.transpose(0, 2, 3, 1).reshape(-1, f)  # (N·OH·OW, F), matching the rows of cols
        gx = gw = gb = None
        if self.needs_input_grad[1]:
            gw = (g_rows.T @ self.cols).reshape(w.shape)  # X ⋆ dL/dO
        if self.needs_input_grad[0]:
            spread = np.zeros((n, f, (oh - 1) * sh + 1, (ow - 1) * sw + 1), dtype=g.dtype)
            spread[:, :, ::sh, ::sw] = g
            full = np.pad(spread, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
            cols, (_, hc, wc) = im2col(full, (kh, kw), (1, 1))  # (N·Hc·Wc, F·kH·kW)
            flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(w.shape[1], -1)  # (C, F·kH·kW)
            covered = (cols @ flipped.T).reshape(n, hc, wc, -1).transpose(0, 3, 1, 2)
            gxp = np.zeros(self.padded_shape, dtype=g.dtype)  # rows the last window did not reach keep 0
            gxp[:, :, :hc, :wc] = covered
            gx = gxp[:, :, ph:ph + self.x_shape[2], pw:pw + self.x_shape[3]]
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return (gx, gw, gb)[:len(self.needs_input_grad)]


def _offsets(kernel: tuple[int, int], stride: tuple[int, int], out: tuple[int, int]):
    """For each of the kH·kW offsets (a, b) inside a window, the slices that pick, from the
    whole (N, C, H, W) batch, the element at that offset of every window: (N, C, OH, OW)."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out
    for a in range(kh):
        for b in range(kw):
            yield a * kw + b, (slice(None), slice(None), slice(a, a + sh * (oh - 1) + 1, sh),
                               slice(b, b + sw * (ow - 1) + 1, sw))


class MaxPool2d(Function):
    """O[n, c, i, j] = max over the k×k window at (i·s, j·s).

    Backward: each output's gradient goes to the one input element that was the maximum of its
    window (the first in row-major order when several tie, as PyTorch); where windows overlap,
    an element collects the gradients of every window it won. Both passes loop over the kH·kW
    offsets inside a window, each a strided slice of the whole batch.
    """

    name = "max_pool2d"
    rule = "dL/dX[argmax of window] += dL/dO"
    words = "each window hands its gradient to the element that was its maximum"
    kernel: tuple[int, int]
    stride: tuple[int, int]

    def label(self):
        return f"max_pool2d({self.kernel[0]}×{self.kernel[1]})"

    def forward(self, x):
        _check_input(x, self.kernel, "max_pool2d")
        self.x_shape = x.shape
        self.out_size = output_size(x, self.kernel, self.stride)
        best = winner = None
        for k, where in _offsets(self.kernel, self.stride, self.out_size):
            candidate = x[where]
            if best is None:  # a copy: the output must not share the input's memory
                best, winner = candidate.copy(), np.zeros(candidate.shape, dtype=np.intp)
                continue
            better = candidate > best  # strictly: on a tie the earlier offset keeps the window
            winner = np.where(better, k, winner)
            np.maximum(best, candidate, out=best)
        self.winner = winner
        return best

    def backward(self, g):
        gx = np.zeros(self.x_shape, dtype=g.dtype)
        for k, where in _offsets(self.kernel, self.stride, self.out_size):
            gx[where] += np.where(self.winner == k, g, 0.0)
        return (gx,)


class AvgPool2d(Function):
    """O[n, c, i, j] = the mean of the k×k window at (i·s, j·s).

    Backward: each output's gradient is shared equally, 1/(kH·kW) to every element of its
    window (added up where windows overlap). Both passes loop over the kH·kW offsets inside a
    window, each a strided slice of the whole batch.
    """

    name = "avg_pool2d"
    rule = "dL/dX[window] += dL/dO / (kH·kW)"
    words = "each window shares its gradient equally among its elements"
    kernel: tuple[int, int]
    stride: tuple[int, int]

    def label(self):
        return f"avg_pool2d({self.kernel[0]}×{self.kernel[1]})"

    def forward(self, x):
        _check_input(x, self.kernel, "avg_pool2d")
        self.x_shape = x.shape
        self.out_size = output_size(x, self.kernel, self.stride)
        total = sum(x[where] for _, where in _offsets(self.kernel, self.stride, self.out_size))
        return total / (self.kernel[0] * self.kernel[1])

    def backward(self, g):
        gx = np.zeros(self.x_shape, dtype=g.dtype)
        share = g / (self.kernel[0] * self.kernel[1])
        for _, where in _offsets(self.kernel, self.stride, self.out_size):
            gx[where] += share
        return (gx,)


# ---- the public functions ---------------------------------------------------------------------
def conv2d(x: Tensor, w: Tensor, b: Tensor | None = None, stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of x (N, C, H, W) with filters
    w (F, C, kH, kW) and an optional bias b (F,): a tensor of shape (N, F, OH, OW)."""
    inputs = [as_tensor(x), as_tensor(w)] + ([] if b is None else [as_tensor(b)])
    return Conv2d.apply(*inputs, stride=pair(stride, "stride", "conv2d"),
                        padding=pair(padding, "padding", "conv2d", minimum=0))


def max_pool2d(x: Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> Tensor:
    """The maximum of each kernel_size window, moved by ``stride`` (default: kernel_size)."""
    kernel, stride = pool_window(kernel_size, stride, "max_pool2d")
    return MaxPool2d.apply(as_tensor(x), kernel=kernel, stride=stride)


def avg_pool2d(x: Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> Tensor:
    """The mean of each kernel_size window, moved by ``stride`` (default: kernel_size)."""
    kernel, stride = pool_window(kernel_size, stride, "avg_pool2d")
    return AvgPool2d.apply(as_tensor(x), kernel=kernel, stride=stride)
