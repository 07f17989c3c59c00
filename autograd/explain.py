"""``explain``: the backward pass told node by node, in the order the engine visits them,
with the numbers the engine itself computes; optionally a picture per step and a page to
click through them."""

from __future__ import annotations

import base64
import html
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from autograd.backward import broadcast_axes, run_backward
from autograd.graph import all_nodes, display_names
from autograd.tensor import Tensor

SMALL = 12


@dataclass
class Step:
    """One visited node: its name, the gradient it received, and the text that tells it."""

    index: int
    node: Tensor
    name: str
    grad: np.ndarray
    text: str
    handed: dict[str, np.ndarray] = field(default_factory=dict)  # parent name → gradient handed to it


def _num(a: np.ndarray) -> str:
    """A number or a small array in full; a large array as shape and summary."""
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 1:
        return f"{a.item():.6g}"
    if a.size <= SMALL:
        return np.array2string(a, precision=6, separator=", ", suppress_small=False).replace("\n", "")
    return f"<{'×'.join(map(str, a.shape))}: mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}>"


def _shape(t: Tensor | np.ndarray) -> str:
    return "scalar" if t.ndim == 0 else "(" + ", ".join(map(str, t.shape)) + ")"


def _forward_line(node: Tensor, names: dict[Tensor, str]) -> str:
    args = ", ".join(names[p] for p in node.parents)
    return f"{names[node]} = {node.op.label()}({args}) = {_num(node.data)}"


def _tell(step_no: int, total: int, node: Tensor, g: np.ndarray, handed: list, names: dict[Tensor, str],
          root: Tensor) -> str:
    name, top = names[node], names[root]
    lines = []
    if node.op is None:
        lines.append(f"[{step_no}/{total}] {name}  {_shape(node)}, a leaf that takes a gradient")
        lines.append(f"  gradient   d{top}/d{name} = {_num(g)}   (stored in {name}.grad)")
        return "\n".join(lines)
    op = node.op
    lines.append(f"[{step_no}/{total}] {_forward_line(node, names)}   {_shape(node)}")
    seed = f"   (the seed: d{top}/d{top} = 1)" if node is root else ""
    lines.append(f"  upstream   d{top}/d{name} = {_num(g)}{seed}")
    lines.append(f"  rule       {op.rule}")
    lines.append(f"             {op.words}")
    scalar_case = all(p.size == 1 for p, _, _ in handed) and node.size == 1
    locals_ = op.backward(np.ones_like(g)) if scalar_case else None
    position = {id(p): i for i, p in enumerate(node.parents)}
    for parent, vjp, summed in handed:
        pname = names[parent]
        if scalar_case:
            local = locals_[position[id(parent)]]
            lines.append(f"  → {pname}: d{top}/d{pname} = d{top}/d{name} × ∂{name}/∂{pname} = "
                         f"{_num(g)} × {_num(local)} = {_num(summed)}")
            continue
        lines.append(f"  → {pname} {_shape(parent)}: {op.name}'s vector-Jacobian product of d{top}/d{name} "
                     f"{_shape(g)} gives {_shape(vjp)}")
        if summed.shape != vjp.shape:
            axes = broadcast_axes(vjp.shape, parent.shape)
            lines.append(f"      {pname} was broadcast to {_shape(vjp)} in the forward pass, so its gradient "
                         f"is summed over axis {axes if len(axes) > 1 else axes[0]} → {_shape(summed)}")
        lines.append(f"      d{top}/d{pname} += {_num(summed)}")
    return "\n".join(lines)


