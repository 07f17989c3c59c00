"""The tape's program: values (arrays) and the numpy calls that write them, before and after
the tape's buffers are given out.

A ``Val`` is one array of the replay. Its ``role`` says who owns it:

* ``"buffer"``: the tape owns it: allocated once, when the tape is built, and written on every
  replay by the calls that define it (with ``out=``). Buffers whose values are never alive at the
  same time share one allocation, and an elementwise call may write its result into the buffer of
  an input that dies there (sigmoid in place);
* ``"input"``: a buffer too, filled from the call's argument at the start of each replay;
* ``"pinned"``: a buffer that keeps what it was given at allocation (the zero border of a padded
  image) and is shared with nothing;
* ``"view"``: a numpy view of another value's array (a reshape, a transpose, a slice), made once;
* ``"leaf"``: a parameter's own array (or a tensor made before the step), read, never written;
* ``"const"``: a constant recorded with the step (a Python number, a baked array).

An ``Instr`` is one numpy call: ``fn(*args, **kw)`` where the Vals among the arguments stand for
their arrays. ``Program.allocate`` gives every buffer its array (a linear scan over the calls,
freeing a buffer after its last reader) and returns the calls bound to their arrays, ready to run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.compile import fuse

OWNED = ("buffer", "input")  # roles whose array the allocator gives out, shares and reuses


@dataclass(eq=False)
class Val:
    """One array of the tape (see the module's docstring)."""

    shape: tuple[int, ...]
    dtype: np.dtype
    role: str
    name: str = ""
    like: np.ndarray | None = None  # an array with the layout to copy (the eager run's), for a buffer
    array: np.ndarray | None = None  # set for leaves and constants, and by allocation for the others
    base: Val | None = None  # a view's base
    view: Callable[[np.ndarray], np.ndarray] | None = None  # base's array -> this view
    maybe_view: bool = False  # a reshape: a view when numpy can make one, else a copy into a buffer of its own
    storage: int = -1  # the index of the allocation that holds it (buffers)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"Val({self.name or '?'}, {self.role}, {self.shape}, {self.dtype})"


@dataclass(eq=False)
class Instr:
    """One numpy call that writes ``writes`` (the first one it writes defines it)."""

    fn: Callable[..., Any]
    args: tuple = ()
    kw: dict[str, Any] = field(default_factory=dict)
    writes: tuple[Val, ...] = ()
    inplace: tuple[Val, ...] = ()  # inputs whose buffer the result may take when they die here
    phase: str = "forward"  # "forward" or "backward"
    ew: bool = False  # elementwise: each element of the result depends on the same element of the inputs


@dataclass
class Storage:
    """One allocation of the tape, and the values it holds, in order."""

    array: np.ndarray
    holds: list[Val] = field(default_factory=list)


def _arrays(items: Any) -> Any:
    return tuple(a.array if isinstance(a, Val) else a for a in items)


class Program:
    def __init__(self) -> None:
        self.instrs: list[Instr] = []
        self.phase = "forward"
        self.storages: list[Storage] = []

    # ---- building ----------------------------------------------------------------------------
    def buffer(self, like: np.ndarray | None, shape: tuple[int, ...] | None = None, dtype: Any = None,
               name: str = "", role: str = "buffer") -> Val:
        shape = tuple(like.shape) if shape is None else tuple(shape)
        dtype = np.dtype(like.dtype if dtype is None else dtype)
        return Val(shape, dtype, role, name, like=like if like is not None and like.shape == shape else None)

    def view(self, base: Val, make: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...], name: str = "",
             maybe: bool = False) -> Val:
        return Val(tuple(shape), base.dtype, "view", name, base=base, view=make, maybe_view=maybe)

    def emit(self, fn: Callable[..., Any], *args: Any, writes: Val | tuple[Val, ...], inplace: tuple[Val, ...] = (),
             ew: bool = False, **kw: Any) -> None:
        writes = writes if isinstance(writes, tuple) else (writes,)
        self.instrs.append(Instr(fn, args, kw, writes, inplace, self.phase, ew))

    # ---- allocating and binding ---------------------------------------------------------------
    def allocate(self, keep: list[Val], inputs: list[Val]) -> dict[str, fuse.Schedule]:
        """Give every buffer an array and bind the calls: {"forward": [...], "backward": [...]}.
        ``keep``: the values read after the replay (the loss, the leaves' gradients, guards)."""
        last = self._last_reads(keep)
        free: dict[tuple, list[int]] = {}
        for val in inputs:
            self._place(val, None, free, last, -1)
        bound: dict[str, list[fuse.Bound]] = {"forward": [], "backward": []}
        for i, ins in enumerate(self.instrs):
            needed = self._define(ins, free, last, i)
            for v in self._reads(ins):
                self._ensure(v)
            if needed:
                bound[ins.phase].append(fuse.Bound(ins.fn, _arrays(ins.args), dict(zip(
                    ins.kw, _arrays(ins.kw.values()), strict=True)), ins.writes[0].shape if ins.ew else None,
                    tuple(w.array for w in ins.writes)))
            for val in self._reads(ins):
                if last.get(id(val)) == i and val.role in OWNED and self.storages[val.storage].holds[-1] is val:
                    free.setdefault(self._key(val), []).append(val.storage)
        return {phase: fuse.schedule(b) for phase, b in bound.items()}

    def _define(self, ins: Instr, free: dict, last: dict[int, int], i: int) -> bool:
        """Place the values ``ins`` writes first; False when the call is not needed (a reshape
        that numpy could make a view of)."""
        needed = True
        for val in ins.writes:
            if val.array is not None:
                continue
            if val.maybe_view:
                self._ensure(val.base)
                view = val.view(val.base.array)
                if np.shares_memory(view, val.base.array):
                    val.array, needed = view, False
                    continue
                val.role, val.base, val.view = "buffer", None, None  # numpy copies this reshape: a buffer of its own
            if val.role == "view":
                self._ensure(val)
            else:
                self._place(val, ins, free, last, i)
        return needed

    def _ensure(self, val: Val) -> None:
        """Make sure a value read (or written through) has its array: views and pinned buffers
        get theirs when first used."""
        if val.array is not None:
            return
        if val.role == "view":
            self._ensure(val.base)
            val.array = val.view(val.base.array)
        elif val.role == "pinned":
            self._new_storage(val, np.zeros(val.shape, val.dtype))
        else:
            raise AssertionError(f"{val} is read before anything writes it")

    def _reads(self, ins: Instr) -> list[Val]:
        """The values ``ins`` reads or writes through, with the bases of views."""
        out: dict[int, Val] = {}
        for v in (*ins.args, *ins.kw.values()):
            while isinstance(v, Val):
                out[id(v)] = v
                v = v.base
        return list(out.values())

    def _last_reads(self, keep: list[Val]) -> dict[int, int]:
        """The index of the last call that uses each value (a view's uses count for its base)."""
        last: dict[int, int] = {}
        for i, ins in enumerate(self.instrs):
            for v in self._reads(ins):
                last[id(v)] = i
        end = len(self.instrs)
        for v in keep:
            while v is not None:
                last[id(v)] = end
                v = v.base
        return last

    def _proto(self, val: Val) -> np.ndarray:
        like, val.like = val.like, None  # (the eager run's array is not kept alive by the tape)
        if like is not None and like.dtype == val.dtype:
            return np.empty_like(like)  # the eager run's layout (C order, or Fortran for a transposed result)
        return np.empty(val.shape, val.dtype)

    def _key(self, val: Val) -> tuple:
        array = self.storages[val.storage].array
        return array.shape, array.dtype.str, array.strides

    def _place(self, val: Val, ins: Instr | None, free: dict, last: dict[int, int], i: int) -> None:
        """Give a buffer its array: the buffer of an input that dies at this call (in place),
        a freed buffer of the same shape, dtype and layout, or a new one."""
        if val.role == "pinned":
            return self._ensure(val)
        proto = self._proto(val)
        key = (proto.shape, proto.dtype.str, proto.strides)
        for cand in ins.inplace if ins is not None else ():
            if (cand.role in OWNED and last.get(id(cand)) == i and self._key(cand) == key
                    and self.storages[cand.storage].holds[-1] is cand):
                return self._take(val, cand.storage)
        if free.get(key):
            return self._take(val, free[key].pop())
        self._new_storage(val, proto)

    def _take(self, val: Val, storage: int) -> None:
        val.storage = storage
        val.array = self.storages[storage].array
        self.storages[storage].holds.append(val)

    def _new_storage(self, val: Val, array: np.ndarray) -> None:
        self.storages.append(Storage(array))
        self._take(val, len(self.storages) - 1)
