"""What the studio accepts from a page, and the checks that say so.

Every request is checked here before any work starts; a value out of range raises
``RequestError`` with one line naming the field, what was given and what is allowed, and the
page shows that line. The limits keep each request small in time and memory: no expression,
network or data set the page can ask for takes the server more than a fraction of a second
per step or more than a few megabytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 64 * 1024  # a request body or a websocket message
MAX_EXPRESSION_LENGTH = 300  # characters
MAX_EXPRESSION_DEPTH = 24  # nesting of operators and calls
MAX_EXPRESSION_NODES = 120  # operators, calls, numbers and names together
MAX_VARIABLES = 8
MAX_VALUE = 1e6  # |a variable's value|, or of each element of a vector's
MAX_VECTOR = 6  # elements of a vector variable (the picture shows them all, as a flat list)
MAX_LAYERS = 4  # hidden layers
MAX_UNITS = 16  # units per hidden layer
MAX_POINTS = 1000  # training points (and test points)
MAX_EPOCHS = 50_000  # epochs one training session may run
MAX_EPOCHS_PER_SECOND = 2_000  # the Play speed
MAX_SESSIONS = 8  # training sessions (tabs) at once
MAX_LR = 10.0


class RequestError(ValueError):
    """A request the studio refuses; the message is shown in the page as it is."""


@dataclass(frozen=True)
class Number:
    """A number field: ``integer`` or real, inside [low, high]."""

    low: float
    high: float
    integer: bool = False
    exclusive_low: bool = False

    def check(self, name: str, value: Any) -> int | float:
        kind = "a whole number" if self.integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RequestError(f"{name} must be {kind}, got {_show(value)}")
        if self.integer and (isinstance(value, float) and not value.is_integer()):
            raise RequestError(f"{name} must be a whole number, got {value!r}")
        if not math.isfinite(value):
            raise RequestError(f"{name} must be a finite number, got {value!r}")
        too_low = value <= self.low if self.exclusive_low else value < self.low
        if too_low or value > self.high:
            bracket = "(" if self.exclusive_low else "["
            raise RequestError(f"{name} must be in {bracket}{self.low:g}, {self.high:g}], got {value:g}")
        return int(value) if self.integer else float(value)


@dataclass(frozen=True)
class Choice:
    """A field that must be one of ``allowed``."""

    allowed: Sequence[str]

    def check(self, name: str, value: Any) -> str:
        if value not in self.allowed:
            raise RequestError(f"{name} must be one of {', '.join(self.allowed)}; got {_show(value)}")
        return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def fields(payload: Any, spec: Mapping[str, Number | Choice], defaults: Mapping[str, Any],
           what: str = "the request") -> dict[str, Any]:
    """``payload`` (a JSON object) checked against ``spec``: each field present is checked,
    each missing one takes its default; a field the spec does not know is refused."""
    if not isinstance(payload, Mapping):
        raise RequestError(f"{what} must be a JSON object, got {type(payload).__name__}")
    unknown = sorted(set(payload) - set(spec))
    if unknown:
        raise RequestError(f"{what} has unknown field(s) {', '.join(map(str, unknown))}; "
                           f"allowed: {', '.join(spec)}")
    return {name: check.check(name, payload[name]) if name in payload else defaults[name]
            for name, check in spec.items()}


def hidden_layers(value: Any) -> tuple[int, ...]:
    """A list of hidden layer sizes: 1 to MAX_LAYERS layers of 1 to MAX_UNITS units."""
    if not isinstance(value, list) or not value:
        raise RequestError(f"hidden must be a list of 1 to {MAX_LAYERS} layer sizes, got {_show(value)}")
    if len(value) > MAX_LAYERS:
        raise RequestError(f"hidden: at most {MAX_LAYERS} hidden layers, got {len(value)}")
    units = Number(1, MAX_UNITS, integer=True)
    return tuple(units.check(f"hidden layer {k + 1}'s units", n) for k, n in enumerate(value))


def text(name: str, value: Any, longest: int) -> str:
    """A string of at most ``longest`` characters."""
    if not isinstance(value, str):
        raise RequestError(f"{name} must be text, got {_show(value)}")
    if len(value) > longest:
        raise RequestError(f"{name} is {len(value)} characters long; at most {longest} are allowed")
    return value
