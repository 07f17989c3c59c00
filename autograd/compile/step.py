"""``compile(fn)``: a training step recorded once, then replayed as a tape of numpy calls.

What a call checks before it replays (a tape per signature, up to ``max_tapes``):

* the signature: grad mode on or off; for each argument that is a Tensor its shape, dtype,
  ``requires_grad`` and whether it is a leaf, and which arguments are the same tensor; any other
  argument by value (``==``; it must be hashable); numpy arrays are refused (pass a Tensor);
* the tape's guards: every tensor the step read without making it (a parameter, a captured
  tensor) still holds the very array recorded (``t.data is array``: an optimizer's in-place step
  keeps it, ``module.to(dtype)`` or ``t.data = ...`` does not) and the same ``requires_grad``;
  inputs whose values Python code read (``y.data`` in a loss) hold the same values;
* after the forward sweep, before anything is written: what ``bool(t)``, ``t.item()`` and
  ``float(t)`` gave while recording (the branch Python took must be taken again).

A failed check records the step again (an eager run); a step whose checks keep failing
(``MAX_CHANGES`` times in a row), or that cannot be recorded faithfully (see ``record.py``), runs
eagerly from then on, with one warning saying why. Under ``detect_anomaly`` every call runs
eagerly. ``check_every=N`` runs every N-th replay eagerly as well and compares the loss and the
gradients (a relative 1e-9 in float64, 1e-4 in float32): a difference means the step reads
state the tape cannot see, and it runs eagerly from then on.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.backward import walk
from autograd.compile import units
from autograd.compile.build import build
from autograd.compile.record import Unsupported, record
from autograd.compile.tape import Tape, add_gradient
from autograd.gradients import seed
from autograd.modes import _state
from autograd.tensor import Tensor, constant

MAX_CHANGES = 3  # records in a row for one signature before a step is left eager
KERNEL_UNITS = frozenset(units.UNITS)


class CompileWarning(UserWarning):
    """A step, or an op in it, that the tape cannot replay and that runs eagerly."""


_warned: set[str] = set()


def warn_once(message: str, category: type[Warning] = UserWarning) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, category, stacklevel=4)


class CompiledStep:
    """A step function recorded on its first call and replayed afterwards (see ``compile``)."""

    def __init__(self, fn: Callable[..., Any], check_every: int = 0, max_tapes: int = 8) -> None:
        if not callable(fn):
            raise TypeError(f"compile: expects a function, got {type(fn).__name__}")
        if not isinstance(check_every, int) or check_every < 0:
            raise ValueError(f"compile: check_every must be an int >= 0 (0: never), got {check_every!r}")
        functools.update_wrapper(self, fn)
        self.fn, self.check_every, self.max_tapes = fn, check_every, max_tapes
        self.calls = self.recordings = self.replays = 0
        self._entries: dict[tuple, Tape | str] = {}  # signature → its tape, or why it runs eagerly
        self._changes: dict[tuple, int] = {}
        self._last: Tape | None = None
        self._since_check = 0
        self._last_call: tuple | None = None  # (signature, grad mode, arguments, tensors, their arrays and flags)
        self._lock = threading.RLock()

    @property
    def tape(self) -> Tape:
        """The tape the last call replayed or recorded (``print(step.tape)``)."""
        if self._last is None:
            raise RuntimeError(f"{self.__name__}: no tape yet; call the step once to record it")
        return self._last

    @property
    def tapes(self) -> list[Tape]:
        return [t for t in self._entries.values() if isinstance(t, Tape)]

    def __repr__(self) -> str:
        return (f"<compiled {self.__name__}: {len(self.tapes)} tape(s), {self.recordings} recording(s), "
                f"{self.replays} replay(s)>")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
            last = self._last_call
            if not kwargs and last is not None and _same_call(args, last):
                key, tensors = last[0], last[3]
            else:
                tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)] if kwargs else \
                    [a for a in args if isinstance(a, Tensor)]
                key = self._key(args, kwargs, tensors)
                self._last_call = None if kwargs or key[0] == "eager" else (
                    key, _state.grad_enabled, args, tensors, [t.data for t in tensors],
                    [t.requires_grad for t in tensors])
            entry = self._entries.get(key)
            if entry.__class__ is Tape and self._may_replay(entry, tensors):
                arrays = entry._replay(tensors)
                if arrays is not None:
                    self.replays += 1
                    self._since_check += 1
                    self._last = entry
                    if self._changes:
                        self._changes.pop(key, None)
                    return _wrap(entry, arrays)
            return self._miss(key, entry, args, kwargs, tensors)

    def _may_replay(self, tape: Tape, tensors: list[Tensor]) -> bool:
        """No check against an eager run is due, and the inputs whose values Python read hold
        the same values."""
        due = self.check_every and self._since_check + 1 >= self.check_every
        return not due and (not tape.read_inputs or tape.fits(tensors))

    def _miss(self, key: tuple, entry: Tape | str | None, args: tuple, kwargs: dict[str, Any],
              tensors: list[Tensor]) -> Any:
        """No replay: run eagerly, check against an eager run, or record (again)."""
        if isinstance(entry, str):
            return self._eager(args, kwargs)
        if isinstance(entry, Tape) and self.check_every and self._since_check + 1 >= self.check_every \
                and entry.fits(tensors):
            return self._check(key, entry, args, kwargs, tensors)
        if entry is not None:
            self._changes[key] = self._changes.get(key, 0) + 1
            if self._changes[key] >= MAX_CHANGES:
                return self._refuse(key, "what it computes keeps changing from call to call (its Python code "
                                         "branches on values, or reads state that changes)", args, kwargs)
        elif sum(isinstance(e, Tape) for e in self._entries.values()) >= self.max_tapes:
            return self._refuse(key, f"it was called with more than {self.max_tapes} different signatures "
                                     f"(shapes, dtypes, flags)", args, kwargs)
        return self._record(key, args, kwargs, tensors)

    # ---- the signature ---------------------------------------------------------------------------
    def _key(self, args: tuple, kwargs: dict[str, Any], tensors: list[Tensor]) -> tuple:
        """The call's signature (see the module's docstring), or ("eager", why)."""
        state = _state
        if state.anomaly:
            return ("eager", "detect_anomaly is on")
        parts: list[Any] = [state.grad_enabled, tuple(sorted(kwargs))] if kwargs else [state.grad_enabled]
        for name, a in [*enumerate(args), *sorted(kwargs.items())] if kwargs else enumerate(args):
            if isinstance(a, Tensor):
                data = a.data
                parts.append((data.shape, data.dtype, a.requires_grad, a._op is None))
            else:
                part = _static(name, a)
                if part[0] == "eager":
                    return part
                parts.append(part)
        if len(tensors) > 1 and len({id(t) for t in tensors}) < len(tensors):  # the same tensor twice
            first: dict[int, int] = {}
            parts.append(tuple(first.setdefault(id(t), i) for i, t in enumerate(tensors)))
        return tuple(parts)

    # ---- recording ---------------------------------------------------------------------------------
    def _record(self, key: tuple, args: tuple, kwargs: dict[str, Any], tensors: list[Tensor]) -> Any:
        if key[0] == "eager":
            return self._refuse(key, key[1], args, kwargs)
        try:
            recording = record(self.fn, args, kwargs, KERNEL_UNITS)
        except Unsupported as why:  # nothing has run yet
            return self._refuse(key, str(why), args, kwargs)
        self.recordings += 1
        outputs = _outputs(recording.result)
        order = None
        if outputs[0].requires_grad:
            order = _visits(outputs[0])
            outputs[0].backward()
        try:
            tape = build(recording, self._names(args, kwargs, tensors), outputs, 0, order)
        except Unsupported as why:
            self._refuse(key, str(why), None, None)
        else:
            tape.returns = None if isinstance(recording.result, Tensor) else type(recording.result)
            tape.read_inputs = tuple((i, np.array(t.data, copy=True)) for i, t in enumerate(tensors)
                                     if id(t) in recording.read_inputs)
            self._entries[key] = self._last = tape
        return _detached(recording.result)

    def _names(self, args: tuple, kwargs: dict[str, Any], tensors: list[Tensor]) -> list[tuple[Tensor, str]]:
        """Each tensor argument with the name of its parameter (for the Wengert list)."""
        try:
            bound = inspect.signature(self.fn).bind(*args, **kwargs).arguments
        except (TypeError, ValueError):
            bound = {}
        names = {id(v): k for k, v in bound.items() if isinstance(v, Tensor)}
        return [(t, names.get(id(t), f"x{i}")) for i, t in enumerate(tensors)]

    def _refuse(self, key: tuple, why: str, args: tuple | None, kwargs: dict | None) -> Any:
        warn_once(f"compile: {self.__name__} runs eagerly: {why}", CompileWarning)
        self._entries[key] = why
        return None if args is None else self._eager(args, kwargs)

    def _eager(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        result = self.fn(*args, **kwargs)
        loss = _outputs(result)[0]
        if loss.requires_grad:
            loss.backward()
        return _detached(result)

    # ---- checking a replay against an eager run ---------------------------------------------------
    def _check(self, key: tuple, tape: Tape, args: tuple, kwargs: dict[str, Any], tensors: list[Tensor]) -> Any:
        """Replay without storing, then run eagerly (recording again) and compare the results
        and the gradients; a difference leaves the step eager, with a warning."""
        self._since_check = 0
        replayed = tape.run(tensors)
        if replayed is None:
            return self._record(key, args, kwargs, tensors)
        leaves = [leaf for leaf, _ in tape.leaf_gradients(tensors)]
        expected = [np.array(g, copy=True) for _, g in tape.leaf_gradients(tensors)]
        stash = [leaf._grad for leaf in leaves]
        for leaf in leaves:
            leaf._grad = None
        result = self._record(key, args, kwargs, tensors)
        eager = [leaf._grad for leaf in leaves]
        for leaf, kept, g in zip(leaves, stash, eager, strict=True):
            leaf._grad = kept
            if g is not None:
                add_gradient(leaf, g)
        differs = _differs(replayed, [t.data for t in _outputs(result)]) or _differs(expected, eager)
        if differs:
            self._refuse(key, f"a replay differs from an eager run ({differs}): the step reads state the tape "
                              f"cannot see", None, None)
        return result


def _same_call(args: tuple, last: tuple) -> bool:
    """This call passes the very same objects as the last one (each tensor with the same array
    and flag) in the same grad mode: its signature is the last one's, no need to work it out."""
    _, grad_enabled, objects, tensors, arrays, flags = last
    state = _state
    if state.grad_enabled is not grad_enabled or state.anomaly or len(args) != len(objects):
        return False
    for a, b in zip(args, objects, strict=True):  # (plain loops: the cheapest way for a few arguments)
        if a is not b:
            return False
    for t, array, flag in zip(tensors, arrays, flags, strict=True):
        if t.data is not array or t.requires_grad is not flag:
            return False
    return True


