"""numpy's functions on Tensors: the same numbers as numpy, gradients that pass gradcheck, and
one clear error for what has no gradient rule."""

import numpy as np
import pytest

from autograd import Tensor, gradcheck, no_grad
from autograd.numpy_api import NumpyError, keep_graph, supported


def leaf(shape, seed, low=-2.0, high=2.0, away=None):
    data = np.random.default_rng(seed).uniform(low, high, size=shape)
    if away is not None:  # keep values 0.1 or more from a kink
        data = np.where(np.abs(data - away) < 0.1, data + 0.3, data)
    return Tensor(data, requires_grad=True)


POSITIVE = {"low": 0.5, "high": 2.0}
# name → (function of the inputs, their shapes, the inputs' range)
CASES = {
    "add": (np.add, [(3, 2), (2,)], {}),
    "subtract": (np.subtract, [(3, 2), (3, 1)], {}),
    "multiply": (np.multiply, [(3, 2), (3, 2)], {}),
    "divide": (np.divide, [(3, 2), (2,)], POSITIVE),
    "power": (np.power, [(3, 2), (3, 2)], POSITIVE),
    "float_power": (np.float_power, [(2, 2), ()], POSITIVE),
    "matmul": (np.matmul, [(3, 2), (2, 4)], {}),
    "maximum": (lambda a, b: np.maximum(a, b), [(3, 2), (3, 2)], {}),
    "maximum with 0 (relu)": (lambda a: np.maximum(a, 0), [(3, 3)], {"away": 0.0}),
    "minimum": (np.minimum, [(3, 2), (2,)], {}),
    "negative": (np.negative, [(3,)], {}),
    "positive": (np.positive, [(3,)], {}),
    "exp": (np.exp, [(2, 3)], {}),
    "log": (np.log, [(2, 3)], POSITIVE),
    "sqrt": (np.sqrt, [(2, 3)], POSITIVE),
    "tanh": (np.tanh, [(2, 3)], {}),
    "abs": (np.abs, [(2, 3)], {"away": 0.0}),
    "square": (np.square, [(2, 3)], {}),
    "reciprocal": (np.reciprocal, [(2, 3)], POSITIVE),
    "sum": (np.sum, [(3, 4)], {}),
    "sum axis keepdims": (lambda a: np.sum(a, axis=0, keepdims=True), [(3, 4)], {}),
    "mean": (lambda a: np.mean(a, axis=1), [(3, 4)], {}),
    "max": (lambda a: np.max(a, axis=1), [(3, 4)], {}),
    "amin": (lambda a: np.amin(a, axis=0), [(3, 4)], {}),
    "min": (np.min, [(3, 4)], {}),
    "dot of matrices": (np.dot, [(3, 2), (2, 4)], {}),
    "dot of vectors": (np.dot, [(4,), (4,)], {}),
    "dot with a scalar": (np.dot, [(), (2, 2)], {}),
    "outer": (np.outer, [(3,), (2,)], {}),
    "transpose": (np.transpose, [(3, 2)], {}),
    "transpose axes": (lambda a: np.transpose(a, (1, 2, 0)), [(2, 3, 2)], {}),
    "reshape": (lambda a: np.reshape(a, (2, 3)), [(3, 2)], {}),
    "ravel": (np.ravel, [(3, 2)], {}),
    "squeeze": (np.squeeze, [(3, 1)], {}),
    "expand_dims": (lambda a: np.expand_dims(a, 1), [(3,)], {}),
    "copy": (np.copy, [(3,)], {}),
    "concatenate": (lambda a, b: np.concatenate([a, b], axis=1), [(2, 2), (2, 3)], {}),
    "concatenate flat": (lambda a, b: np.concatenate((a, b), axis=None), [(2, 2), (3,)], {}),
    "stack": (lambda a, b: np.stack([a, b], axis=1), [(2, 3), (2, 3)], {}),
    "vstack": (lambda a, b: np.vstack([a, b]), [(3,), (2, 3)], {}),
    "hstack": (lambda a, b: np.hstack([a, b]), [(2, 1), (2, 2)], {}),
    "where": (lambda a, b: np.where(a > 0, a, b), [(3, 3), (3, 3)], {"away": 0.0}),
    "clip": (lambda a: np.clip(a, -1.0, 1.0), [(3, 3)], {"low": -0.9, "high": 0.9}),
    "clip with keywords": (lambda a: np.clip(a, min=-1.0), [(3, 3)], {"away": -1.0}),
    "clip with array bounds": (lambda a: np.clip(a, np.full(3, -1.0), 1.5), [(2, 3)], {"away": -1.0}),
    "broadcast_to": (lambda a: np.broadcast_to(a, (3, 2)), [(2,)], {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_supported_function_gives_numpys_numbers_and_a_checked_gradient(case):
    fn, shapes, domain = CASES[case]
    inputs = [leaf(shape, seed, **domain) for seed, shape in enumerate(shapes)]
    result = fn(*inputs)
    assert isinstance(result, Tensor) and result.requires_grad
    expected = fn(*[t.data.copy() for t in inputs])
    np.testing.assert_allclose(result.data, expected, rtol=1e-12, atol=1e-12)
    assert result.shape == np.shape(expected)
    assert gradcheck(lambda *xs: fn(*xs), *inputs)


def test_the_labs_forward_records_the_graph():
    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    W = Tensor(np.random.default_rng(0).normal(size=(2, 1)), requires_grad=True, name="W")
    y = 1 / (1 + np.exp(-x @ W))
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_allclose(y.data, 1 / (1 + np.exp(-x @ W.data)))
    y.sum().backward()
    s = y.data
    np.testing.assert_allclose(W.grad, x.T @ (s * (1 - s)))
    assert gradcheck(lambda W: 1 / (1 + np.exp(-x @ W)), W)


def test_an_array_on_the_left_still_gives_a_tensor_with_the_graph():
    a = np.array([1.0, 2.0])
    t = Tensor([3.0, 4.0], requires_grad=True)
    for result in (a + t, a - t, a * t, a / t, a ** t, a @ t, np.float64(2.0) * t):
        assert isinstance(result, Tensor) and result.requires_grad
    (a * t).sum().backward()
    np.testing.assert_array_equal(t.grad, a)
    t32 = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    assert (np.float64(2.0) * t32).dtype == np.float32  # a number takes the tensor's dtype, as t32 * 2.0 does


def test_comparisons_and_tests_give_boolean_tensors_outside_the_graph():
    t = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for result in (np.greater(t, 0), np.array([0.0, 0.0, 0.0]) < t, np.isfinite(t), np.logical_not(t > 0)):
        assert isinstance(result, Tensor) and result.dtype == bool and not result.requires_grad
    np.testing.assert_array_equal(np.less_equal(t, 0).data, [True, True, False])
    assert np.sign(t).data.tolist() == [-1.0, 0.0, 1.0] and not np.sign(t).requires_grad


def test_constants_made_like_a_tensor_and_plain_answers():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    zeros, ones = np.zeros_like(t), np.ones_like(t)
    assert isinstance(zeros, Tensor) and not zeros.requires_grad and zeros.shape == (2, 3)
    assert ones.data.sum() == 6 and np.full_like(t, 7.0).data.max() == 7.0
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6
    assert np.argmax(t) == 5 and np.argmax(t, axis=1).tolist() == [2, 2]
    assert np.allclose(t, t.data) and bool(np.any(t > 4)) and not bool(np.all(t > 4))


def test_a_function_with_no_gradient_rule_raises_one_clear_error():
    t = Tensor([0.5, 1.0], requires_grad=True)
    with pytest.raises(NumpyError) as info:
        np.sin(t)
    message = str(info.value)
    assert message.startswith("numpy.sin has no gradient rule in chainrule")
    assert "np.exp" in message and "np.maximum" in message and "np.sum" in message and "\n" not in message
    with pytest.raises(NumpyError, match=r"numpy\.linalg\.norm has no gradient rule"):
        np.linalg.norm(t)
    with pytest.raises(NumpyError, match=r"numpy\.add\.reduce has no gradient rule"):
        np.add.reduce(t)
    assert "np.sin" not in supported() and "np.tanh" in supported()


def test_writing_into_an_array_is_refused_rather_than_cutting_the_graph():
    t = Tensor([1.0, 2.0], requires_grad=True)
    a = np.zeros(2)
    with pytest.raises(NumpyError, match="out=: writing into an existing array"):
        a += t
    with pytest.raises(NumpyError, match="out="):
        np.exp(t, out=np.zeros(2))
    with pytest.raises(NumpyError, match=r"numpy.sum\(\.\.\., dtype="):
        np.sum(t, dtype=np.float32)


def test_asking_for_the_numbers_is_refused_only_inside_keep_graph():
    t = Tensor([1.0, 2.0], requires_grad=True, name="W")
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])  # outside: the numbers, as before
    with keep_graph():
        with pytest.raises(NumpyError, match=r"numbers of the tensor 'W'.*cuts the graph"):
            np.asarray(t)
        with pytest.raises(NumpyError, match="cuts the graph"):
            np.array([t, t])
        np.asarray(Tensor([1.0]))  # a tensor outside the graph gives its numbers
        assert isinstance(np.exp(t), Tensor)
    with no_grad():
        assert not np.exp(t).requires_grad
