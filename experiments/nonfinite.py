"""Where an expression first turns NaN or inf, forward or backward, in one line.

Forward, the step that *produced* a NaN or inf is the first whose value is not finite while
its operands' are. Backward, the graph is walked with the engine's public API only
(``Tensor.op``, ``Tensor.parents``, ``.grad``, ``retain_grad``), without recursion: the
node to blame is the one whose own gradient is finite but which hands an input one that is
not. Each is named by the piece of the expression it computes (``log(x)``, ``x / y``), with
its operands' values and, for the usual suspects, why.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from autograd import Tensor
from experiments.expression import Expression, Step

_VALUE_WHY = {
    "log": "log is defined for x > 0 only",
    "sqrt": "sqrt is defined for x >= 0 only",
    "/": "a division by zero",
}
_SLOPE_WHY = {
    "sqrt": "sqrt's slope 1/(2·sqrt(x)) is infinite at 0",
    "log": "log's slope 1/x is infinite at 0",
    "**": "the slopes of x ** y, y·x**(y-1) and x**y·log(x), are not finite there",
    "/": "the slope of x / y with respect to y, -x/y², is not finite there",
}
_OVERFLOW = "the result is beyond float64's range, about ±1.8e308"


def graph_order(root: Tensor) -> list[Tensor]:
    """Every node of ``root``'s graph once, each after its parents (found without recursion)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents if id(p) not in seen)
    return order


def _finite(a: np.ndarray | None) -> bool:
    return a is None or bool(np.all(np.isfinite(a)))


def first_non_finite_step(steps: list[Step]) -> Step | None:
    """The step that produced a NaN or inf: its value is not finite, its operands' are. (The
    steps, not the graph, because arithmetic on plain numbers records no graph.)"""
    for step in steps:
        operands = [o.data if isinstance(o, Tensor) else np.asarray(o) for o in step.operands]
        if not _finite(step.tensor.data) and all(_finite(o) for o in operands):
            return step
    return None


def first_non_finite_gradient(root: Tensor) -> tuple[Tensor, Tensor] | None:
    """(node, input): backward through ``node``, whose own gradient is finite, hands ``input``
    a NaN or inf; None when every gradient is finite. Runs backward on ``root``'s graph with
    each intermediate's gradient kept, so give it a graph made for the check."""
    order = graph_order(root)
    for node in order:
        if node.op is not None and node.requires_grad:
            node.retain_grad()
    with np.errstate(all="ignore"):
        root.backward()
    for node in reversed(order):
        if node.grad is None or not _finite(node.grad):
            continue
        for parent in node.parents:
            if parent.grad is not None and not _finite(parent.grad):
                return node, parent
    return None


def problem(expression: Expression, values: Mapping[str, float], root_name: str = "f") -> str | None:
    """None when the expression's value and gradients are finite at ``values``, else one
    line naming the step that broke, its operands' values and why."""
    with np.errstate(all="ignore"):
        root, steps = expression.trace(values, per_use=True)
    step = first_non_finite_step(steps)
    if step is not None:
        why = _VALUE_WHY.get(step.kind) if step.kind != "**" else _power_why(step)
        why = why or (_OVERFLOW if np.all(np.isinf(step.tensor.data)) else "the result is not a number")
        return f"the forward pass breaks at {step.text}: it is {_number(step.tensor)}{_at(step, steps)} ({why})"
    if not root.requires_grad:
        return None
    found = first_non_finite_gradient(root)
    if found is None:
        return None
    step, target = _step_of(found[0], steps), _step_of(found[1], steps)
    why = _SLOPE_WHY.get(step.kind, "its local derivative times the gradient it receives is not finite")
    return (f"the backward pass breaks at {step.text}: it hands {target.text} a gradient of "
            f"{_number(found[1], grad=True)}{_at(step, steps)} ({why}), so {_broken(steps, root_name)}")


def _power_why(step: Step) -> str:
    base = np.asarray(step.operands[0].data if isinstance(step.operands[0], Tensor) else step.operands[0])
    if np.all(base < 0):
        return "a negative number to a fractional power has no real value"
    if np.all(base == 0):
        return "0 to a negative power is a division by zero"
    return _OVERFLOW


def _step_of(node: Tensor, steps: list[Step]) -> Step:
    """The step that computes ``node``: the one whose result it is, else the one it is
    inside of (an expression's function may be several engine ops)."""
    for step in steps:
        if step.tensor is node:
            return step
    for step in steps:
        inputs = {id(o) for o in step.operands if isinstance(o, Tensor)}
        stack, seen = [step.tensor], set()
        while stack:
            t = stack.pop()
            if t is node:
                return step
            if id(t) not in seen and id(t) not in inputs:
                seen.add(id(t))
                stack.extend(t.parents)
    return Step(node, node.op.label() if node.op else _number(node), "?")


def _at(step: Step, steps: list[Step]) -> str:
    """`` at x = 1, y = 0``: the values of the operands that are not plain numbers."""
    shown = [f"{_step_of(o, steps).text} = {_number(o)}" for o in step.operands
             if isinstance(o, Tensor) and (o.op is not None or o.requires_grad)]
    return f" at {', '.join(shown)}" if shown else ""


def _number(t: Tensor, grad: bool = False) -> str:
    a = t.grad if grad else t.data
    return f"{float(a):g}" if a.size == 1 else str(a)


def _broken(steps: list[Step], root_name: str) -> str:
    """The variables whose gradient is NaN or inf (each use's gradient summed)."""
    sums: dict[str, float] = {}
    with np.errstate(all="ignore"):
        for step in steps:
            if step.kind == "variable" and step.tensor.grad is not None:
                sums[step.text] = sums.get(step.text, 0.0) + float(step.tensor.grad)
    bad = [f"d{root_name}/d{name} = {value:g}" for name, value in sums.items() if not np.isfinite(value)]
    return ", ".join(bad) if bad else "a gradient is not finite"
