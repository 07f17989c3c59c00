"""A small convolutional network on images made in code (bars, crosses, boxes):

    python -m experiments.cnn --epochs 10 --out runs/cnn

Conv2d(1→8, 3×3) → ReLU → MaxPool2d(2) → Conv2d(8→16, 3×3) → ReLU → MaxPool2d over the whole
6×6 map → Flatten → Linear(16→4), trained with Adam on mini-batches and cross-entropy. The last
pooling keeps, for each of the 16 feature maps, only its strongest response anywhere in the
image, so the classifier sees *what* is there, not *where*: a shape is recognised wherever it
is drawn. Prints the lab's ``epoch N loss : X`` lines and the
test accuracy; writes the learning curve, the learned filters, sample predictions, the
computation graph (the conv layer in its own box), metrics.json and the model.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import nn
from autograd import Tensor, no_grad
from autograd.teach import write_atomic
from experiments import data, flags, plots
from experiments.outputs import OutputSet
from experiments.training import compiled_step, finite_or_none, render_loss_graph, train_epoch, versions

PREDICT_BATCH = 500  # test images per forward pass


@dataclass(frozen=True)
class CNNConfig:
    """Everything that decides a CNN run's numbers."""

    n_train: int = 2000
    n_test: int = 1000
    size: int = 12
    noise: float = 0.3
    channels: int = 8  # filters of the first conv layer (the second has twice as many)
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        problems = [f"{k} must be > 0, got {getattr(self, k)}" for k in
                    ("n_train", "n_test", "channels", "epochs", "batch_size") if getattr(self, k) <= 0]
        problems += [f"{k} must be a finite number, got {getattr(self, k)}" for k in ("lr", "noise")
                     if not math.isfinite(getattr(self, k))]
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            problems.append(f"seed must be a whole number >= 0, got {self.seed!r}")
        if not self.lr > 0:
            problems.append(f"lr must be > 0, got {self.lr}")
        if self.noise < 0:
            problems.append(f"noise must be >= 0, got {self.noise}")
        if self.size < 8:
            problems.append(f"size must be at least 8, got {self.size}")
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "cnn", **dataclasses.asdict(self)}

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def cost(self) -> float:
        """A rough size of the run, for scheduling the longest first."""
        return 40.0 * self.epochs * self.n_train * self.channels

    def memory_estimate(self) -> list[tuple[str, tuple[str, ...], int]]:
        """Roughly the bytes the run's big arrays take, before any is allocated: (what, the
        fields that size it, bytes), float64 throughout. Per image in a batch: the 3×3 patches
        of the input and of the pooled first map, each layer's output and their gradients."""
        c, pixels = self.channels, self.size * self.size
        weights = 9 * c + c + 9 * c * 2 * c + 2 * c + (2 * c + 1) * len(data.SHAPES)
        rows = max(self.batch_size, PREDICT_BATCH)
        return [("the images", ("n_train", "n_test"), 8 * pixels * (self.n_train + self.n_test)),
                ("the weights, their gradients and Adam's state", ("channels",), 8 * 4 * weights),
                ("the layers' outputs", ("channels", "batch_size"), 8 * rows * pixels * (9 + 8 * c))]

    def describe(self) -> str:
        c, half = self.channels, self.size // 2
        return (f"Conv2d(1→{c}, 3×3) → ReLU → MaxPool 2×2 → Conv2d({c}→{2 * c}, 3×3) → ReLU → MaxPool "
                f"{half}×{half} → Linear({2 * c}→4), Adam lr={self.lr:g}, batch {self.batch_size}, "
                f"{self.epochs} epochs, {self.n_train} images")


def build(config: CNNConfig) -> nn.Sequential:
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(3)[2])
    c = config.channels
    return nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c, 2 * c, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(config.size // 2),  # over the whole map: where a feature is no longer matters
        nn.Flatten(),
        nn.Linear(2 * c, len(data.SHAPES), rng=rng),
    )


