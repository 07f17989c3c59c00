"""Save and load a module's parameters as ``.npz``: written atomically; read without pickle,
and checked against the module before any data is read."""

from __future__ import annotations

import io
import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from nn.module import Module, Parameter, some

FORMAT_KEY = "__chainrule_checkpoint__"
FORMAT = "chainrule-checkpoint-1"
_MARKER_BYTES = 1024  # the format marker is a short string
# What a damaged or hostile archive can raise while its directory, a header or a member is read.
_ARCHIVE_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError,
                   NotImplementedError, zlib.error)


class _NotACheckpointError(Exception):
    """The file is not a set of named numeric arrays at all."""


class _RefusedError(Exception):
    """A checkpoint that does not fit the module (the message says how)."""


def save(module: Module, path: str | os.PathLike[str]) -> Path:
    """Write ``module.state_dict()`` to ``path`` as an uncompressed ``.npz`` (the exact path
    given: no suffix is added)."""
    if not isinstance(module, Module):
        raise TypeError(f"nn.save: expects a Module, got {type(module).__name__}")
    arrays = {name: value for name, value in module.state_dict().items()}
    arrays[FORMAT_KEY] = np.array(FORMAT)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    from autograd import write_atomic  # (the writer lives with the teaching tools: import nn loads neither)

    return write_atomic(path, buffer.getvalue())


def load(module: Module, path: str | os.PathLike[str], strict: bool = True, allow_nonfinite: bool = False) -> Module:
    """Read a checkpoint written by ``save`` into ``module`` and return it.

    Nothing in the file can run code (no pickle) or make the process allocate more than the
    module's parameters take: the list of arrays, then each array's ``.npy`` header (dtype and
    shape) and its declared size are checked against the module first, and only then is each
    array read, no more bytes than its parameter needs. A file that is not a checkpoint, a
    missing or unexpected key (with ``strict``), a shape or dtype mismatch, or NaN or infinite
    values (unless ``allow_nonfinite``) raises ValueError naming the file and the keys, and
    leaves the module untouched.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"nn.load: no checkpoint file at {path}")
    params = dict(module.named_parameters())
    try:
        with zipfile.ZipFile(path) as archive:
            state = _read_checked(archive, params, strict, allow_nonfinite)
    except _NotACheckpointError as err:
        raise ValueError(f"nn.load: {path} is not a chainrule checkpoint (.npz of named arrays): {err}") from None
    except _ARCHIVE_ERRORS as err:
        raise ValueError(f"nn.load: {path} is not a chainrule checkpoint (.npz of named arrays): "
                         f"{type(err).__name__}: {err}") from None
    except _RefusedError as err:
        raise ValueError(f"nn.load: {path}: {err}") from None
    try:
        module.load_state_dict(state, strict=strict)
    except ValueError as err:
        raise ValueError(f"nn.load: {path}: {err}") from None
    return module


def _read_checked(archive: zipfile.ZipFile, params: dict[str, Parameter], strict: bool,
                  allow_nonfinite: bool) -> dict[str, np.ndarray]:
    """The arrays the module needs, each checked (keys, then headers, then values)."""
    members = _members(archive)
    _check_marker(archive, members)
    _check_keys(members, params, strict)
    wanted = [key for key in params if key in members]
    headers = {key: _header(archive, members[key]) for key in wanted}
    _fail_if([problem for key in wanted if (problem := _header_problem(key, members[key], headers[key],
                                                                        params[key]))])
    state = {key: _read_data(archive, members[key], headers[key]) for key in wanted}
    if not allow_nonfinite:
        _fail_if([problem for key, value in state.items() if (problem := _nonfinite_problem(key, value))],
                 "; pass allow_nonfinite=True to load them anyway")
    return state


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's arrays by key (``layers.0.weight.npy`` holds ``layers.0.weight``)."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if key in members:
            raise _NotACheckpointError(f"the array {key!r} is stored twice")
        members[key] = info
    if not members:
        raise _NotACheckpointError("it holds no arrays")
    return members


def _check_marker(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> None:
    info = members.get(FORMAT_KEY)
    if info is None:  # a plain np.savez of a state dict is read too
        return
    dtype, shape, header_size = _header(archive, info)
    if dtype.kind != "U" or shape != () or info.file_size > header_size + _MARKER_BYTES:
        raise _NotACheckpointError(f"its format marker {FORMAT_KEY!r} is not a short string")
    marker = str(_read_data(archive, info, (dtype, shape, header_size)))
    if marker != FORMAT:
        raise _RefusedError(f"a checkpoint of format {marker[:100]!r}; this version reads {FORMAT!r}")


def _check_keys(members: dict[str, zipfile.ZipInfo], params: dict[str, Parameter], strict: bool) -> None:
    if not strict:
        return
    missing = [key for key in params if key not in members]
    unexpected = [key for key in members if key not in params and key != FORMAT_KEY]
    problems = []
    if missing:
        problems.append(f"missing key(s) {some(missing)}")
    if unexpected:
        problems.append(f"unexpected key(s) {some(unexpected)} (this module has {some(list(params))})")
    _fail_if(problems)


def _header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[np.dtype, tuple[int, ...], int]:
    """The dtype and shape an array's ``.npy`` header declares, and the header's size in bytes;
    reads the header only (at most 10,000 bytes of it, numpy's limit)."""
    with archive.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
        except ValueError as err:
            raise _NotACheckpointError(f"{info.filename!r} is not a .npy array ({err})") from None
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise _NotACheckpointError(f"{info.filename!r} is a .npy array of version {version}; 1.0 and 2.0 are read")
        if fortran and len(shape) > 1:
            raise _NotACheckpointError(f"{info.filename!r} is stored in Fortran order; save writes C order")
        return dtype, shape, f.tell()


def _header_problem(key: str, info: zipfile.ZipInfo, header: tuple[np.dtype, tuple[int, ...], int],
                    param: Parameter) -> str | None:
    dtype, shape, header_size = header
    if dtype.hasobject:
        raise _NotACheckpointError(f"the array {key!r} holds Python objects, which would need pickle to load "
                              f"(never done)")
    if dtype.kind not in "fiub" or dtype.fields is not None:
        return f"key {key!r}: values of dtype {dtype} are not real numbers"
    if shape != param.shape:
        return f"key {key!r}: the file has shape {shape}, the module's parameter has shape {param.shape}"
    size = header_size + dtype.itemsize * math.prod(shape)
    if info.file_size != size:
        return (f"key {key!r}: the member declares {info.file_size:,} bytes, but a {shape} {dtype} array "
                f"takes {size:,}")
    return None


def _read_data(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
               header: tuple[np.dtype, tuple[int, ...], int]) -> np.ndarray:
    """An array's values: exactly the bytes its (checked) header declares, and not one more."""
    dtype, shape, header_size = header
    size = dtype.itemsize * math.prod(shape)
    with archive.open(info) as f:
        f.read(header_size)
        data = f.read(size)
        if len(data) != size or f.read(1):  # at the end, zipfile checks the CRC
            raise _NotACheckpointError(f"the array {info.filename!r} does not hold the {size:,} bytes its header "
                                       f"declares")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _nonfinite_problem(key: str, value: np.ndarray) -> str | None:
    if value.dtype.kind != "f":
        return None
    bad = value.size - int(np.count_nonzero(np.isfinite(value)))
    return f"key {key!r} holds {bad} NaN or infinite value(s) of {value.size}" if bad else None


def _fail_if(problems: list[str], hint: str = "") -> None:
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more problem(s)" if len(problems) > 5 else "")
        raise _RefusedError(shown + hint)
