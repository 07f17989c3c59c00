"""Checking an optimizer's saved state before ``load_state_dict`` applies any of it."""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd import Tensor

if TYPE_CHECKING:
    from nn.optim.optimizer import Optimizer


def checked_state(opt: Optimizer, state_dict: Any) -> tuple[list[dict[str, Any]], dict[Tensor, dict[str, Any]]]:
    """The settings of each parameter group and the state of each parameter that
    ``state_dict`` (as ``Optimizer.state_dict`` makes it) holds, checked against ``opt``:
    the same layout, every setting as the constructor checks it, every state entry with the keys
    the optimizer keeps, an integer ``step`` and finite real arrays of the parameter's shape
    (converted to its dtype). Raises ValueError or TypeError, naming what is wrong."""
    where = f"{type(opt).__name__}.load_state_dict"
    if not isinstance(state_dict, Mapping) or not isinstance(state_dict.get("param_groups"), Sequence) \
            or not isinstance(state_dict.get("state"), Mapping):
        raise TypeError(f"{where}: expects a dict with 'state' (a dict) and 'param_groups' (a list), "
                        f"as state_dict() makes, got {_kind(state_dict)}")
    groups = state_dict["param_groups"]
    if len(groups) != len(opt.param_groups):
        raise ValueError(f"{where}: {len(groups)} parameter group(s) saved, this optimizer has {len(opt.param_groups)}")
    settings = [_group_settings(opt, where, i, saved, mine)
                for i, (saved, mine) in enumerate(zip(groups, opt.param_groups, strict=True))]
    owners = _parameters_by_index(where, groups, opt.param_groups, settings)
    state = {}
    for index, entry in state_dict["state"].items():
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or index not in owners:
            raise ValueError(f"{where}: the state of parameter {index!r}: not one of the saved parameter indices "
                             f"(integers, 0 to {len(owners) - 1})")
        param, group = owners[index]
        state[param] = _entry(opt, f"{where}: the state of parameter {index}", entry, param, group)
    return settings, state


def _group_settings(opt: Optimizer, where: str, i: int, saved: Any, mine: dict[str, Any]) -> dict[str, Any]:
    """Group ``i``'s saved settings, checked with the optimizer's own ``check``."""
    if not isinstance(saved, Mapping) or "params" not in saved:
        raise TypeError(f"{where}: saved parameter group {i} must be a dict with a 'params' list, got {_kind(saved)}")
    unknown = set(saved) - set(opt.defaults) - {"params", "initial_lr"}
    if unknown:
        raise ValueError(f"{where}: saved parameter group {i} has unknown setting(s) {sorted(unknown, key=str)}; "
                         f"allowed: {sorted(opt.defaults)}")
    settings = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
    if "betas" in settings and isinstance(settings["betas"], list):
        settings["betas"] = tuple(settings["betas"])
    try:
        opt.check({**mine, **settings})
    except (ValueError, TypeError) as err:
        message = str(err).removeprefix(f"{type(opt).__name__}: ")
        raise ValueError(f"{where}: saved parameter group {i}: {message}") from None
    return settings


def _parameters_by_index(where: str, groups: Sequence[Any], mine: list[dict[str, Any]],
                         settings: list[dict[str, Any]]) -> dict[int, tuple[Tensor, dict[str, Any]]]:
    """Saved parameter index -> (this optimizer's parameter in that place, its group's settings
    after the load), as PyTorch pairs them: in order, group by group."""
    owners: dict[int, tuple[Tensor, dict[str, Any]]] = {}
    for i, (saved, group, new) in enumerate(zip(groups, mine, settings, strict=True)):
        indices = saved["params"]
        if isinstance(indices, (str, bytes)) or not isinstance(indices, Sequence):
            raise TypeError(f"{where}: saved parameter group {i}: 'params' must be a list of indices, "
                            f"got {_kind(indices)}")
        if len(indices) != len(group["params"]):
            raise ValueError(f"{where}: a saved group has {len(indices)} parameters, this one has "
                             f"{len(group['params'])}")
        for index, param in zip(indices, group["params"], strict=True):
            if isinstance(index, bool) or not isinstance(index, numbers.Integral) or index in owners:
                raise ValueError(f"{where}: saved parameter group {i}: 'params' must hold distinct integer "
                                 f"indices, got {index!r}")
            owners[int(index)] = (param, {**group, **new})
    return owners


def _entry(opt: Optimizer, where: str, entry: Any, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
    """One parameter's saved state, checked and copied (arrays in the parameter's dtype)."""
    if not isinstance(entry, Mapping):
        raise TypeError(f"{where} must be a dict, got {_kind(entry)}")
    if not entry:
        return {}
    expected = opt.state_keys(group)
    if set(entry) != expected:
        raise ValueError(f"{where} has keys {sorted(entry, key=str)}; {type(opt).__name__} with these settings "
                         f"keeps {sorted(expected)}")
    checked: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "step":
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{where}: 'step' must be an integer >= 0, got {value!r}")
            checked[key] = int(value)
        elif not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
            raise TypeError(f"{where}: {key!r} must be an array of real numbers, got {_kind(value)}")
        elif value.shape != param.shape:
            raise ValueError(f"{where}: {key!r} has shape {value.shape}, the parameter has shape {param.shape}")
        elif not np.isfinite(value).all():
            raise ValueError(f"{where}: {key!r} holds NaN or infinite values")
        else:
            checked[key] = value.astype(param.data.dtype, copy=True)
    return checked


def _kind(value: Any) -> str:
    """What a value is, for a message: its type, and for arrays their dtype."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    return type(value).__name__