@dataclass
class CNNResult:
    config: CNNConfig
    model: nn.Sequential
    losses: np.ndarray  # the mean training loss of each epoch
    test: tuple[np.ndarray, np.ndarray]
    predictions: np.ndarray  # predicted class of each test image
    correct: int
    wall_time: float
    lines: list[str]
    stopped: str | None = None  # why the run ended early (a loss that is not finite), or None

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / len(self.predictions)

    def accuracy_text(self) -> str:
        return f"{self.accuracy:.2f}% ({self.correct}/{len(self.predictions)})"

    def metrics(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "seed": self.config.seed, "model": self.config.describe(),
                "versions": versions(),
                "epochs_run": len(self.losses), "final_loss": finite_or_none(self.losses[-1]), "loss_stride": 1,
                "losses": [finite_or_none(v) for v in self.losses],
                "test_accuracy": {"percent": self.accuracy, "correct": self.correct, "total": len(self.predictions)},
                "wall_time_seconds": self.wall_time, "stopped": self.stopped}


def fit(config: CNNConfig, emit: Callable[[str], None] | None = None, eager: bool = False) -> CNNResult:
    """Train on ``n_train`` images and test on ``n_test`` others, drawn separately, through the
    compiled step (or the eager engine with ``eager=True``: the same numbers). A loss that is not
    finite stops the run after that epoch, and the result says so (``stopped``)."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported once, as `stopped`
        return _fit(config, emit, eager)


def _fit(config: CNNConfig, emit: Callable[[str], None] | None, eager: bool) -> CNNResult:
    train_rng, test_rng, _, batch_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(4))
    X, y = data.generate_shapes(config.n_train, config.size, config.noise, rng=train_rng)
    X_test, y_test = data.generate_shapes(config.n_test, config.size, config.noise, rng=test_rng)
    model = build(config)
    opt = nn.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = nn.CrossEntropyLoss()
    step = None if eager else compiled_step(model, loss_fn)
    targets = np.eye(len(data.SHAPES))[y]  # one-hot rows: the loss reads them as they are, a compiled step too
    losses, lines = [], []
    stopped = None
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        losses.append(train_epoch(model, loss_fn, opt, X, targets, config.batch_size, batch_rng, step))
        line = f"epoch {epoch} loss : {losses[-1]}"
        if not math.isfinite(losses[-1]):
            stopped = f"the loss became {losses[-1]} at epoch {epoch}"
            line = f"{stopped}; training stops here (try a smaller lr)"
        lines.append(line)
        if emit:
            emit(line)
        if stopped:
            break
    wall = time.perf_counter() - start
    predictions = predict(model, X_test)
    return CNNResult(config, model, np.array(losses), (X_test, y_test), predictions,
                     int(np.sum(predictions == y_test)), wall, lines, stopped)


def predict(model: nn.Module, X: np.ndarray, batch: int = PREDICT_BATCH) -> np.ndarray:
    with no_grad():
        return np.concatenate([model(Tensor(X[i:i + batch])).data.argmax(axis=1) for i in range(0, len(X), batch)])


# ---- figures --------------------------------------------------------------------------------
def filters_figure(model: nn.Sequential, path: Path) -> Path:
    """The first layer's learned 3×3 filters, one small image each."""
    weights = model[0].weight.data[:, 0]
    fig = Figure(figsize=(1.3 * len(weights), 1.6))
    limit = float(np.abs(weights).max()) or 1.0
    for k, w in enumerate(weights):
        ax = fig.add_subplot(1, len(weights), k + 1)
        ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"filter {k}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Learned 3×3 filters (red positive, blue negative)", fontsize=9)
    return plots.save(fig, path)


