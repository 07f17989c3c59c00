"""Every op's backward against central differences, over random shapes (0-d included),
broadcasting pairs, axes and indices."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd import Tensor, gradcheck

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def leaf(rng, shape, low=-2.0, high=2.0, away_from=None):
    """A float64 leaf of random values; ``away_from`` keeps them 0.1 or more from a kink."""
    data = rng.uniform(low, high, size=shape)
    if away_from is not None:
        near = np.abs(data - away_from) < 0.1
        data = np.where(near, data + 0.3, data)
    return Tensor(data, requires_grad=True)


UNARY = {
    "neg": (lambda x: -x, {}),
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), {"low": 0.2, "high": 3.0}),
    "sqrt": (lambda x: x.sqrt(), {"low": 0.2, "high": 3.0}),
    "abs": (lambda x: x.abs(), {"away_from": 0.0}),
    "sigmoid": (lambda x: x.sigmoid(), {"low": -6.0, "high": 6.0}),
    "tanh": (lambda x: x.tanh(), {}),
    "relu": (lambda x: x.relu(), {"away_from": 0.0}),
    "leaky_relu": (lambda x: x.leaky_relu(0.2), {"away_from": 0.0}),
    "softplus": (lambda x: x.softplus(), {"low": -5.0, "high": 5.0}),
    "square": (lambda x: x**2, {}),
    "cube": (lambda x: x**3, {}),
    "inverse": (lambda x: x**-1.0, {"low": 0.5, "high": 2.0}),
    "root": (lambda x: x**0.5, {"low": 0.2, "high": 2.0}),
    "clamp": (lambda x: x.clamp(-1.0, 1.0) * x, {"low": -0.9, "high": 0.9}),
    "rsub": (lambda x: 1.5 - x, {}),
    "rdiv": (lambda x: 2.0 / x, {"low": 0.5, "high": 2.0}),
    "rpow": (lambda x: 2.0**x, {}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes, seed=seeds)
def test_unary_ops(name, shape, seed):
    fn, domain = UNARY[name]
    x = leaf(np.random.default_rng(seed), shape, **domain)
    assert gradcheck(fn, x)


BINARY = {
    "add": (lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, {"low": 0.5, "high": 2.0}),
    "pow": (lambda a, b: a**b, {"low": 0.5, "high": 2.0}),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), seed=seeds)
def test_binary_ops_broadcast_and_sum_back(name, shapes, seed):
    fn, domain = BINARY[name]
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = leaf(rng, a_shape, **(domain if name == "pow" else {}))
    b = leaf(rng, b_shape, **domain)
    assert gradcheck(fn, a, b)
    out = fn(a, b)
    out.sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (4, 3, 2)), ((4, 1, 2, 3), (3, 3, 1)),
])
def test_matmul_1d_2d_and_batched(a_shape, b_shape, rng):
    a, b = leaf(rng, a_shape), leaf(rng, b_shape)
    assert (a @ b).shape == (a.data @ b.data).shape
    assert gradcheck(lambda a, b: a @ b, a, b)


def test_matmul_with_a_constant_input_computes_only_the_needed_gradient(rng):
    X = Tensor(rng.normal(size=(4, 2)))
    W = leaf(rng, (2, 3))
    (X @ W).sum().backward()
    assert X.grad is None and np.allclose(W.grad, X.data.sum(axis=0)[:, None] * np.ones((1, 3)))


axes = st.sampled_from([None, 0, -1, (0, 1), 1])


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
@given(shape=hnp.array_shapes(min_dims=2, max_dims=3, max_side=4), axis=axes, keepdims=st.booleans(), seed=seeds)
def test_reductions(reduction, shape, axis, keepdims, seed):
    x = leaf(np.random.default_rng(seed), shape)
    assert gradcheck(lambda x: getattr(x, reduction)(axis=axis, keepdims=keepdims), x)
    assert getattr(x, reduction)(axis=axis, keepdims=keepdims).shape == \
        getattr(x.data, reduction)(axis=axis, keepdims=keepdims).shape


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
def test_reductions_of_a_scalar(reduction):
    x = Tensor(3.0, requires_grad=True)
    assert gradcheck(lambda x: getattr(x, reduction)(), x)
    assert gradcheck(lambda x: getattr(x, reduction)(axis=0), x)


def test_max_ties_share_the_gradient_equally():
    x = Tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]
    m = Tensor([[1.0, 1.0], [0.0, 2.0]], requires_grad=True)
    m.max(axis=1).sum().backward()
    assert m.grad.tolist() == [[0.5, 0.5], [0.0, 1.0]]


def test_shape_ops(rng):
    x = leaf(rng, (2, 3, 4))
    assert gradcheck(lambda x: x.reshape(4, 6) * np.arange(24.0).reshape(4, 6), x)
    assert gradcheck(lambda x: x.reshape((-1,)) ** 2, x)
    assert gradcheck(lambda x: x.transpose(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3), x)
    assert gradcheck(lambda x: x.T * np.arange(24.0).reshape(4, 3, 2), x)
    assert gradcheck(lambda x: x.transpose() ** 2, x)
    assert gradcheck(lambda x: x.flatten(1) ** 2, x)
    assert x.T.shape == (4, 3, 2) and x.flatten(1).shape == (2, 12)


@pytest.mark.parametrize("index", [
    0, -1, (1, 2), slice(0, 1), (slice(None), 1), (Ellipsis, 2), (None, 0), (slice(None, None, 2), slice(1, 3)),
    [0, 0, 1], (np.array([1, 1, 0]), np.array([2, 2, 0])), np.array([True, False]),
])
def test_getitem(index, rng):
    x = leaf(rng, (2, 3, 4))
    assert gradcheck(lambda x: x[index] ** 2, x)


def test_getitem_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = Tensor([1.0, 2.0], requires_grad=True)
    y[Tensor([1, 1])].sum().backward()
    assert y.grad.tolist() == [0.0, 2.0]


def test_getitem_result_does_not_follow_later_changes_of_the_source():
    x = Tensor([1.0, 2.0, 3.0])
    part = x[:2]
    x.data[0] = 9.0
    assert part.data.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis, rng):
    a, b, c = leaf(rng, (2, 3)), leaf(rng, (2, 3)), leaf(rng, (2, 3))
    w = rng.normal(size=np.concatenate([a.data, b.data, c.data], axis=axis).shape)
    assert gradcheck(lambda a, b, c: autograd.concatenate([a, b, c], axis=axis) * w, a, b, c)
    w = rng.normal(size=np.stack([a.data, b.data, c.data], axis=axis).shape)
    assert gradcheck(lambda a, b, c: autograd.stack([a, b, c], axis=axis) * w, a, b, c)


def test_concatenate_pieces_of_different_sizes(rng):
    a, b = leaf(rng, (2, 1)), leaf(rng, (2, 4))
    w = rng.normal(size=(2, 5))
    assert gradcheck(lambda a, b: autograd.concatenate([a, b], axis=1) * w, a, b)


def test_stack_of_scalars_builds_a_vector():
    xs = [Tensor(float(i), requires_grad=True) for i in range(3)]
    v = autograd.stack(xs)
    (v * Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert [x.grad.item() for x in xs] == [1.0, 2.0, 3.0]
