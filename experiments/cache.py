"""The run cache: ``folder/<config hash>-<code hash>/<file>``, one entry per run.

An entry is trusted only when it is a real folder holding every file its job needs as a
regular file, and its ``metrics.json`` is a JSON object of the expected shape whose
``config`` is the run's own. Anything else (a truncated file, ``[]``, a folder or a symlink
where a file should be) is reported by name, removed and computed again: a cache entry never
breaks a report and is never followed out of the cache.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from autograd.teach import write_atomic


class CacheError(Exception):
    """The cache folder cannot be written (read-only, full, not a folder): one line naming it."""


class CachedConfig(Protocol):
    def key(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...


class CachedJob(Protocol):
    config: CachedConfig

    def needs(self) -> list[str]: ...


# What the report and the sweep read from a run's metrics.json; every run's record has these.
ACCURACY = {"percent": (int, float), "correct": int, "total": int}
REQUIRED = {"config": dict, "seed": int, "epochs_run": int, "final_loss": (int, float, type(None)),
            "loss_stride": int, "losses": list, "test_accuracy": dict, "wall_time_seconds": (int, float)}
REQUIRED_MLP = {"train_accuracy": dict, "epochs_to_full_accuracy": (int, type(None)),
                "epochs_to_loss_threshold": (int, type(None)), "stopped": (str, type(None))}


def metrics_problem(metrics: Any, config: CachedConfig) -> str | None:
    """None when ``metrics`` has the shape of ``config``'s metrics.json, else what is wrong."""
    if not isinstance(metrics, dict):
        return f"metrics.json holds a JSON {type(metrics).__name__}, not an object"
    required = REQUIRED if config.to_dict().get("kind") == "cnn" else {**REQUIRED, **REQUIRED_MLP}
    for key, kind in required.items():
        if key not in metrics:
            return f"metrics.json has no {key!r}"
        if not isinstance(metrics[key], kind) or isinstance(metrics[key], bool):
            return f"metrics.json's {key!r} is {json.dumps(metrics[key])[:40]}, not {_kind_name(kind)}"
    for key in ("train_accuracy", "test_accuracy"):
        if key in metrics and not all(isinstance(metrics[key].get(k), t) for k, t in ACCURACY.items()):
            return f"metrics.json's {key!r} lacks percent, correct and total"
    if metrics["config"] != json.loads(json.dumps(config.to_dict())):
        return "metrics.json belongs to another configuration"
    return None


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", int: "a whole number", float: "a number", str: "a string",
             type(None): "null"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names[k] for k in kinds if k is not int or float not in kinds))


class Cache:
    """Run results on disk: ``folder/<config hash>-<code hash>/<file>``."""

    def __init__(self, folder: Path, fingerprint: str | None = None) -> None:
        from experiments.study import code_fingerprint

        self.folder = Path(folder)
        self.fingerprint = fingerprint or code_fingerprint()
        self.from_code = fingerprint is None  # the hash is the code's, so workers can check theirs

    def path(self, config: CachedConfig) -> Path:
        return self.folder / f"{config.key()}-{self.fingerprint}"

    def has(self, job: CachedJob) -> bool:
        return self.problem(job) is None

    def problem(self, job: CachedJob) -> str | None:
        """None for a complete, sound entry; "missing" for none (or an unfinished one);
        otherwise what is wrong with it."""
        entry = self.path(job.config)
        if not entry.exists() and not entry.is_symlink():
            return "missing"
        if entry.is_symlink() or not entry.is_dir():
            return "it is not a folder"
        for name in job.needs():
            file = entry / name
            if file.is_symlink():
                return f"{name} is a symlink"
            if not file.exists():
                return "missing"
            if not file.is_file():
                return f"{name} is not a file"
        try:
            metrics = json.loads((entry / "metrics.json").read_bytes())
        except (ValueError, UnicodeDecodeError) as err:
            return f"metrics.json is not valid JSON ({err})"
        except OSError as err:
            return f"metrics.json cannot be read ({err.strerror or err})"
        return metrics_problem(metrics, job.config)

    def missing(self, jobs: Iterable[CachedJob], warn: Callable[[str], None] | None = None) -> list[CachedJob]:
        """The jobs whose results are not in the cache. A damaged entry is reported through
        ``warn``, removed, and counted as missing."""
        todo = []
        for job in jobs:
            problem = self.problem(job)
            if problem is None:
                continue
            if problem != "missing":
                if warn:
                    warn(f"warning: the cache entry {self.path(job.config)} is damaged ({problem}); "
                         f"computing that run again")
                self.remove(job.config)
            todo.append(job)
        return todo

    def remove(self, config: CachedConfig) -> None:
        entry = self.path(config)
        try:
            if entry.is_symlink() or not entry.is_dir():
                entry.unlink(missing_ok=True)
            else:
                shutil.rmtree(entry)
        except OSError as err:
            raise CacheError(f"cannot remove the damaged cache entry {entry}: {err.strerror or err}") from None

    def store(self, job: CachedJob, files: dict[str, bytes]) -> None:
        entry = self.path(job.config)
        try:
            entry.mkdir(parents=True, exist_ok=True)
            for name in sorted(files, key=lambda n: n == "metrics.json"):  # metrics.json last: it marks
                write_atomic(entry / name, files[name])                     # an entry as complete
        except OSError as err:
            raise CacheError(f"cannot write to the cache {entry}: {err.strerror or err}") from None

    def metrics(self, config: CachedConfig) -> dict[str, Any]:
        return json.loads((self.path(config) / "metrics.json").read_text())

    def count(self) -> int:
        """How many entries of the current code hold a metrics.json: the runs kept."""
        try:
            return sum(1 for e in self.folder.glob(f"*-{self.fingerprint}") if (e / "metrics.json").is_file())
        except OSError:
            return 0
