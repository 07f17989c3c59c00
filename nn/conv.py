"""Convolutional layers: Conv2d, MaxPool2d, AvgPool2d, and Flatten to hand over to Linear."""

from __future__ import annotations

import numpy as np

from autograd import Tensor, as_tensor, avg_pool2d, conv2d, max_pool2d
from autograd.ops.conv import pair, pool_window
from nn import init
from nn.layers import check_sizes
from nn.module import Module


def _check_images(layer: Module, x: Tensor, channels: int | None, kernel: tuple[int, int],
                  padding: tuple[int, int] = (0, 0)) -> None:
    """A clear error naming the layer and the shapes, before the op sees the input."""
    expect = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        raise ValueError(f"{layer.graph_label()}: input of shape {x.shape} does not fit; expected {expect}")
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if kernel[0] > h or kernel[1] > w:
        raise ValueError(f"{layer.graph_label()}: input of shape {x.shape} is smaller than the "
                         f"{kernel[0]}×{kernel[1]} kernel" + (" (after padding)" if any(padding) else ""))


class Conv2d(Module):
    """out = conv2d(x, weight, bias): x (N, in_channels, H, W) → (N, out_channels, OH, OW).
    ``weight`` is (out_channels, in_channels, kH, kW), as PyTorch's; initialised, as PyTorch's,
    uniform in ±1/√fan_in with fan_in = in_channels·kH·kW (weight and bias)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0, bias: bool = True,
                 rng: np.random.Generator | int | None = None) -> None:
        check_sizes("Conv2d", in_channels=in_channels, out_channels=out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        self.padding = pair(padding, "padding", "Conv2d", minimum=0)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.weight, self.bias = init.layer_parameters((self.out_channels, self.in_channels, *self.kernel_size),
                                                       bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        _check_images(self, x, self.in_channels, self.kernel_size, self.padding)
        return conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)

    def graph_label(self) -> str:
        kh, kw = self.kernel_size
        return f"Conv2d({self.in_channels}→{self.out_channels}, {kh}×{kw})"

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")


class _Pool(Module):
    boxed = False  # one op node, which already says what it is

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> None:
        self.kernel_size, self.stride = pool_window(kernel_size, stride, type(self).__name__)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool):
    """The maximum of each window (gradient to the window's maximum)."""

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        _check_images(self, x, None, self.kernel_size)
        return max_pool2d(x, self.kernel_size, self.stride)


class AvgPool2d(_Pool):
    """The mean of each window (gradient shared equally)."""

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        _check_images(self, x, None, self.kernel_size)
        return avg_pool2d(x, self.kernel_size, self.stride)


class Flatten(Module):
    """(N, C, H, W) → (N, C·H·W): every axis from ``start_dim`` on merged into one."""

    boxed = False

    def __init__(self, start_dim: int = 1) -> None:
        self.start_dim = start_dim

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x)
        if x.ndim <= self.start_dim:
            raise ValueError(f"Flatten(start_dim={self.start_dim}): input of shape {x.shape} has no axis "
                             f"{self.start_dim} to flatten from")
        return x.flatten(self.start_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"
