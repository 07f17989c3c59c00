"""The whole graph below a tensor, as pictures and explanations need it: every tensor
(constants and inputs too, not only those that require grad) and a readable name for each."""

from __future__ import annotations

from autograd.backward import topological_order
from autograd.tensor import Tensor


def all_nodes(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was computed from (constants and inputs too), and root, each after
    its parents."""
    return topological_order(root, grad_only=False)


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
