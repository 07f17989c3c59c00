"""Elementwise ops: each forward with its backward (vector-Jacobian product) beside it.

Binary ops broadcast as numpy does; their backward returns gradients in the broadcast
shape and the engine sums them back to each input's shape (``backward.unbroadcast``).
"""

from __future__ import annotations

import numpy as np

from autograd import buffers
from autograd.function import Function

ONE = buffers.by_dtype(1.0)
EXP_MAX = buffers.by_dtype(709.0, 88.0)  # the largest whole x whose e^x is finite

_quiet = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


class Add(Function):
    """a + b.   d/da = 1,  d/db = 1."""

    name = "add"
    rule = "d/da (a+b) = 1,  d/db (a+b) = 1"
    words = "a sum passes its gradient to both terms"

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """a - b.   d/da = 1,  d/db = -1. (Primitive rather than a + (-b): one node, not two.)"""

    name = "sub"
    rule = "d/da (a-b) = 1,  d/db (a-b) = -1"
    words = "a difference passes its gradient on, negated for b"

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Function):
    """a · b.   d/da = b,  d/db = a."""

    name = "mul"
    rule = "d/da (a·b) = b,  d/db (a·b) = a"
    words = "each factor's gradient is the other factor"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        ga = g * self.b if self.needs_input_grad[0] else None
        gb = g * self.a if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """a / b.   d/da = 1/b,  d/db = -a/b². (Primitive: one node, and a/b rounds once.)"""

    name = "div"
    rule = "d/da (a/b) = 1/b,  d/db (a/b) = -a/b²"
    words = "a quotient: 1/b for the numerator, -a/b² for the denominator"

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(**_quiet):
            return a / b

    def backward(self, g):
        with np.errstate(**_quiet):
            ga = g / self.b if self.needs_input_grad[0] else None
            gb = -g * self.a / (self.b * self.b) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """a ** b for two tensors.   d/da = b·a^(b-1),  d/db = a^b · ln a.

    Where a = 0 and b >= 0, d/db is taken as 0 (the limit along a > 0), as PyTorch does.
    """

    name = "pow"
    rule = "d/da a^b = b·a^(b-1),  d/db a^b = a^b·ln a"
    words = "a power: the power rule for the base, the exponential rule for the exponent"

    def forward(self, a, b):
        with np.errstate(**_quiet):
            self.a, self.b, self.out = a, b, a**b
        return self.out

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        with np.errstate(**_quiet):
            if self.needs_input_grad[0]:
                ga = g * b * a ** (b - 1)
            if self.needs_input_grad[1]:
                gb = g * np.where((a == 0) & (b >= 0), 0.0, self.out * np.log(a))
        return ga, gb


class PowScalar(Function):
    """x ** c for a fixed number c.   d/dx x^c = c·x^(c-1)."""

    name = "pow"
    rule = "d/dx x^c = c·x^(c-1)"
    words = "the power rule"
    exponent: float

    def label(self):
        return f"**{self.exponent:g}"

    def forward(self, x):
        self.x = x
        if self.exponent == 2.0:  # the square of every MSE: x·x is twice as fast as np.power
            return x * x
        with np.errstate(**_quiet):
            return x**self.exponent

    def backward(self, g):
        c = self.exponent
        if c == 2.0:
            return (g * (2.0 * self.x),)
        with np.errstate(**_quiet):
            return (g * (c * self.x ** (c - 1)),)


class Neg(Function):
    """-x.   d/dx (-x) = -1."""

    name = "neg"
    rule = "d/dx (-x) = -1"
    words = "negation flips the gradient's sign"

    def forward(self, x):
        return -x

    def backward(self, g):
        return (-g,)


class Exp(Function):
    """e^x.   d/dx e^x = e^x (the output itself)."""

    name = "exp"
    rule = "d/dx e^x = e^x"
    words = "the exponential is its own derivative"

    def forward(self, x):
        with np.errstate(**_quiet):
            self.out = np.exp(x)
        return self.out

    def backward(self, g):
        return (g * self.out,)


class Log(Function):
    """ln x.   d/dx ln x = 1/x."""

    name = "log"
    rule = "d/dx ln x = 1/x"
    words = "the logarithm's slope is one over its input"

    def forward(self, x):
        self.x = x
        with np.errstate(**_quiet):
            return np.log(x)

    def backward(self, g):
        with np.errstate(**_quiet):
            return (g / self.x,)


class Sqrt(Function):
    """√x.   d/dx √x = 1/(2√x)."""

    name = "sqrt"
    rule = "d/dx √x = 1/(2·√x)"
    words = "the square root's slope is one over twice itself"

    def forward(self, x):
        with np.errstate(**_quiet):
            self.out = np.sqrt(x)
        return self.out

    def backward(self, g):
        with np.errstate(**_quiet):
            return (g * 0.5 / self.out,)


