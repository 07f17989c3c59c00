"""The engine's switches, per thread: grad mode and anomaly detection.

* ``no_grad`` turns graph recording off, so a forward pass keeps nothing for backward.
* ``enable_grad`` turns it back on inside a ``no_grad`` block.
* ``detect_anomaly`` makes every op check its forward and backward results for NaN and inf.

Each works as a ``with`` block and as a decorator, and restores exactly the state it found:
the saved state goes on a per-thread stack, never on the (shared) object, so one instance
may be nested in itself, used by a recursive function, or used by two threads at once.
"""

from __future__ import annotations

import contextlib
import threading


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.saved: list[bool] = []  # what each open block found, innermost last


_state = _State()


def is_grad_enabled() -> bool:
    """True when new operations record the graph that ``backward`` walks."""
    return _state.grad_enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _state.anomaly


class _Switch(contextlib.ContextDecorator):
    """Set one flag of this thread's state for a ``with`` block or a decorated call."""

    flag = ""
    value = True

    def __enter__(self) -> None:
        _state.saved.append(getattr(_state, self.flag))
        setattr(_state, self.flag, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(_state, self.flag, _state.saved.pop())


class no_grad(_Switch):  # noqa: N801  (PyTorch's name)
    """Record no graph inside the block (or the decorated function), as ``torch.no_grad``.

    >>> with no_grad():
    ...     y = model(x)          # y.requires_grad is False; nothing is kept for backward
    """

    flag, value = "grad_enabled", False


class enable_grad(_Switch):  # noqa: N801  (PyTorch's name)
    """Record the graph again inside a ``no_grad`` block."""

    flag, value = "grad_enabled", True


class set_grad_enabled(_Switch):  # noqa: N801  (PyTorch's name)
    """Record the graph or not, as ``mode`` says (``with set_grad_enabled(False): ...``)."""

    flag = "grad_enabled"

    def __init__(self, mode: bool) -> None:
        self.value = bool(mode)


class detect_anomaly(_Switch):  # noqa: N801  (PyTorch's name)
    """Inside the block, an op whose forward or backward gives NaN or inf raises
    RuntimeError naming the op. Costs one ``isfinite`` pass per op, so it is off by default."""

    flag, value = "anomaly", True


class set_detect_anomaly(_Switch):  # noqa: N801  (PyTorch's name)
    """Check for NaN and inf or not, as ``mode`` says."""

    flag = "anomaly"

    def __init__(self, mode: bool) -> None:
        self.value = bool(mode)
