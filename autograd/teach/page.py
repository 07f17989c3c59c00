"""The step page of ``explain(frames=...)``: one picture of the graph per step of the backward
pass, with that step's text beside it, in one self-contained HTML file; and the same viewer
inline in Jupyter.

The picture of step k shows what is known once step k is done: the gradient of the node the
pass is at (complete), and what it handed to each parent (added to what they had, marked
"so far" until the parent's own step).
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from autograd.teach import viz
from autograd.teach.explain import Step, forward_line, number
from autograd.teach.files import write_atomic
from autograd.teach.graph import all_nodes, display_names
from autograd.tensor import Tensor

NO_PICTURE = "<p class='missing'>(no picture: Graphviz's dot program is not installed)</p>"
PANZOOM_SCRIPT = Path(__file__).with_name("panzoom.js")  # pan and zoom, also served by the studio
INLINE_PICTURES = 40  # the Jupyter viewer draws a picture per step for graphs up to this many tensors


class Frames:
    """Draws a picture per step while ``explain`` runs, and writes the page at the end."""

    def __init__(self, root: Tensor, folder: str | os.PathLike[str] | None) -> None:
        self.root, self.folder = root, None if folder is None else Path(folder)
        self.known: dict[int, np.ndarray] = {}
        self.pictures: list[bytes | None] = []
        self.has_dot = viz.dot_available()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.glob("step_[0-9][0-9][0-9].*"):  # frames of an earlier, longer run
                if old.suffix in (".svg", ".dot"):
                    old.unlink()
            if not self.has_dot:
                print(f"note: Graphviz's dot program was not found, so the step pictures are written as .dot "
                      f"source and the page shows the text only; {viz.INSTALL_HINT}", file=sys.stderr)
        self.picture(None)

    def step(self, node: Tensor, g: Tensor, handed: list) -> None:
        """Note what step ``node`` computed and handed on, and draw it."""
        self.known[id(node)] = np.asarray(g)
        for parent, _, summed in handed:
            earlier = self.known.get(id(parent))
            self.known[id(parent)] = np.asarray(summed) if earlier is None else earlier + summed
        self.picture(node)

    def picture(self, current: Tensor | None) -> None:
        k = len(self.pictures)
        graph = viz.draw_graph(self.root, highlight=current, grads=dict(self.known))
        svg = graph.pipe(format="svg") if self.has_dot else None
        if self.folder is not None:
            name, data = (f"step_{k:03d}.svg", svg) if svg is not None else (f"step_{k:03d}.dot", graph.source)
            write_atomic(self.folder / name, data)
        self.pictures.append(svg)

    def page(self, title: str, steps: list[Step], names: dict[int, str], nodes: list[Tensor]) -> Path:
        """Write ``backward.html`` into the folder and return its path."""
        document = _PAGE.replace("{title}", html.escape(title)).replace("{body}", _viewer(steps, names, nodes,
                                                                                          self.pictures))
        return write_atomic(self.folder / "backward.html", document)


def _viewer(steps: list[Step], names: dict[int, str], nodes: list[Tensor], pictures: list[bytes | None]) -> str:
    """The viewer's HTML: every step as a section (the first shown), and the buttons."""
    forward = "\n".join(f"{names[id(t)]} = {number(t.data)}" if t.op is None else forward_line(t, names)
                        for t in nodes)
    texts = ["The forward pass computed these values; no gradient is known yet.\n\n" + forward]
    texts += [s.text for s in steps]
    captions = ["forward pass"] + [f"at {s.name}" for s in steps]
    sections = []
    for k, (text, caption) in enumerate(zip(texts, captions, strict=True)):
        svg = pictures[k] if k < len(pictures) else None
        image = (NO_PICTURE if svg is None and pictures else "" if svg is None
                 else svg.decode("utf-8").split("?>", 1)[-1])  # the SVG inline, without its XML prolog
        sections.append(f"<section class='step' data-step='{k}' data-caption='{html.escape(caption)}'"
                        f"{'' if k == 0 else ' hidden'}>"
                        f"<div class='picture'>{image}</div><pre class='text'>{html.escape(text)}</pre></section>")
    viewer = _VIEWER.replace("{total}", str(len(texts) - 1)).replace("{sections}", "\n".join(sections))
    return viewer.replace("{panzoom}", PANZOOM_SCRIPT.read_text(encoding="utf-8"))


