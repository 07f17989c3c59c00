"""Progress over many runs, counting the ones the cache already held.

On a terminal, a tqdm bar on stderr (``runs: 40%|████  | 53/132 [01:10<01:45, 12 cached]``);
elsewhere (a log file, a pipe, CI) a line at about every tenth of the runs to compute, so a
long study is never silent for minutes and a log stays short.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


def say(line: str) -> None:
    """Print a line at once, also into a pipe or a log file (where print waits for a full buffer)."""
    print(line, flush=True)


def _sized(stream: TextIO) -> bool:
    """Whether the terminal reports its size: a pseudo-terminal never sized says 0×0, and tqdm
    would then draw nothing at all."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return size.columns > 0 and size.lines > 0


class RunProgress:
    """Call it once per finished (or failed) run. Use it as a context manager."""

    def __init__(self, total: int, cached: int, *, stream: TextIO | None = None,
                 log: Callable[[str], None] = say, bar: bool | None = None) -> None:
        self.total, self.cached = total, cached
        self.done = self.failed = 0
        self.stream = stream or sys.stderr
        self.log = log
        self.bar: Any = None
        self.todo = total - cached
        self.start = time.perf_counter()
        self.next_line = 1
        show_bar = self.stream.isatty() if bar is None else bar
        if show_bar and self.todo:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=cached, unit="run", desc="runs", file=self.stream, leave=False,
                            postfix=f"{cached} cached", **({} if _sized(self.stream) else {"ncols": 80, "nrows": 24}))

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, job: object = None, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        if self.bar is not None:
            self.bar.update(1)
            if failed:
                self.bar.set_postfix_str(f"{self.cached} cached, {self.failed} failed")
            return
        # a line at each tenth of the work (and at the end)
        if self.done * 10 >= self.next_line * self.todo or self.done == self.todo:
            while self.next_line * self.todo <= self.done * 10:
                self.next_line += 1
            failed_text = f", {self.failed} failed" if self.failed else ""
            self.log(f"runs: {self.cached + self.done}/{self.total} done ({self.cached} cached{failed_text}), "
                     f"{time.perf_counter() - self.start:.0f} s")
