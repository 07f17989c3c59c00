"""Matrix product, with numpy's matmul semantics (1-D, 2-D and batched)."""

from __future__ import annotations

import numpy as np

from autograd.function import Function, OpError


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
