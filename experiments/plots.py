"""The lab's figures: learning curves, ground truth beside prediction, decision boundaries,
and a network's layers as a row of boxes.

Built with matplotlib's object API (no pyplot, no screen needed) and written atomically.
Class 0 is red and class 1 blue, as in the lab's show_result. The report's figures are at
most ``A4_WIDTH`` inches wide, the text width of an A4 page, so they print at their own size
and their labels stay legible (the data-set gallery, one panel per set, is scaled to fit).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter

from autograd.teach import write_atomic

RED, BLUE = "#d62728", "#1f77b4"
A4_WIDTH = 6.8  # inches: an A4 page's text width with 17 mm margins
# One line style per curve, so that no curve hides another, in colour or in grey print.
STYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 3))]
HEADROOM = 10.0  # the loss axis ends this many times above the highest starting loss


def save(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix), atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    return write_atomic(path, buffer.getvalue())


# ---- learning curves ----------------------------------------------------------------------------
@dataclass
class Curve:
    """One run's losses, every ``stride``-th epoch from epoch 1 (None or NaN where not finite).
    ``end`` says why it ended before its budget: "converged" (early stopping) or "diverged"."""

    losses: Sequence[float | None]
    stride: int = 1
    end: str | None = None

    def values(self) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in self.losses], dtype=float)

    def epochs(self) -> np.ndarray:
        return np.arange(len(self.losses)) * self.stride + 1


ENDS = {"converged": dict(marker="o", markersize=6, label="stopped early: converged"),
        "diverged": dict(marker="X", markersize=8, label="stopped: the loss was no longer finite (diverged)")}


def loss_ceiling(curves: Sequence[Curve]) -> float | None:
    """Where the loss axis ends: ``HEADROOM`` times the highest starting loss, so that a diverging
    run (whose loss can reach 1e300) does not squash every other curve against the bottom."""
    starts = [v[np.isfinite(v)][0] for v in (c.values() for c in curves) if np.isfinite(v).any()]
    return HEADROOM * max(starts) if starts and max(starts) > 0 else None


def _plot_curve(ax, curve: Curve, top: float | None, **style) -> bool:
    """Draw ``curve`` with losses above ``top`` drawn at ``top``; mark where it stopped early.
    True when something was clipped."""
    values, epochs = curve.values(), curve.epochs()
    finite = np.isfinite(values)
    shown = np.clip(values[finite], 1e-30, top if top else np.inf)
    line, = ax.plot(epochs[finite], shown, linewidth=1.4, **style)
    end = "diverged" if not finite.all() else curve.end
    if end in ENDS and finite.any():
        ax.plot(epochs[finite][-1], shown[-1], linestyle="none", color=line.get_color(),
                markeredgecolor="black", markeredgewidth=0.6, marker=ENDS[end]["marker"],
                markersize=ENDS[end]["markersize"])
    return bool(top and (values[finite] > top).any())


def learning_curve(losses: Sequence[float], path: str | Path, *, title: str = "Learning curve",
                   stride: int = 1, log: bool = True, end: str | None = None) -> Path:
    """Loss against epoch (``stride``: the epochs between two stored losses)."""
    return learning_curves({"loss": Curve(losses, stride, end)}, path, title=title, log=log, legend=False)


def learning_curves(curves: Mapping[str, Curve], path: str | Path, *, title: str, log: bool = True,
                    legend: bool = True) -> Path:
    """Several learning curves on one plot, ``label -> Curve``, each in its own line style. A
    circle marks a run that stopped early because it converged, a cross one that diverged."""
    return save(learning_curves_figure(curves, title=title, log=log, legend=legend), path)


def learning_curves_figure(curves: Mapping[str, Curve], *, title: str, log: bool = True,
                           legend: bool = True) -> Figure:
    fig = Figure(figsize=(A4_WIDTH, 3.6 + 0.2 * len(curves) * legend))
    ax = fig.add_subplot()
    top = loss_ceiling(list(curves.values()))
    clipped = False
    for k, (label, curve) in enumerate(curves.items()):
        style = {"color": BLUE} if len(curves) == 1 else {"color": f"C{k % 10}"}
        clipped |= _plot_curve(ax, curve, top, label=label, linestyle=STYLES[k % len(STYLES)], **style)
    _loss_axes(ax, title, log)
    if clipped:
        shown = [v for c in curves.values() for v in c.values() if np.isfinite(v) and v > 0]
        ax.set_ylim(min(shown) / 1.5 if log else 0, top * 1.5)
        ax.text(0.99, 0.97, f"losses above {top:.3g} are drawn at {top:.3g}", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color="dimgrey",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ends = {"diverged" if not np.isfinite(c.values()).all() else c.end for c in curves.values()} & set(ENDS)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], linestyle="none", color="grey", markeredgecolor="black", markeredgewidth=0.6,
                       **ENDS[e]) for e in sorted(ends)]
    if legend or ends:
        ax.legend(handles=handles if legend else handles[len(curves):], fontsize=8, frameon=False,
                  loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2 if len(handles) > 3 else 1)
    return fig


def _loss_axes(ax, title: str, log: bool) -> None:
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")  # 0.3, not 3 × 10⁻¹
        ax.yaxis.set_major_formatter(plain)
        few = FuncFormatter(lambda v, _: f"{v:g}" if _few_decades(ax) else "")  # minor labels where majors are few
        ax.yaxis.set_minor_formatter(few)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)


# ---- points in the plane ------------------------------------------------------------------------
def _few_decades(ax) -> bool:
    bottom, top = ax.get_ylim()
    return bottom > 0 and top / bottom < 30


def _point_size(n: int) -> float:
    return 40.0 if n <= 100 else 14.0


def _scatter_classes(ax, X: np.ndarray, classes: np.ndarray, size: float) -> None:
    ax.scatter(X[:, 0], X[:, 1], c=np.where(classes.ravel(), BLUE, RED), s=size, edgecolors="white",
               linewidths=0.4, zorder=3)


def _ring(ax, X: np.ndarray, wrong: np.ndarray, size: float) -> None:
    """Circle the misclassified points with a black ring about three times their width."""
    if wrong.any():
        ax.scatter(X[wrong, 0], X[wrong, 1], s=max(110.0, 8 * size), facecolors="none", edgecolors="black",
                   linewidths=1.5, zorder=4)


def _legend_handles(mistakes: bool, contour: bool = False) -> list[Line2D]:
    dot = {"marker": "o", "linestyle": "none", "markeredgecolor": "white", "markersize": 8}
    handles = [Line2D([], [], markerfacecolor=RED, label="class 0", **dot),
               Line2D([], [], markerfacecolor=BLUE, label="class 1", **dot)]
    if contour:
        handles.append(Line2D([], [], color="black", linewidth=1.2, label="P(class 1) = 0.5: the boundary"))
    if mistakes:
        handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none", markeredgecolor="black",
                              markeredgewidth=1.5, markersize=11, label="misclassified"))
    return handles


def _plane_axes(ax) -> None:
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


def comparison(X: np.ndarray, y: np.ndarray, predicted: np.ndarray, path: str | Path, *,
               title: str | None = None) -> Path:
    """Two scatter plots side by side, "Ground truth" and "Predict result" (the lab's
    show_result): class 0 red, class 1 blue; the prediction is class 1 where p > 0.5, and the
    points it gets wrong are circled."""
    return save(comparison_figure(X, y, predicted, title=title), path)


def comparison_figure(X: np.ndarray, y: np.ndarray, predicted: np.ndarray, *, title: str | None = None) -> Figure:
    fig = Figure(figsize=(A4_WIDTH, 3.9))
    size = _point_size(len(X))
    wrong = (predicted > 0.5).ravel() != (y > 0.5).ravel()
    for k, (label, classes) in enumerate((("Ground truth", y > 0.5), ("Predict result", predicted > 0.5))):
        ax = fig.add_subplot(1, 2, k + 1)
        _scatter_classes(ax, X, classes, size)
        if k == 1:
            _ring(ax, X, wrong, size)
        ax.set_title(label)
        ax.set_aspect("equal", adjustable="datalim")
        _plane_axes(ax)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(bottom=0.22)
    fig.legend(handles=_legend_handles(bool(wrong.any())), loc="lower center", ncol=3, frameon=False)
    return fig


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                      path: str | Path, *, title: str = "Decision boundary", resolution: int = 200) -> Path:
    """The predicted P(class 1) over the plane, the 0.5 contour, and the points on top
    (misclassified ones circled in black)."""
    return save(decision_boundary_figure(predict, X, y, title=title, resolution=resolution), path)


def decision_boundary_figure(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray, *,
                             title: str = "Decision boundary", resolution: int = 200) -> Figure:
    pad = 0.1 * max(float(np.ptp(X[:, 0])), float(np.ptp(X[:, 1])), 1e-3)
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)
    prob = predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    fig = Figure(figsize=(5.6, 5.4))
    ax = fig.add_subplot()
    contour = _shade(fig, ax, gx, gy, prob)
    wrong = (predict(X) > 0.5).ravel() != (y > 0.5).ravel()
    size = _point_size(len(X))
    _scatter_classes(ax, X, y > 0.5, size)
    _ring(ax, X, wrong, size)
    ax.set_title(title + (f"  ({int(wrong.sum())} misclassified)" if wrong.any() else ""))
    ax.set_aspect("equal", adjustable="box")
    _plane_axes(ax)
    ax.legend(handles=_legend_handles(bool(wrong.any()), contour), loc="upper center", ncol=2, frameon=False,
              bbox_to_anchor=(0.5, -0.12), fontsize=9)
    return fig


def _shade(fig: Figure, ax, gx: np.ndarray, gy: np.ndarray, prob: np.ndarray) -> bool:
    """P(class 1) as filled contours with a colour bar; True when the 0.5 contour was drawn."""
    if not np.isfinite(prob).any():
        ax.text(0.5, 0.5, "the model's outputs are not finite", transform=ax.transAxes, ha="center")
        return False
    prob = np.clip(prob, 0.0, 1.0)  # networks without an output sigmoid stray outside [0, 1]
    shade = ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu", vmin=0, vmax=1, alpha=0.75)
    fig.colorbar(shade, ax=ax, label="P(class 1)", shrink=0.85)
    if prob.min() < 0.5 < prob.max():
        ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1.2)
        return True
    return False


def sigmoid_figure(path: str | Path) -> Path:
    """σ(x) and its derivative σ'(x) = σ(x)(1 - σ(x)), for the report's setup section."""
    x = np.linspace(-8, 8, 400)
    s = 1 / (1 + np.exp(-x))
    fig = Figure(figsize=(5.5, 3.2))
    ax = fig.add_subplot()
    ax.plot(x, s, color=BLUE, label="σ(x) = 1 / (1 + e^-x)")
    ax.plot(x, s * (1 - s), color=RED, linestyle="--", label="σ'(x) = σ(x)(1 - σ(x))")
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


# ---- a network's layers -------------------------------------------------------------------------
@dataclass
class Box:
    """One layer in ``layer_diagram``: its name, what it holds, the shape it hands on, and its
    kind ("data", "param" for layers with weights, "act" for activations, "other")."""

    name: str
    detail: str
    shape: str
    kind: str = "other"


BOX_COLORS = {"data": "#e5e7eb", "param": "#bfdbfe", "act": "#fef3c7", "other": "#f3f4f6", "loss": "#bbf7d0"}


def _draw_box(ax, box: Box, corner: tuple[float, float], size: tuple[float, float]) -> None:
    (x, y), (w, h) = corner, size
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=BOX_COLORS.get(box.kind, "#f3f4f6"), edgecolor="#374151", lw=0.8))
    ax.text(x + w / 2, y + h - 0.1, box.name, ha="center", va="top", fontsize=8, fontweight="bold")
    ax.text(x + w / 2, y + h / 2 - 0.02, box.detail, ha="center", va="center", fontsize=7, color="#374151")
    ax.text(x + w / 2, y + 0.08, box.shape, ha="center", va="bottom", fontsize=7, family="monospace")


def layer_diagram(boxes: Sequence[Box], path: str | Path, *, title: str, per_row: int = 5) -> Path:
    """The layers as boxes joined by arrows, ``per_row`` to a row, rows snaking left-right
    then right-left so that each arrow is short; each box names the layer, its weights and
    the shape of what it hands on. Sized to an A4 page's width."""
    return save(layer_diagram_figure(boxes, title=title, per_row=per_row), path)


