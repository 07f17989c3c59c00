"""Kernels for composed ops recorded as one node (units): those that read the values of their
inputs, whose mask or maximum the replay must recompute from the new values, and ``mse_loss``.

``UNITS[name]`` holds a unit's forward (``(b, node) -> Val``), its reverse (``(b, node, g, need)
-> contributions``), and the reverse sweep's formula. Each computes what the eager op computes,
with the same numpy operations where that matters for the last bit (see each docstring). A
composed op that reads values and has no kernel here is an *eager island*: the replay calls the
op itself on tensors around the tape's arrays, and its backward through ``autograd.grad``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.compile import kernels
from autograd.compile.vjp import masked
from autograd.conv import pair
from autograd.modes import set_grad_enabled
from autograd.ops.reduce import kept_shape, normalize_axes
from autograd.tensor import Tensor


@dataclass(frozen=True)
class Unit:
    forward: Any
    reverse: Any
    gradients: tuple[str, ...]  # dL/d(input k) in symbols, as Function.gradients


# ---- relu and leaky relu ----------------------------------------------------------------------
def relu(b: Any, node: Any) -> Any:
    """where(x > 0, x, 0), computed as fmax(x, 0) + 0, the same number in every case: fmax
    ignores a NaN (0, as where gives), and + 0 turns the -0 of x = -0 into where's +0. The
    mask x > 0 goes into a boolean buffer for the reverse sweep."""
    x = b.val(node.inputs[0])
    mask = b.buffer(x.shape, bool)
    b.emit(np.greater, x, 0, mask, writes=mask, ew=True)
    zero = b.const(0.0, x.dtype)
    out = b.ew(np.fmax, x, zero, like=node.out.data)
    b.emit(np.add, out, zero, out, writes=out, ew=True)
    b.saved[node] = mask
    return out


def relu_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    return [masked(b, g, b.saved[node], True)]


def leaky_relu(b: Any, node: Any) -> Any:
    """where(x > 0, x, a·x)."""
    x = b.val(node.inputs[0])
    slope = b.const(float(node.settings.get("negative_slope", 0.01)), x.dtype)
    mask = b.buffer(x.shape, bool)
    b.emit(np.greater, x, 0, mask, writes=mask, ew=True)
    out = b.ew(np.multiply, x, slope, like=node.out.data)
    b.emit(kernels.where_into, out, mask, x, out, writes=out, ew=True)
    b.saved[node] = (mask, slope)
    return out


def leaky_relu_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """where(m, g, 0) + where(m, 0, g)·a, in the order the eager walk adds them."""
    mask, slope = b.saved[node]
    kept, other = masked(b, g, mask, True), masked(b, g, mask, False)
    b.emit(np.multiply, other, slope, other, writes=other, ew=True)
    b.emit(np.add, kept, other, kept, writes=kept, ew=True)
    return [kept]


# ---- clamp, abs, softplus ------------------------------------------------------------------------
def clamp(b: Any, node: Any) -> Any:
    """where(lo <= x <= hi, x, clip(x, lo, hi)): the mask and the clipped numbers recomputed."""
    x = b.val(node.inputs[0])
    lo, hi = node.settings.get("min"), node.settings.get("max")
    inside = b.buffer(x.shape, bool)
    b.emit(np.copyto, inside, True, writes=inside)
    for bound, test in ((lo, np.greater_equal), (hi, np.less_equal)):
        if bound is not None:
            part = b.buffer(x.shape, bool)
            b.emit(test, x, bound, part, writes=part)
            b.emit(np.logical_and, inside, part, inside, writes=inside)
    out = b.out(node)
    b.emit(np.clip, x, lo, hi, out=out, writes=out)
    b.emit(kernels.where_into, out, inside, x, out, writes=out, ew=True)
    b.saved[node] = inside
    return out


def abs_(b: Any, node: Any) -> Any:
    """x · sign(x), the sign recomputed."""
    x = b.val(node.inputs[0])
    sign = b.ew(np.sign, x)
    b.saved[node] = sign
    return b.ew(np.multiply, x, sign, like=node.out.data)


def abs_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    return [b.ew(np.multiply, g, b.saved[node])]


def softplus(b: Any, node: Any) -> Any:
    """u + ln(e^-u + e^d), u = where(x > 0, x, 0), d = where(x > 0, 0, x), as the op does."""
    x = b.val(node.inputs[0])
    mask = b.buffer(x.shape, bool)
    b.emit(np.greater, x, 0, mask, writes=mask, ew=True)
    up, down = masked(b, x, mask, True), masked(b, x, mask, False)
    e1 = b.ew(np.exp, b.ew(np.multiply, up, b.const(-1.0, x.dtype)))
    e2 = b.ew(np.exp, down)
    s = b.ew(np.add, e1, e2)
    b.saved[node] = (mask, s, e1, e2)
    return b.ew(np.add, up, b.ew(np.log, s), like=node.out.data)


def softplus_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """The walk through the op's primitives: g/s times each exponential, back through the masks."""
    mask, s, e1, e2 = b.saved[node]
    gs = b.ew(np.divide, g, s)
    gu = b.ew(np.add, g, b.ew(np.multiply, b.ew(np.multiply, gs, e1), b.const(-1.0, g.dtype)))
    gd = b.ew(np.multiply, gs, e2)
    return [b.ew(np.add, masked(b, gu, mask, True), masked(b, gd, mask, False))]


