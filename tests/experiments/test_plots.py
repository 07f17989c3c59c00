"""The lab's figures as a TA reads them: axes named x1 and x2, a legend for the classes, the 0.5
contour and the circled mistakes (rings big enough to see, around exactly the mistakes), loss
curves that a diverging run cannot squash, one line style per curve and a marker where a run
stopped, and a layer-by-layer picture of the network that fits an A4 page."""

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from PIL import Image

from experiments import plots
from experiments.plots import Box, Curve

X = np.array([[0.1, 0.2], [0.8, 0.9], [0.3, 0.7], [0.9, 0.1]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])
PREDICTED = np.array([[0.2], [0.9], [0.3], [0.6]])  # the last two are wrong


def legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


def rings(ax):
    """The scatter layers drawn as open circles: the rings around the mistakes."""
    return [c for c in ax.collections if isinstance(c, PathCollection) and not c.get_facecolor().size]


def test_comparison_names_its_axes_and_explains_its_marks():
    fig = plots.comparison_figure(X, Y, PREDICTED, title="t")
    truth, predicted = fig.axes
    for ax in (truth, predicted):
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert legend_texts(fig.legends[0]) == ["class 0", "class 1", "misclassified"]
    ring, = rings(predicted)
    assert ring.get_offsets().tolist() == X[2:].tolist()  # exactly the two mistakes
    dots, = [c for c in predicted.collections if c is not ring]
    assert ring.get_sizes()[0] >= 100 and ring.get_sizes()[0] >= 2.5 * dots.get_sizes()[0]
    assert not rings(truth)
    colours = [to_hex(c) for c in dots.get_facecolor()]
    assert colours == [plots.RED, plots.BLUE, plots.RED, plots.BLUE]  # the prediction's classes


def test_decision_boundary_has_the_contour_and_the_rings_in_its_legend():
    fig = plots.decision_boundary_figure(lambda P: 1 / (1 + np.exp(-(P[:, :1] - P[:, 1:]) * 20)), X, Y)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert legend_texts(ax.get_legend()) == ["class 0", "class 1", "P(class 1) = 0.5: the boundary", "misclassified"]
    ring, = rings(ax)
    wrong = (X[:, 0] > X[:, 1]) != (Y.ravel() > 0.5)
    assert ring.get_offsets().tolist() == X[wrong].tolist() and ring.get_sizes()[0] >= 100


def test_a_perfect_prediction_has_no_misclassified_entry():
    fig = plots.comparison_figure(X, Y, Y)
    assert legend_texts(fig.legends[0]) == ["class 0", "class 1"]


def test_a_diverging_run_does_not_squash_the_other_curves():
    slow = Curve([0.25] * 50 + [0.2] * 50, end=None)
    fast = Curve([0.3] * 10 + [1e-3] * 5, end="converged")
    blown = Curve([0.5, 3.0, 1e6, 1e300, None], end="diverged")
    fig = plots.learning_curves_figure({"slow": slow, "fast": fast, "blown": blown}, title="t")
    ax = fig.axes[0]
    fig.canvas.draw()
    bottom, top = ax.get_ylim()
    assert top <= 1.5 * 10 * 0.5 and 1e-4 < bottom < 1e-3  # 10 × the highest start, not 1e300
    assert any("drawn at 5" in t.get_text() for t in ax.texts)  # the clipping is said on the plot
    lines = [line for line in ax.get_lines() if line.get_label() in ("slow", "fast", "blown")]
    assert len({line.get_linestyle() for line in lines}) == 3  # no two curves share a style
    ends = {line.get_marker(): (line.get_xdata()[-1], line.get_ydata()[-1]) for line in ax.get_lines()
            if line.get_marker() not in ("None", None, "")}
    assert ends["o"] == (11 + 4, 1e-3)  # the converged run's last epoch (15) and loss
    assert ends["X"] == (4, 5.0)  # the diverged run's last finite loss, drawn at the ceiling
    assert legend_texts(ax.get_legend())[-2:] == ["stopped early: converged",
                                                  "stopped: the loss was no longer finite (diverged)"]


def test_log_axis_reads_in_plain_numbers():
    fig = plots.learning_curves_figure({"a": Curve([0.3, 0.2, 0.1])}, title="t")
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels(minor=False) + ax.get_yticklabels(minor=True) if t.get_text()]
    assert labels and not any("times" in s or "^" in s for s in labels)


def test_a_run_that_used_its_budget_gets_no_marker():
    fig = plots.learning_curves_figure({"a": Curve([0.3, 0.2]), "b": Curve([0.4, 0.1])}, title="t")
    assert all(line.get_marker() in ("None", None, "") for line in fig.axes[0].get_lines())


def test_layer_diagram_fits_an_a4_page_and_names_each_layer(tmp_path):
    boxes = [Box("input", "the data", "(n, 2)", "data"), *[Box(f"layer {k}", "W 4×4", "(n, 4)", "param")
                                                           for k in range(8)], Box("loss", "", "one number", "loss")]
    fig = plots.layer_diagram_figure(boxes, title="net")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert all(b.name in texts and b.shape in texts for b in boxes)
    assert fig.get_size_inches()[0] <= plots.A4_WIDTH
    path = plots.layer_diagram(boxes, tmp_path / "layers.png", title="net")
    with Image.open(path) as image:
        assert image.width <= (plots.A4_WIDTH + 0.3) * 110


@pytest.mark.parametrize("kind", ["comparison", "decision_boundary", "learning_curves"])
def test_figures_fit_the_width_of_an_a4_page(tmp_path, kind):
    path = tmp_path / f"{kind}.png"
    if kind == "comparison":
        plots.comparison(X, Y, PREDICTED, path, title="a title as long as the lab's: test set 98.20% (982/1000)")
    elif kind == "decision_boundary":
        plots.decision_boundary(lambda P: P[:, :1], X, Y, path)
    else:
        plots.learning_curves({f"a long setting label number {k}": Curve([0.3, 0.1]) for k in range(5)}, path,
                              title="t")
    with Image.open(path) as image:
        assert image.width <= (plots.A4_WIDTH + 0.3) * 110  # prints at its size, labels legible
