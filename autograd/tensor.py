"""``Tensor``: a numpy array that remembers how it was made, so that ``backward`` can
apply the chain rule. A 0-d tensor is a scalar: ``Tensor(2.0)`` works like micrograd's Value.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.modes import Scope, _state

if TYPE_CHECKING:
    from autograd.function import Function

ArrayLike = Any  # a number, a nested list of numbers, a numpy array or a Tensor
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# Every tensor is stamped with the next number when it is made. An op's output is made after
# its inputs, so a larger stamp never feeds a smaller one: stamps order the graph.
_stamps = itertools.count()


def float_dtype(dtype: Any, owner: str = "Tensor") -> np.dtype:
    """``dtype`` as np.float32 or np.float64, or a TypeError that ``owner`` raises, naming
    what was given."""
    try:
        resolved = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        resolved = None
    if resolved is None or resolved not in _FLOATS:  # (numpy's dtype compares equal to None)
        raise TypeError(f"{owner}: dtype must be float32 or float64, got {dtype!r}")
    return resolved


def to_array(data: ArrayLike, dtype: Any = None) -> np.ndarray:
    """``data`` as a float32 or float64 array (a copy), or a TypeError/ValueError that says
    what was given. Bools and integers become float64; float32 and float64 are kept."""
    want = None if dtype is None else float_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (str, bytes)) or data is None or isinstance(data, (dict, set)):
        raise TypeError(f"Tensor: data must be a number, a nested list of numbers or a numpy array, "
                        f"got {type(data).__name__} {data!r:.60}")
    if isinstance(data, numbers.Number) and not isinstance(data, numbers.Real):
        raise TypeError(f"Tensor: complex numbers are not supported, got {data!r}")
    if isinstance(data, (list, tuple)):
        try:
            array = np.array(data)
        except ValueError as err:
            raise ValueError(f"Tensor: the nested list is ragged (its rows differ in length), "
                             f"so it is not an array: {err}") from None
    else:
        array = np.asarray(data)
    kind = array.dtype.kind
    if kind in "biu":
        target = want or np.dtype(np.float64)
    elif kind == "f" and array.dtype in _FLOATS:
        target = want or array.dtype
    elif kind == "f":
        raise TypeError(f"Tensor: {array.dtype} data is not supported; use float32 or float64 "
                        f"(for example array.astype(np.float32))")
    else:
        what = {"c": "complex", "O": "object (mixed or non-numeric)", "U": "string", "S": "bytes"}
        raise TypeError(f"Tensor: data must hold real numbers, got {what.get(kind, str(array.dtype))} "
                        f"data of dtype {array.dtype}")
    return np.array(array, dtype=target, copy=True)


class Tensor:
    """An n-dimensional array of float32 or float64 with reverse-mode autodiff.

    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> y = (x * x + 3 * x).sigmoid()
    >>> y.backward()
    >>> x.grad            # dy/dx = s(1 - s) · (2x + 3)

    Attributes: ``data`` (the np.ndarray), ``grad`` (np.ndarray of data's shape, or None),
    ``requires_grad``, ``name``. A tensor made by an op while grad mode is on and some input
    requires grad records that op and its inputs; nothing else keeps the graph alive.
    """

    __slots__ = ("__weakref__", "_op", "_parents", "_retains_grad", "_scope", "_stamp", "data", "grad", "name",
                 "requires_grad")
    __array_ufunc__ = None  # numpy hands `array + tensor` to Tensor.__radd__

    def __init__(self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a string or None, got {name!r}")
        self.data: np.ndarray = to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op: Function | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._scope: Scope | None = None
        self._stamp = next(_stamps)
        self._retains_grad = False

    @classmethod
    def _from_op(cls, data: np.ndarray, op: Function | None, parents: tuple[Tensor, ...]) -> Tensor:
        """The result of an op: no validation or copy (the op made a fresh array)."""
        t = object.__new__(cls)
        t.data = data if isinstance(data, np.ndarray) else np.asarray(data)
        t.grad = None
        t.requires_grad = op is not None
        t.name = None
        t._op = op
        t._parents = parents
        t._scope = _state.scope
        t._stamp = next(_stamps)
        t._retains_grad = False
        return t

    # ---- what it is --------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def op(self) -> Function | None:
        """The op that made this tensor (None for a leaf or a constant)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The inputs of the op that made this tensor."""
        return self._parents

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def retain_grad(self) -> Tensor:
        """Keep this intermediate's gradient in ``.grad`` after ``backward`` (a leaf always
        keeps its own), as ``torch.Tensor.retain_grad``. Returns self."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad, so it gets no gradient")
        self._retains_grad = True
        return self

    @property
    def retains_grad(self) -> bool:
        """True for an intermediate that keeps its ``.grad`` (see ``retain_grad``)."""
        return self._retains_grad

    @property
    def scope(self) -> Scope | None:
        """The innermost ``autograd.scope`` (module call) this tensor was made in."""
        return self._scope

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be a Python number, "
                             f"this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (the same memory, as torch's ``.numpy()``)."""
        return self.data

    def detach(self) -> Tensor:
        """The same data, cut from the graph: it requires no grad and has no op."""
        return Tensor._from_op(self.data, None, ())

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} elements is "
                             f"ambiguous; use .data.any() or .data.all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        def fmt(a: np.ndarray) -> str:
            return np.array2string(a, precision=4, threshold=8, edgeitems=2, separator=", ").replace("\n", "")
        parts = [fmt(self.data)]
        if self.name:
            parts.append(f"name={self.name!r}")
        if self.grad is not None:
            parts.append(f"grad={fmt(self.grad)}")
        if self._op is not None:
            parts.append(f"op={self._op.label()}")
        elif self.requires_grad:
            parts.append("requires_grad=True")
        if self.data.dtype != np.float64:
            parts.append(f"dtype={self.data.dtype}")
        return f"Tensor({', '.join(parts)})"

    # ---- backward ----------------------------------------------------------------------
    def backward(self, grad: ArrayLike | None = None, retain_grads: bool = False) -> None:
        """Compute d(self)/d(t) for every tensor t in the graph that requires grad and add it
        to ``t.grad`` for the leaves (parameters, variables), as PyTorch does. An intermediate
        keeps its gradient when it asked with ``retain_grad()``, or every one does with
        ``retain_grads=True``; otherwise each is freed as soon as it has been handed on, so a
        training step holds no more memory than it needs. ``grad`` is dL/d(self); without it,
        self must hold a single element and the seed is 1."""
        _backward.run_backward(self, self._seed(grad), retain_all=retain_grads)

    def _seed(self, grad: ArrayLike | None) -> np.ndarray:
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph; "
                               "make a leaf with requires_grad=True and compute from it "
                               "(outside no_grad)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward(): grad can be left out only for a tensor with one "
                                   f"element, this one has shape {self.shape}; pass "
                                   f"grad= an array of that shape")
            return np.array(1.0, dtype=self.data.dtype).reshape(self.data.shape)
        seed = to_array(grad).astype(self.dtype, copy=False)
        if seed.shape != self.shape:
            raise ValueError(f"backward(): grad has shape {seed.shape} but the tensor has shape {self.shape}")
        return seed

    # ---- arithmetic (ops live in autograd.ops; these only pick one) ----------------------
    def __add__(self, other: ArrayLike) -> Tensor:
        return _ew.Add.apply(self, _operand(other, self))

    def __radd__(self, other: ArrayLike) -> Tensor:
        return _ew.Add.apply(_operand(other, self), self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return _ew.Sub.apply(self, _operand(other, self))

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _ew.Sub.apply(_operand(other, self), self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return _ew.Mul.apply(self, _operand(other, self))

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return _ew.Mul.apply(_operand(other, self), self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return _ew.Div.apply(self, _operand(other, self))

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _ew.Div.apply(_operand(other, self), self)

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, np.ndarray):
            return _ew.PowScalar.apply(self, exponent=float(exponent))
        return _ew.Pow.apply(self, _operand(exponent, self))

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return _ew.Pow.apply(_operand(base, self), self)

    def __neg__(self) -> Tensor:
        return _ew.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return _linalg.MatMul.apply(self, _operand(other, self))

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _linalg.MatMul.apply(_operand(other, self), self)

    # ---- elementwise functions -----------------------------------------------------------
    def exp(self) -> Tensor:
        return _ew.Exp.apply(self)

    def log(self) -> Tensor:
        return _ew.Log.apply(self)

    def sqrt(self) -> Tensor:
        return _ew.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return _ew.Abs.apply(self)

    def sigmoid(self) -> Tensor:
        return _ew.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return _ew.Tanh.apply(self)

    def relu(self) -> Tensor:
        return _ew.Relu.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return _ew.LeakyRelu.apply(self, negative_slope=float(negative_slope))

    def softplus(self) -> Tensor:
        return _ew.Softplus.apply(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise ValueError("clamp: give min, max or both")
        return _ew.Clamp.apply(self, low=min, high=max)

    # ---- reductions ------------------------------------------------------------------------
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return _reduce.Sum.apply(self, axis=_axis_arg(axis), keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return _reduce.Mean.apply(self, axis=_axis_arg(axis), keepdims=keepdims)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """ln softmax along ``axis``, computed stably (no overflow at large inputs)."""
        return _reduce.LogSoftmax.apply(self, axis=axis, keepdims=True)

    def softmax(self, axis: int = -1) -> Tensor:
        """e^x / Σ e^x along ``axis``: exp of the stable log-softmax."""
        return self.log_softmax(axis).exp()

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The maximum over ``axis``; when several elements tie for it, they share its
        gradient equally (as ``torch.amax``)."""
        return _reduce.Max.apply(self, axis=_axis_arg(axis), keepdims=keepdims)

    # ---- shape -----------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one axis may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _shape.Reshape.apply(self, new_shape=tuple(shape))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (``t.transpose(1, 0)``); with no axes, reverse them, as numpy."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _shape.Transpose.apply(self, axes=tuple(axes) if axes else None)

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.transpose()

    def flatten(self, start_axis: int = 0) -> Tensor:
        """Merge the axes from ``start_axis`` on into one (``flatten(1)`` keeps the batch)."""
        return self.reshape(*self.shape[:start_axis], -1)

    def __getitem__(self, index: Any) -> Tensor:
        return _shape.GetItem.apply(self, index=_index_arg(index))


def as_tensor(value: ArrayLike) -> Tensor:
    """``value`` itself when it is a Tensor, else ``Tensor(value)`` (as ``torch.as_tensor``)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def _operand(value: ArrayLike, like: Tensor) -> Tensor:
    """The other operand of a binary op as a Tensor. A Python number takes ``like``'s dtype
    (``x32 * 2.0`` stays float32, as in PyTorch); arrays and lists are converted as
    ``Tensor()`` does."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool)):
        return Tensor._from_op(np.asarray(value, dtype=like.data.dtype), None, ())
    return Tensor(value)


def _axis_arg(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _index_arg(index: Any) -> Any:
    """Tensors inside an index are replaced by their data (as integers)."""
    def one(part: Any) -> Any:
        if isinstance(part, Tensor):
            data = part.data
            if not np.all(data == np.round(data)):
                raise IndexError(f"getitem: a tensor used as an index must hold whole numbers, got {data}")
            return data.astype(np.intp)
        return part
    return tuple(one(p) for p in index) if isinstance(index, tuple) else one(index)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``np.concatenate``."""
    tensors = _tensor_list(tensors, "concatenate")
    return _shape.Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis, as ``np.stack``."""
    tensors = _tensor_list(tensors, "stack")
    return _shape.Stack.apply(*tensors, axis=axis)


def _tensor_list(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expects a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    return [as_tensor(t) for t in tensors]


# The ops import Function, which imports nothing of this module at load time, so they can
# be imported here, after Tensor exists.
from autograd import backward as _backward  # noqa: E402
from autograd.ops import elementwise as _ew  # noqa: E402
from autograd.ops import linalg as _linalg  # noqa: E402
from autograd.ops import reduce as _reduce  # noqa: E402
from autograd.ops import shape as _shape  # noqa: E402
