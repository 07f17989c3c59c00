"""What a compiled step checks before it replays, and what it does when a check fails: record
again, or run eagerly with one warning saying why. Never a wrong replay."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Function, Tensor, no_grad
from autograd.compile import CompileWarning
from tests.autograd.compile.helpers import compare, tensors


@pytest.fixture
def W(rng):
    return Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="W")


def test_a_new_shape_records_again_and_the_old_tape_stays(rng, W):
    fn = lambda x: (x @ W).tanh().sum()  # noqa: E731
    calls = [tensors(rng, [(n, 3)]) for n in (4, 4, 7, 7, 4)]
    step = compare(fn, [W], calls)
    assert (step.recordings, step.replays, len(step.tapes)) == (2, 3, 2)


@pytest.mark.parametrize("change", ["dtype", "requires_grad"])
def test_a_new_dtype_or_flag_records_again(rng, W, change):
    x = Tensor(rng.normal(size=(4, 3)))
    other = Tensor(x.data, dtype=np.float32) if change == "dtype" else Tensor(x.data, requires_grad=True)
    step = compare(lambda x: (x @ W).sigmoid().sum(), [W], [[x], [other], [x], [other]])
    assert (step.recordings, step.replays) == (2, 2)


def test_a_replaced_parameter_array_records_again(rng):
    model = nn.Linear(3, 2, rng=0)
    x = Tensor(rng.normal(size=(4, 3)))
    step = ag.compile(lambda x: model(x).sum())
    step(x)
    model.weight.data = model.weight.data * 2  # a new array: the tape's is no longer the parameter's
    model.weight.grad = None
    loss = step(x)
    assert step.recordings == 2
    assert loss.item() == pytest.approx(float((x.data @ model.weight.data + model.bias.data).sum()))
    np.testing.assert_allclose(model.weight.grad, x.data.sum(axis=0)[:, None].repeat(2, axis=1))


def test_an_optimizer_step_in_place_keeps_the_tape(rng):
    model = nn.Linear(3, 2, rng=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    step = ag.compile(lambda x: (model(x) ** 2).mean())
    x = Tensor(rng.normal(size=(4, 3)))
    for _ in range(5):
        opt.zero_grad()
        step(x)
        opt.step()
    assert (step.recordings, step.replays) == (1, 4)


def test_control_flow_on_values_is_detected_and_records_again(rng, W):
    def fn(x):
        h = x @ W
        if h.sum() > 0:  # a comparison (a node of the tape) read by bool(): a guard
            return (h * 2.0).sum()
        return (h * -3.0).sum()

    up = Tensor(np.abs(rng.normal(size=(4, 3))) * np.sign(W.data.sum(axis=1)))
    calls = [[up], [up], [Tensor(-up.data)], [Tensor(-up.data)], [up]]
    step = compare(fn, [W], calls)
    assert (step.recordings, step.replays) == (3, 2)


def test_item_read_inside_the_step_is_a_guard(rng, W):
    scale = {"calls": 0}

    def fn(x):
        h = (x @ W).sum()
        scale["calls"] += 1
        return h * (2.0 if h.item() > 0 else 3.0)

    x = Tensor(np.abs(rng.normal(size=(4, 3))) * np.sign(W.data.sum(axis=1)))
    step = compare(fn, [W], [[x], [x], [Tensor(-x.data)]])
    assert step.recordings == 2


def test_a_branch_that_keeps_changing_runs_eagerly_with_one_warning(rng, W):
    def fn(x):
        return (x @ W).sum() * (1.0 if (x @ W).sum().item() > 0 else 2.0)

    x = Tensor(np.abs(rng.normal(size=(4, 3))) * np.sign(W.data.sum(axis=1)))
    calls = [[x], [Tensor(-x.data)]] * 4
    with pytest.warns(CompileWarning, match="keeps changing"):
        step = compare(fn, [W], calls)
    assert step.recordings == 3


def test_an_input_whose_values_python_reads_is_guarded_by_value(rng):
    logits = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    loss_fn = nn.CrossEntropyLoss()  # reads the class indices' values to make one-hot rows
    labels = [Tensor(np.array(v, dtype=float)) for v in ([0, 1, 3], [0, 1, 3], [2, 2, 1])]
    step = compare(lambda t: loss_fn(logits * 1.0, t), [logits], [[t] for t in labels])
    assert (step.recordings, step.replays) == (2, 1)


def test_reading_an_intermediate_with_numpy_runs_eagerly(rng, W):
    x = Tensor(rng.normal(size=(4, 3)))
    with pytest.warns(CompileWarning, match=r"has its \.data read"):
        step = compare(lambda x: ((x @ W) * float(np.sign((x @ W).data.sum()))).sum(), [W], [[x], [x]])
    assert step.replays == 0


@pytest.mark.parametrize("body, why", [
    (lambda W, x: (W.retain_grad(), (x @ W).sum())[1], "retain_grad"),
    (lambda W, x: (W.grad, (x @ W).sum() + (W.__setattr__("grad", None) or 0.0))[1], "sets .grad"),
])
def test_what_the_tape_cannot_replay_runs_eagerly(rng, W, body, why):
    x = Tensor(rng.normal(size=(4, 3)))
    with pytest.warns(CompileWarning, match=why):
        step = compare(lambda x: body(W, x), [W], [[x], [x]])
    assert step.replays == 0


def test_backward_inside_the_step_is_refused(rng, W):
    x = Tensor(rng.normal(size=(4, 3)))

    def fn(x):
        loss = (x @ W).sum()
        loss.backward()
        return loss * 1.0

    step = ag.compile(fn)
    with pytest.warns(CompileWarning, match="backward"):
        step(x)
    W.grad = None
    step(x)  # eager: fn's own backward, then the step's
    np.testing.assert_allclose(W.grad, 2 * x.data.sum(axis=0)[:, None].repeat(2, axis=1))


def test_no_grad_outside_records_a_forward_only_tape(rng, W):
    x = Tensor(rng.normal(size=(4, 3)))
    step = ag.compile(lambda x: (x @ W).sigmoid().sum())
    with no_grad():
        a, b = step(x), step(x)
    assert W.grad is None and a.item() == b.item() == pytest.approx(float((1 / (1 + np.exp(-x.data @ W.data))).sum()))
    step(x)
    assert W.grad is not None and step.recordings == 2


def test_no_grad_inside_cuts_the_gradient_as_eager_does(rng, W):
    V = Tensor(rng.normal(size=(2, 2)), requires_grad=True)

    def fn(x):
        with no_grad():
            target = (x @ W).tanh()  # no graph: no gradient to W through here
        return (((x @ W) @ V - target) ** 2).mean()

    step = compare(fn, [W, V], [tensors(rng, [(4, 3)]) for _ in range(3)])
    assert step.replays == 2


def test_detect_anomaly_runs_eagerly(rng, W):
    step = ag.compile(lambda x: (x @ W).log().sum())
    x = Tensor(-np.ones((4, 3)))
    with ag.detect_anomaly(), pytest.raises(RuntimeError, match="detect_anomaly"), pytest.warns(CompileWarning):
        step(x)


class Cube(Function):
    name = "test_cube"

    def forward(self, x):
        return x ** 3

    def backward(self, g, out, x):
        return g * 3 * x * x


def test_an_op_without_a_kernel_runs_its_own_forward_and_backward_with_a_warning(rng, W):
    with pytest.warns(CompileWarning, match="test_cube"):
        step = compare(lambda x: Cube.apply(x @ W).sum(), [W], [tensors(rng, [(4, 3)]) for _ in range(3)])
    assert step.replays == 2


def test_a_composed_op_that_reads_values_is_an_eager_island(rng, W):
    @ag.composed.composed("⌈⌉", "d/dx = [x > 1]", "test op")
    def test_cap(x):  # reads x's values: a mask made from them
        return ag.where(x.data > 1.0, x, 1.0)

    with pytest.warns(CompileWarning, match="test_cap"):
        step = compare(lambda x: test_cap(x @ W).sum(), [W], [tensors(rng, [(4, 3)]) for _ in range(3)])
    assert step.replays == 2


def test_a_composed_op_that_compares_its_input_is_an_eager_island(rng, W):
    @ag.composed.composed("⌊⌋", "d/dx = [x < 0]", "test op")
    def test_floor_at_zero(x):
        return ag.where(x < 0.0, x, 0.0)  # a comparison inside: the mask comes from x's values

    with pytest.warns(CompileWarning, match="test_floor_at_zero"):
        step = compare(lambda x: test_floor_at_zero(x @ W).sum(), [W], [tensors(rng, [(4, 3)]) for _ in range(3)])
    assert step.replays == 2


def test_check_every_finds_state_the_tape_cannot_see(rng, W):
    scale = [1.0]
    step = ag.compile(lambda x: (x @ W).sum() * scale[0], check_every=2)
    x = Tensor(rng.normal(size=(4, 3)))
    step(x)
    step(x)
    scale[0] = 5.0  # a Python number: baked into the tape at recording
    with pytest.warns(CompileWarning, match="differs from an eager run"):
        losses = [step(x).item() for _ in range(3)]
    assert losses[-1] == pytest.approx(5 * float((x.data @ W.data).sum()))


def test_arguments_that_are_not_tensors_are_part_of_the_signature(rng, W):
    step = ag.compile(lambda x, power: ((x @ W) ** power).sum())
    x = Tensor(rng.normal(size=(4, 3)))
    a, b, c = step(x, 2.0), step(x, 3.0), step(x, 2.0)
    assert a.item() == c.item() == pytest.approx(float(((x.data @ W.data) ** 2).sum()))
    assert b.item() == pytest.approx(float(((x.data @ W.data) ** 3).sum()))
    assert (step.recordings, step.replays) == (2, 1)
    with pytest.warns(CompileWarning, match="numpy array"):
        step(x.data, 2.0)


def test_a_check_in_the_loss_still_raises_when_a_replay_would_break_it():
    """BCELoss checks its predictions with tensor ops and bool(): a guard. A call whose
    predictions leave [0, 1] records again, and the eager run raises as it always did."""
    w = Tensor(np.array([1.0]), requires_grad=True)
    step = ag.compile(lambda p: nn.BCELoss()(p * w, Tensor(np.ones((3, 1)))))
    good = Tensor(np.full((3, 1), 0.5))
    step(good)
    step(good)
    assert step.replays == 1
    with pytest.raises(ValueError, match="probabilities in"):
        step(Tensor(np.full((3, 1), 1.5)))


def test_a_compiled_step_inside_another_runs_the_outer_one_eagerly(rng, W):
    inner = ag.compile(lambda x: (x @ W).sum())
    x = Tensor(rng.normal(size=(4, 3)))
    inner(x)
    inner(x)  # the inner one replays: numpy calls the outer recording could not see
    outer = ag.compile(lambda x: inner(x) * 2.0)
    with pytest.warns(CompileWarning, match="compiled step"):
        outer(x)
    assert outer.replays == 0
