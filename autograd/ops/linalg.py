"""Matrix product, with numpy's matmul semantics (1-D, 2-D and batched), and the fused affine map of a layer."""

from __future__ import annotations

import math

import numpy as np

from autograd import buffers
from autograd.function import Function, OpError
from autograd.tensor import Tensor, as_tensor


class MatMul(Function):
    """Y = A @ B.   dL/dA = dL/dY @ Bᵀ,  dL/dB = Aᵀ @ dL/dY.

    A 1-D A is a row (1, k) and a 1-D B a column (k, 1) for the product, and the added
    axis is dropped again, as numpy does; batch axes broadcast, and the engine sums the
    gradient of a broadcast operand over them.
    """

    name = "matmul"
    rule = "dL/dA = dL/dY·Bᵀ,  dL/dB = Aᵀ·dL/dY"
    words = "a matrix product: the gradient times the other factor, transposed"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise OpError(f"matmul: needs tensors of at least 1 dimension, got shapes {a.shape} and {b.shape}")
        k_a, k_b = a.shape[-1], b.shape[-2 if b.ndim > 1 else 0]
        if k_a != k_b:
            raise OpError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the "
                          f"first ({k_a}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} "
                          f"axis of the second ({k_b})")
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshaping
            ga = g @ b.T if self.needs_input_grad[0] else None
            gb = a.T @ g if self.needs_input_grad[1] else None
            return ga, gb
        if a.ndim == 1 and b.ndim == 1:  # the dot product a·b
            return (g * b if self.needs_input_grad[0] else None), (g * a if self.needs_input_grad[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = g2 @ np.swapaxes(b2, -1, -2)
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if self.needs_input_grad[1]:
            gb = np.swapaxes(a2, -1, -2) @ g2
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb


class Linear(Function):
    """Y = X @ W + b, fused: one node for the affine map of a layer.

        dL/dX = dL/dY @ Wᵀ,   dL/dW = Xᵀ @ dL/dY,   dL/db = Σ over rows of dL/dY

    X is (..., in) (any leading axes, or none), W is (in, out), b is (out,) or left out.
    One node instead of matmul and add: half the bookkeeping, no broadcast to undo for b,
    and the output is written into an engine-owned buffer (``autograd.buffers``).
    """

    name = "linear"
    rule = "dL/dX = dL/dY·Wᵀ,  dL/dW = Xᵀ·dL/dY,  dL/db = Σ_rows dL/dY"
    words = "an affine map: the gradient times the weights back, the inputs times the gradient for W, summed for b"

    def forward(self, x, w, b=None):
        shape = x.shape
        if not shape or w.ndim != 2 or shape[-1] != w.shape[0] or (b is not None and b.shape != w.shape[1:]):
            bias = "" if b is None else f" and bias {b.shape}"
            raise OpError(f"linear: input {shape}, weight {w.shape}{bias} do not fit: the input's last axis must "
                          f"equal the weight's first (in_features), and the bias must have shape ({w.shape[-1]},)")
        self.x, self.w = x, w
        dtype = x.dtype if x.dtype == w.dtype else np.result_type(x, w)
        n_out = w.shape[1]
        rows = x.size // shape[-1] if shape[-1] else math.prod(shape[:-1])
        out = np.matmul(x, w, out=buffers.out((*shape[:-1], n_out), dtype, rows * n_out))
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, w = self.x, self.w
        needs = self.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            gx = np.matmul(g, w.T, out=buffers.out((*g.shape[:-1], w.shape[0]), g.dtype))
        if needs[1] or (len(needs) > 2 and needs[2]):
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            if needs[1]:
                gw = (x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x).T @ g2
            if len(needs) > 2 and needs[2]:
                gb = buffers.ones(g2.shape[0], g2.dtype) @ g2  # Σ over rows
        return (gx, gw) if len(needs) == 2 else (gx, gw, gb)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight + bias as one node (``Linear``); weight is (in_features, out_features)."""
    inputs = (as_tensor(x), as_tensor(weight)) + (() if bias is None else (as_tensor(bias),))
    return Linear.apply(*inputs)
