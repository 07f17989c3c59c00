"""``gradcheck`` and ``gradgradcheck``: the engine's derivatives against central differences."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from autograd.composed import concatenate
from autograd.gradients import grad
from autograd.modes import enable_grad, no_grad
from autograd.tensor import Tensor


def gradcheck(fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3) -> bool:
    """Check the Jacobian of ``fn(*inputs)`` for every input that requires grad.

    Row k of the Jacobian comes from a backward pass seeded with the k-th unit vector; column
    i from central differences,

        J[k, i] ≈ (f_k(x + eps·e_i) - f_k(x - eps·e_i)) / (2·eps).

    They must agree to ``|a - n| <= atol + rtol·|n|``. Returns True, or raises AssertionError
    naming the input, the element and both values. Use float64 inputs (float32 cannot resolve
    a difference of 1e-6). The inputs' data and ``.grad`` are left as they were.
    """
    checked = [(k, t) for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for k, t in checked:
        if t.dtype != np.float64:
            warnings.warn(f"gradcheck: input {k} is {t.dtype}; central differences need float64", stacklevel=2)
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    analytic = _analytic_jacobians(out, [t for _, t in checked])
    for (k, t), jacobian in zip(checked, analytic, strict=True):
        _compare(k, t, jacobian, _numeric_jacobian(fn, inputs, t, eps, out.size), out.shape, atol, rtol)
    return True


def gradgradcheck(fn: Callable[..., Tensor], *inputs: Tensor, grad_outputs: Tensor | None = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check second derivatives: ``gradcheck`` of the map x ↦ vᵀ·∂fn/∂x, computed by the engine
    with ``create_graph=True``, against central differences of those first derivatives. ``v``
    is ``grad_outputs``, or fixed random numbers (seed 0) of fn's output shape."""
    wrt = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if grad_outputs is None:
        shape = fn(*inputs).shape
        grad_outputs = Tensor(np.random.default_rng(0).normal(size=shape))

    def first_derivatives(*xs: Tensor) -> Tensor:
        with enable_grad():  # (central differences call this inside no_grad)
            y = fn(*xs)
            if not y.requires_grad:  # fn does not depend on its inputs: every derivative is 0
                return Tensor(np.zeros(sum(xs[k].size for k in wrt)))
            found = grad(y, [xs[k] for k in wrt], grad_outputs, create_graph=True, allow_unused=True)
        parts = [Tensor(np.zeros(xs[k].size)) if g is None else g.reshape(-1) for k, g in zip(wrt, found, strict=True)]
        return concatenate(parts)

    return gradcheck(first_derivatives, *inputs, eps=eps, atol=atol, rtol=rtol)


def _analytic_jacobians(out: Tensor, wrt: list[Tensor]) -> list[np.ndarray]:
    """J[k, i] = d out_k / d x_i for each x in ``wrt``, one backward pass per output element."""
    jacobians = [np.zeros((out.size, t.size)) for t in wrt]
    if not out.requires_grad:
        return jacobians
    for k in range(out.size):
        unit = np.zeros(out.size, dtype=out.dtype)
        unit[k] = 1.0
        rows = grad(out, wrt, Tensor(unit.reshape(out.shape)), allow_unused=True)
        for jacobian, row in zip(jacobians, rows, strict=True):
            if row is not None:
                jacobian[k] = row.data.ravel()
    return jacobians


def _numeric_jacobian(fn: Callable[..., Tensor], inputs: tuple, t: Tensor, eps: float, out_size: int) -> np.ndarray:
    jacobian = np.zeros((out_size, t.size))
    flat = t.data.reshape(-1)  # a view: writing it perturbs the input in place
    with no_grad():
        for i in range(t.size):
            original = flat[i]
            flat[i] = original + eps
            plus = np.array(fn(*inputs).data, dtype=np.float64).ravel()  # a copy: the result may be a view of x
            flat[i] = original - eps
            minus = np.array(fn(*inputs).data, dtype=np.float64).ravel()
            flat[i] = original
            jacobian[:, i] = (plus - minus) / (2 * eps)
    return jacobian


def _compare(k: int, t: Tensor, analytic: np.ndarray, numeric: np.ndarray, out_shape: tuple[int, ...],
             atol: float, rtol: float) -> None:
    bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        element = np.unravel_index(col, t.shape) if t.ndim else ()
        where = np.unravel_index(row, out_shape) if out_shape else ()
        label = f"input {k}" + (f" ({t.name})" if t.name else "")
        raise AssertionError(
            f"gradcheck: {label}, element {tuple(int(i) for i in element)}, output element "
            f"{tuple(int(i) for i in where)}: backward gives {float(analytic[row, col])!r}, central differences "
            f"give {float(numeric[row, col])!r} ({int(bad.sum())} of {bad.size} Jacobian entries differ)")
