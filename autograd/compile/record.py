"""Recording a step: run it once, eagerly, and note what it does.

``record(fn, args, kwargs)`` calls ``fn`` as usual while a profile hook (``sys.setprofile``, for
this thread and this one call only) watches which of the engine's functions run. The engine
itself is not changed and pays nothing when no step is being recorded.

* ``Function.apply``: a primitive op, its inputs and its result; one node each.
* A composed op (``relu``, ``mse_loss``, ``conv2d``...): its primitives are recorded one by one,
  unless it reads the values of its inputs (relu's mask ``x.data > 0``, log_softmax's maximum,
  max pooling's argmax) or has a kernel of its own: then the whole op is one node (a *unit*).
  The replay recomputes a unit's mask or maximum from the new values, with its kernel or, for a
  unit without one, by running the op eagerly (an *eager island*).
* Comparisons (``x > 0``), ``~mask``, ``t.detach()`` and ``Tensor(t)``: nodes too (no gradient).
* Tensors made during the call: from a Python number (``x * 2.0``: a literal, baked into the
  tape), from an array (``Tensor(y)``: baked too, as ``jax.jit`` bakes the numpy arrays a function
  reads), or with ``requires_grad=True`` (refused: each call would make a new leaf).
* Reads of values by the Python code around the ops: ``bool(t)``, ``t.item()``, ``float(t)``
  become guards that the replay checks (the branch taken must be taken again); ``t.numpy()``,
  ``np.asarray(t)`` and ``t.data`` are noticed on the step's inputs, on every tensor an op makes
  during the call and on every parameter from its first use in an op on (while recording they
  get a class whose ``data`` is a property): on an input, its values become part of the guard;
  on any other tensor, nothing can check what Python did with them, so the step is refused (it
  runs eagerly).
* ``backward()``, ``autograd.grad``, ``retain_grad()``, in-place changes, setting ``.grad``:
  refused inside a step (the compiled step runs the backward pass itself).

What the hook cannot see: Python state the function reads (globals, attributes of modules,
closures, numbers passed in), and ``.data`` of a tensor made before the call (a parameter, a
captured constant) read before that tensor's first use in an op. Their values at recording are
what the tape replays.
"""

from __future__ import annotations

import inspect
import sys
import threading
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from autograd import gradients as _gradients
from autograd import tensor as _tensor
from autograd.function import OPS, Function
from autograd.tensor import Tensor, is_number

_DATA = Tensor.__dict__["data"]  # the slot that holds a tensor's array
_current = threading.local()  # .recorder: the Recorder of this thread's step being recorded, if any


class Unsupported(Exception):  # noqa: N818  (a reason, not a failure)
    """The step cannot be replayed faithfully; the message says why (it runs eagerly)."""


@dataclass(eq=False)
class Node:
    """One operation of the recorded step."""

    kind: str  # "op" (a primitive), "unit" (a composed op as one node), "compare", "invert", "copy", "alias"
    op: Any  # the Function; the composed op's function; the comparison's ufunc
    inputs: tuple[Tensor, ...]
    out: Tensor
    settings: dict[str, Any] = field(default_factory=dict)  # a unit's other arguments
    names: tuple[str, ...] = ()  # a unit's tensor arguments' names, in the order of ``inputs``
    reads_values: bool = False  # a unit that reads its inputs' values (a kernel or an island recomputes them)


@dataclass(eq=False)
class ValueRead:
    """``bool(t)``, ``t.item()`` or ``float(t)`` by the step's Python code: a guard."""

    tensor: Tensor
    kind: str
    value: Any
    where: str


@dataclass(eq=False)
class Recording:
    result: Any  # what the function returned
    nodes: list[Node]
    literals: set[int]  # ids of the tensors made from Python numbers during the call
    baked: set[int]  # ids of the tensors made from arrays during the call
    reads: list[ValueRead]
    read_inputs: set[int]  # ids of the inputs whose values Python code read
    refused: list[str]
    made: list[Tensor]  # every tensor made during the call (kept alive while the tape is built)