def explain(root: Tensor, frames: str | os.PathLike[str] | None = None, *, file: TextIO | None = None,
            title: str | None = None) -> list[Step]:
    """Run ``root.backward(retain_grads=True)`` and print, node by node in the order backward visits them,
    the upstream gradient, the op's local derivative rule in symbols and words, the numbers
    multiplied (scalars) or the shapes and the reduction that undoes broadcasting (tensors),
    and the gradient handed to each parent.

    The gradients of the graph's tensors are cleared first, so that each ``.grad`` afterwards
    is exactly the number printed for it. With ``frames="dir/"``, also writes one picture per
    step (the graph, the current node in red, the gradients known so far) and
    ``dir/backward.html``, a self-contained page that steps through them (Prev / Next, arrow
    keys) with each step's explanation beside its picture. Returns the steps.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"explain: expects a Tensor, got {type(root).__name__}")
    seed = root._seed(None)
    out = sys.stdout if file is None else file
    nodes = all_nodes(root)
    names = display_names(nodes)
    for t in nodes:
        if t.requires_grad:
            t.grad = None
    visited = [t for t in nodes if t.requires_grad]
    total = len(visited)
    steps: list[Step] = []
    pictures: list[bytes | None] = []
    drawer = _Frames(root, frames) if frames is not None else None
    if drawer is not None:
        pictures.append(drawer.picture(None))

    print(f"Forward pass ({len([t for t in nodes if t.op is not None])} ops):", file=out)
    for t in nodes:
        if t.op is None:
            print(f"  {names[t]} = {_num(t.data)}" + ("   (requires grad)" if t.requires_grad else ""), file=out)
        else:
            print(f"  {_forward_line(t, names)}", file=out)
    print(f"\nBackward pass: {total} nodes, from {names[root]} back to the inputs.", file=out)

    def on_step(node: Tensor, g: np.ndarray, handed: list) -> None:
        text = _tell(len(steps) + 1, total, node, g, handed, names, root)
        step = Step(len(steps) + 1, node, names[node], g, text, {names[p]: s for p, _, s in handed})
        steps.append(step)
        print("\n" + text, file=out)
        if drawer is not None:
            pictures.append(drawer.picture(node))

    run_backward(root, seed, on_step, retain_all=True)
    leaves = [t for t in nodes if t.is_leaf and t.requires_grad]
    if leaves:
        print("\nGradients:", file=out)
        for t in leaves:
            print(f"  d{names[root]}/d{names[t]} = {_num(t.grad)}", file=out)
    if drawer is not None:
        page = drawer.page(title or f"Backpropagation through {names[root]}", steps, pictures, names, nodes)
        print(f"\nWrote {page} ({len(steps)} steps)", file=out)
    return steps


class _Frames:
    """The pictures of ``explain(frames=...)`` and the page that shows them."""

    def __init__(self, root: Tensor, folder: str | os.PathLike[str]) -> None:
        from autograd import viz

        self.viz, self.root, self.folder = viz, root, Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        for old in self.folder.glob("step_[0-9][0-9][0-9].*"):  # frames of an earlier, longer run
            if old.suffix in (".svg", ".dot"):
                old.unlink()
        self.has_dot = viz.dot_available()
        if not self.has_dot:
            print(f"note: Graphviz's dot program was not found, so the step pictures are written as .dot "
                  f"source and the page shows the text only; {viz.INSTALL_HINT}", file=sys.stderr)

    def picture(self, current: Tensor | None) -> bytes | None:
        k, self.count = self.count, self.count + 1
        known = {t: t.grad for t in all_nodes(self.root) if t.grad is not None}  # the pass so far
        graph = self.viz.draw_graph(self.root, highlight=current, grads=known)
        if not self.has_dot:
            self.viz.write_atomic(self.folder / f"step_{k:03d}.dot", graph.source)
            return None
        svg = graph.pipe(format="svg")
        self.viz.write_atomic(self.folder / f"step_{k:03d}.svg", svg)
        return svg

    def page(self, title: str, steps: list[Step], pictures: list[bytes | None], names: dict[Tensor, str],
             nodes: list[Tensor]) -> Path:
        forward = "\n".join(f"{names[t]} = {_num(t.data)}" if t.op is None else _forward_line(t, names)
                            for t in nodes)
        texts = ["The forward pass computed these values; no gradient is known yet.\n\n" + forward]
        texts += [s.text for s in steps]
        captions = ["forward pass"] + [f"at {s.name}" for s in steps]
        sections = []
        for k, (text, caption, svg) in enumerate(zip(texts, captions, pictures, strict=True)):
            image = ("<p class='missing'>(no picture: Graphviz's dot program is not installed)</p>" if svg is None
                     else f"<img alt='the graph, {html.escape(caption)}' "
                          f"src='data:image/svg+xml;base64,{base64.b64encode(svg).decode()}'>")
            sections.append(f"<section class='step' data-step='{k}' data-caption='{html.escape(caption)}'"
                            f"{'' if k == 0 else ' hidden'}><div class='picture'>{image}</div>"
                            f"<pre class='text'>{html.escape(text)}</pre></section>")
        document = _PAGE.replace("{title}", html.escape(title)).replace("{total}", str(len(texts)))
        document = document.replace("{sections}", "\n".join(sections))
        return self.viz.write_atomic(self.folder / "backward.html", document)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #111827; }
 header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
 h1 { font-size: 1.3rem; margin: 0 1rem 0 0; }
 button { font-size: 1rem; padding: .35rem .9rem; border-radius: .4rem; border: 1px solid #9ca3af;
          background: #f9fafb; }
 button:disabled { opacity: .4; }
 #counter { font-variant-numeric: tabular-nums; min-width: 12ch; }
 .hint { color: #6b7280; font-size: .9rem; }
 .step { display: flex; gap: 1.5rem; align-items: flex-start; margin-top: 1rem; flex-wrap: wrap; }
 .step[hidden] { display: none; }
 .picture { flex: 3 1 32rem; overflow-x: auto; border: 1px solid #e5e7eb; border-radius: .5rem; padding: .5rem; }
 .picture img { max-width: 100%; height: auto; }
 .text { flex: 2 1 24rem; white-space: pre-wrap; background: #f3f4f6; padding: 1rem; border-radius: .5rem;
         font-size: .9rem; line-height: 1.4; margin: 0; }
</style></head>
<body>
<header>
 <h1>{title}</h1>
 <button id="prev" type="button">&#8592; Prev</button>
 <span id="counter">step 0 of {total}</span>
 <button id="next" type="button">Next &#8594;</button>
 <span class="hint">arrow keys step too; the red node is the one backward is at</span>
</header>
<main>
{sections}
</main>
<script>
(function () {
  var steps = document.querySelectorAll('.step');
  var current = 0;
  function show(k) {
    current = Math.max(0, Math.min(steps.length - 1, k));
    steps.forEach(function (s, i) { s.hidden = i !== current; });
    document.getElementById('counter').textContent =
      'step ' + current + ' of ' + (steps.length - 1) + ' (' + steps[current].dataset.caption + ')';
    document.getElementById('prev').disabled = current === 0;
    document.getElementById('next').disabled = current === steps.length - 1;
  }
  document.getElementById('prev').addEventListener('click', function () { show(current - 1); });
  document.getElementById('next').addEventListener('click', function () { show(current + 1); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') { show(current + 1); }
    if (e.key === 'ArrowLeft') { show(current - 1); }
  });
  show(0);
})();
</script>
</body></html>
"""
