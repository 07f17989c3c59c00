"""Stochastic gradient descent, with momentum and Nesterov momentum (torch.optim.SGD's rule)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.optimizer import Optimizer, _at_least, check_flag


class SGD(Optimizer):
    """θ ← θ - lr·d, where, with g = ∇L(θ) + λθ (weight decay λ):

    * without momentum: d = g (the lab's θ ← θ - ρ∇L(θ));
    * with momentum μ: b₁ = g₁, then b_t = μ·b_{t-1} + (1 - dampening)·g_t, and d = b_t,
      or d = g_t + μ·b_t with ``nesterov=True``.
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, dampening: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "nesterov": nesterov,
                                  "weight_decay": weight_decay, "dampening": dampening})

    def check(self, settings: Mapping[str, Any]) -> None:
        super().check(settings)
        _at_least(self, settings, "momentum", 0.0)
        _at_least(self, settings, "dampening", 0.0)
        check_flag(self, settings, "nesterov")
        if settings["nesterov"] and (settings["momentum"] <= 0 or settings["dampening"] != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")

    def state_keys(self, group: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"momentum_buffer"} if group["momentum"] else ())

    def update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        if group["momentum"] or group["weight_decay"]:
            super().update_group(group, params)
            return
        rates: dict[np.dtype, np.ndarray] = {}  # lr as a 0-d array, converted once per dtype, not per parameter
        for p in params:
            data = p.data
            rate = rates.get(data.dtype)
            if rate is None:
                rate = rates[data.dtype] = np.array(group["lr"], dtype=data.dtype)
            p.sub_(p.grad * rate)  # the lab's θ ← θ - ρ∇L(θ), in place

    def update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]) -> None:
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            buf = g.copy() if buf is None else mu * buf + (1.0 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + mu * buf if group["nesterov"] else buf
        p.sub_(group["lr"] * g)
