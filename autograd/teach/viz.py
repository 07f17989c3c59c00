"""Pictures of the computation graph with Graphviz: one node per tensor (name, shape, data,
grad), one per op, edges in the direction data flows, and a labelled box per module call.

The ``graphviz`` Python package is imported here, inside the functions, and nowhere else in
the engine; the ``dot`` program that lays the picture out comes from the system package
``graphviz``. Without ``dot``, ``render`` still writes the DOT source and says how to install it.
"""

from __future__ import annotations

import html
import os
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograd.teach.boxes import Box, module_boxes
from autograd.teach.files import write_atomic
from autograd.teach.graph import all_nodes, display_names, gradients
from autograd.teach.matrices import grid_html, is_small
from autograd.tensor import Tensor

INSTALL_HINT = ("install Graphviz's dot program: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
                "'brew install graphviz' (macOS) or 'conda install graphviz'")
SMALL = 12  # tensors with at most this many elements show every value

COLORS = {
    "input": "#e5e7eb",      # a leaf that takes no gradient: data, targets, constants
    "param": "#bfdbfe",      # a leaf that takes a gradient: a parameter or a variable
    "inner": "#ffffff",      # an intermediate result
    "output": "#bbf7d0",     # the root
    "op": "#fef3c7",
    "highlight": "#fecaca",  # the node explain() is at
}


def _graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError("graph pictures need the Python package 'graphviz' (pip install graphviz) and "
                          "the dot program (" + INSTALL_HINT + ")") from None
    return graphviz


def dot_available() -> bool:
    """True when Graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def _values(a: np.ndarray) -> str:
    """Numbers with four significant digits, never rounded to a bare 0. (a tiny gradient is
    not no gradient); a big array as its mean, min and max."""
    if a.ndim == 0:
        return f"{a.item():.4g}"
    if a.size <= SMALL:
        text = np.array2string(a, separator=", ", max_line_width=60, formatter={"float_kind": "{:.4g}".format})
        return html.escape(text).replace("\n", "<br/>")
    return f"mean {a.mean():.3g} · min {a.min():.3g} · max {a.max():.3g}"


def _row(label: str, a: np.ndarray, color: str | None = None) -> str:
    """One row of a tensor's box: ``data 0.5``, or the label beside a small matrix drawn in full."""
    def ink(text: str) -> str:
        return f'<font color="{color}">{text}</font>' if color else text
    if a.ndim >= 1 and a.size > 1 and is_small(a):
        return f'<tr><td align="left">{ink(label)}</td><td>{grid_html(a, color)}</td></tr>'
    return f'<tr><td align="left" colspan="2">{ink(f"{label} {_values(a)}")}</td></tr>'


def _tensor_label(t: Tensor, name: str, show_data: bool, grad: np.ndarray | None, show_grad: bool,
                  extra: Mapping[str, np.ndarray] | None = None) -> str:
    shape = "scalar" if t.ndim == 0 else "×".join(map(str, t.shape))
    rows = [f'<tr><td colspan="2"><b>{html.escape(name)}</b>  <font color="#6b7280">{shape}</font></td></tr>']
    if show_data:
        rows.append(_row("data", t.data))
    if show_grad and t.requires_grad:
        rows.append(_row("grad", grad, "#b91c1c") if grad is not None else
                    '<tr><td align="left" colspan="2"><font color="#b91c1c">grad —</font></td></tr>')
    for label, value in (extra or {}).items():
        rows.append(_row(html.escape(label), np.asarray(value), "#7c2d12"))
    return '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">' + "".join(rows) + "</table>>"


def _op_label(t: Tensor) -> str:
    op = t.op
    text = html.escape(op.label())
    symbol = op.symbol
    if symbol and symbol != op.label():
        return f'<<font point-size="16">{html.escape(symbol)}</font><br/><font point-size="9">{text}</font>>'
    return f"<{text}>"


def _kind(t: Tensor, root: Tensor) -> str:
    if t is root:
        return "output"
    if t.is_leaf:
        return "param" if t.requires_grad else "input"
    return "inner"


