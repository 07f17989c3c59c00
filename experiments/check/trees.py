"""Where the numbers live in a student's network: every float array or Tensor reachable from an
object's attributes (or a namespace's names), through lists, tuples, dicts and the objects of
the student's own classes, each with the path that names it: ``W1``, ``layers[0].W``,
``params["W1"]``, ``weights[2]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Tensor

DEPTH = 4  # how far into nested containers and objects the search goes


@dataclass
class Slot:
    """One array in the tree: its path, the container's path and its own name within it,
    its value, and how to replace it (None inside a tuple)."""

    path: str
    container: str
    leaf: str
    value: Any
    put: Callable[[Any], None] | None


def is_numbers(value: Any) -> bool:
    """A float numpy array or a Tensor (what a weight, an intermediate or a gradient is)."""
    return isinstance(value, Tensor) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")


def slots(root: Any, module: str, namespace: bool = False) -> list[Slot]:
    """Every float array or Tensor under ``root``: an object's attributes, or, with
    ``namespace``, a dict of names (a module's globals). Objects are entered only when their
    class comes from ``module`` (the student's file); the same object is entered once."""
    found: list[Slot] = []
    seen: set[int] = set()
    items = _named(root, "", namespace=namespace)
    _walk(items, module, seen, found, 0)
    return found


def _named(value: Any, path: str, namespace: bool = False) -> Iterator[tuple[str, str, str, Any, Any]]:
    """(path, container, leaf, child, put) for each child of a container or an object."""
    if isinstance(value, dict):
        for key, child in list(value.items()):
            if isinstance(key, (str, int)) and not (isinstance(key, str) and key.startswith("__")):
                child_path = key if namespace else f"{path}[{key!r}]".replace("'", '"')
                yield child_path, path, str(key), child, _setter(value, key)
    elif isinstance(value, (list, tuple)):
        for i, child in enumerate(value):
            yield f"{path}[{i}]", path, str(i), child, _setter(value, i) if isinstance(value, list) else None
    elif hasattr(value, "__dict__"):
        for key, child in list(vars(value).items()):
            yield (f"{path}.{key}" if path else key), path, key, child, _attribute_setter(value, key)


def _setter(container: Any, key: Any) -> Callable[[Any], None]:
    def put(new: Any) -> None:
        container[key] = new
    return put


def _attribute_setter(obj: Any, key: str) -> Callable[[Any], None]:
    def put(new: Any) -> None:
        setattr(obj, key, new)
    return put


def _walk(items: Iterator, module: str, seen: set[int], found: list[Slot], depth: int) -> None:
    for path, container, leaf, child, put in items:
        if is_numbers(child):
            found.append(Slot(path, container, leaf, child, put))
        elif depth < DEPTH and id(child) not in seen and _enterable(child, module):
            seen.add(id(child))
            _walk(_named(child, path), module, seen, found, depth + 1)


def _enterable(value: Any, module: str) -> bool:
    if isinstance(value, (dict, list, tuple)):
        return True
    return type(value).__module__ == module and hasattr(value, "__dict__")
