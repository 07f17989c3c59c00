"""This machine's worker processes for a study or a sweep.

A ``concurrent.futures.ProcessPoolExecutor`` with three differences that matter when the
runs take minutes: its workers start fresh ("spawn") with a one-thread BLAS, they ignore
SIGINT (Ctrl-C in a terminal reaches the whole process group; the main process alone decides
what happens), and leaving the pool on an error or Ctrl-C ends the workers at once instead of
waiting for the runs in them to finish.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor


def cpu_count() -> int:
    """The CPUs this process may use (its affinity mask, so ``taskset`` and containers count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def capped_workers(requested: int | None) -> tuple[int, str | None]:
    """The worker count to use, and a note when ``requested`` was more than the CPUs: more
    processes than cores only make each run slower and take more memory."""
    cpus = cpu_count()
    if requested is None:
        return cpus, None
    if requested > cpus:
        return cpus, f"note: --workers {requested} is more than the {cpus} CPUs here; using {cpus}"
    return requested, None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Worker processes each get a one-thread BLAS (set before they start and import numpy):
    several processes each running a multi-threaded BLAS on a few cores fight for them and
    run several times slower."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    os.environ.update(dict.fromkeys(names, "1"))
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def sigint_held(ignore: bool = False) -> Iterator[None]:
    """SIGINT blocked in this thread while inside. A process this thread starts meanwhile
    inherits the block, so Ctrl-C in a terminal (sent to the whole process group) never reaches
    a worker, even one still starting up: the main process alone handles it. A Ctrl-C arriving
    meanwhile is not lost: it is delivered on leaving (or at once, to another thread).

    With ``ignore`` (main thread only), SIGINT is also ignored process-wide, for processes
    that other threads start (a Dask cluster's): Linux keeps a signal that is both blocked in
    the main thread and ignored pending, so here too a Ctrl-C comes through on leaving."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups to worry about
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN) \
        if ignore and threading.current_thread() is threading.main_thread() else None
    try:
        yield
    finally:
        if handler is not None:
            signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Pool(ProcessPoolExecutor):
    """Starts its workers (on ``submit``, as they are needed) with SIGINT blocked and a
    one-thread BLAS (the environment they inherit when they start)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        with sigint_held(), single_threaded_blas():
            return super().submit(fn, *args, **kwargs)


@contextlib.contextmanager
def local_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes, shut down on leaving: after the runs, or (on an error,
    Ctrl-C or a worker killed) at once, its workers ended."""
    pool = _Pool(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint)
    try:
        yield pool
    except BaseException:
        _end_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


class WorkerWatch:
    """Notices a worker of this process's pool killed by a signal. ``concurrent.futures`` sees
    most such deaths itself, but not one in the middle of sending a result: it then waits for
    the rest of that message forever. Make it before the pool; its workers are the children
    that appear after."""

    def __init__(self, grace: float = 2.0) -> None:
        self.others = set(multiprocessing.active_children())
        self.workers: set[multiprocessing.process.BaseProcess] = set()
        self.grace = grace
        self.since: float | None = None

    def killed(self) -> bool:
        """True once a worker has been dead for ``grace`` seconds (time for the pool to notice)."""
        self.workers |= set(multiprocessing.active_children()) - self.others
        if not any(p.exitcode not in (None, 0) for p in self.workers):
            return False
        self.since = self.since or time.monotonic()
        return time.monotonic() - self.since >= self.grace


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's processes (``terminate_workers`` from Python 3.14; before, the
    pool's own list of them)."""
    if hasattr(pool, "terminate_workers"):
        pool.terminate_workers()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:  # reaped here, so none is left behind as a zombie
        with contextlib.suppress(Exception):
            process.join(timeout=2)
