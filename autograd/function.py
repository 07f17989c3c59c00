"""``Function``: one op of the graph, with its forward and its backward side by side.

* ``forward(*arrays)`` computes the op on numpy arrays and returns its result as numpy does: a
  new array, or a view of its input where numpy gives one (reshape, transpose). It never
  writes into its inputs.
* ``backward(g, out, *inputs)`` is the vector-Jacobian product: given g = dL/d(out), it returns
  dL/d(input) for each input (one value, or a tuple with one per input). It is written with
  operators (``*``, ``+``, ``@``, ``.sum``, ``.reshape``...) and the ops' ``call``, which
  mean the same on numpy arrays and on Tensors: a plain backward pass runs it on arrays
  (just the numbers, nothing recorded), and ``backward(create_graph=True)`` runs it on
  Tensors, so the gradients are themselves a graph that can be differentiated again. A
  gradient may have the broadcast shape of the output: the walk sums it back.

``apply`` runs the forward and, when grad mode is on and an input requires grad, links the
result to the op and its inputs: that link is the graph ``backward`` walks.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from autograd.modes import _state
from autograd.tensor import CLOCK, Tensor

OPS: dict[str, Any] = {}  # every op's name → its class (primitives) or function (composed ops)
QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}  # inf and NaN come quietly, as in PyTorch


class Function:
    """The base of the primitives. A subclass sets, in one place, how the op is shown:
    ``name`` (``sigmoid``), ``symbol`` (``σ``), ``rule`` (its local derivative in symbols) and
    ``words`` (the same in words), and defines ``forward`` and ``backward``. Settings such as an
    axis reach the op through its own ``__init__``."""

    name: ClassVar[str] = "op"
    symbol: ClassVar[str] = ""
    rule: ClassVar[str] = ""
    words: ClassVar[str] = ""
    infix: ClassVar[str] = ""  # a binary op written between its operands: "+", "·", "@", "**"
    # dL/d(input k) in symbols, for explain: {g} the upstream gradient, {out} the output, {0} {1} the inputs
    gradients: ClassVar[tuple[str, ...]] = ()
    # ``tick``: when the op ran, on the engine's clock (tensor.CLOCK); backward refuses the op if
    # an input changed in place since. (A slot, so that an op with no settings of its own, such
    # as mul, is one small object with no __dict__.)
    __slots__ = ("__dict__", "tick")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            OPS[cls.name] = cls

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, g: Tensor, out: Tensor, *inputs: Tensor) -> Tensor | tuple[Tensor | None, ...]:
        raise NotImplementedError

    def settings(self) -> str:
        """The op's settings as text (``axis=0``), or "" when it has none."""
        return ""

    def label(self) -> str:
        """The op as a picture shows it, with its settings (``sum(axis=0)``)."""
        settings = self.settings()
        return f"{self.name}({settings})" if settings else self.name

    def formula(self, *inputs: str) -> str:
        """The op applied to inputs named so: ``a + b``, ``sigmoid(t1)``, ``sum(t2, axis=0)``."""
        if self.infix:
            return f" {self.infix} ".join(inputs)
        settings = self.settings()
        return f"{self.name}({', '.join([*inputs, settings] if settings else inputs)})"

    def gradient_formula(self, k: int, g: str, out: str, inputs: list[str]) -> str:
        """How dL/d(input k) is made, with the operands' names filled in (``dL/dt2 @ W1ᵀ``)."""
        template = self.gradients[k] if k < len(self.gradients) else f"{self.name}'s VJP of {{g}}"
        return template.format(*inputs, g=g, out=out, **vars(self))

    @classmethod
    def call(cls, *inputs: Any, **params: Any) -> Any:
        """The op on Tensors (``apply``: linked into the graph) or, when no input is a Tensor,
        on plain arrays (``forward``: just the numbers). A VJP uses it for the ops it needs."""
        like = next((x for x in inputs if isinstance(x, Tensor)), None)
        if like is None:
            return cls(**params).forward(*inputs)
        return cls.apply(*[x if isinstance(x, Tensor) else like._other(x) for x in inputs], **params)

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the op on ``inputs`` and return its result, linked into the graph when it
        needs a gradient."""
        op = cls(**params)
        data = op.forward(*[x.data for x in inputs])
        if type(data) is not np.ndarray:  # numpy gives a scalar, not a 0-d array, for 0-d inputs
            data = np.asarray(data)
        state = _state
        if state.anomaly:
            check_finite(data, f"forward of {op.label()!r}")
        out = Tensor.__new__(Tensor)
        if state.grad_enabled and True in [x.requires_grad for x in inputs]:
            op.tick = next(CLOCK)
            out._setup(data, True, None, op, inputs)
        else:
            out._setup(data, False)
        return out


class OpError(ValueError):
    """An op refused its inputs (shapes that do not fit, an axis out of range): the message
    names the op and the shapes."""


def check_finite(array: np.ndarray, where: str) -> None:
    """RuntimeError naming ``where`` when ``array`` holds NaN or inf (``detect_anomaly``)."""
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        kinds = [k for k, bad in (("nan", np.isnan(array)), ("inf", np.isinf(array))) if bad.any()]
        raise RuntimeError(f"detect_anomaly: {where} produced {' and '.join(kinds)} (shape {array.shape})")


def broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> OpError:
    """The error of a binary elementwise op whose inputs do not broadcast."""
    return OpError(f"{op}: cannot apply to shapes {a.shape} and {b.shape}: they do not broadcast (each axis, "
                   f"counted from the right, must be equal or 1)")