def _static(name: Any, value: Any) -> tuple:
    """The signature's part for an argument that is not a Tensor: its value (hashable), or
    ("eager", why) for one the tape cannot take."""
    if isinstance(value, np.ndarray):
        return ("eager", "an argument is a numpy array (pass it as a Tensor: the tape would bake a numpy "
                         "argument's values in)")
    try:
        hash(value)
    except TypeError:
        return ("eager", f"an argument of type {type(value).__name__} is neither a Tensor nor hashable")
    return (name, "static", type(value), value)


def _differs(a: list[np.ndarray | None], b: list[np.ndarray | None]) -> str:
    for x, y in zip(a, b, strict=True):
        if x is None or y is None or np.shape(x) != np.shape(y):
            return "a gradient is missing" if (x is None) != (y is None) else "shapes differ"
        tolerance = 1e-9 if np.asarray(y).dtype == np.float64 else 1e-4
        scale = float(np.max(np.abs(y))) if np.size(y) else 0.0
        if not np.allclose(x, y, rtol=tolerance, atol=tolerance * scale, equal_nan=True):
            return f"largest difference {float(np.max(np.abs(np.asarray(x) - y))):.3g}"
    return ""


def _wrap(tape: Tape, arrays: list[np.ndarray]) -> Any:
    """The replay's results as the step returned them: a tensor, or a tuple or list of them."""
    if tape.returns is None:
        return constant(arrays[0])
    return tape.returns(constant(a) for a in arrays)


