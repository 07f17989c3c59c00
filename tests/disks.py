"""Real disks that are full or read-only, for the tests: a small tmpfs mounted for the test (as
root, as under CI), or a folder without write permission (for other users)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def under_ci() -> bool:
    """As tests/conftest.py's require_program: under CI, a missing capability fails the test."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _mount(args: list[str]) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        message = f"cannot mount a tmpfs to simulate a disk ({proc.stderr.strip()})"
        if under_ci():
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder`` (made if missing) for the block; skips unless
    the tests run as root."""
    if os.geteuid() != 0:
        pytest.skip("simulating a full disk mounts a small tmpfs, which needs root (CI runs the tests as root)")
    folder.mkdir(parents=True, exist_ok=True)
    _mount(["-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)])
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(disk: Path, leave: int = 64 * 1024) -> None:
    """Fill the disk at ``disk`` until only ``leave`` bytes are free."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with open(disk / "filler", "wb") as f:
        f.write(bytes(max(0, free - leave)))


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """Make ``folder`` (and what it holds) read-only for the block: a read-only remount of a
    tmpfs holding a copy when root (whom permissions do not stop), else permissions."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    keep = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    _mount(["-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(folder)])
    try:
        for name, data in keep.items():
            (folder / name).write_bytes(data)
        _mount(["-o", "remount,ro", str(folder)])
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
