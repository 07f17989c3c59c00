"""The matrix product, with numpy's matmul rules (1-D, 2-D and batched)."""

from __future__ import annotations

from typing import Any

from autograd.function import Function, OpError
from autograd.tensor import Tensor


class MatMul(Function):
    """Y = A @ B.   dL/dA = dL/dY @ Bᵀ,  dL/dB = Aᵀ @ dL/dY.

    As in numpy, a 1-D A is a row (1, k) and a 1-D B a column (k, 1) for the product, and the
    added axis is dropped again; leading (batch) axes broadcast, and the walk sums the gradient
    of a broadcast operand over them. Two 1-D operands make the dot product a·b.
    """

    name, symbol = "matmul", "@"
    rule = "dL/dA = dL/dY·Bᵀ,  dL/dB = Aᵀ·dL/dY"
    words = "a matrix product: the gradient times the other factor, transposed"
    infix = "@"
    gradients = ("{g} @ {1}ᵀ", "{0}ᵀ @ {g}")

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise OpError(f"matmul: needs tensors of at least 1 dimension, got shapes {a.shape} and {b.shape}")
        k_a, k_b = a.shape[-1], b.shape[-2 if b.ndim > 1 else 0]
        if k_a != k_b:
            raise OpError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
                          f"({k_a}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of the "
                          f"second ({k_b})")
        try:
            return a @ b
        except ValueError as err:
            raise OpError(f"matmul: the batch axes of shapes {a.shape} and {b.shape} do not broadcast") from err

    def backward(self, g, out, a, b):
        if a.ndim == 2 and b.ndim == 2:  # the textbook case
            return g @ b.T, a.T @ g
        if a.ndim == 1 and b.ndim == 1:  # the dot product
            return g * b, g * a
        return batched_backward(g, a, b)


def batched_backward(g: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """The VJP of a @ b when an operand is 1-D or batched: each 1-D operand made a matrix
    (a row, or a column), the textbook rule applied matrix by matrix, the added axis dropped."""
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    g2 = g.reshape(*g.shape[:-1], 1, g.shape[-1]) if a.ndim == 1 else g
    g2 = g2.reshape(*g2.shape, 1) if b.ndim == 1 else g2
    ga, gb = g2 @ swap_last(b2), swap_last(a2) @ g2
    ga = ga.reshape(*ga.shape[:-2], ga.shape[-1]) if a.ndim == 1 else ga
    gb = gb.reshape(*gb.shape[:-1]) if b.ndim == 1 else gb
    return ga, gb


def swap_last(x: Tensor) -> Tensor:
    """x with its last two axes swapped (the transpose of each matrix in a batch)."""
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return x.transpose(axes)
