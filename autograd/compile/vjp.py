"""Reverse kernels: each primitive's vector-Jacobian product as numpy calls into the tape's buffers.

``VJP[op class](b, node, g, need) -> [contribution or None per input]``: given the value ``g`` of
dL/d(out), emit the calls that compute what the op's ``backward`` computes, for the inputs that
need a gradient (``need[k]``), with the same numpy operations in the same order (so the numbers
are equal bit for bit). A contribution may have the broadcast shape of the output: the builder
sums it back to the input's shape (as the walk's ``fit`` does) and adds it to what the input has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.compile import kernels
from autograd.ops import arithmetic, functions, indexing, linalg, reduce, shape, windows
from autograd.ops import where as where_op
from autograd.ops.reduce import kept_shape


def add(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    return [g if n else None for n in need]  # a sum hands its gradient on unchanged: the same buffer


def mul(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    x, y = b.ins(node)
    return [b.ew(np.multiply, g, y) if need[0] else None, b.ew(np.multiply, g, x) if need[1] else None]


def pow_(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """ga = g · where(e == 0, 0, e·a^(e-1)) for a constant 0-d exponent e; any other case runs
    the op's own backward."""
    a, e = b.ins(node)
    if need[1] or e.shape != () or e.role != "const":
        return generic(b, node, g, need)
    exponent = e.array
    if exponent == 0:
        return [b.zeros(np.broadcast_shapes(g.shape, a.shape), g.dtype), None]
    t = b.ew(np.power, a, exponent - 1.0)  # (e - 1.0) as the op computes it: a numpy scalar
    b.emit(np.multiply, e, t, t, writes=t, ew=True)
    return [b.ew(np.multiply, g, t), None]


