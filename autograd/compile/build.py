"""From a recording to a tape: the forward sweep, the reverse sweep, buffers given out.

``build(recording, ...)`` gives every tensor of the recorded step a value (``program.Val``):
the step's inputs get buffers filled at each call, parameters (and tensors made before the step)
are read in place, constants are kept; each node is lowered to numpy calls by its kernel
(``kernels.FORWARD``, ``units.UNITS``). The reverse sweep visits the nodes in the order the
eager backward pass visited them (recorded with ``autograd.backward.walk``), so every gradient
is summed in the same order: each node's VJP kernel (``vjp.VJP``) writes its contributions, which
are summed back to each input's shape where numpy broadcast it and added to what that input has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.compile import fuse, kernels, units, vjp
from autograd.compile.program import Program, Val
from autograd.compile.record import Node, Recording, Unsupported
from autograd.compile.tape import Buffer, Line, Tape
from autograd.compile.text import backward_text, bar, forward_text, shape_text, summed_text
from autograd.function import QUIET
from autograd.ops.reduce import broadcast_axes
from autograd.tensor import Tensor


class Builder:
    """The lowering's state: values by tensor, the program, the lines of the Wengert list."""

    def __init__(self, recording: Recording, inputs: list[tuple[Tensor, str]], has_backward: bool) -> None:
        self.rec = recording
        self.prog = Program()
        self.vals: dict[int, Val] = {}
        self.producer: dict[int, Node] = {}
        self.saved: dict[Node, Any] = {}
        self.grads: dict[int, Val] = {}
        self.externals: list[tuple[Tensor, np.ndarray]] = []
        self.lines: list[tuple] = []  # (phase, name, op, text, value, how): the Wengert list, before buffers
        self.has_backward = has_backward
        self.made = {id(t) for t in recording.made} - recording.literals - recording.baked
        self.templates: dict[int, np.ndarray] = {}
        self.count = {"v": 0, "c": 0, "w": 0}
        self.seed: Val | None = None
        self.inputs = []
        for t, name in inputs:
            if id(t) not in self.vals:
                self.vals[id(t)] = self.prog.buffer(t.data, name=t.name or name, role="input")
                self.inputs.append((t, self.vals[id(t)]))

    # ---- values ------------------------------------------------------------------------------
    def name(self, kind: str) -> str:
        self.count[kind] += 1
        return f"{kind}{self.count[kind]}"

    def val(self, t: Tensor) -> Val:
        """The value of ``t``; a tensor the step did not make is a constant or read in place."""
        v = self.vals.get(id(t))
        if v is None:
            v = self.vals[id(t)] = self.external(t)
        return v

    def external(self, t: Tensor) -> Val:
        array = t.data
        if id(t) in self.rec.literals or id(t) in self.rec.baked:
            name = t.name or (f"{array.item():g}" if array.ndim == 0 else self.name("c"))
            return Val(array.shape, array.dtype, "const", name, array=np.array(array, copy=True))
        self.check_external(t)
        self.externals.append((t, array))
        return Val(array.shape, array.dtype, "leaf", t.name or self.name("w" if t.requires_grad else "c"),
                   array=array)

    def check_external(self, t: Tensor) -> None:
        """Refuse a tensor the tape cannot read in place."""
        if id(t) in self.made:
            raise Unsupported(f"it uses {t.name or 'a tensor'} of shape {t.shape} made during the step in a way "
                              f"the recording could not follow")
        if t.requires_grad and t._op is not None:
            raise Unsupported(f"it uses {t.name or 'a tensor'} of shape {t.shape}, made before the step as part of "
                              f"a graph (its gradient would flow out of the step)")

    def ins(self, node: Node) -> list[Val]:
        return [self.val(t) for t in node.inputs]

    def out(self, node: Node) -> Val:
        return self.prog.buffer(node.out.data)

    def buffer(self, shape: tuple[int, ...], dtype: Any, role: str = "buffer", like: Any = None) -> Val:
        return self.prog.buffer(like, tuple(shape), dtype, role=role)

    def view(self, base: Val, make: Any, shape: tuple[int, ...]) -> Val:
        return self.prog.view(base, make, shape)

    def reshape(self, x: Val, shape: tuple[int, ...]) -> Val:
        """x reshaped: a view when numpy can make one (decided when buffers are given out), else
        a copy into a buffer of its own (the call below runs only then)."""
        shape = tuple(shape)
        if shape == x.shape:
            return x
        out = self.prog.view(x, lambda a: a.reshape(shape), shape, maybe=True)
        self.emit(_copy_reshaped, out, x, writes=out)
        return out

    def const(self, value: Any, dtype: Any = None) -> Val:
        array = np.array(value, dtype=dtype)
        return Val(array.shape, array.dtype, "const", f"{array.item():g}" if array.ndim == 0 else "", array=array)

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> Val:
        return self.const(np.zeros(shape, dtype))

    def is_seed(self, g: Val) -> bool:
        return g is self.seed

    def emit(self, fn: Any, *args: Any, writes: Any, inplace: tuple = (), ew: bool = False, **kw: Any) -> None:
        """One numpy call (``ew``: elementwise, so it may be fused with its neighbours, ``fuse.py``)."""
        self.prog.emit(fn, *args, writes=writes, inplace=inplace, ew=ew, **kw)

    def ew(self, fn: Any, *args: Any, like: np.ndarray | None = None) -> Val:
        """An elementwise ufunc into a new buffer, which may take the buffer of an input that
        dies here."""
        shapes = [a.shape if isinstance(a, Val) else np.shape(a) for a in args]
        dtype = np.result_type(*[a.dtype if isinstance(a, Val) else a for a in args])
        out = self.prog.buffer(like, np.broadcast_shapes(*shapes), dtype)
        self.emit(fn, *args, out, writes=out, inplace=tuple(a for a in args if isinstance(a, Val)), ew=True)
        return out

    def matmul(self, a: Val, b: Val) -> Val:
        shape = np.matmul(np.empty(a.shape, a.dtype), np.empty(b.shape, b.dtype)).shape
        out = self.prog.buffer(None, shape, np.result_type(a.dtype, b.dtype))
        self.emit(np.matmul, a, b, out, writes=out)
        return out

    def swap_last(self, x: Val) -> Val:
        axes = list(range(len(x.shape)))
        axes[-2], axes[-1] = axes[-1], axes[-2]
        return self.view(x, lambda a: a.transpose(axes), tuple(x.shape[i] for i in axes))

    def unbroadcast(self, g: Val, shape: tuple[int, ...]) -> Val:
        """g summed over the axes numpy broadcast an array of ``shape`` along (the walk's
        ``unbroadcast``), straight into a buffer: no temporaries."""
        if g.shape == tuple(shape):
            return g
        axes = broadcast_axes(g.shape, tuple(shape))
        if not axes:
            return self.reshape(g, shape)
        summed = self.buffer(tuple(n for i, n in enumerate(g.shape) if i not in axes), g.dtype)
        self.emit(np.add.reduce, g, axes, None, summed, writes=summed)  # (positional: numpy parses them faster)
        return self.reshape(summed, shape)

    # ---- the forward sweep ---------------------------------------------------------------------
    def forward(self) -> None:
        for node in self.rec.nodes:
            if node.kind == "alias":
                self.vals[id(node.out)] = self.val(node.inputs[0])
                continue
            out = self.lower(node)
            out.name = self.name("v")
            self.vals[id(node.out)] = out
            self.producer[id(node.out)] = node
            self.lines.append(("forward", out.name, "=", forward_text(self, node), out, self.kernel_of(node)))

    def kernel_of(self, node: Node) -> str:
        if node.kind == "unit":
            return "kernel" if units.has_kernel(node) else "eager island"
        if node.kind == "op":
            return "kernel" if type(node.op) in kernels.FORWARD else "the op's own forward"
        return "kernel"

    def lower(self, node: Node) -> Val:
        if node.kind == "op":
            forward = kernels.FORWARD.get(type(node.op))
            if forward is None:
                forward = kernels.generic
                if not type(node.op).__module__.startswith("autograd."):
                    self.warn(f"the op {node.op.name!r} ({type(node.op).__qualname__}) has no replay kernel: each "
                              f"replay runs its own forward and backward (fresh arrays)")
            return forward(self, node, *self.ins(node))
        if node.kind == "unit":
            if units.has_kernel(node):
                return units.UNITS[node.op.__name__].forward(self, node)
            self.warn(f"{node.op.__name__} reads its inputs' values and has no replay kernel: each replay runs it "
                      f"eagerly (an eager island)")
            return units.island(self, node)
        x = self.ins(node)
        out = self.out(node)
        if node.kind == "compare":
            self.emit(node.op, *x, out, writes=out, ew=True)
        elif node.kind == "invert":
            self.emit(np.logical_not, x[0], out, writes=out, ew=True)
        else:  # "copy": Tensor(t)
            self.emit(np.copyto, out, x[0], casting="unsafe", writes=out)
        return out

    def warn(self, message: str) -> None:
        from autograd.compile.step import CompileWarning, warn_once

        warn_once(message, CompileWarning)

    # ---- the reverse sweep ---------------------------------------------------------------------
    def backward(self, loss: Tensor, order: list[tuple[Tensor, np.ndarray]]) -> list[tuple[Tensor, Val]]:
        """The reverse sweep in the eager walk's ``order``; returns each leaf with its gradient."""
        self.prog.phase = "backward"
        self.seed = self.grads[id(loss)] = self.const(np.ones(loss.shape, loss.dtype))
        self.seed.name = "1"
        self.lines.append(("backward", bar(self.val(loss).name), "=", "1", self.seed, ""))
        self.templates = {id(t): g for t, g in order}
        leaves = []
        for t, _ in order:
            node = self.producer.get(id(t))
            if node is not None:
                self.reverse(node)
            elif t._op is None and id(t) in self.vals:
                leaves.append((t, self.grads[id(t)]))
        return leaves

    def reverse(self, node: Node) -> None:
        g = self.grads.pop(id(node.out))
        need = [t.requires_grad for t in node.inputs]
        if node.kind == "unit":
            unit = units.UNITS.get(node.op.__name__) if units.has_kernel(node) else None
            contributions = unit.reverse(self, node, g, need) if unit else units.island_reverse(self, node, g, need)
        else:
            contributions = vjp.VJP.get(type(node.op), vjp.generic)(self, node, g, need)
        for k, (parent, c) in enumerate(zip(node.inputs, contributions, strict=False)):
            if c is not None and parent.requires_grad:
                self.accumulate(node, k, parent, c, g)

    def accumulate(self, node: Node, k: int, parent: Tensor, c: Val, g: Val) -> None:
        fitted = self.fit(c, parent)
        earlier = self.grads.get(id(parent))
        if earlier is None:
            total = fitted
        else:
            total = self.ew(np.add, earlier, fitted, like=self.templates.get(id(parent)))
        self.grads[id(parent)] = total
        target = self.val(parent)
        leaf = parent._op is None
        text = summed_text(backward_text(self, node, k, g), c.shape, parent.shape)
        self.lines.append(("backward", f"{target.name}.grad" if leaf else bar(target.name),
                           "+=" if leaf or earlier is not None else "=", text, total, ""))

    def fit(self, c: Val, parent: Tensor) -> Val:
        """The contribution summed back to the parent's shape, in the parent's dtype (``fit``)."""
        c = self.unbroadcast(c, parent.shape)
        if c.dtype != parent.dtype:
            cast = self.buffer(c.shape, parent.dtype)
            self.emit(np.copyto, cast, c, casting="unsafe", writes=cast)
            c = cast
        return c


