"""The replay as one straight-line Python function of numpy calls, generated from the tape.

Calling a list of bound calls in a loop costs a loop step and a ``functools.partial`` per numpy
call; on the lab's smallest network that is a tenth of the step. ``replay_function`` writes the
calls out instead, one line each, and compiles them once (``exec``, as ``dataclasses`` and
``namedtuple`` make their methods): the arrays, functions and settings are the function's
closure variables; a run fused in blocks (``fuse.py``) is a loop over its list of calls. The
source reads like the numpy a student would write for the step, each result written into a
buffer of the tape (``b3``); ``tape.source`` shows it.
"""

from __future__ import annotations

import keyword
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.compile.fuse import Bound

RESERVED = {"tensors", "g", "call", "replay", "make"}


class Names:
    """A name for each object the source refers to: the tape's buffers ``b0, b1, ...``,
    parameters ``p0, ...``, other arrays ``a0, ...``, functions by their own names; numbers,
    strings and tuples of ints are written as they are."""

    def __init__(self, storages: list[np.ndarray]) -> None:
        self.by_id: dict[Any, str] = {id(s): f"b{i}" for i, s in enumerate(storages)}
        self.objects: dict[str, Any] = {f"b{i}": s for i, s in enumerate(storages)}
        self.count: dict[str, int] = {}

    def __call__(self, obj: Any, stem: str = "") -> str:
        if obj is None or (isinstance(obj, (bool, int, float, str)) and not isinstance(obj, np.generic)):
            return repr(obj)  # (a numpy scalar is kept as an object: its dtype matters)
        if isinstance(obj, tuple) and all(type(x) is int for x in obj):
            return repr(obj)
        owner = getattr(obj, "__self__", None)
        key = (id(owner), obj.__name__) if isinstance(owner, np.ufunc) else id(obj)  # np.add.reduce: a new object
        if key not in self.by_id:                                                   # at each lookup, one name
            name = self.fresh(stem or self.stem(obj))
            self.by_id[key], self.objects[name] = name, obj
        return self.by_id[key]

    @staticmethod
    def stem(obj: Any) -> str:
        if isinstance(obj, np.ndarray):
            return "a"
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(owner, np.ufunc):
            return f"{owner.__name__}_{name}"  # np.add.reduce -> add_reduce
        return name or "k"

    def fresh(self, stem: str) -> str:
        if not stem.isidentifier() or keyword.iskeyword(stem) or stem in RESERVED:
            stem = "k"
        n = self.count.get(stem, 0)
        self.count[stem] = n + 1
        numbered = stem in ("a", "k", "p", "blocks")
        return f"{stem}{n}" if numbered else stem if n == 0 else f"{stem}_{n}"


def body(calls: list[Bound | list[Callable[[], Any]]], names: Names) -> list[str]:
    """One line per call; a fused run (a list of bound calls) as a loop over it."""
    lines = []
    for c in calls:
        if isinstance(c, Bound):
            args = [names(a) for a in c.args] + [f"{k}={names(v)}" for k, v in c.kw.items()]
            lines.append(f"{names(c.fn)}({', '.join(args)})")
        else:
            lines += [f"for call in {names(c, 'blocks')}:  # {len(c)} calls: a run fused in blocks of rows",
                      "    call()"]
    return lines


def epilogue(leaves: list[tuple[Any, np.ndarray]], outputs: list[np.ndarray], names: Names) -> list[str]:
    """Each leaf's gradient as backward() stores it (a copy of its own, or added in place;
    unless ``store`` is False), and copies of the results."""
    lines = ["if store:"] if leaves else []
    for leaf, grad in leaves:
        target = f"tensors[{leaf}]" if isinstance(leaf, numbers.Integral) else names(leaf, "p")
        lines += [f"    g = {target}._grad", "    if g is None:",
                  f"        {target}._grad = {names(grad)}.copy(order='K')", "    else:", f"        g += {names(grad)}"]
    results = ", ".join(f"{names(o)}.copy(order='K')" for o in outputs)
    return [*lines, f"return [{results}]"]


def guards(externals: list[tuple[Any, np.ndarray, bool]], names: Names) -> list[str]:
    """The tensors read in place still hold the arrays recorded, with the same requires_grad
    (else: None, nothing written, and the step is recorded again)."""
    if not externals:
        return []
    tests = [f"{names(t, 'p')}.data is not {names(a)} or {names(t, 'p')}.requires_grad is not {rg}"
             for t, a, rg in externals]
    return ["if (" + "\n        or ".join(tests) + "):  # a parameter was replaced: record again", "    return None"]


def replay_function(loads: list[tuple[int, np.ndarray]], forward: list, backward: list,
                    checks: Callable[[], bool] | None, leaves: list[tuple[Any, np.ndarray]],
                    outputs: list[np.ndarray], storages: list[np.ndarray],
                    externals: list[tuple[Any, np.ndarray, bool]]) -> tuple[Callable[[list], Any], str]:
    """The function ``replay(tensors)`` of a tape, and its source (see the module's docstring)."""
    names = Names(storages)
    lines = guards(externals, names)
    lines += [f"{names(np.copyto)}({names(buf)}, tensors[{i}].data)" for i, buf in loads]
    lines += body(forward, names)
    if checks is not None:
        lines += [f"if not {names(checks, 'checks')}():  # a value Python read has changed", "    return None"]
    lines += body(backward, names) + epilogue(leaves, outputs, names)
    source = "def replay(tensors, store=True):\n" + "".join(f"    {line}\n" for line in lines)
    factory = f"def make({', '.join(names.objects)}):\n" + "".join(f"    {line}\n" for line in source.splitlines())
    namespace: dict[str, Any] = {}
    exec(factory + "    return replay\n", namespace)  # our own source, built above
    return namespace["make"](**names.objects), source
