"""Adam (torch.optim.Adam's rule)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.optimizer import Optimizer, check_flag, check_fraction


class Adam(Optimizer):
    """With g = ∇L(θ) + λθ and step t:

        m ← β1·m + (1 - β1)·g,   v ← β2·v + (1 - β2)·g²
        m̂ = m / (1 - β1^t),      v̂ = v / (1 - β2^t)          (bias correction)
        θ ← θ - lr·m̂ / (√v̂ + ε)

    With ``amsgrad``, the running maximum of v is used in place of v.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        pair = tuple(betas) if isinstance(betas, (list, tuple)) else betas  # anything else: check() says what is wrong
        super().__init__(params, {"lr": lr, "betas": pair, "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad})

    def check(self, settings: Mapping[str, Any]) -> None:
        super().check(settings)
        betas = settings["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        check_fraction(self, "beta1", betas[0])
        check_fraction(self, "beta2", betas[1])
        check_flag(self, settings, "amsgrad")

    def state_keys(self, group: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set()))

    def update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        m = state["exp_avg"] = state["exp_avg"] + (1.0 - beta1) * (g - state["exp_avg"])
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        step_size = group["lr"] / (1.0 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - beta2**t) + group["eps"]
        p.sub_(step_size * m / denom)
