"""A grid of the training CLI's options, for a sweep: every combination of the values given.

On the command line, each option of ``python -m experiments.train`` is followed by the values
to try, one value per argument (quote a value of several words)::

    --lr 1 0.1 0.01 --hidden "4 4" "8 8" --activation sigmoid tanh --dataset xor --early-stop

An option with one value is the same in every run; a flag given alone (``--early-stop``) is
set in every run. In a grid file (TOML or JSON) the keys are the options' names (``lr``,
``n_test`` or ``n-test``), each holding a list of values or one value; ``hidden`` takes
``"4 4"`` or ``[4, 4]``, a flag ``true`` or ``false``::

    lr = [1, 0.1, 0.01]
    hidden = [[4, 4], [8, 8]]
    dataset = "xor"
    early_stop = true

Every combination goes through the training CLI's own parser and checks before anything
runs, so a grid is refused with exactly the message the training CLI would give.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments import train
from experiments.training import RunConfig

FLAG = ""  # the value of a flag that is set (its option stands alone)
NOT_SWEPT = {"--out": "the sweep writes into its own --out", "--quiet": "runs print nothing in a sweep",
             "--print-every": "it does not change a run's numbers",
             "--seed": "the sweep's --seeds N runs every cell with seeds 0 to N-1",
             "--snapshots": "a sweep keeps each run's numbers, not its weights"}
MAX_RUNS = 10_000


class GridError(ValueError):
    """A grid the training CLI refuses, or one that is not a grid: the message says which."""


@dataclass(frozen=True)
class Axis:
    """One option and the values to try, each as its command-line words (``"4 4"``)."""

    option: str
    values: tuple[str, ...]

    @property
    def name(self) -> str:
        """``lr``, ``hidden``, ``n-test``: the option without its dashes."""
        return self.option.lstrip("-")

    def argv(self, value: str) -> list[str]:
        return [self.option, *value.split()] if value != FLAG else [self.option]


@dataclass(frozen=True)
class Cell:
    """One combination: the value of each axis, and the configuration the training CLI makes of it."""

    values: tuple[str, ...]
    config: RunConfig


@dataclass(frozen=True)
class Grid:
    axes: tuple[Axis, ...]

    @property
    def varied(self) -> tuple[Axis, ...]:
        """The axes with more than one value: a results table's and a heatmap's columns."""
        return tuple(a for a in self.axes if len(a.values) > 1)

    def fixed_argv(self) -> list[str]:
        """The options every run shares, as the training CLI would be called."""
        return [w for a in self.axes if len(a.values) == 1 for w in a.argv(a.values[0])]

    def cells(self, seeds: int = 1) -> list[Cell]:
        """Every combination, each checked by the training CLI (``GridError`` with its message)."""
        count = math.prod(len(a.values) for a in self.axes)
        if count * seeds > MAX_RUNS:
            raise GridError(f"the grid has {count:,} combinations × {seeds} seeds = {count * seeds:,} runs, "
                            f"more than a sweep takes ({MAX_RUNS:,}); split it")
        cells = []
        for values in itertools.product(*(a.values for a in self.axes)):
            argv = [w for a, v in zip(self.axes, values, strict=True) for w in a.argv(v)]
            cells.append(Cell(tuple(values), train_config(argv)))
        return cells


def train_config(argv: list[str]) -> RunConfig:
    """The configuration ``python -m experiments.train ARGV`` would train, or ``GridError``
    with the message it would print (its own parser and checks, called, not copied)."""
    p = train.parser()
    p.allow_abbrev = False  # a grid names options in full, so one option is never two columns

    def refuse(message: str) -> None:
        raise GridError(message)

    p.error = refuse  # type: ignore[method-assign]  # the parser's message, raised instead of exiting
    config, _ = train.parse_config(argv, p)
    return config


# ---- reading a grid --------------------------------------------------------------------------
def from_argv(words: list[str]) -> Grid:
    """A grid from command-line words: ``--lr 1 0.1 --hidden "4 4" "8 8" --early-stop``."""
    axes: list[tuple[str, list[str]]] = []
    for word in words:
        if word.startswith("--"):
            option, eq, value = word.partition("=")
            axes.append((option, [value] if eq else []))
        elif not axes:
            raise GridError(f"unrecognized arguments: {word} (a value must follow the option it is for)")
        else:
            axes[-1][1].append(word)
    return _grid([(option, values or [FLAG]) for option, values in axes], where="")


def from_file(path: Path) -> Grid:
    """A grid from a TOML (``.toml``) or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GridError(f"cannot read the grid file {path}: {getattr(err, 'strerror', None) or err}") from None
    try:
        if path.suffix.lower() == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib

            table = tomllib.loads(text)
        else:
            table = json.loads(text)
    except ValueError as err:
        raise GridError(f"the grid file {path} is not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: "
                        f"{err}") from None
    if not isinstance(table, dict):
        raise GridError(f"the grid file {path} must hold a table of options (lr = [1, 0.1]), not a list or value")
    axes = []
    for key, raw in table.items():
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise GridError(f"the grid file {path}: {key} is an empty list; give one value or more")
        words = [_file_value(path, key, v) for v in values]
        axes.append(("--" + key.lstrip("-").replace("_", "-"), [w for w in words if w is not None]))
    return _grid(axes, where=f"the grid file {path}: ")


def _file_value(path: Path, key: str, value: Any) -> str | None:
    """A grid file's value as command-line words; None for a flag set to false."""
    if isinstance(value, bool):
        return FLAG if value else None
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return " ".join(repr(v) for v in value)
    raise GridError(f"the grid file {path}: {key} holds {json.dumps(value)}; a value is a number, a string, "
                    f"true/false, or a list of numbers (hidden = [4, 4])")


def _grid(axes: list[tuple[str, list[str]]], where: str) -> Grid:
    seen: set[str] = set()
    out = []
    for option, values in axes:
        if option in NOT_SWEPT:
            raise GridError(f"{where}{option} is not a grid option: {NOT_SWEPT[option]}")
        if option in seen:
            raise GridError(f"{where}{option} is given twice; list all its values after it once")
        seen.add(option)
        if not values:  # a flag set to false in a file: the option is simply left out
            continue
        for value in values:
            if values.count(value) > 1:
                hint = f' (for two layers of {value} write --hidden "{value} {value}")' \
                    if option == "--hidden" and re.fullmatch(r"\d+", value) else ""
                raise GridError(f"{where}{option} lists {value!r} twice{hint}")
        out.append(Axis(option, tuple(values)))
    return Grid(tuple(out))


def merge(first: Grid, second: Grid) -> Grid:
    """The axes of both (a grid file's and the command line's); an option in both is refused."""
    both = {a.option for a in first.axes} & {a.option for a in second.axes}
    if both:
        raise GridError(f"{', '.join(sorted(both))} is both in the grid file and on the command line; give it once")
    return Grid(first.axes + second.axes)


def describe(grid: Grid, seeds: int) -> str:
    """``--lr 1 0.1 × --hidden "4 4" "8 8", 5 seeds each: 20 runs``."""
    shown = [f"{a.option} " + " ".join(f'"{v}"' if " " in v else v for v in a.values) for a in grid.varied]
    cells = math.prod(len(a.values) for a in grid.axes)
    return f"{' × '.join(shown) or 'one configuration'}, {seeds} seeds each: {cells * seeds} runs"

