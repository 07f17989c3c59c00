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
from typing import Any

import numpy as np

import nn
from autograd import Tensor
from autograd.teach import write_atomic
from experiments import data, flags, plots
from experiments.outputs import OutputSet
from experiments.studio.snapshots import SnapshotRecorder
from experiments.training import (
    ACTIVATIONS,
    DEFAULT_MOMENTUM,
    LOSSES,
    OPTIMIZERS,
    RunConfig,
    RunResult,
    build,
    fit,
    render_loss_graph,
)


def parser() -> argparse.ArgumentParser:
    """The train CLI's options. Those whose default is None are the ones a run may not use
    (``ignored_flags`` refuses them where it would not); their help says the default."""
    p = argparse.ArgumentParser(prog="python -m experiments.train", formatter_class=flags.HelpFormatter,
                                description="Train the lab's network and write its figures and metrics.")
    d = RunConfig()
    p.add_argument("--dataset", choices=list(data.DATASETS), default=d.dataset, help="the data set")
    p.add_argument("--n", type=flags.positive_int, help=f"training points (default: {d.n}; not for xor, "
                   "which has the lab's 21)")
    p.add_argument("--n-test", type=flags.positive_int, help=f"held-out test points (default: {d.n_test}; not for xor)")
    p.add_argument("--noise", type=flags.non_negative_float, help=f"for circle and spiral only (default: {d.noise:g})")
    p.add_argument("--grid", type=flags.positive_int, help=f"chessboard cells per side (default: {d.grid})")
    p.add_argument("--hidden", type=flags.positive_int, nargs="+", default=list(d.hidden), metavar="UNITS",
                   help="units of each hidden layer (default: 4 4)")
    p.add_argument("--activation", choices=ACTIVATIONS, default=d.activation, help="after each hidden layer")
    p.add_argument("--output-activation", choices=ACTIVATIONS, default=d.output_activation,
                   help="after the output layer")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer, help="momentum: SGD with momentum")
    p.add_argument("--lr", type=flags.positive_float, default=d.lr, help="learning rate")
    p.add_argument("--momentum", type=flags.non_negative_float, help="for sgd and momentum only "
                   f"(default: {d.momentum:g} for sgd, {DEFAULT_MOMENTUM:g} for momentum)")
    p.add_argument("--lr-step", type=flags.positive_int,
                   help="multiply lr by --lr-gamma every N epochs (default: never)")
    p.add_argument("--lr-gamma", type=flags.positive_float, help=f"with --lr-step (default: {d.lr_gamma:g})")
    p.add_argument("--loss", choices=LOSSES, default=d.loss, help="mean squared error or binary cross-entropy")
    p.add_argument("--batch-size", type=flags.positive_int, help="mini-batches (default: the whole set)")
    p.add_argument("--epochs", type=flags.positive_int, default=d.epochs, help="passes over the training set")
    p.add_argument("--print-every", type=flags.positive_int, help="default: every 1/20 of the epochs")
    p.add_argument("--early-stop", action="store_true",
                   help="stop once converged: loss below --stop-loss, or 100%% training accuracy for --patience epochs")
    p.add_argument("--stop-loss", type=flags.non_negative_float, help=f"with --early-stop (default: {d.stop_loss:g})")
    p.add_argument("--patience", type=flags.positive_int, help=f"with --early-stop (default: {d.patience})")
    p.add_argument("--seed", type=flags.non_negative_int, default=d.seed,
                   help="seeds the data, the initial weights and the batch order")
    p.add_argument("--out", type=flags.output_folder, help="output folder (default: runs/DATASET)")
    p.add_argument("--quiet", action="store_true", help="print the accuracies only")
    p.add_argument("--eager", action="store_true", help="train with the eager engine, not the compiled step")
    p.add_argument("--snapshots", type=flags.positive_int, nargs="?", const=0, default=None, metavar="EVERY",
                   help="keep the weights every EVERY epochs (default: chosen to keep the file under 2 MB) in "
                        "snapshots.npz, for the studio's replay")
    return p


