"""Why the first disagreeing gradient disagrees: the usual mistakes of a hand-written backward
pass, each tried against the student's numbers.

Some mistakes show in the numbers themselves (the student's gradient is the engine's times
-1, 2, n or 1/n; its transpose; one row per point instead of their sum). The others are
tried by making the mistake on purpose: a backward pass of our own over the engine's graph
(``gradients_if``) with one step done wrongly (the sigmoid's slope left out, or evaluated at
z, a matrix product without its transpose, a weight read after its update); when that gives
the student's numbers, that is the mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from autograd import Tensor
from autograd.ops.reduce import unbroadcast
from autograd.teach.graph import all_nodes
from experiments.check.compare import Comparison, Comparisons, close
from experiments.check.compare import describe as name

# a node and dL/dnode → the gradients it hands on, as (tensor, gradient) pairs, or None: as usual
Change = Callable[[Tensor, np.ndarray], "list[tuple[Tensor, np.ndarray]] | None"]


@dataclass
class Diagnosis:
    """``mistake`` is a short key (``sigmoid_derivative_missing``, ``factor_n``...); ``text``
    says what is wrong and what the right formula is."""

    mistake: str
    text: str


@dataclass
class Context:
    first: Comparison
    comparisons: Comparisons
    loss: Tensor
    n: int                        # points in the batch
    default_loss: bool            # the checker used the mean squared error: the file has no loss
    changed: dict[int, np.ndarray]  # weights (by id) that the student's backward changed: their new values


def diagnose(ctx: Context) -> Diagnosis:
    """The first usual mistake that gives the student's numbers, else a description of the difference."""
    for test in (_not_finite, _shape, _scaled, _transposed, _made_on_purpose):
        found = test(ctx)
        if found is not None:
            return found
    return _unexplained(ctx)


# ---- mistakes that show in the numbers --------------------------------------------------------------
def _not_finite(ctx: Context) -> Diagnosis | None:
    if np.all(np.isfinite(ctx.first.yours)):
        return None
    return Diagnosis("not_finite", f"Your gradient of {ctx.first.name} holds NaN or inf: something overflowed or "
                                   f"was divided by zero before it.")


def _shape(ctx: Context) -> Diagnosis | None:
    c = ctx.first
    s, e = c.yours, c.engine
    if s.shape == e.shape:
        return None
    if s.ndim == 2 and s.shape[0] == ctx.n and e.size == s.shape[1] and close(s.sum(axis=0), e.reshape(-1)):
        keep = ", keepdims=True" if e.ndim == 2 else ""
        return Diagnosis("bias_not_summed",
                         f"Your {c.yours_name} has one row per point ({s.shape[0]}×{s.shape[1]}), but {c.name} is "
                         f"{_shape_text(e)}: the bias is added to every row of the batch, so its gradient is the sum "
                         f"of theirs. Write d{c.name} = np.sum(dz, axis=0{keep}), with dz the gradient of the layer's "
                         f"output.")
    if s.ndim == 2 and s.shape == e.T.shape and close(s, e.T):
        return _transpose_text(ctx)
    return Diagnosis("shape", f"Your {c.yours_name} has shape {_shape_text(s)}, but {c.name} has shape "
                              f"{_shape_text(e)}: a gradient always has the shape of its tensor.")


SCALES = {  # the student's numbers are r times the engine's
    2.0: ("factor_2", "twice the engine's: a 2 too many"),
    0.5: ("factor_2", "half the engine's: the 2 of the squared error is missing; d/dŷ (ŷ − y)² = 2(ŷ − y)"),
}


