"""The student's gradients against the engine's, tensor by tensor, from the loss backwards.

A gradient is found by its name: ``dW1``, ``d_W1``, ``grad_W1``, ``dL_dW1``, ``delta_W1``,
``W1_grad`` are dL/dW1, for the tensor the forward pass called ``W1`` (an attribute, a local
variable, an entry of a dict); inside a container named like gradients (``grads["W1"]``, a
dict backward returns) the bare name works too; names compare case-insensitively when that is
unambiguous. A gradient named after nothing in the forward pass (``delta3``) is compared by
value with the unnamed intermediates; a weight whose gradient is nowhere but whose value
backward changed is compared through its update, (W before − W after) / lr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from autograd import Tensor
from autograd.backward import walk
from autograd.teach.graph import all_nodes
from experiments.check.runs import EngineRun, StudentRun
from experiments.check.student import PREDICTION_NAMES
from experiments.check.trees import Slot

GRADIENT = re.compile(r"^(?:dL_?d|dl_?d|dloss_?d|dE_?d|grad_?|gradient_?|delta_?|d_?)(?P<name>.+)$")
GRADIENT_AFTER = re.compile(r"^(?P<name>.+?)_?(?:grad|gradient|delta)$")
CONTAINERS = re.compile(r"(?:^|[.\]])(?:d?grads?|gradients|d_?params|derivatives|backward\(\))(?:$|\[)")
# a name that looks like a gradient, reported when it names nothing (not data, dim, done...)
LOOKS_LIKE = re.compile(r"^(?:d_?[A-Z]\w*|d_?[a-z]{1,2}\d*|d_?[a-z]+\d+|d_?(?:out|pred|loss|output|y_pred)|delta\w*"
                        r"|grad\w*|dL_?d\w*|\w+_grad(?:ient)?)$")
ORIGINS = ("attribute", "returned", "local", "update")  # where a gradient was found, most trusted first


@dataclass(eq=False)
class Comparison:
    """One tensor's gradient: the engine's and the student's, and whether they agree."""

    node: Tensor
    name: str          # the tensor, as the student named it (W1, z2, layers[0].W)
    yours_name: str    # where the student's gradient was found (dW1, grads["W1"], the update of W1)
    yours: np.ndarray
    engine: np.ndarray
    order: float       # position in the backward walk from the loss
    agrees: bool
    note: str = ""


@dataclass
class Comparisons:
    items: list[Comparison]
    unmatched: list[str]     # gradient-like names that name nothing in the forward pass
    missing: list[str]       # weights with no gradient found
    grads: dict[int, np.ndarray]
    order: dict[int, float]

    @property
    def first(self) -> Comparison | None:
        return next((c for c in self.items if not c.agrees), None)


def close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes and equal numbers up to rounding, relative to the size of b's entries."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.all(np.isfinite(a)):
        return False
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-12)
    return bool(np.all(np.abs(a - b) <= 1e-6 * scale + 1e-5 * np.abs(b)))


def describe(t: Tensor, depth: int = 1) -> str:
    """A tensor as the student named it, a small constant by its value, or the op that made it
    in parentheses (``(a1 @ W2)``, one op deep)."""
    if t.name:
        return t.name
    if t.op is None:
        return f"{t.data.item():g}" if t.size == 1 else "a constant"
    if depth == 0:
        return "(…)"
    return f"({t.op.formula(*[describe(p, depth - 1) for p in t.parents])})"


def gradient_names(leaf: str) -> list[str]:
    """The tensor names a gradient called ``leaf`` may belong to (``dW1`` → W1, ``W1_grad`` → W1)."""
    found = [m.group("name") for m in (GRADIENT.match(leaf), GRADIENT_AFTER.match(leaf)) if m]
    if leaf.startswith("d_"):  # d_W1: also W1 through "d" then "_W1"
        found.append(leaf[2:])
    return found


def engine_gradients(loss: Tensor) -> tuple[dict[int, np.ndarray], dict[int, float]]:
    """dL/dt for every tensor t of the graph, and the order in which backward finds them: an
    intermediate when the walk reaches it, a leaf (a weight) just after the first op that hands
    it a gradient, so that dW3 comes right after the layer it belongs to."""
    grads: dict[int, np.ndarray] = {}
    order: dict[int, float] = {}

    def visit(node: Tensor, g: np.ndarray, handed: list) -> None:
        grads[id(node)] = np.array(g, copy=True)
        order.setdefault(id(node), float(len(grads)))
        for parent, _, _ in handed:
            if parent.is_leaf:
                order.setdefault(id(parent), len(grads) + 0.5)

    walk([(loss, np.ones(loss.shape, loss.dtype))], visit)
    return grads, order


def name_graph(run: EngineRun) -> dict[int, list[Slot]]:
    """The student's names for the graph's tensors (weights, attributes, then local variables),
    written into each tensor's ``name`` for the pictures; the loss is L."""
    named: dict[int, list[Slot]] = {}
    for slot in run.names:
        named.setdefault(id(slot.value), []).append(slot)
    for slots_ in named.values():
        slots_[0].value.name = slots_[0].path
    if run.prediction.name is None:
        run.prediction.name = "y_pred"
    run.loss.name = run.loss.name or "L"
    return named


