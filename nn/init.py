"""Initialisers that fill a tensor in place, as ``torch.nn.init``, and the default random
generator that layers use when they are given none.

Randomness always comes from a ``numpy.random.Generator``: pass ``rng=`` (a Generator or an
int seed), or seed the default one with ``nn.manual_seed(seed)``.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import Tensor, no_grad
from nn.module import Parameter

_default_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generator used where no ``rng`` is given (as ``torch.manual_seed``)."""
    global _default_rng
    _default_rng = np.random.default_rng(seed)


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """``rng`` as a Generator: an int is a seed, None is the default generator."""
    if rng is None:
        return _default_rng
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def _fill(t: Tensor, values: np.ndarray | float) -> Tensor:
    with no_grad():
        return t.copy_(values)


def fans(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out). Our Linear weights are (in, out), so fan_in = shape[0]; a conv
    filter bank (F, C, kH, kW) has fan_in = C·kH·kW and fan_out = F·kH·kW, as PyTorch."""
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got shape {t.shape}")
    if t.ndim == 2:
        return t.shape[0], t.shape[1]
    receptive = int(np.prod(t.shape[2:]))
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``:
    1 for linear and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1+a²)) for leaky_relu."""
    if nonlinearity in ("linear", "identity", "sigmoid", "none"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + a * a))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
                     f"allowed: linear, identity, sigmoid, tanh, relu, leaky_relu")


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, rng: np.random.Generator | int | None = None) -> Tensor:
    """Fill with N(mean, std²)."""
    return _fill(t, as_generator(rng).normal(mean, std, size=t.shape))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, rng: np.random.Generator | int | None = None) -> Tensor:
    """Fill with U(a, b)."""
    return _fill(t, as_generator(rng).uniform(a, b, size=t.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0, rng: np.random.Generator | int | None = None) -> Tensor:
    """Glorot: U(-bound, bound) with bound = gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, rng)


def kaiming_uniform_(t: Tensor, a: float = 0.0, nonlinearity: str = "leaky_relu", mode: str = "fan_in",
                     rng: np.random.Generator | int | None = None) -> Tensor:
    """He: U(-bound, bound) with bound = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a)
    and fan = fan_in (or fan_out with ``mode="fan_out"``)."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_uniform_: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound, rng)


def zeros_(t: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(t, 1.0)


def layer_parameters(weight_shape: tuple[int, ...], bias: bool,
                     rng: np.random.Generator | int | None = None) -> tuple[Parameter, Parameter | None]:
    """A layer's weight and bias with PyTorch's default initialisation: both uniform in
    ±1/√fan_in, fan_in as ``fans`` counts it (Linear: in_features; Conv2d: C·kH·kW)."""
    gen = as_generator(rng)
    weight = Parameter(np.empty(weight_shape))
    bound = 1.0 / math.sqrt(fans(weight)[0])
    uniform_(weight, -bound, bound, gen)
    bias_param = None
    if bias:
        out_features = weight_shape[1] if len(weight_shape) == 2 else weight_shape[0]
        bias_param = uniform_(Parameter(np.empty(out_features)), -bound, bound, gen)
    return weight, bias_param