def _copy_reshaped(out: np.ndarray, x: np.ndarray) -> None:
    """x.reshape(out.shape) where numpy must copy: x's numbers in C order into ``out``."""
    np.copyto(out.reshape(x.shape), x)


def build(recording: Recording, inputs: list[tuple[Tensor, str]], outputs: list[Tensor], loss_index: int,
          order: list[tuple[Tensor, np.ndarray]] | None) -> Tape:
    """The tape of a recorded step (see the module's docstring). ``order``: the eager backward
    walk's visits (node, its gradient), or None when the step has no backward pass."""
    if recording.refused:
        raise Unsupported(recording.refused[0])
    b = Builder(recording, inputs, order is not None)
    with np.errstate(**QUIET):  # the trial runs of generic VJPs and islands
        return _build(b, recording, inputs, outputs, loss_index, order)


def _build(b: Builder, recording: Recording, inputs: list[tuple[Tensor, str]], outputs: list[Tensor],
           loss_index: int, order: list[tuple[Tensor, np.ndarray]] | None) -> Tape:
    b.forward()
    out_vals = [b.val(t) for t in outputs]
    leaves = b.backward(outputs[loss_index], order) if order is not None else []
    guards = [(v, r) for r in recording.reads if (v := b.val(r.tensor)).role != "const"]
    calls = b.prog.allocate([*out_vals, *(v for _, v in leaves), *(v for v, _ in guards)], [v for _, v in b.inputs])
    at = positions(inputs)
    tape = Tape(loads=[(at[id(t)], v.array) for t, v in b.inputs],
                calls={phase: fuse.count(c) for phase, c in calls.items()}, outputs=[v.array for v in out_vals],
                leaves=[(at.get(id(t), t), v.array) for t, v in leaves],
                guards=[(v.array, r.kind, r.value, r.where) for v, r in guards], externals=externals(b),
                lines=lines(b.lines), buffers=buffers(b.prog.storages, b.lines), nbytes=b.prog.nbytes)
    tape.generate(calls["forward"], calls["backward"], [s.array for s in b.prog.storages])
    return tape


