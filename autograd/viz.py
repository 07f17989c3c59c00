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

from autograd.backward import gradients
from autograd.files import write_atomic
from autograd.graph import all_nodes, display_names
from autograd.modes import Scope
from autograd.tensor import Tensor

INSTALL_HINT = ("install Graphviz's dot program: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
                "'brew install graphviz' (macOS) or 'conda install graphviz'")
SMALL = 12  # tensors with at most this many elements show every value

SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "matmul": "@", "linear": "X·W+b", "neg": "−x",
           "sigmoid": "σ", "exp": "eˣ", "log": "ln", "sqrt": "√", "abs": "|x|", "sum": "Σ", "mean": "x̄", "max": "max",
           "tanh": "tanh", "relu": "relu", "pow": "xʸ"}
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
    if a.ndim == 0:
        return f"{a.item():.4g}"
    if a.size <= SMALL:
        text = np.array2string(a, precision=4, separator=", ", suppress_small=True, max_line_width=60)
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
    symbol = SYMBOLS.get(op.name)
    if symbol and symbol != op.label():
        return f'<<font point-size="16">{html.escape(symbol)}</font><br/><font point-size="9">{text}</font>>'
    return f"<{text}>"


def _kind(t: Tensor, root: Tensor) -> str:
    if t is root:
        return "output"
    if t.is_leaf:
        return "param" if t.requires_grad else "input"
    return "inner"


def _homes(nodes: list[Tensor]) -> dict[Tensor, Scope | None]:
    """The box each tensor is drawn in: the scope it was made in. A leaf that takes a
    gradient (a parameter) has none of its own, so it joins its consumers' box when they all
    share one: a Linear's W and b sit inside that Linear's box."""
    consumers: dict[Tensor, set[Scope | None]] = {}
    for t in nodes:
        for p in t._parents:
            consumers.setdefault(p, set()).add(t._scope)
    homes = {}
    for t in nodes:
        home = t._scope
        if t.is_leaf and t.requires_grad and home is None and len(consumers.get(t, ())) == 1:
            home = next(iter(consumers[t]))
        homes[t] = home
    return homes


def draw_graph(root: Tensor, *, show_data: bool = True, show_grad: bool = True, rankdir: str = "LR",
               cluster_modules: bool = True, highlight: Tensor | None = None,
               grads: Mapping[Tensor, np.ndarray] | None = None) -> Any:
    """The computation graph that made ``root``, as a ``graphviz.Digraph``.

    Tensors are boxes (name, shape, data, grad); ops are ovals; edges follow the data. The
    gradient shown for every tensor is d(root)/d(tensor), from a backward pass of the
    picture's own that writes no ``.grad`` (so intermediates show theirs too); a root with
    more than one element shows the stored ``.grad`` values, and ``grads`` (a mapping from
    tensors to arrays) shows exactly those.
    Colours: grey for inputs and constants, blue for parameters and variables that take a
    gradient, white for intermediates, green for the output. With ``cluster_modules``, each
    module call is a labelled box around the tensors it made (``Linear(2→4)``). ``highlight``
    marks one tensor and its op in red (``explain`` uses it for its step pictures).
    In Jupyter the returned object displays itself as SVG.
    """
    graphviz = _graphviz()
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
    nodes = all_nodes(root)
    names = display_names(nodes)
    ids = {t: f"t{k}" for k, t in enumerate(nodes)}
    if grads is None and show_grad:
        grads = gradients(root) if root.requires_grad and root.size == 1 else {t: t.grad for t in nodes}
    dot = graphviz.Digraph("computation_graph", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                                            "nodesep": "0.25", "ranksep": "0.35"},
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"color": "#4b5563", "arrowsize": "0.7"})
    homes = _homes(nodes) if cluster_modules else dict.fromkeys(nodes)
    members: dict[Scope | None, list[Tensor]] = {}
    for t in nodes:
        members.setdefault(homes[t], []).append(t)

    def emit(graph: Any, t: Tensor) -> None:
        kind = _kind(t, root)
        hot = t is highlight
        label = _tensor_label(t, names[t], show_data, grads.get(t) if grads else None, show_grad)
        graph.node(ids[t], label, shape="box",
                   style="rounded,filled" + (",bold" if kind == "output" or hot else ""),
                   fillcolor=COLORS["highlight"] if hot else COLORS[kind],
                   color="#dc2626" if hot else "#374151", penwidth="3" if hot else "1")
        if t.op is not None:
            graph.node(ids[t] + "op", _op_label(t), shape="ellipse", style="filled",
                       fillcolor=COLORS["highlight"] if hot else COLORS["op"],
                       color="#dc2626" if hot else "#92400e", penwidth="3" if hot else "1")

    _emit_boxes(dot, members, emit)
    for t in nodes:
        if t.op is not None:
            for p in t._parents:
                dot.edge(ids[p], ids[t] + "op")
            dot.edge(ids[t] + "op", ids[t])
    return dot


def _emit_boxes(dot: Any, members: dict[Scope | None, list[Tensor]], emit: Any) -> None:
    """Nested subgraphs, one per scope: a scope holding no tensor of its own and a single
    inner box is merged into it (``MLP(2→4→4→1) › Sequential``), so no empty frames nest."""
    children: dict[Scope | None, list[Scope]] = {}
    for scope in [s for s in members if s is not None]:
        chain = scope.chain()
        for parent, child in zip([None, *chain[:-1]], chain, strict=True):
            kids = children.setdefault(parent, [])
            if child not in kids:
                kids.append(child)

    def fill(graph: Any, scope: Scope | None) -> None:
        for t in members.get(scope, []):
            emit(graph, t)
        for child in children.get(scope, []):
            labels = [child.label]
            while not members.get(child) and len(children.get(child, [])) == 1:
                child = children[child][0]
                labels.append(child.label)
            with graph.subgraph(name=f"cluster_{child.id}") as box:
                box.attr(label=" › ".join(labels), style="rounded,dashed", color="#6366f1",
                         fontcolor="#4338ca", fontsize="12", labeljust="l")
                fill(box, child)

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