@dataclass(eq=False)
class Call:
    """An engine function running, as the recorder sees it."""

    kind: str
    what: str
    frame: FrameType
    start: int  # the number of nodes recorded when it started
    args: dict[str, Any] | None = None
    reads_values: bool = False


def _code(fn: Any) -> CodeType:
    return getattr(fn, "__func__", fn).__code__


def _table() -> dict[CodeType, tuple[str, str]]:
    """The engine functions the recorder watches, by code object: what each one means."""
    t = Tensor
    table = {
        _code(Function.apply): ("apply", ""),
        _code(t.__bool__): ("read", "bool"), _code(t.item): ("read", "item"), _code(t.__float__): ("read", "float"),
        _code(t.numpy): ("read", "numpy()"), _code(t.__array__): ("read", "np.asarray()"),
        _code(t._compare): ("compare", ""), _code(t.__invert__): ("invert", ""), _code(t.detach): ("detach", ""),
        _code(t.__init__): ("init", ""), _code(_tensor.constant): ("constant", ""), _code(t._other): ("other", ""),
        _code(t.backward): ("refuse", "it calls backward() (the compiled step runs the backward pass itself)"),
        _code(_gradients.grad): ("refuse", "it calls autograd.grad"),
        _code(t.retain_grad): ("refuse", "it calls retain_grad() (intermediates are not tensors in a replay)"),
        _code(t._change): ("refuse", "it changes a tensor in place (add_, sub_, mul_, copy_, zero_)"),
        _code(t.grad.fset): ("refuse", "it sets .grad"),
    }
    from autograd.compile.step import CompiledStep

    table[_code(CompiledStep.__call__)] = ("refuse", "it calls a compiled step (whose replay the recording cannot see)")
    for name, fn in OPS.items():
        if inspect.isfunction(fn):
            table[fn.__code__] = ("composed", name)
    return table


# Reading .data inside these only looks at the shape or prints: not a read of values.
_EXEMPT = {_code(Tensor.shape.fget), _code(Tensor.ndim.fget), _code(Tensor.dtype.fget), _code(Tensor.size.fget),
           _code(Tensor.__len__), _code(Tensor.__repr__)}


def _unit_problem(name: str, result: Any, args: dict[str, Any]) -> str:
    """Why a composed op cannot be one node of the tape, or ""."""
    if not isinstance(result, Tensor):
        return f"{name} returned a {type(result).__name__}, not a tensor"
    if any(isinstance(v, (list, tuple)) and any(isinstance(x, Tensor) for x in v) for v in args.values()):
        return f"{name} reads its inputs' values and takes a list of tensors"
    return ""


def _where(frame: FrameType | None) -> str:
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"


