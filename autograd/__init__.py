"""chainrule's autograd: a small reverse-mode autodiff engine over numpy.

>>> from autograd import Tensor
>>> x = Tensor(2.0, requires_grad=True, name="x")
>>> y = (x * 3).sigmoid()
>>> y.backward(); x.grad
"""

from autograd.tensor import Tensor, as_tensor, concatenate, stack  # noqa: I001  (Tensor first: the ops need it)
from autograd.explain import explain
from autograd.function import Function, OpError
from autograd.gradcheck import gradcheck
from autograd.ops.conv import avg_pool2d, conv2d, max_pool2d
from autograd.ops.linalg import linear
from autograd.ops.loss import mse_loss
from autograd.modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope
from autograd.viz import draw_graph, render  # graphviz itself is imported only when drawing

__all__ = [
    "Function",
    "OpError",
    "Tensor",
    "as_tensor",
    "avg_pool2d",
    "concatenate",
    "conv2d",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "explain",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "max_pool2d",
    "mse_loss",
    "no_grad",
    "render",
    "scope",
    "stack",
]
__version__ = "0.1.0"
