"""Where the runs of a study or a sweep go, chosen on the command line, and how such a
command ends when something goes wrong.

- nothing given: a pool of this machine's processes (``--workers N``, at most one per CPU);
- ``--dask tcp://host:8786``: a running Dask scheduler (``dask scheduler`` on one machine,
  ``dask worker tcp://host:8786`` on each of the others);
- ``--dask local``: a ``LocalCluster`` of worker processes on this machine, to try Dask out.

Dask is optional (``pip install 'chainrule[cluster]'``) and imported only when asked for.
Either way a job and its result travel as plain data; nothing goes through a shared disk.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path

from experiments.cache import Cache, CacheError
from experiments.pool import capped_workers, sigint_held
from experiments.study import RunsFailedError, kept


class ClusterError(Exception):
    """The Dask scheduler cannot be reached or started: one line naming it."""


def add_flags(p: argparse.ArgumentParser, cache_default: str) -> None:
    g = p.add_argument_group("where the runs go")
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes on this machine (default: one per CPU, and never more); "
                        "with --dask local, the cluster's workers")
    g.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="send the runs to the Dask scheduler at ADDRESS (tcp://host:8786), or 'local' to "
                        "start a cluster on this machine (needs: pip install 'chainrule[cluster]')")
    g.add_argument("--cache-dir", type=Path, default=None,
                   help=f"where finished runs are kept, so a re-run computes only what changed "
                        f"(default: {cache_default})")


def check_flags(p: argparse.ArgumentParser, args: argparse.Namespace, cache_dir: Path) -> None:
    """Refuse impossible combinations (exit 2, argparse's way); cap ``args.workers`` at the
    CPU count with a note on stderr."""
    from experiments.train import check_writable

    if args.workers is not None and args.workers <= 0:
        p.error(f"--workers must be > 0, got {args.workers}")
    if args.dask is not None and args.dask != "local":
        if args.workers is not None:
            p.error("--workers sets this machine's processes (or --dask local's); the cluster at "
                    f"{args.dask} has the workers started there")
        if not args.dask.strip():
            p.error("--dask needs a scheduler's address (tcp://host:8786) or 'local'")
    if args.dask is not None and importlib.util.find_spec("distributed") is None:
        p.error("--dask needs Dask's distributed scheduler: pip install 'chainrule[cluster]'")
    if cache_dir.exists() and not cache_dir.is_dir():
        p.error(f"cannot write to --cache-dir {cache_dir}: it is not a folder")
    problem = check_writable(cache_dir)
    if problem:
        p.error(f"cannot write to --cache-dir {cache_dir}: {problem}")
    if args.dask is None or args.dask == "local":
        args.workers, note = capped_workers(args.workers)
        if note:
            print(note, file=sys.stderr)


@contextlib.contextmanager
def open_executor(args: argparse.Namespace, log: Callable[[str], None] = print) -> Iterator[Executor | None]:
    """The executor ``args`` ask for: None for this machine's pool (the study makes it), or a
    Dask client's executor, closed (with the cluster it started) on leaving."""
    if args.dask is None:
        yield None
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        address = args.dask
        if address == "local":
            try:
                # Its worker processes leave Ctrl-C to this one, which closes them; they log nothing,
                # since a run that fails or a worker that dies comes back here as the run's error,
                # and closing workers in the middle of runs makes Dask log errors that are none.
                with sigint_held(ignore=True):
                    cluster = stack.enter_context(LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                                               processes=True, dashboard_address=":0",
                                                               silence_logs=logging.CRITICAL))
            except Exception as err:
                raise ClusterError(f"cannot start a local Dask cluster: {err}") from None
            address = cluster.scheduler_address
        try:
            client = stack.enter_context(Client(address, timeout=10))
        except (OSError, TimeoutError, ValueError) as err:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        workers = len(client.scheduler_info().get("workers", {}))
        log(f"Dask scheduler at {address}, {workers} workers" +
            ("" if workers else ": the runs wait until a worker joins (dask worker " + address + ")"))
        yield client.get_executor()


def finish(work: Callable[[], int], cache_dir: Path) -> int:
    """Run a CLI's ``work`` and end as the house does: Ctrl-C says what was kept and returns
    130; lost runs, an unwritable cache or an unreachable cluster give one line and 1."""
    try:
        return work()
    except KeyboardInterrupt:
        print(f"interrupted: {kept(Cache(cache_dir))}", file=sys.stderr)
        return 130
    except (RunsFailedError, CacheError, ClusterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
