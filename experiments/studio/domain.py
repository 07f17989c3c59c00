"""Where a NaN or an infinity was born, and why, in words: never a silent NaN.

A non-finite number spreads to everything computed from it, so the node to blame is the
first one (in forward order) whose value is not finite while all its inputs are; in the
backward pass, the first step that hands on a gradient that is not finite while its own
was. The message says what happened at that node (the log of a negative number, a division
by zero, a negative base to a fractional power, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.studio.numbers import finite, fmt


def problems(tr: dict[str, Any]) -> list[dict[str, str]]:
    """At most one problem from the forward pass and one from the backward pass, each as
    ``{"node", "pass", "message"}``."""
    nodes = {n["id"]: n for n in tr["nodes"]}
    found = []
    for n in tr["nodes"]:
        if n["op"] is not None and not finite(n["value"]) and all(finite(nodes[p]["value"]) for p in n["parents"]):
            found.append({"node": n["id"], "pass": "forward", "message": _forward(n, nodes)})
            break
    for step in tr["backward"]:
        bad = [h for h in step["handed"] if not finite(h["grad"])]
        if bad and finite(step["upstream"]):
            n = nodes[step["node"]]
            if finite(n["value"]) and all(finite(nodes[p]["value"]) for p in n["parents"]):
                found.append({"node": n["id"], "pass": "backward", "message": _backward(n, nodes, bad[0])})
            break
    return found


def _forward(n: dict[str, Any], nodes: dict[str, dict]) -> str:
    args = [np.asarray(nodes[p]["value"], dtype=np.float64) for p in n["parents"]]
    x = args[0] if args else np.array(np.nan)
    what = _why(n, args, x)
    kind = "not a number (nan)" if np.any(np.isnan(n["value"])) else "infinite"
    return f"{n['name']} = {_call(n, nodes)} is {kind}: {what}"


def _call(n: dict[str, Any], nodes: dict[str, dict]) -> str:
    """The node's op applied to its inputs' names: ``log(a)``, ``t1 ** 0.5``."""
    names = [nodes[p]["name"] for p in n["parents"]]
    infix = {"add": "+", "mul": "·", "pow": "**", "matmul": "@"}.get(n["op"])
    if infix:
        return f" {infix} ".join(names)
    if n["op"] == "power":  # x ** c, the exponent a number in the op's label: power(0.5)
        return f"{names[0]} ** {(n['label'] or '')[6:-1]}"
    return f"{n['label'] or ''}({', '.join(names)})"


def _why(n: dict[str, Any], args: list[np.ndarray], x: np.ndarray) -> str:
    op, label = n["op"], n["label"] or ""
    if op == "log":
        return f"the log of a negative number, ln({fmt(x)})" if np.any(x < 0) else f"the log of 0, ln({fmt(x)}) = -∞"
    if op == "exp":
        return f"e^{fmt(x)} is too large for a 64-bit float"
    if op in ("pow", "power"):  # a / b is a · b ** -1 and √x is x ** 0.5 in the engine
        base = x
        exponent = args[1] if op == "pow" else float((label or "power(0)")[6:-1])
        if np.any((base == 0) & (np.asarray(exponent) == -1)):
            return f"a division by zero, 1 / {fmt(base)}"
        if np.any((base < 0) & (np.asarray(exponent) % 1 != 0)):
            return f"a negative base to a fractional power, ({fmt(base)}) ** {fmt(exponent)}"
        if np.any((base == 0) & (np.asarray(exponent) < 0)):
            return f"0 to a negative power is a division by zero, 0 ** {fmt(exponent)}"
        return f"({fmt(base)}) ** {fmt(exponent)} is too large for a 64-bit float"
    inputs = ", ".join(fmt(a) for a in args)
    return f"{label} of {inputs} has no finite value"


def _backward(n: dict[str, Any], nodes: dict[str, dict], handed: dict[str, Any]) -> str:
    parent = nodes[handed["to"]]
    return (f"the gradient {n['name']} hands to {parent['name']} is {fmt(handed['grad'])}: the local derivative "
            f"of {_call(n, nodes)} ({n['rule']}) is not finite at {parent['name']} = {fmt(parent['value'])}")
