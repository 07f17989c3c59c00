"""The lab's figures: learning curves, ground truth beside prediction, decision boundaries.

Built with matplotlib's object API (no pyplot, no screen needed) and written atomically.
Class 0 is red and class 1 blue, as in the lab's show_result.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from autograd.teach import write_atomic

RED, BLUE = "#d62728", "#1f77b4"


def save(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix), atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    return write_atomic(path, buffer.getvalue())


def learning_curve(losses: Sequence[float], path: str | Path, *, title: str = "Learning curve",
                   stride: int = 1, log: bool = True) -> Path:
    """Loss against epoch (``stride``: the epochs between two stored losses)."""
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    _plot_curve(ax, np.asarray(losses, dtype=float), stride, color=BLUE)
    _loss_axes(ax, title, log)
    return save(fig, path)


CLIP = (1e-30, 1e12)  # a diverging run's losses are drawn at the edge: log axes cannot span 10^280


def _plot_curve(ax, losses: np.ndarray, stride: int, **style) -> None:
    """Plot the finite losses, clipped to CLIP; a run that stopped on NaN or inf gets a cross
    at its last finite loss."""
    epochs = np.arange(1, len(losses) + 1) * stride
    finite = np.isfinite(losses)
    shown = np.clip(losses[finite], *CLIP)
    line, = ax.plot(epochs[finite], shown, linewidth=1.3, **style)
    if not finite.all() and finite.any():
        ax.plot(epochs[finite][-1], shown[-1], "x", color=line.get_color(), markersize=9, mew=2)
    if finite.any() and (losses[finite] > CLIP[1]).any():
        ax.text(0.99, 0.98, f"losses above {CLIP[1]:g} drawn at {CLIP[1]:g}", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color="grey")


def learning_curves(curves: Mapping[str, tuple[Sequence[float], int]], path: str | Path, *,
                    title: str, log: bool = True) -> Path:
    """Several learning curves on one plot, ``label -> (losses, stride)``."""
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.add_subplot()
    for label, (losses, stride) in curves.items():
        values = np.array([np.nan if v is None else v for v in losses], dtype=float)
        _plot_curve(ax, values, stride, label=label)
    _loss_axes(ax, title, log)
    ax.legend(fontsize=8, frameon=False)
    return save(fig, path)


def _loss_axes(ax, title: str, log: bool) -> None:
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)


def comparison(X: np.ndarray, y: np.ndarray, predicted: np.ndarray, path: str | Path, *,
               title: str | None = None) -> Path:
    """Two scatter plots side by side, "Ground truth" and "Predict result" (the lab's
    show_result): class 0 red, class 1 blue; the prediction is class 1 where p > 0.5."""
    fig = Figure(figsize=(8, 3.9))
    for k, (label, classes) in enumerate((("Ground truth", y > 0.5), ("Predict result", predicted > 0.5))):
        ax = fig.add_subplot(1, 2, k + 1)
        ax.scatter(X[:, 0], X[:, 1], c=np.where(classes.ravel(), BLUE, RED), s=18, edgecolors="none")
        ax.set_title(label)
        ax.set_aspect("equal", adjustable="datalim")
    if title:
        fig.suptitle(title)
    return save(fig, path)


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                      path: str | Path, *, title: str = "Decision boundary", resolution: int = 200) -> Path:
    """The predicted P(class 1) over the plane, the 0.5 contour, and the points on top
    (misclassified ones circled in black)."""
    pad = 0.1 * max(float(np.ptp(X[:, 0])), float(np.ptp(X[:, 1])), 1e-3)
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)
    prob = predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    fig = Figure(figsize=(5, 4.2))
    ax = fig.add_subplot()
    if np.isfinite(prob).any():
        prob = np.clip(prob, 0.0, 1.0)  # networks without an output sigmoid stray outside [0, 1]
        shade = ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu", vmin=0, vmax=1, alpha=0.75)
        if prob.min() < 0.5 < prob.max():
            ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1.0)
        fig.colorbar(shade, ax=ax, label="P(class 1)")
    else:
        ax.text(0.5, 0.5, "the model's outputs are not finite", transform=ax.transAxes, ha="center")
    wrong = (predict(X) > 0.5).ravel() != (y > 0.5).ravel()
    ax.scatter(X[:, 0], X[:, 1], c=(y > 0.5).ravel(), cmap=ListedColormap([RED, BLUE]), s=16,
               edgecolors=np.where(wrong, "black", "white"), linewidths=np.where(wrong, 1.2, 0.4))
    ax.set_title(title + (f"  ({int(wrong.sum())} misclassified)" if wrong.any() else ""))
    ax.set_aspect("equal", adjustable="box")
    return save(fig, path)


def sigmoid_figure(path: str | Path) -> Path:
    """σ(x) and its derivative σ'(x) = σ(x)(1 - σ(x)), for the report's setup section."""
    x = np.linspace(-8, 8, 400)
    s = 1 / (1 + np.exp(-x))
    fig = Figure(figsize=(5.5, 3.2))
    ax = fig.add_subplot()
    ax.plot(x, s, color=BLUE, label="σ(x) = 1 / (1 + e^-x)")
    ax.plot(x, s * (1 - s), color=RED, label="σ'(x) = σ(x)(1 - σ(x))")
    ax.axhline(0.25, color="grey", linewidth=0.6, linestyle=":")
    ax.legend(frameon=False, fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("x")
    return save(fig, path)


def dataset_gallery(sets: Mapping[str, tuple[np.ndarray, np.ndarray]], path: str | Path) -> Path:
    """One scatter plot per data set, side by side (the README's picture of the generators)."""
    fig = Figure(figsize=(3 * len(sets), 3.1))
    for k, (name, (X, y)) in enumerate(sets.items()):
        ax = fig.add_subplot(1, len(sets), k + 1)
        ax.scatter(X[:, 0], X[:, 1], c=np.where((y > 0.5).ravel(), BLUE, RED), s=8, edgecolors="none")
        ax.set_title(name)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xticks([])
        ax.set_yticks([])
    return save(fig, path)
