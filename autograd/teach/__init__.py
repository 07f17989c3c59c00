"""Teaching tools that read the engine's graph and never change it: pictures of the graph
(Graphviz, imported lazily), module boxes for them, ``explain`` (the backward pass told step by
step, and a page to click through it), and the atomic file writer they use."""

from autograd.teach.boxes import module_boxes
from autograd.teach.explain import explain
from autograd.teach.files import write_atomic
from autograd.teach.viz import draw_graph, render

__all__ = ["draw_graph", "explain", "module_boxes", "render", "write_atomic"]
