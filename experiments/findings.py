"""What the report reads off the study's numbers: table cells and sentences, each computed
from the runs it speaks of, so that no sentence can disagree with the tables beside it.

A run that diverged (its loss stopped being finite, ``stopped`` in metrics.json) is called
"diverged" wherever it would otherwise be scored: its last accuracies say nothing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np

from experiments.study import Summary

Rows = Sequence[tuple[str, Summary]]
FULL = "epochs_to_full_accuracy"


# ---- runs ---------------------------------------------------------------------------------------
def diverged(s: Summary) -> list[dict[str, Any]]:
    return [r for r in s.runs if r.get("stopped")]


def finished(s: Summary) -> list[dict[str, Any]]:
    """The runs that did not diverge."""
    return [r for r in s.runs if not r.get("stopped")]


def median_epoch(s: Summary, key: str = FULL) -> int | None:
    """The median epoch at which the runs that got there reached ``key``, None if none did."""
    reached = [r[key] for r in finished(s) if r[key] is not None]
    return int(statistics.median(reached)) if reached else None


def got_there(s: Summary, key: str = FULL) -> int:
    return sum(r[key] is not None for r in finished(s))


def ran_full_budget(s: Summary) -> bool:
    return all(r.get("epochs_run", s.config.epochs) >= s.config.epochs for r in s.runs)


def ms_per_epoch(s: Summary) -> float | None:
    """Mean wall time per epoch run, in milliseconds (runs that stopped early count what ran)."""
    times = [1000 * r["wall_time_seconds"] / r["epochs_run"] for r in finished(s) if r.get("epochs_run")]
    return statistics.mean(times) if times else None


def of_seeds(k: int, s: Summary) -> str:
    return f"{k} of {s.seeds} seeds" if s.seeds > 1 else ("seed 0" if k else "no seed")


# ---- table cells --------------------------------------------------------------------------------
def count(correct: int, total: int) -> str:
    """``20/21 = 95.24%``: a count and its percentage."""
    return f"{correct}/{total} = {100 * correct / total:.2f}%"


def mean_std(s: Summary, which: str) -> str:
    """Mean ± standard deviation over the seeds that did not diverge; "diverged" when none."""
    values = [r[which]["percent"] for r in finished(s)]
    if not values:
        return "diverged"
    text = f"{statistics.mean(values):.2f}%"
    if len(values) > 1:
        text += f" ± {statistics.pstdev(values):.2f}%"
    lost = len(diverged(s))
    return text + (f" ({lost} of {s.seeds} seeds diverged)" if lost else "")


def per_seed(s: Summary, which: str) -> str:
    return ", ".join("diverged" if r.get("stopped") else count(r[which]["correct"], r[which]["total"])
                     for r in s.runs)


def epochs_to(s: Summary, key: str) -> str:
    if not finished(s):
        return "diverged"
    median = median_epoch(s, key)
    if median is None:
        return f"not within {s.config.epochs:,}"
    return f"{median:,}" + (f" (median, {got_there(s, key)}/{s.seeds} seeds)" if s.seeds > 1 else "")


def loss_text(value: float | None, diverged_run: bool = False) -> str:
    if diverged_run:
        return "diverged"
    return "not finite" if value is None or not np.isfinite(value) else f"{value:.3g}"


def final_loss(s: Summary) -> str:
    if not finished(s):
        return "diverged"
    return loss_text(statistics.mean(r["final_loss"] for r in finished(s)))


def epochs_run(s: Summary) -> str:
    """How many epochs ran: one number, or the range over the seeds."""
    ran = sorted(r["epochs_run"] for r in s.runs)
    return f"{ran[0]:,}" if ran[0] == ran[-1] else f"{ran[0]:,} to {ran[-1]:,}"


def budget_caption(summaries: Rows) -> str:
    """"20,000 epochs each", or, when runs stopped early, what "at most" means."""
    budget = summaries[0][1].config.epochs
    if all(ran_full_budget(s) for _, s in summaries):
        return f"{budget:,} epochs each"
    return (f"at most {budget:,} epochs each: a run stops early once it has converged, or when its loss is no "
            f"longer finite (diverged); the epochs-run column says how many ran")


def stop_note(s: Summary) -> str:
    """Seed 0's end, for a caption: "it converged and stopped at epoch 3,329"."""
    run = s.runs[0]
    if run.get("stopped"):
        return f"it diverged: {run['stopped']}"
    if run.get("converged"):
        return f"it converged and stopped at epoch {run['epochs_run']:,}"
    return f"it ran all {run['epochs_run']:,} epochs"