# ---- log-softmax --------------------------------------------------------------------------------
def log_softmax(b: Any, node: Any) -> Any:
    """z = x - max(x); out = z - ln Σ e^z (x - m is the op's x + (-1·m), the same number)."""
    x = b.val(node.inputs[0])
    (axis,) = normalize_axes(node.settings.get("axis", -1), len(x.shape), "log_softmax")
    kept = kept_shape(x.shape, (axis,))
    m = b.buffer(kept, x.dtype)
    b.emit(np.maximum.reduce, x, axis=axis, keepdims=True, out=m, writes=m)
    z = b.ew(np.subtract, x, m)
    e = b.ew(np.exp, z)
    s = b.buffer(kept, x.dtype)
    b.emit(np.add.reduce, e, axis=(axis,), keepdims=True, out=s, writes=s)
    out = b.ew(np.subtract, z, b.ew(np.log, s), like=node.out.data)
    b.saved[node] = (e, s)
    return out


def log_softmax_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """g + e^z·(-Σ g)/Σ e^z, step by step as the walk goes through the op's primitives."""
    e, s = b.saved[node]
    t = b.ew(np.multiply, b.unbroadcast(g, s.shape), b.const(-1.0, g.dtype))
    t = b.ew(np.divide, t, s)
    return [b.ew(np.add, g, b.ew(np.multiply, t, e))]


# ---- max pooling --------------------------------------------------------------------------------
def pool_geometry(node: Any, x: Any) -> tuple:
    kernel = pair(node.settings["kernel_size"], "kernel_size", "max_pool2d")
    stride = node.settings.get("stride")
    step = kernel if stride is None else pair(stride, "stride", "max_pool2d")
    hw = kernels.output_size(x.shape[2], x.shape[3], kernel, step, (0, 0))
    return kernel, step, hw


def max_pool2d(b: Any, node: Any) -> Any:
    """The windows gathered (im2col), their maximum, and the mask of each window's first
    maximum (argmax) for the reverse sweep. max(w) equals the op's Σ where(first, w, 0)."""
    x = b.val(node.inputs[0])
    kernel, step, hw = pool_geometry(node, x)
    n, c = x.shape[:2]
    k = kernel[0] * kernel[1]
    windows = b.buffer((n, *hw, c, *kernel), x.dtype)
    b.emit(np.copyto, windows, b.view(x, lambda a: kernels.windows_view(a, kernel, step, hw), windows.shape),
           writes=windows)
    flat = b.reshape(windows, (n, *hw, c, k))
    best = b.buffer((n, *hw, c), np.intp)
    b.emit(np.argmax, flat, -1, best, writes=best)
    first = b.buffer(flat.shape, bool)
    b.emit(np.equal, b.view(best, lambda a: a[..., None], (*best.shape, 1)), b.const(np.arange(k)), first,
           writes=first)
    pooled = b.buffer((n, *hw, c), x.dtype)
    b.emit(np.maximum.reduce, flat, axis=-1, out=pooled, writes=pooled)
    b.saved[node] = (first, kernel, step)
    return b.view(pooled, lambda a: a.transpose(0, 3, 1, 2), node.out.shape)


def max_pool2d_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    first, kernel, step = b.saved[node]
    x = b.val(node.inputs[0])
    gt = b.view(g, lambda a: a.transpose(0, 2, 3, 1)[..., None], (*first.shape[:-1], 1))
    spread = masked(b, b.view(gt, lambda a: np.broadcast_to(a, first.shape), first.shape), first, True)
    windows = b.reshape(spread, (*first.shape[:-1], *kernel))
    return [kernels.fold_to(b, windows, x.shape, kernel, step, (0, 0))]


# ---- the mean squared error ---------------------------------------------------------------------
def mse_loss(b: Any, node: Any) -> Any:
    """d = p - y (the op's p + (-1·y), the same number), L = Σ d² · (1/n); d is kept, so the
    gradient 2d/n needs one more pass and nothing else."""
    p, y = (b.val(t) for t in node.inputs)
    d = b.ew(np.subtract, p, y)
    two = b.const(2.0, d.dtype)
    q = b.ew(np.power, d, two)
    out = b.out(node)
    b.emit(np.add.reduce, q, tuple(range(len(q.shape))), None, out, writes=out)
    scale = None
    if node.settings.get("reduction", "mean") == "mean":
        scale = b.const(1.0 / max(int(np.prod(q.shape)), 1), d.dtype)
        b.emit(np.multiply, out, scale, out, writes=out)
    b.saved[node] = (d, two, scale)
    return out


