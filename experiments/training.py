"""One training run of the lab: a configuration in, a trained model and its numbers out.
Shared by the training CLI and the report study (which runs many in worker processes)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
from autograd import Tensor, no_grad
from autograd.teach import module_boxes, render
from experiments import data

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "none")
LOSSES = ("mse", "bce")
DEFAULT_MOMENTUM = 0.9  # what optimizer "momentum" uses unless given another
DECISION_GRID = 200  # points per side of the decision-boundary picture, evaluated in one forward pass


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's numbers. Two runs with equal configs give equal numbers."""

    dataset: str = "xor"
    n: int = 100  # training points (XOR-easy always has its 21)
    n_test: int = 100  # held-out test points, drawn separately
    noise: float = 0.0
    grid: int = 4
    hidden: tuple[int, ...] = (4, 4)
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    optimizer: str = "sgd"
    lr: float = 1.0
    momentum: float = 0.0  # SGD's momentum: 0 for plain "sgd"; "momentum" turns a 0 into DEFAULT_MOMENTUM
    lr_step: int = 0  # StepLR every lr_step epochs (0: constant lr)
    lr_gamma: float = 0.5
    loss: str = "mse"
    epochs: int = 20000
    batch_size: int = 0  # 0: the whole training set each step (the lab's gradient descent)
    seed: int = 0
    loss_threshold: float = 0.01  # the report's "epochs to reach" a loss
    # Early stopping (off when early_stop is False): the run ends once it has converged, that is
    # when the loss falls below stop_loss, or when every training point has been classified
    # correctly for `patience` epochs in a row.
    early_stop: bool = False
    stop_loss: float = 1e-3
    patience: int = 2000

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.optimizer == "momentum" and self.momentum == 0:  # record the momentum the run uses
            object.__setattr__(self, "momentum", DEFAULT_MOMENTUM)
        problems = self._choice_problems() + self._range_problems()
        if problems:
            raise ValueError("; ".join(problems))

    def _choice_problems(self) -> list[str]:
        problems = []
        if self.dataset not in data.DATASETS:
            problems.append(f"unknown dataset {self.dataset!r}; allowed: {', '.join(data.DATASETS)}")
        for name, allowed in (("activation", ACTIVATIONS), ("output_activation", ACTIVATIONS),
                              ("optimizer", OPTIMIZERS), ("loss", LOSSES)):
            if getattr(self, name) not in allowed:
                problems.append(f"unknown {name} {getattr(self, name)!r}; allowed: {', '.join(allowed)}")
        if self.momentum and self.optimizer not in ("sgd", "momentum"):
            problems.append(f"momentum applies to the optimizers sgd and momentum, not {self.optimizer}")
        return problems

    def _range_problems(self) -> list[str]:
        problems = [f"{name} must be a finite number, got {getattr(self, name)}"
                    for name in ("lr", "noise", "momentum", "lr_gamma", "stop_loss", "loss_threshold")
                    if not math.isfinite(getattr(self, name))]
        if not self.lr > 0:
            problems.append(f"lr must be > 0, got {self.lr}")
        if self.epochs <= 0:
            problems.append(f"epochs must be > 0, got {self.epochs}")
        if any(h <= 0 for h in self.hidden):
            problems.append(f"hidden sizes must be > 0, got {list(self.hidden)}")
        for name in ("n", "n_test", "grid"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)}")
        if self.momentum < 0:
            problems.append(f"momentum must be >= 0, got {self.momentum}")
        if self.lr_step < 0 or self.batch_size < 0 or self.noise < 0:
            problems.append("lr_step, batch_size and noise must be >= 0")
        if not self.lr_gamma > 0:
            problems.append(f"lr_gamma must be > 0, got {self.lr_gamma}")
        if not self.stop_loss >= 0 or self.patience <= 0:
            problems.append(f"stop_loss must be >= 0 and patience > 0, got {self.stop_loss} and {self.patience}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            problems.append(f"seed must be a whole number >= 0, got {self.seed!r}")
        return problems

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    def key(self) -> str:
        """A short hash of the configuration (the report's cache key, with the code's)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def cost(self) -> float:
        """A rough size of the run, for scheduling the longest first."""
        return float(self.epochs * max(self.n, 21) * max(self.hidden, default=1))

    def memory_estimate(self) -> list[tuple[str, tuple[str, ...], int]]:
        """Roughly the bytes the run's big arrays take, before any is allocated: (what, the
        fields that size it, bytes). float64 throughout; a layer's output, its activation and
        their gradients make about 4 arrays per unit per row; the weights, their gradients and
        up to two optimizer buffers (Adam's) 4 per weight."""
        n, n_test = (21, 21) if self.dataset == "xor" else (self.n, self.n_test)
        widths = (2, *self.hidden, 1)
        weights = sum((a + 1) * b for a, b in itertools.pairwise(widths))
        # the largest forward pass: the training set, the test set or the decision-boundary grid
        rows, by = max((n, ("n",)), (n_test, ("n_test",)), (DECISION_GRID**2, ()))
        return [("the loss curve", ("epochs",), 8 * self.epochs),
                ("the data", ("n", "n_test"), 8 * 3 * (n + n_test)),
                ("the weights, their gradients and the optimizer's state", ("hidden",), 8 * 4 * weights),
                ("the layers' outputs", ("hidden", *by), 8 * 4 * rows * sum(widths))]

    def describe(self) -> str:
        """The network and training in a line: ``2-4-4-1 sigmoid, SGD lr=1, 20000 epochs``."""
        sizes = "-".join(str(s) for s in (2, *self.hidden, 1))
        act = self.activation if self.output_activation == "sigmoid" else f"{self.activation}/{self.output_activation}"
        opt = {"sgd": "SGD", "momentum": "SGD+momentum", "adagrad": "Adagrad", "rmsprop": "RMSprop",
               "adam": "Adam"}[self.optimizer]
        custom = self.momentum and (self.optimizer == "sgd" or self.momentum != DEFAULT_MOMENTUM)
        extra = f" momentum={self.momentum:g}" if custom else ""
        sched = f", lr×{self.lr_gamma:g} every {self.lr_step}" if self.lr_step else ""
        batch = f", batch {self.batch_size}" if self.batch_size else ""
        stop = f" (early stop: loss < {self.stop_loss:g} or 100% for {self.patience})" if self.early_stop else ""
        return (f"{sizes} {act}, {opt} lr={self.lr:g}{extra}{sched}{batch}, {self.loss.upper()}, "
                f"{self.epochs} epochs{stop}")


@dataclass
class Accuracy:
    correct: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total

    def __str__(self) -> str:
        return f"{self.percent:.2f}% ({self.correct}/{self.total})"


@dataclass
class RunResult:
    config: RunConfig
    model: nn.MLP
    losses: np.ndarray  # one per epoch run
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    train_accuracy: Accuracy
    test_accuracy: Accuracy
    test_predictions: np.ndarray
    epochs_to_full_accuracy: int | None  # first epoch whose forward pass classified every training point
    epochs_to_threshold: int | None  # first epoch with loss below config.loss_threshold
    wall_time: float
    stopped: str | None = None  # why the run ended early (a NaN loss), or None
    lines: list[str] = field(default_factory=list)
    converged: str | None = None  # why early stopping ended the run, or None

    def metrics(self, max_points: int = 10000) -> dict[str, Any]:
        """What metrics.json holds. The loss curve keeps every ``loss_stride``-th epoch, so it
        has at most ``max_points`` points; ``final_loss`` is always the last epoch's. A loss
        that is NaN or inf is written as null."""
        stride = max(1, math.ceil(len(self.losses) / max_points))
        return {
            "config": self.config.to_dict(),
            "seed": self.config.seed,
            "model": self.config.describe(),
            "versions": versions(),
            "epochs_run": len(self.losses),
            "final_loss": finite_or_none(self.losses[-1]) if len(self.losses) else None,
            "loss_stride": stride,
            "losses": [finite_or_none(v) for v in self.losses[::stride]],
            "train_accuracy": {"percent": self.train_accuracy.percent, "correct": self.train_accuracy.correct,
                               "total": self.train_accuracy.total},
            "test_accuracy": {"percent": self.test_accuracy.percent, "correct": self.test_accuracy.correct,
                              "total": self.test_accuracy.total},
            "epochs_to_full_accuracy": self.epochs_to_full_accuracy,
            "epochs_to_loss_threshold": self.epochs_to_threshold,
            "wall_time_seconds": self.wall_time,
            "stopped": self.stopped,
            "converged": self.converged,
        }


def finite_or_none(value: float) -> float | None:
    """A float for JSON, or None (null) for NaN and inf, which JSON cannot hold."""
    value = float(value)
    return value if math.isfinite(value) else None


def versions() -> dict[str, str]:
    """The versions a run's numbers depend on, for metrics.json."""
    import platform

    import matplotlib

    import autograd

    return {"chainrule": autograd.__version__, "numpy": np.__version__, "matplotlib": matplotlib.__version__,
            "python": platform.python_version()}


def build(config: RunConfig) -> tuple[nn.MLP, nn.Module, nn.optim.Optimizer, nn.optim.LRScheduler | None]:
    """The model, loss, optimizer and scheduler a config names, seeded from config.seed."""
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(3)[2])
    model = nn.MLP(2, config.hidden, 1, activation=config.activation,
                   output_activation=config.output_activation, rng=rng)
    if config.loss == "mse":
        loss_fn: nn.Module = nn.MSELoss()
    elif config.output_activation == "sigmoid":
        loss_fn = nn.BCELoss()
    else:  # raw scores out: the stable form, with the sigmoid inside the loss
        loss_fn = nn.BCEWithLogitsLoss()
    params = list(model.parameters())
    kind, lr = config.optimizer, config.lr
    if kind in ("sgd", "momentum"):  # the config holds the momentum used (0.9 for "momentum" by default)
        opt: nn.optim.Optimizer = nn.optim.SGD(params, lr=lr, momentum=config.momentum)
    elif kind == "adagrad":
        opt = nn.optim.Adagrad(params, lr=lr)
    elif kind == "rmsprop":
        opt = nn.optim.RMSprop(params, lr=lr)
    else:
        opt = nn.optim.Adam(params, lr=lr)
    sched = nn.optim.StepLR(opt, step_size=config.lr_step, gamma=config.lr_gamma) if config.lr_step else None
    return model, loss_fn, opt, sched


