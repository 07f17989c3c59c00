"""Ops composed from the primitives: each reads like its math, and its gradient comes from the
primitives' backward by the chain rule, with no backward of its own to get wrong.

Each is registered with ``@composed(symbol, rule, words)``: its name (the function's), how a
picture shows it, its derivative in symbols and in words, kept with the definition.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from autograd.function import OPS, OpError
from autograd.ops.indexing import Concatenate
from autograd.ops.reduce import normalize_axes
from autograd.ops.where import where
from autograd.tensor import Tensor, as_tensor, constant

F = TypeVar("F", bound=Callable[..., Tensor])
REDUCTIONS = ("mean", "sum", "none")


def composed(symbol: str, rule: str, words: str) -> Callable[[F], F]:
    """Register a composed op under its function's name, with how it is shown and derived."""
    def register(fn: F) -> F:
        fn.name, fn.symbol, fn.rule, fn.words = fn.__name__, symbol, rule, words  # type: ignore[attr-defined]
        OPS[fn.__name__] = fn
        return fn
    return register


# ---- arithmetic ----------------------------------------------------------------------------
@composed("−x", "d/dx (-x) = -1", "negation is multiplication by -1")
def neg(x: Tensor) -> Tensor:
    return x * -1.0


@composed("−", "d/da (a-b) = 1,  d/db (a-b) = -1", "a difference is a + (-1)·b")
def sub(a: Tensor, b: Tensor) -> Tensor:
    return a + neg(b)


@composed("÷", "d/da (a/b) = 1/b,  d/db (a/b) = -a/b²", "a quotient is a · b^-1")
def div(a: Tensor, b: Tensor) -> Tensor:
    return a * b**-1.0


@composed("√", "d/dx √x = 1/(2√x)", "the square root is x^0.5")
def sqrt(x: Tensor) -> Tensor:
    return x**0.5


@composed("|x|", "d/dx |x| = sign(x), 0 at 0", "|x| is x times its sign, a constant")
def abs(x: Tensor) -> Tensor:  # noqa: A001  (the op's name)
    return x * constant(np.sign(x.data))


# ---- activations ---------------------------------------------------------------------------
@composed("relu", "d/dx relu(x) = [x > 0]", "ReLU passes the gradient where its input was positive")
def relu(x: Tensor) -> Tensor:
    return where(x.data > 0, x, 0.0)


@composed("lrelu", "d/dx leaky_relu(x) = 1 if x > 0 else a",
          "leaky ReLU passes the gradient, scaled by a where the input was not positive")
def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return where(x.data > 0, x, x * float(negative_slope))


@composed("softplus", "d/dx ln(1+e^x) = σ(x)", "softplus is ln(1 + e^x), written so that e^ never overflows")
def softplus(x: Tensor) -> Tensor:
    """ln(1 + e^x) = u + ln(e^-u + e^d), with u = x and d = 0 where x > 0, u = 0 and d = x
    elsewhere: both exponents are <= 0, so nothing overflows at ±1000, and each side is smooth,
    so the gradient is σ(x) everywhere (a form with max(x, 0) and |x| would give 0 at x = 0)."""
    positive = x.data > 0
    up, down = where(positive, x, 0.0), where(positive, 0.0, x)
    return up + ((-up).exp() + down.exp()).log()


@composed("clamp", "d/dx clamp(x) = [lo <= x <= hi]", "clamping passes the gradient where x was inside the bounds")
def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clamp: give min, max or both")
    inside = np.ones(x.shape, dtype=bool)
    if min is not None:
        inside &= x.data >= min
    if max is not None:
        inside &= x.data <= max
    return where(inside, x, constant(np.clip(x.data, min, max).astype(x.dtype)))


# ---- reductions ----------------------------------------------------------------------------
@composed("x̄", "d/dx_i mean(x) = 1/n", "a mean is a sum times 1/n")
def mean(x: Tensor, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    axes = normalize_axes(axis, x.ndim, "mean")
    n = math.prod(x.shape[a] for a in axes)
    return x.sum(axis=axis, keepdims=keepdims) * (1.0 / max(n, 1))


@composed("log_softmax", "dL/dx = dL/dy - softmax(x)·Σ dL/dy",
          "x - ln Σ e^x, computed as (x - m) - ln Σ e^(x - m) with m the maximum (a constant), so e^ never overflows")
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    if x.ndim == 0 or not isinstance(axis, (int, np.integer)):
        raise OpError(f"log_softmax: needs a tensor of at least 1 dimension and one int axis, got shape {x.shape} "
                      f"and axis {axis!r}")
    (axis,) = normalize_axes(axis, x.ndim, "log_softmax")
    z = x - constant(x.data.max(axis=axis, keepdims=True))
    return z - z.exp().sum(axis=axis, keepdims=True).log()


@composed("softmax", "dL/dx = s·(dL/dy - Σ s·dL/dy)", "softmax is e^(log_softmax)")
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return log_softmax(x, axis).exp()


# ---- layers and losses ---------------------------------------------------------------------
@composed("X·W+b", "dL/dX = dL/dY·Wᵀ,  dL/dW = Xᵀ·dL/dY,  dL/db = Σ_rows dL/dY", "an affine map: x @ W + b")
def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight + bias, with weight (in_features, out_features) and bias (out_features,)."""
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[0] or (
            bias is not None and as_tensor(bias).shape != weight.shape[1:]):
        with_bias = "" if bias is None else f" and bias {as_tensor(bias).shape}"
        raise OpError(f"linear: input {x.shape}, weight {weight.shape}{with_bias} do not fit: the input's last "
                      f"axis must equal the weight's first (in_features), and the bias must have shape "
                      f"({weight.shape[-1] if weight.ndim else '?'},)")
    out = x @ weight
    return out if bias is None else out + as_tensor(bias)


@composed("MSE", "dL/dp = 2(p - y)/n,  dL/dy = -2(p - y)/n", "the mean of the squared differences")
def mse_loss(prediction: Any, target: Any, reduction: str = "mean") -> Tensor:
    """The mean squared error of two tensors of one shape (``reduction``: "mean", "sum" or
    "none"), as ``torch.nn.functional.mse_loss``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"mse_loss: unknown reduction {reduction!r}; allowed: {', '.join(REDUCTIONS)}")
    p, y = as_tensor(prediction), as_tensor(target)
    if p.shape != y.shape:
        raise OpError(f"mse_loss: prediction {p.shape} and target {y.shape} must have one shape")
    squares = (p - y) ** 2
    return squares.mean() if reduction == "mean" else squares.sum() if reduction == "sum" else squares


# ---- joining -------------------------------------------------------------------------------
def _tensors(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expects a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    return [as_tensor(t) for t in tensors]


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``np.concatenate``."""
    return Concatenate.apply(*_tensors(tensors, "concatenate"), axis=axis)


@composed("stack", "dL/dx_k = dL/dy[..., k, ...]", "stacking is joining the tensors, each given a new axis")
def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis, as ``np.stack``."""
    parts = _tensors(tensors, "stack")
    shapes = {t.shape for t in parts}
    if len(shapes) != 1:
        raise OpError(f"stack: every tensor must have one shape, got shapes {' and '.join(map(str, sorted(shapes)))}")
    ndim = parts[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise OpError(f"stack: axis {axis} is out of range for a result with {ndim} dimension(s)")
    at = axis % ndim
    return concatenate([t.reshape(*t.shape[:at], 1, *t.shape[at:]) for t in parts], axis=at)
