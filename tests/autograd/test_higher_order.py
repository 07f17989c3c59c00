"""Higher-order derivatives: gradients that are themselves part of a graph (create_graph=True),
against PyTorch's recorded Hessians, central differences of the first derivative, and the
README's examples worked by hand."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor, concatenate, grad, gradcheck, gradgradcheck
from tests.autograd.second_order_cases import CASES, OURS, case_inputs, weights

REFERENCE = json.loads((Path(__file__).parent / "data/torch_second_order.json").read_text())["cases"]


def gradient_and_hessian(name):
    """∇s and ∇²s of s(x) = Σ w·f(x) over all of the case's inputs, flattened, by autograd.grad."""
    fn = CASES[name][0]
    xs = [Tensor(a, requires_grad=True) for a in case_inputs(name)]
    out = fn(OURS, *xs)
    s = (out * Tensor(weights(name, out.shape))).sum()
    first = concatenate([g.reshape(-1) for g in grad(s, xs, create_graph=True)])
    rows = []
    for i in range(first.size):
        parts = grad(first[i], xs, allow_unused=True)
        rows.append(np.concatenate([np.zeros(x.size) if p is None else p.data.ravel() for x, p in zip(xs, parts,
                                                                                                          strict=True)]))
    return first.data, np.array(rows)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_and_hessian_match_pytorch(name):
    first, hessian = gradient_and_hessian(name)
    np.testing.assert_allclose(first, REFERENCE[name]["grad"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hessian, REFERENCE[name]["hessian"], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_central_differences_of_the_first(name):
    fn = CASES[name][0]
    xs = [Tensor(a, requires_grad=True) for a in case_inputs(name)]
    assert gradgradcheck(lambda *v: fn(OURS, *v), *xs, atol=1e-5, rtol=1e-4)


def test_a_cast_passes_second_derivatives_through():
    x = Tensor([0.3, -0.7], requires_grad=True)  # (float32 resolves a step of 1e-3, not 1e-6)
    assert gradgradcheck(lambda x: (x.astype(np.float32).astype(np.float64) * x).tanh(), x, eps=1e-3, atol=1e-3,
                         rtol=1e-2)


def test_second_derivative_of_tanh_is_minus_two_t_times_one_minus_t_squared():
    for value in (-2.0, -0.3, 0.0, 0.8, 3.0):
        x = Tensor(value, requires_grad=True)
        (first,) = grad(x.tanh(), x, create_graph=True)
        (second,) = grad(first, x)
        t = math.tanh(value)
        assert first.item() == pytest.approx(1 - t * t, rel=1e-14)
        assert second.item() == pytest.approx(-2 * t * (1 - t * t), rel=1e-12, abs=1e-15)


def test_newtons_method_finds_the_minimum_in_a_few_steps():
    # f(x) = x⁴ - 3x² + x has a local minimum near 1.1309; Newton: x ← x - f'(x)/f''(x)
    x = Tensor(2.0, requires_grad=True)
    for _ in range(6):
        (slope,) = grad(x**4 - 3 * x**2 + x, x, create_graph=True)
        (curvature,) = grad(slope, x)
        x = Tensor(x.item() - slope.item() / curvature.item(), requires_grad=True)
    assert 4 * x.item() ** 3 - 6 * x.item() + 1 == pytest.approx(0.0, abs=1e-12)  # f'(x) = 0
    assert 12 * x.item() ** 2 - 6 > 0  # f''(x) > 0: a minimum
    assert x.item() == pytest.approx(max(np.roots([4, 0, -6, 1]).real), rel=1e-12)


def test_the_hessian_of_a_function_of_three_variables():
    # f = x·y·z + x²·z + e^y:  H = [[2z, z, y + 2x], [z, e^y, x], [y + 2x, x, 0]]
    x, y, z = (Tensor(v, requires_grad=True) for v in (1.5, -0.5, 2.0))
    f = x * y * z + x**2 * z + y.exp()
    first = grad(f, (x, y, z), create_graph=True)
    hessian = np.array([[g.item() if g is not None else 0.0 for g in grad(d, (x, y, z), allow_unused=True)]
                        for d in first])
    expected = np.array([[2 * 2.0, 2.0, -0.5 + 3.0], [2.0, math.exp(-0.5), 1.5], [-0.5 + 3.0, 1.5, 0.0]])
    np.testing.assert_allclose(hessian, expected, rtol=1e-14)


def test_hessian_vector_product_without_the_hessian():
    # s = Σ x⁴ / 4: ∇s = x³, ∇²s = diag(3x²), so ∇(∇s · v) = 3x²·v
    x = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    v = np.array([1.0, 0.5, -1.0])
    (g,) = grad((x**4 / 4).sum(), x, create_graph=True)
    (hv,) = grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.data, 3 * x.data**2 * v, rtol=1e-14)


def test_backward_with_create_graph_keeps_a_differentiable_gradient():
    x = Tensor(0.7, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert x.grad == pytest.approx(3 * 0.49) and x.grad_tensor.requires_grad
    first = x.grad_tensor
    x.grad = None
    first.backward()
    assert x.grad == pytest.approx(6 * 0.7)  # d/dx 3x² = 6x


def test_without_create_graph_the_pass_records_nothing():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad((x * x).sum(), x)
    assert not g.requires_grad and g.op is None and g.data.tolist() == [2.0, 4.0]
    (x * x).sum().backward()
    assert x.grad_tensor is None and type(x.grad) is np.ndarray


def test_grad_leaves_every_grad_alone_and_refuses_what_is_not_in_the_graph():
    x, y = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    (gx,) = grad(x * x, x)
    assert gx.item() == 4.0 and x.grad is None
    with pytest.raises(RuntimeError, match="not part of the graph"):
        grad(x * x, [x, y])
    assert grad(x * x, [x, y], allow_unused=True)[1] is None
    with pytest.raises(ValueError, match="every input must be a Tensor that requires grad"):
        grad(x * x, Tensor(1.0))


def test_grad_of_several_outputs_with_weights():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad([x * x, x.exp()], x, grad_outputs=[np.array([1.0, 1.0]), np.array([2.0, 0.0])])
    np.testing.assert_allclose(g.data, 2 * x.data + np.array([2.0, 0.0]) * np.exp(x.data))


def test_gradgradcheck_catches_a_vjp_that_is_right_in_value_but_not_differentiable():
    import autograd
    from autograd.ops.reduce import value

    class Cube(autograd.Function):
        name = "cube_whose_vjp_drops_the_graph"

        def forward(self, x):
            return x**3

        def backward(self, g, out, x):
            return g * (3.0 * value(x) ** 2)  # the right numbers, but cut from the graph: no second derivative

    x = Tensor([0.5, 1.5], requires_grad=True)
    assert gradcheck(lambda x: Cube.apply(x), x)
    with pytest.raises(AssertionError, match=r"backward gives 0.0, central differences give 2.99999"):  # 6x at 0.5
        gradgradcheck(lambda x: Cube.apply(x), x, grad_outputs=Tensor([1.0, 1.0]))
