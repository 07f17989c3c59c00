"""The backward pass: hand-derived chain rules, accumulation, deep graphs, freeing."""

import gc
import math
import weakref

import numpy as np
import pytest

from autograd import Tensor, enable_grad, is_grad_enabled, no_grad


def test_sigmoid_of_affine_by_hand():
    # s = σ(u), u = a·b + c:  ds/da = s(1-s)·b,  ds/db = s(1-s)·a,  ds/dc = s(1-s)
    a, b, c = (Tensor(v, requires_grad=True) for v in (2.0, -3.0, 1.0))
    s = (a * b + c).sigmoid()
    s.backward()
    expected_s = 1.0 / (1.0 + math.exp(5.0))
    slope = expected_s * (1.0 - expected_s)
    assert s.item() == pytest.approx(expected_s, rel=1e-15)
    assert a.grad.item() == pytest.approx(-3.0 * slope, rel=1e-14)
    assert b.grad.item() == pytest.approx(2.0 * slope, rel=1e-14)
    assert c.grad.item() == pytest.approx(slope, rel=1e-14)


def test_polynomial_by_hand():
    # f = x²y + y + 2 at (3, 4):  df/dx = 2xy = 24,  df/dy = x² + 1 = 10
    x, y = Tensor(3.0, requires_grad=True), Tensor(4.0, requires_grad=True)
    f = x * x * y + y + 2
    f.backward()
    assert (f.item(), x.grad.item(), y.grad.item()) == (42.0, 24.0, 10.0)


def test_micrograd_readme_expression():
    # micrograd's published example, whose numbers its author checked against PyTorch
    a, b = Tensor(-4.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    assert f"{g.item():.4f}" == "24.7041"
    assert f"{a.grad.item():.4f}" == "138.8338"
    assert f"{b.grad.item():.4f}" == "645.5773"


def test_leaves_keep_their_gradient_and_intermediates_keep_theirs_when_asked():
    x = Tensor(3.0, requires_grad=True)
    u = x * 2.0
    v = u.tanh()
    v.backward()  # as PyTorch: an intermediate's gradient is freed once it is handed on
    assert x.grad.item() == pytest.approx(2 * (1 - math.tanh(6.0) ** 2))
    assert u.grad is None and v.grad is None and not u.retains_grad
    x.grad = None
    u.retain_grad()
    v.backward()
    assert u.retains_grad and u.grad.item() == pytest.approx(1 - math.tanh(6.0) ** 2) and v.grad is None
    x.grad = u.grad = None
    v.backward(retain_grads=True)  # every intermediate, for a picture or a lesson
    assert v.grad.item() == 1.0
    assert u.grad.item() == pytest.approx(1 - math.tanh(6.0) ** 2)
    assert x.grad.item() == pytest.approx(2 * (1 - math.tanh(6.0) ** 2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(1.0).retain_grad()


def test_gradients_computes_every_nodes_gradient_and_stores_none():
    from autograd.teach.graph import gradients

    x = Tensor(3.0, requires_grad=True)
    u = x * 2.0
    v = u.tanh()
    found = gradients(v)
    assert found[id(v)].item() == 1.0
    assert found[id(u)].item() == pytest.approx(1 - math.tanh(6.0) ** 2)
    assert found[id(x)].item() == pytest.approx(2 * (1 - math.tanh(6.0) ** 2))
    assert x.grad is None and u.grad is None


def test_a_node_used_twice_gets_both_contributions():
    x = Tensor(3.0, requires_grad=True)
    y = x * x  # dy/dx = 2x
    y.backward()
    assert x.grad.item() == 6.0
    z = Tensor(2.0, requires_grad=True)
    h = z.exp()
    (h * h + h).backward()  # d/dz (e^2z + e^z) = 2e^2z + e^z
    assert z.grad.item() == pytest.approx(2 * math.exp(4) + math.exp(2))


def test_repeated_backward_accumulates_as_in_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [7.0, 11.0]


def test_backward_with_an_explicit_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.backward(np.array([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -2.0]


def test_backward_errors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one element.*shape \(2,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(1.0).backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2,\)"):
        (x * 2).backward(np.ones(3))
    (x.sum() * 1).backward()  # a one-element tensor needs no seed
    Tensor([[5.0]], requires_grad=True).backward()


def test_a_leaf_gradient_is_its_own_copy():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([1.0, 2.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad *= 0  # an in-place change of one leaf's grad must not reach the other's
    assert y.grad.tolist() == [1.0, 1.0]


def test_a_chain_of_a_million_ops():
    gc.disable()  # the chain is a million live objects: spare the test the GC's rescans
    try:
        x = Tensor(1.0, requires_grad=True)
        one = Tensor(1.0)
        y = x
        for _ in range(1_000_000):
            y = y * one
        y.backward()
        assert x.grad.item() == 1.0
        del y  # freeing a million-deep graph must not overflow the stack either
    finally:
        gc.enable()


def test_no_grad_records_nothing_and_nests():
    x = Tensor(2.0, requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3
        with enable_grad():
            z = x * 3
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y.op is None and y.parents == ()
    assert z.requires_grad


def test_no_grad_as_a_decorator():
    @no_grad()
    def predict(t):
        return t.sigmoid()

    x = Tensor(0.0, requires_grad=True)
    assert not predict(x).requires_grad
    assert (x * 1).requires_grad


def test_only_tensors_that_require_grad_record_a_graph():
    a, b = Tensor(1.0), Tensor(2.0)
    c = a * b
    assert not c.requires_grad and c.op is None


def test_the_graph_is_freed_when_its_result_is_dropped():
    gc.collect()
    gc.disable()  # prove it is freed by reference counting alone: no cycles, no tape
    try:
        W = Tensor(np.ones((2, 2)), requires_grad=True)
        h = (Tensor(np.ones((3, 2))) @ W).sigmoid()
        loss = h.sum()
        loss.backward()
        refs = [weakref.ref(t) for t in (h, loss)]
        del h, loss
        assert all(r() is None for r in refs)
        assert W.grad is not None
    finally:
        gc.enable()


def test_a_leafs_grad_never_shares_memory_with_another_tensors_grad():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x.reshape(3, 2)  # reshape's backward hands on a view of y's gradient
    z = y + 0.0  # add's backward hands on z's own gradient array
    (z * 2.0).sum().backward(retain_grads=True)
    for other in (y, z):
        assert not np.shares_memory(x.grad, other.grad)
    x.grad += 1.0  # the user changes the leaf's grad in place
    np.testing.assert_array_equal(y.grad, np.full((3, 2), 2.0))


def test_repeated_backward_adds_into_the_leafs_own_grad_array():
    x = Tensor(np.arange(3.0), requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad is first
    np.testing.assert_array_equal(first, 4 * np.arange(3.0))