def probabilities(model: nn.Module, config: RunConfig, X: np.ndarray) -> np.ndarray:
    """P(class 1) for each row of X: the network's output, through a sigmoid when the
    network ends without one and the loss is BCE on raw scores."""
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):  # NaN weights give NaN, quietly
        return as_probability(model(Tensor(X)).data, config)


def compiled_step(model: nn.Module, loss_fn: nn.Module, outputs: bool = False) -> autograd.compile.CompiledStep:
    """``loss_fn(model(X), y)`` and its backward pass, recorded on the first call and replayed
    afterwards (``autograd.compile``): the same numbers as the eager engine, faster. With
    ``outputs``, the step returns ``(loss, model(X))``."""
    def step(X: Tensor, y: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        out = model(X)
        return (loss_fn(out, y), out) if outputs else loss_fn(out, y)
    return autograd.compile(step)


def train_epoch(model: nn.Module, loss_fn: nn.Module, opt: nn.optim.Optimizer, X: np.ndarray, y: np.ndarray,
                batch_size: int, rng: np.random.Generator, step: Callable[[Tensor, Tensor], Tensor] | None = None,
                ) -> float:
    """One pass over (X, y) in shuffled mini-batches, a step per batch; the mean loss. ``step``:
    a compiled step (``compiled_step``), or None for the eager engine."""
    order = rng.permutation(len(X))
    total = 0.0
    for i in range(0, len(X), batch_size):
        idx = order[i:i + batch_size]
        opt.zero_grad()
        if step is None:
            loss = loss_fn(model(Tensor(X[idx])), y[idx])
            loss.backward()
        else:
            loss = step(Tensor(X[idx]), Tensor(y[idx]))
        opt.step()
        total += loss.item() * len(idx)
    return total / len(X)


def render_loss_graph(model: nn.Module, loss_fn: nn.Module, X: Tensor, y: Any, path: Path) -> Path:
    """Draw the graph of ``loss_fn(model(X), y)`` with every gradient filled in and a box per
    module call (graph.dot without Graphviz). Nothing is stored in the model's ``.grad``.
    A diverged model is drawn with its NaNs and infs: its run already said so, in one line, so
    numpy's warnings (from the forward pass and the boxes' mean/min/max) stay quiet."""
    with np.errstate(over="ignore", invalid="ignore"):
        with module_boxes(model, loss_fn) as boxes:
            loss = loss_fn(model(X), y)
        loss.name = "loss"
        return render(loss, path, boxes=boxes)


def as_probability(out: np.ndarray, config: RunConfig) -> np.ndarray:
    """The network's output as P(class 1): itself, or its sigmoid for BCE on raw scores."""
    if config.loss == "bce" and config.output_activation != "sigmoid":
        return 1.0 / (1.0 + np.exp(-out))
    return out


def accuracy(prob: np.ndarray, y: np.ndarray) -> Accuracy:
    return Accuracy(int(np.sum((prob > 0.5) == (y > 0.5))), int(y.size))


def fit(config: RunConfig, *, print_every: int = 0, emit: Callable[[str], None] | None = None,
        progress: Callable[[int], None] | None = None,
        on_epoch: Callable[[int, nn.Module], None] | None = None, eager: bool = False) -> RunResult:
    """Train the network ``config`` describes on its data set.

    Every ``print_every`` epochs, ``emit`` gets the lab's line ``epoch N loss : X``;
    ``progress(k)`` is told every k finished epochs; ``on_epoch(epoch, model)`` is called
    before the first epoch (epoch 0) and after each one (the studio's snapshot recorder). A
    loss that is not finite stops the run at that epoch, and the result says so (``stopped``)
    with everything gathered until then. Each step runs through the compiled step
    (``compiled_step``), or through the eager engine with ``eager=True``: the same numbers.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported once, as `stopped`
        return _fit(config, print_every, emit, progress, on_epoch, eager)


def _fit(config: RunConfig, print_every: int, emit: Callable[[str], None] | None,
         progress: Callable[[int], None] | None, on_epoch: Callable[[int, nn.Module], None] | None,
         eager: bool) -> RunResult:
    (X, y), (X_test, y_test) = data.load(config.dataset, config.n, config.n_test, config.seed,
                                         config.noise, config.grid)
    model, loss_fn, opt, sched = build(config)
    X_t, y_t = Tensor(X, name="X"), Tensor(y, name="y")
    batch_step = full_step = None
    if not eager:
        batch_step, full_step = compiled_step(model, loss_fn), compiled_step(model, loss_fn, outputs=True)
    batch_rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(4)[3])
    losses = np.empty(config.epochs)
    lines: list[str] = []
    full_at = threshold_at = None
    stopped = converged = None
    held = 0  # epochs in a row with every training point classified correctly
    labels = y > 0.5
    start = time.perf_counter()
    epoch = 0
    if on_epoch:
        on_epoch(0, model)
    for epoch in range(1, config.epochs + 1):
        check = full_at is None or config.early_stop  # is this epoch's training accuracy needed?
        if config.batch_size and config.batch_size < len(X):
            value = train_epoch(model, loss_fn, opt, X, y, config.batch_size, batch_rng, batch_step)
            correct = check and bool(np.all((probabilities(model, config, X) > 0.5) == labels))
        else:
            opt.zero_grad()
            if full_step is None:
                out = model(X_t)
                loss = loss_fn(out, y_t)
                loss.backward()
            else:
                loss, out = full_step(X_t, y_t)
            opt.step()
            value = loss.item()
            correct = check and bool(np.all((as_probability(out.data, config) > 0.5) == labels))
        if sched is not None:
            sched.step()
        losses[epoch - 1] = value
        if on_epoch:
            on_epoch(epoch, model)
        if not math.isfinite(value):
            stopped = f"the loss became {value} at epoch {epoch}"
            line = f"{stopped}; training stops here (try a smaller lr)"
            lines.append(line)
            if emit:
                emit(line)
            break
        if correct and full_at is None:
            full_at = epoch
        held = held + 1 if correct else 0
        if threshold_at is None and value < config.loss_threshold:
            threshold_at = epoch
        if print_every and epoch % print_every == 0:
            line = f"epoch {epoch} loss : {value}"
            lines.append(line)
            if emit:
                emit(line)
        if progress and epoch % 100 == 0:
            progress(100)
        if config.early_stop and epoch < config.epochs and (value < config.stop_loss or held >= config.patience):
            why = f"loss {value:.3g} < {config.stop_loss:g}" if value < config.stop_loss else \
                f"every training point classified correctly for {config.patience} epochs"
            converged = f"converged at epoch {epoch} ({why})"
            lines.append(f"early stop: {converged}")
            if emit:
                emit(lines[-1])
            if progress:
                progress(epoch % 100)
            break
    wall = time.perf_counter() - start
    losses = losses[:epoch]
    train_prob = probabilities(model, config, X)
    test_prob = probabilities(model, config, X_test)
    return RunResult(config, model, losses, (X, y), (X_test, y_test), accuracy(train_prob, y),
                     accuracy(test_prob, y_test), test_prob, full_at, threshold_at, wall, stopped, lines, converged)