def _outputs(result: Any) -> list[Tensor]:
    """The step's results as a list, the loss first."""
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"compile: the step must return its loss (a Tensor), or a tuple or list of tensors whose "
                        f"first is the loss; got {type(result).__name__}")
    return items


def _detached(result: Any) -> Any:
    """The results outside any graph (the step ran its backward pass already)."""
    if isinstance(result, Tensor):
        return result.detach()
    return type(result)(t.detach() for t in result)


def _visits(loss: Tensor) -> list[tuple[Tensor, np.ndarray]]:
    """The nodes the eager backward pass visits from ``loss``, in its order, with their gradients."""
    order: list[tuple[Tensor, np.ndarray]] = []
    walk([(loss, seed(loss, None))], lambda node, g, handed: order.append((node, g)))
    return order


def compile(fn: Callable[..., Any] | None = None, *, check_every: int = 0,  # noqa: A001  (torch.compile's name)
            max_tapes: int = 8) -> Any:
    """Record ``fn`` on its first call and replay it afterwards as a flat tape of numpy calls.

    ``fn`` takes tensors (and other hashable arguments) and returns its loss (a Tensor with one
    element), or a tuple or list of tensors whose first is the loss. A call of the compiled step
    runs the forward pass, the loss and the backward pass, and adds each leaf's gradient to its
    ``.grad`` exactly as ``loss.backward()`` does; it returns the results outside any graph. Use
    it as ``step = autograd.compile(fn)`` or as a decorator (``@autograd.compile`` or
    ``@autograd.compile(check_every=100)``). See ``autograd.compile.step`` for what is checked
    before a replay and ``autograd.compile.record`` for what the recording can and cannot see."""
    if fn is None:
        return lambda f: CompiledStep(f, check_every, max_tapes)
    return CompiledStep(fn, check_every, max_tapes)