def positions(inputs: list[tuple[Tensor, str]]) -> dict[int, int]:
    """Each input tensor's first position among the call's tensors."""
    at: dict[int, int] = {}
    for i, (t, _) in enumerate(inputs):
        at.setdefault(id(t), i)
    return at


def externals(b: Builder) -> list[tuple[Tensor, np.ndarray, bool]]:
    """The tensors read in place, with the array and the flag each must keep."""
    return [(t, a, t.requires_grad) for t, a in b.externals]


def lines(provisional: list[tuple]) -> list[Line]:
    """The Wengert list, each value with the buffer it lives in."""
    return [Line(phase, name, op, text, where(v), how) for phase, name, op, text, v, how in provisional]


def where(val: Val) -> str:
    """Where a value lives, for the Wengert list: ``#3 21×4`` (buffer 3), or what it is."""
    while val.role == "view":
        val = val.base
    if val.role in ("buffer", "input", "pinned"):
        return f"#{val.storage} {shape_text(val.array)}"
    return "its own array" if val.role == "leaf" else "constant"


def buffers(storages: list, lines: list[tuple]) -> list[Buffer]:
    """The tape's buffers, each with the values of the Wengert list it holds in turn."""
    names = {id(v): name for _, name, _, _, v, _ in lines}
    return [Buffer(i, s.array.shape, s.array.dtype, s.offset, [names.get(id(v), "·") for v in s.holds])
            for i, s in enumerate(storages)]
