"""The tape: a recorded training step as flat lists of numpy calls into buffers it owns.

``replay(tensors)`` copies the inputs into their buffers, runs the forward calls, checks the
guards on values that Python code read while recording (the branch taken must be taken again),
runs the reverse sweep, and adds each leaf's gradient to its ``.grad`` as ``backward()`` does
(a copy when ``.grad`` is None, else in place). ``print(tape)`` shows the evaluation trace as a
Wengert list and the reverse sweep, with the buffer each value lives in.

A replay is quiet about overflow and NaN (``np.errstate``), as the eager backward pass always
is: a NaN shows in the loss and the gradients. ``detect_anomaly`` runs the step eagerly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.backward import QUIET
from autograd.compile.fuse import Schedule
from autograd.compile.program import Storage, Val
from autograd.compile.source import replay_function
from autograd.compile.text import nbytes, shape_text
from autograd.tensor import Tensor


@dataclass(eq=False)
class Line:
    """One line of the Wengert list: ``name op text`` (``v3 = σ(v2)``, ``W.grad += Xᵀ @ v̄1``)."""

    phase: str
    name: str
    op: str
    text: str
    val: Val
    how: str  # "kernel", "eager island", ...


@dataclass(eq=False)
class Tape:
    loads: list[tuple[int, np.ndarray]]  # (position among the call's tensors, the input's buffer)
    forward: list[Callable[[], Any]]
    backward: list[Callable[[], Any]]
    outputs: list[np.ndarray]  # the loss's array first, then any other result's
    leaves: list[tuple[int | Tensor, np.ndarray]]  # a leaf (a parameter, or a position among the call's tensors)
    guards: list[tuple[np.ndarray, str, Any, str]]  # (array, "bool" | "item" | "float", value read, where)
    externals: list[tuple[Tensor, np.ndarray, bool]]  # tensors read in place: (tensor, its array, requires_grad)
    lines: list[Line]
    storages: list[Storage]  # the arrays the tape owns, and the values each one holds in turn
    read_inputs: tuple[tuple[int, np.ndarray], ...] = ()  # inputs whose values Python code read: their values
    returns: type | None = None  # tuple or list when the step returned several tensors
    source: str = ""  # the replay written out as Python (see ``generate``)

    # ---- guards --------------------------------------------------------------------------------
    def fits(self, tensors: list[Tensor]) -> bool:
        """The parameters are the arrays recorded (not replaced, same requires_grad), and the
        inputs whose values the step's Python code read hold the same values."""
        for t, array, requires_grad in self.externals:
            if t.data is not array or t.requires_grad is not requires_grad:
                return False
        return all(np.array_equal(tensors[i].data, values) for i, values in self.read_inputs)

    def checks(self) -> bool:
        """The values Python code read while recording (``bool(t)``, ``t.item()``) are the same."""
        for array, kind, value, _ in self.guards:
            if (bool(array) if kind == "bool" else array.item()) != value:
                return False
        return True

    # ---- the replay --------------------------------------------------------------------------------
    @np.errstate(**QUIET)
    def run(self, tensors: list[Tensor]) -> bool:
        """Forward and reverse sweep into the tape's buffers; False (and no reverse sweep) when a
        guard on a value fails."""
        for i, buffer in self.loads:
            np.copyto(buffer, tensors[i].data)
        for call in self.forward:
            call()
        if self.guards and not self.checks():
            return False
        for call in self.backward:
            call()
        return True

    def leaf_gradients(self, tensors: list[Tensor]) -> list[tuple[Tensor, np.ndarray]]:
        return [(tensors[leaf] if isinstance(leaf, int) else leaf, g) for leaf, g in self.leaves]

    def results(self) -> list[np.ndarray]:
        return [a.copy(order="K") for a in self.outputs]

    def generate(self, forward: Schedule, backward: Schedule) -> None:
        """Write the replay out as one Python function (``source.py``): ``self.source``."""
        replay, self.source = replay_function(self.loads, forward, backward, self.checks if self.guards else None,
                                              self.leaves, self.outputs, [s.array for s in self.storages])
        self.replay = np.errstate(**QUIET)(replay)

    def replay(self, tensors: list[Tensor]) -> list[np.ndarray] | None:
        """One step: the loads, the forward sweep, the guards on values, the reverse sweep, each
        leaf's gradient added to its ``.grad`` as backward() does (a copy of its own when it has
        none, else in place), and copies of the results; None when a guard failed (then nothing
        was written). ``generate`` replaces this with the same steps written out."""
        if not self.run(tensors):
            return None
        for leaf, g in self.leaf_gradients(tensors):
            add_gradient(leaf, g)
        return self.results()

    # ---- what it shows -------------------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        return sum(s.array.nbytes for s in self.storages)

    def where(self, val: Val) -> str:
        while val.role == "view":
            val = val.base
        if val.role in ("buffer", "input", "pinned"):
            return f"#{val.storage} {shape_text(val.array)}"
        return "its own array" if val.role == "leaf" else "constant"

    def __str__(self) -> str:
        forward = [line for line in self.lines if line.phase == "forward"]
        backward = [line for line in self.lines if line.phase == "backward"]
        width = max((_width(f"{x.name} {x.op} {x.text}") for x in self.lines), default=0) + 4
        head = (f"Tape: {len(forward)} forward lines, {len(backward)} reverse lines; {len(self.storages)} buffers "
                f"of its own ({nbytes(self.nbytes)})")
        out = [head, _pad("forward sweep", width + 2) + "buffer"]
        out += [f"  {_pad(f'{x.name} {x.op} {x.text}', width)}{self.where(x.val)}"
                + ("" if x.how == "kernel" else f"  ({x.how})") for x in forward]
        if backward:
            out.append("reverse sweep")
            out += [f"  {_pad(f'{x.name} {x.op} {x.text}', width)}{self.where(x.val)}" for x in backward]
        return "\n".join(out)

    def __repr__(self) -> str:
        return (f"<Tape: {len(self.forward)} forward and {len(self.backward)} reverse calls, "
                f"{len(self.storages)} buffers>")


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
