"""Learning-rate schedulers: StepLR and ExponentialLR (torch.optim.lr_scheduler's rules)."""

from __future__ import annotations

from typing import Any

from nn.optim.optimizer import Optimizer


class LRScheduler:
    """Sets each parameter group's ``lr`` once per ``step()`` call (usually once per epoch).

    As PyTorch: building it counts as step 0, and the new lr is computed from the group's
    current lr (chainable), so the numbers match torch's to the last bit.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expects an optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def factor(self) -> float:
        """What this step multiplies the lr by."""
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        factor = self.factor()
        for group in self.optimizer.param_groups:
            if factor != 1.0:
                group["lr"] = group["lr"] * factor
        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group after the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


def _positive(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{owner}: {name} must be a number > 0, got {value!r}")


class StepLR(LRScheduler):
    """lr_epoch = lr_0 · γ^⌊epoch / step_size⌋: multiply by γ every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, int) or isinstance(step_size, bool) or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        _positive("StepLR", "gamma", gamma)
        self.step_size, self.gamma = step_size, float(gamma)
        super().__init__(optimizer)

    def factor(self) -> float:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return 1.0
        return self.gamma


class ExponentialLR(LRScheduler):
    """lr_epoch = lr_0 · γ^epoch: multiply by γ every step."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        _positive("ExponentialLR", "gamma", gamma)
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def factor(self) -> float:
        return 1.0 if self.last_epoch == 0 else self.gamma
