"""Helpers for tests that start real processes: which are still alive, and which are a pool's
workers (read from /proc, Linux)."""

import contextlib
import time
from pathlib import Path


def processes_in_session(session):
    """The live (not zombie) processes of a session."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name.isdigit() and int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def assert_no_process_left(session):
    deadline = time.monotonic() + 5
    while processes_in_session(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_in_session(session) == []


def worker_processes(parent):
    """The spawned worker processes of ``parent``'s pool."""
    kids = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name.isdigit() and int(fields[1]) == parent and b"spawn_main" in (entry / "cmdline").read_bytes():
                kids.append(int(entry.name))
    return kids