def layer_diagram_figure(boxes: Sequence[Box], *, title: str, per_row: int = 5) -> Figure:
    w, h, gap, row_gap = 1.18, 0.78, (A4_WIDTH - per_row * 1.18) / (per_row - 1), 0.45
    rows = -(-len(boxes) // per_row)
    height = rows * h + (rows - 1) * row_gap + 0.45
    fig = Figure(figsize=(A4_WIDTH, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, A4_WIDTH)
    ax.set_ylim(0, height)
    ax.axis("off")
    ax.text(A4_WIDTH / 2, height - 0.05, title, ha="center", va="top", fontsize=10, fontweight="bold")
    corners = []
    for k, box in enumerate(boxes):
        row, col = divmod(k, per_row)
        col = col if row % 2 == 0 else per_row - 1 - col
        corners.append((col * (w + gap), height - 0.45 - row * (h + row_gap) - h))
        _draw_box(ax, box, corners[-1], (w, h))
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        if y0 == y1:  # along a row, from one side of a box to the facing side of the next
            start, end = (x0 + w, y0 + h / 2), (x1, y1 + h / 2)
            if x1 < x0:
                start, end = (x0, y0 + h / 2), (x1 + w, y1 + h / 2)
        else:  # down to the next row
            start, end = (x0 + w / 2, y0), (x1 + w / 2, y1 + h)
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "#374151", "lw": 1.0})
    return fig