class Recorder:
    """Builds a Recording from the profile events of one call (see the module's docstring)."""

    def __init__(self, inputs: list[Tensor], kernel_units: frozenset[str]) -> None:
        self.inputs = {id(t) for t in inputs}
        self.kernel_units = kernel_units
        self.table = _table()
        self.stack: list[Call] = []
        self.nodes: list[Node] = []
        self.literals: set[int] = set()
        self.baked: set[int] = set()
        self.reads: list[ValueRead] = []
        self.read_inputs: set[int] = set()
        self.refused: list[str] = []
        self.made: list[Tensor] = []
        self.watched: list[tuple[Tensor, type]] = []
        self.busy = False
        self.handlers = {"apply": self.applied, "composed": self.close_composed, "read": self.read,
                         "compare": self.special, "invert": self.special, "detach": self.special,
                         "init": self.creation, "constant": self.creation}  # what a returning call means

    # ---- the profile hook ---------------------------------------------------------------------
    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            kind = self.table.get(frame.f_code)
            if kind is not None:
                self.stack.append(Call(kind[0], kind[1], frame, len(self.nodes)))
                self._guarded(self.enter, self.stack[-1])
        elif event == "return" and self.stack and self.stack[-1].frame is frame:
            self._guarded(self.leave, self.stack.pop(), arg)

    def _guarded(self, handler: Any, *args: Any) -> None:
        self.busy = True  # the recorder's own reads of .data are not the step's
        try:
            handler(*args)
        except Exception as err:  # a recorder's mistake must not break the user's step: refuse instead
            self.refused.append(f"the recorder could not follow it ({type(err).__name__}: {err})")
        finally:
            self.busy = False

    def enter(self, call: Call) -> None:
        if call.kind in ("composed", "init"):
            call.args = dict(call.frame.f_locals)
            for name, t in call.args.items():
                if isinstance(t, Tensor) and name != "self":  # (not a tensor being made)
                    self.watch(t)
        elif call.kind == "refuse":
            self.refused.append(call.what)
        elif call.kind == "apply":
            params = call.frame.f_locals.get("params", {})
            held = [v for p in params.values() for v in (p if isinstance(p, (tuple, list)) else (p,))
                    if isinstance(v, Tensor)]
            for t in held:  # an op setting made from a tensor's values (an index tensor)
                self.value_read(t, "is an op's setting", call.frame.f_back, self.stack[-2:-1])

    def leave(self, call: Call, result: Any) -> None:
        handler = self.handlers.get(call.kind)
        if handler is not None:
            handler(call, result)

    def applied(self, call: Call, result: Any) -> None:
        """A primitive ran: one node."""
        if isinstance(result, Tensor):
            f = call.frame.f_locals
            for t in f["inputs"]:  # a parameter is watched from its first use on
                self.watch(t)
            self.add(Node("op", f["op"], tuple(f["inputs"]), result))

    def special(self, call: Call, result: Any) -> None:
        """A comparison, ``~mask`` or ``detach()``: a node at the step's level; inside a
        composed op, a sign that the op reads its inputs' values."""
        if not isinstance(result, Tensor):
            return
        if self.at_user_level():
            self.add_special(call.kind, call.frame.f_locals, result)
        elif (composed := self.enclosing_composed()) is not None:
            composed.reads_values = True  # a mask made inside a composed op: recomputed by its kernel

    def creation(self, call: Call, result: Any) -> None:
        made = call.frame.f_locals["self"] if call.kind == "init" else result
        if isinstance(made, Tensor):
            self.made_tensor(call, made)

    # ---- what the events mean -----------------------------------------------------------------
    def at_user_level(self) -> bool:
        """True when no engine function is running (the step's own Python code is)."""
        return not self.stack

    def innermost_composed(self) -> Call | None:
        return self.stack[-1] if self.stack and self.stack[-1].kind == "composed" else None

    def add(self, node: Node) -> None:
        self.nodes.append(node)
        self.watch(node.out)

    def add_special(self, kind: str, f: dict[str, Any], result: Tensor) -> None:
        me = f["self"]
        if kind == "compare":
            other = f["other"]
            other = other if isinstance(other, Tensor) else me._other(other)  # the same constant _compare made
            if id(other) not in self.inputs and not isinstance(f["other"], Tensor):
                (self.literals if is_number(f["other"]) else self.baked).add(id(other))
                self.made.append(other)
            self.add(Node("compare", f["ufunc"], (me, other), result))
        elif kind == "invert":
            self.add(Node("invert", None, (me,), result))
        else:
            self.add(Node("alias", None, (me,), result))

    def made_tensor(self, call: Call, made: Tensor) -> None:
        """A tensor made during the call, outside any op: a literal, a baked array or a copy."""
        self.made.append(made)
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.kind == "other" and is_number(parent.frame.f_locals.get("value")):
            self.literals.add(id(made))
        elif parent is not None and parent.kind in ("compare", "invert", "detach", "init", "constant"):
            return  # made for (and recorded with) that call
        elif (composed := self.enclosing_composed()) is not None:
            composed.reads_values = True  # a composed op makes a constant: it may come from its inputs' values
        elif made.requires_grad:
            self.refused.append("it makes a tensor that requires grad (a new leaf at every call: its gradient "
                                "could not reach you)")
        elif call.kind == "init" and isinstance(call.args.get("data"), Tensor):
            self.add(Node("copy", None, (call.args["data"],), made))
        else:
            self.baked.add(id(made))

    def enclosing_composed(self) -> Call | None:
        for call in reversed(self.stack):
            if call.kind == "composed":
                return call
            if call.kind == "apply":
                return None
        return None

    def read(self, call: Call, result: Any) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None:
            if parent.kind == "composed":
                parent.reads_values = True
            return  # inside the engine: that function's business (float() calls item(), say)
        t = call.frame.f_locals["self"]
        if call.what in ("bool", "item", "float") and id(t) not in self.inputs:
            self.reads.append(ValueRead(t, call.what, result, _where(call.frame.f_back)))
        else:
            self.value_read(t, f"is read with {call.what}", call.frame.f_back, [])

    def value_read(self, t: Tensor, how: str, frame: FrameType | None, outer: list[Call]) -> None:
        """Python code read the values of ``t`` (``.data``, ``numpy()``, an op's setting)."""
        if outer and outer[0].kind == "composed":
            outer[0].reads_values = True
        elif id(t) in self.inputs:
            self.read_inputs.add(id(t))
        else:
            self.refused.append(f"a tensor computed in the step {how} at {_where(frame)}, and nothing can check "
                                f"what Python does with its values")

    def data_read(self, t: Tensor, frame: FrameType) -> None:
        """``t.data`` was read by the code of ``frame`` (a watched tensor)."""
        if self.busy or frame.f_code in _EXEMPT:
            return
        if self.stack:
            if self.stack[-1].kind == "composed":
                self.stack[-1].reads_values = True
            return
        self.value_read(t, "has its .data read", frame, [])

    def close_composed(self, call: Call, result: Any) -> None:
        """A composed op returned: keep its primitives, or make it one node (a unit)."""
        name = call.what
        if name not in self.kernel_units and not call.reads_values:
            return
        args = call.args or {}
        problem = _unit_problem(name, result, args)
        if problem:
            self.refused.append(problem)
            return
        tensors = {k: v for k, v in args.items() if isinstance(v, Tensor)}
        settings = {k: v for k, v in args.items() if not isinstance(v, Tensor)}
        del self.nodes[call.start:]
        self.add(Node("unit", OPS[name], tuple(tensors.values()), result, settings, tuple(tensors),
                      call.reads_values))

    # ---- watching .data -------------------------------------------------------------------------
    def watch(self, t: Tensor) -> None:
        cls = type(t)
        if not getattr(cls, "_recording_watch", False):
            self.watched.append((t, cls))
            t.__class__ = _watched_class(cls)

    def unwatch(self) -> None:
        for t, cls in reversed(self.watched):
            t.__class__ = cls
        self.watched.clear()

    def recording(self, result: Any) -> Recording:
        return Recording(result, self.nodes, self.literals, self.baked, self.reads, self.read_inputs,
                         self.refused, self.made)


