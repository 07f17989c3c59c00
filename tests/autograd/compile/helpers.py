"""Run a step eagerly and compiled on the same inputs and compare everything it produces."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import autograd
from autograd import Tensor


def eager_step(fn: Callable, *inputs: Tensor) -> Tensor:
    """What a compiled step does, done by the eager engine: the loss, then its backward pass."""
    loss = fn(*inputs)
    loss = loss[0] if isinstance(loss, (tuple, list)) else loss
    if loss.requires_grad:
        loss.backward()
    return loss


def compare(fn: Callable, leaves: Sequence[Tensor], calls: Sequence[Sequence[Tensor]]) -> autograd.compile.CompiledStep:
    """Call ``fn`` eagerly and through ``autograd.compile`` on each argument list of ``calls``
    (fresh ``.grad`` each time) and assert that the losses and every gradient are equal bit for
    bit (NaN equal to NaN), with the same dtypes and shapes. Returns the compiled step."""
    step = autograd.compile(fn)
    for inputs in calls:
        want = _run(lambda *xs: eager_step(fn, *xs), leaves, inputs)
        got = _run(step, leaves, inputs)
        for name, a, b in zip(("loss", *(f"grad {i}" for i in range(len(want) - 1))), want, got, strict=True):
            assert (a is None) == (b is None), name
            if a is not None:
                assert a.dtype == b.dtype and a.shape == b.shape, (name, a.dtype, b.dtype, a.shape, b.shape)
                assert np.array_equal(a, b, equal_nan=True), (name, np.max(np.abs(a - b)))
    return step


def _run(fn: Callable, leaves: Sequence[Tensor], inputs: Sequence[Tensor]) -> list[np.ndarray | None]:
    everyone = [*leaves, *inputs]
    for t in everyone:
        t.grad = None
    loss = fn(*inputs)
    loss = loss[0] if isinstance(loss, (tuple, list)) else loss
    return [loss.data.copy()] + [None if t.grad is None else t.grad.copy() for t in everyone]


def tensors(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]], dtype: type = np.float64,
            requires_grad: bool = False, names: str = "") -> list[Tensor]:
    return [Tensor(rng.normal(size=s), dtype=dtype, requires_grad=requires_grad, name=(names[i] if names else None))
            for i, s in enumerate(shapes)]
