"""How the tape's lines read: the evaluation trace as a Wengert list (v1 = X @ W1, v2 = v1 + b1,
v3 = σ(v2), ...) and the reverse sweep (v̄3 = ..., W1.grad += Xᵀ @ v̄1), with the op's own
formulas (``Function.formula``, ``Function.gradient_formula``)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from autograd.ops.reduce import broadcast_axes

FUNCTIONS = {"sigmoid": "σ", "log": "ln", "exp": "exp", "tanh": "tanh"}
COMPARISONS = {"less": "<", "less_equal": "≤", "greater": ">", "greater_equal": "≥", "equal": "==",
               "not_equal": "≠", "logical_and": "∧", "logical_or": "∨"}
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def bar(name: str) -> str:
    """The adjoint's name: v3 → v̄3 (Griewank's notation), X → X̄."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    return f"{match[1]}\u0304{match[2]}" if match else f"{name}\u0304"


def forward_text(b: Any, node: Any) -> str:
    names = [b.val(t).name for t in node.inputs]
    if node.kind == "op":
        op = node.op
        if op.infix:
            return f" {op.infix} ".join(names)
        if op.name in FUNCTIONS:
            return f"{FUNCTIONS[op.name]}({names[0]})"
        return op.formula(*names)
    if node.kind == "unit":
        from autograd.compile.units import settings_text

        settings = settings_text(node)
        return f"{node.op.__name__}({', '.join(names + ([settings] if settings else []))})"
    if node.kind == "compare":
        return f"{names[0]} {COMPARISONS.get(node.op.__name__, node.op.__name__)} {names[1]}"
    if node.kind == "invert":
        return f"¬{names[0]}"
    return f"copy({names[0]})"


def backward_text(b: Any, node: Any, k: int, g: Any) -> str:
    """dL/d(input k) of ``node``, with the operands' names."""
    out = b.vals[id(node.out)].name
    names = [b.val(t).name for t in node.inputs]
    gname = bar(out)
    if node.kind == "op":
        return node.op.gradient_formula(k, gname, out, names)
    from autograd.compile.units import UNITS, has_kernel

    if has_kernel(node):
        return UNITS[node.op.__name__].gradients[k].format(*names, g=gname, out=out)
    return f"{node.op.__name__}'s VJP of {gname} (run eagerly)"


def summed_text(text: str, shape: tuple[int, ...], target: tuple[int, ...]) -> str:
    """``text`` summed over the axes numpy broadcast ``target`` along: Σ₀(...) for a bias."""
    if tuple(shape) == tuple(target):
        return text
    axes = broadcast_axes(tuple(shape), tuple(target))
    return f"Σ{','.join(str(a) for a in axes).translate(SUBSCRIPTS)}({text})" if axes else text


def nbytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def shape_text(array: np.ndarray) -> str:
    return "×".join(str(n) for n in array.shape) or "scalar"