def _read_data(self: Tensor) -> Any:
    recorder = getattr(_current, "recorder", None)
    if recorder is not None:
        recorder.data_read(self, sys._getframe(1))
    return _DATA.__get__(self)


def _write_data(self: Tensor, value: Any) -> None:
    recorder = getattr(_current, "recorder", None)
    if recorder is not None:
        recorder.refused.append(f"it assigns .data of a tensor at {_where(sys._getframe(1))}")
    _DATA.__set__(self, value)


_WATCHED: dict[type, type] = {}


def _watched_class(cls: type) -> type:
    """``cls`` with ``data`` as a property that tells the recorder of each read (the same
    layout, so an object's class can be switched to it and back)."""
    if cls not in _WATCHED:
        _WATCHED[cls] = type(cls.__name__, (cls,), {"__slots__": (), "__module__": cls.__module__,
                                                    "data": property(_read_data, _write_data),
                                                    "_recording_watch": True})
    return _WATCHED[cls]


def record(fn: Any, args: tuple, kwargs: dict[str, Any], kernel_units: frozenset[str]) -> Recording:
    """Call ``fn(*args, **kwargs)`` eagerly and record what it does (see the module's docstring)."""
    if sys.getprofile() is not None:
        raise Unsupported("a profiler is running (sys.getprofile() is set), and recording needs the profile hook")
    recorder = Recorder([a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)], kernel_units)
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            recorder.watch(a)
    _current.recorder = recorder
    sys.setprofile(recorder.profile)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(None)
        _current.recorder = None
        recorder.unwatch()
    return recorder.recording(result)
