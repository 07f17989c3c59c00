"""2-D convolution and pooling on (N, C, H, W) images, composed from ``unfold`` (every window
of the image gathered into a matrix, im2col) and the primitives: no loop over pixels or
images, and no backward of their own.

"Convolution" is cross-correlation, as in the lab's lecture and in PyTorch: the filter is not
flipped. For X (3×3) and a filter F (2×2), O11 = F11 X11 + F12 X12 + F21 X21 + F22 X22, and so on.
The lecture's two backward rules are the matrix product's rule applied to the windows:

* dL/dF = X ⋆ dL/dO, the convolution of the input with the output gradient: the weight's
  gradient of ``windows @ Fᵀ``, windowsᵀ·dL/dO;
* dL/dX = the full convolution of dL/dO with F rotated by 180°: the windows' gradient
  dL/dO·F, each window added back onto the image where it was read (``fold``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.composed import composed
from autograd.function import OpError
from autograd.ops.where import where
from autograd.ops.windows import Pair, Unfold
from autograd.tensor import Tensor, as_tensor, is_number


def pair(value: Any, name: str, op: str, minimum: int = 1) -> Pair:
    """``3`` or ``(3, 3)`` as a pair of ints >= ``minimum``, or an OpError saying what was given."""
    parts = (value, value) if is_number(value) else value
    if not isinstance(parts, (tuple, list)) or len(parts) != 2 or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= minimum for p in parts):
        raise OpError(f"{op}: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(parts[0]), int(parts[1])


def check_images(x: Tensor, kernel: Pair, padding: Pair, op: str) -> None:
    """An OpError naming ``op`` when x is not (N, C, H, W) or is smaller than the kernel."""
    if x.ndim != 4:
        raise OpError(f"{op}: expects input of shape (N, C, H, W), got shape {x.shape}")
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if kernel[0] > h or kernel[1] > w:
        raise OpError(f"{op}: the kernel {kernel[0]}×{kernel[1]} is larger than the (padded) input {h}×{w} "
                      f"of shape {x.shape}")


def unfold(x: Tensor, kernel: Pair, stride: Pair = (1, 1), padding: Pair = (0, 0)) -> Tensor:
    """Every kernel-sized window of x (N, C, H, W): a tensor (N, OH, OW, C, kH, kW)."""
    return Unfold.apply(x, kernel=kernel, stride=stride, padding=padding)


@composed("⋆", "dL/dW = X ⋆ dL/dO,  dL/dX = full_conv(dL/dO, rot180(W))",
          "a convolution is one matrix product of the image's windows with the filters")
def conv2d(x: Any, w: Any, b: Any = None, stride: int | Pair = 1, padding: int | Pair = 0) -> Tensor:
    """2-D convolution of x (N, C, H, W) with filters w (F, C, kH, kW) and a bias b (F,):
    O[n, f, i, j] = Σ_c,k,l X[n, c, i·s + k, j·s + l]·W[f, c, k, l] + b[f], shape (N, F, OH, OW)."""
    x, w = as_tensor(x), as_tensor(w)
    stride, padding = pair(stride, "stride", "conv2d"), pair(padding, "padding", "conv2d", minimum=0)
    if w.ndim != 4:
        raise OpError(f"conv2d: expects filters of shape (F, C, kH, kW), got shape {w.shape}")
    filters, channels, kh, kw = w.shape
    check_images(x, (kh, kw), padding, "conv2d")
    if x.shape[1] != channels:
        raise OpError(f"conv2d: the input has {x.shape[1]} channels (shape {x.shape}) but the filters expect "
                      f"{channels} (shape {w.shape})")
    if b is not None and as_tensor(b).shape != (filters,):
        raise OpError(f"conv2d: the bias must have shape ({filters},), one per filter, got {as_tensor(b).shape}")
    windows = unfold(x, (kh, kw), stride, padding)  # (N, OH, OW, C, kH, kW)
    n, oh, ow = windows.shape[:3]
    out = windows.reshape(n * oh * ow, channels * kh * kw) @ w.reshape(filters, -1).T  # (N·OH·OW, F)
    if b is not None:
        out = out + as_tensor(b)
    return out.reshape(n, oh, ow, filters).transpose(0, 3, 1, 2)


def _pool_windows(x: Any, kernel_size: int | Pair, stride: int | Pair | None, op: str) -> Tensor:
    """The pooling windows of x as (N, OH, OW, C, kH·kW); the stride defaults to the window."""
    x = as_tensor(x)
    kernel = pair(kernel_size, "kernel_size", op)
    step = kernel if stride is None else pair(stride, "stride", op)
    check_images(x, kernel, (0, 0), op)
    windows = unfold(x, kernel, step)
    return windows.reshape(*windows.shape[:4], kernel[0] * kernel[1])


@composed("max", "dL/dX[first maximum of a window] += dL/dO", "each window hands its gradient to its maximum")
def max_pool2d(x: Any, kernel_size: int | Pair, stride: int | Pair | None = None) -> Tensor:
    """The maximum of each window; its gradient goes to the first maximum of the window when
    several tie, as PyTorch's."""
    windows = _pool_windows(x, kernel_size, stride, "max_pool2d")
    first = windows.data.argmax(axis=-1)[..., None] == np.arange(windows.shape[-1])
    return where(first, windows, 0.0).sum(axis=-1).transpose(0, 3, 1, 2)


@composed("avg", "dL/dX[window] += dL/dO / (kH·kW)", "each window shares its gradient equally")
def avg_pool2d(x: Any, kernel_size: int | Pair, stride: int | Pair | None = None) -> Tensor:
    """The mean of each window."""
    return _pool_windows(x, kernel_size, stride, "avg_pool2d").mean(axis=-1).transpose(0, 3, 1, 2)

