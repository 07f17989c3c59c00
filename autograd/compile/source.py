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


def body(calls: list[Bound | list[Callable[[], Any]]], names: Names,
         handed: dict[int, tuple[str, str]] | None = None) -> list[str]:
    """One line per call; a fused run (a list of bound calls) as a loop over it; a call that
    makes a leaf's gradient (``handed``: its index -> the leaf and a flag's name) written so that
    a leaf without ``.grad`` gets the fresh result itself, with no copy."""
    lines = []
    for i, c in enumerate(calls):
        if not isinstance(c, Bound):
            lines += [f"for call in {names(c, 'blocks')}:  # {len(c)} calls: a run fused in blocks of rows",
                      "    call()"]
        elif handed and i in handed:
            target, flag = handed[i]
            lines += [f"{flag} = store and {target}._grad is None",
                      f"if {flag}:  # the leaf's own new array, as backward() gives it",
                      f"    {target}._grad = {call_text(c, names, fresh=True)}", "else:", f"    {call_text(c, names)}"]
        else:
            lines.append(call_text(c, names))
    return lines


def call_text(c: Bound, names: Names, fresh: bool = False) -> str:
    """``fn(args)``; ``fresh``: without its output (numpy then makes a new array)."""
    out = c.writes[0] if fresh else object()  # (an object that is no argument)
    args = [names(a) for a in c.args if a is not out] + [f"{k}={names(v)}" for k, v in c.kw.items() if v is not out]
    return f"{names(c.fn)}({', '.join(args)})"


def handovers(backward: list, leaves: list[tuple[Any, np.ndarray]], outputs: list[np.ndarray],
              names: Names) -> dict[int, tuple[str, str]]:
    """The calls whose result is a leaf's gradient and nothing else's: for a leaf without
    ``.grad`` they can make the leaf's array directly (``body``)."""
    handed = {}
    for k, (leaf, grad) in enumerate(leaves):
        i = _writer(backward, grad)
        if i is not None and not any(o is grad for o in outputs) and not _read_after(backward, i, grad):
            target = f"tensors[{leaf}]" if isinstance(leaf, numbers.Integral) else names(leaf, "p")
            handed[i] = (target, f"h{k}")
    return handed


def _writer(calls: list, grad: np.ndarray) -> int | None:
    """The index of the last plain call writing ``grad`` as its only output, when a call
    without ``out`` gives an array of the same shape, dtype and layout (tried once here)."""
    for i in range(len(calls) - 1, -1, -1):
        c = calls[i]
        if isinstance(c, Bound) and c.writes and c.writes[0] is grad:
            ufunc = isinstance(c.fn, np.ufunc) or isinstance(getattr(c.fn, "__self__", None), np.ufunc)
            once = sum(a is grad for a in (*c.args, *c.kw.values())) == 1
            if not (ufunc and once and grad.ndim):
                return None
            trial = c.fn(*[a for a in c.args if a is not grad], **{k: v for k, v in c.kw.items() if v is not grad})
            same = isinstance(trial, np.ndarray) and (trial.shape, trial.dtype, trial.strides) == \
                (grad.shape, grad.dtype, grad.strides)
            return i if same else None
        if not isinstance(c, Bound) and any(_touches(f, grad) for f in c):
            return None  # written in a fused run
    return None


def _touches(call: Any, array: np.ndarray) -> bool:
    items = (*call.args, *call.keywords.values()) if hasattr(call, "keywords") else (*call.args, *call.kw.values())
    return any(isinstance(a, np.ndarray) and np.may_share_memory(a, array) for a in items)


def _read_after(calls: list, i: int, grad: np.ndarray) -> bool:
    return any(_touches(c, grad) if isinstance(c, Bound) else any(_touches(f, grad) for f in c)
               for c in calls[i + 1:])


def epilogue(leaves: list[tuple[Any, np.ndarray]], outputs: list[np.ndarray], names: Names,
             handed: dict[int, tuple[str, str]]) -> list[str]:
    """Each leaf's gradient as backward() stores it (a copy of its own, or added in place;
    unless ``store`` is False; a gradient handed over already needs nothing), and copies of
    the results."""
    flags = {target: flag for target, flag in handed.values()}
    lines = ["if store:"] if leaves else []
    for leaf, grad in leaves:
        target = f"tensors[{leaf}]" if isinstance(leaf, numbers.Integral) else names(leaf, "p")
        if target in flags:
            lines += [f"    if not {flags[target]}:", f"        {target}._grad += {names(grad)}"]
        else:
            lines += [f"    g = {target}._grad", "    if g is None:",
                      f"        {target}._grad = {names(grad)}.copy(order='K')",
                      "    else:", f"        g += {names(grad)}"]
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
    handed = handovers(backward, leaves, outputs, names)
    lines += body(backward, names, handed) + epilogue(leaves, outputs, names, handed)
    source = "def replay(tensors, store=True):\n" + "".join(f"    {line}\n" for line in lines)
    factory = f"def make({', '.join(names.objects)}):\n" + "".join(f"    {line}\n" for line in source.splitlines())
    namespace: dict[str, Any] = {}
    exec(factory + "    return replay\n", namespace)  # our own source, built above
    return namespace["make"](**names.objects), source
