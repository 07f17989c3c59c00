"""The report's study: which runs it makes, and how any list of runs (the study's or a
sweep's) is spread over workers and cached.

Each run is a ``Job`` handed to ``run_job`` through any ``concurrent.futures.Executor``
(a pool of local processes by default, a Dask cluster's executor unchanged): the job and its
result are plain picklable data and nothing is shared through the file system. Results are
cached (``experiments.cache``) under a hash of the run's configuration and of the code that
computes it, so a re-run only computes what changed.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.cache import Cache
from experiments.cnn import CNNConfig
from experiments.training import RunConfig

if TYPE_CHECKING:
    from experiments.pool import WorkerWatch

Config = RunConfig | CNNConfig

ROOT = Path(__file__).resolve().parents[1]
CODE = ["autograd", "nn", "experiments/data.py", "experiments/training.py", "experiments/plots.py",
        "experiments/train.py", "experiments/cnn.py"]
HEADLINE_SEEDS = 5


def code_fingerprint() -> str:
    """A hash of the source files that decide a run's numbers and figures."""
    digest = hashlib.sha256()
    for entry in CODE:
        path = ROOT / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(ROOT).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


# ---- the plan ---------------------------------------------------------------------------------
# The study's runs stop once converged (loss < 1e-3, or every training point right for 2,000
# epochs in a row): the report states it, and the numbers it compares are reached before.
LAB = RunConfig(hidden=(4, 4), activation="sigmoid", optimizer="sgd", lr=1.0, loss="mse", epochs=20000,
                early_stop=True)


@dataclass(frozen=True)
class Sweep:
    """One discussion item: the same data set, one setting varied."""

    key: str
    title: str
    dataset: str
    rows: tuple[tuple[str, RunConfig], ...]
    note: str = ""


@dataclass
class Plan:
    quick: bool = False
    baselines: dict[str, RunConfig] = field(default_factory=dict)
    best: dict[str, RunConfig] = field(default_factory=dict)
    sweeps: list[Sweep] = field(default_factory=list)
    sweep_seeds: int = 3
    cnn: CNNConfig | None = None

    def jobs(self) -> list[Job]:
        """Every run, each once; the first seed of headline runs also draws its figures."""
        jobs: dict[str, Job] = {}

        def add(config: Config, seeds: int, figures: bool = False, graph: bool = False) -> None:
            for seed in range(seeds):
                cfg = replace(config, seed=seed)
                old = jobs.get(cfg.key(), Job(cfg))  # a run in two places is made once, with all it needs
                jobs[cfg.key()] = Job(cfg, figures=old.figures or (figures and seed == 0),
                                      graph=old.graph or (graph and seed == 0))

        for name, cfg in self.baselines.items():
            add(cfg, HEADLINE_SEEDS, figures=True, graph=name == "xor")
        for cfg in self.best.values():
            add(cfg, HEADLINE_SEEDS, figures=True)
        for sweep in self.sweeps:
            for _, cfg in sweep.rows:
                add(cfg, self.sweep_seeds)
        if self.cnn is not None:
            add(self.cnn, HEADLINE_SEEDS, figures=True, graph=True)
        return list(jobs.values())


