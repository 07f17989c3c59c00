"""Bad optimizer states and settings are refused with one line, before anything changes."""

import copy

import numpy as np
import pytest

import nn
from nn import optim


def stepped(factory, steps=2):
    """An optimizer over two parameters after ``steps`` steps on the sum of squares."""
    params = [nn.Parameter(np.array([1.0, -2.0])), nn.Parameter(np.array([[0.5]]))]
    opt = factory(params)
    for _ in range(steps):
        opt.zero_grad()
        ((params[0] * params[0]).sum() + (params[1] * params[1]).sum()).backward()
        opt.step()
    return opt, params


def adam(params):
    return optim.Adam(params, lr=0.1)


def spoil(change):
    """An Adam state dict after two steps, with ``change`` applied to it."""
    state = copy.deepcopy(stepped(adam)[0].state_dict())
    change(state)
    return state


def setting(key, value):
    return lambda s: s["param_groups"][0].__setitem__(key, value)


def entry(key, value, index=0):
    return lambda s: s["state"][index].__setitem__(key, value)


def both(*changes):
    def apply(s):
        for change in changes:
            change(s)
    return apply


BAD = [
    (setting("lr", -1), ValueError, r"saved parameter group 0: lr must be a finite number > 0, got -1$"),
    (setting("lr", float("nan")), ValueError, "lr must be a finite number > 0, got nan"),
    (setting("lr", float("inf")), ValueError, "lr must be a finite number > 0, got inf"),
    (setting("lr", "0.1"), ValueError, "lr must be a finite number > 0, got '0.1'"),
    (setting("lr", True), ValueError, "lr must be a finite number > 0, got True"),
    (setting("betas", (0.9,)), ValueError, r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
    (setting("betas", (1.5, 0.999)), ValueError, r"beta1 must be in \[0, 1\), got 1.5"),
    (setting("betas", "ab"), ValueError, "betas must be a pair"),
    (setting("eps", -1e-8), ValueError, "eps must be a finite number >= 0"),
    (setting("amsgrad", "yes"), ValueError, "amsgrad must be True or False, got 'yes'"),
    (setting("speed", 3), ValueError, r"unknown setting\(s\) \['speed'\]"),
    (lambda s: s["param_groups"][0].pop("params"), TypeError, "saved parameter group 0 must be a dict with a 'params'"),
    (setting("params", [0, 0]), ValueError, "'params' must hold distinct integer indices, got 0"),
    (setting("params", "01"), TypeError, "'params' must be a list of indices, got str"),
    (entry("exp_avg", np.zeros(2, dtype=complex)), TypeError,
     "parameter 0: 'exp_avg' must be an array of real numbers, got an array of dtype complex128"),
    (entry("exp_avg", np.array([np.nan, 0.0])), ValueError, "parameter 0: 'exp_avg' holds NaN or infinite values"),
    (entry("exp_avg", [0.0, 0.0]), TypeError, "'exp_avg' must be an array of real numbers, got list"),
    (entry("exp_avg", np.zeros(3)), ValueError, r"'exp_avg' has shape \(3,\), the parameter has shape \(2,\)"),
    (entry("step", "2"), ValueError, "'step' must be an integer >= 0, got '2'"),
    (entry("step", -1), ValueError, "'step' must be an integer >= 0, got -1"),
    (lambda s: s["state"][0].pop("exp_avg_sq"), ValueError,
     r"parameter 0 has keys \['exp_avg', 'step'\]; Adam with these settings keeps \['exp_avg', 'exp_avg_sq', 'step'\]"),
    (lambda s: s["state"].__setitem__("zero", s["state"].pop(0)), ValueError,
     "the state of parameter 'zero': not one of the saved parameter indices"),
    (lambda s: s["state"].__setitem__(0.5, s["state"].pop(0)), ValueError, "the state of parameter 0.5: not one"),
    (lambda s: s["state"].__setitem__(7, s["state"].pop(0)), ValueError, "the state of parameter 7: not one"),
    (lambda s: s["state"].__setitem__(0, None), TypeError, "the state of parameter 0 must be a dict, got NoneType"),
    (lambda s: s.__setitem__("state", None), TypeError, "expects a dict with 'state'"),
    (lambda s: s.__setitem__("param_groups", {}), TypeError, "expects a dict with 'state'"),
    # a good lr beside a bad state: the lr must not have been applied when the state is refused
    (both(setting("lr", 123.0), entry(1, "x", index=1)), ValueError, "the state of parameter 1 has keys"),
    (both(setting("lr", 123.0), entry("exp_avg", None, index=1)), TypeError, "'exp_avg' must be an array"),
]


@pytest.mark.parametrize("change, kind, words", BAD)
def test_a_bad_state_is_refused_in_one_line_and_changes_nothing(change, kind, words):
    opt, params = stepped(adam)
    before_groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    before_state = {id(p): copy.deepcopy(s) for p, s in opt.state.items()}
    bad = spoil(change)
    with pytest.raises(kind, match=words) as info:
        opt.load_state_dict(bad)
    assert "\n" not in str(info.value) and str(info.value).startswith("Adam.load_state_dict: ")
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == before_groups
    assert {id(p) for p in opt.state} == before_state.keys()
    for p in params:
        assert opt.state[p].keys() == before_state[id(p)].keys()
        for key, value in before_state[id(p)].items():
            assert np.array_equal(opt.state[p][key], value)
    opt.step()  # still steps, to finite values
    assert all(np.isfinite(p.data).all() for p in params)


@pytest.mark.parametrize("factory", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
])
def test_good_states_still_load_even_with_lists_for_tuples(factory):
    opt, _ = stepped(factory)
    saved = opt.state_dict()
    if "betas" in saved["param_groups"][0]:
        saved["param_groups"][0]["betas"] = list(saved["param_groups"][0]["betas"])  # as JSON would give it
    fresh, _ = stepped(factory, steps=0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0].get("betas", ()) == tuple(saved["param_groups"][0].get("betas", ()))
    assert {k: sorted(v) for k, v in fresh.state_dict()["state"].items()} == \
        {k: sorted(v) for k, v in saved["state"].items()}


