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
their arrays. ``Program.allocate`` gives out the buffers in two steps, as a compiler's memory
planner does. First a linear scan over the calls decides which values share a buffer: a result
takes the buffer of an input that dies at its call (in place), or a freed buffer of the same
shape and layout, else it gets a buffer of its own; each buffer is then alive from its first
write to its last read. Then the buffers are packed into one block of memory, the largest first,
each at the lowest offset where it overlaps no buffer alive at the same time (so a small buffer
of the forward pass and a large one of the backward pass use the same bytes). The calls are
bound to the arrays in that block, ready to run.
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


@dataclass(eq=False)
class Storage:
    """One buffer of the tape, and the values it holds, in order. ``array`` has the shape,
    dtype and layout of its values; ``first`` and ``last`` are the calls between which it is
    alive; ``offset`` is where it lies in the tape's block of memory."""

    array: np.ndarray
    holds: list[Val] = field(default_factory=list)
    first: int = -1
    last: int = -1
    offset: int = -1  # -1: not in the block (a pinned buffer, allocated on its own)


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
        """Give every buffer its array and bind the calls: {"forward": [...], "backward": [...]}.
        ``keep``: the values read after the replay (the loss, the leaves' gradients, guards)."""
        last = self._last_reads(keep)
        needed = self._scan(inputs, last)
        for storage in self.storages:
            storage.last = max([storage.first, *(last.get(id(v), -1) for v in storage.holds)])
        self.nbytes = self._pack()
        bound: dict[str, list[fuse.Bound]] = {"forward": [], "backward": []}
        for ins in needed:
            bound[ins.phase].append(_bind(ins))
        return {phase: fuse.schedule(b) for phase, b in bound.items()}

    def _scan(self, inputs: list[Val], last: dict[int, int]) -> list[Instr]:
        """Decide which values share a buffer, call by call; the calls still needed."""
        free: dict[tuple, list[int]] = {}
        self.placed: list[Val] = []
        for val in inputs:
            self._place(val, None, free, last, -1)
        needed = []
        for i, ins in enumerate(self.instrs):
            if self._define(ins, free, last, i):
                needed.append(ins)
            for v in self._reads(ins):
                self._ensure(v, i)
            for val in self._reads(ins):
                if last.get(id(val)) == i and val.role in OWNED and self.storages[val.storage].holds[-1] is val:
                    free.setdefault(_key(val.array), []).append(val.storage)
        return needed

    def _define(self, ins: Instr, free: dict, last: dict[int, int], i: int) -> bool:
        """Place the values ``ins`` writes first; False when the call is not needed (a reshape
        that numpy can make a view of)."""
        needed = True
        for val in ins.writes:
            if val.array is not None:
                continue
            if val.maybe_view:
                self._ensure(val.base, i)
                view = _view_or_none(val.base.array, val.shape)
                if view is not None:
                    val.array, needed = view, False
                    self.placed.append(val)
                    continue
                val.role, val.base, val.view = "buffer", None, None  # numpy copies this reshape: a buffer of its own
            if val.role == "view":
                self._ensure(val, i)
            else:
                self._place(val, ins, free, last, i)
        return needed

    def _ensure(self, val: Val, i: int) -> None:
        """Make sure a value read (or written through) has its array: views and pinned buffers
        get theirs when first used."""
        if val.array is not None:
            return
        if val.role == "view":
            self._ensure(val.base, i)
            val.array = val.view(val.base.array)
            self.placed.append(val)
        elif val.role == "pinned":
            self._new_storage(val, _layout(val.dtype, val.shape, None), i)
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

    def _place(self, val: Val, ins: Instr | None, free: dict, last: dict[int, int], i: int) -> None:
        """Give a buffer its place: the buffer of an input that dies at this call (in place),
        a freed buffer of the same shape, dtype and layout, or a new one."""
        if val.role == "pinned":
            return self._ensure(val, i)
        like, val.like = val.like, None  # (the eager run's array is not kept alive by the tape)
        proto = _layout(val.dtype, val.shape, like)
        key = _key(proto)
        for cand in ins.inplace if ins is not None else ():
            if (cand.role in OWNED and last.get(id(cand)) == i and _key(cand.array) == key
                    and self.storages[cand.storage].holds[-1] is cand):
                return self._take(val, cand.storage)
        if free.get(key):
            return self._take(val, free[key].pop())
        self._new_storage(val, proto, i)

    def _take(self, val: Val, storage: int) -> None:
        val.storage = storage
        val.array = self.storages[storage].array
        self.storages[storage].holds.append(val)
        self.placed.append(val)

    def _new_storage(self, val: Val, array: np.ndarray, i: int) -> None:
        self.storages.append(Storage(array, first=i))
        self._take(val, len(self.storages) - 1)

    # ---- the block of memory ------------------------------------------------------------------
    def _pack(self) -> int:
        """Lay the buffers out in one block (see ``offsets``) and give every value its array
        there. Returns the block's size in bytes."""
        total = offsets([s for s in self.storages if not all(v.role == "pinned" for v in s.holds)])
        block = np.empty(total, np.uint8)
        for s in self.storages:
            s.array = (np.ndarray(s.array.shape, s.array.dtype, buffer=block, offset=s.offset, strides=s.array.strides)
                       if s.offset >= 0 else np.zeros(s.array.shape, s.array.dtype))
        for val in self.placed:  # in the order they were placed: a view after its base
            val.array = self.storages[val.storage].array if val.role != "view" else val.view(val.base.array)
        return total


