"""Adagrad (torch.optim.Adagrad's rule)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.optimizer import Optimizer, _at_least


class Adagrad(Optimizer):
    """s ← s + g²;  θ ← θ - lr_t·g / (√s + ε), with g = ∇L(θ) + λθ and
    lr_t = lr / (1 + (t - 1)·lr_decay). Each weight's step shrinks as its gradients add up."""

    def __init__(self, params: Iterable[Any], lr: float = 0.01, eps: float = 1e-10, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "eps": eps, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value})

    def check(self, settings: Mapping[str, Any]) -> None:
        super().check(settings)
        _at_least(self, settings, "lr_decay", 0.0)
        _at_least(self, settings, "initial_accumulator_value", 0.0)

    def state_keys(self, group: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"step", "sum"})

    def update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        lr = group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] = state["sum"] + g * g
        p.sub_(lr * g / (np.sqrt(state["sum"]) + group["eps"]))
