"""The benchmarks' floor, the hand-written numpy step, trains exactly as the engine does:
same initial weights from the same seed, same losses step after step."""

import numpy as np
import pytest

import nn
from autograd import Tensor
from bench.reference import NumpyMLP
from bench.workloads import LR, SEED, WORKLOADS, chainrule_model, make_step


@pytest.mark.parametrize("name, steps", [("X", 200), ("S", 100), ("M", 10)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_numpy_reference_and_the_engine_give_the_same_losses(name, steps, dtype):
    workload = WORKLOADS[name]
    X, y = workload.data(dtype)
    ref = NumpyMLP(workload.sizes, seed=SEED, dtype=dtype)
    model = chainrule_model(workload, dtype)
    for (pname, p), W in zip(list(model.named_parameters())[::2], ref.weights, strict=True):
        np.testing.assert_array_equal(p.data, W, err_msg=pname)  # same initial weights
    opt = nn.optim.SGD(model.parameters(), lr=LR)
    loss_fn = nn.MSELoss()
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for _ in range(steps):
        expected = ref.step(X, y, LR)
        loss = loss_fn(model(Tensor(X)), Tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert loss.item() == pytest.approx(expected, rel=tol)
        assert loss.dtype == dtype


def test_every_bench_step_runs():
    for impl in ("numpy", "chainrule", "compiled"):
        for name in "XSC":
            step = make_step(impl, name, "float32")
            step()
            step()


def test_the_compiled_bench_step_trains_as_the_eager_one():
    """The compiled rows time the same training: the same weights, bit for bit, as the eager step."""
    from bench.workloads import compiled_training_step, training_step

    X, y = WORKLOADS["S"].data(np.float64)
    models = [chainrule_model(WORKLOADS["S"], np.float64) for _ in range(2)]
    steps = [make(m, nn.MSELoss(), nn.optim.SGD(m.parameters(), lr=LR), Tensor(X), Tensor(y))
             for make, m in zip((training_step, compiled_training_step), models, strict=True)]
    for _ in range(20):
        for step in steps:
            step()
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_the_side_by_side_harness_times_each_implementation_in_its_own_process():
    from bench.sidebyside import memory, side_by_side

    timings, notes = side_by_side("X", "float64", ["numpy", "chainrule"], rounds=2, slice_seconds=0.01)
    assert set(timings) == {"numpy", "chainrule"} and timings["numpy"].ratio == 1.0
    assert all(t.seconds > 0 and t.faults >= 0 for t in timings.values()) and notes == []
    peak = memory("chainrule", "X", "float64")["peak_bytes"]
    assert 1_000 < peak < 10_000_000
