"""The whole graph below a tensor, as pictures and explanations need it: every tensor
(constants and inputs too, not only those that require grad) and a readable name for each."""

from __future__ import annotations

from autograd.tensor import Tensor


def all_nodes(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was computed from (constants and inputs too), and root, each after
    its parents: a topological order. Iterative depth-first search (a stack of parent
    iterators), so a chain of a million ops needs no recursion."""
    order: list[Tensor] = []
    seen = {root}
    stack = [(root, iter(root._parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent._parents)))
                break
        else:  # every parent is placed: the node can follow them
            stack.pop()
            order.append(node)
    return order


def display_names(nodes: list[Tensor]) -> dict[Tensor, str]:
    """A short name per tensor: its ``.name``; for an unnamed one-element constant, its
    value (``2``); otherwise ``t1``, ``t2``, ... in the order the forward pass made them."""
    names: dict[Tensor, str] = {}
    counter = 0
    for node in nodes:
        if node.name:
            names[node] = node.name
        elif node.is_leaf and not node.requires_grad and node.size == 1:
            names[node] = f"{node.data.item():g}"
        else:
            counter += 1
            names[node] = f"t{counter}"
    return names
