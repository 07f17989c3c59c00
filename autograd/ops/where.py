"""``where``: the choice between two tensors, elementwise, by a boolean condition."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import Function, broadcast_error
from autograd.tensor import Tensor, constant


class Where(Function):
    """where(c, a, b): a where the condition c holds, else b.
    d/da = [c],  d/db = [not c]: each branch gets the gradient where it was chosen.
    The condition is a boolean tensor and takes no gradient."""

    name, symbol = "where", "?:"
    rule = "d/da where(c,a,b) = [c],  d/db = [not c]"
    words = "each branch gets the gradient where it was chosen"
    gradients = ("", "{g} where {0}, else 0", "{g} where not {0}, else 0")

    def forward(self, c, a, b):
        try:
            return np.where(c, a, b)
        except ValueError as err:
            raise broadcast_error("where", a, b) from err

    def backward(self, g, out, c, a, b):
        return None, where(c, g, 0.0), where(c, 0.0, g)


def where(condition: Any, a: Any, b: Any) -> Any:
    """a where ``condition`` holds, else b, as ``np.where`` (on Tensors, a node of the graph;
    the condition takes no gradient, and a number takes the other operand's dtype)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        condition = condition if isinstance(condition, Tensor) else constant(np.asarray(condition, dtype=bool))
        a = a if isinstance(a, Tensor) else b._other(a)
        b = b if isinstance(b, Tensor) else a._other(b)
        return Where.apply(condition, a, b)
    return np.where(condition.data if isinstance(condition, Tensor) else condition, a, b)