def samples_figure(result: CNNResult, path: Path, count: int = 12) -> Path:
    """Test images with their true and predicted shapes; mistakes in red."""
    X, y = result.test
    wrong = np.flatnonzero(result.predictions != y)
    shown_wrong = list(wrong[: count // 3])
    right = [i for i in range(len(y)) if i not in set(wrong)]
    picks = shown_wrong + right[: count - len(shown_wrong)]
    fig = Figure(figsize=(1.6 * 6, 1.9 * math.ceil(len(picks) / 6)))
    for k, i in enumerate(picks):
        ax = fig.add_subplot(math.ceil(len(picks) / 6), 6, k + 1)
        ax.imshow(X[i, 0], cmap="gray_r")
        ok = result.predictions[i] == y[i]
        ax.set_title(f"{data.SHAPES[result.predictions[i]]}" + ("" if ok else f"\n(is {data.SHAPES[y[i]]})"),
                     fontsize=7, color="black" if ok else "#d62728")
        ax.set_xticks([])
        ax.set_yticks([])
    return plots.save(fig, path)


def render_graph(result: CNNResult, path: Path) -> Path:
    """The trained network's graph on two test images, with gradients: each conv layer boxed."""
    X, y = result.test
    return render_loss_graph(result.model, nn.CrossEntropyLoss(), Tensor(X[:2], name="images"), y[:2], path)


def write_outputs(result: CNNResult, out: Path, graph: bool = True, figures: bool = True) -> list[Path]:
    """learning_curve.png, filters.png, samples.png (left out with ``figures=False``), graph.svg
    (left out with ``graph=False``), metrics.json and model.npz in ``out``."""
    written = []
    if figures:
        written += [plots.learning_curve(result.losses, out / "learning_curve.png",
                                         title="CNN: cross-entropy per epoch"),
                    filters_figure(result.model, out / "filters.png"), samples_figure(result, out / "samples.png")]
    if graph:
        written.append(render_graph(result, out / "graph.svg"))
    written.append(write_atomic(out / "metrics.json", json.dumps(result.metrics(), indent=1) + "\n"))
    written.append(nn.save(result.model, out / "model.npz"))
    return written


def run_files(config: CNNConfig, graph: bool, figures: bool) -> dict[str, bytes]:
    """A report job: train, and return its output files (and the printed lines) as bytes."""
    import tempfile

    result = fit(config)
    with tempfile.TemporaryDirectory() as folder:
        files = {p.name: p.read_bytes() for p in write_outputs(result, Path(folder), graph, figures)}
    files["transcript.txt"] = ("\n".join([*result.lines, f"Test Accuracy: {result.accuracy_text()}"]) + "\n").encode()
    return files


# Every file a run may write into --out; a new run's set replaces the old one's whole.
OUTPUT_FILES = ("learning_curve.png", "filters.png", "samples.png", "graph.svg", "graph.dot", "metrics.json",
                "model.npz")


# ---- command line ---------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    d = CNNConfig()
    p = argparse.ArgumentParser(prog="python -m experiments.cnn", formatter_class=flags.HelpFormatter,
                                description="Train a small CNN on bars, crosses and boxes made in code.")
    p.add_argument("--epochs", type=flags.positive_int, default=d.epochs, help="passes over the training images")
    p.add_argument("--batch-size", type=flags.positive_int, default=d.batch_size, help="images per Adam step")
    p.add_argument("--lr", type=flags.positive_float, default=d.lr, help="Adam's learning rate")
    p.add_argument("--channels", type=flags.positive_int, default=d.channels,
                   help="filters of the first conv layer; the second has twice as many")
    p.add_argument("--n-train", type=flags.positive_int, default=d.n_train, help="training images")
    p.add_argument("--n-test", type=flags.positive_int, default=d.n_test, help="test images, drawn separately")
    p.add_argument("--noise", type=flags.non_negative_float, default=d.noise, help="std of the pixel noise")
    p.add_argument("--seed", type=flags.non_negative_int, default=d.seed,
                   help="seeds the images, the initial weights and the batch order")
    p.add_argument("--out", type=flags.output_folder, default=Path("runs/cnn"), help="output folder")
    p.add_argument("--quiet", action="store_true", help="print the accuracy only")
    p.add_argument("--eager", action="store_true", help="train with the eager engine, not the compiled step")
    return p


def parse_config(argv: Sequence[str] | None = None,
                 p: argparse.ArgumentParser | None = None) -> tuple[CNNConfig, argparse.Namespace]:
    """Parse and check a CNN run's flags: the config and the parsed arguments, or a usage
    error (one line, exit status 2), also for a run too big for the machine's memory."""
    p = p or parser()
    args = p.parse_args(argv)
    config = CNNConfig(n_train=args.n_train, n_test=args.n_test, noise=args.noise, channels=args.channels,
                       epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    problem = flags.memory_problem(config.memory_estimate(), dataclasses.asdict(config))
    if problem:
        p.error(problem)
    return config, args


def main(argv: Sequence[str] | None = None) -> int:
    from experiments.train import check_writable, end_of_run

    p = parser()
    config, args = parse_config(argv, p)
    problem = check_writable(args.out)
    if problem:
        p.error(f"cannot write to --out {args.out}: {problem}")
    outputs = OutputSet(args.out, OUTPUT_FILES)

    def train_and_write() -> int:
        result = fit(config, emit=None if args.quiet else print, eager=args.eager)
        print(f"Test Accuracy: {result.accuracy_text()}")
        return end_of_run(outputs.write(lambda staging: write_outputs(result, staging)), result.stopped, args.quiet)

    return outputs.run(train_and_write)


if __name__ == "__main__":
    sys.exit(main())