def make_plan(quick: bool = False) -> Plan:
    """The lab's study. ``quick`` shortens every run (for ``make demo`` and the tests): its
    numbers show that the pipeline works, not what the networks can learn."""

    def q(cfg: RunConfig) -> RunConfig:
        return replace(cfg, epochs=max(200, cfg.epochs // 20), patience=100) if quick else cfg

    baselines = {
        "linear": q(replace(LAB, dataset="linear", n=100, n_test=1000)),
        "xor": q(replace(LAB, dataset="xor")),
        "chessboard": q(replace(LAB, dataset="chessboard", n=1000, n_test=1000)),
    }
    chess = RunConfig(dataset="chessboard", n=4000, n_test=1000, hidden=(32, 32), activation="tanh",
                      optimizer="adam", lr=0.01, epochs=3000, lr_step=1000, lr_gamma=0.3, early_stop=True)
    best = {
        "linear": q(replace(LAB, dataset="linear", n=1000, n_test=1000, epochs=5000)),
        "xor": baselines["xor"],
        "chessboard": replace(chess, n=2000, epochs=300, lr_step=100) if quick else chess,
    }
    sweeps = []
    for dataset in ("linear", "xor"):
        base = baselines[dataset]
        sweeps += [
            Sweep("lr", "Learning rate", dataset,
                  tuple((f"lr = {lr:g}", replace(base, lr=lr)) for lr in (1.0, 0.1, 0.01, 0.001)),
                  "SGD on the lab's 2-4-4-1 sigmoid network; only the learning rate changes."),
            Sweep("hidden", "Hidden units", dataset,
                  tuple((f"{h} units per hidden layer", replace(base, hidden=(h, h))) for h in (2, 4, 8, 16, 32)),
                  "Both hidden layers get the same width; SGD, lr = 1."),
            Sweep("no_activation", "Without activation functions", dataset, (
                ("sigmoid everywhere (the lab's network)", base),
                ("hidden activations removed, output sigmoid kept", replace(base, activation="none")),
                ("every activation removed, lr = 1", replace(base, activation="none", output_activation="none")),
                ("every activation removed, lr = 0.1",
                 replace(base, activation="none", output_activation="none", lr=0.1)),
            ), "Removed means replaced by the identity: the layers' weights and biases stay. With every "
               "activation removed the network is one affine map, and a prediction is class 1 where the "
               "raw output is above 0.5; it is shown at the baseline's lr = 1 and at lr = 0.1."),
            Sweep("optimizer", "Optimizers", dataset, (
                ("SGD, lr = 1", base),
                ("SGD + momentum 0.9, lr = 0.1", replace(base, optimizer="momentum", lr=0.1)),
                ("Adagrad, lr = 0.1", replace(base, optimizer="adagrad", lr=0.1)),
                ("RMSprop, lr = 0.01", replace(base, optimizer="rmsprop", lr=0.01)),
                ("Adam, lr = 0.01", replace(base, optimizer="adam", lr=0.01)),
            ), "Each optimizer at a learning rate suited to it (momentum multiplies the effective step "
               "by about 1/(1 - 0.9) = 10, so 0.1 with momentum is comparable to SGD's 1)."),
            Sweep("activation", "Activation functions", dataset, tuple(
                (name, replace(base, activation=act)) for name, act in
                (("sigmoid", "sigmoid"), ("tanh", "tanh"), ("ReLU", "relu"), ("leaky ReLU (0.01)", "leaky_relu"))),
                "The hidden layers' activation changes; the output keeps its sigmoid; SGD, lr = 1."),
        ]
    cnn = CNNConfig(epochs=3, n_train=1000, n_test=500) if quick else CNNConfig()
    return Plan(quick, baselines, best, sweeps, sweep_seeds=1 if quick else 3, cnn=cnn)


# ---- running ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    config: Config
    figures: bool = False  # the run's figures (learning curve, comparison, boundary or filters)
    graph: bool = False  # the computation graph

    def needs(self) -> list[str]:
        files = ["metrics.json", "transcript.txt", "model.npz"]
        if self.graph and graph_drawable():  # drawn once dot is there, even where the run was cached before
            files.append("graph.svg")
        if self.figures:
            files += ["learning_curve.png"]
            files += ["filters.png", "samples.png"] if isinstance(self.config, CNNConfig) else \
                ["comparison.png", "decision_boundary.png"]
        return files

    def label(self) -> str:
        """The run in a few words: ``xor, 2-4-4-1 sigmoid, SGD lr=1, ..., seed 0``."""
        where = "CNN" if isinstance(self.config, CNNConfig) else self.config.dataset
        return f"{where}, {self.config.describe()}, seed {self.config.seed}"


def graph_drawable() -> bool:
    """True when Graphviz's dot program is here to draw the computation graphs."""
    return shutil.which("dot") is not None


def run_job(job: Job, fingerprint: str | None = None) -> dict[str, Any]:
    """Train one configuration (in a worker) and return its files as bytes, by name. The graph is
    drawn only where dot is installed: the report says once what is missing, rather than each
    worker printing a note about a temporary file.

    With ``fingerprint``, the worker first checks that it runs the same code as the process
    that keys the cache (a cluster's workers may have another version installed)."""
    from experiments import cnn
    from experiments.train import result_lines, write_outputs
    from experiments.training import fit

    if fingerprint is not None and _worker_fingerprint() != fingerprint:
        raise RuntimeError(f"this worker runs other code than the client (code hash {_worker_fingerprint()}, "
                           f"the client's {fingerprint}): install the same chainrule on every worker")
    graph = job.graph and graph_drawable()
    if isinstance(job.config, CNNConfig):
        return cnn.run_files(job.config, graph=graph, figures=job.figures)
    result = fit(job.config, print_every=max(1, job.config.epochs // 10))
    transcript = "\n".join([*result.lines, *result_lines(result)]) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        written = write_outputs(result, Path(folder), graph=graph, figures=job.figures)
        files = {p.name: p.read_bytes() for p in written}
    files["transcript.txt"] = transcript.encode()
    return files


@functools.lru_cache(maxsize=1)
def _worker_fingerprint() -> str:
    return code_fingerprint()


class RunsFailedError(Exception):
    """Some runs did not finish. The finished ones are in the cache; ``failed`` holds each
    lost job and why, ``not_started`` the jobs never started."""

    def __init__(self, failed: list[tuple[Job, str]], not_started: list[Job], cache: Cache) -> None:
        self.failed, self.not_started, self.cache = failed, not_started, cache
        super().__init__(self.line())

    def line(self) -> str:
        reasons: dict[str, list[Job]] = {}
        for job, reason in self.failed:
            reasons.setdefault(reason, []).append(job)
        lost = "; also ".join(f"{reason} [{_some(jobs)}]" for reason, jobs in reasons.items())
        runs = "run" if len(self.failed) == 1 else "runs"
        rest = f"; {len(self.not_started)} runs did not start" if self.not_started else ""
        return f"{len(self.failed)} {runs} failed: {lost}{rest}; {kept(self.cache)}"


def kept(cache: Cache) -> str:
    """``12 finished runs are kept in report/.cache: the same command computes only the rest``."""
    n = cache.count()
    return (f"{n} finished {'run is' if n == 1 else 'runs are'} kept in {cache.folder}, so the same command "
            f"computes only the rest")


def _some(jobs: list[Job], shown: int = 3) -> str:
    """A few jobs' labels, and how many more."""
    more = f"; and {len(jobs) - shown} more" if len(jobs) > shown else ""
    return "; ".join(j.label() for j in jobs[:shown]) + more


BROKEN = ("a worker process was killed (by a signal, as the out-of-memory killer does) and the pool stopped, "
          "losing the runs in progress")


def run_plan(plan: Plan, cache: Cache, executor: Executor | None = None, workers: int | None = None,
             progress: Callable[..., None] | None = None, warn: Callable[[str], None] | None = None) -> int:
    """Run every job of ``plan`` not in ``cache`` (see ``run_jobs``); returns how many ran."""
    return run_jobs(plan.jobs(), cache, executor, workers, progress, warn)


def run_missing(jobs: list[Job], cache: Cache, executor: Executor | None, workers: int | None,
                log: Callable[[str], None], headline: str) -> None:
    """Run what ``cache`` lacks of ``jobs`` (see ``run_jobs``) with a progress bar over all of
    them: first ``headline`` and how many are cached (``N runs in the study, 0 cached, N to run``),
    at the end how long the runs took."""
    from experiments.progress import RunProgress

    todo = cache.missing(jobs, warn=log)
    log(f"{headline}{len(jobs) - len(todo)} cached, {len(todo)} to run")
    start = time.perf_counter()
    with RunProgress(len(jobs), len(jobs) - len(todo), log=log) as progress:
        run_jobs(todo, cache, executor=executor, workers=workers, progress=progress, warn=log)
    if todo:
        log(f"ran {len(todo)} runs in {time.perf_counter() - start:.1f} s")


def run_jobs(jobs: list[Job], cache: Cache, executor: Executor | None = None, workers: int | None = None,
             progress: Callable[..., None] | None = None, warn: Callable[[str], None] | None = None) -> int:
    """Run every job not in ``cache`` and store each result as it arrives; returns how many ran.

    With no ``executor``, a pool of ``workers`` local processes (default: one per CPU) is made
    and closed. ``progress(job, failed)`` is told of each run as it ends; ``warn`` of damaged
    cache entries. A run that fails does not stop the others; ``RunsFailedError`` names them at the
    end. A worker process killed (SIGKILL, as the out-of-memory killer does) breaks a local
    pool: the runs in it are lost, the rest are not started, and ``RunsFailedError`` says so.
    Ctrl-C stops at once; every run finished before it is in the cache."""
    todo = cache.missing(jobs, warn)
    if not todo:
        return 0
    todo.sort(key=lambda j: -j.config.cost())  # the longest first, so no worker waits on one at the end
    try:
        if executor is not None:
            failed = _drain(executor, todo, cache, progress, window=len(todo))
        else:
            from experiments.pool import WorkerWatch, capped_workers, local_pool

            count, _ = capped_workers(workers)
            watch = WorkerWatch()
            with local_pool(count) as pool:  # leaving it on _PoolBrokenError ends the workers at once
                failed = _drain(pool, todo, cache, progress, window=count, watch=watch)
    except _PoolBrokenError as broken:
        raise RunsFailedError(broken.failed, broken.not_started, cache) from None
    if failed:
        raise RunsFailedError(failed, [], cache)
    return len(todo)


class _PoolBrokenError(Exception):
    def __init__(self, failed: list[tuple[Job, str]], lost: list[Job], waiting: list[Job]) -> None:
        super().__init__("the process pool broke")
        self.failed = [*failed, *((job, BROKEN) for job in lost)]
        self.not_started = list(reversed(waiting))


def _drain(executor: Executor, todo: list[Job], cache: Cache, progress: Callable[..., None] | None,
           window: int, watch: WorkerWatch | None = None) -> list[tuple[Job, str]]:
    """Keep ``window`` jobs submitted (a local pool's size: then each submitted job is in a
    worker, and a broken pool's lost runs are known exactly); store results as they come.
    Returns the failed jobs with their reasons; raises ``_PoolBrokenError`` when a worker was killed."""
    code = cache.fingerprint if cache.from_code else None  # the workers check they run this code
    waiting = list(reversed(todo))
    running: dict[Future, Job] = {}
    failed: list[tuple[Job, str]] = []
    try:
        while waiting or running:
            try:
                while waiting and len(running) < window:
                    running[executor.submit(run_job, waiting[-1], code)] = waiting[-1]
                    waiting.pop()
                done = _finished(running, watch)
            except BrokenProcessPool:
                raise _PoolBrokenError(failed, list(running.values()), waiting) from None
            for future in done:
                job = running.pop(future)
                try:
                    files = future.result()
                except BrokenProcessPool:
                    raise _PoolBrokenError(failed, [job, *running.values()], waiting) from None
                except Exception as err:  # a run that raised, or a cluster's worker lost: reported at the end
                    failed.append((job, _reason(err)))
                else:
                    cache.store(job, files)
                if progress:
                    progress(job, failed=bool(failed) and failed[-1][0] is job)
    finally:
        for future in running:  # Ctrl-C or an error: nothing more is started
            future.cancel()
    return failed


def _finished(running: dict[Future, Job], watch: WorkerWatch | None) -> list[Future]:
    """The futures that are done, results first. With ``watch`` (this machine's pool), a worker
    killed while it was sending a result is noticed too: ``concurrent.futures`` would wait for
    the rest of that message forever."""
    while True:
        done, _ = wait(running, timeout=None if watch is None else 0.5, return_when=FIRST_COMPLETED)
        if done:
            return sorted(done, key=lambda f: f.cancelled() or f.exception() is not None)
        if watch is not None and watch.killed():
            raise BrokenProcessPool("a worker process was killed")


def _reason(err: BaseException) -> str:
    """An exception from a worker, in one short line."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


# ---- results --------------------------------------------------------------------------------------
@dataclass
class Summary:
    """One configuration over its seeds."""

    config: Config
    runs: list[dict[str, Any]]

    @property
    def seeds(self) -> int:
        return len(self.runs)

    def values(self, which: str) -> list[float]:
        return [r[which]["percent"] for r in self.runs]

    def mean_std(self, which: str) -> tuple[float, float]:
        v = self.values(which)
        return statistics.mean(v), statistics.pstdev(v) if len(v) > 1 else 0.0

    def counts(self, which: str) -> list[str]:
        return [f"{r[which]['correct']}/{r[which]['total']}" for r in self.runs]

    def final_loss(self) -> float | None:
        """The mean final loss, or None when a run ended on NaN or inf."""
        values = [r["final_loss"] for r in self.runs]
        return None if None in values else statistics.mean(values)

    def reached(self, key: str) -> list[int]:
        return [r[key] for r in self.runs if r[key] is not None]

    def wall_time(self) -> float:
        return statistics.mean(r["wall_time_seconds"] for r in self.runs)

    def stopped(self) -> list[str]:
        return [r["stopped"] for r in self.runs if r["stopped"]]

    def converged_epochs(self) -> list[int]:
        """The epochs at which early stopping ended the runs that converged."""
        return [r["epochs_run"] for r in self.runs if r.get("converged")]


def summarize(cache: Cache, config: Config, seeds: int) -> Summary:
    return Summary(config, [cache.metrics(replace(config, seed=s)) for s in range(seeds)])

