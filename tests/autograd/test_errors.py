"""Bad input gets an error that names the op and the shapes; anomalies name the op."""

import numpy as np
import pytest

import autograd
from autograd import Tensor, detect_anomaly, gradcheck


@pytest.mark.parametrize("make, words", [
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))), r"matmul: shapes \(2, 3\) and \(4, 5\)"),
    (lambda: Tensor(np.ones(3)) @ Tensor(np.ones(4)), r"matmul: shapes \(3,\) and \(4,\)"),
    (lambda: Tensor(1.0) @ Tensor(np.ones(4)), r"matmul: needs tensors of at least 1 dimension"),
    (lambda: Tensor(np.ones((5, 2, 3))) @ Tensor(np.ones((4, 3, 2))), r"matmul: .*\(5, 2, 3\) and \(4, 3, 2\)"),
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones((4,))), r"add: cannot apply to shapes \(2, 3\) and \(4,\)"),
    (lambda: Tensor(np.ones((2, 3))) * np.ones((2,)), r"mul: cannot apply to shapes \(2, 3\) and \(2,\)"),
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), r"reshape: cannot reshape a tensor of shape \(2, 3\).*\(4, 2\)"),
    (lambda: Tensor(np.ones((2, 3))).transpose(0, 0), r"transpose: axes \(0, 0\).*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).sum(axis=2), r"sum: axis 2 is out of range"),
    (lambda: Tensor(np.ones((2, 3))).max(axis=(0, 0)), r"max: axis \(0, 0\) repeats"),
    (lambda: autograd.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]),
     r"concatenate: .*\(2, 3\) and \(2, 4\)"),
    (lambda: autograd.stack([Tensor(np.ones(2)), Tensor(np.ones(3))]), r"stack: .*\(2,\) and \(3,\)"),
    (lambda: autograd.stack([]), "at least one"),
    (lambda: Tensor(np.ones(3)).clamp(), "clamp: give min"),
])
def test_shape_errors_name_the_op_and_shapes(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_index_errors_name_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 does not fit a tensor of shape \(3,\)"):
        Tensor(np.ones(3))[5]
    with pytest.raises(IndexError, match="whole numbers"):
        Tensor(np.ones(3))[Tensor([0.5])]
    with pytest.raises(TypeError, match="list or tuple of tensors"):
        autograd.concatenate(Tensor(np.ones(3)))


def test_iteration_stops_at_the_end():
    assert [t.item() for t in Tensor([1.0, 2.0])] == [1.0, 2.0]


def test_detect_anomaly_names_the_op_in_forward():
    x = Tensor([1.0, -1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError, match=r"forward of 'log' produced nan"):
        x.log()
    x.log()  # outside the block, NaN passes silently, as in numpy and PyTorch


def test_detect_anomaly_names_the_op_in_backward():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt().sum()  # forward is finite, d/dx √x = inf at 0 (√x is x ** 0.5, a power)
    with detect_anomaly(), pytest.raises(RuntimeError, match=r"backward of 'power\(0.5\)' produced inf"):
        y.backward()


def test_no_warnings_from_numpy_in_ops():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 0.0 <= Tensor(-1000.0).sigmoid().item() < 1e-307  # e^-1000 underflows; -u is capped at 709
        assert Tensor(1000.0).sigmoid().item() == 1.0
        assert 0.0 <= Tensor(-1000.0, dtype=np.float32).sigmoid().item() < 1e-37
        assert Tensor(-30.0).sigmoid().item() == pytest.approx(np.exp(-30.0) / (1 + np.exp(-30.0)), rel=1e-15)
        Tensor(0.0).log()
        Tensor(1000.0).exp()
        Tensor(-1000.0).softplus()


def test_gradcheck_reports_the_input_the_element_and_both_values():
    class Wrong(autograd.Function):
        name = "wrong"

        def forward(self, x):
            return x * x

        def backward(self, g, out, x):
            return g * 3.0  # should be 2x

    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    words = r"input 0 \(x\), element \(0,\).*backward gives 3.0.*central differences give 2.0"
    with pytest.raises(AssertionError, match=words):
        gradcheck(lambda x: Wrong.apply(x), x)
    assert x.grad is None and x.data.tolist() == [1.0, 2.0]  # inputs untouched


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda x: x * 2, Tensor(1.0))
    with pytest.warns(UserWarning, match="float32"):
        gradcheck(lambda x: x * 2, Tensor(np.ones(2, dtype=np.float32), requires_grad=True), eps=1e-2)


@pytest.mark.parametrize("call, words", [
    (lambda: Tensor(np.ones((2, 3))).sum(axis=1.0), r"sum: axis must be an int, a tuple of ints or None, got 1.0"),
    (lambda: Tensor(np.ones((2, 3))).mean(axis="0"), r"mean: axis must be an int, a tuple of ints or None, got '0'"),
    (lambda: autograd.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)), padding=1.5),
     r"conv2d: padding must be an int >= 0 or a pair of them, got 1.5"),
    (lambda: autograd.max_pool2d(np.ones((1, 1, 4, 4)), kernel_size=(2, 2, 2)),
     r"max_pool2d: kernel_size must be an int >= 1 or a pair of them, got \(2, 2, 2\)"),
])
def test_settings_of_the_wrong_kind_say_what_is_allowed(call, words):
    with pytest.raises(ValueError, match=words):  # not "'float' object is not iterable"
        call()
