"""conv2d and pooling: gradients against central differences, the lecture's worked example,
agreement with a direct loop, and clear errors."""

import numpy as np
import pytest

from autograd import Tensor, avg_pool2d, conv2d, gradcheck, max_pool2d


def leaf(rng, shape):
    return Tensor(rng.normal(size=shape), requires_grad=True)


@pytest.mark.parametrize("n, c, h, w, f, k, stride, padding", [
    (1, 1, 3, 3, 1, (2, 2), 1, 0),
    (2, 3, 7, 6, 4, (3, 2), 1, 0),
    (2, 2, 5, 5, 3, (3, 3), 2, 1),
    (1, 3, 8, 7, 2, (3, 3), (2, 3), (0, 2)),
    (3, 1, 6, 6, 2, (1, 1), 1, 0),
    (2, 2, 9, 5, 2, (4, 2), 3, 2),  # a stride that leaves rows uncovered
])
def test_conv2d_gradients(n, c, h, w, f, k, stride, padding, rng):
    x, W, b = leaf(rng, (n, c, h, w)), leaf(rng, (f, c, *k)), leaf(rng, (f,))
    assert gradcheck(lambda x, W, b: conv2d(x, W, b, stride=stride, padding=padding), x, W, b)
    assert gradcheck(lambda x, W: conv2d(x, W, stride=stride, padding=padding), x, W)


def direct_conv(x, w, b, stride, padding):
    """The definition, one output element at a time."""
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, _, h, wd = xp.shape
    f, _, kh, kw = w.shape
    out = np.zeros((n, f, (h - kh) // sh + 1, (wd - kw) // sw + 1))
    for a in range(n):
        for o in range(f):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    out[a, o, i, j] = np.sum(xp[a, :, i * sh:i * sh + kh, j * sw:j * sw + kw] * w[o]) + b[o]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_conv2d_forward_agrees_with_a_direct_loop(seed):
    rng = np.random.default_rng(seed)
    n, c, f = rng.integers(1, 4, size=3)
    kh, kw = rng.integers(1, 4, size=2)
    h, w = kh + rng.integers(0, 6), kw + rng.integers(0, 6)
    stride, padding = tuple(rng.integers(1, 3, size=2)), tuple(rng.integers(0, 2, size=2))
    x, W, b = rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, kh, kw)), rng.normal(size=f)
    got = conv2d(Tensor(x), Tensor(W), Tensor(b), stride=stride, padding=padding).data
    np.testing.assert_allclose(got, direct_conv(x, W, b, stride, padding), rtol=1e-12, atol=1e-12)


def test_the_lectures_3x3_input_and_2x2_filter_by_hand():
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    F = np.array([[1.0, 2.0], [3.0, 4.0]])
    d = np.array([[1.0, -1.0], [2.0, 0.5]])  # ∂E/∂O
    x = Tensor(X.reshape(1, 1, 3, 3), requires_grad=True)
    f = Tensor(F.reshape(1, 1, 2, 2), requires_grad=True)
    out = conv2d(x, f)
    (X11, X12, X13), (X21, X22, X23), (X31, X32, X33) = X
    (F11, F12), (F21, F22) = F
    (d11, d12), (d21, d22) = d
    # O11 = F11 X11 + F12 X12 + F21 X21 + F22 X22, and so on
    assert out.data[0, 0].tolist() == [
        [F11 * X11 + F12 * X12 + F21 * X21 + F22 * X22, F11 * X12 + F12 * X13 + F21 * X22 + F22 * X23],
        [F11 * X21 + F12 * X22 + F21 * X31 + F22 * X32, F11 * X22 + F12 * X23 + F21 * X32 + F22 * X33]]
    out.backward(d.reshape(1, 1, 2, 2))
    # ∂E/∂X = full convolution of ∂E/∂O with F rotated by 180°: all nine
    assert x.grad[0, 0].tolist() == [
        [F11 * d11, F12 * d11 + F11 * d12, F12 * d12],
        [F21 * d11 + F11 * d21, F22 * d11 + F21 * d12 + F12 * d21 + F11 * d22, F22 * d12 + F12 * d22],
        [F21 * d21, F22 * d21 + F21 * d22, F22 * d22]]
    # ∂E/∂F = convolution of X with ∂E/∂O
    assert f.grad[0, 0].tolist() == [
        [X11 * d11 + X12 * d12 + X21 * d21 + X22 * d22, X12 * d11 + X13 * d12 + X22 * d21 + X23 * d22],
        [X21 * d11 + X22 * d12 + X31 * d21 + X32 * d22, X22 * d11 + X23 * d12 + X32 * d21 + X33 * d22]]


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), ((2, 3), 1), (3, (1, 2)), (1, None)])
def test_pooling_gradients(kernel, stride, rng):
    x = leaf(rng, (2, 3, 7, 8))  # continuous values: no ties within a window
    assert gradcheck(lambda x: max_pool2d(x, kernel, stride), x)
    assert gradcheck(lambda x: avg_pool2d(x, kernel, stride), x)


def test_pooling_values_and_ties():
    x = Tensor(np.array([[[[1.0, 2.0, 5.0, 5.0], [3.0, 4.0, 0.0, 1.0]]]]), requires_grad=True)
    out = max_pool2d(x, 2)
    assert out.data.tolist() == [[[[4.0, 5.0]]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]]]]  # a tie: the first, as PyTorch
    assert avg_pool2d(Tensor(x.data), 2).data.tolist() == [[[[2.5, 2.75]]]]
    y = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    max_pool2d(y, 2, 1).sum().backward()  # overlapping windows: 8 wins all four
    assert y.grad[0, 0].tolist() == [[0, 0, 0], [0, 1, 1], [0, 1, 1]]


@pytest.mark.parametrize("make, words", [
    (lambda: conv2d(Tensor(np.ones((3, 5, 5))), Tensor(np.ones((2, 3, 3, 3)))),
     r"expects input of shape \(N, C, H, W\)"),
    (lambda: conv2d(Tensor(np.ones((1, 2, 5, 5))), Tensor(np.ones((4, 3, 3, 3)))),
     r"input has 2 channels \(shape \(1, 2, 5, 5\)\) but the filters expect 3"),
    (lambda: conv2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 3, 3)))), r"kernel 3×3 is larger"),
    (lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((2, 1, 3, 3))), Tensor(np.ones(3))),
     r"bias must have shape \(2,\)"),
    (lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 3, 3))), stride=0),
     "stride must be an int >= 1"),
    (lambda: conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 3, 3)))), r"filters of shape \(F, C, kH, kW\)"),
    (lambda: max_pool2d(Tensor(np.ones((1, 1, 2, 2))), 3), r"max_pool2d: the kernel 3×3 is larger"),
    (lambda: avg_pool2d(Tensor(np.ones((4, 4))), 2), r"avg_pool2d: expects input of shape \(N, C, H, W\)"),
])
def test_bad_shapes_are_refused_clearly(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_log_softmax_is_stable_and_its_gradient_checks(rng):
    x = leaf(rng, (4, 5))
    assert gradcheck(lambda x: x.log_softmax(axis=1), x)
    assert gradcheck(lambda x: x.softmax(axis=0), x)
    big = Tensor([[1000.0, 0.0, -1000.0]]).log_softmax(axis=1).data
    assert np.allclose(big, [[0.0, -1000.0, -2000.0]])
    assert np.allclose(np.exp(x.log_softmax(axis=-1).data).sum(axis=-1), 1.0)
    with pytest.raises(ValueError, match="log_softmax: axis 2 is out of range"):
        x.log_softmax(axis=2)
