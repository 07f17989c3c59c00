"""Sweeps: every combination of the training CLI's options you list, each with several seeds,
on this machine's cores or on a Dask cluster:

    python -m experiments.sweep --dataset xor --lr 1 0.1 0.01 --hidden "4 4" "8 8" \\
        --activation sigmoid tanh --epochs 5000 --seeds 5 --out runs/sweep
    python -m experiments.sweep --grid-file grid.toml --dask tcp://host:8786

Each option of ``python -m experiments.train`` takes the values to try (``experiments.grid``).
Writes into ``--out``: ``results.md`` and ``results.html`` (the table and the figures),
``results.csv`` (one row per cell: mean and std over the seeds), ``runs.csv`` (one row per
run), ``learning_curves.png`` and ``heatmap.png``. Runs are cached as the report's are
(``OUT/.cache``), so a re-run, or a grid that grew, computes only the runs that are new.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

from autograd.teach import write_atomic
from experiments import executors, grid, sweep_plots, sweep_results
from experiments.document import Document
from experiments.grid import Axis, Grid, GridError
from experiments.outputs import OutputSet, unstaged
from experiments.progress import say
from experiments.study import Cache, Job, Summary, run_missing

Results = list[tuple[tuple[str, ...], Summary]]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.sweep", allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        usage="%(prog)s [--seeds N] [--out DIR] [--grid-file FILE] [--heatmap X Y] [--workers N | --dask ADDRESS] "
              "[--TRAIN-OPTION VALUE ...] ...",
        description="Train every combination of the options given, each with seeds 0 to N-1, and write a "
                    "results table, learning curves and a heatmap of test accuracy.",
        epilog="Any other option is one of python -m experiments.train's, followed by the values to try, one per "
               "argument: --lr 1 0.1 --hidden \"4 4\" \"8 8\" --activation sigmoid tanh. An option with one "
               "value is the same for every run; a flag alone (--early-stop) is set for every run.")
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="seeds per cell: 0 to N-1")
    p.add_argument("--out", type=Path, default=Path("runs/sweep"), help="output folder")
    p.add_argument("--grid-file", type=Path, default=None, metavar="FILE",
                   help="a TOML or JSON file of options and their values (lr = [1, 0.1])")
    p.add_argument("--heatmap", nargs=2, metavar=("X", "Y"), default=None,
                   help="the two options the heatmap spans (default: the first two with several values)")
    executors.add_flags(p, cache_default="OUT/.cache")
    return p


def read_grid(args: argparse.Namespace, words: list[str]) -> Grid:
    """The grid of the command line's words, after the grid file's, if any."""
    on_line = grid.from_argv(words)
    return grid.merge(grid.from_file(args.grid_file), on_line) if args.grid_file else on_line


def heatmap_axes(g: Grid, names: Sequence[str] | None) -> tuple[Axis, Axis | None] | None:
    """The heatmap's x and y axes: the two named (options with several values), or the first
    two such; None when nothing varies."""
    varied = {a.name: a for a in g.varied}
    if names is None:
        first = list(varied.values())[:2]
        return (first[0], first[1] if len(first) > 1 else None) if first else None
    for name in names:
        if name.lstrip("-") not in varied:
            allowed = ", ".join(varied) or "none: no option has several values"
            raise GridError(f"--heatmap {name}: not an option with several values in the grid (those: {allowed})")
    x, y = (varied[n.lstrip("-")] for n in names)
    if x is y:
        raise GridError(f"--heatmap needs two different options, got {names[0]} twice")
    return x, y


def run(g: Grid, seeds: int, out: Path, *, executor: Executor | None = None, workers: int | None = None,
        cache_dir: Path | None = None, heatmap: tuple[Axis, Axis | None] | None = None,
        command: str = "python -m experiments.sweep", log: Callable[[str], None] = say) -> list[Path]:
    """Run the grid's runs that are not cached, then write the tables and figures into ``out``."""
    cells = g.cells(seeds)
    cache = Cache(cache_dir or out / ".cache")
    jobs = list({job.config.key(): job for job in
                 (Job(replace(c.config, seed=s)) for c in cells for s in range(seeds))}.values())
    run_missing(jobs, cache, executor, workers, log, f"{grid.describe(g, seeds)}; ")
    results = [(c.values, Summary(c.config, [cache.metrics(replace(c.config, seed=s)) for s in range(seeds)]))
               for c in cells]
    return write(g, results, out, heatmap, command)