def offsets(storages: list[Storage]) -> int:
    """Give each buffer an offset in one block: the largest first, each at the lowest offset
    where it overlaps no buffer alive at the same time. Returns the block's size."""
    placed: list[Storage] = []
    for s in sorted(storages, key=lambda s: -s.array.nbytes):
        busy = sorted((p.offset, p.offset + _aligned(p.array.nbytes)) for p in placed
                      if p.first <= s.last and s.first <= p.last)
        s.offset = 0
        for lo, hi in busy:
            if s.offset + _aligned(s.array.nbytes) <= lo:
                break
            s.offset = max(s.offset, hi)
        placed.append(s)
    return max((s.offset + s.array.nbytes for s in placed), default=0)


def _aligned(nbytes: int) -> int:
    return -(-nbytes // ALIGN) * ALIGN


def _bind(ins: Instr) -> fuse.Bound:
    """The call with its arrays; an elementwise ufunc's broadcast operands as views (``_broadcast``)."""
    args = _arrays(ins.args)
    if ins.ew and isinstance(ins.fn, np.ufunc):
        args = _broadcast(args, ins.writes[0].shape)
    kw = dict(zip(ins.kw, _arrays(ins.kw.values()), strict=True))
    return fuse.Bound(ins.fn, args, kw, ins.writes[0].shape if ins.ew else None, tuple(w.array for w in ins.writes))


ALIGN = 64  # bytes: each buffer starts on a cache line


def _broadcast(args: tuple, shape: tuple[int, ...]) -> tuple:
    """An elementwise call's array arguments broadcast to its result's shape once, as views
    (a bias (k,) read as (N, k)): numpy then skips working out the broadcast at every call."""
    return tuple(np.broadcast_to(a, shape) if isinstance(a, np.ndarray) and a.ndim and a.shape != shape else a
                 for a in args)


def _key(array: np.ndarray) -> tuple:
    return array.shape, array.dtype.str, array.strides


def _layout(dtype: np.dtype, shape: tuple[int, ...], like: np.ndarray | None) -> np.ndarray:
    """An array with the shape, dtype and strides a buffer will have (the eager run's layout,
    as ``np.empty_like`` lays it out), over no memory of its own: nothing reads it before the
    buffers are laid out in the tape's block."""
    dtype = np.dtype(dtype)
    if like is not None and like.dtype == dtype:
        strides = np.empty_like(like).strides  # (untouched memory, released at once)
    else:
        strides = _c_strides(shape, dtype.itemsize)
    return np.lib.stride_tricks.as_strided(np.empty(1, dtype), shape=shape, strides=strides)


def _c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _view_or_none(base: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``base.reshape(shape)`` when numpy can make it a view, else None (nothing is copied)."""
    try:
        return np.reshape(base, shape, copy=False)
    except (ValueError, TypeError):  # a copy would be needed (TypeError: a numpy without copy=)
        return None
