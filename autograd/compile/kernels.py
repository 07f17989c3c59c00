"""Forward kernels: each primitive op as numpy calls that write into the tape's buffers.

``FORWARD[op class](b, node, *inputs) -> Val`` emits the calls for one recorded node (through the
builder ``b``, see ``build.py``) and returns the value of its result. Each computes what the op's
own ``forward`` computes, with the same numpy operations (so the numbers are equal bit for bit),
into a buffer written with ``out=``; ops that move no numbers (reshape, transpose) are views made
once. An elementwise result may take the buffer of an input that is not needed afterwards, so
``linear + sigmoid`` runs in one buffer: ``Z = X @ W``, ``Z += b``, then σ in place on Z.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.ops import arithmetic, functions, indexing, linalg, reduce, shape, windows
from autograd.ops import where as where_op
from autograd.ops.windows import output_size


def _ufunc(fn: np.ufunc) -> Any:
    def forward(b: Any, node: Any, *xs: Any) -> Any:
        return b.ew(fn, *xs, like=node.out.data)
    return forward


def sigmoid(b: Any, node: Any, x: Any) -> Any:
    """σ(x) = 1 / (1 + e^-x), as the op computes it, in four passes over one buffer."""
    out = b.out(node)
    one = b.const(1.0, out.dtype)
    b.emit(np.negative, x, out, writes=out, inplace=(x,), ew=True)
    b.emit(np.exp, out, out, writes=out, ew=True)
    b.emit(np.add, one, out, out, writes=out, ew=True)
    b.emit(np.divide, one, out, out, writes=out, ew=True)
    return out


def power(b: Any, node: Any, x: Any) -> Any:
    """x ** c for the op's number c, as ``x ** c`` computes it (np.power with a Python float:
    the same bits as numpy's own fast paths for 2, 0.5 and -1)."""
    return b.ew(np.power, x, b.const(node.op.exponent, x.dtype), like=node.out.data)


def where_into(out: np.ndarray, c: Any, x: Any, y: Any) -> None:
    """``np.where(c, x, y)`` (the op's own forward) into ``out``. (A masked ``np.copyto(out, x,
    where=c)`` would need no temporary, but numpy runs it four to five times slower.)"""
    np.copyto(out, np.where(c, x, y))


def where(b: Any, node: Any, c: Any, x: Any, y: Any) -> Any:
    out = b.out(node)
    b.emit(where_into, out, c, x, y, writes=out, ew=True)
    return out


def reduction(fn: np.ufunc) -> Any:
    def forward(b: Any, node: Any, x: Any) -> Any:
        out = b.out(node)
        b.emit(fn.reduce, x, node.op.axes, None, out, node.op.keepdims, writes=out)
        return out
    return forward


def broadcast_to(b: Any, node: Any, x: Any) -> Any:
    out = b.out(node)
    b.emit(np.copyto, out, x, writes=out)
    return out


def reshape(b: Any, node: Any, x: Any) -> Any:
    return b.reshape(x, node.out.shape)


def transpose(b: Any, node: Any, x: Any) -> Any:
    axes = tuple(range(len(x.shape)))[::-1] if node.op.axes is None else node.op.axes
    return b.view(x, lambda a: a.transpose(axes), node.out.shape)


