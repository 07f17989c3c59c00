"""Fused losses: the loss and its gradient in one node, where the derivative is simple.

A loss written with the elementwise ops (difference, square, mean) costs three nodes and
three passes over the data; fused, it costs one of each, and backward is one multiply.
"""

from __future__ import annotations

import numpy as np

from autograd import buffers
from autograd.function import Function, OpError
from autograd.tensor import Tensor, as_tensor

REDUCTIONS = ("mean", "sum", "none")


class MSELoss(Function):
    """Mean squared error of a prediction p against a target y, with d = p - y:

        mean:  L = (1/n) Σ d²,   dL/dp = 2d/n,   dL/dy = -2d/n
        sum:   L = Σ d²,         dL/dp = 2d,     dL/dy = -2d
        none:  L_i = d_i²,       dL_i/dp_i = 2d_i

    p and y have one shape (the nn loss checks it and says so).
    """

    name = "mse_loss"
    rule = "dL/dp = 2(p - y)/n,  dL/dy = -2(p - y)/n"
    words = "the squared error's slope is twice the difference, divided by the count for a mean"
    reduction: str = "mean"

    def label(self):
        return "mse_loss" if self.reduction == "mean" else f"mse_loss({self.reduction})"

    def forward(self, p, y):
        if p.shape != y.shape:
            raise OpError(f"mse_loss: prediction {p.shape} and target {y.shape} must have one shape")
        dtype = p.dtype if p.dtype == y.dtype else np.result_type(p, y)
        d = self.d = np.subtract(p, y, out=buffers.out(p.shape, dtype))
        if self.reduction == "none":
            return d * d
        flat = d.reshape(-1)
        total = np.dot(flat, flat)
        if self.reduction == "mean":
            total = total / max(d.size, 1)
        return np.asarray(total, dtype=d.dtype)

    def backward(self, g):
        if self.reduction == "none":
            gp = 2.0 * g * self.d
        else:
            scale = 2.0 * float(g) / (max(self.d.size, 1) if self.reduction == "mean" else 1)
            gp = np.multiply(self.d, np.array(scale, dtype=self.d.dtype), out=buffers.out_like(self.d))
        gy = -gp if self.needs_input_grad[1] else None
        return (gp if self.needs_input_grad[0] else None), gy


def mse_loss(prediction: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """The fused mean squared error of two tensors of one shape (``reduction``: "mean",
    "sum" or "none"), as ``torch.nn.functional.mse_loss``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"mse_loss: unknown reduction {reduction!r}; allowed: {', '.join(REDUCTIONS)}")
    return MSELoss.apply(as_tensor(prediction), as_tensor(target), reduction=reduction)
