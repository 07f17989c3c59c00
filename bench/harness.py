"""Time several implementations of one workload side by side.

Machines here are noisy, so no absolute time is a target: the contenders run interleaved,
round after round, and what is reported is each one's median time and its ratio to the
first (the reference), measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def compare(title: str, contenders: dict[str, Callable[[], object]], *, number: int, rounds: int = 7,
            unit: str = "step") -> dict[str, float]:
    """Run each contender ``number`` times per round, interleaved over ``rounds`` rounds; print
    and return the median seconds per call of each."""
    for fn in contenders.values():  # warm up: imports, caches, first allocations
        for _ in range(max(1, number // 10)):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - start) / number)
    medians = {name: statistics.median(s) for name, s in samples.items()}
    reference = next(iter(medians))
    print(f"\n{title}")
    print(f"  {'':28s} {'median per ' + unit:>18s}   ratio to {reference}")
    for name, value in medians.items():
        print(f"  {name:28s} {value * 1e6:15.1f} µs   {value / medians[reference]:6.2f}×")
    return medians


def training_step(model: object, loss_fn: object, opt: object, X: object, y: object) -> Callable[[], None]:
    """One forward, backward and update of a chainrule model, as a closure to time."""
    def step() -> None:
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step
