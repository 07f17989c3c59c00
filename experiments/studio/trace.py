"""The studio's one window onto the engine: a root Tensor in, plain data out.

Everything else in the studio reads the dictionaries this module makes, never a Tensor's
graph, so a change in the engine's internals touches this file alone. ``trace(root)``
runs the engine's backward walk (``autograd.backward.walk``), tells each step in words as
``explain`` does, and returns::

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
the node was made in, outermost first, as ``{"id", "label"}`` (``Linear(2→4)``), when the
forward pass ran inside ``autograd.teach.module_boxes``. In a
backward step, ``upstream`` is d(root)/d(node), complete when the engine reaches the node;
``handed`` holds, per argument slot that takes a gradient, what the node hands that parent,
and for scalars ``local``: the op's local derivative ∂node/∂parent, so that
grad = upstream × local.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.backward import walk
from autograd.gradients import seed
from autograd.teach import module_boxes
from autograd.teach.explain import forward_line, local_derivatives, tell
from autograd.teach.graph import all_nodes, display_names

Value = float | list  # a number, or nested lists of numbers


def trace(root: Tensor, boxes: module_boxes | None = None) -> dict[str, Any]:
    """The graph below ``root`` and the backward pass through it, as plain data (see the
    module's docstring). ``root`` must hold one element and require grad; ``boxes``, recorded
    around the forward pass (``autograd.teach.module_boxes``), gives the module scopes. Runs
    the engine's backward walk once, storing nothing in the graph's ``.grad``."""
    if not isinstance(root, Tensor):
        raise TypeError(f"trace: expects a Tensor, got {type(root).__name__}")
    nodes = all_nodes(root)
    names = display_names(nodes)
    ids = {id(t): f"n{k}" for k, t in enumerate(nodes)}
    grads: dict[int, np.ndarray] = {}
    steps: list[dict[str, Any]] = []
    total = sum(t.requires_grad for t in nodes)

    def visit(node: Tensor, g: np.ndarray, handed: list) -> None:
        grads[id(node)] = np.asarray(g)
        text = tell(len(steps) + 1, total, node, g, handed, names, root)
        steps.append(_backward_step(node, np.asarray(g), handed, ids, text))

    with np.errstate(all="ignore"):  # NaN and inf are reported by the studio, node by node
        walk([(root, seed(root, None))], visit)
    homes = boxes.homes() if boxes is not None else {}
    return {
        "root": ids[id(root)],
        "nodes": [_node(t, root, names, ids, grads.get(id(t)), homes.get(id(t))) for t in nodes],
        "edges": [{"source": ids[id(p)], "target": ids[id(t)], "slot": k} for t in nodes
                  for k, p in enumerate(t.parents)],
        "forward": [{"node": ids[id(t)], "text": _forward_text(t, names)} for t in nodes],
        "backward": steps,
    }


def _node(t: Tensor, root: Tensor, names: dict[int, str], ids: dict[int, str], grad: np.ndarray | None,
          box: Any) -> dict[str, Any]:
    op = t.op
    if t is root:
        kind = "output"
    elif op is None:
        kind = "param" if t.requires_grad else "input"
    else:
        kind = "intermediate"
    return {
        "id": ids[id(t)],
        "name": names[id(t)],
        "kind": kind,
        "op": op.name if op is not None else None,
        "label": op.label() if op is not None else None,
        "symbol": (op.symbol or None) if op is not None else None,
        "rule": op.rule if op is not None else None,
        "words": op.words if op is not None else None,
        "shape": list(t.shape),
        "value": plain(t.data),
        "grad": plain(grad) if t.requires_grad and grad is not None else None,
        "parents": [ids[id(p)] for p in t.parents],
        "scopes": [{"id": b.id, "label": b.label} for b in box.chain()] if box is not None else [],
    }


def _forward_text(t: Tensor, names: dict[int, str]) -> str:
    if t.op is None:
        return f"{names[id(t)]} = {_short(t.data)}"
    return forward_line(t, names)


def _backward_step(node: Tensor, upstream: np.ndarray, handed: list, ids: dict[int, str], text: str) -> dict[str, Any]:
    """One visited node: what it received and, per argument slot, what it handed on (the
    walk lists the slots that take a gradient in order, so x·x hands x two entries)."""
    op = node.op
    out = []
    if op is not None:
        local = local_derivatives(node)
        pending = list(handed)
        for slot, parent in enumerate(node.parents):
            if not pending or pending[0][0] is not parent:
                continue
            _, _, summed = pending.pop(0)
            number = float(np.asarray(local[slot]).item()) if local is not None else None
            out.append({"to": ids[id(parent)], "slot": slot, "grad": plain(summed), "local": number})
    return {"node": ids[id(node)], "upstream": plain(upstream), "rule": op.rule if op is not None else None,
            "text": text, "handed": out}


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
