"""Thread-local switches of the engine: grad mode, anomaly detection, module scopes.

* ``no_grad`` turns graph recording off, so forward passes cost no memory for backward.
* ``detect_anomaly`` makes every forward and backward check its numbers for NaN and inf.
* ``scope`` tags the tensors made inside it with a label; ``nn.Module.__call__`` enters one,
  so that graph pictures can draw each module's tensors in a labelled box. The engine never
  imports ``nn``: it only knows labels.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.scope: Scope | None = None


_state = _State()
_scope_ids = itertools.count()


def is_grad_enabled() -> bool:
    """True when new operations record the graph that ``backward`` walks."""
    return _state.grad_enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _state.anomaly


class _SetFlag(contextlib.ContextDecorator):
    """Sets one boolean of the thread's state for a ``with`` block or a decorated call."""

    _flag = ""
    _value = True

    def __enter__(self) -> None:
        self._saved = getattr(_state, self._flag)
        setattr(_state, self._flag, self._value)

    def __exit__(self, *exc: object) -> None:
        setattr(_state, self._flag, self._saved)


class no_grad(_SetFlag):  # noqa: N801  (PyTorch's name)
    """Record no graph inside the block (or the decorated function), as ``torch.no_grad``.

    >>> with no_grad():
    ...     y = model(x)          # y.requires_grad is False, nothing is kept for backward
    """

    _flag, _value = "grad_enabled", False


class enable_grad(_SetFlag):  # noqa: N801  (PyTorch's name)
    """Record the graph again inside a ``no_grad`` block."""

    _flag, _value = "grad_enabled", True


class detect_anomaly(_SetFlag):  # noqa: N801  (PyTorch's name)
    """Inside the block, an op whose forward or backward yields NaN or inf raises RuntimeError
    naming the op. Costs one ``isfinite`` check per op, so it is off by default."""

    _flag, _value = "anomaly", True


class Scope:
    """One entry into a labelled region (one call of one module), and the ``with`` block
    that makes it: every tensor made by an op inside the block is tagged with it.

    ``parent`` is the enclosing scope, so a tensor's scope chain reads outermost to
    innermost, as nested boxes. The label may be given as a function that returns it,
    called only when a picture asks (a module passes its ``graph_label`` method, so a
    training step formats no strings). One Scope per ``with`` block: each is one box.
    """

    __slots__ = ("_label", "id", "parent")

    def __init__(self, label: str | Callable[[], str], parent: Scope | None = None) -> None:
        self._label = label
        self.parent = parent
        self.id = next(_scope_ids)

    def __enter__(self) -> Scope:
        self.parent = _state.scope
        _state.scope = self
        return self

    def __exit__(self, *exc: object) -> None:
        _state.scope = self.parent

    @property
    def label(self) -> str:
        return self._label if isinstance(self._label, str) else self._label()

    def chain(self) -> list[Scope]:
        """The scopes from the outermost down to this one."""
        out: list[Scope] = []
        node: Scope | None = self
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]

    def __repr__(self) -> str:
        return f"Scope({self.label!r}, id={self.id})"


def current_scope() -> Scope | None:
    """The innermost scope entered in this thread, or None."""
    return _state.scope


# ``with scope("Linear(2→4)"):`` tags the tensors made inside with a new Scope (a box in
# graph pictures); ``nn.Module.__call__`` enters one per call.
scope = Scope
