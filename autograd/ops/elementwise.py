"""Elementwise primitives: each forward on arrays, with its backward (VJP) in Tensor ops beside it.

Binary ops broadcast as numpy does; their backward may return gradients in the broadcast
shape, and the walk sums them back to each input's shape. Overflow and division by zero
give inf and NaN quietly, as in PyTorch; ``detect_anomaly`` finds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import Function, broadcast_error
from autograd.tensor import Tensor, constant

_quiet = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


class Add(Function):
    """a + b.   d/da = 1,  d/db = 1: a sum hands its gradient unchanged to both terms."""

    name, symbol = "add", "+"
    rule = "d/da (a+b) = 1,  d/db (a+b) = 1"
    words = "a sum passes its gradient to both terms"
    infix = "+"
    gradients = ("{g}", "{g}")

    def forward(self, a, b):
        try:
            return a + b
        except ValueError as err:
            raise broadcast_error("add", a, b) from err

    def backward(self, g, out, a, b):
        return g, g


class Mul(Function):
    """a · b.   d/da = b,  d/db = a: each factor's gradient is the other factor."""

    name, symbol = "mul", "×"
    rule = "d/da (a·b) = b,  d/db (a·b) = a"
    words = "each factor's gradient is the other factor"
    infix = "·"
    gradients = ("{g} ⊙ {1}", "{g} ⊙ {0}")

    def forward(self, a, b):
        try:
            return a * b
        except ValueError as err:
            raise broadcast_error("mul", a, b) from err

    def backward(self, g, out, a, b):
        return g * b, g * a


class Power(Function):
    """x ** c for a number c.   d/dx x^c = c·x^(c-1): the power rule.

    Where c = 0 the derivative is 0 everywhere, as PyTorch takes it (x^0 = 1 is flat, even at
    x = 0, where c·x^(c-1) would be 0·inf). The square of a loss, √x (x ** 0.5) and 1/x
    (x ** -1) are this op.
    """

    name, symbol = "power", "xᶜ"
    rule = "d/dx x^c = c·x^(c-1)"
    words = "the power rule"
    gradients = ("{g} ⊙ {exponent:g}·{0}^({exponent:g} - 1)",)

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def settings(self):
        return f"{self.exponent:g}"

    def formula(self, x):
        return f"{x} ** {self.exponent:g}"

    def forward(self, x):
        with np.errstate(**_quiet):
            return x**self.exponent

    def backward(self, g, out, x):
        c = self.exponent
        return g * (c * x ** (c - 1.0)) if c != 0 else g * 0.0


class Pow(Function):
    """a ** b for a tensor exponent b.   d/da = b·a^(b-1),  d/db = a^b·ln a.

    Two limits are taken as PyTorch takes them: where b = 0, d/da is 0 (a^0 is constant, even
    at a = 0, where b·a^(b-1) would be 0·inf); where a = 0 and b >= 0, d/db is 0 (ln 0 = -inf,
    but a^b is flat there along a > 0). A number exponent is ``Power``, the power rule alone.
    """

    name, symbol = "pow", "xʸ"
    rule = "d/da a^b = b·a^(b-1),  d/db a^b = a^b·ln a"
    words = "a power: the power rule for the base, the exponential rule for the exponent"
    infix = "**"
    gradients = ("{g} ⊙ {1}·{0}^({1} - 1)", "{g} ⊙ {out}·ln {0}")

    def forward(self, a, b):
        try:
            with np.errstate(**_quiet):
                return a**b
        except ValueError as err:
            raise broadcast_error("pow", a, b) from err

    def backward(self, g, out, a, b):
        ga = g * where(b == 0, 0.0, b * a ** (b - 1.0))
        gb = g * where((a == 0) & (b >= 0), 0.0, out * Log.call(a))
        return ga, gb


class Exp(Function):
    """e^x.   d/dx e^x = e^x: the exponential is its own derivative (the output itself)."""

    name, symbol = "exp", "eˣ"
    rule = "d/dx e^x = e^x"
    words = "the exponential is its own derivative"
    gradients = ("{g} ⊙ {out}",)

    def forward(self, x):
        with np.errstate(**_quiet):
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
        with np.errstate(**_quiet):
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


class Where(Function):
    """where(c, a, b): a where the condition c holds, else b.
    d/da = [c],  d/db = [not c]: each branch gets the gradient where it was chosen.
    The condition is a boolean tensor and takes no gradient."""

    name, symbol = "where", "?:"
    rule = "d/da where(c,a,b) = [c],  d/db = [not c]"
    words = "each branch gets the gradient where it was chosen"
    gradients = ("", "{g} where {0}, else 0", "{g} where not {0}, else 0")

    def forward(self, c, a, b):
        try:
            return np.where(c, a, b)
        except ValueError as err:
            raise broadcast_error("where", a, b) from err

    def backward(self, g, out, c, a, b):
        return None, where(c, g, 0.0), where(c, 0.0, g)


def where(condition: Any, a: Any, b: Any) -> Any:
    """a where ``condition`` holds, else b, as ``np.where`` (on Tensors, a node of the graph;
    the condition takes no gradient, and a number takes the other operand's dtype)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        condition = condition if isinstance(condition, Tensor) else constant(np.asarray(condition, dtype=bool))
        a = a if isinstance(a, Tensor) else b._other(a)
        b = b if isinstance(b, Tensor) else a._other(b)
        return Where.apply(condition, a, b)
    return np.where(condition.data if isinstance(condition, Tensor) else condition, a, b)
