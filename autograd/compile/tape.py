"""The tape: a recorded training step as a flat sequence of numpy calls into buffers it owns.

``replay(tensors)`` checks that the parameters are the arrays recorded, copies the inputs into
their buffers, runs the forward calls, checks the guards on values that Python code read while
recording (the branch taken must be taken again), runs the reverse sweep, and adds each leaf's
gradient to its ``.grad`` as ``backward()`` does (its own new array when ``.grad`` is None, else
in place). It is one generated Python function (``source``, see ``source.py``). ``print(tape)``
shows the evaluation trace as a Wengert list and the reverse sweep, with the buffer each value
lives in; ``buffers`` says which values share each buffer and where it lies in the tape's block
of memory.

A replay is quiet about overflow and NaN (``np.errstate``), as the eager backward pass always
is: a NaN shows in the loss and the gradients. ``detect_anomaly`` runs the step eagerly.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.compile.fuse import Schedule
from autograd.compile.source import replay_function
from autograd.compile.text import nbytes
from autograd.function import QUIET
from autograd.tensor import Tensor


@dataclass(eq=False)
class Line:
    """One line of the Wengert list: ``name op text`` (``v3 = σ(v2)``, ``W.grad += Xᵀ @ v̄1``),
    and where the value lives (``#3 21×4``: in buffer 3)."""

    phase: str
    name: str
    op: str
    text: str
    where: str
    how: str  # "kernel", "eager island", ...


@dataclass(eq=False)
class Buffer:
    """One buffer of the tape: its place in the tape's block of memory and the values it holds,
    one after the other (their names, ``v3``, or how they are made)."""

    number: int
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int  # in the block (-1: allocated on its own: a padded image's zero border)
    values: list[str]


@dataclass(eq=False)
class Tape:
    loads: list[tuple[int, np.ndarray]]  # (position among the call's tensors, the input's buffer)
    calls: dict[str, int]  # numpy calls per replay, forward and backward (each block of a fused run counted)
    outputs: list[np.ndarray]  # the loss's array first, then any other result's
    leaves: list[tuple[int | Tensor, np.ndarray]]  # a leaf (a parameter, or a position among the call's tensors)
    guards: list[tuple[np.ndarray, str, Any, str]]  # (array, "bool" | "item" | "float", value read, where)
    externals: list[tuple[Tensor, np.ndarray, bool]]  # tensors read in place: (tensor, its array, requires_grad)
    lines: list[Line]
    buffers: list[Buffer]  # the arrays the tape owns, and the values each one holds in turn
    nbytes: int  # the block of memory its buffers lie in
    read_inputs: tuple[tuple[int, np.ndarray], ...] = ()  # inputs whose values Python code read: their values
    returns: type | None = None  # tuple or list when the step returned several tensors
    source: str = ""  # the replay written out as Python (see ``generate``)

    # ---- guards --------------------------------------------------------------------------------
    def fits(self, tensors: list[Tensor]) -> bool:
        """The inputs whose values the step's Python code read hold the same values. (That the
        parameters are the arrays recorded, not replaced, with the same requires_grad, the
        replay checks first: see ``source.guards``.)"""
        return all(np.array_equal(tensors[i].data, values) for i, values in self.read_inputs)

    def checks(self) -> bool:
        """The values Python code read while recording (``bool(t)``, ``t.item()``) are the same."""
        for array, kind, value, _ in self.guards:
            if (bool(array) if kind == "bool" else array.item()) != value:
                return False
        return True

    # ---- the replay --------------------------------------------------------------------------------
    def generate(self, forward: Schedule, backward: Schedule, storages: list[np.ndarray]) -> None:
        """Write the replay out as one Python function (``source.py``); ``self.source``."""
        replay, self.source = replay_function(self.loads, forward, backward, self.checks if self.guards else None,
                                              self.leaves, self.outputs, storages, self.externals)
        self._replay = np.errstate(**QUIET)(replay)

    def replay(self, tensors: list[Tensor]) -> list[np.ndarray] | None:
        """One step: the loads, the forward sweep, the guards on values, the reverse sweep, each
        leaf's gradient added to its ``.grad`` as backward() does (a copy of its own when it has
        none, else in place), and copies of the results; None when a guard failed (then nothing
        was written). All written out in ``self.source``."""
        return self._replay(tensors)

    def run(self, tensors: list[Tensor]) -> list[np.ndarray] | None:
        """The same without touching any ``.grad`` (the gradients stay in the tape's buffers)."""
        return self._replay(tensors, False)

    def leaf_gradients(self, tensors: list[Tensor]) -> list[tuple[Tensor, np.ndarray]]:
        return [(tensors[leaf] if isinstance(leaf, int) else leaf, g) for leaf, g in self.leaves]

    # ---- what it shows -------------------------------------------------------------------------------
    def __str__(self) -> str:
        forward = [line for line in self.lines if line.phase == "forward"]
        backward = [line for line in self.lines if line.phase == "backward"]
        width = max((_width(f"{x.name} {x.op} {x.text}") for x in self.lines), default=0) + 4
        head = (f"Tape: {len(forward)} forward lines, {len(backward)} reverse lines; {len(self.buffers)} buffers "
                f"of its own in {nbytes(self.nbytes)}")
        out = [head, _pad("forward sweep", width + 2) + "buffer"]
        out += [f"  {_pad(f'{x.name} {x.op} {x.text}', width)}{x.where}"
                + ("" if x.how == "kernel" else f"  ({x.how})") for x in forward]
        if backward:
            out.append("reverse sweep")
            out += [f"  {_pad(f'{x.name} {x.op} {x.text}', width)}{x.where}" for x in backward]
        return "\n".join(out)

    def __repr__(self) -> str:
        return (f"<Tape: {self.calls['forward']} forward and {self.calls['backward']} reverse calls, "
                f"{len(self.buffers)} buffers>")


def _width(text: str) -> int:
    """Columns ``text`` takes: a combining mark (the bar of v̄) takes none."""
    return sum(not unicodedata.combining(c) for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def add_gradient(leaf: Tensor, g: np.ndarray) -> None:
    """What ``backward()`` does with a leaf's gradient: a copy of its own, or added in place."""
    if leaf._grad is None:
        leaf._grad = g.copy(order="K")
    else:
        leaf._grad += g