def test_loaded_arrays_take_the_parameters_dtype_and_are_copies():
    opt, _ = stepped(adam)
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"] = saved["state"][0]["exp_avg"].astype(np.float32)
    fresh, params = stepped(adam, steps=0)
    fresh.load_state_dict(saved)
    loaded = fresh.state[params[0]]["exp_avg"]
    assert loaded.dtype == np.float64 and not np.shares_memory(loaded, saved["state"][0]["exp_avg"])


@pytest.mark.parametrize("make, words", [
    (lambda p: optim.SGD(p, lr=float("inf")), "lr must be a finite number > 0, got inf"),
    (lambda p: optim.SGD(p, lr=float("nan")), "lr must be a finite number > 0, got nan"),
    (lambda p: optim.SGD(p, lr="0.1"), "lr must be a finite number > 0, got '0.1'"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=float("inf")), "momentum must be a finite number >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum="0.9"), "momentum must be a finite number >= 0, got '0.9'"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov="yes"), "nesterov must be True or False"),
    (lambda p: optim.Adam(p, betas=(0.9, float("nan"))), r"beta2 must be in \[0, 1\), got nan"),
    (lambda p: optim.Adam(p, betas=0.9), "betas must be a pair"),
    (lambda p: optim.RMSprop(p, alpha=complex(0.5, 1)), r"alpha must be in \[0, 1\)"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=float("inf")), "initial_accumulator_value must be a finite"),
    (lambda p: optim.SGD([p[0], p[0]], lr=0.1), "parameter w is given more than once; list each parameter once"),
    (lambda p: optim.SGD([{"params": [p[0]]}, {"params": [p[0]]}], lr=0.1), "appears in more than one group"),
])
def test_impossible_settings_and_repeated_parameters_are_refused(make, words):
    with pytest.raises(ValueError, match=words):
        make([nn.Parameter(np.ones(2), name="w")])