def name_data(loss: Tensor, prediction: Tensor, x: np.ndarray, y: np.ndarray) -> None:
    """Name the constants that hold the data: x, and the target y (y_true when the student's
    prediction is itself called y, as in the lab's y = σ(Z2·W3)), or -y (what ŷ - y subtracts:
    a constant's negation is computed at once, outside the graph)."""
    target = "y_true" if prediction.name == "y" else "y"
    for t in all_nodes(loss):
        if t.is_leaf and not t.requires_grad and t.name is None and t.size > 1:
            for value, label in ((x, "x"), (y, target), (-y, f"-{target}")):
                if t.shape == value.shape and np.array_equal(t.data, value):
                    t.name = label


def compare(run: EngineRun, student: StudentRun, grads: dict[int, np.ndarray],
            order: dict[int, float], named: dict[int, list[Slot]]) -> Comparisons:
    """Match each gradient the student computed to its tensor (``named``: the student's names,
    from ``name_graph``) and compare it with the engine's (``grads`` and ``order`` from
    ``engine_gradients``), in the order the backward pass reaches the tensors from the loss."""
    nodes = {i: slots_[0].value for i, slots_ in named.items() if i in grads}
    index = {(sl.container, sl.leaf): sl.value for slots_ in named.values() for sl in slots_ if id(sl.value) in grads}
    for alias in PREDICTION_NAMES:  # backward's name for the prediction: dout is dL/d(out)
        index.setdefault(("", alias), run.prediction)
    found: dict[int, tuple[str, Slot]] = {}
    unmatched: list[str] = []
    for origin, slot in sorted(student.candidates, key=lambda c: ORIGINS.index(c[0])):
        node = _target(slot, index)
        if node is None:
            if LOOKS_LIKE.match(slot.leaf):
                unmatched.append(slot.path)
            continue
        found.setdefault(id(node), (origin, slot))
    _by_value(unmatched, student, grads, nodes, found, order)
    missing = _from_updates(run, student, found)
    graph = {id(t): t for t in all_nodes(run.loss)}
    items = [_compare_one(graph[i], origin, slot, grads[i], order[i]) for i, (origin, slot) in found.items()]
    items.sort(key=lambda c: c.order)
    return Comparisons(items, [u for u in dict.fromkeys(unmatched)], missing, grads, order)


def _target(slot: Slot, index: dict[tuple[str, str], Tensor]) -> Tensor | None:
    """The tensor a gradient called ``slot`` belongs to: by name in its own container first
    (``layers[0].dW`` → ``layers[0].W``), then anywhere when only one tensor has the name;
    exact names first, then ignoring case."""
    options = gradient_names(slot.leaf)
    if CONTAINERS.search(slot.container):
        options = [slot.leaf, *options]
    for fold in (str, str.lower):
        for leaf in options:
            same = [t for (container, name), t in index.items()
                    if container == slot.container and fold(name) == fold(leaf)]
            if same:
                return same[0]
            anywhere = {id(t): t for (_, name), t in index.items() if fold(name) == fold(leaf)}
            if len(anywhere) == 1:
                return next(iter(anywhere.values()))
    return None


def _by_value(unmatched: list[str], student: StudentRun, grads: dict[int, np.ndarray], nodes: dict[int, Tensor],
              found: dict[int, tuple[str, Slot]], order: dict[int, float]) -> None:
    """Unnamed intermediates (the lab's deltas) matched to a gradient-like array by its numbers."""
    free = sorted((i for i in grads if i not in nodes and i not in found), key=order.get)
    for origin, slot in student.candidates:
        if slot.path not in unmatched:
            continue
        hit = next((i for i in free if close(slot.value, grads[i])), None)
        if hit is not None:
            found[hit] = (origin, Slot(slot.path, slot.container, slot.leaf, slot.value, None))
            free.remove(hit)
            unmatched.remove(slot.path)


def _from_updates(run: EngineRun, student: StudentRun, found: dict[int, tuple[str, Slot]]) -> list[str]:
    """A weight with no named gradient, changed by backward: its gradient from the update."""
    missing = []
    for path, t in run.weights.items():
        if id(t) in found:
            continue
        before, after = student.before.get(path), student.after.get(path)
        if student.rate and before is not None and after is not None and before.shape == after.shape \
                and not np.array_equal(before, after):
            step = (before - after) / student.rate
            found[id(t)] = ("update", Slot(f"({path} before − after) / lr", "", path, step, None))
        else:
            missing.append(path)
    return missing


def _compare_one(node: Tensor, origin: str, slot: Slot, engine: np.ndarray, order: float) -> Comparison:
    yours = np.asarray(slot.value, dtype=np.float64)
    note = ""
    if yours.shape != engine.shape and yours.size == engine.size and \
            np.squeeze(yours).shape == np.squeeze(engine).shape and yours.ndim != 0:
        note = f"compared as {engine.shape} (yours is {yours.shape})"
        yours = yours.reshape(engine.shape)
    return Comparison(node, describe(node), slot.path, yours, engine, order, close(yours, engine), note)
