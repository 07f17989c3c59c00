"""Memory the engine owns and reuses: the big arrays of one training step, kept for the next.

A training step allocates the same arrays every time (each layer's output, each gradient).
Above a few tens of kilobytes, numpy's allocator hands those back to the operating system
when they are freed and gets fresh pages for the next step, and the page faults that follow
can cost more than the arithmetic. The ops ask this pool for their output arrays instead:

    y = np.matmul(x, w, out=buffers.out(shape, dtype))   # a free pooled array, or None when small

Also here: ``sole_owner`` (may the engine write into this array?), ``blocks`` and ``scratch``
(elementwise formulas run block by block, with one reused temporary), and the cached
constants ``by_dtype`` and ``ones``.

An array in the pool is free when the pool holds the only reference to it
(``sys.getrefcount``): a Tensor, a view, a saved value or a user's variable all count, so an
array is never handed out again while anything can still read it. The engine never writes
into an array it did not allocate. Small arrays skip the pool (the allocator is fast for
them), at most PER_SHAPE arrays of one shape are pooled, and a pooled array that stays free
for EXPIRY requests is dropped, so a run whose shapes change does not keep the old ones.
``release()`` drops every free array at once.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

MIN_BYTES = 32 * 1024  # smaller arrays come straight from numpy
EXPIRY = 4096  # requests after which a free array that nobody asked for is dropped
PER_SHAPE = 8  # arrays pooled per shape and dtype; beyond them (results a caller keeps), plain numpy

# getrefcount's view of a free pooled array: the pool's list, the loop variable and its own argument
_FREE = 3


class _Pool(threading.local):
    def __init__(self) -> None:
        self.arrays: dict[tuple[tuple[int, ...], np.dtype], list[np.ndarray]] = {}
        self.last_used: dict[int, int] = {}  # id(array) -> clock of its last hand-out
        self.clock = 0
        self.next_sweep = EXPIRY
        self.scratch: dict[np.dtype, np.ndarray] = {}  # one block per dtype, for temporaries


_pool = _Pool()


def empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype`` that nothing else refers to: a
    pooled one when the array is big, else a new one."""
    if math.prod(shape) * dtype.itemsize < MIN_BYTES:
        return np.empty(shape, dtype)
    pool = _pool
    pool.clock += 1
    if pool.clock >= pool.next_sweep:
        _sweep(pool)
    key = (shape, dtype)
    arrays = pool.arrays.get(key)
    if arrays is None:
        arrays = pool.arrays[key] = []
    for array in arrays:
        if sys.getrefcount(array) == _FREE:
            pool.last_used[id(array)] = pool.clock
            return array
    array = np.empty(shape, dtype)
    if len(arrays) < PER_SHAPE:
        arrays.append(array)
        pool.last_used[id(array)] = pool.clock
    return array


def sole_owner(array: np.ndarray) -> bool:
    """True when the caller's one variable is the only reference to ``array`` (not counting
    this pool), so the caller may write into it. It counts: the caller's variable, this
    function's parameter, getrefcount's argument, and the pool's list when pooled."""
    if array.base is not None:
        return False
    count = sys.getrefcount(array)
    return count == 3 or (count == 4 and id(array) in _pool.last_used)


BLOCK = 32768  # elements per block: a few of them fit in the CPU's L2 cache


def blocks(*arrays: np.ndarray):
    """The arrays (of one shape, C-contiguous) as flat views, block by block, so that an
    elementwise formula of several steps runs on data that stays in the cache and needs
    scratch space of one block only. Small or non-contiguous arrays come whole, in one go."""
    first = arrays[0]
    if first.size <= BLOCK or not all(a.flags.c_contiguous for a in arrays):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, first.size, BLOCK):
        yield tuple(f[start:start + BLOCK] for f in flat)


def scratch(block: np.ndarray) -> np.ndarray | None:
    """An ``out=`` argument for a temporary the size of ``block`` (one of ``blocks``): a
    view of this thread's one scratch array, reused from block to block; None (numpy
    allocates) for anything that is not a block."""
    if block.ndim != 1 or block.size > BLOCK:
        return None
    found = _pool.scratch.get(block.dtype)
    if found is None:
        found = _pool.scratch[block.dtype] = np.empty(BLOCK, block.dtype)
    return found[:block.size]


def out(shape: tuple[int, ...], dtype: np.dtype, size: int | None = None) -> np.ndarray | None:
    """The ``out=`` argument for an op's result of this shape and dtype: a pooled array when
    the result is big, else None (numpy allocates small arrays faster than a pool can). A 0-d
    result gets a fresh 0-d array, since a ufunc without ``out`` returns a numpy scalar.
    ``size``, when the caller knows it, saves multiplying the shape out."""
    if (math.prod(shape) if size is None else size) * dtype.itemsize < MIN_BYTES:
        return None if shape else np.empty((), dtype)
    return empty(shape, dtype)


def out_like(array: np.ndarray) -> np.ndarray | None:
    """``out(array.shape, array.dtype)``."""
    if array.nbytes < MIN_BYTES:
        return None if array.ndim else np.empty((), array.dtype)
    return empty(array.shape, array.dtype)


def _sweep(pool: _Pool) -> None:
    """Drop the free arrays that nobody asked for during the last EXPIRY requests."""
    oldest = pool.clock - EXPIRY
    for key, arrays in list(pool.arrays.items()):
        keep = []
        for array in arrays:
            if pool.last_used[id(array)] >= oldest or sys.getrefcount(array) != _FREE:
                keep.append(array)
            else:
                del pool.last_used[id(array)]
        if keep:
            pool.arrays[key] = keep
        else:
            del pool.arrays[key]
    pool.next_sweep = pool.clock + EXPIRY


def release() -> int:
    """Drop every free pooled array of this thread (the memory goes back to numpy); return
    how many bytes were released. Arrays still in use stay."""
    pool = _pool
    freed = 0
    for key, arrays in list(pool.arrays.items()):
        keep = []
        for array in arrays:
            if sys.getrefcount(array) == _FREE:
                freed += array.nbytes
                del pool.last_used[id(array)]
            else:
                keep.append(array)
        if keep:
            pool.arrays[key] = keep
        else:
            del pool.arrays[key]
    return freed


def pooled_bytes() -> tuple[int, int]:
    """(bytes in use, bytes free) of this thread's pool."""
    used = free = 0
    for arrays in _pool.arrays.values():
        for array in arrays:
            if sys.getrefcount(array) == _FREE:
                free += array.nbytes
            else:
                used += array.nbytes
    return used, free


def by_dtype(value64: float, value32: float | None = None) -> dict[np.dtype, np.ndarray]:
    """A number as a read-only 0-d array per dtype, made once (``ONE[a.dtype]``): numpy
    converts a Python float on every call, which costs more than a small ufunc itself."""
    table = {}
    for dtype, value in ((np.float64, value64), (np.float32, value64 if value32 is None else value32)):
        array = np.array(value, dtype=dtype)
        array.flags.writeable = False
        table[np.dtype(dtype)] = array
    return table


_ones: dict[tuple[int, np.dtype], np.ndarray] = {}


def ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones, kept for the next call: ``ones(n) @ g`` sums the rows of
    g as one matrix-vector product, several times faster than ``g.sum(axis=0)`` on the
    narrow arrays of small networks."""
    key = (n, dtype)
    found = _ones.get(key)
    if found is None:
        if len(_ones) >= 16:  # many batch sizes: forget the old ones
            _ones.clear()
        found = np.ones(n, dtype)
        found.flags.writeable = False
        _ones[key] = found
    return found
