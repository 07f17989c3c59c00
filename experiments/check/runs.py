"""The student's network run twice from the same weights:

* on Tensors (``engine_run``): the weights become Tensors that require grad, the student's
  forward pass and loss run on them unchanged (numpy's functions dispatch to the engine,
  ``autograd.numpy_api``), and the graph they leave is the reference;
* on arrays (``student_run``): forward, loss and the student's own backward, as their training
  loop would call them; every float array the backward leaves behind (its local variables,
  the attributes it sets, what it returns) is a candidate gradient, found later by its name.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.numpy_api import keep_graph
from experiments.check.student import (
    INPUT_NAMES,
    PREDICTION_NAMES,
    RATE_NAMES,
    TARGET_NAMES,
    UPSTREAM_NAMES,
    Network,
    ProtocolError,
    bind,
    call,
    parameters,
    running,
)
from experiments.check.trees import Slot, is_numbers, slots

DEFAULT_RATE = 0.1  # passed to a backward that takes a learning rate without a default


@dataclass
class Start:
    """The network before either run: an instance (class form) or the module's names that
    forward and backward use (function form), and the data."""

    network: Network
    state: Any  # the instance, or a dict of names
    x: np.ndarray
    y: np.ndarray

    def fresh(self) -> Any:
        return copy.deepcopy(self.state)

    def weights(self, state: Any) -> list[Slot]:
        found = slots(state, self.network.module.__name__, namespace=self.network.kind == "functions")
        return [s for s in found if isinstance(s.value, np.ndarray) and s.value.ndim >= 1 and s.put is not None]


@dataclass
class EngineRun:
    """The graph of the student's forward pass and loss, run on Tensors."""

    loss: Tensor
    prediction: Tensor
    weights: dict[str, Tensor]
    names: list[Slot]  # every Tensor the student named (attributes, locals), by path
    loss_source: str


@dataclass
class StudentRun:
    """What the student's backward left: candidate gradients by path, and the weights before
    and after it (a backward that updates them in place shows it here)."""

    candidates: list[tuple[str, Slot]] = field(default_factory=list)  # (where it was found, slot)
    before: dict[str, np.ndarray] = field(default_factory=dict)
    after: dict[str, np.ndarray] = field(default_factory=dict)
    rate: float | None = None


# ---- the start -----------------------------------------------------------------------------------
def start(network: Network, x: np.ndarray, y: np.ndarray, init: dict[str, Any], seed: int) -> Start:
    """Build the network once (seeding numpy's global generator, which many lab solutions use)."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        if network.kind == "class":
            with running(network.path, f"{network.cls.__name__}()"):
                state = _construct(network, init)
        else:
            state = _namespace(network)
    finally:
        np.random.set_state(saved)
    s = Start(network, state, x, y)
    if not s.weights(state):
        where = f"{network.cls.__name__}()" if network.cls is not None else "the file's module-level names"
        raise ProtocolError(f"{network.path.name}: found no weights: {where} holds no float numpy array (the "
                            f"checker looks for arrays such as self.W1, or W1 at module level for functions)")
    return s


def _construct(network: Network, init: dict[str, Any]) -> Any:
    cls = network.cls
    required = [p.name for p in parameters(cls) if p.default is inspect.Parameter.empty and p.name not in init]
    if required:
        raise ProtocolError(f"{network.path.name}: {cls.__name__}() needs {', '.join(required)}; give them default "
                            f"values, or pass them with --init NAME=VALUE")
    return cls(**init)


def _namespace(network: Network) -> dict[str, Any]:
    """The module-level names forward and backward use (as parameters or globals) that hold arrays."""
    used: set[str] = set()
    for fn in (network.forward, network.backward):
        used |= set(fn.__code__.co_names) | {p.name for p in parameters(fn)}
    module = vars(network.module)
    return {name: module[name] for name in sorted(used) if name in module and name not in INPUT_NAMES
            and name not in TARGET_NAMES and _holds_numbers(module[name])}


def _holds_numbers(value: Any) -> bool:
    if isinstance(value, dict):
        return any(is_numbers(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_numbers(v) for v in value)
    return is_numbers(value)


# ---- calling forward ----------------------------------------------------------------------------------
def _forward(s: Start, state: Any) -> tuple[Any, dict[str, Any]]:
    network = s.network
    explain = (f"it passes the input as {INPUT_NAMES[0]} (or {', '.join(INPUT_NAMES[1:4])}), the target as y (or "
               f"{', '.join(TARGET_NAMES[1:5])}) and weights by their names")
    if network.kind == "class":
        fn = state.forward
        params = parameters(fn)
        offer = {name: s.y for name in TARGET_NAMES} | ({params[0].name: s.x} if params else {})
        return call(fn, bind(fn, offer, "forward", network.path, explain), network.path, "forward")
    offer = dict(state) | {name: s.x for name in INPUT_NAMES} | {name: s.y for name in TARGET_NAMES}
    return call(network.forward, bind(network.forward, offer, "forward", network.path, explain), network.path,
                "forward")


class module_names:  # noqa: N801  (a with block)
    """For the function form: the module's names set to ``state``'s values while the student's
    functions run (forward, loss and backward in one block, as a script would run them), and
    put back after. What the functions rebound or created (``global h``) is kept in ``state``."""

    def __init__(self, network: Network, state: Any) -> None:
        self.module = vars(network.module) if network.kind == "functions" else None
        self.state = state

    def __enter__(self) -> None:
        if self.module is not None:
            self.saved = dict(self.module)
            self.module.update(self.state)

    def __exit__(self, *exc: object) -> None:
        if self.module is None:
            return
        for name, value in list(self.module.items()):
            if name in self.state or (name not in self.saved and _holds_numbers(value)):
                self.state[name] = value  # rebound (W1 = W1 - lr * dW1) or made (global h)
        self.module.clear()
        self.module.update(self.saved)


def prediction_of(result: Any, local: dict[str, Any], state: Any, path_name: str) -> tuple[Any, Any]:
    """The prediction forward returned, and the rest (its "cache"): the result itself, or in a
    returned tuple the element with a prediction's name (else the last); a forward that returns
    nothing must keep it as an attribute with a prediction's name."""
    kind = Tensor if any(isinstance(v, Tensor) for v in _flat(result)) else np.ndarray
    if isinstance(result, (Tensor, np.ndarray)):
        return result, None
    if isinstance(result, (tuple, list)) and result:
        named = {id(v): k for k, v in local.items()}
        parts = list(result)
        pick = next((i for i, v in enumerate(parts) if named.get(id(v)) in (*PREDICTION_NAMES, "y")), len(parts) - 1)
        rest = parts[:pick] + parts[pick + 1:]
        return parts[pick], rest[0] if len(rest) == 1 else tuple(rest)
    if result is None and state is not None and not isinstance(state, dict):
        for name in (*PREDICTION_NAMES, "y"):
            if isinstance(getattr(state, name, None), kind):
                return getattr(state, name), None
    raise ProtocolError(f"{path_name}: forward returned {type(result).__name__}; it must return the prediction "
                        f"(or a tuple holding it), or keep it as self.y_pred / self.output")