# ---- sentences ------------------------------------------------------------------------------------
def observations(summaries: Rows) -> list[str]:
    """A sweep's facts, as bullets: the best, the fastest, the ones that never got there or
    diverged, and the ones early stopping ended."""
    notes = []
    scored = [(label, statistics.mean(r["test_accuracy"]["percent"] for r in finished(s))) for label, s in summaries
              if finished(s)]
    if scored:
        top = max(v for _, v in scored)
        notes.append(f"Highest test accuracy: {top:.2f}% ({'; '.join(label for label, v in scored if v == top)}).")
    speeds = [(median_epoch(s), label, s) for label, s in summaries if median_epoch(s) is not None]
    if speeds:
        epochs, label, s = min(speeds, key=lambda t: t[0])
        got = got_there(s)
        which = "" if s.seeds == 1 else (" (median)" if got == s.seeds else
                                         f" (median of the {got} of {s.seeds} seeds that got there)")
        notes.append(f"Fastest to classify every training point: {label}, at epoch {epochs:,}{which}.")
    never = [label for label, s in summaries if finished(s) and not got_there(s)]
    if never:
        notes.append(f"Never classified every training point within {summaries[0][1].config.epochs:,} epochs: "
                     f"{'; '.join(never)}.")
    stopped = [f"{label} ({of_seeds(len(diverged(s)), s)}: {diverged(s)[0]['stopped']})" for label, s in summaries
               if diverged(s)]
    if stopped:
        notes.append("Diverged and stopped: " + "; ".join(stopped) + ".")
    converged = [(label, s, [r["epochs_run"] for r in s.runs if r.get("converged")]) for label, s in summaries]
    converged = [f"{label} ({len(at)} of {s.seeds}, median epoch {int(statistics.median(at)):,})"
                 for label, s, at in converged if at]
    if converged:
        notes.append("Converged and stopped early (loss below the stop threshold, or 100% training accuracy held): "
                     + "; ".join(converged) + ".")
    return notes


def reach_text(label: str, s: Summary) -> str:
    """"1,330 with lr = 1 (median, 3 of 3 seeds)", "none within 20,000 epochs with lr = 0.01", ..."""
    if not finished(s):
        return f"none with {label} (diverged)"
    at = median_epoch(s)
    if at is None:
        return f"none within {s.config.epochs:,} epochs with {label}"
    got = got_there(s)
    seeds = "" if s.seeds == 1 else (" (median)" if got == s.seeds else f" (median of the {got} of {s.seeds} "
                                                                         f"seeds that got there)")
    return f"{at:,} with {label}{seeds}"


def speeds(summaries: Rows, dataset: str) -> str:
    """When each setting first classified every training point."""
    return (f"On {dataset}, the epoch by which every training point was classified: "
            + "; ".join(reach_text(label, s) for label, s in summaries) + ".")


def ratio(fast: tuple[str, Summary], slow: tuple[str, Summary]) -> str:
    """How many times the epochs of ``fast`` the setting ``slow`` needed, when both got there."""
    a, b = median_epoch(fast[1]), median_epoch(slow[1])
    if not (a and b):
        return ""
    return f"That is {b / a:.1f} times as many epochs with {slow[0]} as with {fast[0]}."


def stability(summaries: Rows, dataset: str) -> str:
    """Which settings diverged, read off the runs."""
    gone = [f"{label} ({of_seeds(len(diverged(s)), s)})" for label, s in summaries if diverged(s)]
    if not gone:
        return f"On {dataset} none of these runs diverged."
    return f"On {dataset} these diverged: {'; '.join(gone)}."


def time_per_epoch(summaries: Rows, dataset: str) -> str:
    """Whether an epoch got dearer from the first setting to the last, from wall time per epoch run."""
    times = [(label, ms_per_epoch(s)) for label, s in summaries if ms_per_epoch(s) is not None]
    if len(times) < 2:
        return ""
    (first, a), (last, b) = times[0], times[-1]
    if b > 1.15 * a:
        trend = "an epoch cost more with more units"
    elif b < a / 1.15:
        trend = "an epoch cost less with more units"
    else:
        trend = "an epoch cost about the same whatever the width"
    return f"On {dataset} {trend}: {a:.3g} ms with {first}, {b:.3g} ms with {last} (wall time per epoch run)."


def success_counts(summaries: Rows, dataset: str) -> str:
    """On how many seeds each setting classified every training point."""
    parts = [f"{label}: {got_there(s)} of {s.seeds}" if finished(s) else f"{label}: diverged" for label, s in summaries]
    return f"Seeds that classified every training point of {dataset}: {'; '.join(parts)}."


def plateau(s: Summary, level: float = 0.25, near: float = 0.01, below: float = 0.2) -> str:
    """Whether the runs' losses sat near ``level`` (the MSE of answering 0.5 everywhere) before
    they first fell below ``below``, and when they fell."""
    sat, fell = 0, []
    for run in finished(s):
        losses = np.array([np.nan if v is None else v for v in run["losses"]], dtype=float)
        epochs = np.arange(len(losses)) * run["loss_stride"] + 1
        down = np.flatnonzero(losses < below)
        before = losses[: down[0]] if len(down) else losses
        sat += bool(np.any(np.abs(before - level) < near))
        if len(down):
            fell.append(int(epochs[down[0]]))
    n = s.seeds
    where = f"the loss sat near L = {level:g} (the network answering about 0.5 everywhere) in {sat} of {n} runs"
    if not fell:
        return f"{where}, and never fell below {below:g}"
    span = f"epoch {fell[0]:,}" if len(fell) == 1 else f"epochs {min(fell):,} to {max(fell):,}"
    return f"{where}; it first fell below {below:g} at {span} ({len(fell)} of {n} runs)"
