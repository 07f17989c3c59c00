"""A sweep's figures: the learning curves of each cell (its seeds overlaid), and a heatmap of
mean test accuracy over two of the grid's options (one panel per value of the others)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from experiments import plots
from experiments.grid import Axis, Grid
from experiments.study import Summary

MAX_PANELS = 64  # more cells than this: the curves figure shows the first ones and says so


def cell_label(grid: Grid, values: Sequence[str]) -> str:
    """``lr=0.1, hidden=4 4``: the cell's values on the axes that vary."""
    parts = [f"{a.name}={v}" if v else a.name for a, v in zip(grid.axes, values, strict=True) if len(a.values) > 1]
    return ", ".join(parts) or "the configuration"


def learning_curves(grid: Grid, results: list[tuple[tuple[str, ...], Summary]], path: Path) -> Path:
    """One panel per cell, each seed's loss per epoch overlaid (its own colour and line style),
    the same log axes throughout; a circle where a run converged and stopped, a cross where it
    diverged, as in the report."""
    shown = results[:MAX_PANELS]
    cols = min(4, len(shown))
    rows = math.ceil(len(shown) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.5 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    curves = [[(run["seed"], _curve(run)) for run in summary.runs] for _, summary in shown]
    top = plots.loss_ceiling([c for cell in curves for _, c in cell])
    clipped = False
    for ax, (values, _), cell in zip(axes, shown, curves, strict=False):
        for seed, curve in cell:
            clipped |= plots._plot_curve(ax, curve, top, color=f"C{seed % 10}", alpha=0.9, label=f"seed {seed}",
                                         linestyle=plots.STYLES[seed % len(plots.STYLES)])
        ax.set_yscale("log")
        ax.set_title(cell_label(grid, values), fontsize=9)
        ax.grid(True, alpha=0.3)
    _frame(fig, axes, len(shown), cols, rows)
    ends = {"diverged" if not np.isfinite(c.values()).all() else c.end for cell in curves for _, c in cell}
    handles, _ = axes[0].get_legend_handles_labels()
    handles += [Line2D([], [], linestyle="none", color="grey", markeredgecolor="black", markeredgewidth=0.6,
                       **plots.ENDS[e]) for e in sorted(ends & set(plots.ENDS))]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=8, frameon=False)
    more = f" (the first {MAX_PANELS} of {len(results)} cells)" if len(results) > len(shown) else ""
    note = f"; losses above {top:.3g} drawn at {top:.3g}" if clipped else ""
    fig.suptitle(f"Learning curves, one panel per cell{more}{note}", fontsize=11)
    return plots.save(fig, path)


def _curve(run: dict) -> plots.Curve:
    return plots.Curve(run["losses"], run["loss_stride"], "converged" if run.get("converged") else None)


def _frame(fig: Figure, axes: np.ndarray, used: int, cols: int, rows: int) -> None:
    """Hide the unused panels; label the bottom row's x axes and the first column's y axes."""
    for ax in axes[used:]:
        ax.set_visible(False)
    for ax in axes[(rows - 1) * cols:]:
        ax.set_xlabel("epoch")
    for ax in axes[::cols]:
        ax.set_ylabel("loss (log)")


def heatmap(grid: Grid, results: list[tuple[tuple[str, ...], Summary]], x: Axis, y: Axis | None,
            path: Path) -> Path:
    """Mean test accuracy (± std over seeds) with ``x`` across and ``y`` down; one panel for
    each combination of the other varied options."""
    index = {a.option: k for k, a in enumerate(grid.axes)}
    others = [a for a in grid.varied if a not in (x, y)]
    facets = list(itertools.product(*(a.values for a in others)))
    ys = y.values if y else ("",)
    table = {values: summary.mean_std("test_accuracy") for values, summary in results}
    means = [m for m, _ in table.values()]
    low, high = min(means), max(means)
    low, high = (low - 1, high + 1) if high - low < 1e-9 else (low, high)
    cols = min(3, len(facets))
    rows = math.ceil(len(facets) / cols)
    fig = Figure(figsize=(1.2 + (1.15 * len(x.values) + 1.2) * cols, (0.75 * len(ys) + 1.3) * rows),
                 layout="constrained")
    image = None
    for k, facet in enumerate(facets):
        ax = fig.add_subplot(rows, cols, k + 1)
        grid_mean = np.full((len(ys), len(x.values)), np.nan)
        for (values, _), (mean, std) in zip(results, table.values(), strict=True):
            if all(values[index[a.option]] == v for a, v in zip(others, facet, strict=True)):
                i = ys.index(values[index[y.option]]) if y else 0
                j = x.values.index(values[index[x.option]])
                grid_mean[i, j] = mean
                ax.text(j, i, f"{mean:.1f}\n± {std:.1f}", ha="center", va="center", fontsize=8,
                        color="white" if mean < low + 0.6 * (high - low) else "black")
        image = ax.imshow(grid_mean, cmap="viridis", vmin=low, vmax=high, aspect="auto")
        ax.set_xticks(range(len(x.values)), x.values)
        ax.set_yticks(range(len(ys)), ys)
        ax.set_xlabel(x.name)
        if y:
            ax.set_ylabel(y.name)
        if others:
            ax.set_title(", ".join(f"{a.name}={v}" for a, v in zip(others, facet, strict=True)), fontsize=9)
    seeds = max(s.seeds for _, s in results)
    fig.colorbar(image, ax=fig.axes, label=f"test accuracy (%), mean over {seeds} seeds", shrink=0.9)
    fig.suptitle("Test accuracy", fontsize=11)
    return plots.save(fig, path)
