"""Loop fusion in blocks of rows: a run of elementwise calls made one pass over memory.

``X @ W + b`` then σ is five elementwise passes over the layer's (N, k) buffer (add b, -x, e^x,
1 + x, 1/x) and the sigmoid's backward three more. On a large batch each pass streams the whole
buffer through memory. ``schedule`` runs such a run of consecutive elementwise calls block by block
instead: the first block of rows through every call of the run, then the next block, so each
block stays in the CPU's cache between the calls and memory is streamed once. Every element
still goes through the same numpy operations in the same order, so the numbers are the same,
bit for bit; only the order in which elements are visited changes, which an elementwise call
does not see.

A run may only contain elementwise calls on one shape (N, ...) whose arrays are either of that
shape (cut into blocks), 0-d, or broadcast along the rows without being written in the run (a
bias (k,)); reductions and matrix products end a run.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

CHUNK_ELEMENTS = 1 << 16  # elements of one array in a block: 512 KiB of float64, 256 KiB of float32


@dataclass(eq=False)
class Bound:
    """One call with its arrays: ``fn(*args, **kw)``; ``shape``: the shape it writes, for an
    elementwise call (None otherwise)."""

    fn: Callable[..., Any]
    args: tuple
    kw: dict[str, Any]
    shape: tuple[int, ...] | None
    writes: tuple[np.ndarray, ...]


Schedule = list  # of Bound (one call) and of lists of calls (a run fused in blocks), in order


def schedule(bound: list[Bound]) -> Schedule:
    """The calls in order, each long enough run of elementwise calls replaced by the list of
    its calls block by block."""
    out: Schedule = []
    i = 0
    while i < len(bound):
        run = _run(bound, i)
        if len(run) > 1 and run[0].shape[0] > _rows_per_block(run[0].shape):
            out.append(_blocks(run))
        else:
            out += run
        i += len(run)
    return out


def count(calls: Schedule) -> int:
    """How many numpy calls the schedule makes (each block of a fused run counted)."""
    return sum(1 if isinstance(c, Bound) else len(c) for c in calls)


def _rows_per_block(shape: tuple[int, ...]) -> int:
    return max(1, CHUNK_ELEMENTS // max(1, math.prod(shape[1:])))


def _run(bound: list[Bound], start: int) -> list[Bound]:
    """The longest run of fusable calls from ``start`` (at least the call at ``start``)."""
    first = bound[start]
    if first.shape is None or not first.shape or not _fits(first, first.shape, []):
        return [first]
    run = [first]
    for b in bound[start + 1:]:
        if b.shape != first.shape or not _fits(b, first.shape, run):
            break
        run.append(b)
    return run


def _fits(b: Bound, shape: tuple[int, ...], run: list[Bound]) -> bool:
    """Every array of ``b`` is cut into blocks (of ``shape``), 0-d, or broadcast along the rows
    and not written by the run (nor by ``b``)."""
    written = [w for r in (*run, b) for w in r.writes]
    for a in (*b.args, *b.kw.values()):
        if not isinstance(a, np.ndarray) or a.ndim == 0 or a.shape == shape:
            continue
        if a.ndim < len(shape) or a.shape[0] == 1:
            if any(np.may_share_memory(a, w) for w in written):
                return False
            continue
        return False
    return True


def _blocks(run: list[Bound]) -> list[Callable[[], Any]]:
    shape = run[0].shape
    step = _rows_per_block(shape)

    def cut(a: Any, rows: slice) -> Any:
        return a[rows] if isinstance(a, np.ndarray) and a.shape == shape else a

    out = []
    for start in range(0, shape[0], step):
        rows = slice(start, start + step)
        for b in run:
            out.append(functools.partial(b.fn, *[cut(a, rows) for a in b.args],
                                         **{k: cut(v, rows) for k, v in b.kw.items()}))
    return out
