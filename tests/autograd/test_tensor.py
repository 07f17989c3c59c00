"""Tensor construction, dtypes, attributes and conversions."""

import numpy as np
import pytest

from autograd import Tensor


@pytest.mark.parametrize("data, shape", [(2.0, ()), (3, ()), ([1, 2, 3], (3,)), ([[1.0, 2.0], [3.0, 4.0]], (2, 2)),
                                         (np.zeros((2, 3, 4)), (2, 3, 4)), (True, ())])
def test_shapes_from_numbers_lists_and_arrays(data, shape):
    t = Tensor(data)
    assert t.shape == shape and t.ndim == len(shape) and t.size == int(np.prod(shape))
    assert isinstance(t.data, np.ndarray)


@pytest.mark.parametrize("data", [3, True, [1, 2], np.arange(4), np.array([True, False]), np.arange(3, dtype=np.uint8)])
def test_integers_and_bools_become_float64(data):
    assert Tensor(data).dtype == np.float64


def test_float32_and_float64_are_kept():
    assert Tensor(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert Tensor(np.ones(3)).dtype == np.float64
    assert Tensor([1, 2], dtype="float32").dtype == np.float32
    assert Tensor(np.ones(2, dtype=np.float32), dtype=np.float64).dtype == np.float64


def test_python_numbers_take_the_tensors_dtype():
    x32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for y in (x32 * 2.0, 2.0 * x32, x32 + 1, 1 - x32, x32 / 3.0, 3.0 / x32, x32**2, 2.0**x32):
        assert y.dtype == np.float32
    y = (x32 * 2.0).sum()
    y.backward()
    assert x32.grad.dtype == np.float32


def test_constructor_copies_the_array():
    a = np.ones(3)
    t = Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0


@pytest.mark.parametrize("bad, kind, words", [
    ("abc", TypeError, "str"),
    ([1, "a"], TypeError, "string"),
    (np.array([1 + 2j]), TypeError, "complex"),
    (1 + 2j, TypeError, "complex"),
    (np.array([object()], dtype=object), TypeError, "object"),
    ([[1, 2], [3]], ValueError, "ragged"),
    (None, TypeError, "NoneType"),
    ({"a": 1}, TypeError, "dict"),
    (np.ones(2, dtype=np.float16), TypeError, "float16"),
])
def test_bad_data_is_refused_with_a_message_saying_what_was_given(bad, kind, words):
    with pytest.raises(kind, match=words):
        Tensor(bad)


def test_bad_dtype_and_flags_are_refused():
    with pytest.raises(TypeError, match="float32 or float64"):
        Tensor(1.0, dtype=np.int32)
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor(1.0, requires_grad="yes")
    with pytest.raises(TypeError, match="name"):
        Tensor(1.0, name=3)


def test_item_numpy_detach_len_and_repr():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    assert len(x) == 2 and x.numpy() is x.data
    assert Tensor(2.5).item() == 2.5 and float(Tensor([2.5])) == 2.5
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        x.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    d = (x * 2).detach()
    assert not d.requires_grad and d.op is None and d.is_leaf
    y = (x * 2).sum()
    assert "op=sum" in repr(y) and "name='x'" in repr(x) and "requires_grad=True" in repr(x)
    y.backward()
    assert "grad=" in repr(x)


def test_numpy_arrays_on_the_left_use_the_reflected_operators():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for y in (np.array([3.0, 4.0]) * x, np.array([3.0, 4.0]) + x, np.array([[1.0, 0.0]]) @ x):
        assert isinstance(y, Tensor) and y.requires_grad
    assert np.asarray(x).tolist() == [1.0, 2.0]


def test_truth_value_follows_pytorch():
    assert bool(Tensor(1.0)) and not bool(Tensor([0.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