def _scaled(ctx: Context) -> Diagnosis | None:
    c, n = ctx.first, ctx.n
    s, e = c.yours, c.engine
    if s.shape != e.shape or not np.any(e):
        return None
    r = float(np.vdot(s, e) / np.vdot(e, e))
    if abs(r - 1.0) < 1e-9 or not close(s, r * e):
        return None
    sign = r < 0
    size = abs(r)
    where = ("Every gradient your backward computes from it carries the same factor, so the mistake is at "
             "this step or before it, in dL/dŷ.")
    hint = (" The checker used the mean squared error because your file defines no loss; if your loss is "
            "another one (½·Σ(ŷ − y)², say), define loss(y_pred, y) in the file and check again."
            if ctx.default_loss else "")
    if sign and abs(size - 1.0) < 1e-9:
        return Diagnosis("sign", f"Your {c.yours_name} is exactly −1 times the engine's: the sign is flipped. "
                                 f"dL/dŷ = 2(ŷ − y)/n points uphill and gradient descent subtracts it "
                                 f"(θ ← θ − ρ·∇L); writing (y − ŷ) flips every gradient computed from it. {where}")
    texts = {n / 2: ("factor_n", f"{n / 2:g} times the engine's (n = {n} points): your dL/dŷ is ŷ − y, the "
                                 f"derivative of ½·Σ(ŷ − y)², but the loss is the mean, L = (1/n)·Σ(ŷ − y)², "
                                 f"whose derivative is 2(ŷ − y)/n"),
             n: ("factor_n", f"{n} times the engine's (n = {n} points): the 1/n of the mean is missing. "
                             f"L = (1/n)·Σ(ŷ − y)², so dL/dŷ = 2(ŷ − y)/n"),
             1.0 / n: ("factor_n", f"1/{n} of the engine's (n = {n} points): divided by n once too often"),
             2.0 * n: ("factor_n", f"{2 * n} times the engine's: both the 1/n of the mean and the 2 of the square "
                                   f"are extra or missing; dL/dŷ = 2(ŷ − y)/n"),
             0.5 / n: ("factor_n", f"1/{2 * n} of the engine's: dL/dŷ = 2(ŷ − y)/n, and yours is (ŷ − y)/n²"),
             **SCALES}
    for value, (key, text) in texts.items():
        if abs(size - value) <= 1e-9 * value:
            flipped = " and its sign is flipped" if sign else ""
            return Diagnosis(key if not sign else f"{key}_and_sign", f"Your {c.yours_name} is {text}{flipped}. "
                                                                     f"{where}{hint}")
    if e.size == 1:  # one number is always some multiple of another: only a known factor says something
        return None
    return Diagnosis("factor", f"Your {c.yours_name} is the engine's times {r:.6g}: a constant factor is wrong. "
                               f"{where}{hint}")


def _transposed(ctx: Context) -> Diagnosis | None:
    c = ctx.first
    if c.yours.ndim == 2 and c.yours.shape == c.engine.T.shape and close(c.yours, c.engine.T):
        return _transpose_text(ctx)
    return None


def _transpose_text(ctx: Context) -> Diagnosis:
    c = ctx.first
    consumer = next((t for t in all_nodes(ctx.loss) if t.op is not None and t.op.name == "matmul"
                     and any(p is c.node for p in t.parents)), None)
    rule = ""
    if consumer is not None:
        a, b = consumer.parents
        if b is c.node:
            rule = f" For {name(consumer)}, d{c.name} = {name(a)}ᵀ @ dL/d{name(consumer)}, not its transpose."
        else:
            rule = f" For {name(consumer)}, d{c.name} = dL/d{name(consumer)} @ {name(b)}ᵀ, not its transpose."
    return Diagnosis("transposed", f"Your {c.yours_name} is the transpose of the engine's: a product written in the "
                                   f"wrong order (δᵀ·X instead of Xᵀ·δ).{rule}")


