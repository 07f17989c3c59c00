"""``explain``: the backward pass told node by node, in the order the engine visits them, with
the numbers the engine itself computes; optionally a picture per step and a page to click
through them (``autograd.teach.page``)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from autograd.backward import walk
from autograd.gradients import seed
from autograd.ops.reduce import broadcast_axes
from autograd.teach.graph import all_nodes, display_names
from autograd.teach.matrices import instantiate, side_by_side
from autograd.tensor import Tensor

SMALL = 12


@dataclass
class Step:
    """One visited node: its name, the gradient it received, what it handed on, and the text."""

    index: int
    node: Tensor
    name: str
    grad: np.ndarray
    text: str
    handed: dict[str, np.ndarray] = field(default_factory=dict)  # parent name → gradient handed to it


def number(a: np.ndarray) -> str:
    """A number or a small array in full (six significant digits); a big array as a summary."""
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.item():.6g}"
    if a.size <= SMALL:
        return np.array2string(a, separator=", ", formatter={"float_kind": "{:.6g}".format}).replace("\n", "")
    return f"<{'×'.join(map(str, a.shape))}: mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}>"


def shape_text(t: Tensor | np.ndarray) -> str:
    return "scalar" if t.ndim == 0 else "(" + ", ".join(map(str, t.shape)) + ")"


def forward_line(node: Tensor, names: dict[int, str]) -> str:
    """``t3 = t1 + t2 = 0.5``: how the op made the node, with its value."""
    return f"{names[id(node)]} = {node.op.formula(*[names[id(p)] for p in node.parents])} = {number(node.data)}"


def local_derivatives(node: Tensor) -> tuple | None:
    """∂node/∂parent for each parent of a scalar op on scalars (the VJP of a unit upstream
    gradient), or None for a leaf or an op on arrays."""
    if node.op is None or node.size != 1 or any(p.size != 1 for p in node.parents):
        return None
    local = node.op.backward(np.ones_like(node.data), node.data, *[p.data for p in node.parents])
    return local if isinstance(local, tuple) else (local,)


def tell(step_no: int, total: int, node: Tensor, g: Tensor, handed: list, names: dict[int, str], root: Tensor) -> str:
    """The text of one step of the backward pass."""
    name, top = names[id(node)], names[id(root)]
    if node.op is None:
        return (f"[{step_no}/{total}] {name}  {shape_text(node)}, a leaf that takes a gradient\n"
                f"  gradient   d{top}/d{name} = {number(g)}   (stored in {name}.grad)")
    op = node.op
    seeded = f"   (the seed: d{top}/d{top} = 1)" if node is root else ""
    lines = [f"[{step_no}/{total}] {forward_line(node, names)}   {shape_text(node)}",
             f"  upstream   d{top}/d{name} = {number(g)}{seeded}",
             f"  rule       {op.rule}", f"             {op.words}"]
    arguments = [names[id(p)] for p in node.parents]
    local = local_derivatives(node)
    scalars = local is not None
    for parent, vjp, summed in handed:
        pname = names[id(parent)]
        k = next(i for i, p in enumerate(node.parents) if p is parent)
        if scalars:
            lines.append(f"  → {pname}: d{top}/d{pname} = d{top}/d{name} × ∂{name}/∂{pname} = "
                         f"{number(g)} × {number(local[k])} = {number(summed)}")
            continue
        formula = op.gradient_formula(k, f"d{top}/d{name}", name, arguments)
        lines.append(f"  → {pname} {shape_text(parent)}: d{top}/d{pname} = {formula}   {shape_text(vjp)}")
        terms = instantiate(node, k, g, vjp, names, top)
        if terms is not None:  # small matrices: the rule with its numbers
            lines.append(side_by_side(terms, indent="      "))
        if summed.shape != vjp.shape:
            axes = broadcast_axes(vjp.shape, parent.shape)
            lines.append(f"      {pname} was broadcast to {shape_text(vjp)} in the forward pass, so its gradient "
                         f"is summed over axis {axes if len(axes) > 1 else axes[0]} → {shape_text(summed)}")
        lines.append(f"      d{top}/d{pname} += {number(summed)}")
    return "\n".join(lines)


def explain(root: Tensor, frames: str | os.PathLike[str] | None = None, *, file: TextIO | None = None,
            title: str | None = None) -> list[Step]:
    """Run the backward pass from ``root`` and print, node by node in the order the engine
    visits them, the upstream gradient, the op's local rule in symbols and words, and what is
    handed to each parent: the numbers multiplied (scalars), or the formula with its operands,
    the shapes and the sum that undoes broadcasting (tensors), and for tensors of at most 6×6
    the rule with its numbers, as matrices side by side (dL/dW = Xᵀ @ dL/dY).

    Every gradient of the graph is stored in its tensor's ``.grad`` (cleared first), so each
    ``.grad`` afterwards is exactly the number printed for it. With ``frames="dir/"``, also
    writes one picture per step (the graph, the current node in red, the gradients known so
    far) and ``dir/backward.html``, a self-contained page that steps through them. Returns the
    steps (in a notebook, the returned list shows as the step viewer).
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"explain: expects a Tensor, got {type(root).__name__}")
    start = seed(root, None)
    out = sys.stdout if file is None else file
    nodes = all_nodes(root)
    names = display_names(nodes)
    for t in nodes:
        t.grad = None
    print(forward_pass(nodes, names, root), file=out)
    drawer = None
    if frames is not None:
        from autograd.teach.page import Frames

        drawer = Frames(root, frames)
    steps = Steps()
    walk([(root, start)], _teller(steps, root, nodes, names, out, drawer))
    print(leaf_gradients(nodes, names, root), file=out, end="")
    if drawer is not None:
        page = drawer.page(title or f"Backpropagation through {names[id(root)]}", steps, names, nodes)
        print(f"\nWrote {page} ({len(steps)} steps)", file=out)
    return steps