def is_basic(index: Any) -> bool:
    """True for an index that numpy answers with a view: ints, slices, None, ``...``."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def take_into(out: np.ndarray, x: np.ndarray, index: Any) -> None:
    out[...] = x[index]


def getitem(b: Any, node: Any, x: Any) -> Any:
    out, index = b.out(node), node.op.index
    if is_basic(index):
        b.emit(np.copyto, out, b.view(x, lambda a: a[index], node.out.shape), writes=out)
    else:
        b.emit(take_into, out, x, index, writes=out)
    return out


def scatter_into(out: np.ndarray, x: np.ndarray, index: Any, once: bool) -> None:
    out.fill(0)
    if once:
        out[index] = x
    else:
        np.add.at(out, index, x)


def scatter(b: Any, node: Any, x: Any) -> Any:
    out = b.out(node)
    b.emit(scatter_into, out, x, node.op.index, indexing.picks_each_once(node.op.index), writes=out)
    return out


def concatenate_into(out: np.ndarray, axis: int, *xs: np.ndarray) -> None:
    np.concatenate(xs, axis=axis, out=out)


def concatenate(b: Any, node: Any, *xs: Any) -> Any:
    out = b.out(node)
    b.emit(concatenate_into, out, node.op.axis, *xs, writes=out)
    return out


def astype(b: Any, node: Any, x: Any) -> Any:
    out = b.out(node)
    b.emit(np.copyto, out, x, casting="unsafe", writes=out)
    return out


def matmul(b: Any, node: Any, x: Any, y: Any) -> Any:
    out = b.out(node)
    b.emit(np.matmul, x, y, out, writes=out)  # never in place: numpy would copy an operand first
    return out


def windows_view(image: np.ndarray, kernel: tuple, stride: tuple, out_hw: tuple) -> np.ndarray:
    """The (N, OH, OW, C, kH, kW) windows of ``image`` (N, C, H, W), a strided view (im2col)."""
    n, c = image.shape[:2]
    s = image.strides
    return as_strided(image, shape=(n, *out_hw, c, *kernel),
                      strides=(s[0], s[2] * stride[0], s[3] * stride[1], s[1], s[2], s[3]), writeable=False)


def padded(b: Any, x: Any, padding: tuple) -> Any:
    """``x`` inside a zero border of ``padding``: a pinned buffer whose border is zeroed once
    and whose inside is copied from x at each replay (x itself when there is no padding)."""
    (ph, pw) = padding
    if not ph and not pw:
        return x
    n, c, h, w = x.shape
    image = b.buffer((n, c, h + 2 * ph, w + 2 * pw), x.dtype, role="pinned")
    inside = b.view(image, lambda a: a[:, :, ph:ph + h, pw:pw + w], x.shape)
    b.emit(np.copyto, inside, x, writes=inside)
    return image


def unfold(b: Any, node: Any, x: Any) -> Any:
    op = node.op
    image = padded(b, x, op.padding)
    hw = output_size(x.shape[2], x.shape[3], op.kernel, op.stride, op.padding)
    out = b.out(node)
    win = b.view(image, lambda a: windows_view(a, op.kernel, op.stride, hw), node.out.shape)
    b.emit(np.copyto, out, win, writes=out)
    return out


def fold_into(image: np.ndarray, y: np.ndarray, kernel: tuple, stride: tuple) -> None:
    """Fold's forward into ``image`` (padded): each window added back where unfold read it."""
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = y.shape[1:3]
    image.fill(0)
    for i in range(kh):
        for j in range(kw):
            part = image[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            np.add(part, y[:, :, :, :, i, j].transpose(0, 3, 1, 2), out=part)


def fold_to(b: Any, y: Any, image_shape: tuple, kernel: tuple, stride: tuple, padding: tuple) -> Any:
    """The image (N, C, H, W) that windows ``y`` tile (fold), as a view inside a padded buffer."""
    (ph, pw) = padding
    n, c, h, w = image_shape
    image = b.buffer((n, c, h + 2 * ph, w + 2 * pw), y.dtype)
    b.emit(fold_into, image, y, kernel, stride, writes=image)
    return b.view(image, lambda a: a[:, :, ph:ph + h, pw:pw + w], image_shape)


def fold(b: Any, node: Any, y: Any) -> Any:
    op = node.op
    return fold_to(b, y, op.shape, op.kernel, op.stride, op.padding)


def generic_into(out: np.ndarray, op: Any, *xs: np.ndarray) -> None:
    np.copyto(out, op.forward(*xs))


def generic(b: Any, node: Any, *xs: Any) -> Any:
    """An op without a kernel of its own: its ``forward`` (a fresh array) copied into the buffer."""
    out = b.out(node)
    b.emit(generic_into, out, node.op, *xs, writes=out)
    return out


FORWARD = {
    arithmetic.Add: _ufunc(np.add), arithmetic.Mul: _ufunc(np.multiply), arithmetic.Pow: _ufunc(np.power),
    arithmetic.Power: power, functions.Exp: _ufunc(np.exp), functions.Log: _ufunc(np.log),
    functions.Tanh: _ufunc(np.tanh), functions.Sigmoid: sigmoid, where_op.Where: where,
    reduce.Sum: reduction(np.add), reduce.Max: reduction(np.maximum), reduce.BroadcastTo: broadcast_to,
    shape.Reshape: reshape, shape.Transpose: transpose, indexing.GetItem: getitem, indexing.Scatter: scatter,
    indexing.Concatenate: concatenate, shape.AsType: astype, linalg.MatMul: matmul,
    windows.Unfold: unfold, windows.Fold: fold,
}
