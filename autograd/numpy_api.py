"""numpy's own functions on Tensors: numpy code written for arrays records the graph when it is
given Tensors.

>>> x = np.array([[0.0, 1.0], [1.0, 0.0]])
>>> W = Tensor(np.ones((2, 1)), requires_grad=True, name="W")
>>> y = 1 / (1 + np.exp(-x @ W))      # an array @ a Tensor, np.exp of a Tensor: Tensors
>>> y.op.name, y.requires_grad
('mul', True)

numpy hands a call to a Tensor when one of its arguments is a Tensor: the elementwise
functions and operators (``np.exp(t)``, ``array + t``, ``array @ t``) through
``Tensor.__array_ufunc__``, the others (``np.sum``, ``np.dot``, ``np.concatenate``...)
through ``Tensor.__array_function__``. Both look the function up in the tables below and run
the engine's op for it, composed from the primitives where needed:

* ``UFUNCS``: numpy's elementwise functions with a gradient rule (``np.maximum(a, b)`` is
  ``where(a > b, a, b)``: at a tie the gradient goes to b, so ``np.maximum(z, 0)`` has the
  ReLU's gradient, 0 at 0);
* ``FUNCTIONS``: the rest with a gradient rule (sums, products, shapes, joins, ``np.where``,
  ``np.clip``);
* ``CONSTANTS``: functions whose result takes no gradient: comparisons and tests give boolean
  Tensors outside the graph (as ``t > 0`` does), ``np.zeros_like`` and its kind give constant
  Tensors, and ``np.shape``, ``np.argmax``, ``np.allclose``... give plain numbers.

Anything else raises ``NumpyError``: one line naming the function and listing those that work,
rather than numbers with the graph silently cut. A ufunc that writes into an array
(``out=``, ``array += tensor``) is refused the same way.

``np.asarray(t)`` and ``np.array(t)`` cannot be intercepted (numpy asks the Tensor for its
numbers, through ``__array__``): they give ``t.data``, as before. Inside ``keep_graph()``
(the block that "check my backprop" runs a student's forward pass in), asking so for the
numbers of a tensor that requires grad raises ``NumpyError`` instead, because the gradient
would silently stop there.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from autograd import composed as _composed
from autograd.composed import composed
from autograd.ops.reduce import broadcast_to
from autograd.ops.where import where
from autograd.tensor import Tensor, constant


class NumpyError(TypeError):
    """A numpy function was called on a Tensor in a way the graph cannot follow."""


# ---- operands ------------------------------------------------------------------------------------
def tensors(*values: Any) -> list[Any]:
    """The values as Tensors: a Python number takes the dtype of the first Tensor among them
    (as ``x32 * 2.0`` does), an array becomes a constant Tensor; None stays None."""
    like = next(v for v in values if isinstance(v, Tensor))
    return [v if v is None or isinstance(v, Tensor) else like._other(v) for v in values]


def _binary(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Any, Any], Tensor]:
    return lambda a, b: fn(*tensors(a, b))


@composed("max", "d/da max(a,b) = [a > b],  d/db max(a,b) = [a <= b]",
          "the larger operand takes the gradient; at a tie, the second")
def maximum(a: Any, b: Any) -> Tensor:
    """np.maximum: a where a > b, else b (a tie goes to b, so maximum(z, 0) is the ReLU)."""
    a, b = tensors(a, b)
    return where(a.data > b.data, a, b)


@composed("min", "d/da min(a,b) = [a < b],  d/db min(a,b) = [a >= b]",
          "the smaller operand takes the gradient; at a tie, the second")
def minimum(a: Any, b: Any) -> Tensor:
    """np.minimum: a where a < b, else b."""
    a, b = tensors(a, b)
    return where(a.data < b.data, a, b)


UFUNCS: dict[np.ufunc, Callable[..., Tensor]] = {
    np.add: _binary(lambda a, b: a + b),
    np.subtract: _binary(lambda a, b: a - b),
    np.multiply: _binary(lambda a, b: a * b),
    np.true_divide: _binary(lambda a, b: a / b),
    np.power: _binary(lambda a, b: a**b),
    np.float_power: _binary(lambda a, b: a.astype(np.float64) ** b.astype(np.float64)),
    np.matmul: _binary(lambda a, b: a @ b),
    np.maximum: maximum,
    np.minimum: minimum,
    np.negative: lambda x: -x,
    np.positive: lambda x: x,
    np.exp: lambda x: x.exp(),
    np.log: lambda x: x.log(),
    np.sqrt: lambda x: x.sqrt(),
    np.tanh: lambda x: x.tanh(),
    np.absolute: lambda x: x.abs(),
    np.square: lambda x: x**2.0,
    np.reciprocal: lambda x: x**-1.0,
}

# elementwise results that take no gradient: boolean (or sign) tensors outside the graph
NO_GRADIENT_UFUNCS = (np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
                      np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.isfinite, np.isnan,
                      np.isinf, np.sign)


# ---- the other functions ---------------------------------------------------------------------------
def refuse(name: str, given: dict[str, Any], allowed: dict[str, Any] | None = None) -> None:
    """NumpyError when a keyword in ``given`` is set to something other than its default
    (``allowed`` maps the keywords that may be given to their defaults)."""
    allowed = allowed or {}
    for key, value in given.items():
        default = allowed.get(key)
        if value is None or value is np._NoValue or (key in allowed and _same(value, default)):
            continue
        raise NumpyError(f"numpy.{name}(..., {key}={value!r}) is not supported on Tensors: the graph cannot "
                         f"follow it" + ("; write the result to a new name instead" if key == "out" else ""))


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except Exception:  # an array compared with a default: not the default
        return False


def _sum(a, axis=None, dtype=None, out=None, keepdims=False, **other):
    refuse("sum", {"dtype": dtype, "out": out, **other})
    return a.sum(axis=axis, keepdims=bool(keepdims))


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, **other):
    refuse("mean", {"dtype": dtype, "out": out, **other})
    return a.mean(axis=axis, keepdims=bool(keepdims))


def _max(a, axis=None, out=None, keepdims=False, **other):
    refuse("max", {"out": out, **other})
    return a.max(axis=axis, keepdims=bool(keepdims))


def _min(a, axis=None, out=None, keepdims=False, **other):
    refuse("min", {"out": out, **other})
    return -((-a).max(axis=axis, keepdims=bool(keepdims)))


def _dot(a, b, out=None):
    refuse("dot", {"out": out})
    a, b = tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim > 2 or b.ndim > 2:
        raise NumpyError(f"numpy.dot of shapes {a.shape} and {b.shape}: on Tensors np.dot takes at most 2 "
                         f"dimensions; use np.matmul (or @) for stacks of matrices")
    return a @ b


def _outer(a, b, out=None):
    refuse("outer", {"out": out})
    a, b = tensors(a, b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _transpose(a, axes=None):
    return a.transpose() if axes is None else a.transpose(tuple(axes))


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    refuse("reshape", {"order": order, "copy": copy}, {"order": "C"})
    shape = newshape if shape is None else shape
    return a.reshape(tuple(shape) if isinstance(shape, (tuple, list)) else (shape,))


def _ravel(a, order="C"):
    refuse("ravel", {"order": order}, {"order": "C"})
    return a.reshape(-1)


def _squeeze(a, axis=None):
    return a.reshape(np.squeeze(a.data, axis).shape)


def _expand_dims(a, axis):
    return a.reshape(np.expand_dims(a.data, axis).shape)


def _copy(a, order="K", subok=False):
    return a[...]  # a new node holding the same numbers


def _join(name: str, arrays: Sequence[Any], given: dict[str, Any]) -> list[Tensor]:
    refuse(name, given, {"casting": "same_kind"})
    if isinstance(arrays, Tensor) or not isinstance(arrays, (list, tuple)):
        raise NumpyError(f"numpy.{name} on Tensors takes a list or tuple of arrays, got {type(arrays).__name__}")
    return tensors(*arrays)


def _concatenate(arrays, axis=0, out=None, **other):
    parts = _join("concatenate", arrays, {"out": out, **other})
    if axis is None:
        return _composed.concatenate([p.reshape(-1) for p in parts])
    return _composed.concatenate(parts, axis=axis)


def _stack(arrays, axis=0, out=None, **other):
    return _composed.stack(_join("stack", arrays, {"out": out, **other}), axis=axis)


def _vstack(tup, **other):
    parts = _join("vstack", tup, other)
    return _composed.concatenate([p.reshape(1, -1) if p.ndim < 2 else p for p in parts], axis=0)


def _hstack(tup, **other):
    parts = _join("hstack", tup, other)
    return _composed.concatenate([p.reshape(1) if p.ndim == 0 else p for p in parts], axis=0 if
                                 parts[0].ndim <= 1 else 1)


def _where(condition, x=None, y=None):
    if x is None or y is None:
        raise NumpyError("numpy.where(condition) with one argument gives indices; on Tensors use "
                         "np.where(condition, a, b), or np.nonzero(condition.data)")
    return where(condition, x, y)


def _clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue, max=np._NoValue,  # noqa: A002
          **other):
    refuse("clip", {"out": out, **other})
    low = None if a_min is np._NoValue else a_min
    low = low if min is np._NoValue else min
    high = None if a_max is np._NoValue else a_max
    high = high if max is np._NoValue else max
    bounds = [b for b in (low, high) if b is not None]
    if isinstance(a, Tensor) and all(isinstance(b, (int, float)) for b in bounds):
        return a.clamp(low, high)
    result = a
    if low is not None:
        result = maximum(result, low)
    return result if high is None else minimum(result, high)


def _broadcast_to(array, shape, subok=False):
    return broadcast_to(array, tuple(shape) if isinstance(shape, (tuple, list)) else (shape,))


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.sum: _sum, np.mean: _mean, np.max: _max, np.amax: _max, np.min: _min, np.amin: _min,
    np.dot: _dot, np.outer: _outer, np.transpose: _transpose, np.reshape: _reshape, np.ravel: _ravel,
    np.squeeze: _squeeze, np.expand_dims: _expand_dims, np.copy: _copy, np.concatenate: _concatenate,
    np.stack: _stack, np.vstack: _vstack, np.hstack: _hstack, np.where: _where, np.clip: _clip,
    np.broadcast_to: _broadcast_to,
}


def _like(fill: Callable[..., np.ndarray]) -> Callable[..., Tensor]:
    def make(a, *args, **kwargs):
        return constant(fill(a.data if isinstance(a, Tensor) else a, *args, **kwargs))
    return make


def _numbers(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn on the numbers of its arguments, for results that take no gradient."""
    def numbers(*args, **kwargs):
        return fn(*[a.data if isinstance(a, Tensor) else a for a in args],
                  **{k: v.data if isinstance(v, Tensor) else v for k, v in kwargs.items()})
    return numbers