def power(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """g · (c·x^(c-1)) for the op's number c, as its backward computes it; g · 0 when c = 0."""
    (x,), c = b.ins(node), node.op.exponent
    if c == 0:
        return [b.ew(np.multiply, g, b.const(0.0, g.dtype))]
    t = b.ew(np.power, x, b.const(c - 1.0, x.dtype))
    b.emit(np.multiply, b.const(c, x.dtype), t, t, writes=t, ew=True)
    return [b.ew(np.multiply, g, t)]


def exp(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    return [b.ew(np.multiply, g, b.val(node.out))]


def log(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    return [b.ew(np.divide, g, b.ins(node)[0])]


def sigmoid(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """g · (s·(1 - s)), with s the saved output."""
    s = b.val(node.out)
    t = b.ew(np.subtract, b.const(1.0, s.dtype), s)
    b.emit(np.multiply, s, t, t, writes=t, ew=True)
    return [b.ew(np.multiply, g, t)]


def tanh(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """g · (1 - t²), with t the saved output."""
    t = b.val(node.out)
    u = b.ew(np.multiply, t, t)
    b.emit(np.subtract, b.const(1.0, t.dtype), u, u, writes=u, ew=True)
    return [b.ew(np.multiply, g, u)]


def masked(b: Any, g: Any, mask: Any, keep: bool) -> Any:
    """where(mask, g, 0) (keep=True) or where(mask, 0, g), as the op's VJP computes it."""
    out = b.buffer(g.shape, g.dtype)
    b.emit(kernels.where_into, out, mask, g if keep else 0.0, 0.0 if keep else g, writes=out, ew=True)
    return out


def where(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    c = b.ins(node)[0]
    return [None, masked(b, g, c, True) if need[1] else None, masked(b, g, c, False) if need[2] else None]


def sum_(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """g copied back to every summed term (a copy, as the op's: a matmul reading a broadcast view
    would take numpy's own loop instead of BLAS, and sum in another order)."""
    x = b.ins(node)[0]
    kept = b.reshape(g, kept_shape(x.shape, node.op.axes))
    if kept.shape == x.shape:
        return [kept]
    out = b.buffer(x.shape, g.dtype)
    b.emit(np.copyto, out, kept, writes=out)
    return [out]


def broadcast_to(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    return [b.unbroadcast(g, b.ins(node)[0].shape)]


def reshape(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    return [b.reshape(g, b.ins(node)[0].shape)]


def transpose(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    inverse = node.op.inverse
    return [b.view(g, lambda a: a.transpose(inverse), b.ins(node)[0].shape)]


def getitem(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    x = b.ins(node)[0]
    out = b.buffer(x.shape, g.dtype)
    index = node.op.index
    b.emit(kernels.scatter_into, out, g, index, indexing.picks_each_once(index), writes=out)
    return [out]


def scatter(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    x, index = b.ins(node)[0], node.op.index
    if kernels.is_basic(index):
        return [b.view(g, lambda a: a[index], x.shape)]
    out = b.buffer(x.shape, g.dtype)
    b.emit(kernels.take_into, out, g, index, writes=out)
    return [out]


def concatenate(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    xs = b.ins(node)
    axis = node.op.axis % len(g.shape)
    ends = np.cumsum([x.shape[axis] for x in xs])
    parts = []
    for x, end, n in zip(xs, ends, need, strict=True):
        where = (slice(None),) * axis + (slice(int(end) - x.shape[axis], int(end)),)
        parts.append(b.view(g, lambda a, where=where: a[where], x.shape) if n else None)
    return parts


def astype(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    x = b.ins(node)[0]
    out = b.buffer(x.shape, x.dtype)
    b.emit(np.copyto, out, g, casting="unsafe", writes=out)
    return [out]


def matmul(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """dA = G @ Bᵀ, dB = Aᵀ @ G (the transposes are views); 1-D operands run the op's backward."""
    x, y = b.ins(node)
    if len(x.shape) < 2 or len(y.shape) < 2:
        return generic(b, node, g, need)
    ga = gb = None
    if need[0]:
        ga = b.matmul(g, b.swap_last(y))
    if need[1]:
        gb = b.matmul(b.swap_last(x), g)
    return [ga, gb]


def unfold(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    op = node.op
    return [kernels.fold_to(b, g, b.ins(node)[0].shape, op.kernel, op.stride, op.padding)]


def fold(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    op = node.op
    image = kernels.padded(b, g, op.padding)
    y = b.ins(node)[0]
    hw = y.shape[1:3]
    out = b.buffer(y.shape, g.dtype)
    b.emit(np.copyto, out, b.view(image, lambda a: kernels.windows_view(a, op.kernel, op.stride, hw), y.shape),
           writes=out)
    return [out]


def generic_vjp_into(op: Any, need: tuple[bool, ...], n: int, g: np.ndarray, out: np.ndarray,
                     *arrays: np.ndarray) -> None:
    """The op's backward on arrays; each result it must give copied into its buffer."""
    vjps = op.backward(g, out, *arrays[:n])
    targets = iter(arrays[n:])
    for vjp, wanted in zip(vjps if type(vjps) is tuple else (vjps,), need, strict=False):
        if wanted:
            np.copyto(next(targets), vjp)


def generic(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """The op's own backward on arrays (fresh ones each replay) copied into buffers; the shapes
    of its results are found by running it once on the recorded arrays."""
    inputs = [t.data for t in node.inputs]
    trial = node.op.backward(np.ones(g.shape, g.dtype), node.out.data, *inputs)
    trial = list(trial) if type(trial) is tuple else [trial]
    trial += [None] * (len(need) - len(trial))
    wanted = tuple(bool(n and v is not None) for n, v in zip(need, trial, strict=True))
    outs = [b.buffer(np.shape(v), np.asarray(v).dtype) if w else None for v, w in zip(trial, wanted, strict=True)]
    written = tuple(o for o in outs if o is not None)
    if written:
        ins = b.ins(node)
        b.emit(generic_vjp_into, node.op, wanted, len(ins), g, b.val(node.out), *ins, *written, writes=written)
    return outs


VJP = {
    arithmetic.Add: add, arithmetic.Mul: mul, arithmetic.Pow: pow_, arithmetic.Power: power, functions.Exp: exp,
    functions.Log: log, functions.Sigmoid: sigmoid, functions.Tanh: tanh,
    where_op.Where: where, reduce.Sum: sum_, reduce.Max: generic, reduce.BroadcastTo: broadcast_to,
    shape.Reshape: reshape, shape.Transpose: transpose, indexing.GetItem: getitem, indexing.Scatter: scatter,
    indexing.Concatenate: concatenate, shape.AsType: astype, linalg.MatMul: matmul,
    windows.Unfold: unfold, windows.Fold: fold,
}
