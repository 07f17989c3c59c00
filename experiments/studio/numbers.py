"""Numbers as the studio's pages show them, and as JSON can carry them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from experiments.studio.limits import MAX_VECTOR


def fmt(value: Any, digits: int = 6) -> str:
    """A number in ``digits`` significant digits; up to MAX_VECTOR numbers (a workbench
    vector, all of it) as a flat list; a larger array as its mean, min and max. NaN and inf
    are written as such."""
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1:
        return _one(a.item(), digits)
    if a.size <= MAX_VECTOR:
        return "[" + ", ".join(_one(v, 4) for v in a.ravel().tolist()) + "]"
    with np.errstate(all="ignore"):
        return f"mean {_one(a.mean(), 3)}, from {_one(a.min(), 3)} to {_one(a.max(), 3)}"


def _one(v: float, digits: int) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    text = f"{v:.{digits}g}"
    return "0" if text == "-0" else text


def jsonable(obj: Any) -> Any:
    """``obj`` with every float that JSON cannot hold (NaN, ±inf) written as the strings
    "NaN", "Infinity", "-Infinity" (which JavaScript's Number() reads back), and numpy
    scalars and arrays as Python numbers and lists."""
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    return obj


def finite(value: Any) -> bool:
    """True when every element of ``value`` is a finite number."""
    return bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))
