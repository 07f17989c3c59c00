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
from experiments import data, plots
from experiments.training import compiled_step, render_loss_graph, train_epoch, versions


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

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / len(self.predictions)

    def accuracy_text(self) -> str:
        return f"{self.accuracy:.2f}% ({self.correct}/{len(self.predictions)})"

    def metrics(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "seed": self.config.seed, "model": self.config.describe(),
                "versions": versions(),
                "epochs_run": len(self.losses), "final_loss": float(self.losses[-1]), "loss_stride": 1,
                "losses": [float(v) for v in self.losses],
                "test_accuracy": {"percent": self.accuracy, "correct": self.correct, "total": len(self.predictions)},
                "wall_time_seconds": self.wall_time}


def fit(config: CNNConfig, emit: Callable[[str], None] | None = None, eager: bool = False) -> CNNResult:
    """Train on ``n_train`` images and test on ``n_test`` others, drawn separately, through the
    compiled step (or the eager engine with ``eager=True``: the same numbers)."""
    train_rng, test_rng, _, batch_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(4))
    X, y = data.generate_shapes(config.n_train, config.size, config.noise, rng=train_rng)
    X_test, y_test = data.generate_shapes(config.n_test, config.size, config.noise, rng=test_rng)
    model = build(config)
    opt = nn.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = nn.CrossEntropyLoss()
    step = None if eager else compiled_step(model, loss_fn)
    targets = np.eye(len(data.SHAPES))[y]  # one-hot rows: the loss reads them as they are, a compiled step too
    losses, lines = [], []
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        losses.append(train_epoch(model, loss_fn, opt, X, targets, config.batch_size, batch_rng, step))
        line = f"epoch {epoch} loss : {losses[-1]}"
        lines.append(line)
        if emit:
            emit(line)
    wall = time.perf_counter() - start
    predictions = predict(model, X_test)
    return CNNResult(config, model, np.array(losses), (X_test, y_test), predictions,
                     int(np.sum(predictions == y_test)), wall, lines)


def predict(model: nn.Module, X: np.ndarray, batch: int = 500) -> np.ndarray:
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


# ---- command line ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    from experiments.train import _at_least_zero, _positive, check_writable

    d = CNNConfig()
    p = argparse.ArgumentParser(prog="python -m experiments.cnn",
                                description="Train a small CNN on bars, crosses and boxes made in code.")
    p.add_argument("--epochs", type=_positive(int), default=d.epochs)
    p.add_argument("--batch-size", type=_positive(int), default=d.batch_size)
    p.add_argument("--lr", type=_positive(float), default=d.lr)
    p.add_argument("--channels", type=_positive(int), default=d.channels, help="filters in the conv layer")
    p.add_argument("--n-train", type=_positive(int), default=d.n_train)
    p.add_argument("--n-test", type=_positive(int), default=d.n_test)
    p.add_argument("--noise", type=_at_least_zero, default=d.noise, help="std of the pixel noise")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--out", type=Path, default=Path("runs/cnn"))
    p.add_argument("--quiet", action="store_true", help="print the accuracy only")
    p.add_argument("--eager", action="store_true", help="train with the eager engine, not the compiled step")
    args = p.parse_args(argv)
    config = CNNConfig(n_train=args.n_train, n_test=args.n_test, noise=args.noise, channels=args.channels,
                       epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    problem = check_writable(args.out)
    if problem:
        p.error(f"cannot write to --out {args.out}: {problem}")
    result = fit(config, emit=None if args.quiet else print, eager=args.eager)
    print(f"Test Accuracy: {result.accuracy_text()}")
    written = write_outputs(result, args.out)
    if not args.quiet:
        print(f"Wrote {', '.join(str(w) for w in written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
