"""What the command lines share: argparse types that refuse a bad value with one line naming
the range (whole numbers, finite numbers, an output folder, UTF-8 text), a help formatter
that shows the defaults, and the memory check that runs before anything big is allocated.

Each type raises ``argparse.ArgumentTypeError``, so argparse prints
``error: argument --lr: must be a finite number, got inf`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each option's default, left out where there is none to show (no
    default, a plain switch) or where the help text already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help_text = action.help or ""
        if action.default is None or action.default is False or "default" in help_text:
            return action.help
        return super()._get_help_string(action)


def _whole(text: str) -> int:
    """A whole number, also in scientific notation when it is one exactly (``1e6``)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        exact = Decimal(text.strip())
    except InvalidOperation:
        exact = None
    if exact is None or not exact.is_finite() or exact != exact.to_integral_value() or exact.adjusted() > 40:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(exact)


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        spelled = text.strip().lower().lstrip("+-") in ("inf", "infinity", "nan")
        note = "" if spelled else " (too large for a float64, which holds up to about 1.8e308)"
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}{note}")
    return value


def _bounded(parse: Callable[[str], int | float], low: float, strict: bool, name: str) -> Callable[[str], float]:
    def check(text: str) -> int | float:
        value = parse(text)
        if value < low or (strict and value == low):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {low:g}, got {text}")
        return value

    check.__name__ = name
    return check


positive_int = _bounded(_whole, 0, True, "positive whole number")
non_negative_int = _bounded(_whole, 0, False, "whole number >= 0")
positive_float = _bounded(_finite, 0, True, "positive number")
non_negative_float = _bounded(_finite, 0, False, "number >= 0")


def finite_float(text: str) -> float:
    """Any finite number: what ``float`` accepts, less inf and nan."""
    return _finite(text)


def not_utf8(text: str) -> str | None:
    """None for text that can be printed and written as UTF-8, else what is wrong: an argument
    holding bytes that are not UTF-8 reaches Python as lone surrogates, which cannot be."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        code = ord(text[err.start])
        what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"character U+{code:04X}"
        return f"is not valid UTF-8 text ({what} at position {err.start})"
    return None


def utf8_text(text: str) -> str:
    """Text that can be printed and written as UTF-8 (see ``not_utf8``)."""
    problem = not_utf8(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def output_folder(text: str) -> Path:
    """A folder to write into: a non-empty path that is valid UTF-8 (it is printed)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, got an empty path (use . for the current folder)")
    return Path(utf8_text(text))


# ---- memory ---------------------------------------------------------------------------------------
def physical_memory() -> int | None:
    """Bytes of memory the machine has in all, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def size_text(n: float) -> str:
    """Bytes as people read them: ``80.0 GB``, ``512 MB``, ``3.2 TB``."""
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:,.0f} {unit}" if value >= 1000 else f"{value:.3g} {unit}"
    return f"{int(n)} bytes"


MemoryParts = Iterable[tuple[str, tuple[str, ...], int]]


def memory_problem(parts: MemoryParts, values: dict[str, object], limit: int | None = None) -> str | None:
    """None when the run fits in memory, else one line: the size needed, the flags that make
    most of it, and the limit. ``parts`` are (what, config fields that size it, bytes), as a
    config's ``memory_estimate()`` gives them; ``values`` are the config's fields."""
    parts = list(parts)
    limit = physical_memory() if limit is None else limit
    total = sum(size for _, _, size in parts)
    if limit is None or total <= limit:
        return None
    what, fields, _ = max(parts, key=lambda part: part[2])
    flags = ", ".join(f"--{f.replace('_', '-')} {_flag_value(values[f])}" for f in fields)
    return (f"this run needs about {size_text(total)} of memory, most of it for {what} ({flags}); "
            f"the machine has {size_text(limit)}: use smaller values")


def _flag_value(value: object) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, (tuple, list)) else str(value)
