"""Module boxes for pictures: which module call made which tensors.

The engine does not know about modules, and tensors carry no box. While a picture's forward
pass runs inside ``module_boxes(model)``, a forward hook on every submodule notes each call's
inputs and output; the tensors a call made are those its output was computed from that its
inputs were not (its parameters and constants included). Outside the block nothing is
recorded and nothing costs anything.

>>> with module_boxes(model, loss_fn) as boxes:
...     loss = loss_fn(model(X), y)
>>> render(loss, "graph.svg", boxes=boxes)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from autograd.tensor import Tensor

_ids = itertools.count()


@dataclass(eq=False)
class Box:
    """One module call: its label, the tensors it made (by identity), and the box around it."""

    label: str
    members: set[int]
    output: int
    parent: Box | None = None
    id: int = field(default_factory=lambda: next(_ids))

    def chain(self) -> list[Box]:
        """The boxes from the outermost down to this one."""
        out: list[Box] = []
        box: Box | None = self
        while box is not None:
            out.append(box)
            box = box.parent
        return out[::-1]


class module_boxes:  # noqa: N801  (used as a ``with`` block, like no_grad)
    """Record, for pictures, the module calls of a forward pass run inside the block.

    ``modules`` are nn modules (anything with ``named_modules()`` and
    ``register_forward_hook``); every submodule whose ``boxed`` is not False gets a box.
    """

    def __init__(self, *modules: Any) -> None:
        self.modules = modules
        self.boxes: list[Box] = []
        self._handles: list[Any] = []

    def __enter__(self) -> module_boxes:
        for top in self.modules:
            for _, module in top.named_modules():
                if getattr(module, "boxed", True):
                    self._handles.append(module.register_forward_hook(self._record))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _record(self, module: Any, args: tuple, output: Any) -> None:
        if not isinstance(output, Tensor):
            return
        label = module.graph_label() if hasattr(module, "graph_label") else type(module).__name__
        inputs = {id(a) for a in args if isinstance(a, Tensor)}
        self.boxes.append(Box(label, _made_between(inputs, output), id(output)))

    def homes(self) -> dict[int, Box]:
        """The innermost box of each tensor (by identity) that some call made. Calls finish
        inner first, so a box's parent is the smallest later box holding its output."""
        for k, box in enumerate(self.boxes):
            around = [b for b in self.boxes[k + 1:] if box.output in b.members and b.members > box.members]
            box.parent = min(around, key=lambda b: len(b.members), default=None)
        homes: dict[int, Box] = {}
        for box in sorted(self.boxes, key=lambda b: -len(b.members)):  # inner boxes overwrite outer ones
            for member in box.members:
                homes[member] = box
        return homes


def _made_between(inputs: set[int], output: Tensor) -> set[int]:
    """The tensors ``output`` was computed from, stopping at ``inputs`` (which are not included)."""
    members = {id(output)}
    stack = [output]
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in inputs and id(parent) not in members:
                members.add(id(parent))
                stack.append(parent)
    return members
