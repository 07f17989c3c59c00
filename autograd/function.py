"""``Function``: the base of every op. A subclass holds an op's forward and its backward
(the vector-Jacobian product) side by side; ``apply`` runs the forward on the inputs' arrays
and, when any input requires grad and grad mode is on, links the result into the graph.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from autograd.modes import _state
from autograd.tensor import Tensor, _stamps  # defined before the ops (and so this module) load

_new_tensor = object.__new__


class Function:
    """One op of the graph.

    Subclasses set ``name`` (shown in graph pictures), ``rule`` (the local derivative in
    symbols) and ``words`` (the same in words), both shown by ``explain``, and define:

    * ``forward(*arrays) -> array``: the op on numpy arrays; it may keep on ``self`` what the
      backward needs (never a Tensor, so the graph holds no cycles and frees itself);
    * ``backward(grad) -> tuple``: given dL/d(output), one dL/d(input) per input, in the
      output's broadcast shape (the engine sums it back to the input's own shape), or None
      where ``self.needs_input_grad`` says that input wants none.

    Keyword parameters given to ``apply`` (``axis=0``, ``negative_slope=0.01``) are set as
    attributes before ``forward`` runs.
    """

    # True for an op whose backward writes its result into the gradient it is given (the
    # activations: one array less alive at the peak of a backward pass); the engine then
    # hands it a gradient array that nothing else refers to, copying one when it must.
    overwrites_grad: ClassVar[bool] = False
    name: ClassVar[str] = "op"
    rule: ClassVar[str] = ""
    words: ClassVar[str] = ""
    needs_input_grad: tuple[bool, ...]

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    def label(self) -> str:
        """The op's name as a graph picture shows it (``sum(axis=0)``, ``**2``)."""
        return self.name

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        fn = cls.__new__(cls)
        if params:
            fn.__dict__.update(params)
        # Spelled out per arity: unpacking a generic sequence costs more than most small ops.
        try:
            if len(inputs) == 1:
                (a,) = inputs
                needs = fn.needs_input_grad = (a.requires_grad,)
                out = fn.forward(a.data)
            elif len(inputs) == 2:
                a, b = inputs
                needs = fn.needs_input_grad = (a.requires_grad, b.requires_grad)
                out = fn.forward(a.data, b.data)
            elif len(inputs) == 3:  # linear and conv2d with a bias
                a, b, c = inputs
                needs = fn.needs_input_grad = (a.requires_grad, b.requires_grad, c.requires_grad)
                out = fn.forward(a.data, b.data, c.data)
            else:
                needs = fn.needs_input_grad = tuple([t.requires_grad for t in inputs])
                out = fn.forward(*[t.data for t in inputs])
        except ValueError as err:
            if isinstance(err, OpError):
                raise
            shapes = " and ".join(str(t.shape) for t in inputs)
            raise OpError(f"{cls.name}: cannot apply to shapes {shapes}: {err}") from None
        state = _state
        if state.anomaly:
            check_finite(out, f"forward of {fn.label()!r}")
        # Tensor._from_op, written out: this runs once per op of every forward pass.
        t = _new_tensor(Tensor)
        t.data = out if type(out) is np.ndarray else np.asarray(out)
        t.grad = t.name = None
        t._scope = state.scope
        t._stamp = next(_stamps)
        t._retains_grad = False
        if True in needs and state.grad_enabled:
            t.requires_grad = True
            t._op = fn
            t._parents = inputs
        else:
            t.requires_grad = False
            t._op = None
            t._parents = ()
        return t


class OpError(ValueError):
    """An op refused its inputs (shapes that do not fit, an axis out of range): the message
    names the op and the shapes."""


def check_finite(array: np.ndarray, where: str) -> None:
    """Raise RuntimeError naming ``where`` when ``array`` holds NaN or inf (detect_anomaly)."""
    if not np.all(np.isfinite(array)):
        kinds = [k for k, bad in (("nan", np.isnan(array)), ("inf", np.isinf(array))) if bad.any()]
        raise RuntimeError(f"detect_anomaly: {where} produced {' and '.join(kinds)} "
                           f"(shape {array.shape})")