def _flat(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


# ---- the loss -------------------------------------------------------------------------------------
def _loss(s: Start, state: Any, prediction: Any) -> tuple[Any, str]:
    """The file's loss on the prediction, or the mean squared error (the lab's) when it has none."""
    network = s.network
    fn = network.loss
    if fn is None:
        y = s.y.reshape(prediction.shape) if s.y.size == int(np.prod(prediction.shape)) else s.y
        return np.mean((prediction - y) ** 2), "the mean squared error, mean((ŷ − y)²) (your file defines no loss)"
    method = network.loss_is_method
    where = f"{network.cls.__name__}.{fn.__name__}" if method else f"{fn.__name__} in {network.path.name}"
    bound = getattr(state, fn.__name__) if method else fn
    params = parameters(bound)
    offer = {n: prediction for n in PREDICTION_NAMES} | {n: s.y for n in TARGET_NAMES}
    used = [offer[p.name] for p in params if p.name in offer]
    left = [v for v in (prediction, s.y) if not any(v is u for u in used)]
    unnamed = [p for p in params if p.name not in offer and p.default is inspect.Parameter.empty]
    for p, value in zip(unnamed, left, strict=False):
        offer[p.name] = value  # by position: (prediction, target)
    args = bind(bound, offer, fn.__name__, network.path,
                f"it passes the prediction (as {', '.join(PREDICTION_NAMES[:4])}...) and the target (as "
                f"{', '.join(TARGET_NAMES[:4])}...), by name or else in that order")
    value, _ = call(bound, args, network.path, fn.__name__)
    return value, f"yours, {where}"


# ---- the two runs -----------------------------------------------------------------------------------
def engine_run(s: Start) -> EngineRun:
    """Forward and loss on Tensors: the weights require grad, and the graph is the reference."""
    state = s.fresh()
    weights: dict[str, Tensor] = {}
    for slot in s.weights(state):
        t = Tensor(slot.value, requires_grad=True, name=slot.path)
        slot.put(t)
        weights[slot.path] = t
    with keep_graph(), module_names(s.network, state):
        result, local = _forward(s, state)
        prediction, _ = prediction_of(result, local, state, s.network.path.name)
        loss, source = _loss(s, state, prediction)
    name = s.network.path.name
    if not isinstance(prediction, Tensor) or not prediction.requires_grad:
        raise ProtocolError(f"{name}: run on Tensors, forward gave a prediction that does not depend on the weights "
                            f"({', '.join(weights)}): something turned them into plain numbers")
    if not isinstance(loss, Tensor) or not loss.requires_grad or loss.size != 1:
        what = type(loss).__name__ if not isinstance(loss, Tensor) else f"a Tensor of shape {loss.shape}"
        raise ProtocolError(f"{name}: the loss must be one number computed from the prediction with numpy "
                            f"(np.mean(...)); run on Tensors it gave {what} (float(), .item() and math.* cut "
                            f"the graph)")
    module = s.network.module.__name__
    names = [sl for sl in slots(state, module, namespace=isinstance(state, dict)) if isinstance(sl.value, Tensor)]
    names += [sl for sl in slots(_without_self(local), module, namespace=True) if isinstance(sl.value, Tensor)]
    return EngineRun(loss if loss.shape == () else loss.reshape(()), prediction, weights, names, source)


def _without_self(local: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in local.items() if k != "self"}


def student_run(s: Start, upstream: np.ndarray) -> StudentRun:
    """Forward, loss and the student's backward on arrays; ``upstream`` is the engine's dL/dŷ,
    passed to a backward that asks for it (dy, grad, ...)."""
    network, state = s.network, s.fresh()
    run = StudentRun()
    with module_names(network, state):
        result, local = _forward(s, state)
        prediction, cache = prediction_of(result, local, state, network.path.name)
        if network.loss is not None:
            _loss(s, state, prediction)  # as the training loop would: the loss may keep what backward needs
        weights = s.weights(state)
        run.before = {w.path: np.array(w.value, copy=True) for w in weights}
        offer = _backward_offer(s, state, local, prediction, cache, upstream, run)
        fn = state.backward if network.kind == "class" else network.backward
        explain = (f"it passes the target as y ({', '.join(TARGET_NAMES[1:6])}), the prediction as y_pred, dL/dŷ "
                   f"as dy (or grad, dout), the learning rate as lr" +
                   (", and forward's parameters and local variables by their names" if network.kind == "functions"
                    else ""))
        args = bind(fn, offer, "backward", network.path, explain)
        rates = [args[n] for n in RATE_NAMES if n in args]
        rates += [value for n in RATE_NAMES if isinstance(value := _value_of(s, state, n), (int, float))]
        run.rate = float(rates[0]) if rates else None
        returned, back_locals = call(fn, args, network.path, "backward")
    _collect(s, state, returned, back_locals, run)
    return run


def _value_of(s: Start, state: Any, name: str) -> Any:
    """An attribute of the instance, or a module-level name for the function form."""
    if s.network.kind == "functions":
        return state.get(name, vars(s.network.module).get(name))
    return getattr(state, name, None)


def _backward_offer(s: Start, state: Any, local: dict[str, Any], prediction: Any, cache: Any, upstream: np.ndarray,
                    run: StudentRun) -> dict[str, Any]:
    offer: dict[str, Any] = {n: s.x for n in INPUT_NAMES} | {n: s.y for n in TARGET_NAMES}
    offer |= {n: prediction for n in PREDICTION_NAMES} | {n: upstream for n in UPSTREAM_NAMES}
    offer |= {n: DEFAULT_RATE for n in RATE_NAMES}
    if s.network.kind == "functions":  # forward's names win: its y may be the prediction (the lab's y = σ(...))
        offer |= dict(state) | _without_self(local)
        if cache is not None:
            offer["cache"] = cache
    for p in parameters(state.backward if s.network.kind == "class" else s.network.backward):
        if p.name in RATE_NAMES and p.default is not inspect.Parameter.empty:
            offer[p.name] = p.default
    return offer


def _collect(s: Start, state: Any, returned: Any, back_locals: dict[str, Any], run: StudentRun) -> None:
    module = s.network.module.__name__
    is_names = isinstance(state, dict)
    after = {w.path: w for w in slots(state, module, namespace=is_names)}
    run.after = {path: np.asarray(after[path].value) for path in run.before if path in after}
    weight_paths = set(run.before)
    prefix = "" if is_names else "self."
    found = [("attribute", Slot(prefix + sl.path, sl.container, sl.leaf, sl.value, None)) for sl in after.values()
             if sl.path not in weight_paths]
    if isinstance(returned, dict):
        found += [("returned", sl) for sl in slots({"backward()": returned}, module, namespace=True)]
    elif isinstance(returned, (tuple, list)):
        named = {id(v): k for k, v in back_locals.items()}
        for i, v in enumerate(returned):
            if is_numbers(v):
                leaf = named.get(id(v), f"backward()[{i}]")
                found.append(("returned", Slot(leaf, "", leaf, v, None)))
    elif is_numbers(returned):
        found.append(("returned", Slot("backward()", "", "backward()", returned, None)))
    found += [("local", sl) for sl in slots(_without_self(back_locals), module, namespace=True)]
    run.candidates = [(origin, sl) for origin, sl in found if isinstance(sl.value, np.ndarray)]
