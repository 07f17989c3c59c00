"""Arithmetic primitives: each forward on arrays, with its backward (VJP) beside it.

Binary ops broadcast as numpy does; their backward may return gradients in the broadcast
shape, and the walk sums them back to each input's shape. Overflow and division by zero give
inf and NaN quietly, as in PyTorch; ``detect_anomaly`` finds them.
"""

from __future__ import annotations

import numpy as np

from autograd.function import QUIET, Function, broadcast_error
from autograd.ops.functions import Log
from autograd.ops.where import where


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
        with np.errstate(**QUIET):
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
            with np.errstate(**QUIET):
                return a**b
        except ValueError as err:
            raise broadcast_error("pow", a, b) from err

    def backward(self, g, out, a, b):
        ga = g * where(b == 0, 0.0, b * a ** (b - 1.0))
        gb = g * where((a == 0) & (b >= 0), 0.0, out * Log.call(a))
        return ga, gb
