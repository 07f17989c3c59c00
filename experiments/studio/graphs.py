"""Pictures of a traced graph (``trace.trace``) as SVG, laid out by Graphviz's ``dot``.

Tensors are boxes (name and shape, a value line, a gradient line), ops are ovals, edges
follow the data, and each module call is a dashed box around what it made. The SVG is made
for a page that changes it in place: every tensor's group has the trace's node id
(``n3``), its op's group ``n3op``, the edge from a parent into argument slot k ``n3e0``,
``n3e1``..., the edge from the op to its result ``n3out``; the value and gradient lines are
``<text class="value">`` and ``<text class="grad">``, so the page can rewrite them at each
step of a pass without a new layout.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

FILL = {"input": "#e5e7eb", "param": "#bfdbfe", "intermediate": "#ffffff", "output": "#bbf7d0"}
OP_FILL = "#fef3c7"
DOT_TIMEOUT = 20  # seconds
NO_DOT = ("Graphviz's dot program is not installed, so the graph cannot be drawn: "
          "'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS)")


class GraphError(RuntimeError):
    """The picture cannot be made (no ``dot`` program); the message says how to fix it."""


def dot_available() -> bool:
    return shutil.which("dot") is not None


def to_svg(tr: Mapping[str, Any], values: Mapping[str, str], grads: Mapping[str, str],
           rankdir: str = "LR") -> str:
    """The SVG of trace ``tr``: ``values[id]`` and ``grads[id]`` are the texts of each
    tensor's value and gradient lines (the widest text the page will put there, so the
    layout leaves room for it); a node missing from ``grads`` has no gradient line."""
    if not dot_available():
        raise GraphError(NO_DOT)
    source = dot_source(tr, values, grads, rankdir)
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, timeout=DOT_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        raise GraphError(f"Graphviz's dot took more than {DOT_TIMEOUT} s to lay the graph out") from None
    if done.returncode != 0:
        raise GraphError(f"Graphviz's dot failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    return _mark_lines(done.stdout.decode())


def dot_source(tr: Mapping[str, Any], values: Mapping[str, str], grads: Mapping[str, str],
               rankdir: str = "LR") -> str:
    """The DOT text of the picture (see ``to_svg``)."""
    nodes = tr["nodes"]
    homes = _homes(nodes)
    lines = [f'digraph computation {{ rankdir={rankdir}; nodesep=0.25; ranksep=0.35; bgcolor="transparent";',
             '  graph [fontname="Helvetica"]; node [fontname="Helvetica", fontsize=11];',
             '  edge [color="#4b5563", arrowsize=0.7];']
    _clusters(lines, nodes, homes, values, grads)
    for node in nodes:
        for slot, parent in enumerate(node["parents"]):
            lines.append(f'  "{parent}" -> "{node["id"]}op" [id="{node["id"]}e{slot}"];')
        if node["op"] is not None:
            lines.append(f'  "{node["id"]}op" -> "{node["id"]}" [id="{node["id"]}out"];')
    lines.append("}")
    return "\n".join(lines)


def _tensor(node: Mapping[str, Any], value: str, grad: str | None) -> str:
    shape = "scalar" if not node["shape"] else "×".join(map(str, node["shape"]))
    rows = [f'<tr><td align="left"><b>{html.escape(node["name"])}</b>  '
            f'<font color="#6b7280">{shape}</font></td></tr>',
            f'<tr><td align="left">{html.escape(value)}</td></tr>']
    if grad is not None:
        rows.append(f'<tr><td align="left"><font color="#b91c1c">{html.escape(grad)}</font></td></tr>')
    table = '<table border="0" cellborder="0" cellspacing="0" cellpadding="1">' + "".join(rows) + "</table>"
    return (f'  "{node["id"]}" [id="{node["id"]}", shape=box, style="rounded,filled", '
            f'fillcolor="{FILL[node["kind"]]}", label=<{table}>];')


def _op(node: Mapping[str, Any]) -> str:
    label, symbol = html.escape(node["label"]), node["symbol"]
    text = (f'<font point-size="15">{html.escape(symbol)}</font><br/><font point-size="9">{label}</font>'
            if symbol and symbol != node["label"] else label)
    return (f'  "{node["id"]}op" [id="{node["id"]}op", shape=ellipse, style=filled, fillcolor="{OP_FILL}", '
            f'color="#92400e", label=<{text}>];')


def _homes(nodes: list[Mapping[str, Any]]) -> dict[str, tuple]:
    """The chain of module boxes each node is drawn in: where it was made; a parameter made
    outside any module joins its consumers' box when they all share one (a Linear's W and
    b sit in that Linear's box)."""
    chain = {n["id"]: tuple((s["id"], s["label"]) for s in n["scopes"]) for n in nodes}
    consumers: dict[str, set[tuple]] = {}
    for n in nodes:
        for p in n["parents"]:
            consumers.setdefault(p, set()).add(chain[n["id"]])
    homes = {}
    for n in nodes:
        home = chain[n["id"]]
        if n["kind"] == "param" and not home and len(consumers.get(n["id"], ())) == 1:
            home = next(iter(consumers[n["id"]]))
        homes[n["id"]] = home
    return homes


def _clusters(lines: list[str], nodes: list[Mapping[str, Any]], homes: dict[str, tuple],
              values: Mapping[str, str], grads: Mapping[str, str]) -> None:
    """Nested ``subgraph cluster_...`` blocks, one per module call, each holding its nodes."""
    tree: dict[tuple, list[Mapping[str, Any]]] = {}
    for n in nodes:
        tree.setdefault(homes[n["id"]], []).append(n)
    chains = sorted({home[:k] for home in tree for k in range(len(home) + 1)}, key=len)

    def emit(chain: tuple, indent: str) -> None:
        for n in tree.get(chain, []):
            lines.append(indent + _tensor(n, values.get(n["id"], "value"), grads.get(n["id"])).strip())
            if n["op"] is not None:
                lines.append(indent + _op(n).strip())
        for child in [c for c in chains if len(c) == len(chain) + 1 and c[:len(chain)] == chain]:
            scope_id, label = child[-1]
            lines.append(f'{indent}subgraph "cluster_{scope_id}" {{ label=<{html.escape(label)}>; '
                         f'style="rounded,dashed"; color="#6366f1"; fontcolor="#4338ca"; fontsize=12; '
                         f'labeljust=l;')
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")

    emit((), "  ")


def _mark_lines(svg: str) -> str:
    """Give each tensor's value and gradient lines a class the page can find, and return
    the bare ``<svg>`` element (no XML prolog), ready to be put into a page."""
    root = ET.fromstring(svg)
    for group in root.iter(f"{{{SVG_NS}}}g"):
        if group.get("class") != "node" or (group.get("id") or "").endswith("op"):
            continue
        texts = [t for t in group.iter(f"{{{SVG_NS}}}text")]
        for t in texts:
            content = t.text or ""
            if content.startswith("value"):
                t.set("class", "value")
            elif content.startswith("grad"):
                t.set("class", "grad")
    return ET.tostring(root, encoding="unicode")
