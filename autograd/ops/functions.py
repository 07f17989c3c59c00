"""The exponential, the logarithm, and the two activations kept as primitives (sigmoid, tanh):
each forward on arrays, with its backward (VJP) beside it, written with the op's output where
the math is (e^x, s(1 - s), 1 - t²)."""

from __future__ import annotations

import numpy as np

from autograd.function import QUIET, Function


class Exp(Function):
    """e^x.   d/dx e^x = e^x: the exponential is its own derivative (the output itself)."""

    name, symbol = "exp", "eˣ"
    rule = "d/dx e^x = e^x"
    words = "the exponential is its own derivative"
    gradients = ("{g} ⊙ {out}",)

    def forward(self, x):
        with np.errstate(**QUIET):
            return np.exp(x)

    def backward(self, g, out, x):
        return g * out


class Log(Function):
    """ln x.   d/dx ln x = 1/x."""

    name, symbol = "log", "ln"
    rule = "d/dx ln x = 1/x"
    words = "the logarithm's slope is one over its input"
    gradients = ("{g} / {0}",)

    def forward(self, x):
        with np.errstate(**QUIET):
            return np.log(x)

    def backward(self, g, out, x):
        return g / x


class Sigmoid(Function):
    """s = σ(x) = 1 / (1 + e^-x).   d/dx σ(x) = s·(1 - s), written with the output s.

    A primitive, not 1/(1 + exp(-x)) composed, for two reasons: the lab names the op and its
    derivative s(1 - s) (and the backward below uses the saved output s, never σ of it again:
    the lab's classic pitfall); and composed, e^-x overflows to inf at x < -709 (float32: -88).
    Here the overflow is silenced: 1/(1 + inf) = 0 is the true value to within 1e-308.
    """

    name, symbol = "sigmoid", "σ"
    rule = "d/du sigmoid(u) = s·(1-s)"
    words = "the sigmoid's slope, written with its output s"
    gradients = ("{g} ⊙ {out}·(1 - {out})",)

    def forward(self, x):
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-x))

    def backward(self, g, s, x):
        return g * (s * (1.0 - s))


class Tanh(Function):
    """t = tanh(x).   d/dx tanh(x) = 1 - t², written with the output t.

    A primitive because the composed forms lose precision: 2σ(2x) - 1 and
    (1 - e^-2x)/(1 + e^-2x) cancel near x = 0 and keep only ten of sixteen digits there.
    """

    name, symbol = "tanh", "tanh"
    rule = "d/du tanh(u) = 1 - t²"
    words = "tanh's slope, written with its output t"
    gradients = ("{g} ⊙ (1 - {out}²)",)

    def forward(self, x):
        return np.tanh(x)

    def backward(self, g, t, x):
        return g * (1.0 - t * t)
