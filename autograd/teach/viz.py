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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from autograd.teach.boxes import Box, module_boxes
from autograd.teach.files import write_atomic
from autograd.teach.graph import all_nodes, display_names, gradients
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


def _tensor_label(t: Tensor, name: str, show_data: bool, grad: np.ndarray | None, show_grad: bool) -> str:
    shape = "scalar" if t.ndim == 0 else "×".join(map(str, t.shape))
    rows = [f'<tr><td><b>{html.escape(name)}</b>  <font color="#6b7280">{shape}</font></td></tr>']
    if show_data:
        rows.append(f'<tr><td align="left">data {_values(t.data)}</td></tr>')
    if show_grad and t.requires_grad:
        text = "—" if grad is None else _values(grad)
        rows.append(f'<tr><td align="left"><font color="#b91c1c">grad {text}</font></td></tr>')
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
               boxes: module_boxes | None = None, highlight: Tensor | None = None,
               grads: Mapping[Any, np.ndarray] | None = None) -> Any:
    """The computation graph that made ``root``, as a ``graphviz.Digraph``.

    Tensors are boxes (name, shape, data, grad); ops are ovals; edges follow the data. The
    gradient shown for every tensor is d(root)/d(tensor), from a backward pass of the
    picture's own that writes no ``.grad`` (so intermediates show theirs too); a root with
    more than one element shows the stored ``.grad`` values, and ``grads`` (a mapping from
    tensors, or their ``id``, to arrays) shows exactly those.
    Colours: grey for inputs and constants, blue for parameters and variables that take a
    gradient, white for intermediates, green for the output. With ``boxes`` (recorded by
    ``module_boxes`` around the forward pass), each module call is a labelled box around the
    tensors it made (``Linear(2→4)``). ``highlight`` marks one tensor and its op in red
    (``explain`` uses it for its step pictures). In Jupyter the Digraph shows itself as SVG.
    """
    graphviz = _graphviz()
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
    nodes = all_nodes(root)
    names = display_names(nodes)
    keys = {id(t): f"t{k}" for k, t in enumerate(nodes)}  # in forward order
    if grads is None and show_grad:
        grads = gradients(root) if root.requires_grad and root.size == 1 else {id(t): t.grad for t in nodes}
    elif grads is not None:  # keyed by tensor or by id(tensor)
        grads = {k if isinstance(k, int) else id(k): v for k, v in grads.items()}
    dot = graphviz.Digraph("computation_graph", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                                            "nodesep": "0.25", "ranksep": "0.35"},
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"color": "#4b5563", "arrowsize": "0.7"})
    homes = boxes.homes() if boxes is not None else {}
    members: dict[Box | None, list[Tensor]] = {}
    for t in nodes:
        members.setdefault(homes.get(id(t)), []).append(t)

    def emit(graph: Any, t: Tensor) -> None:
        kind, hot, key = _kind(t, root), t is highlight, keys[id(t)]
        label = _tensor_label(t, names[id(t)], show_data, grads.get(id(t)) if grads else None, show_grad)
        graph.node(key, label, shape="box", style="rounded,filled" + (",bold" if kind == "output" or hot else ""),
                   fillcolor=COLORS["highlight"] if hot else COLORS[kind],
                   color="#dc2626" if hot else "#374151", penwidth="3" if hot else "1")
        if t.op is not None:
            graph.node(key + "op", _op_label(t), shape="ellipse", style="filled",
                       fillcolor=COLORS["highlight"] if hot else COLORS["op"],
                       color="#dc2626" if hot else "#92400e", penwidth="3" if hot else "1")

    _emit_boxes(dot, members, emit)
    for t in nodes:
        if t.op is not None:
            for p in t.parents:
                dot.edge(keys[id(p)], keys[id(t)] + "op")
            dot.edge(keys[id(t)] + "op", keys[id(t)])
    return dot


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
