"""A run's output files, put in place together: an output folder never holds half of one run and
half of another.

    outputs = OutputSet(out, ["*.png", "metrics.json", "model.npz"])
    with outputs as staging:      # a hidden folder inside `out`
        write_everything(staging)  # an error or Ctrl-C here: `out` is left exactly as it was
    outputs.written                # the files, now in `out`

The files are written into a hidden staging folder inside the output folder (the same disk, so
moving them is a rename, which needs no space), then renamed into place one after the other with
Ctrl-C held back for those few microseconds. The previous run's files are moved aside first and
put back if a rename fails, and its files that the new set does not have (``owned`` patterns:
``graph.dot`` when ``graph.svg`` is written now) are removed, so the folder ends wholly old or
wholly new. Two runs finishing into the same folder at once take turns (a lock on the folder).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

STAGING_PREFIX = ".staging-"
# Tests only: seconds to pause (after a marker line on stderr) once the files are staged and again
# after the first one is moved, so that a test can send Ctrl-C into exactly those moments.
PAUSE_VARIABLE = "CHAINRULE_TEST_OUTPUT_PAUSE"


class OutputSet:
    """The files one run writes into ``folder``; ``owned`` are the glob patterns (relative to
    ``folder``) of every file a run of this kind may write there."""

    def __init__(self, folder: str | os.PathLike[str], owned: Sequence[str]) -> None:
        self.folder = Path(folder)
        self.owned = tuple(owned)
        self.previous = self._owned_files()  # the earlier run's files, as found
        self.staging: Path | None = None
        self.committed = False
        self.written: list[Path] = []

    def _owned_files(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        found = {p.relative_to(self.folder).as_posix() for pattern in self.owned for p in self.folder.glob(pattern)
                 if p.is_file() or p.is_symlink()}
        return sorted(found)

    def __enter__(self) -> Path:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _remove_abandoned_staging(self.folder)
            self.staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.folder))
            (self.staging / "files").mkdir()
            (self.staging / "previous").mkdir()
        except OSError as err:  # a read-only or full disk: name the folder, not the staging folder
            self.discard()
            raise OSError(err.errno, err.strerror, str(self.folder)) from err
        return self.staging / "files"

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def discard(self) -> None:
        """Remove the staging folder and whatever was written into it (Ctrl-C held back meanwhile)."""
        if self.staging is not None:
            with interrupt_deferred():
                shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self) -> list[Path]:
        """Move the staged files into the folder, together; returns their paths there."""
        assert self.staging is not None, "commit() outside the with block"
        staged = self.staging / "files"
        try:
            new = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if not p.is_dir())
            pause_for_tests(f"staged {len(new)} files")
            with interrupt_deferred():
                with folder_lock(self.folder):
                    stale = [name for name in self._owned_files() if name not in new]
                    _swap_in(self.folder, staged, self.staging / "previous", new, stale)
                self.committed = True
                self.written = [self.folder / name for name in new]
                self.discard()  # before a held-back Ctrl-C is raised
        finally:
            self.discard()
        return self.written

    def write(self, write: Callable[[Path], Iterable[Path]]) -> list[Path]:
        """Call ``write(staging_folder)``, then move what it wrote into place; returns the files
        it returned, in its order, at their places in the folder."""
        with self as staging:
            made = list(write(staging))
        return [self.folder / Path(p).relative_to(staging) for p in made]

    def run(self, work: Callable[[], int]) -> int:
        """``work()``'s exit status, or a CLI's one-line ending when it is cut short: Ctrl-C says
        what was kept (130); a write that failed, a full or read-only disk, names the file (1)."""
        try:
            return work()
        except KeyboardInterrupt:
            print(f"interrupted (Ctrl-C): {self.kept()}", file=sys.stderr)
            return 130
        except OSError as err:
            print(self.failure(err), file=sys.stderr)
            return 1

    def failure(self, err: OSError) -> str:
        """The one line for a write that failed (a full or read-only disk), with what was kept."""
        where = unstaged(err.filename) if err.filename else self.folder
        return f"error: could not write {where}: {err.strerror or err}; {self.kept()}"

    def kept(self) -> str:
        """What the folder holds now, for the transcript after an error or Ctrl-C."""
        if self.committed:
            return f"this run's files are all in {self.folder}"
        if self.previous:
            return (f"{self.folder} keeps the previous run's files as they were ({_some(self.previous)}); "
                    f"none of this run's files were kept")
        return f"nothing was written to {self.folder}"


def unstaged(path: str | os.PathLike[str]) -> Path:
    """Where a file being written into a staging folder will be once the set is in place."""
    parts = Path(path).parts
    for i, part in enumerate(parts[:-2]):
        if part.startswith(STAGING_PREFIX) and parts[i + 1] == "files":
            return Path(*parts[:i], *parts[i + 2:])
    return Path(path)


def _some(names: list[str], shown: int = 6) -> str:
    """``a, b, c and 12 more``."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _swap_in(folder: Path, staged: Path, aside: Path, new: list[str], stale: list[str]) -> None:
    """Rename the ``new`` files from ``staged`` into ``folder`` and move the ``stale`` ones out,
    keeping every replaced file in ``aside`` until all is done; on an error, undo it all."""
    done: list[tuple[Path, Path | None, Path | None]] = []  # (target, its old file aside, where the new came from)
    try:
        for k, name in enumerate([*new, *stale]):
            target = folder / name
            saved = None
            if target.exists() or target.is_symlink():
                saved = aside / str(k)
                os.replace(target, saved)
            source = staged / name if k < len(new) else None
            done.append((target, saved, source))
            if source is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                if k == 0:
                    pause_for_tests("moving the files into place")
    except BaseException:
        for target, saved, source in reversed(done):
            with contextlib.suppress(OSError):
                if source is not None and (target.exists() or target.is_symlink()):
                    os.replace(target, source)
                if saved is not None:
                    os.replace(saved, target)
        raise


def _remove_abandoned_staging(folder: Path, age: float = 600.0) -> None:
    """Remove staging folders left by runs that were killed: their process is gone, and they
    are older than ``age`` seconds (a process of another container sharing the disk is not seen,
    but nobody stages files for ten minutes)."""
    for old in folder.glob(f"{STAGING_PREFIX}*-*"):
        pid = old.name[len(STAGING_PREFIX):].split("-")[0]
        with contextlib.suppress(OSError):
            if pid.isdigit() and not _alive(int(pid)) and time.time() - old.stat().st_mtime > age:
                shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


@contextlib.contextmanager
def interrupt_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) inside the block; one that came is raised when it ends.
    Only the main thread receives signals, so elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(signal.SIGINT, None)
        elif caught and previous == signal.SIG_DFL:
            raise KeyboardInterrupt


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock; where there is none, no lock)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def pause_for_tests(what: str) -> None:
    """Pause when the tests ask for it (PAUSE_VARIABLE), saying so on stderr first."""
    seconds = os.environ.get(PAUSE_VARIABLE)
    if seconds:
        print(f"[test pause] {what}", file=sys.stderr, flush=True)
        time.sleep(float(seconds))