class Abs(Function):
    """|x|.   d/dx |x| = sign(x), taken as 0 at x = 0."""

    name = "abs"
    rule = "d/dx |x| = sign(x)"
    words = "the absolute value passes the gradient with the input's sign"

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, g):
        return (g * np.sign(self.x),)


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), written for x < 0 as e^x / (1 + e^x). With e = e^-|x| (at most
    1) both branches are where(x >= 0, 1, e) / (1 + e): one exp, no overflow and no warning
    at x = ±1000, full relative precision in both tails."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(Function):
    """σ(u) = 1 / (1 + e^-u).   d/du σ(u) = s·(1 - s), with s = σ(u), the output.

    The slope is written with the output s, so backward uses the saved output and never
    calls σ again on it (the lab's classic pitfall). Both passes work in place in one
    engine-owned buffer each. Where u < -709 (float32: -88), e^-u overflows: a small array
    caps -u there (σ ≈ 1e-308), a big one lets e^-u be inf without a warning (σ = 0), both
    within 1e-307 of the true value, which underflows.
    """

    name = "sigmoid"
    rule = "d/du sigmoid(u) = s·(1-s)"
    words = "the sigmoid's slope, written with its output s"

    def forward(self, u):
        s = np.negative(u, out=buffers.out_like(u))
        if s.size < 4096:  # a cap costs less than silencing the warning, per call
            np.minimum(s, EXP_MAX[s.dtype], out=s)
            np.exp(s, out=s)
        else:  # per element the cap costs as much as exp itself
            with np.errstate(over="ignore"):
                np.exp(s, out=s)
        s += ONE[s.dtype]
        np.divide(ONE[s.dtype], s, out=s)
        self.s = s
        return s

    overwrites_grad = True

    def backward(self, g):  # g ← g·s·(1 - s), in place, block by block
        one = ONE[g.dtype]
        for gb, sb in buffers.blocks(g, self.s):
            slope = np.subtract(one, sb, out=buffers.scratch(sb))
            slope *= sb
            gb *= slope
        return (g,)


class Tanh(Function):
    """tanh(u).   d/du tanh(u) = 1 - t², with t = tanh(u), the output."""

    name = "tanh"
    rule = "d/du tanh(u) = 1 - t²"
    words = "tanh's slope, written with its output t"

    def forward(self, u):
        self.t = np.tanh(u, out=buffers.out_like(u))
        return self.t

    overwrites_grad = True

    def backward(self, g):  # g ← g·(1 - t²), in place, block by block
        one = ONE[g.dtype]
        for gb, tb in buffers.blocks(g, self.t):
            gb *= one - tb * tb
        return (g,)


class Relu(Function):
    """max(u, 0).   d/du relu(u) = 1 where u > 0, else 0 (0 at u = 0, as PyTorch)."""

    name = "relu"
    rule = "d/du relu(u) = [u > 0]"
    words = "ReLU passes the gradient where its input was positive"

    def forward(self, u):
        self.u = u
        return np.maximum(u, 0.0, out=buffers.out_like(u))

    overwrites_grad = True

    def backward(self, g):  # g ← g·[u > 0], in place
        g *= self.u > 0
        return (g,)


class LeakyRelu(Function):
    """u where u > 0, else a·u.   d/du = 1 where u > 0, else a (the negative slope)."""

    name = "leaky_relu"
    rule = "d/du leaky_relu(u) = 1 if u > 0 else a"
    words = "leaky ReLU passes the gradient, scaled by a where the input was not positive"
    negative_slope: float

    def label(self):
        return f"leaky_relu({self.negative_slope:g})"

    def forward(self, u):
        self.mask = u > 0
        return np.where(self.mask, u, u * self.negative_slope)

    def backward(self, g):
        return (np.where(self.mask, g, g * self.negative_slope),)


class Softplus(Function):
    """ln(1 + e^u), computed as max(u, 0) + ln(1 + e^-|u|) so it never overflows.
    d/du softplus(u) = σ(u)."""

    name = "softplus"
    rule = "d/du ln(1+e^u) = sigmoid(u)"
    words = "softplus's slope is the sigmoid of its input"

    def forward(self, u):
        self.u = u
        return np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))

    def backward(self, g):
        return (g * stable_sigmoid(self.u),)


class Clamp(Function):
    """min(max(x, lo), hi).   d/dx = 1 where lo <= x <= hi, else 0 (as torch.clamp)."""

    name = "clamp"
    rule = "d/dx clamp(x) = [lo <= x <= hi]"
    words = "clamping passes the gradient where the input was inside the bounds"
    low: float | None
    high: float | None

    def label(self):
        return f"clamp({self.low}, {self.high})"

    def forward(self, x):
        self.x = x
        return np.clip(x, self.low, self.high).astype(x.dtype, copy=False)

    def backward(self, g):
        inside = np.ones(self.x.shape, dtype=bool)
        if self.low is not None:
            inside &= self.x >= self.low
        if self.high is not None:
            inside &= self.x <= self.high
        return (g * inside,)
