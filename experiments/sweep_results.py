"""A sweep's tables: one row per cell (mean ± std over its seeds) as Markdown, HTML and CSV,
and one row per run as CSV."""

from __future__ import annotations

import csv
import io
import math
import statistics
from typing import Any

from experiments.grid import Grid
from experiments.study import Summary

Results = list[tuple[tuple[str, ...], Summary]]


def _stats(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


def cell_numbers(summary: Summary) -> dict[str, Any]:
    """A cell's numbers over its seeds. A run whose loss became NaN or inf counts as diverged and
    is left out of the final loss (it has none)."""
    losses = [r["final_loss"] for r in summary.runs if r["final_loss"] is not None]
    loss_mean, loss_std = _stats(losses) if losses else (math.nan, math.nan)
    train_mean, train_std = summary.mean_std("train_accuracy")
    test_mean, test_std = summary.mean_std("test_accuracy")
    reached = summary.reached("epochs_to_full_accuracy")
    return {"seeds": summary.seeds, "final_loss_mean": loss_mean, "final_loss_std": loss_std,
            "diverged": summary.seeds - len(losses),
            "train_accuracy_mean": train_mean, "train_accuracy_std": train_std,
            "test_accuracy_mean": test_mean, "test_accuracy_std": test_std,
            "epochs_to_full_accuracy_median": statistics.median(reached) if reached else math.nan,
            "seeds_reaching_full_accuracy": len(reached), "wall_time_mean_seconds": summary.wall_time()}


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if isinstance(v, float) and math.isnan(v) else v for v in row] for row in rows])
    return buffer.getvalue()


def results_csv(grid: Grid, results: Results) -> str:
    """One row per cell: the varied options' values, then the numbers of ``cell_numbers``."""
    varied = [k for k, a in enumerate(grid.axes) if len(a.values) > 1]
    rows = []
    for values, summary in results:
        numbers = cell_numbers(summary)
        rows.append([values[k] for k in varied] + list(numbers.values()))
    numbers_header = list(cell_numbers(results[0][1]))
    return csv_text([grid.axes[k].name for k in varied] + numbers_header, rows)


def runs_csv(grid: Grid, results: Results) -> str:
    """One row per run: every option of the grid, the seed, and the run's own numbers."""
    header = [a.name for a in grid.axes] + ["seed", "final_loss", "train_accuracy", "test_accuracy",
                                            "epochs_to_full_accuracy", "epochs_run", "stopped", "converged",
                                            "wall_time_seconds"]
    rows = []
    for values, summary in results:
        for r in summary.runs:
            rows.append([*(v or "set" for v in values), r["seed"], r["final_loss"], r["train_accuracy"]["percent"],
                         r["test_accuracy"]["percent"], r["epochs_to_full_accuracy"], r["epochs_run"],
                         r["stopped"] or "", r.get("converged") or "", r["wall_time_seconds"]])
    return csv_text(header, [["" if v is None else v for v in row] for row in rows])


def table_rows(grid: Grid, results: Results) -> tuple[list[str], list[list[str]]]:
    """The Markdown table: the varied options, then final loss, accuracies (mean ± std),
    epochs to 100% training accuracy (median over the seeds that got there) and wall time."""
    varied = [k for k, a in enumerate(grid.axes) if len(a.values) > 1]
    headers = [grid.axes[k].name for k in varied] + ["final loss", "train accuracy", "test accuracy",
                                                      "epochs to 100% train", "wall time"]
    rows = []
    for values, summary in results:
        n = cell_numbers(summary)
        seeds = n["seeds"]
        loss = "diverged" if n["diverged"] == seeds else _pm(n["final_loss_mean"], n["final_loss_std"], ".3g", seeds)
        if 0 < n["diverged"] < seeds:
            loss += f" ({n['diverged']} of {seeds} diverged)"
        got = n["seeds_reaching_full_accuracy"]
        epochs = f"{int(n['epochs_to_full_accuracy_median']):,}" if got else f"not within {summary.config.epochs:,}"
        if 0 < got < seeds:
            epochs += f" ({got} of {seeds} seeds)"
        rows.append([values[k] for k in varied] + [
            loss, _pm(n["train_accuracy_mean"], n["train_accuracy_std"], ".2f", seeds, "%"),
            _pm(n["test_accuracy_mean"], n["test_accuracy_std"], ".2f", seeds, "%"), epochs,
            f"{n['wall_time_mean_seconds']:.2f} s"])
    return headers, rows


def _pm(mean: float, std: float, form: str, seeds: int, unit: str = "") -> str:
    return f"{mean:{form}}{unit} ± {std:{form}}{unit}" if seeds > 1 else f"{mean:{form}}{unit}"
