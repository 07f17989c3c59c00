"""The checker's report as text: what was run, every gradient compared from the loss backwards,
and for the first that disagrees both values as matrices, the diagnosis, and the engine's rule
with its numbers."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

from autograd import Tensor
from autograd.ops.reduce import broadcast_axes, unbroadcast
from autograd.teach.explain import number
from autograd.teach.graph import all_nodes, display_names
from autograd.teach.matrices import instantiate, is_small, side_by_side
from experiments.check.diagnose import activations

if TYPE_CHECKING:
    from experiments.check import Report

WIDTH = 100


def shape_text(a: np.ndarray) -> str:
    return "scalar" if np.ndim(a) == 0 else "×".join(map(str, np.shape(a)))


def matrices(terms: list, indent: str = "    ") -> str:
    """Labelled arrays side by side when each is small enough to show in full, else one summary
    line each."""
    if all(isinstance(t, str) or is_small(t[1]) for t in terms):
        return side_by_side(terms, indent)
    return "\n".join(f"{indent}{label}: {number(value)}" for label, value in (t for t in terms
                                                                              if not isinstance(t, str)))


def report_text(report: Report) -> str:
    """The whole report."""
    lines = [f"Checking {report.path} ({report.title})",
             f"  data   {report.data_text}",
             f"  loss   {report.loss_source}", ""]
    comparisons = report.comparisons
    if not comparisons.items:
        lines.append("No gradient of your backward pass could be matched to a tensor of your forward pass: name "
                     "them after the tensors (dW1 for W1, dz2 for z2), or keep them as attributes.")
    else:
        lines.append("Your backward pass against the engine, from the loss backwards:")
        lines += _table(report)
    if comparisons.unmatched:
        lines.append(_wrap(f"not compared: {', '.join(comparisons.unmatched)} (no tensor of your forward pass has "
                           f"that name, and no unnamed one has those numbers)", "  "))
    if comparisons.missing:
        lines.append(_wrap(f"no gradient found for: {', '.join(comparisons.missing)}", "  "))
    first = comparisons.first
    lines.append("")
    if first is None:
        if comparisons.items:
            lines.append(f"✓ All {len(comparisons.items)} gradients agree with the engine's.")
        return "\n".join(lines)
    wrong = sum(not c.agrees for c in comparisons.items)
    lines += [f"✗ dL/d{first.name} disagrees ({wrong} of {len(comparisons.items)} gradients differ, this one first "
              f"from the loss).", "",
              matrices([(f"the engine: dL/d{first.name}", first.engine), (f"yours: {first.yours_name}", first.yours)]),
              "", _wrap(f"Diagnosis: {report.diagnosis.text}", "", "  "), ""]
    lines += _how(report, first.node)
    return "\n".join(lines).rstrip()


def _table(report: Report) -> list[str]:
    items = report.comparisons.items
    width = max(len(f"dL/d{c.name}") for c in items)
    shapes = max(len(shape_text(c.engine)) for c in items)
    first = report.comparisons.first
    rows = []
    for c in items:
        mark = "✓" if c.agrees else "✗"
        tail = "   ← the first that disagrees" if c is first else ""
        note = f"   ({c.note})" if c.note else ""
        rows.append(f"  {mark}  {f'dL/d{c.name}'.ljust(width)}  {shape_text(c.engine).ljust(shapes)}  "
                    f"{c.yours_name}{tail}{note}")
    return rows


def _how(report: Report, node: Tensor) -> list[str]:
    """How the engine computed dL/d(node): the rule of what used it, with its numbers. A
    sigmoid or tanh written out by hand is told as one step, as is the mean squared error."""
    grads = report.comparisons.grads
    nodes = all_nodes(report.loss)
    names = display_names(nodes)
    title = names[id(node)]
    head = f"How the engine computes dL/d{title}:"
    activation = next(((kind, s) for kind, z, s in activations(report.loss) if z is node), None)
    if activation is not None:
        kind, s = activation
        sn = names[id(s)]
        slope = (f"{sn}·(1 − {sn})", s.data * (1 - s.data)) if kind == "sigmoid" else (f"1 − {sn}²", 1 - s.data**2)
        return [head, f"  {sn} = {kind}({title}), so dL/d{title} = dL/d{sn} ⊙ {slope[0]}", "",
                matrices([(f"dL/d{title}", grads[id(node)]), "=", (f"dL/d{sn}", grads[id(s)]), "⊙", slope]), ""]
    if node is report.prediction and report.mean_squared_error:
        p, y, n = node.data, report.target.reshape(node.shape), node.size
        t = "y_true" if title == "y" else "y"
        return [head, f"  L = mean(({title} − {t})²) over {n} numbers, so dL/d{title} = 2({title} − {t})/{n}", "",
                matrices([(f"dL/d{title}", grads[id(node)]), "=", (f"2/{n}", np.array(2.0 / n)), "·",
                          (f"{title} − {t}", p - y)]), ""]
    lines = [head]
    mentioned: set[int] = set()
    for consumer in [t for t in nodes if t.op is not None and id(t) in grads and any(p is node for p in t.parents)]:
        k = next(i for i, p in enumerate(consumer.parents) if p is node)
        lines += _rule(consumer, k, grads[id(consumer)], names, title)
        mentioned |= {id(p) for p in (consumer, *consumer.parents)}
    lines += [f"  where {names[id(t)]} = {t.op.formula(*[names[id(p)] for p in t.parents])}"
              for t in nodes if id(t) in mentioned and not t.name and t.op is not None]
    return lines if len(lines) > 1 else []


def _rule(consumer: Tensor, k: int, g: np.ndarray, names: dict[int, str], title: str) -> list[str]:
    """One op's rule for its input k, with its numbers where they are small."""
    vjps = consumer.op.backward(g, consumer.data, *[p.data for p in consumer.parents])
    vjp = np.asarray(vjps[k] if isinstance(vjps, tuple) else vjps)
    cname = names[id(consumer)]
    inputs = [names[id(p)] for p in consumer.parents]
    formula = consumer.op.gradient_formula(k, f"dL/d{cname}", cname, inputs)
    lines = [f"  {cname} = {consumer.op.formula(*inputs)}, so dL/d{title} = {formula}"]
    terms = instantiate(consumer, k, g, vjp, names)
    parent = consumer.parents[k]
    if terms is None and vjp.shape != parent.shape:  # broadcast in the forward pass: summed back
        axes = broadcast_axes(vjp.shape, parent.shape)
        summed = unbroadcast(vjp, parent.shape)
        lines[-1] += f", summed over axis {axes[0] if len(axes) == 1 else axes} ({title} was broadcast there)"
        terms = [(f"dL/d{title}", summed), "= Σ", (formula, vjp)]
    if terms is not None:
        lines += ["", matrices(terms), ""]
    return lines


def _wrap(text: str, indent: str, more: str = "    ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + more)
