"""Loss functions, with PyTorch's reductions: "mean" (default), "sum" or "none"."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor, as_tensor, mse_loss
from nn.module import Module

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; "
                             f"allowed: {', '.join(_REDUCTIONS)}")
        self.reduction = reduction

    def _pair(self, prediction: Any, target: Any) -> tuple[Tensor, Tensor]:
        prediction = as_tensor(prediction)
        target = target if isinstance(target, Tensor) else Tensor(target, dtype=prediction.dtype)
        if prediction.shape != target.shape:
            raise ValueError(f"{type(self).__name__}: prediction has shape {prediction.shape} but target has "
                             f"shape {target.shape}; they must be equal (reshape the target, e.g. y.reshape(-1, 1))")
        return prediction, target

    def _reduce(self, loss: Tensor) -> Tensor:
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """ℓ = (ŷ - y)²;   dℓ/dŷ = 2(ŷ - y) (the engine's ``mse_loss``)."""

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        prediction, target = self._pair(prediction, target)
        return mse_loss(prediction, target, reduction=self.reduction)


class BCELoss(_Loss):
    """ℓ = -[y·ln p + (1 - y)·ln(1 - p)], for probabilities p in [0, 1].

    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 gives a finite loss:
    ln(max(p, e^-100)) = max(ln p, -100). dℓ/dp = (p - y) / (p(1 - p)).
    """

    _floor = math.exp(-100.0)

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        p, y = self._pair(prediction, target)
        if p.size and bool(((p < 0) | (p > 1) | (p != p)).max()):  # tensor ops: a compiled step checks it too
            raise ValueError("BCELoss: predictions must be probabilities in [0, 1] (put a sigmoid before it, "
                             "or use BCEWithLogitsLoss on raw scores)")
        log_p = p.clamp(min=self._floor).log()
        log_q = (1.0 - p).clamp(min=self._floor).log()
        return self._reduce(-(y * log_p + (1.0 - y) * log_q))


class BCEWithLogitsLoss(_Loss):
    """BCE on raw scores x, p = σ(x), in the stable form ℓ = softplus(x) - y·x
    (softplus(x) = ln(1 + e^x), computed without overflow);   dℓ/dx = σ(x) - y."""

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        x, y = self._pair(logits, target)
        return self._reduce(x.softplus() - y * x)


class CrossEntropyLoss(_Loss):
    """ℓ = -Σ_k t_k · log_softmax(x)_k for raw scores x (N, K). The target is either class
    indices (N,) of ints in [0, K), as PyTorch's, or probabilities (N, K).
    dℓ/dx = softmax(x) - t. The log-softmax is the engine's stable one."""

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        x = as_tensor(logits)
        if x.ndim != 2:
            raise ValueError(f"CrossEntropyLoss: expects scores of shape (N, classes), got shape {x.shape}")
        n, k = x.shape
        if isinstance(target, Tensor) and target.shape == (n, k):  # probabilities, used as they are (no copy)
            t = target if target.dtype == x.dtype else target.astype(x.dtype)
        else:
            t = Tensor(self._probabilities(target, n, k), dtype=x.dtype)
        return self._reduce(-(x.log_softmax(axis=1) * t).sum(axis=1))

    @staticmethod
    def _probabilities(target: Any, n: int, k: int) -> np.ndarray:
        """The target as probabilities (n, k): class indices (n,) become one-hot rows."""
        t = target.data if isinstance(target, Tensor) else np.asarray(target)
        if t.shape == (n,):
            if t.dtype.kind == "f" and not np.all(t == np.round(t)):
                raise ValueError("CrossEntropyLoss: class indices must be whole numbers")
            if t.size and (t.min() < 0 or t.max() >= k):
                raise ValueError(f"CrossEntropyLoss: class indices must be in [0, {k}), got values from "
                                 f"{t.min()} to {t.max()}")
            return np.eye(k)[t.astype(np.intp)]
        if t.shape != (n, k):
            raise ValueError(f"CrossEntropyLoss: scores have shape ({n}, {k}), so the target must be class "
                             f"indices of shape ({n},) or probabilities of shape ({n}, {k}); got shape {t.shape}")
        return t