def viewer_html(steps: list[Step]) -> str:
    """The step viewer for Jupyter: the same sections and buttons, inline; a picture per step
    when Graphviz's dot is installed and the graph is small."""
    if not steps:
        return "<p>(no steps)</p>"
    root = steps[0].node
    nodes = all_nodes(root)
    names = display_names(nodes)
    pictures: list[Any] = []
    if viz.dot_available() and len(nodes) <= INLINE_PICTURES:
        frames = Frames(root, None)
        by_name = {names[id(t)]: t for t in nodes}
        for s in steps:
            frames.step(s.node, s.grad, [(by_name[name], None, grad) for name, grad in s.handed.items()])
        pictures = frames.pictures
    return _STYLE + _viewer(steps, names, nodes, pictures)


_STYLE = """<style>
 .cr-viewer { font-family: system-ui, sans-serif; color: #111827; }
 .cr-viewer header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
 .cr-viewer button { font-size: 1rem; padding: .35rem .9rem; border-radius: .4rem; border: 1px solid #9ca3af;
                     background: #f9fafb; }
 .cr-viewer button:disabled { opacity: .4; }
 .cr-viewer .counter { font-variant-numeric: tabular-nums; min-width: 12ch; }
 .cr-viewer .step { display: flex; gap: 1.5rem; align-items: flex-start; margin-top: 1rem; flex-wrap: wrap; }
 .cr-viewer .step[hidden] { display: none; }
 .cr-viewer .picture { flex: 3 1 32rem; overflow: auto; border: 1px solid #e5e7eb; border-radius: .5rem; padding: .5rem;
               max-height: 80vh; }
 .cr-viewer .picture:empty { display: none; }
 .cr-viewer .picture.pz-box { height: 62vh; min-height: 320px; padding: 0; }
 .cr-viewer .text { flex: 2 1 24rem; white-space: pre-wrap; background: #f3f4f6; padding: 1rem; border-radius: .5rem;
            font-size: .9rem; line-height: 1.4; margin: 0; }
</style>"""

_VIEWER = """<div class="cr-viewer">
<script>{panzoom}</script>
<header>
 <button class="prev" type="button">&#8592; Prev</button>
 <span class="counter">step 0 of {total} (forward pass)</span>
 <button class="next" type="button">Next &#8594;</button>
 <span class="hint">arrow keys step too; the red node is the one backward is at;
  drag or scroll the picture to pan and zoom (the view stays from step to step)</span>
</header>
{sections}
<script>
(function () {
  var viewers = document.querySelectorAll('.cr-viewer');
  var root = viewers[viewers.length - 1];
  var steps = root.querySelectorAll('.step');
  var current = 0;
  var view = null;  // the pan and zoom a teacher chose, kept from step to step (one graph, one layout)
  function zoomable(step) {
    var box = step.querySelector('.picture');
    if (!window.PanZoom || !box || !box.querySelector('svg')) { return null; }
    var pz = PanZoom.attach(box, {maxFit: 1.5, minFit: 0.35});
    if (view) { pz.setView(view); }
    return pz;
  }
  function show(k) {
    var before = steps[current].querySelector('.picture');
    if (before && before.panzoom) { view = before.panzoom.view(); }
    current = Math.max(0, Math.min(steps.length - 1, k));
    steps.forEach(function (s, i) { s.hidden = i !== current; });
    zoomable(steps[current]);
    root.querySelector('.counter').textContent =
      'step ' + current + ' of ' + (steps.length - 1) + ' (' + steps[current].dataset.caption + ')';
    root.querySelector('.prev').disabled = current === 0;
    root.querySelector('.next').disabled = current === steps.length - 1;
  }
  root.querySelector('.prev').addEventListener('click', function () { show(current - 1); });
  root.querySelector('.next').addEventListener('click', function () { show(current + 1); });
  root.tabIndex = 0;
  (document.body.classList.contains('cr-page') ? document : root).addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') { show(current + 1); }
    if (e.key === 'ArrowLeft') { show(current - 1); }
  });
  show(0);
})();
</script>
</div>"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
""" + _STYLE + """
<style> body { margin: 1.5rem; } h1 { font-size: 1.3rem; margin: 0 0 .5rem 0; } </style>
</head>
<body class="cr-page">
<h1>{title}</h1>
{body}
</body></html>
"""