def _teller(steps: list[Step], root: Tensor, nodes: list[Tensor], names: dict[int, str], out: TextIO,
            drawer: Any) -> Any:
    """The walk's visitor for ``explain``: each node keeps its gradient (the number printed), and
    its step is told, kept in ``steps`` and drawn."""
    total = sum(t.requires_grad for t in nodes)

    def visit(node: Tensor, g: np.ndarray, handed: list) -> None:
        node._grad = np.array(g, copy=True)
        text = tell(len(steps) + 1, total, node, g, handed, names, root)
        given: dict[str, np.ndarray] = {}
        for parent, _, share in handed:  # (x·x hands x two shares: they add up)
            name = names[id(parent)]
            given[name] = given[name] + share if name in given else np.asarray(share)
        steps.append(Step(len(steps) + 1, node, names[id(node)], node._grad, text, given))
        print("\n" + text, file=out)
        if drawer is not None:
            drawer.step(node, g, handed)

    return visit


def forward_pass(nodes: list[Tensor], names: dict[int, str], root: Tensor) -> str:
    """The forward values, node by node, and the heading of the backward pass."""
    ops = sum(t.op is not None for t in nodes)
    total = sum(t.requires_grad for t in nodes)
    lines = [f"Forward pass ({ops} op{'s' if ops != 1 else ''}):"]
    for t in nodes:
        value = f"{names[id(t)]} = {number(t.data)}" + ("   (requires grad)" if t.requires_grad else "")
        lines.append("  " + (forward_line(t, names) if t.op is not None else value))
    lines.append(f"\nBackward pass: {total} node{'s' if total != 1 else ''}, from {names[id(root)]} back to the "
                 f"inputs.")
    return "\n".join(lines)


def leaf_gradients(nodes: list[Tensor], names: dict[int, str], root: Tensor) -> str:
    """The leaves' gradients, as the summary at the end (empty without leaves)."""
    leaves = [t for t in nodes if t.is_leaf and t.requires_grad]
    rows = [f"  d{names[id(root)]}/d{names[id(t)]} = {number(t.grad)}" for t in leaves]
    return "\nGradients:\n" + "\n".join(rows) + "\n" if rows else ""


class Steps(list):
    """The steps ``explain`` returns; in Jupyter they show as one step viewer, not a list."""

    def _repr_html_(self) -> str:
        from autograd.teach.page import viewer_html

        return viewer_html(self)
