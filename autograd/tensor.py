"""``Tensor``: a numpy array that remembers how it was made, so that ``backward`` can apply the
chain rule. A 0-d tensor is a scalar: ``Tensor(2.0)`` works like micrograd's ``Value``.

The methods only pick an op: the primitives live in ``autograd/ops/`` and the ops composed from
them in ``autograd/composed.py``.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.modes import _state

if TYPE_CHECKING:
    from autograd.function import Function

ArrayLike = Any  # a number, a nested list of numbers, a numpy array or a Tensor
# The engine's clock: every op that links a result into the graph, and every in-place change,
# takes the next tick. An input changed after its op ran iff its version is later than the op's tick.
CLOCK = itertools.count(1)
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype(dtype: Any, owner: str = "Tensor") -> np.dtype:
    """``dtype`` as np.float32 or np.float64, or a TypeError raised as ``owner``."""
    try:
        resolved = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        resolved = None
    if resolved is None or resolved not in FLOATS:  # (a numpy dtype compares equal to None)
        raise TypeError(f"{owner}: dtype must be float32 or float64, got {dtype!r}")
    return resolved


def to_array(data: ArrayLike, dtype: Any = None, owner: str = "Tensor") -> np.ndarray:
    """``data`` as a fresh float32 or float64 array. Bools and integers become float64 (or
    ``dtype``); float32 and float64 are kept; anything else is a TypeError saying what it was."""
    want = None if dtype is None else float_dtype(dtype, owner)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (str, bytes, dict, set)) or data is None:
        raise TypeError(f"{owner}: data must be a number, a nested list of numbers or a numpy array, "
                        f"got {type(data).__name__} {data!r:.60}")
    try:
        array = np.asarray(data)
    except ValueError as err:
        raise ValueError(f"{owner}: the nested list is ragged (its rows differ in length): {err}") from err
    kind = array.dtype.kind
    if kind == "f" and array.dtype not in FLOATS:
        raise TypeError(f"{owner}: {array.dtype} data is not supported; use float32 or float64")
    if kind not in "biuf":
        what = {"c": "complex", "O": "object (mixed or non-numeric)", "U": "string", "S": "bytes"}
        raise TypeError(f"{owner}: data must hold real numbers, got {what.get(kind, str(array.dtype))} data")
    target = want or (array.dtype if kind == "f" else np.dtype(np.float64))
    return np.array(array, dtype=target, copy=True)


class Tensor:
    """An n-dimensional array of float32 or float64 with reverse-mode autodiff.

    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> y = (x * x + 3 * x).sigmoid()
    >>> y.backward()
    >>> x.grad            # dy/dx = s(1 - s)·(2x + 3), a 0-d array
    array(0.00664806)

    ``data`` is the array; ``grad`` is None or an array of data's shape and dtype that this
    tensor alone owns; ``op`` and ``parents`` say how it was made (None and () for a leaf);
    ``version`` says when it last changed in place through the engine (``sub_``, an optimizer's
    step), on the engine's clock (0: never), so that ``backward`` can refuse a graph whose
    inputs changed after their op used them.
    """

    __slots__ = ("__weakref__", "_grad", "_op", "_parents", "_retains_grad", "_version", "data",
                 "grad_tensor", "name", "requires_grad")
    __hash__ = object.__hash__  # comparisons return tensors; identity stays the hash

    def __init__(self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a string or None, got {name!r}")
        self._setup(to_array(data, dtype), bool(requires_grad), name)

    def _setup(self, data: np.ndarray, requires_grad: bool, name: str | None = None,
               op: Function | None = None, parents: tuple[Tensor, ...] = ()) -> None:
        """Every field of a tensor, set in one place (``__init__`` and ``Function.apply``)."""
        self.data = data
        self.requires_grad = requires_grad
        self.name = name
        self._op = op
        self._parents = parents
        self._grad = self.grad_tensor = None
        self._version = 0
        self._retains_grad = False

    # ---- what it is --------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    op = property(lambda self: self._op, doc="The op that made this tensor (None for a leaf).")
    parents = property(lambda self: self._parents, doc="The inputs of the op that made it.")
    is_leaf = property(lambda self: self._op is None)
    version = property(lambda self: self._version, doc="When it last changed in place (``CLOCK``; 0: never).")
    retains_grad = property(lambda self: self._retains_grad)

    @property
    def grad(self) -> np.ndarray | None:
        """dL/d(self) after ``backward``: None, or an array of this tensor's shape and dtype."""
        return self._grad

    @grad.setter
    def grad(self, value: ArrayLike | None) -> None:
        if value is None:
            self._grad = None
            return
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind != "f" or array.shape != self.shape:
            raise TypeError(f"grad: must be None or a float array of this tensor's shape {self.shape}, "
                            f"got {array.dtype} of shape {array.shape}")
        self._grad = np.array(array, dtype=self.dtype, copy=True)  # owned by this tensor alone

    def retain_grad(self) -> Tensor:
        """Keep this intermediate's gradient in ``.grad`` after ``backward`` (a leaf always
        keeps its own), as ``torch.Tensor.retain_grad``. Returns self."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad, so it gets no gradient")
        self._retains_grad = True
        return self

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item(): only a tensor with one element is a number; this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (the same memory, as torch's ``.numpy()``)."""
        return self.data

    def detach(self) -> Tensor:
        """The same data, cut from the graph: no op, no grad."""
        return constant(self.data)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                             f"use .data.any() or .data.all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    # ---- numpy's functions on tensors: np.exp(t), array + t, np.sum(t) (autograd/numpy_api.py) ----
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _numpy_api.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
        return _numpy_api.array_function(func, types, args, kwargs)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        _numpy_api.asked_for_numbers(self)  # refused inside numpy_api.keep_graph() when it would cut the graph
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        def fmt(a: np.ndarray) -> str:
            return np.array2string(a, precision=4, threshold=8, edgeitems=2, separator=", ").replace("\n", "")
        parts = [fmt(self.data)]
        if self.name:
            parts.append(f"name={self.name!r}")
        if self._grad is not None:
            parts.append(f"grad={fmt(self._grad)}")
        if self._op is not None:
            parts.append(f"op={self._op.label()}")
        elif self.requires_grad:
            parts.append("requires_grad=True")
        if self.data.dtype != np.float64:
            parts.append(f"dtype={self.data.dtype}")
        return f"Tensor({', '.join(parts)})"

    # ---- backward ----------------------------------------------------------------------
    def backward(self, grad: ArrayLike | None = None, retain_grads: bool = False,
                 create_graph: bool = False) -> None:
        """Add d(self)/d(leaf) to ``leaf.grad`` for every leaf of the graph that requires grad,
        as PyTorch does. ``grad`` is dL/d(self); without it, self must hold one element and
        the seed is 1. An intermediate keeps its gradient if it asked (``retain_grad()``), or
        every one does with ``retain_grads=True``. With ``create_graph=True`` the gradients
        are computed with graph recording on: each leaf's ``grad_tensor`` is its gradient as
        a Tensor that can be differentiated again (``.grad`` holds the same numbers)."""
        _gradients.backward(self, grad, retain_grads=retain_grads, create_graph=create_graph)

    # ---- in-place changes (not recorded in the graph; they bump the version) -------------
    def _change(self, what: str) -> np.ndarray:
        if self.requires_grad and _state.grad_enabled:
            raise RuntimeError(f"{what}: in-place changes are not recorded in the graph, and this tensor "
                               f"requires grad; do it inside `with no_grad():` (as an optimizer step does)")
        self._version = next(CLOCK)
        return self.data

    def add_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        """self += alpha·other, in place."""
        data = self._change("add_")
        other = other.data if isinstance(other, Tensor) else other
        data += other if alpha == 1.0 else alpha * np.asarray(other)
        return self

    def sub_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        """self -= alpha·other, in place."""
        data = self._change("sub_")
        other = other.data if isinstance(other, Tensor) else other
        data -= other if alpha == 1.0 else alpha * np.asarray(other)
        return self

    def mul_(self, factor: ArrayLike) -> Tensor:
        """self *= factor, in place."""
        self._change("mul_")[...] *= factor.data if isinstance(factor, Tensor) else factor
        return self

    def copy_(self, source: ArrayLike) -> Tensor:
        """Overwrite the data with ``source`` (broadcast to this shape), in place."""
        self._change("copy_")[...] = source.data if isinstance(source, Tensor) else source
        return self

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        self._change("zero_").fill(0.0)
        return self

    # ---- arithmetic ----------------------------------------------------------------------
    def _other(self, value: ArrayLike) -> Tensor:
        """The other operand of a binary op. A Python number takes this tensor's dtype
        (``x32 * 2.0`` stays float32, as in PyTorch)."""
        if isinstance(value, Tensor):
            return value
        if isinstance(value, (int, float)):
            return constant(np.array(value, dtype=self.data.dtype))
        return Tensor(value)

    def __add__(self, other: ArrayLike) -> Tensor:
        return _arith.Add.apply(self, self._other(other))

    def __radd__(self, other: ArrayLike) -> Tensor:
        return _arith.Add.apply(self._other(other), self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return _arith.Mul.apply(self, self._other(other))

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return _arith.Mul.apply(self._other(other), self)

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        if is_number(exponent):
            return _arith.Power.apply(self, exponent=float(exponent))
        return _arith.Pow.apply(self, self._other(exponent))

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return _arith.Pow.apply(self._other(base), self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return _linalg.MatMul.apply(self, self._other(other))

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _linalg.MatMul.apply(self._other(other), self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return _composed.sub(self, self._other(other))

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _composed.sub(self._other(other), self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return _composed.div(self, self._other(other))

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _composed.div(self._other(other), self)

    def __neg__(self) -> Tensor:
        return _composed.neg(self)

    def __pos__(self) -> Tensor:
        return self

    # ---- comparisons: boolean tensors, outside the graph (as in PyTorch) ----------------
    def _compare(self, ufunc: np.ufunc, other: ArrayLike) -> Tensor:
        return constant(np.asarray(ufunc(self.data, self._other(other).data)))

    def __lt__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.greater_equal, other)

    def __eq__(self, other: ArrayLike) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: ArrayLike) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __and__(self, other: ArrayLike) -> Tensor:  # of boolean tensors, as numpy's &
        return self._compare(np.logical_and, other)

    def __or__(self, other: ArrayLike) -> Tensor:
        return self._compare(np.logical_or, other)

    def __invert__(self) -> Tensor:
        return constant(np.logical_not(self.data))

    # ---- elementwise functions -----------------------------------------------------------
    def exp(self) -> Tensor:
        return _fn.Exp.apply(self)

    def log(self) -> Tensor:
        return _fn.Log.apply(self)

    def sigmoid(self) -> Tensor:
        return _fn.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return _fn.Tanh.apply(self)

    def sqrt(self) -> Tensor:
        return _composed.sqrt(self)

    def abs(self) -> Tensor:
        return _composed.abs(self)

    def relu(self) -> Tensor:
        return _composed.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return _composed.leaky_relu(self, negative_slope)

    def softplus(self) -> Tensor:
        return _composed.softplus(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return _composed.clamp(self, min, max)

    def astype(self, dtype: Any) -> Tensor:
        """The same numbers as float32 or float64 (its gradient is cast back)."""
        return _shape.AsType.apply(self, dtype=float_dtype(dtype, "astype"))

    # ---- reductions ------------------------------------------------------------------------
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return _reduce.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return _composed.mean(self, axis, keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The maximum over ``axis``; elements that tie for it share its gradient equally
        (as ``torch.amax``)."""
        return _reduce.Max.apply(self, axis=axis, keepdims=keepdims)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return _composed.log_softmax(self, axis)

    def softmax(self, axis: int = -1) -> Tensor:
        return _composed.softmax(self, axis)

    # ---- shape -----------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one axis may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _shape.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (``t.transpose(1, 0)``); with none, reverse them, as numpy."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _shape.Transpose.apply(self, axes=axes or None)

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.transpose()

    def flatten(self, start_axis: int = 0) -> Tensor:
        """Merge the axes from ``start_axis`` on into one (``flatten(1)`` keeps the batch)."""
        return self.reshape(*self.shape[:start_axis], -1)

    def __getitem__(self, index: Any) -> Tensor:
        return _index.GetItem.apply(self, index=index)


def constant(data: np.ndarray) -> Tensor:
    """A tensor outside the graph around an array the caller made (no copy, no gradient)."""
    t = Tensor.__new__(Tensor)
    t._setup(data, False)
    return t


def as_tensor(value: ArrayLike) -> Tensor:
    """``value`` itself when it is a Tensor, else ``Tensor(value)`` (as ``torch.as_tensor``)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def is_number(value: Any) -> bool:
    """A real Python or numpy number (not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


# The ops import Tensor, so they are imported here, once Tensor exists.
from autograd import composed as _composed  # noqa: E402
from autograd import gradients as _gradients  # noqa: E402
from autograd import numpy_api as _numpy_api  # noqa: E402
from autograd.ops import arithmetic as _arith  # noqa: E402
from autograd.ops import functions as _fn  # noqa: E402
from autograd.ops import indexing as _index  # noqa: E402
from autograd.ops import linalg as _linalg  # noqa: E402
from autograd.ops import reduce as _reduce  # noqa: E402
from autograd.ops import shape as _shape  # noqa: E402
