"""The studio: the chain rule and the lab's network, live in the browser, on chainrule's engine.

Three rooms in one local web app (``python -m experiments.studio``): the chain-rule
workbench, the network microscope and the run replay. The modules, each with one job:

    server      the command line, uvicorn, and ``notebook()`` for Jupyter
    app         the Starlette app: routes, request checks, the engine thread
    sockets     the training socket, one session per tab
    limits      what a request may ask for, and the one-line refusals
    trace       the only module that reads the engine's graph (a Tensor in, plain data out)
    graphs      traced graphs as SVG (Graphviz's dot), ready to be changed in place by the page
    workbench   an expression's graph, both passes step by step, the nudge check
    domain      where a NaN or an infinity was born, in words
    microscope  a training session: data, network, optimizer, frames, inspection
    paths       a gradient taken apart into products of local derivatives along paths
    views       boundary and neuron heatmaps of a network at one moment
    snapshots   the per-epoch snapshots ``experiments.train --snapshots`` keeps
    replay      the runs folder as the replay lists it
    static/     the page: HTML, CSS and plain JavaScript, no build step, nothing from a CDN

Importing this package loads no web framework (``experiments.train`` imports the snapshot
recorder from it).
"""

from typing import Any


def notebook(*args: Any, **kwargs: Any) -> Any:
    """The studio in a Jupyter cell; see ``experiments.studio.server.notebook``."""
    from experiments.studio.server import notebook as show

    return show(*args, **kwargs)