def mse_loss_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """dL/dp = g·(1/n)·(2d), dL/dy = -dL/dp. When g is the seed 1, one pass: d·(2/n) (the
    same number: doubling is exact)."""
    d, two, scale = b.saved[node]
    if scale is not None and b.is_seed(g):
        gp = b.ew(np.multiply, d, b.const(2.0 * scale.array, d.dtype))
    else:
        gs = g if scale is None else b.ew(np.multiply, g, scale)
        gp = b.ew(np.multiply, gs, b.ew(np.multiply, two, d))
    gy = b.ew(np.multiply, gp, b.const(-1.0, d.dtype)) if need[1] else None
    return [gp if need[0] else None, gy]


def mse_fits(node: Any) -> bool:
    return node.names == ("prediction", "target") and node.settings.get("reduction", "mean") in ("mean", "sum")


UNITS = {
    "relu": Unit(relu, relu_reverse, ("{g} where {0} > 0, else 0",)),
    "clamp": Unit(clamp, relu_reverse, ("{g} where lo ≤ {0} ≤ hi, else 0",)),
    "abs": Unit(abs_, abs_reverse, ("{g} ⊙ sign({0})",)),
    "softplus": Unit(softplus, softplus_reverse, ("{g} ⊙ σ({0})",)),
    "leaky_relu": Unit(leaky_relu, leaky_relu_reverse, ("{g} where {0} > 0, else a·{g}",)),
    "log_softmax": Unit(log_softmax, log_softmax_reverse, ("{g} - softmax({0})·Σ {g}",)),
    "max_pool2d": Unit(max_pool2d, max_pool2d_reverse, ("{g} at the maximum of each window of {0}",)),
    "mse_loss": Unit(mse_loss, mse_loss_reverse, ("2·({0} - {1})/n · {g}", "-2·({0} - {1})/n · {g}")),
}
FITS = {"relu": lambda n: n.names == ("x",), "leaky_relu": lambda n: n.names == ("x",),
        "clamp": lambda n: n.names == ("x",), "abs": lambda n: n.names == ("x",),
        "softplus": lambda n: n.names == ("x",),
        "log_softmax": lambda n: n.names == ("x",), "max_pool2d": lambda n: n.names == ("x",), "mse_loss": mse_fits}


def has_kernel(node: Any) -> bool:
    name = node.op.__name__
    return name in UNITS and FITS[name](node)


# ---- eager islands ------------------------------------------------------------------------------
class Island:
    """A composed op run eagerly inside the replay: what its last forward made, for its backward."""

    def __init__(self, node: Any, grad: bool) -> None:
        self.fn, self.names, self.settings = node.op, node.names, node.settings
        self.requires = tuple(t.requires_grad for t in node.inputs)
        self.grad = grad
        self.out: Tensor | None = None
        self.ins: list[Tensor] = []

    def forward(self, out: np.ndarray, *arrays: np.ndarray) -> None:
        self.ins = [_leaf(a, r) for a, r in zip(arrays, self.requires, strict=True)]
        with set_grad_enabled(self.grad):
            result = self.fn(**dict(zip(self.names, self.ins, strict=True)), **self.settings)
        np.copyto(out, result.data)
        self.out = result

    def backward(self, need: tuple[bool, ...], g: np.ndarray, *targets: np.ndarray) -> None:
        from autograd.gradients import grad

        wrt = [t for t, n in zip(self.ins, need, strict=True) if n]
        for target, got in zip(targets, grad(self.out, wrt, grad_outputs=g, allow_unused=True), strict=True):
            np.copyto(target, 0.0 if got is None else got.data)
        self.out, self.ins = None, []  # the island's graph is freed until the next forward


def _leaf(array: np.ndarray, requires_grad: bool) -> Tensor:
    """A tensor around the tape's array (no copy)."""
    t = Tensor.__new__(Tensor)
    t._setup(array, requires_grad)
    return t


def island(b: Any, node: Any) -> Any:
    state = Island(node, b.has_backward)
    b.saved[node] = state
    out = b.out(node)
    b.emit(state.forward, out, *[b.val(t) for t in node.inputs], writes=out)
    return out


def island_reverse(b: Any, node: Any, g: Any, need: list[bool]) -> list[Any]:
    """The island's inputs that the recorded op handed a gradient to get one, as the walk would."""
    from autograd.gradients import grad

    wanted = [t for t, n in zip(node.inputs, need, strict=True) if n]
    if not wanted:
        return [None] * len(need)
    got = grad(node.out, wanted, grad_outputs=np.ones(node.out.shape, node.out.dtype), allow_unused=True)
    reached = iter(x is not None for x in got)
    reaches = tuple(bool(n and next(reached)) for n in need)
    outs = [b.buffer(t.shape, t.dtype) if n else None for t, n in zip(node.inputs, reaches, strict=True)]
    written = tuple(o for o in outs if o is not None)
    if written:
        b.emit(b.saved[node].backward, reaches, g, *written, writes=written)
    return outs


def settings_text(node: Any) -> str:
    """The unit's settings that differ from the op's defaults: ``axis=1``, ``kernel_size=2``."""
    defaults = {k: p.default for k, p in inspect.signature(node.op).parameters.items()}
    shown = [f"{k}={v!r}" for k, v in node.settings.items() if defaults.get(k, inspect.Parameter.empty) != v]
    return ", ".join(shown)