def draw_graph(root: Tensor, *, show_data: bool = True, show_grad: bool = True, rankdir: str = "LR",
               boxes: module_boxes | None = None, highlight: Tensor | Iterable[Tensor] | None = None,
               grads: Mapping[Any, np.ndarray] | None = None,
               extra: Mapping[Any, Mapping[str, np.ndarray]] | None = None,
               collapse: Mapping[Tensor, tuple[Sequence[Tensor], str]] | None = None) -> Any:
    """The computation graph that made ``root``, as a ``graphviz.Digraph``.

    Tensors are boxes (name, shape, data, grad); ops are ovals; edges follow the data. The
    gradient shown for every tensor is d(root)/d(tensor), from a backward pass of the
    picture's own that writes no ``.grad`` (so intermediates show theirs too); a root with
    more than one element shows the stored ``.grad`` values, and ``grads`` (a mapping from
    tensors, or their ``id``, to arrays) shows exactly those.
    Colours: grey for inputs and constants, blue for parameters and variables that take a
    gradient, white for intermediates, green for the output. With ``boxes`` (recorded by
    ``module_boxes`` around the forward pass), each module call is a labelled box around the
    tensors it made (``Linear(2→4)``). ``highlight`` marks a tensor and its op in red
    (``explain`` uses it for its step pictures), or several: a list of tensors (the checker
    marks every gradient that disagrees). ``extra`` adds labelled arrays to tensors' boxes,
    keyed by tensor or id: ``{W1: {"yours": array}}``. Tensors with at most 6×6 entries show
    their numbers as matrices. ``collapse`` draws a chain of ops as one: ``{s: ([z], "σ")}``
    hides the ops and constants between z and s (a sigmoid written out as 1 / (1 + exp(-z)))
    and draws one op labelled σ from z to s. In Jupyter the Digraph shows itself as SVG.
    """
    graphviz = _graphviz()
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
    picture = _Picture(root, show_data, show_grad, grads, highlight, extra, collapse)
    dot = graphviz.Digraph("computation_graph", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                                            "nodesep": "0.25", "ranksep": "0.35"},
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"color": "#4b5563", "arrowsize": "0.7"})
    homes = boxes.homes() if boxes is not None else {}
    members: dict[Box | None, list[Tensor]] = {}
    for t in picture.nodes:
        members.setdefault(homes.get(id(t)), []).append(t)
    _emit_boxes(dot, members, picture.emit)
    picture.edges(dot)
    return dot


class _Picture:
    """What ``draw_graph`` draws: the tensors (less those a collapsed chain hides), their names and
    keys, the gradients shown, the highlighted ones; ``emit`` draws one tensor and its op."""

    def __init__(self, root: Tensor, show_data: bool, show_grad: bool, grads: Mapping[Any, np.ndarray] | None,
                 highlight: Tensor | Iterable[Tensor] | None, extra: Mapping[Any, Mapping[str, np.ndarray]] | None,
                 collapse: Mapping[Tensor, tuple[Sequence[Tensor], str]] | None) -> None:
        nodes = all_nodes(root)
        self.root, self.show_data, self.show_grad = root, show_data, show_grad
        self.names = display_names(nodes)
        self.keys = {id(t): f"t{k}" for k, t in enumerate(nodes)}  # in forward order
        self.shortcuts = _shortcuts(collapse or {}, nodes)
        hidden = {i for _, _, inside in self.shortcuts.values() for i in inside}
        self.nodes = [t for t in nodes if id(t) not in hidden]
        if grads is None and show_grad:
            grads = gradients(root) if root.requires_grad and root.size == 1 else {id(t): t.grad for t in nodes}
        self.grads = _by_id(grads) if grads is not None else None  # keyed by tensor or by id(tensor)
        self.hot = {id(highlight)} if isinstance(highlight, Tensor) else {id(t) for t in highlight or ()}
        self.extra = _by_id(extra or {})

    def emit(self, graph: Any, t: Tensor) -> None:
        kind, hot, key = _kind(t, self.root), id(t) in self.hot, self.keys[id(t)]
        label = _tensor_label(t, self.names[id(t)], self.show_data, self.grads.get(id(t)) if self.grads else None,
                              self.show_grad, self.extra.get(id(t)))
        graph.node(key, label, shape="box", style="rounded,filled" + (",bold" if kind == "output" or hot else ""),
                   fillcolor=COLORS["highlight"] if hot else COLORS[kind],
                   color="#dc2626" if hot else "#374151", penwidth="3" if hot else "1")
        if t.op is not None:
            shortcut = self.shortcuts.get(id(t))
            label = _op_label(t) if shortcut is None else f"<{html.escape(shortcut[1])}>"
            graph.node(key + "op", label, shape="ellipse", style="filled",
                       fillcolor=COLORS["highlight"] if hot else COLORS["op"],
                       color="#dc2626" if hot else "#92400e", penwidth="3" if hot else "1")

    def edges(self, dot: Any) -> None:
        """Parent → op → result, in the direction the data flows."""
        keys = self.keys
        for t in self.nodes:
            if t.op is not None:
                for p in self.shortcuts[id(t)][0] if id(t) in self.shortcuts else t.parents:
                    dot.edge(keys[id(p)], keys[id(t)] + "op")
                dot.edge(keys[id(t)] + "op", keys[id(t)])


