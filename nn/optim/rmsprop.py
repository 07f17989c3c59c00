"""RMSprop (torch.optim.RMSprop's rule)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.optimizer import Optimizer, _at_least, check_flag, check_fraction


class RMSprop(Optimizer):
    """v ← α·v + (1 - α)·g²;  θ ← θ - lr·g / (√v + ε), with g = ∇L(θ) + λθ.

    With momentum μ: b ← μ·b + g / (√v + ε), θ ← θ - lr·b. ``centered`` divides by the
    estimated standard deviation √(v - ḡ²) instead, ḡ being the running mean of g.
    """

    def __init__(self, params: Iterable[Any], lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, weight_decay: float = 0.0, centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "momentum": momentum,
                                  "weight_decay": weight_decay, "centered": centered})

    def check(self, settings: Mapping[str, Any]) -> None:
        super().check(settings)
        check_fraction(self, "alpha", settings["alpha"])
        _at_least(self, settings, "momentum", 0.0)
        check_flag(self, settings, "centered")

    def state_keys(self, group: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"step", "square_avg"} | ({"momentum_buffer"} if group["momentum"] > 0 else set())
                         | ({"grad_avg"} if group["centered"] else set()))

    def update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]) -> None:
        alpha = group["alpha"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        state["square_avg"] = alpha * state["square_avg"] + (1.0 - alpha) * g * g
        if group["centered"]:
            state["grad_avg"] = state["grad_avg"] + (1.0 - alpha) * (g - state["grad_avg"])
            avg = np.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + group["eps"]
        else:
            avg = np.sqrt(state["square_avg"]) + group["eps"]
        if group["momentum"] > 0:
            state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + g / avg
            p.sub_(group["lr"] * state["momentum_buffer"])
        else:
            p.sub_(group["lr"] * g / avg)