def ignored_flags(args: argparse.Namespace) -> list[str]:
    """The flags given that the run would not use, each with why (an empty list when none)."""
    spec = data.DATASETS[args.dataset]
    sgd = ("sgd", "momentum")
    noisy = " and ".join(name for name, each in data.DATASETS.items() if each.noisy)
    rules = [
        ("--n", not spec.sized, f"--dataset {args.dataset} has fixed points ({spec.description})"),
        ("--n-test", not spec.sized, f"--dataset {args.dataset} has fixed points ({spec.description})"),
        ("--noise", not spec.noisy, f"it applies to --dataset {noisy} only"),
        ("--grid", args.dataset != "chessboard", "it applies to --dataset chessboard only"),
        ("--momentum", args.optimizer not in sgd, "it applies to --optimizer sgd and momentum only"),
        ("--lr-gamma", args.lr_step is None, "it needs --lr-step N, the epochs between steps"),
        ("--stop-loss", not args.early_stop, "it applies with --early-stop only"),
        ("--patience", not args.early_stop, "it applies with --early-stop only"),
    ]
    problems = [f"{flag} would be ignored: {why}" for flag, unused, why in rules
                if unused and getattr(args, flag[2:].replace("-", "_")) is not None]
    if args.optimizer == "momentum" and args.momentum == 0:
        problems.append(f"--optimizer momentum needs --momentum > 0 (default {DEFAULT_MOMENTUM:g}); "
                        "for none, use --optimizer sgd")
    return problems


def config_from(args: argparse.Namespace) -> RunConfig:
    """The RunConfig parsed flags describe; ValueError when a flag would be ignored or the
    values do not go together."""
    problems = ignored_flags(args)
    if problems:
        raise ValueError("; ".join(problems))
    d = RunConfig()

    def given(name: str) -> Any:
        value = getattr(args, name)
        return getattr(d, name) if value is None else value

    return RunConfig(dataset=args.dataset, n=given("n"), n_test=given("n_test"), noise=given("noise"),
                     grid=given("grid"), hidden=tuple(args.hidden), activation=args.activation,
                     output_activation=args.output_activation, optimizer=args.optimizer, lr=args.lr,
                     momentum=given("momentum"), lr_step=args.lr_step or 0, lr_gamma=given("lr_gamma"),
                     loss=args.loss, epochs=args.epochs, batch_size=args.batch_size or 0, seed=args.seed,
                     early_stop=args.early_stop, stop_loss=given("stop_loss"), patience=given("patience"))


def parse_config(argv: Sequence[str] | None = None,
                 p: argparse.ArgumentParser | None = None) -> tuple[RunConfig, argparse.Namespace]:
    """Parse and check a run's flags: the config and the parsed arguments, or a usage error
    (one line, exit status 2) for a bad value, a flag the run would ignore, or a run too big
    for the machine's memory."""
    p = p or parser()
    args = p.parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as err:
        p.error(str(err))
    problem = flags.memory_problem(config.memory_estimate(), config.to_dict())
    if problem:
        p.error(problem)
    return config, args


# Every file a run may write into --out (graph.dot instead of graph.svg without Graphviz): a new
# run's set replaces the old one's whole, so a file of the old run never stays beside the new ones.
OUTPUT_FILES = ("learning_curve.png", "comparison.png", "decision_boundary.png", "graph.svg", "graph.dot",
                "metrics.json", "model.npz")


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
    config, args = parse_config(argv, p)
    out = args.out or Path("runs") / config.dataset
    problem = check_writable(out)
    if problem:
        p.error(f"cannot write to --out {out}: {problem}")
    print_every = args.print_every or max(1, config.epochs // 20)
    outputs = OutputSet(out, OUTPUT_FILES)
    return outputs.run(lambda: train_and_write(config, args, print_every, outputs))


def train_and_write(config: RunConfig, args: argparse.Namespace, print_every: int, outputs: OutputSet) -> int:
    """Train, print the lab's lines, and write the output files as one set (see OutputSet)."""
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

    def write_all(staging: Path) -> list[Path]:
        written = write_outputs(result, staging)
        if recorder is not None:
            written.append(recorder.write(staging, result.losses))
        return written

    return end_of_run(outputs.write(write_all), result.stopped, args.quiet)


def end_of_run(written: list[Path], stopped: str | None, quiet: bool) -> int:
    """The end of a training CLI's transcript (the train CLI's and the CNN's): the files written,
    and the exit status, 1 when the loss stopped being finite."""
    if not quiet:
        print(f"Wrote {', '.join(str(w) for w in written)}")
    if stopped:
        print(f"error: {stopped}, so training stopped there; the files hold what was gathered until then (try a "
              f"smaller --lr)", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