# ---- mistakes made on purpose ------------------------------------------------------------------------
def gradients_if(loss: Tensor, change: Change) -> dict[int, np.ndarray]:
    """dL/dt for every tensor of the graph by a backward pass of our own in which ``change``
    may replace what a node hands on (a mistake made on purpose; it may also hand a gradient
    straight to an earlier tensor, past the ops of a sigmoid written out by hand); nothing is
    stored anywhere."""
    order = [t for t in all_nodes(loss) if t.requires_grad]
    pending: dict[int, np.ndarray] = {id(loss): np.ones(loss.shape, loss.dtype)}
    found: dict[int, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for node in reversed(order):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            found[id(node)] = g
            if node.op is None:
                continue
            handed = change(node, g)
            if handed is None:
                vjps = node.op.backward(g, node.data, *[p.data for p in node.parents])
                handed = list(zip(node.parents, vjps if isinstance(vjps, tuple) else (vjps,), strict=True))
            for parent, vjp in handed:
                if vjp is not None and parent.requires_grad:
                    vjp = unbroadcast(np.asarray(vjp), parent.shape)
                    pending[id(parent)] = pending[id(parent)] + vjp if id(parent) in pending else vjp
    return found


ACTIVATIONS = {"sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh}
REACH = 8  # how many ops back an activation's input may be (a sigmoid written out is four or five)


def activations(loss: Tensor) -> list[tuple[str, Tensor, Tensor]]:
    """(kind, z, s) for each s = sigmoid(z) or tanh(z) in the graph, whether the engine's op or
    written out by hand (1 / (1 + np.exp(-z))): s is computed from z and holds σ(z)'s numbers."""
    found: dict[int, tuple[str, Tensor, Tensor]] = {}
    for s in all_nodes(loss):  # in forward order: a later s of the same z (the whole 1 / (1 + e^-z)) wins
        if s.op is None or not s.requires_grad:
            continue
        for z in _ancestors(s):
            if z.shape != s.shape or not z.requires_grad:
                continue
            with np.errstate(all="ignore"):
                kind = next((k for k, f in ACTIVATIONS.items() if np.allclose(s.data, f(z.data), rtol=1e-9,
                                                                                  atol=1e-12)), None)
            if kind is not None:
                found[id(z)] = (kind, z, s)
                break
    return list(found.values())


def _ancestors(t: Tensor) -> list[Tensor]:
    """The tensors t is computed from within ``REACH`` ops, nearest first."""
    seen, layer, out = {id(t)}, [t], []
    for _ in range(REACH):
        layer = [p for node in layer for p in node.parents if id(p) not in seen and not seen.add(id(p))]
        out += layer
    return out


def _mistakes(ctx: Context) -> Iterator[tuple[str, str, Change]]:
    """(key, text, change) for every usual mistake that can be made somewhere in this graph."""
    for kind, z, s in activations(ctx.loss):
        yield from _activation_mistakes(kind, z, s)
    for node in [t for t in all_nodes(ctx.loss) if t.op is not None and t.requires_grad]:
        if node.op.name == "matmul" and all(p.ndim == 2 for p in node.parents):
            a, b = node.parents
            if a.requires_grad and b.shape[0] == b.shape[1]:
                yield ("untransposed", f"A product without its transpose where {name(node)} is computed: "
                                       f"dL/d{name(a)} = dL/d{name(node)} @ {name(b)}ᵀ, and your numbers are "
                                       f"dL/d{name(node)} @ {name(b)}.",
                       _at(node, lambda g, a=a, b=b: [(a, g @ b.data)]))
    weights = [t for t in all_nodes(ctx.loss) if id(t) in ctx.changed]
    for w in sorted(weights, key=lambda t: ctx.comparisons.order.get(id(t), 0)):
        yield ("update_before_backward",
               f"{name(w)} was updated before the gradient below it was computed: the gradients of the layers "
               f"under {name(w)} must use {name(w)} as the forward pass used it, and your numbers are what the "
               f"updated {name(w)} gives. Compute every gradient first, then update the weights.",
               _reading({id(w): ctx.changed[id(w)]}))


def _activation_mistakes(kind: str, z: Tensor, s: Tensor) -> Iterator[tuple[str, str, Change]]:
    """The mistakes of going back through s = σ(z) (or tanh): each hands dL/dz straight to z."""
    sn, zn, out, x = name(s), name(z), s.data, z.data
    of = zn if zn.startswith("(") else f"({zn})"  # σ(z2), or σ(a1 @ W2) for an unnamed z
    if kind == "sigmoid":
        right = f"dL/d{zn} = dL/d{sn} ⊙ {sn}·(1 − {sn})"
        yield ("sigmoid_derivative_missing",
               f"The σ'(z) factor is missing where {sn} = σ{of}: going back through a sigmoid, the gradient is "
               f"multiplied by its slope, {right}; your numbers are what dL/d{sn} alone gives.",
               _at(s, lambda g: [(z, g)]))
        yield ("sigmoid_derivative_of_z",
               f"σ' is applied to z instead of σ(z) where {sn} = σ{of}: the slope s(1 − s) is written with the "
               f"sigmoid's output s = {sn}, so {right}; your numbers are dL/d{sn} ⊙ {zn}·(1 − {zn}), the output's "
               f"formula evaluated at the input (the lab's classic pitfall).",
               _at(s, lambda g: [(z, g * x * (1 - x))]))
        twice = ACTIVATIONS["sigmoid"](out)
        yield ("sigmoid_applied_twice",
               f"σ' is computed as σ(s)(1 − σ(s)) from the output s = {sn}, so the sigmoid is applied twice: "
               f"{right}, or equally σ{of}(1 − σ{of}) of the input.",
               _at(s, lambda g: [(z, g * twice * (1 - twice))]))
    else:
        yield ("tanh_derivative_missing", f"The tanh'(z) factor is missing where {sn} = tanh{of}: dL/d{zn} = "
                                          f"dL/d{sn} ⊙ (1 − {sn}²).", _at(s, lambda g: [(z, g)]))
        yield ("tanh_derivative_of_z", f"tanh' is applied to z instead of tanh(z) where {sn} = tanh{of}: "
                                       f"dL/d{zn} = dL/d{sn} ⊙ (1 − {sn}²), and your numbers are dL/d{sn} ⊙ "
                                       f"(1 − {zn}²).", _at(s, lambda g: [(z, g * (1 - x * x))]))


def _at(target: Tensor, hand: Callable[[np.ndarray], list]) -> Change:
    """At ``target``, hand on what ``hand(g)`` gives instead of the op's usual VJPs."""
    def change(node: Tensor, g: np.ndarray) -> list | None:
        return hand(g) if node is target else None
    return change


def _reading(values: dict[int, np.ndarray]) -> Change:
    """Every VJP reads the given tensors' other values (a weight after its update)."""
    def change(node: Tensor, g: np.ndarray) -> list | None:
        if not any(id(p) in values for p in node.parents):
            return None
        vjps = node.op.backward(g, node.data, *[values.get(id(p), p.data) for p in node.parents])
        return list(zip(node.parents, vjps if isinstance(vjps, tuple) else (vjps,), strict=True))
    return change


def _made_on_purpose(ctx: Context) -> Diagnosis | None:
    c = ctx.first
    if c.yours.shape != c.engine.shape:
        return None
    for key, text, change in _mistakes(ctx):
        candidate = gradients_if(ctx.loss, change).get(id(c.node))
        if candidate is not None and not close(candidate, c.engine) and close(c.yours, candidate):
            return Diagnosis(key, text)
    return None


def _unexplained(ctx: Context) -> Diagnosis:
    c = ctx.first
    if c.yours.shape != c.engine.shape:
        return Diagnosis("unknown", f"Your {c.yours_name} differs from the engine's.")
    diff = np.abs(c.yours - c.engine)
    at = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    where = f"[{', '.join(map(str, at))}]" if at else ""
    return Diagnosis("unknown", f"None of the usual mistakes gives your numbers. The largest difference is at "
                                f"{c.name}{where}: the engine has {c.engine[at]:.6g}, yours {c.yours[at]:.6g}; "
                                f"compare your formula with the engine's rule below.")


def _shape_text(a: np.ndarray) -> str:
    return "a scalar" if a.ndim == 0 else "×".join(map(str, a.shape))
