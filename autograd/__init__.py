"""chainrule's autograd: a small reverse-mode autodiff engine over numpy.

>>> from autograd import Tensor
>>> x = Tensor(2.0, requires_grad=True, name="x")
>>> y = (x * 3).sigmoid()
>>> y.backward(); x.grad            # 3·s(1 - s), s = σ(6)
array(0.00739...)

Read it in this order: ``backward.py`` (the walk: the chain rule, node by node),
``function.py`` (an op: its forward on arrays and its backward, the vector-Jacobian product),
``ops/arithmetic.py`` (the first primitives: add, mul, power), the other ``ops/``,
``composed.py`` (ops built from the primitives), then ``tensor.py`` (the class that ties them
to Python's operators) and ``gradients.py`` (``backward()`` and ``grad()``). Pictures,
``explain`` and the step page live in ``autograd.teach``, which the engine never imports; their
names are reachable here too. So is ``autograd.compile(fn)`` (the package, also never imported
by the engine): a training step recorded once and replayed as a flat tape of numpy calls.
"""

from autograd.tensor import Tensor, as_tensor  # noqa: I001  (Tensor first: the ops need it)
from autograd.gradients import grad
from autograd.composed import (clamp, concatenate, leaky_relu, linear, log_softmax, mse_loss, relu, softmax,
                               softplus, stack)
from autograd.conv import avg_pool2d, conv2d, max_pool2d
from autograd.function import OPS, Function, OpError
from autograd.gradcheck import gradcheck, gradgradcheck
from autograd.modes import detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad, set_grad_enabled
from autograd.ops.where import where

_TEACH = {"draw_graph", "render", "explain", "module_boxes", "write_atomic"}


def __getattr__(name: str):  # the teaching tools and the compiled step, imported only when asked for
    if name in _TEACH:
        from autograd import teach

        return getattr(teach, name)
    if name == "compile":  # the package autograd.compile, which can be called: autograd.compile(fn)
        import importlib

        return importlib.import_module("autograd.compile")
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


__all__ = [
    "OPS",
    "Function",
    "OpError",
    "Tensor",
    "as_tensor",
    "avg_pool2d",
    "clamp",
    "compile",
    "concatenate",
    "conv2d",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "explain",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "no_grad",
    "relu",
    "render",
    "set_grad_enabled",
    "softmax",
    "softplus",
    "stack",
    "where",
    "write_atomic",
]
__version__ = "0.2.0"