# results that take no gradient: constant tensors (made "like" a tensor) and plain numbers
CONSTANTS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.zeros_like: _like(np.zeros_like), np.ones_like: _like(np.ones_like), np.full_like: _like(np.full_like),
    np.empty_like: _like(np.zeros_like), np.isclose: _like(np.isclose),
    **{fn: _numbers(fn) for fn in (np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.allclose,
                                   np.array_equal, np.any, np.all, np.count_nonzero)},
}


# ---- the two entry points (Tensor's __array_ufunc__ and __array_function__) -----------------------
def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_ufunc__``: numpy's elementwise function ``ufunc`` on Tensors."""
    name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if kwargs.get("out") is not None:
        raise NumpyError(f"{name} with out=: writing into an existing array (as `array += tensor` does) would "
                         f"cut the graph; write `array = array + tensor` instead")
    if method != "__call__":
        raise unsupported(name)
    refuse(ufunc.__name__, kwargs)
    if ufunc in NO_GRADIENT_UFUNCS:
        return constant(np.asarray(ufunc(*[x.data if isinstance(x, Tensor) else x for x in inputs])))
    fn = UFUNCS.get(ufunc)
    if fn is None:
        raise unsupported(name)
    return fn(*tensors(*inputs))


def array_function(func: Callable[..., Any], types: tuple[type, ...], args: tuple, kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_function__``: numpy's function ``func`` on arguments among which is a Tensor."""
    if not all(issubclass(t, (Tensor, np.ndarray)) for t in types):
        return NotImplemented  # another library's arrays: let numpy ask them
    fn = FUNCTIONS.get(func) or CONSTANTS.get(func)
    if fn is None:
        raise unsupported(f"{func.__module__}.{func.__name__}")
    return fn(*args, **kwargs)


def supported() -> list[str]:
    """The numpy functions that work on Tensors, by name."""
    names = {f"np.{f.__name__}" for f in (*UFUNCS, *NO_GRADIENT_UFUNCS, *FUNCTIONS, *CONSTANTS)}
    return sorted(names | {"np.divide", "np.abs"})


def unsupported(name: str) -> NumpyError:
    """The error for a numpy function with no gradient rule here."""
    return NumpyError(f"{name} has no gradient rule in chainrule, so on a Tensor it would give numbers with the "
                      f"graph cut; these numpy functions work on Tensors: {', '.join(supported())} (and the "
                      f"operators + - * / ** @, comparisons, .T, indexing); for the numbers alone, call it on t.data")


# ---- np.asarray(tensor) ------------------------------------------------------------------------------
class _Guard(threading.local):
    depth = 0


_guard = _Guard()


@contextlib.contextmanager
def keep_graph() -> Iterator[None]:
    """Inside the block, ``np.asarray(t)``, ``np.array(t)`` and numpy's other ways of asking for
    a Tensor's numbers raise NumpyError when t requires grad: the graph would be cut there."""
    _guard.depth += 1
    try:
        yield
    finally:
        _guard.depth -= 1


def asked_for_numbers(t: Tensor) -> None:
    """Called by ``Tensor.__array__``: refuses inside ``keep_graph()`` when t requires grad."""
    if _guard.depth and t.requires_grad:
        name = f"the tensor {t.name!r}" if t.name else f"a tensor of shape {t.shape} that requires grad"
        raise NumpyError(f"numpy was asked for the numbers of {name} (np.asarray, np.array, or putting it into "
                         f"an array), which cuts the graph: the gradient would stop there; use numpy functions on "
                         f"the tensor itself (np.exp(t), t @ W, np.concatenate([...])) or t.data for the numbers")
