"""Check my backprop: a student's hand-written numpy network checked node by node against the engine.

    python -m experiments.check my_lab.py --out check/

    >>> from experiments.check import check
    >>> report = check("my_lab.py")
    >>> print(report.text); report.ok

The checker imports the student's file (its ``if __name__ == "__main__":`` block does not run;
everything else does: it is their own code, on their own machine), finds the network, and
runs it twice from the same weights and the same few data points:

1. the forward pass and the loss on chainrule Tensors: the weights require grad, numpy's
   functions dispatch to the engine (``autograd.numpy_api``), and the engine's backward gives
   dL/dt for every weight and every intermediate the student keeps;
2. forward, loss and the student's own backward on plain arrays, as their training loop would.

Each gradient the backward computed is matched by its name to a tensor of the forward pass
(``dW1``, ``grad_W1``, ``W1_grad``, ``grads["W1"]`` → W1; ``dz2`` → z2) and compared with the
engine's, from the loss backwards. The first that disagrees is shown beside the engine's value,
with a diagnosis of the usual mistakes and the engine's rule for it with its numbers; the
picture of the graph marks every disagreeing tensor in red.

The protocol: the file defines either

* a class with ``forward`` and ``backward`` methods (the lab's SimpleNet). ``ClassName()`` is
  built with no arguments (``init`` fills required ones); its weights are the float numpy
  arrays among its attributes after ``__init__`` (also inside lists, dicts and objects of the
  file's own classes: ``self.layers[0].W``). ``forward(x)`` returns the prediction and keeps
  what it likes as attributes. ``backward`` gets its arguments by name: the target as ``y``
  (``y_true``, ``target``, ``labels``...), the prediction as ``y_pred`` (``output``, ``out``),
  dL/dŷ as ``dy`` (``grad``, ``dout``), the learning rate as ``lr``; it stores its gradients as
  attributes, returns them, or keeps them in local variables;
* or functions ``forward`` and ``backward``: the weights are module-level float arrays (or a
  dict of them, ``params``) that the functions take as parameters or read as globals; forward
  returns the prediction (or a tuple holding it); backward's parameters are filled by name from
  the input (``x``, ``X``), the target, forward's parameters and local variables, ``cache``
  (what forward returned besides the prediction), ``dy`` and ``lr``; it returns its
  gradients (a dict or a tuple of named variables) or keeps them in local variables.

The loss is the file's ``loss(y_pred, y)`` (a method or a function; also ``mse_loss``, ``mse``,
``compute_loss``), or else the lab's mean squared error, mean((ŷ − y)²). The forward pass must
give the same numbers each time it runs (no dropout, no fresh random numbers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograd import Tensor
from experiments import data as datasets
from experiments.check.compare import Comparisons, compare, engine_gradients, name_data, name_graph
from experiments.check.diagnose import Context, Diagnosis, diagnose
from experiments.check.runs import engine_run, start, student_run
from experiments.check.student import ProtocolError, StudentError, load

DATASETS = ("xor", "linear")
__all__ = ["DATASETS", "ProtocolError", "Report", "StudentError", "check", "lab_data"]


@dataclass
class Report:
    """What ``check`` found: every comparison, the first disagreement and its diagnosis."""

    path: Path
    title: str
    data_text: str
    loss_source: str
    loss: Tensor
    prediction: Tensor
    target: np.ndarray
    comparisons: Comparisons
    diagnosis: Diagnosis | None
    default_loss: bool

    @property
    def ok(self) -> bool:
        """True when at least one gradient was compared and every one agrees."""
        return bool(self.comparisons.items) and self.comparisons.first is None

    @property
    def mean_squared_error(self) -> bool:
        """True when the loss is mean((ŷ − y)²) (the file's own or the default)."""
        p = self.prediction.data
        if p.size != self.target.size:
            return False
        y = self.target.reshape(p.shape)
        g = self.comparisons.grads.get(id(self.prediction))
        return bool(np.isclose(self.loss.item(), np.mean((p - y) ** 2)) and g is not None
                    and np.allclose(g, 2 * (p - y) / p.size))

    @property
    def disagreeing(self) -> list[Tensor]:
        return [c.node for c in self.comparisons.items if not c.agrees]

    @property
    def text(self) -> str:
        from experiments.check.text import report_text

        return report_text(self)

    def draw(self) -> Any:
        """The graph of the forward pass and loss, each disagreeing gradient in red beside yours."""
        from experiments.check.picture import draw

        return draw(self)


def lab_data(name: str = "xor", points: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """A few points of the lab's data: XOR-easy's 21 points taken evenly (both classes), or
    the linear task's points drawn with ``seed``; and a line saying which."""
    if name not in DATASETS:
        raise ValueError(f"data must be one of {', '.join(DATASETS)}, got {name!r}")
    if name == "xor":
        if not 1 <= points <= 21:
            raise ValueError(f"XOR-easy has 21 points; points must be 1 to 21, got {points}")
        x, y = datasets.generate_xor_easy()
        pick = np.unique(np.linspace(0, 20, points).round().astype(int))
        return x[pick], y[pick], f"{points} of XOR-easy's 21 points (rows {', '.join(map(str, pick))})"
    if not 1 <= points <= 1000:
        raise ValueError(f"points must be 1 to 1000, got {points}")
    x, y = datasets.generate_linear(points, rng=seed)
    return x, y, f"{points} points of the linear task (seed {seed})"


def check(path: str | os.PathLike[str], *, x: Any = None, y: Any = None, data: str = "xor", points: int = 5,
          seed: int = 0, net: str | None = None, init: dict[str, Any] | None = None) -> Report:
    """Check the backward pass of the network in the file ``path`` against the engine.

    ``x`` and ``y`` are the data to run it on (default: ``points`` points of the lab's
    ``data``, "xor" or "linear"); ``seed`` seeds numpy's global generator while the network is
    built; ``net`` names the class when the file has several; ``init`` gives the class's
    constructor arguments. Raises ProtocolError when the file does not fit the protocol and
    StudentError (one line with the file and line) when its code raises."""
    path = Path(path)
    network = load(path, net)
    if x is None or y is None:
        x, y, text = lab_data(data, points, seed)
    else:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        text = f"your data ({x.shape[0]} rows)"
    text += f": x {'×'.join(map(str, x.shape))}, y {'×'.join(map(str, y.shape))}"
    begin = start(network, x, y, dict(init or {}), seed)
    engine = engine_run(begin)
    grads, order = engine_gradients(engine.loss)
    student = student_run(begin, grads[id(engine.prediction)])
    named = name_graph(engine)
    name_data(engine.loss, engine.prediction, x, y)
    comparisons = compare(engine, student, grads, order, named)
    default_loss = network.loss is None
    diagnosis = None
    if comparisons.first is not None:
        changed = {id(engine.weights[p]): after for p, after in student.after.items()
                   if p in engine.weights and after.shape == student.before[p].shape
                   and not np.array_equal(after, student.before[p])}
        diagnosis = diagnose(Context(comparisons.first, comparisons, engine.loss, x.shape[0], default_loss, changed))
    return Report(path, network.title, text, engine.loss_source, engine.loss, engine.prediction, y, comparisons,
                  diagnosis, default_loss)
