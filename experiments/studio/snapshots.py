"""Compact snapshots of a training run, for the studio's replay.

``python -m experiments.train ... --snapshots`` passes a ``SnapshotRecorder`` to ``fit``;
it keeps the weights every k epochs (k chosen so the file stays under about 2 MB: a
20,000-epoch run of the lab's 2-4-4-1 network keeps 501 snapshots in about 0.1 MB) and
writes ``snapshots.npz`` into the run's folder: the configuration, the loss of every epoch,
the epochs kept, and per parameter an array of its values at those epochs (float32).
``read`` loads one back without pickle and checks it against the configuration.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd.teach import write_atomic
from experiments.training import RunConfig, build

FILE_NAME = "snapshots.npz"
FORMAT = "chainrule-snapshots-1"
BUDGET_BYTES = 2 * 1024 * 1024
MAX_SNAPSHOTS = 500
MIN_SNAPSHOTS = 20


def choose_every(config: RunConfig) -> int:
    """Epochs between two snapshots: as few as the byte budget allows, at most
    MAX_SNAPSHOTS snapshots and at least MIN_SNAPSHOTS (budget or not)."""
    sizes = [2, *config.hidden, 1]
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    count = max(MIN_SNAPSHOTS, min(MAX_SNAPSHOTS, BUDGET_BYTES // (4 * params)))
    return max(1, math.ceil(config.epochs / count))


class SnapshotRecorder:
    """Called by ``fit`` as ``recorder(epoch, model)`` before the first epoch (epoch 0) and
    after each one; keeps the weights every ``every`` epochs."""

    def __init__(self, config: RunConfig, every: int | None = None) -> None:
        if every is not None and (not isinstance(every, int) or every <= 0):
            raise ValueError(f"snapshots: every must be a positive whole number of epochs, got {every!r}")
        self.config = config
        self.every = every or choose_every(config)
        self.epochs: list[int] = []
        self.states: list[dict[str, np.ndarray]] = []
        self.last: tuple[int, nn.Module] | None = None

    def __call__(self, epoch: int, model: nn.Module) -> None:
        self.last = (epoch, model)
        if epoch % self.every == 0:
            self._keep(epoch, model)

    def _keep(self, epoch: int, model: nn.Module) -> None:
        self.epochs.append(epoch)
        self.states.append({k: v.astype(np.float32) for k, v in model.state_dict().items()})

    def write(self, folder: str | os.PathLike[str], losses: np.ndarray) -> Path:
        """``snapshots.npz`` in ``folder``, with the last epoch's weights kept too."""
        if self.last is not None and (not self.epochs or self.epochs[-1] != self.last[0]):
            self._keep(*self.last)
        arrays: dict[str, np.ndarray] = {
            "format": np.array(FORMAT), "config": np.array(json.dumps(self.config.to_dict())),
            "every": np.array(self.every), "epochs": np.array(self.epochs, dtype=np.int64),
            "losses": np.asarray(losses, dtype=np.float32)}
        for name in self.states[0] if self.states else []:
            arrays[f"w:{name}"] = np.stack([s[name] for s in self.states])
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return write_atomic(Path(folder) / FILE_NAME, buffer.getvalue())


class Snapshots:
    """A run's snapshots, read back: ``config``, ``epochs``, ``losses`` and ``model_at(k)``."""

    def __init__(self, config: RunConfig, epochs: np.ndarray, losses: np.ndarray,
                 weights: dict[str, np.ndarray]) -> None:
        self.config, self.epochs, self.losses, self.weights = config, epochs, losses, weights

    def model_at(self, index: int) -> nn.MLP:
        """The network as it was at the ``index``-th snapshot."""
        model, _, _, _ = build(self.config)
        model.load_state_dict({k: v[index].astype(np.float64) for k, v in self.weights.items()})
        return model


def read(path: str | os.PathLike[str]) -> Snapshots:
    """Load ``snapshots.npz``; ValueError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            files = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as err:
        raise ValueError(f"{path.name}: not a snapshots file ({err})") from None
    if str(files.get("format", "")) != FORMAT:
        raise ValueError(f"{path.name}: not a {FORMAT} file")
    try:
        config = RunConfig(**_config(json.loads(str(files["config"]))))
        epochs, losses = files["epochs"].astype(np.int64), files["losses"].astype(np.float64)
        weights = {k[2:]: v for k, v in files.items() if k.startswith("w:")}
        model, _, _, _ = build(config)
        expected = {k: v.shape for k, v in model.state_dict().items()}
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path.name}: the configuration cannot be read ({err})") from None
    if epochs.ndim != 1 or not len(epochs) or np.any(np.diff(epochs) <= 0):
        raise ValueError(f"{path.name}: the list of epochs is empty or not increasing")
    for name, shape in expected.items():
        if name not in weights or weights[name].shape != (len(epochs), *shape):
            got = weights[name].shape if name in weights else "nothing"
            raise ValueError(f"{path.name}: weights {name} should have shape {(len(epochs), *shape)}, got {got}")
    return Snapshots(config, epochs, losses, weights)


def _config(d: Any) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise ValueError("the configuration is not an object")
    known = {f for f in RunConfig.__dataclass_fields__}
    return {k: (tuple(v) if k == "hidden" else v) for k, v in d.items() if k in known}
