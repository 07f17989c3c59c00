"""The chain-rule workbench: an expression and its variables' values in, the engine's graph
out, with everything the page needs to step through both passes.

A variable's value is a number or a list of up to ``limits.MAX_VECTOR`` numbers (a 1-D
Tensor); the expression's result must be one number, so an expression of vectors ends in a
reduction, ``sum(...)`` or ``mean(...)``. A vector's gradient is a list, and the nudge
check moves each element on its own.

The reply holds the forward steps and the backward steps in the engine's order. Each
backward step says which node the pass is at, the edges its gradient travels, the text that
tells it (the local rule with the numbers filled in) and the gradient *texts* that change on
the picture at that step: the node's own, now complete, and each parent's sum so far. The
page applies those updates in order, so the picture and the text agree at every step.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from experiments import expression as language
from experiments.studio import domain, graphs, limits
from experiments.studio.limits import Number, RequestError
from experiments.studio.numbers import fmt
from experiments.studio.trace import trace

VALUE = Number(-limits.MAX_VALUE, limits.MAX_VALUE)
STEP = Number(1e-9, 1.0)
DEFAULT_VALUE = 1.0


def parse(text: Any) -> language.Expression:
    """The checked expression, or RequestError saying what is wrong with it."""
    text = limits.text("expression", text, limits.MAX_EXPRESSION_LENGTH)
    try:
        expr = language.parse(text)
    except (language.ExpressionError, RecursionError, MemoryError) as err:
        raise RequestError(f"the expression is refused: {err or 'it nests too deeply'}") from None
    depth, count = _depth(expr.tree.body), sum(1 for _ in ast.walk(expr.tree.body))
    if depth > limits.MAX_EXPRESSION_DEPTH:
        raise RequestError(f"the expression nests {depth} levels deep; at most {limits.MAX_EXPRESSION_DEPTH} "
                           f"are allowed")
    if count > limits.MAX_EXPRESSION_NODES:
        raise RequestError(f"the expression has {count} parts (numbers, names, operators, calls); at most "
                           f"{limits.MAX_EXPRESSION_NODES} are allowed")
    if len(expr.variables) > limits.MAX_VARIABLES:
        raise RequestError(f"the expression has {len(expr.variables)} variables; at most {limits.MAX_VARIABLES} "
                           f"are allowed")
    return expr


def _depth(node: ast.AST) -> int:
    """The nesting depth of an expression tree (a leaf is 1), without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                     if not isinstance(child, (ast.operator, ast.unaryop, ast.expr_context)))
    return deepest


def values_for(expr: language.Expression, given: Any) -> dict[str, float | list[float]]:
    """Each variable's value: the one given, else DEFAULT_VALUE. Values given for names the
    expression no longer has are ignored (the page keeps its sliders)."""
    if given is None:
        given = {}
    if not isinstance(given, dict) or len(given) > 4 * limits.MAX_VARIABLES:
        raise RequestError(f"values must be an object of at most {4 * limits.MAX_VARIABLES} variable values")
    return {v: value_of(v, given[v]) if v in given else DEFAULT_VALUE for v in expr.variables}


def value_of(name: str, value: Any) -> float | list[float]:
    """One variable's value: a number, or a list of 1 to MAX_VECTOR numbers (a vector)."""
    if not isinstance(value, list):
        return VALUE.check(f"the value of {name}", value)
    if not 1 <= len(value) <= limits.MAX_VECTOR:
        raise RequestError(f"the value of {name} has {len(value)} numbers; a vector holds 1 to "
                           f"{limits.MAX_VECTOR} numbers")
    return [VALUE.check(f"the value of {name}[{k}]", x) for k, x in enumerate(value)]


def evaluate(expr: language.Expression, values: dict[str, float | list[float]]) -> Any:
    """The engine's graph of ``expr`` at ``values`` (the root tensor)."""
    try:
        with np.errstate(all="ignore"):
            root, _ = expr.evaluate(values)
    except (OverflowError, ValueError, ArithmeticError) as err:
        raise RequestError(f"the expression cannot be evaluated: {err}") from None
    root.name = "f" if "f" not in values else "result"
    return root


