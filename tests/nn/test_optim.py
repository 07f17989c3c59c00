"""Optimizers and schedulers: hand-computed steps on f(θ) = θ²/2 (so g = θ), settings
checks, state dicts, and trajectories that agree with torch.optim to 1e-10."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import optim


def run(opt_factory, steps, theta0=1.0):
    """θ after each of ``steps`` steps on f(θ) = θ²/2."""
    theta = nn.Parameter(np.array([theta0]))
    opt = opt_factory([theta])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (theta * theta * 0.5).sum().backward()
        opt.step()
        out.append(theta.data[0])
    return out


def test_sgd_is_theta_minus_lr_grad():
    assert run(lambda p: optim.SGD(p, lr=0.1), 3) == pytest.approx([0.9, 0.81, 0.729], abs=1e-15)


def test_sgd_momentum_by_hand():
    # b1 = g1 = 1 → θ = 0.9;  g2 = 0.9, b2 = 0.9·1 + 0.9 = 1.8 → θ = 0.72;
    # g3 = 0.72, b3 = 0.9·1.8 + 0.72 = 2.34 → θ = 0.486
    assert run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9), 3) == pytest.approx([0.9, 0.72, 0.486], abs=1e-15)


def test_sgd_nesterov_by_hand():
    # step 1: b = 1, d = g + μb = 1.9 → θ = 0.81;  step 2: g = 0.81, b = 0.9 + 0.81 = 1.71,
    # d = 0.81 + 0.9·1.71 = 2.349 → θ = 0.5751
    assert run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), 2) == pytest.approx([0.81, 0.5751])


def test_sgd_weight_decay_adds_lambda_theta():
    # g = θ + 0.5θ = 1.5θ: θ ← θ(1 - 0.15)
    assert run(lambda p: optim.SGD(p, lr=0.1, weight_decay=0.5), 2) == pytest.approx([0.85, 0.7225])


def test_adagrad_by_hand():
    s1 = 1.0
    t1 = 1.0 - 0.1 * 1.0 / (math.sqrt(s1) + 1e-10)
    s2 = s1 + t1**2
    t2 = t1 - 0.1 * t1 / (math.sqrt(s2) + 1e-10)
    assert run(lambda p: optim.Adagrad(p, lr=0.1), 2) == pytest.approx([t1, t2], abs=1e-15)


def test_rmsprop_by_hand():
    v1 = 0.01 * 1.0
    t1 = 1.0 - 0.01 * 1.0 / (math.sqrt(v1) + 1e-8)
    v2 = 0.99 * v1 + 0.01 * t1**2
    t2 = t1 - 0.01 * t1 / (math.sqrt(v2) + 1e-8)
    assert run(lambda p: optim.RMSprop(p, lr=0.01), 2) == pytest.approx([t1, t2], abs=1e-15)


def test_adam_bias_correction_makes_the_first_step_lr_whatever_the_gradient_scale():
    for theta0 in (1.0, 1e-3, 1e3):
        first = run(lambda p: optim.Adam(p, lr=0.1), 1, theta0=theta0)[0]
        assert theta0 - first == pytest.approx(0.1, rel=1e-4)  # up to ε = 1e-8 against √v̂ = |g|


def test_adam_two_steps_by_hand():
    m1, v1 = 0.1, 0.001
    t1 = 1.0 - 0.1 * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + 1e-8)
    m2 = 0.9 * m1 + 0.1 * t1
    v2 = 0.999 * v1 + 0.001 * t1**2
    t2 = t1 - 0.1 * (m2 / (1 - 0.9**2)) / (math.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    assert run(lambda p: optim.Adam(p, lr=0.1), 2) == pytest.approx([t1, t2], abs=1e-14)


@pytest.mark.parametrize("make, words", [
    (lambda p: optim.SGD(p, lr=0), "lr must be a finite number > 0, got 0"),
    (lambda p: optim.SGD(p, lr=-0.1), "lr must be a finite number > 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "momentum must be a finite number >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay must be a finite number >= 0"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), r"beta1 must be in \[0, 1\), got 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"beta2 must be in \[0, 1\)"),
    (lambda p: optim.Adam(p, eps=-1e-8), "eps must be a finite number >= 0"),
    (lambda p: optim.RMSprop(p, alpha=1.5), r"alpha must be in \[0, 1\)"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay must be a finite number >= 0"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: optim.SGD([{"params": p, "lr": 0.1, "speed": 3}], lr=0.1), r"unknown setting\(s\) \['speed'\]"),
    (lambda p: optim.SGD([{"params": p, "lr": -1.0}], lr=0.1), "lr must be a finite number > 0, got -1.0"),
])
def test_out_of_range_settings_are_refused(make, words):
    with pytest.raises(ValueError, match=words):
        make([nn.Parameter(np.ones(2))])


def test_optimizer_input_errors():
    with pytest.raises(TypeError, match="got a single Tensor"):
        optim.SGD(nn.Parameter(np.ones(2)), lr=0.1)
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([Tensor(np.ones(2))], lr=0.1)


def test_parameter_groups_have_their_own_settings():
    a, b = nn.Parameter(np.array([1.0])), nn.Parameter(np.array([1.0]))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a * 1 + b * 1).sum().backward()
    opt.step()
    assert (a.data[0], b.data[0]) == (pytest.approx(0.9), pytest.approx(0.5))


def test_zero_grad_to_none_or_zeros():
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("factory", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.Adagrad(p, lr=0.1),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: optim.Adam(p, lr=0.1),
])
def test_state_dict_round_trip_resumes_the_same_trajectory(factory):
    def setup():
        theta = nn.Parameter(np.array([1.0, -2.0]))
        return theta, factory([theta])

    def one_step(theta, opt):
        opt.zero_grad()
        (theta * theta).sum().backward()
        opt.step()

    theta, opt = setup()
    for _ in range(3):
        one_step(theta, opt)
    saved_theta, saved = theta.data.copy(), opt.state_dict()
    assert all(isinstance(v, np.ndarray) for s in saved["state"].values() for v in s.values()
               if not isinstance(v, int))
    one_step(theta, opt)
    expected = theta.data.copy()

    theta2, opt2 = setup()
    theta2.data[...] = saved_theta
    opt2.load_state_dict(saved)
    one_step(theta2, opt2)
    assert np.array_equal(theta2.data, expected)
    for s in saved["state"].values():  # a copy: stepping did not change what was saved
        for v in s.values():
            if isinstance(v, np.ndarray):
                assert not np.shares_memory(v, opt.state[theta].get("exp_avg", np.zeros(1)))


def test_load_state_dict_refuses_a_different_optimizer_layout():
    a = optim.Adam([nn.Parameter(np.ones(2))])
    b = optim.Adam([nn.Parameter(np.ones(3))])
    p = a.param_groups[0]["params"][0]
    p.grad = np.ones(2)
    a.step()
    with pytest.raises(ValueError, match=r"parameter 0: 'exp_avg' has shape \(2,\), the parameter has shape \(3,\)"):
        b.load_state_dict(a.state_dict())
    c = optim.Adam([nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))])
    with pytest.raises(ValueError, match="saved group has 1 parameters, this one has 2"):
        c.load_state_dict(a.state_dict())


def test_step_lr_and_exponential_lr_sequences():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    lrs = [sched.get_last_lr()]
    for _ in range(5):
        sched.step()
        lrs.append(sched.get_last_lr())
    assert lrs == [[1.0], [1.0], [0.5], [0.5], [0.25], [0.25]]
    opt = optim.SGD([{"params": [nn.Parameter(np.ones(1))]}, {"params": [nn.Parameter(np.ones(1))], "lr": 0.1}], lr=1)
    sched = optim.ExponentialLR(opt, gamma=0.5)
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [0.25, 0.025] and all(isinstance(v, float) for v in sched.get_last_lr())
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        optim.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="gamma must be a number > 0"):
        optim.ExponentialLR(opt, gamma=-1)


REFERENCE = json.loads((Path(__file__).parent / "data/torch_optim_reference.json").read_text())


@pytest.mark.parametrize("case", sorted(REFERENCE["optimizers"]))
def test_trajectories_agree_with_torch_optim(case):
    spec = REFERENCE["optimizers"][case]
    rng = np.random.default_rng(REFERENCE["problem_seed"])
    data = {k: rng.normal(size=s) for k, s in {"X": (6, 3), "Y": (6, 2), "W": (3, 2), "b": (2,)}.items()}
    W, b = nn.Parameter(data["W"]), nn.Parameter(data["b"])
    X, Y = Tensor(data["X"]), Tensor(data["Y"])
    opt = getattr(optim, spec["class"])([W, b], **spec["kwargs"])
    for step, expected in enumerate(spec["trajectory"]):
        opt.zero_grad()
        (((X @ W + b - Y) ** 2).mean() + 0.01 * (W**4).sum()).backward()
        opt.step()
        np.testing.assert_allclose(W.data, expected["W"], rtol=0, atol=1e-10, err_msg=f"{case}, step {step + 1}")
        np.testing.assert_allclose(b.data, expected["b"], rtol=0, atol=1e-10, err_msg=f"{case}, step {step + 1}")


@pytest.mark.parametrize("case", sorted(REFERENCE["schedulers"]))
def test_scheduler_lrs_agree_with_torch(case):
    spec = REFERENCE["schedulers"][case]
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    sched = getattr(optim, spec["class"])(opt, **spec["kwargs"])
    lrs = [sched.get_last_lr()[0]]
    for _ in range(10):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == spec["lrs"]  # bit for bit


def test_zero_grad_without_none_zeroes_the_same_array_and_backward_adds_into_it():
    w = Tensor(np.ones(3), requires_grad=True)
    opt = nn.optim.SGD([w], lr=0.1)
    (w * 2.0).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and not grad.any()
    (w * 3.0).sum().backward()
    assert w.grad is grad
    np.testing.assert_array_equal(grad, [3.0, 3.0, 3.0])
