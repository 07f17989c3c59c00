"""Convolutional layers: Conv2d, MaxPool2d, AvgPool2d, and Flatten to hand over to Linear."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, as_tensor, avg_pool2d, conv2d, max_pool2d
from nn import init
from nn.layers import check_sizes
from nn.module import Module


def as_pair(value: Any, name: str, owner: str, minimum: int = 1) -> tuple[int, int]:
    """``3`` or ``(3, 3)`` as a pair of ints >= ``minimum``; ValueError naming ``owner`` otherwise."""
    parts = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(parts) != 2 or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= minimum
                                  for p in parts):
        raise ValueError(f"{owner}: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(parts[0]), int(parts[1])


class Conv2d(Module):
    """out = conv2d(x, weight, bias): x (N, in_channels, H, W) → (N, out_channels, OH, OW).
    ``weight`` is (out_channels, in_channels, kH, kW), as PyTorch's; initialised, as PyTorch's,
    uniform in ±1/√fan_in with fan_in = in_channels·kH·kW (weight and bias)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0, bias: bool = True,
                 rng: np.random.Generator | int | None = None) -> None:
        check_sizes("Conv2d", in_channels=in_channels, out_channels=out_channels)
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = as_pair(stride, "stride", "Conv2d")
        self.padding = as_pair(padding, "padding", "Conv2d", minimum=0)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.weight, self.bias = init.layer_parameters((self.out_channels, self.in_channels, *self.kernel_size),
                                                       bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)

    def graph_label(self) -> str:
        kh, kw = self.kernel_size
        return f"Conv2d({self.in_channels}→{self.out_channels}, {kh}×{kw})"

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")


class _Pool(Module):
    boxed = False  # its op nodes already say what it is

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> None:
        name = type(self).__name__
        self.kernel_size = as_pair(kernel_size, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", name)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool):
    """The maximum of each window (gradient to the window's maximum)."""

    def forward(self, x: Tensor) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride)


class AvgPool2d(_Pool):
    """The mean of each window (gradient shared equally)."""

    def forward(self, x: Tensor) -> Tensor:
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