def _shortcuts(collapse: Mapping[Tensor, tuple[Sequence[Tensor], str]],
               nodes: list[Tensor]) -> dict[int, tuple[list[Tensor], str, set]]:
    """For each collapsed tensor s (by id): its inputs, its label, and the ids of the tensors
    between them (what s is computed from, short of the inputs). A chain that holds a tensor
    taking a gradient of its own, or one that something outside it uses, is drawn as usual."""
    found = {}
    for out, (inputs, label) in collapse.items():
        stop = {id(t) for t in inputs}
        inside: dict[int, Tensor] = {}
        stack = [out]
        while stack:
            for p in stack.pop().parents:
                if id(p) not in stop and id(p) not in inside:
                    inside[id(p)] = p
                    stack.append(p)
        if not any(t.is_leaf and t.requires_grad for t in inside.values()):
            found[id(out)] = (list(inputs), label, inside)
    for key, (_, _, inside) in list(found.items()):
        if any(id(p) in inside for t in nodes if id(t) not in inside and id(t) != key for p in t.parents):
            del found[key]
    return {key: (inputs, label, set(inside)) for key, (inputs, label, inside) in found.items()}


def _by_id(mapping: Mapping[Any, Any]) -> dict[int, Any]:
    """A mapping keyed by tensors or by their ``id``, keyed by id."""
    return {k if isinstance(k, int) else id(k): v for k, v in mapping.items()}


def _emit_boxes(dot: Any, members: dict[Box | None, list[Tensor]], emit: Any) -> None:
    """Nested subgraphs, one per module call: a box holding no tensor of its own and a single
    inner box is merged into it (``MLP(2→4→4→1) › Sequential``), so no empty frames nest."""
    children: dict[Box | None, list[Box]] = {}
    for box in [b for b in members if b is not None]:
        chain = box.chain()
        for parent, child in zip([None, *chain[:-1]], chain, strict=True):
            kids = children.setdefault(parent, [])
            if child not in kids:
                kids.append(child)

    def fill(graph: Any, box: Box | None) -> None:
        for t in members.get(box, []):
            emit(graph, t)
        for child in children.get(box, []):
            labels = [child.label]
            while not members.get(child) and len(children.get(child, [])) == 1:
                child = children[child][0]
                labels.append(child.label)
            with graph.subgraph(name=f"cluster_{child.id}") as frame:
                frame.attr(label=" › ".join(labels), style="rounded,dashed", color="#6366f1",
                           fontcolor="#4338ca", fontsize="12", labeljust="l")
                fill(frame, child)

    fill(dot, None)


def render(root: Tensor | Any, path: str | os.PathLike[str], format: str = "svg", **options: Any) -> Path:  # noqa: A002
    """Draw ``root``'s graph (or render a Digraph given directly) to ``path``.

    The file's suffix picks the format (``.svg``, ``.png``, ``.pdf``, ``.dot``); ``format``
    is used when the path has none. The file is written atomically. Without the ``dot``
    program, the DOT source is written beside it (``graph.dot``), a note says how to install
    Graphviz, and that path is returned: no traceback.
    """
    graphviz = _graphviz()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower() or format.lower()
    if not path.suffix:
        path = path.with_suffix("." + fmt)
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise ValueError(f"render: cannot write {path.name}: the format {fmt!r} is not one of svg, png, pdf, dot")
    dot = root if isinstance(root, graphviz.Digraph) else draw_graph(root, **options)
    if fmt in ("dot", "gv"):
        return write_atomic(path, dot.source)
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        fallback = write_atomic(path.with_suffix(".dot"), dot.source)
        print(f"note: wrote the DOT source to {fallback} instead of {path.name}: Graphviz's dot program was "
              f"not found; {INSTALL_HINT}", file=sys.stderr)
        return fallback
    return write_atomic(path, data)
