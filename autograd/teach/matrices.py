"""Small matrices shown as matrices, and an op's gradient rule with its numbers filled in.

Between micrograd's scalars and a picture that shows only shapes: a tensor of at most 6×6 is
drawn in full, as text

    ⎡ 0.1   -0.2 ⎤
    ⎣ 0.25   1   ⎦

or as a Graphviz table, and the rule that made a gradient is written out with its operands
side by side (``instantiate``):

    dL/dW          Xᵀ                 dL/dt1
    ⎡ 0.1 ⎤   =   ⎡ 0  0.5 ⎤    @    ⎡ 0.2 ⎤
    ⎣ 0.3 ⎦       ⎣ 1  0.5 ⎦         ⎣ 0.1 ⎦
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.tensor import Tensor

SIDE = 6  # a tensor is shown in full when it has at most 2 axes of at most this many entries

Term = tuple[str, np.ndarray] | str  # a labelled matrix, or an operator written between two


def is_small(a: Any) -> bool:
    """True for a scalar, a vector or a matrix with every side at most ``SIDE``."""
    a = np.asarray(a)
    return a.ndim <= 2 and all(n <= SIDE for n in a.shape) and a.size > 0


def cell(v: Any) -> str:
    """One number with four significant digits (a bool as 0 or 1)."""
    return f"{float(v) + 0.0:.4g}"  # (+ 0.0 turns -0.0 into 0)


def grid(a: Any) -> list[str]:
    """The lines of ``a`` drawn as a matrix: a scalar as its number, a vector as one row."""
    a = np.asarray(a)
    if a.ndim == 0:
        return [cell(a)]
    rows = [[cell(v) for v in row] for row in np.atleast_2d(a)]
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    texts = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    if len(texts) == 1:
        return [f"[ {texts[0]} ]"]
    sides = [("⎡", "⎤")] + [("⎢", "⎥")] * (len(texts) - 2) + [("⎣", "⎦")]
    return [f"{left} {t} {right}" for (left, right), t in zip(sides, texts, strict=True)]


def side_by_side(terms: Sequence[Term], indent: str = "") -> str:
    """Labelled matrices in one row, each label above its matrix, operators between them
    centred on the tallest: ``[("A", a), "@", ("B", b), "=", ("C", c)]``."""
    blocks = []
    for term in terms:
        if isinstance(term, str):
            blocks.append(("", [term]))
        else:
            label, value = term
            blocks.append((label, grid(value)))
    height = max(len(lines) for _, lines in blocks)
    columns = []
    for label, lines in blocks:
        width = max(len(label), *(len(line) for line in lines))
        top = (height - len(lines)) // 2 if not label else 0
        body = [""] * top + lines + [""] * (height - len(lines) - top)
        columns.append([label.ljust(width)] + [line.ljust(width) for line in body])
    rows = ["   ".join(parts).rstrip() for parts in zip(*columns, strict=True)]
    return "\n".join(indent + row for row in rows)


def grid_html(a: Any, color: str | None = None) -> str:
    """``a`` as a Graphviz HTML table: one cell per number (in ``color``), in a thin frame."""
    a = np.asarray(a)

    def ink(text: str) -> str:
        return f'<font color="{color}">{html.escape(text)}</font>' if color else html.escape(text)
    rows = "".join("<tr>" + "".join(f'<td align="right">{ink(cell(v))}</td>' for v in row) + "</tr>"
                   for row in np.atleast_2d(a))
    return f'<table border="1" cellborder="0" cellspacing="0" cellpadding="1" color="#9ca3af">{rows}</table>'


# ---- the rules, instantiated -----------------------------------------------------------------
def _transposed(name: str, a: np.ndarray) -> tuple[str, np.ndarray]:
    return (f"{name}ᵀ" if len(name) <= 2 else f"({name})ᵀ"), a.T


def instantiate(node: Tensor, k: int, g: np.ndarray, vjp: np.ndarray, names: dict[int, str],
                top: str = "L") -> list[Term] | None:
    """dL/d(input k) of ``node``'s op as labelled matrices, ``[("dL/dW", ...), "=", ("Xᵀ", ...),
    "@", ("dL/dt1", ...)]``, from the upstream gradient ``g`` and what the op's VJP gave
    (``vjp``), for the ops whose rule is a product of matrices (matmul, mul, sigmoid, tanh,
    exp, log). None for other ops, for an input that was broadcast (its gradient is then a
    sum, which ``explain`` says in words) and when a matrix is too big to show."""
    op, parents = node.op, node.parents
    name, parent = names[id(node)], parents[k]
    if np.shape(vjp) != parent.shape:
        return None
    upstream = (f"d{top}/d{name}", np.asarray(g))
    lhs: list[Term] = [(f"d{top}/d{names[id(parent)]}", np.asarray(vjp)), "="]
    values = [p.data for p in parents]
    if op.name == "matmul" and all(v.ndim == 2 for v in values):
        other = 1 - k
        factor = _transposed(names[id(parents[other])], values[other])
        terms = [upstream, "@", factor] if k == 0 else [factor, "@", upstream]
    elif op.name == "mul":
        terms = [upstream, "⊙", (names[id(parents[1 - k])], values[1 - k])]
    elif op.name == "sigmoid":
        terms = [upstream, "⊙", (f"{name}·(1 - {name})", node.data * (1 - node.data))]
    elif op.name == "tanh":
        terms = [upstream, "⊙", (f"1 - {name}²", 1 - node.data**2)]
    elif op.name == "exp":
        terms = [upstream, "⊙", (name, node.data)]
    elif op.name == "log":
        terms = [upstream, "/", (names[id(parent)], values[0])]
    else:
        return None
    full = lhs + terms
    if not all(isinstance(t, str) or is_small(t[1]) for t in full):
        return None
    return full