def solve(payload: Any) -> dict[str, Any]:
    """The workbench's reply to ``{"expression", "values", "h"}`` (see the module's docstring)."""
    if not isinstance(payload, dict):
        raise RequestError("the request must be a JSON object with an expression and values")
    unknown = sorted(set(payload) - {"expression", "values", "h"})
    if unknown:
        raise RequestError(f"unknown field(s) {', '.join(unknown)}; allowed: expression, values, h")
    expr = parse(payload.get("expression"))
    values = values_for(expr, payload.get("values"))
    h = STEP.check("the nudge h", payload.get("h", 1e-3))
    root = evaluate(expr, values)
    if root.size != 1:
        raise RequestError(f"{root.name} = {expr.text} is a vector of {root.size} numbers, not one number: the "
                           f"workbench differentiates one number, so reduce it with sum(...) or mean(...), as in "
                           f"sum({expr.text})")
    reply: dict[str, Any] = {"expression": expr.text, "output": root.name, "value": float(root.item())}
    if not root.requires_grad:
        reply.update(variables=[], message=f"{root.name} = {fmt(root.item())}: the expression has no variable, "
                                           f"so there is nothing to differentiate")
        return reply
    tr = trace(root)
    reply["variables"] = [{"name": n["name"], "value": n["value"], "grad": n["grad"]}
                          for n in tr["nodes"] if n["kind"] == "param"]
    reply["problems"] = domain.problems(tr)
    reply.update(frames(tr))
    reply["nudge"] = nudges(expr, values, reply["variables"], reply["value"], h)
    return reply


def frames(tr: dict[str, Any]) -> dict[str, Any]:
    """The nodes, the forward and backward steps as the page shows them, and the picture."""
    nodes = {n["id"]: n for n in tr["nodes"]}
    value_text = {i: f"value {fmt(n['value'])}" for i, n in nodes.items()}
    backward, widest = _backward_frames(tr, nodes)
    picture = graphs.to_svg(tr, value_text, widest) if graphs.dot_available() else None
    forward = [{"node": s["node"], "text": s["text"], "value": value_text[s["node"]]} for s in tr["forward"]]
    keys = ("id", "name", "kind", "op", "label", "rule", "words", "shape", "value", "grad", "parents")
    return {"root": tr["root"], "nodes": [{k: n[k] for k in keys} for n in tr["nodes"]],
            "forward": forward, "backward": backward, "svg": picture,
            "svg_missing": None if picture is not None else graphs.NO_DOT}


def _backward_frames(tr: dict[str, Any], nodes: dict[str, Any]) -> tuple[list[dict], dict[str, str]]:
    """Per backward step, the gradient texts it changes; and per node the widest gradient
    text it will show (the picture reserves that room)."""
    partial: dict[str, np.ndarray] = {}
    widest = {i: "grad —" for i, n in nodes.items() if n["grad"] is not None}
    out = []
    for step in tr["backward"]:
        node = step["node"]
        updates = {node: {"text": f"grad {fmt(step['upstream'])}", "state": "complete"}}
        for h in step["handed"]:
            grad = np.asarray(h["grad"], dtype=np.float64)
            with np.errstate(all="ignore"):
                partial[h["to"]] = partial[h["to"]] + grad if h["to"] in partial else grad
            updates[h["to"]] = {"text": f"grad {fmt(partial[h['to']])}", "state": "partial"}
        for i, u in updates.items():
            if len(u["text"]) > len(widest.get(i, "")):
                widest[i] = u["text"]
        edges = [f"{node}e{h['slot']}" for h in step["handed"]]
        out.append({"node": node, "text": step["text"], "edges": edges, "updates": updates,
                    "upstream": step["upstream"], "handed": step["handed"]})
    return out, widest


def nudges(expr: language.Expression, values: dict[str, float | list[float]], variables: list[dict], f: float,
           h: float) -> list[dict[str, Any]]:
    """For each variable a, or each element a[i] of a vector: f(a + h) - f(a), that one
    number moved by h, and the chain rule's prediction ∂f/∂a · h (∂f/∂a[i] · h)."""
    out = []
    for v in variables:
        name, value = v["name"], values[v["name"]]
        for i in [None] if not isinstance(value, list) else range(len(value)):
            moved = value + h if i is None else [x + h if k == i else x for k, x in enumerate(value)]
            slope = v["grad"] if i is None or v["grad"] is None else v["grad"][i]
            with np.errstate(all="ignore"):
                f_moved = float(evaluate(expr, dict(values, **{name: moved})).item())
                predicted = slope * h if slope is not None else None
            out.append({"name": name if i is None else f"{name}[{i}]", "variable": name, "index": i, "h": h,
                        "f": f, "f_moved": f_moved, "actual": f_moved - f, "predicted": predicted})
    return out
