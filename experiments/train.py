"""The lab's training run from the command line:

    python -m experiments.train --dataset xor --hidden 4 4 --activation sigmoid --optimizer sgd \\
        --lr 1 --epochs 20000 --print-every 2000 --seed 0 --out runs/xor

Prints ``epoch N loss : X`` lines as the lab does, then the test predictions, one per line,
then the training and test accuracy; writes the learning curve, the comparison and decision
boundary figures, the computation graph, metrics.json and the model into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import nn
from autograd import Tensor
from autograd.teach import write_atomic
from experiments import data, plots
from experiments.studio.snapshots import SnapshotRecorder
from experiments.training import ACTIVATIONS, LOSSES, OPTIMIZERS, RunConfig, RunResult, build, fit, render_loss_graph


def _positive(kind: type) -> object:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {'whole ' if kind is int else ''}number, got {text!r}") \
                from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _at_least_zero(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m experiments.train",
                                description="Train the lab's network and write its figures and metrics.")
    d = RunConfig()
    p.add_argument("--dataset", choices=list(data.DATASETS), default=d.dataset)
    p.add_argument("--n", type=_positive(int), default=d.n, help="training points (XOR-easy: always 21)")
    p.add_argument("--n-test", type=_positive(int), default=d.n_test, help="held-out test points")
    p.add_argument("--noise", type=_at_least_zero, default=d.noise, help="for circle and spiral")
    p.add_argument("--grid", type=_positive(int), default=d.grid, help="chessboard cells per side")
    p.add_argument("--hidden", type=_positive(int), nargs="+", default=list(d.hidden), metavar="UNITS",
                   help="units of each hidden layer (default: 4 4)")
    p.add_argument("--activation", choices=ACTIVATIONS, default=d.activation, help="after each hidden layer")
    p.add_argument("--output-activation", choices=ACTIVATIONS, default=d.output_activation)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--lr", type=_positive(float), default=d.lr)
    p.add_argument("--momentum", type=_at_least_zero, default=d.momentum,
                   help="for sgd; 'momentum' uses 0.9 unless this is set")
    p.add_argument("--lr-step", type=_positive(int), default=None, help="multiply lr by --lr-gamma every N epochs")
    p.add_argument("--lr-gamma", type=_positive(float), default=d.lr_gamma)
    p.add_argument("--loss", choices=LOSSES, default=d.loss)
    p.add_argument("--batch-size", type=_positive(int), default=None, help="mini-batches (default: the whole set)")
    p.add_argument("--epochs", type=_positive(int), default=d.epochs)
    p.add_argument("--print-every", type=_positive(int), default=None, help="default: every 1/20 of the epochs")
    p.add_argument("--early-stop", action="store_true",
                   help="stop once converged: loss below --stop-loss, or 100%% training accuracy for --patience epochs")
    p.add_argument("--stop-loss", type=_at_least_zero, default=d.stop_loss)
    p.add_argument("--patience", type=_positive(int), default=d.patience)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--out", type=Path, default=None, help="output folder (default: runs/DATASET)")
    p.add_argument("--quiet", action="store_true", help="print the accuracies only")
    p.add_argument("--eager", action="store_true", help="train with the eager engine, not the compiled step")
    p.add_argument("--snapshots", type=_positive(int), nargs="?", const=0, default=None, metavar="EVERY",
                   help="keep the weights every EVERY epochs (default: chosen to keep the file under 2 MB) in "
                        "snapshots.npz, for the studio's replay")
    return p


def config_from(args: argparse.Namespace) -> RunConfig:
    return RunConfig(dataset=args.dataset, n=args.n, n_test=args.n_test, noise=args.noise, grid=args.grid,
                     hidden=tuple(args.hidden), activation=args.activation,
                     output_activation=args.output_activation, optimizer=args.optimizer, lr=args.lr,
                     momentum=args.momentum, lr_step=args.lr_step or 0, lr_gamma=args.lr_gamma, loss=args.loss,
                     epochs=args.epochs, batch_size=args.batch_size or 0, seed=args.seed,
                     early_stop=args.early_stop, stop_loss=args.stop_loss, patience=args.patience)


def check_writable(folder: Path) -> str | None:
    """None when files can be written into ``folder`` (made if missing), else the reason."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return None


def result_lines(result: RunResult) -> list[str]:
    """What the lab prints after training: the test predictions as a column, one per line,
    then the training and test accuracy."""
    with np.printoptions(threshold=sys.maxsize):
        predictions = str(result.test_predictions).splitlines()
    return [*predictions, f"Train Accuracy: {result.train_accuracy}", f"Test Accuracy: {result.test_accuracy}"]


def write_outputs(result: RunResult, out: Path, graph: bool = True, figures: bool = True) -> list[Path]:
    """learning_curve.png, comparison.png and decision_boundary.png (left out with
    ``figures=False``), graph.svg (graph.dot without Graphviz; left out with ``graph=False``),
    metrics.json and model.npz in ``out``."""
    from experiments.training import probabilities

    config = result.config
    X_test, y_test = result.test
    name = data.DATASETS[config.dataset].description
    written = []
    if figures and len(result.losses):
        written.append(plots.learning_curve(result.losses, out / "learning_curve.png",
                                            title=f"Learning curve: {config.dataset}"))
    if figures:
        written.append(plots.comparison(X_test, y_test, result.test_predictions, out / "comparison.png",
                                        title=f"{name}, test set: {result.test_accuracy}"))
        written.append(plots.decision_boundary(lambda X: probabilities(result.model, config, X), X_test, y_test,
                                               out / "decision_boundary.png", title=f"{config.dataset}"))
    if graph:
        written.append(render_graph(result, out / "graph.svg"))
    metrics = result.metrics()
    written.append(write_atomic(out / "metrics.json", json.dumps(metrics, indent=1, allow_nan=False) + "\n"))
    written.append(nn.save(result.model, out / "model.npz"))
    return written


def render_graph(result: RunResult, path: Path) -> Path:
    """The trained network's graph on (up to) the first 4 training points, with the loss's
    gradients filled in."""
    X, y = result.train
    _, loss_fn, _, _ = build(result.config)
    return render_loss_graph(result.model, loss_fn, Tensor(X[:4], name="X"), Tensor(y[:4], name="y"), path)


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as err:
        p.error(str(err))
    out = args.out or Path("runs") / config.dataset
    problem = check_writable(out)
    if problem:
        p.error(f"cannot write to --out {out}: {problem}")
    print_every = args.print_every or max(1, config.epochs // 20)

    bar = None
    if not args.quiet and sys.stderr.isatty() and config.epochs >= 2000:
        from tqdm import tqdm

        bar = tqdm(total=config.epochs, unit="epoch", mininterval=0.5, leave=False, file=sys.stderr)
    emit = None if args.quiet else (bar.write if bar else print)
    recorder = None if args.snapshots is None else SnapshotRecorder(config, args.snapshots or None)
    try:
        result = fit(config, print_every=print_every, emit=emit, progress=bar.update if bar else None,
                     on_epoch=recorder, eager=args.eager)
    finally:
        if bar is not None:
            bar.close()
    lines = result_lines(result)
    print("\n".join(lines if not args.quiet else lines[-2:]))
    written = write_outputs(result, out)
    if recorder is not None:
        written.append(recorder.write(out, result.losses))
    if not args.quiet:
        print(f"Wrote {', '.join(str(w) for w in written)}")
    if result.stopped:
        print(f"error: {result.stopped}, so training stopped there; the files hold what was gathered until "
              f"then (try a smaller --lr)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
