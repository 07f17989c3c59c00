"""Save and load a module's parameters as ``.npz``: written atomically, read without pickle."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from autograd.teach import write_atomic
from nn.module import Module

FORMAT_KEY = "__chainrule_checkpoint__"
FORMAT = "chainrule-checkpoint-1"


def save(module: Module, path: str | os.PathLike[str]) -> Path:
    """Write ``module.state_dict()`` to ``path`` as an uncompressed ``.npz`` (the exact path
    given: no suffix is added)."""
    if not isinstance(module, Module):
        raise TypeError(f"nn.save: expects a Module, got {type(module).__name__}")
    arrays = {name: value for name, value in module.state_dict().items()}
    arrays[FORMAT_KEY] = np.array(FORMAT)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return write_atomic(path, buffer.getvalue())


def load(module: Module, path: str | os.PathLike[str], strict: bool = True) -> Module:
    """Read a checkpoint written by ``save`` into ``module`` and return it.

    The file is read with ``allow_pickle=False``, so it can never run code. A file that is
    not a checkpoint, a missing or unexpected key, or a shape mismatch raises ValueError
    naming the file, the key and the shapes, and leaves the module untouched.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"nn.load: no checkpoint file at {path}")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not a set of named arrays")
        with archive:
            state = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as err:
        raise ValueError(f"nn.load: {path} is not a chainrule checkpoint (.npz of named arrays): {err}") from None
    marker = state.pop(FORMAT_KEY, None)
    if marker is not None and str(marker) != FORMAT:
        raise ValueError(f"nn.load: {path} is a checkpoint of format {str(marker)!r}; this version reads {FORMAT!r}")
    try:
        module.load_state_dict(state, strict=strict)
    except ValueError as err:
        raise ValueError(f"nn.load: {path}: {err}") from None
    return module
