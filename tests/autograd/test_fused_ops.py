"""The fused ops (linear, mse_loss) against central differences and against the same math
built from primitive ops; and the big-array paths, which run in pooled buffers."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OpError, Tensor, gradcheck, linear, mse_loss


def leaf(rng, *shape, requires_grad=True):
    return Tensor(rng.uniform(-1.0, 1.0, size=shape), requires_grad=requires_grad)


@pytest.mark.parametrize("x_shape", [(3,), (5, 3), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients_match_finite_differences(x_shape, bias):
    rng = np.random.default_rng(len(x_shape))
    x, w = leaf(rng, *x_shape), leaf(rng, 3, 2)
    inputs = (x, w, leaf(rng, 2)) if bias else (x, w)
    assert gradcheck(lambda *t: linear(*t), *inputs)


@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 6), n_in=st.integers(1, 4), n_out=st.integers(1, 4))
def test_linear_equals_matmul_plus_bias(seed, rows, n_in, n_out):
    rng = np.random.default_rng(seed)
    x, w, b = leaf(rng, rows, n_in), leaf(rng, n_in, n_out), leaf(rng, n_out)
    fused = linear(x, w, b)
    (fused * fused).sum().backward()
    grads = [t.grad.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    plain = x @ w + b
    (plain * plain).sum().backward()
    np.testing.assert_allclose(fused.data, plain.data, rtol=1e-12)
    for got, t in zip(grads, (x, w, b), strict=True):
        np.testing.assert_allclose(got, t.grad, rtol=1e-10, atol=1e-12)


def test_linear_computes_no_gradient_that_nobody_needs():
    rng = np.random.default_rng(0)
    x, w = leaf(rng, 4, 3, requires_grad=False), leaf(rng, 3, 2)
    linear(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 2)


def test_linear_names_the_shapes_that_do_not_fit():
    rng = np.random.default_rng(0)
    with pytest.raises(OpError, match=r"linear: input \(4, 3\), weight \(2, 2\)"):
        linear(leaf(rng, 4, 3), leaf(rng, 2, 2))
    with pytest.raises(OpError, match=r"bias must have shape \(2,\)"):
        linear(leaf(rng, 4, 3), leaf(rng, 3, 2), leaf(rng, 3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(), (5,), (4, 1), (2, 3, 2)])
def test_mse_loss_gradients_match_finite_differences(reduction, shape):
    rng = np.random.default_rng(1)
    p, y = leaf(rng, *shape), leaf(rng, *shape)
    assert gradcheck(lambda a, b: mse_loss(a, b, reduction).sum(), p, y)


def test_mse_loss_values_by_hand():
    p, y = Tensor([1.0, 2.0, 4.0], requires_grad=True), Tensor([1.0, 0.0, 1.0])
    loss = mse_loss(p, y)
    assert loss.item() == pytest.approx((0 + 4 + 9) / 3)
    loss.backward()
    np.testing.assert_allclose(p.grad, [0.0, 4 / 3, 2.0])  # 2(p - y)/n
    assert mse_loss(p, y, "sum").item() == 13.0
    np.testing.assert_array_equal(mse_loss(p, y, "none").data, [0.0, 4.0, 9.0])


def test_mse_loss_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="unknown reduction 'avg'; allowed: mean, sum, none"):
        mse_loss(Tensor([1.0]), Tensor([1.0]), "avg")
    with pytest.raises(OpError, match=r"prediction \(3,\) and target \(3, 1\)"):
        mse_loss(Tensor([1.0, 2.0, 3.0]), Tensor([[1.0], [2.0], [3.0]]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_big_arrays_in_pooled_buffers_give_the_primitive_ops_answers(dtype):
    """A 2-layer network on 600 rows (arrays of 150 KiB and more, so the ops write into
    pooled buffers), three steps in a row, against the same math from primitive ops."""
    rng = np.random.default_rng(7)
    X = Tensor(rng.uniform(-3, 3, size=(600, 8)), dtype=dtype)
    y = Tensor(rng.uniform(0, 1, size=(600, 1)), dtype=dtype)
    params = [Tensor(rng.uniform(-0.5, 0.5, size=s), requires_grad=True, dtype=dtype)
              for s in ((8, 64), (64,), (64, 1), (1,))]
    tol = 1e-10 if dtype == np.float64 else 2e-4

    def fused():
        h = linear(X, params[0], params[1]).sigmoid()
        return mse_loss(linear(h, params[2], params[3]).tanh(), y)

    def primitive():
        h = 1.0 / (1.0 + (-(X @ params[0] + params[1])).exp())
        d = (h @ params[2] + params[3]).tanh() - y
        return (d * d).mean()

    for _ in range(3):
        losses, grads = [], []
        for build in (fused, primitive):
            for p in params:
                p.grad = None
            loss = build()
            loss.backward()
            losses.append(loss.item())
            grads.append([p.grad.copy() for p in params])
        assert losses[0] == pytest.approx(losses[1], rel=tol)
        for a, b in zip(*grads, strict=True):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol * 1e-2)
        for p, g in zip(params, grads[0], strict=True):
            p.data -= 0.5 * g


def test_relu_and_tanh_on_big_arrays_keep_their_values_between_steps():
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(200, 100)), requires_grad=True)
    first = x.relu()
    kept = first.data.copy()
    for _ in range(4):  # later steps must not write into an array someone still holds
        (x.relu() * 2.0).sum().backward()
        x.tanh().sum().backward()
    np.testing.assert_array_equal(first.data, kept)
    np.testing.assert_array_equal(kept, np.maximum(x.data, 0.0))
