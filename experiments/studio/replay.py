"""Run replay: the runs under the studio's runs folder that kept snapshots, and any one of
them at any kept epoch.

The page never names a file: it gets a list of runs, each with an opaque id (a hash of its
folder's path relative to the runs folder), and asks by id. The folder is searched a few
levels deep, without following links, for ``snapshots.npz`` files.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments import data
from experiments.studio import views
from experiments.studio.limits import Number, RequestError
from experiments.studio.microscope import point_graph
from experiments.studio.snapshots import FILE_NAME, Snapshots, read
from experiments.training import build

MAX_DEPTH = 4  # folder levels below the runs folder
MAX_RUNS = 200
MAX_CURVE_POINTS = 2000
CACHED = 4  # runs kept loaded


@dataclass(frozen=True)
class Run:
    id: str
    name: str  # the folder, relative to the runs folder
    path: Path


def find_runs(folder: Path) -> list[Run]:
    """The runs under ``folder`` that have a snapshots file, sorted by name."""
    found: list[Run] = []
    if not folder.is_dir():
        return found
    top = len(folder.parts)
    for here, dirs, files in os.walk(folder, followlinks=False):
        depth = len(Path(here).parts) - top
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if depth < MAX_DEPTH else []
        if FILE_NAME in files:
            name = Path(here).relative_to(folder).as_posix() or "."
            found.append(Run(hashlib.sha256(name.encode()).hexdigest()[:12], name, Path(here) / FILE_NAME))
            if len(found) >= MAX_RUNS:
                break
    return sorted(found, key=lambda r: r.name)


class Library:
    """The runs folder as the page sees it: a list, and runs loaded on demand."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._loaded: OrderedDict[str, tuple[float, Snapshots]] = OrderedDict()

    def listing(self) -> dict[str, Any]:
        if self.folder is None:
            return {"folder": None, "runs": [], "message": "no runs folder: start the studio with --runs FOLDER"}
        runs = []
        for run in find_runs(self.folder):
            entry = {"id": run.id, "name": run.name}
            try:
                snaps = self._load(run)
                entry.update(model=snaps.config.describe(), epochs=int(snaps.epochs[-1]), snapshots=len(snaps.epochs))
            except ValueError as err:
                entry["error"] = str(err)
            runs.append(entry)
        message = None if runs else (f"no runs with snapshots under {self.folder.name}/ yet: train one with "
                                     f"python -m experiments.train ... --snapshots --out {self.folder.name}/NAME")
        return {"folder": self.folder.name, "runs": runs, "message": message}

    def _run(self, run_id: Any) -> Run:
        if not isinstance(run_id, str) or self.folder is None:
            raise RequestError("unknown run: pick one from the list")
        for run in find_runs(self.folder):
            if run.id == run_id:
                return run
        raise RequestError("unknown run: it is no longer in the runs folder (reload the list)")

    def _load(self, run: Run) -> Snapshots:
        stamp = run.path.stat().st_mtime
        cached = self._loaded.get(run.id)
        if cached is not None and cached[0] == stamp:
            self._loaded.move_to_end(run.id)
            return cached[1]
        snaps = read(run.path)
        self._loaded[run.id] = (stamp, snaps)
        while len(self._loaded) > CACHED:
            self._loaded.popitem(last=False)
        return snaps

    def open(self, run_id: Any) -> Snapshots:
        try:
            return self._load(self._run(run_id))
        except ValueError as err:
            if isinstance(err, RequestError):
                raise
            raise RequestError(f"this run cannot be replayed: {err}") from None

    def summary(self, run_id: Any) -> dict[str, Any]:
        """The run's settings, kept epochs, loss curve (at most MAX_CURVE_POINTS points) and data."""
        snaps = self.open(run_id)
        c = snaps.config
        (X, y), _ = data.load(c.dataset, c.n, c.n_test, c.seed, c.noise, c.grid)
        stride = max(1, -(-len(snaps.losses) // MAX_CURVE_POINTS))
        curve = [[k + 1, float(v)] for k, v in enumerate(snaps.losses) if k % stride == 0 or k == len(snaps.losses) - 1]
        return {"id": run_id, "model": c.describe(), "settings": c.to_dict(), "layers": [2, *c.hidden, 1],
                "epochs": snaps.epochs.tolist(), "losses": curve, "train": views.points(X, y),
                "window": list(views.extent(X)), "activation": c.activation}

    def frame(self, run_id: Any, index: Any, point: Any = None) -> dict[str, Any]:
        """The network at the ``index``-th kept epoch; with ``point``, also the graph of one
        step on that training point."""
        snaps = self.open(run_id)
        k = Number(0, len(snaps.epochs) - 1, integer=True).check("index", _integer(index, "index"))
        c = snaps.config
        (X, y), _ = data.load(c.dataset, c.n, c.n_test, c.seed, c.noise, c.grid)
        model = snaps.model_at(k)
        epoch = int(snaps.epochs[k])
        loss = float(snaps.losses[epoch - 1]) if epoch >= 1 else None
        reply = {"index": k, "epoch": epoch, "loss": loss, "view": views.view(model, c, views.extent(X))}
        if point is not None:
            p = Number(0, len(X) - 1, integer=True).check("point", _integer(point, "point"))
            _, loss_fn, _, _ = build(c)
            list(model.parameters())
            reply.update(point=p, **point_graph(model, loss_fn, X[p], y[p]))
        return reply


def _integer(text: Any, name: str) -> Any:
    """A query parameter as a whole number, or RequestError."""
    try:
        return int(text)
    except (TypeError, ValueError):
        raise RequestError(f"{name} must be a whole number, got {str(text)[:20]!r}") from None

