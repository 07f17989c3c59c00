"""The backward pass: the chain rule, applied node by node in reverse topological order.

For every node v of the graph, once each consumer y of v has handed over its share,

    dL/dv = Σ over the consumers y of v of  VJP_y(dL/dy)        (the chain rule, summed over paths)

``walk`` visits the nodes so that every consumer comes before what it consumed, and
``hand_on`` passes each node's gradient through its op's ``backward`` (the vector-Jacobian
product, ``function.py``) to its parents, summing what arrives. ``Tensor.backward`` and
``autograd.grad`` (``gradients.py``) start the walk and keep what it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.function import QUIET, check_finite
from autograd.modes import _state, set_detect_anomaly, set_grad_enabled
from autograd.ops.reduce import unbroadcast, value
from autograd.tensor import Tensor

# visit(node, dL/dnode, handed): called once per node with its complete gradient; ``handed``
# lists (parent, what the op's VJP gave, the same summed back to the parent's shape). The
# gradients are numpy arrays, or Tensors with ``create_graph``.
Visit = Callable[[Tensor, Any, list[tuple[Tensor, Any, Any]]], None]


def walk(seeds: list[tuple[Tensor, Any]], visit: Visit, *, create_graph: bool = False) -> None:
    """Backpropagate the gradients ``seeds`` (pairs of a root and dL/droot) through the graph
    below them, calling ``visit`` for each node that requires grad, in reverse topological
    order, once its gradient is complete.

    Without ``create_graph`` the gradients are numpy arrays and each op's VJP runs on the
    numbers alone; with it, they are Tensors and the VJPs record a graph of their own, so that
    the gradients can be differentiated again (the same VJP code serves both)."""
    pending: dict[Tensor, Any] = {}  # the gradient summed so far, by node (tensors hash by identity)
    for root, g in seeds:
        pending[root] = pending[root] + g if root in pending else g
    anomaly = _state.anomaly  # checked here, per op's backward, rather than per op inside each VJP
    with set_grad_enabled(create_graph), set_detect_anomaly(False), np.errstate(**QUIET):
        for node in reversed(topological_order([root for root, _ in seeds])):
            g = pending.pop(node, None)
            if g is not None:  # (None: nothing flows here from the roots)
                visit(node, g, hand_on(node, g, pending, create_graph, anomaly))


def hand_on(node: Tensor, g: Any, pending: dict[Tensor, Any], create_graph: bool,
            anomaly: bool) -> list[tuple[Tensor, Any, Any]]:
    """The chain rule at one node: its op's VJP of g = dL/dnode gives each parent's share,
    which is summed back to the parent's shape and added to what the parent has collected.
    Returns (parent, the VJP's value, the share added) for each parent that takes a gradient."""
    op, parents = node._op, node._parents
    if op is None:  # a leaf: nothing to hand on
        return []
    for t in (node, *parents):  # (a node and its inputs have the numbers its VJP reads)
        if t._version > op.tick:
            raise changed_in_place(op, t)
    if create_graph:
        vjps = op.backward(g, node, *parents)
    else:
        vjps = op.backward(g, node.data, *[p.data for p in parents])
    handed = []
    for parent, vjp in zip(parents, vjps if type(vjps) is tuple else (vjps,)):  # noqa: B905  (one per input)
        if vjp is None or not parent.requires_grad:
            continue
        data = parent.data
        share = vjp if vjp.shape == data.shape and vjp.dtype is data.dtype else fit(vjp, parent)
        if anomaly:
            check_finite(value(share), f"backward of {op.label()!r}")
        pending[parent] = pending[parent] + share if parent in pending else share
        handed.append((parent, vjp, share))
    return handed


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """The tensors that require grad below ``roots``, each after all of its parents: an
    iterative depth-first search (a stack of parent iterators), so a chain of a million ops
    needs no recursion."""
    order: list[Tensor] = []
    seen: set[Tensor] = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, reversed(root._parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:  # the last parent first, so that the walk visits the first one first
                if parent.requires_grad and parent not in seen:
                    seen.add(parent)
                    stack.append((parent, reversed(parent._parents)))
                    break
            else:  # every parent is placed: the node can follow them
                stack.pop()
                order.append(node)
    return order


def fit(grad: Any, parent: Tensor) -> Any:
    """``grad`` summed back to the parent's shape where numpy broadcast the parent (each of its
    elements fed several outputs: its gradient is the sum of theirs), in the parent's dtype."""
    grad = unbroadcast(grad, parent.shape)
    return grad if grad.dtype == parent.dtype else grad.astype(parent.dtype)


def changed_in_place(op: Any, who: Tensor) -> RuntimeError:
    """The error for an op whose input (or result) ``who`` changed in place after the op ran: its
    backward would read the new numbers and give a wrong gradient."""
    name = f"{who.name!r}" if who.name else f"a tensor of shape {who.shape}"
    return RuntimeError(f"backward: {name}, which {op.label()} needs for its gradient, was changed in place "
                        f"after {op.label()} used it; compute again from the new values (for example, call the "
                        f"optimizer's step() after backward())")
