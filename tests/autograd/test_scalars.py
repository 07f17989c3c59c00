"""Scalars are first-class: every op on 0-d tensors, inside a larger scalar graph (never only at
the root), against central differences; random scalar expressions with reused nodes; and the
scalar bugs of the old engine, each pinned."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Tensor, gradcheck

# Each op as a function of 0-d tensors; the graph around it multiplies, adds and squares, so
# that gradients arrive scaled, summed over two paths and passed on again.
UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: (x * x + 0.5).log(),
    "sqrt": lambda x: (x * x + 0.5).sqrt(),
    "abs": lambda x: x.abs(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: x.leaky_relu(0.1),
    "softplus": lambda x: x.softplus(),
    "clamp": lambda x: x.clamp(min=-0.2, max=0.9),
    "power": lambda x: x**3 + x**-2,
    "sum": lambda x: x.sum(axis=-1),
    "mean": lambda x: x.mean(axis=0),
    "max": lambda x: x.max(axis=-1, keepdims=True),
    "reshape": lambda x: x.reshape(1, 1).reshape(()),
    "transpose": lambda x: x.transpose(),
    "getitem": lambda x: x.reshape(1)[0],
    "astype": lambda x: x.astype(np.float64),
    "log_softmax": lambda x: x.reshape(1).log_softmax()[0] + x,
    "softmax": lambda x: (x.reshape(1) * x).softmax()[0] * x,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "pow": lambda a, b: (a * a + 0.5) ** b,
    "where": lambda a, b: autograd.where(a > b, a * b, b),
    "concatenate": lambda a, b: autograd.concatenate([a.reshape(1), b.reshape(1)]).sum() * a,
    "stack": lambda a, b: autograd.stack([a, b * a]).max(),
    "matmul": lambda a, b: a.reshape(1) @ (b * a).reshape(1),
    "linear": lambda a, b: autograd.linear(a.reshape(1, 1), b.reshape(1, 1), a.reshape(1)).sum(),
    "mse_loss": lambda a, b: autograd.mse_loss(a, b),
    "maximum": lambda a, b: np.maximum(a, b * b),  # (numpy's functions on tensors: autograd/numpy_api.py)
    "minimum": lambda a, b: np.minimum(a * b, b),
}


def around(op, *xs):
    """``op`` in the middle of a scalar graph: its inputs are made from x, its output is used twice."""
    x = xs[0]
    inner = [v * 1.3 + 0.2 for v in xs]
    out = op(*inner)
    return out * out + out * x - 2.0 * x


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("value", [-0.8, 0.35, 1.7])
def test_every_unary_op_on_a_scalar_inside_a_graph(name, value):
    x = Tensor(value, requires_grad=True, name="x")
    assert gradcheck(lambda x: around(UNARY[name], x), x)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("values", [(-0.8, 0.6), (0.35, -1.1), (1.7, 0.9)])
def test_every_binary_op_on_scalars_inside_a_graph(name, values):
    a, b = (Tensor(v, requires_grad=True) for v in values)
    assert gradcheck(lambda a, b: around(BINARY[name], a, b), a, b)


def test_every_registered_op_is_covered_by_the_scalar_tests_or_named_here():
    covered = set(UNARY) | set(BINARY) | {"power", "sigmoid"}
    primitives_met_inside = {"broadcast_to", "scatter", "unfold", "fold", "conv2d", "max_pool2d", "avg_pool2d"}
    # broadcast_to and scatter are sum's and getitem's VJPs; the windows ops and pooling need
    # images (tests/autograd/test_conv.py and test_higher_order.py gradcheck them).
    engines = {name for name, op in autograd.OPS.items() if op.__module__.startswith("autograd.")}  # (not tests')
    assert engines <= covered | primitives_met_inside, sorted(engines - covered)


# ---- random scalar expressions ---------------------------------------------------------------
SMOOTH = [
    ("+", lambda a, b: a + b), ("-", lambda a, b: a - b), ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / (b * b + 1.0)), ("**", lambda a, b: (a * a + 0.25) ** (b.tanh())),
]
UNARY_SMOOTH = [
    ("exp", lambda a: a.tanh().exp()), ("log", lambda a: (a * a + 0.25).log()), ("sigmoid", lambda a: a.sigmoid()),
    ("tanh", lambda a: a.tanh()), ("softplus", lambda a: a.softplus()), ("sqrt", lambda a: (a * a + 0.25).sqrt()),
    ("square", lambda a: a**2), ("neg", lambda a: -a), ("scale", lambda a: 0.5 * a + 0.1),
]
KINKED = [("relu", lambda a: a.relu()), ("abs", lambda a: a.abs()), ("leaky_relu", lambda a: a.leaky_relu(0.3))]


@st.composite
def expressions(draw):
    """A random DAG over three scalar variables: each node applies an op to earlier nodes,
    chosen with replacement, so nodes are reused (their gradients sum over paths)."""
    steps = []
    for k in range(draw(st.integers(3, 14))):
        available = 3 + k
        if draw(st.booleans()):
            name = draw(st.sampled_from([n for n, _ in SMOOTH]))
            steps.append(("binary", name, draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1))))
        else:
            name = draw(st.sampled_from([n for n, _ in UNARY_SMOOTH + KINKED]))
            steps.append(("unary", name, draw(st.integers(0, available - 1)), None))
    values = draw(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
    return steps, values


def build(steps, variables):
    nodes = list(variables)
    kinks = []
    binary, unary = dict(SMOOTH), dict(UNARY_SMOOTH + KINKED)
    for kind, name, i, j in steps:
        if kind == "binary":
            nodes.append(binary[name](nodes[i], nodes[j]))
        else:
            if name in dict(KINKED):
                kinks.append(float(nodes[i].data))
            nodes.append(unary[name](nodes[i]))
    return sum(nodes[3:], nodes[0] * 0.0), kinks


@given(expressions())
def test_random_scalar_expressions_match_central_differences(case):
    steps, values = case
    xs = [Tensor(v, requires_grad=True) for v in values]
    out, kinks = build(steps, xs)
    assume(all(abs(k) > 1e-3 for k in kinks))  # central differences across a kink are not a derivative
    assume(np.isfinite(out.data) and abs(out.item()) < 1e6)
    assert gradcheck(lambda *v: build(steps, v)[0], *xs, atol=1e-4, rtol=1e-3)


# ---- the old engine's scalar bugs --------------------------------------------------------------
def test_an_activation_inside_a_scalar_graph_hands_on_the_scaled_gradient():
    x = Tensor(1.0, requires_grad=True)
    (x.sigmoid() * 2).backward()
    s = 1 / (1 + math.exp(-1.0))
    assert x.grad == pytest.approx(2 * s * (1 - s), rel=1e-15)  # 0.3932, not 2.0
    x.grad = None
    (-(x.tanh())).backward()
    assert x.grad == pytest.approx(-(1 - math.tanh(1.0) ** 2), rel=1e-15)  # -0.42, not -1
    y = Tensor([0.5, -0.25], requires_grad=True)
    (y.sum().tanh() * 3).backward()
    assert np.allclose(y.grad, 3 * (1 - math.tanh(0.25) ** 2))
    assert gradcheck(lambda x: x.sigmoid() * 2, Tensor(0.7, requires_grad=True))


@pytest.mark.parametrize("exponent", [0, 0.0, Tensor(0.0), Tensor(0.0, requires_grad=True)])
def test_x_to_the_power_zero_has_gradient_zero_at_zero(exponent):
    x = Tensor(0.0, requires_grad=True)
    (x**exponent).backward()
    assert x.grad == 0.0
    if isinstance(exponent, Tensor) and exponent.requires_grad:
        assert exponent.grad == 0.0  # d/db a^b at a = 0, b >= 0: 0, as PyTorch


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_reductions_of_a_scalar_accept_axis_0_and_minus_1(reduce):
    x = Tensor(2.5, requires_grad=True)
    for axis in (0, -1, (0,), None):
        out = getattr(x, reduce)(axis=axis)
        assert out.shape == () and out.item() == 2.5
    getattr(x, reduce)(axis=-1).backward()
    assert x.grad == 1.0
    with pytest.raises(ValueError, match=f"{reduce}: axis 1 is out of range for a tensor with 0 dimension"):
        getattr(x, reduce)(axis=1)


def test_linear_promotes_dtypes_as_its_formula_does():
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    w = Tensor(np.ones((3, 2), dtype=np.float32))
    b = Tensor(np.ones(2))  # float64
    assert autograd.linear(x, w, b).dtype == (x @ w + b).dtype == np.float64


def test_a_scalars_grad_is_a_0d_array_that_zero_grad_zeroes():
    x = nn.Parameter(3.0)
    (x * x).backward()
    (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 12.0
    nn.optim.SGD([x], lr=0.1).zero_grad(set_to_none=False)
    assert x.grad == 0.0
    (x * x).backward()
    assert x.grad == 6.0  # not 18: the zeroing reached the scalar's own array
