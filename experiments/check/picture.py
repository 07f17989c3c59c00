"""The checker's picture: the graph of the student's forward pass and loss, with the engine's
gradient in every box and, for each gradient that disagrees, the student's beside it, in red."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.teach import draw_graph, render
from autograd.teach.graph import all_nodes
from experiments.check.diagnose import activations

SYMBOLS = {"sigmoid": "σ", "tanh": "tanh"}

if TYPE_CHECKING:
    from experiments.check import Report


def draw(report: Report) -> Any:
    """The graph as a ``graphviz.Digraph`` (values and gradients; small tensors as matrices).
    A sigmoid or tanh written out by hand is drawn as one op, and so is the mean squared error."""
    wrong = [c for c in report.comparisons.items if not c.agrees]
    collapse = {s: ([z], f"{SYMBOLS[kind]} (yours)") for kind, z, s in activations(report.loss)
                if s.op is None or s.op.name != kind}
    if report.mean_squared_error and report.loss.op is not None:
        target = [t for t in all_nodes(report.loss) if t.is_leaf and t.name in ("y", "y_true", "-y", "-y_true")]
        collapse[report.loss] = ([report.prediction, *target[:1]], "mean((ŷ − y)²)")
    first = report.comparisons.first
    extra = {c.node: {f"yours ({c.yours_name})" + (", the first" if c is first else ""): c.yours} for c in wrong}
    return draw_graph(report.loss, highlight=[c.node for c in wrong], collapse=collapse, extra=extra)


def save(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the picture (the suffix picks svg, png, pdf or dot); without Graphviz's dot
    program, the DOT source is written instead and a note says how to install it."""
    return render(draw(report), path)
