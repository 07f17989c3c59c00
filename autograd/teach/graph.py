"""The whole graph below a tensor, as pictures and explanations need it: every tensor (constants
and inputs too, not only those that require grad), a readable name for each, and every node's
gradient from a backward pass of their own that stores nothing."""

from __future__ import annotations

import numpy as np

from autograd.backward import walk
from autograd.gradients import seed
from autograd.tensor import Tensor


def all_nodes(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was computed from (constants and inputs too), and root, each after
    its parents: a topological order. Iterative depth-first search, so a chain of a million
    ops needs no recursion."""
    if not isinstance(root, Tensor):
        raise TypeError(f"expects a Tensor (the result of a computation), got {type(root).__name__} {root!r:.40}")
    order: list[Tensor] = []
    seen = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, iter(parent.parents)))
                break
        else:  # every parent is placed: the node can follow them
            stack.pop()
            order.append(node)
    return order


def display_names(nodes: list[Tensor]) -> dict[int, str]:
    """A short name per tensor (by identity): its ``.name``; for an unnamed one-element
    constant, its value (``2``); otherwise ``t1``, ``t2``, ... in the order they were made."""
    names: dict[int, str] = {}
    counter = 0
    for node in nodes:
        if node.name:
            names[id(node)] = node.name
        elif node.is_leaf and not node.requires_grad and node.size == 1:
            names[id(node)] = f"{node.data.item():g}"
        else:
            counter += 1
            names[id(node)] = f"t{counter}"
    return names


def gradients(root: Tensor) -> dict[int, np.ndarray]:
    """d(root)/d(t) for every tensor t of the graph that requires grad (by identity), from a
    backward pass of its own that writes no ``.grad``. ``root`` must hold one element."""
    found: dict[int, np.ndarray] = {}

    def keep(node: Tensor, g: np.ndarray, handed: list) -> None:
        found[id(node)] = np.asarray(g)

    walk([(root, seed(root, None))], keep)
    return found
