"""State that must not mislead: grad modes per call and per thread, version counters that catch
in-place changes between a forward pass and its backward, .grad arrays owned by their tensor,
comparisons outside the graph, and arrays the engine never reuses behind a reader's back."""

import threading
import weakref

import numpy as np
import pytest

import nn
from autograd import Tensor, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad


# ---- grad modes ----------------------------------------------------------------------------------
def test_no_grad_on_a_recursive_function_restores_grad_mode():
    @no_grad()
    def depth(d):
        return depth(d - 1) if d else is_grad_enabled()

    assert depth(2) is False
    assert is_grad_enabled()  # the old engine left it off after a recursive call
    x = Tensor(1.0, requires_grad=True)
    (x * 2).backward()
    assert x.grad == 2.0


def test_one_instance_nested_in_itself_restores_each_level():
    off = no_grad()
    with off:
        with enable_grad():
            with off:
                assert not is_grad_enabled()
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    anomaly = detect_anomaly()

    @anomaly
    def nested(d):
        return nested(d - 1) if d else is_anomaly_enabled()

    assert nested(3) and not is_anomaly_enabled()


def test_a_mode_in_one_thread_does_not_leak_into_another():
    inside, seen = threading.Event(), {}
    release = threading.Event()

    def quiet():
        with no_grad():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=quiet)
    worker.start()
    inside.wait(5)
    seen["main while the other thread is in no_grad"] = is_grad_enabled()
    release.set()
    worker.join()
    assert seen == {"main while the other thread is in no_grad": True} and is_grad_enabled()


def test_modes_restore_their_state_when_the_block_raises():
    with pytest.raises(KeyError), no_grad():
        raise KeyError("x")
    assert is_grad_enabled()


# ---- versions ----------------------------------------------------------------------------------
def test_an_optimizer_step_between_forward_and_backward_is_refused():
    w = nn.Parameter([1.0, 2.0], name="w")
    loss = (w * w).sum()
    opt = nn.optim.SGD([w], lr=0.1)
    w.grad = np.ones(2)
    before = w.version
    opt.step()
    assert w.version > before
    with pytest.raises(RuntimeError, match=r"backward: 'w', which mul needs for its gradient, was changed in place "
                                           r"after mul used it"):
        loss.backward()


def test_an_in_place_change_of_an_intermediate_is_refused_too():
    x = Tensor(2.0, requires_grad=True)
    y = x.exp()
    z = y * 3
    with no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        z.backward()


def test_in_place_changes_need_no_grad_on_tensors_that_take_a_gradient():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"sub_: in-place changes are not recorded in the graph.*no_grad"):
        w.sub_(1.0)
    with no_grad():
        w.sub_(Tensor([0.5]))
        first = w.version
        w.mul_(2.0)
    assert w.data.tolist() == [1.0] and w.version > first > 0


def test_writing_through_data_bypasses_the_versions_as_in_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = (x * x).sum()
    x.data[...] = 100.0  # documented: .data is the raw array, outside the engine's bookkeeping
    z.backward()
    assert x.grad.tolist() == [200.0, 200.0] and x.version == 0  # never changed through the engine


def test_a_fresh_forward_after_the_step_is_fine():
    model = nn.MLP(2, (3,), 1, rng=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    X, y = Tensor(np.ones((4, 2))), np.zeros((4, 1))
    for _ in range(3):
        loss = nn.MSELoss()(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert all(p.version > loss.op.tick for p in model.parameters())  # each changed after the last forward


# ---- .grad ---------------------------------------------------------------------------------------
def test_grad_is_an_array_of_the_tensors_shape_and_dtype_owned_by_it():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = x * 2
    (y + y).sum().backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == (3,) and x.grad.dtype == np.float32
    other = Tensor(np.ones(3), requires_grad=True)
    (x.astype(np.float64) + other).sum().backward()
    assert not np.shares_memory(x.grad, other.grad)


def test_assigning_grad_checks_shape_and_kind_and_copies():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"grad: must be None or a float array of this tensor's shape \(2,\), got "
                                        r"float64 of shape \(3,\)"):
        x.grad = np.ones(3)
    with pytest.raises(TypeError, match="got int64 of shape"):
        x.grad = np.array([1, 2])
    frozen = np.array([0.5, 0.5])
    frozen.flags.writeable = False
    x.grad = frozen  # a read-only array is copied, so the next backward can add into x's own
    (x * 1.0).sum().backward()
    assert x.grad.tolist() == [1.5, 1.5] and frozen.tolist() == [0.5, 0.5]


def test_zero_grad_keeps_the_arrays_and_zeroes_them_in_place():
    model = nn.MLP(2, (3,), 1, rng=0)
    nn.MSELoss()(model(Tensor(np.ones((2, 2)))), np.zeros((2, 1))).backward()
    before = {n: p.grad for n, p in model.named_parameters()}
    nn.optim.SGD(model.parameters(), lr=0.1).zero_grad(set_to_none=False)
    assert all(p.grad is before[n] and not p.grad.any() for n, p in model.named_parameters())


# ---- comparisons, identity ------------------------------------------------------------------------
def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    checks = {"<": x < 2, "<=": x <= 2, ">": x > 2, ">=": x >= 2, "==": x == 2, "!=": x != 2}
    expected = {"<": [True, False, False], "<=": [True, True, False], ">": [False, False, True],
                ">=": [False, True, True], "==": [False, True, False], "!=": [True, False, True]}
    for op, t in checks.items():
        assert isinstance(t, Tensor) and t.dtype == bool and not t.requires_grad and t.data.tolist() == expected[op]
    assert ((x > 1) & (x < 3)).data.tolist() == [False, True, False]
    assert {x: 1}[x] == 1 and x in {x} and len({x, Tensor(1.0)}) == 2  # tensors hash by identity


def test_an_array_kept_by_a_reader_is_never_reused():
    kept = weakref.WeakValueDictionary()
    x = Tensor(np.linspace(-1, 1, 10_000), requires_grad=True)
    s = x.sigmoid()
    kept["sigmoid"] = s.data
    del s
    (x * 3).tanh()
    # Freed with its tensor, as numpy frees it; the old engine's pool kept it and handed it out
    # again, so the entry showed tanh(3x).
    assert kept.get("sigmoid") is None
