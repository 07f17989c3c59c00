"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``."""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, no_grad
from nn.optim.state import checked_state


class Optimizer:
    """Base of the optimizers, as ``torch.optim.Optimizer``.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) each with a
    ``"params"`` list and any settings that differ from the defaults. Subclasses check their
    settings in ``check`` and update one parameter in ``update``.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors (e.g. model.parameters()), "
                            f"got a single Tensor")
        self.defaults = dict(defaults)
        self.check(self.defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def check(self, settings: Mapping[str, Any]) -> None:
        """Raise ValueError for settings out of range (each optimizer adds its own): every number
        must be a finite real number (not a bool, a string, NaN or inf)."""
        for key in ("lr", "initial_lr"):  # initial_lr: set by a scheduler
            value = settings.get(key, 1.0)
            if not is_finite_real(value) or not value > 0:
                raise ValueError(f"{type(self).__name__}: {key} must be a finite number > 0, got {value!r}")
        _at_least(self, settings, "weight_decay", 0.0)
        _at_least(self, settings, "eps", 0.0)

    def state_keys(self, group: Mapping[str, Any]) -> frozenset[str]:
        """The keys of a parameter's state once it has been stepped with ``group``'s settings
        (what ``load_state_dict`` accepts besides an empty state)."""
        return frozenset()

    def add_param_group(self, group: dict[str, Any]) -> None:
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{type(self).__name__}: a parameter group is a dict with a 'params' list")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize Tensors, got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: parameter {p.name or ''} does not require grad")
        if len({id(p) for p in params}) != len(params):
            twice = next(p for i, p in enumerate(params) if any(q is p for q in params[:i]))
            raise ValueError(f"{type(self).__name__}: parameter {twice.name or ''} is given more than once; "
                             f"list each parameter once")
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in known for p in params):
            raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown setting(s) {sorted(unknown)}; "
                             f"allowed: {sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        self.check(full)
        self.param_groups.append(full)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (None by default, as PyTorch; zeros with ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.fill(0.0)  # in place, as PyTorch: backward adds into it

    @no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place (each update bumps the
        parameter's version, so a graph built before the step can no longer be backpropagated)."""
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                self.update_group(group, params)

    def update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """Update the parameters of one group (those with a gradient): one ``update`` each,
        unless an optimizer has a faster way for the whole group."""
        state = self.state
        for p in params:
            self.update(p, p.grad, group, state.setdefault(p, {}))

    def update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]) -> None:
        raise NotImplementedError

    # ---- state -------------------------------------------------------------------------------
    def _params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch's: ``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``,
        parameters numbered in group order; arrays are copies."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore settings and state saved by ``state_dict`` from an optimizer over the same
        parameters. Everything is checked first (the layout, every setting as the constructor
        checks it, each state's keys, types, shapes and finiteness), so a bad state raises one
        ValueError or TypeError and changes nothing."""
        settings, state = checked_state(self, state_dict)
        for group, saved in zip(self.param_groups, settings, strict=True):
            group.update(saved)
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])


def is_finite_real(value: Any) -> bool:
    """A real number that is finite: not a bool, a string, a complex number, NaN or inf."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _at_least(opt: Optimizer, settings: Mapping[str, Any], key: str, low: float) -> None:
    if key in settings and not (is_finite_real(settings[key]) and settings[key] >= low):
        raise ValueError(f"{type(opt).__name__}: {key} must be a finite number >= {low:g}, got {settings[key]!r}")


def check_fraction(opt: Optimizer, name: str, value: Any) -> None:
    """Raise unless 0 <= value < 1 (betas, alpha)."""
    if not is_finite_real(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"{type(opt).__name__}: {name} must be in [0, 1), got {value!r}")


def check_flag(opt: Optimizer, settings: Mapping[str, Any], key: str) -> None:
    """Raise unless the setting is True or False (nesterov, amsgrad, centered)."""
    if not isinstance(settings[key], (bool, np.bool_)):
        raise ValueError(f"{type(opt).__name__}: {key} must be True or False, got {settings[key]!r}")
