"""The studio's one window onto the engine: a root Tensor in, plain data out.

Everything else in the studio reads the dictionaries this module makes, never a Tensor's
graph, so a change in the engine's internals touches this file alone. ``trace(root)``
runs the backward pass (through ``autograd.explain``, which tells each step in words) and
returns::

    {"root": "n5",
     "nodes": [{"id", "name", "kind", "op", "label", "symbol", "rule", "words", "shape",
                "value", "grad", "parents", "scopes"}, ...],   # in a forward (topological) order
     "edges": [{"source", "target", "slot"}, ...],            # parent → child, slot = argument index
     "forward": [{"node", "text"}, ...],                       # the forward pass, one line per node
     "backward": [{"node", "upstream", "rule", "text",
                   "handed": [{"to", "slot", "grad", "local"}, ...]}, ...]}   # as the engine visits

``kind`` is "input" (a leaf that takes no gradient: data, constants), "param" (a leaf that
takes one: a variable or a weight), "intermediate" or "output" (the root). Values and
gradients are floats or nested lists of floats (NaN and inf kept as floats); ``grad`` is
d(root)/d(node), None where the node takes no gradient. ``scopes`` lists the module calls
the node was made in, outermost first, as ``{"id", "label"}`` (``Linear(2→4)``). In a
backward step, ``upstream`` is d(root)/d(node), complete when the engine reaches the node;
``handed`` holds, per argument slot that takes a gradient, what the node hands that parent,
and for scalars ``local``: the op's local derivative ∂node/∂parent, so that
grad = upstream × local.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from autograd.graph import all_nodes, display_names
from autograd.viz import SYMBOLS

Value = float | list  # a number, or nested lists of numbers


def trace(root: Tensor) -> dict[str, Any]:
    """The graph below ``root`` and the backward pass through it, as plain data (see the
    module's docstring). ``root`` must hold one element and require grad. Runs
    ``backward`` once (the graph's earlier gradients are cleared first)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"trace: expects a Tensor, got {type(root).__name__}")
    nodes = all_nodes(root)
    names = display_names(nodes)
    ids = {t: f"n{k}" for k, t in enumerate(nodes)}
    with np.errstate(all="ignore"):  # NaN and inf are reported by the studio, node by node
        steps = autograd.explain(root, file=io.StringIO())
        backward = [_backward_step(step, ids, names) for step in steps]
    return {
        "root": ids[root],
        "nodes": [_node(t, root, names, ids) for t in nodes],
        "edges": [{"source": ids[p], "target": ids[t], "slot": k} for t in nodes for k, p in enumerate(t.parents)],
        "forward": [{"node": ids[t], "text": _forward_text(t, names)} for t in nodes],
        "backward": backward,
    }


def _node(t: Tensor, root: Tensor, names: dict[Tensor, str], ids: dict[Tensor, str]) -> dict[str, Any]:
    op = t.op
    if t is root:
        kind = "output"
    elif op is None:
        kind = "param" if t.requires_grad else "input"
    else:
        kind = "intermediate"
    chain = t.scope.chain() if t.scope is not None else []
    return {
        "id": ids[t],
        "name": names[t],
        "kind": kind,
        "op": op.name if op is not None else None,
        "label": op.label() if op is not None else None,
        "symbol": SYMBOLS.get(op.name) if op is not None else None,
        "rule": op.rule if op is not None else None,
        "words": op.words if op is not None else None,
        "shape": list(t.shape),
        "value": plain(t.data),
        "grad": plain(t.grad) if t.requires_grad and t.grad is not None else None,
        "parents": [ids[p] for p in t.parents],
        "scopes": [{"id": s.id, "label": s.label} for s in chain],
    }


def _forward_text(t: Tensor, names: dict[Tensor, str]) -> str:
    if t.op is None:
        return f"{names[t]} = {_short(t.data)}"
    args = ", ".join(names[p] for p in t.parents)
    return f"{names[t]} = {t.op.label()}({args}) = {_short(t.data)}"


def _backward_step(step: Any, ids: dict[Tensor, str], names: dict[Tensor, str]) -> dict[str, Any]:
    node, upstream = step.node, np.asarray(step.grad)
    op = node.op
    handed = []
    if op is not None:
        parents = node.parents
        repeated = len({id(p) for p in parents}) < len(parents)  # x * x: explain keeps one entry per name
        vjps = op.backward(upstream.copy()) if repeated else None
        scalar = node.size == 1 and all(p.size == 1 for p in parents)
        locals_ = op.backward(np.ones_like(upstream)) if scalar else None
        for slot, parent in enumerate(parents):
            if not parent.requires_grad:
                continue
            if vjps is not None:
                grad = _sum_to_shape(np.asarray(vjps[slot]), parent.shape)
            else:
                grad = step.handed[names[parent]]  # explain keys what it hands on by display name
            local = float(np.asarray(locals_[slot]).item()) if scalar and locals_[slot] is not None else None
            handed.append({"to": ids[parent], "slot": slot, "grad": plain(grad), "local": local})
    return {"node": ids[node], "upstream": plain(upstream), "rule": op.rule if op is not None else None,
            "text": step.text, "handed": handed}


def _sum_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient in an op's broadcast shape back to an input's ``shape``."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return (grad.sum(axis=axes) if axes else grad).reshape(shape)


def plain(a: Any) -> Value:
    """A number or an array as a float or nested lists of floats."""
    a = np.asarray(a, dtype=np.float64)
    return a.item() if a.ndim == 0 else a.tolist()


def _short(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.6g}"
    if a.size <= 12:
        return np.array2string(a, precision=4, separator=", ").replace("\n", "")
    return f"<{'×'.join(map(str, a.shape))}: mean {a.mean():.4g}>"
