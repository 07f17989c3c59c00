"""``gradcheck``: compare ``backward`` with central differences, element by element."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from autograd.modes import no_grad
from autograd.tensor import Tensor


def gradcheck(fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check the gradient of ``fn(*inputs)`` for every input that requires grad.

    The full Jacobian is compared: for each output element k, ``backward`` with the k-th unit
    vector gives row k analytically, and for each input element i,

        J[k, i] ≈ (f_k(x + eps·e_i) - f_k(x - eps·e_i)) / (2·eps)     (central differences)

    gives it numerically. They must agree to ``|a - n| <= atol + rtol·|n|``. Returns True,
    or raises AssertionError naming the input, the element, and both values. Use float64
    inputs: float32 cannot resolve a difference of 1e-6. The inputs' data and ``.grad`` are
    left as they were.
    """
    checked = [(k, t) for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for k, t in checked:
        if t.dtype != np.float64:
            warnings.warn(f"gradcheck: input {k} is {t.dtype}; central differences need float64",
                          stacklevel=2)
    saved = [t.grad for _, t in checked]
    try:
        out = fn(*inputs)
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise ValueError("gradcheck: fn must return a Tensor computed from the inputs that require grad")
        analytic = _analytic_jacobians(out, [t for _, t in checked])
        for (k, t), jac in zip(checked, analytic, strict=True):
            numeric = _numeric_jacobian(fn, inputs, t, eps, out.size)
            _compare(k, t, jac, numeric, out.shape, atol, rtol)
    finally:
        for (_, t), g in zip(checked, saved, strict=True):
            t.grad = g
    return True


def _analytic_jacobians(out: Tensor, wrt: list[Tensor]) -> list[np.ndarray]:
    """J[k, i] = d out_k / d x_i for each x in ``wrt``, one backward pass per output element."""
    jacobians = [np.zeros((out.size, t.size)) for t in wrt]
    for k in range(out.size):
        for t in wrt:
            t.grad = None
        seed = np.zeros(out.size, dtype=out.dtype)
        seed[k] = 1.0
        out.backward(seed.reshape(out.shape))
        for jac, t in zip(jacobians, wrt, strict=True):
            if t.grad is not None:
                jac[k] = t.grad.ravel()
    return jacobians


def _numeric_jacobian(fn: Callable[..., Tensor], inputs: tuple, t: Tensor, eps: float,
                      out_size: int) -> np.ndarray:
    jac = np.zeros((out_size, t.size))
    flat = t.data.reshape(-1)  # a view: writing it perturbs the input in place
    with no_grad():
        for i in range(t.size):
            original = flat[i]
            flat[i] = original + eps
            plus = np.asarray(fn(*inputs).data, dtype=np.float64).ravel()
            flat[i] = original - eps
            minus = np.asarray(fn(*inputs).data, dtype=np.float64).ravel()
            flat[i] = original
            jac[:, i] = (plus - minus) / (2 * eps)
    return jac


def _compare(k: int, t: Tensor, analytic: np.ndarray, numeric: np.ndarray,
             out_shape: tuple[int, ...], atol: float, rtol: float) -> None:
    bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        element = np.unravel_index(col, t.shape) if t.ndim else ()
        where = np.unravel_index(row, out_shape) if out_shape else ()
        label = f"input {k}" + (f" ({t.name})" if t.name else "")
        raise AssertionError(
            f"gradcheck: {label}, element {tuple(int(i) for i in element)}, output element "
            f"{tuple(int(i) for i in where)}: backward gives {float(analytic[row, col])!r}, "
            f"central differences give {float(numeric[row, col])!r} ({int(bad.sum())} of "
            f"{bad.size} Jacobian entries differ)")