# Every file a sweep writes into --out: a new sweep's set replaces the old one's whole.
SWEEP_FILES = ("results.md", "results.html", "results.csv", "runs.csv", "learning_curves.png", "heatmap.png")


def write(g: Grid, results: Results, out: Path, heatmap: tuple[Axis, Axis | None] | None,
          command: str) -> list[Path]:
    """The tables and figures, put into ``out`` together (``OutputSet``): the folder holds the
    previous sweep's files or all of this one's, never a mixture."""
    return OutputSet(out, SWEEP_FILES).write(lambda staging: _write_files(g, results, staging, heatmap, command))


def _write_files(g: Grid, results: Results, folder: Path, heatmap: tuple[Axis, Axis | None] | None,
                 command: str) -> list[Path]:
    written = [sweep_plots.learning_curves(g, results, folder / "learning_curves.png")]
    if heatmap:
        written.append(sweep_plots.heatmap(g, results, *heatmap, folder / "heatmap.png"))
    written.append(write_atomic(folder / "results.csv", sweep_results.results_csv(g, results)))
    written.append(write_atomic(folder / "runs.csv", sweep_results.runs_csv(g, results)))
    doc = document(g, results, heatmap, command)
    written.append(write_atomic(folder / "results.md", doc.markdown()))
    written.append(write_atomic(folder / "results.html", doc.html(folder)))
    return written


def document(g: Grid, results: Results, heatmap: tuple[Axis, Axis | None] | None, command: str) -> Document:
    seeds = max(s.seeds for _, s in results)
    doc = Document("Sweep: " + grid.describe(g, seeds))
    fixed = " ".join(g.fixed_argv())
    doc.paragraph(f"Made by `{command}`. Every run: `python -m experiments.train {fixed}`".rstrip()
                  + f" with the values below, seeds 0 to {seeds - 1}: {results[0][1].config.describe()} "
                    f"(the first cell's configuration).")
    headers, rows = sweep_results.table_rows(g, results)
    doc.table(headers, rows, f"Mean ± std over {seeds} seeds (pstdev); epochs to 100% train: the median "
                             f"over the seeds that got there. Also in results.csv; each run in runs.csv.")
    if heatmap:
        doc.figure("heatmap.png", "Test accuracy, mean ± std over the seeds.")
    doc.figure("learning_curves.png", "Training loss per epoch; one panel per cell, its seeds overlaid.")
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args, words = p.parse_known_args(argv)
    if args.seeds <= 0:
        p.error(f"--seeds must be > 0, got {args.seeds}")
    try:
        g = read_grid(args, words)
        g.cells(args.seeds)  # every combination checked by the training CLI before anything runs
        axes = heatmap_axes(g, args.heatmap)
    except GridError as err:
        p.error(str(err))
    from experiments.train import check_writable

    problem = check_writable(args.out)
    if problem:
        p.error(f"cannot write to --out {args.out}: {problem}")
    cache_dir = args.cache_dir or args.out / ".cache"
    executors.check_flags(p, args, cache_dir)
    command = "python -m experiments.sweep " + shlex.join(sys.argv[1:] if argv is None else argv)

    def work() -> int:
        with executors.open_executor(args) as executor:
            try:
                written = run(g, args.seeds, args.out, executor=executor, workers=args.workers,
                              cache_dir=cache_dir, heatmap=axes, command=command.strip())
            except OSError as err:  # a full or read-only disk: the previous results are left whole
                print(f"error: could not write {unstaged(err.filename or args.out)}: {err.strerror or err}; the "
                      f"results in {args.out} were left as they were", file=sys.stderr)
                return 1
        print(f"Wrote {', '.join(str(w) for w in written)}")
        return 0

    return executors.finish(work, cache_dir)


if __name__ == "__main__":
    raise SystemExit(main())
