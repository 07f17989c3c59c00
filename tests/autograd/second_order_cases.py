"""Functions whose first and second derivatives are checked against PyTorch's.

Each is written once for both engines: it takes ``F``, a namespace of the functions whose
names differ between them (``OURS`` here, torch's in ``tools/torch_reference.py``), and the
inputs; methods and operators common to both (``+ * ** @``, ``.exp()``, ``.sum()``,
``.reshape``, indexing) are used directly. Every primitive and composed op appears in some
case, inside a larger expression so that its second derivative is not trivially zero.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import autograd

OURS = SimpleNamespace(
    where=autograd.where, amax=lambda x, axis: x.max(axis=axis), cat=autograd.concatenate,
    stack=autograd.stack, relu=autograd.relu, leaky_relu=autograd.leaky_relu, softplus=autograd.softplus,
    log_softmax=autograd.log_softmax, softmax=autograd.softmax, linear=autograd.linear,
    mse=autograd.mse_loss, conv2d=autograd.conv2d, max_pool2d=autograd.max_pool2d,
    avg_pool2d=autograd.avg_pool2d, T=lambda x: x.T,
)

# name -> (function of F and the inputs, the inputs' shapes, "positive" when they must be > 0)
CASES = {
    "add_mul": (lambda F, a, b: (a + b) * (a * b), [(3,), (3,)], ""),
    "sub_div_neg": (lambda F, a, b: -(a - b) / (b * b + 1.0), [(3,), (3,)], ""),
    "power": (lambda F, x: x**3 + x**0.5 + x**-1, [(4,)], "positive"),
    "pow_tensor": (lambda F, a, b: a**b, [(3,), (3,)], "positive"),
    "exp_log": (lambda F, x: x.exp() * x.log(), [(3,)], "positive"),
    "sqrt": (lambda F, x: (x * x + 1.0).sqrt(), [(3,)], ""),
    "sigmoid": (lambda F, x: x.sigmoid() * x, [(4,)], ""),
    "tanh": (lambda F, x: x.tanh() ** 2, [(4,)], ""),
    "where": (lambda F, x, y: F.where(x > 0, x * y, y * y * x), [(4,), (4,)], ""),
    "abs": (lambda F, x: x.abs() * x**2, [(4,)], ""),
    "relu": (lambda F, x: F.relu(x) * x, [(4,)], ""),
    "leaky_relu": (lambda F, x: F.leaky_relu(x, 0.2) * x**2, [(4,)], ""),
    "softplus": (lambda F, x: F.softplus(x) * x, [(4,)], ""),
    "clamp": (lambda F, x: x.clamp(min=-0.5, max=0.5) * x**2, [(5,)], ""),
    "sum_mean_max": (lambda F, x: F.amax(x * x, 1) * x.sum(0).mean() + (x**3).mean(), [(2, 3)], ""),
    "broadcast": (lambda F, x, b: (x * b).sigmoid() + b, [(3, 2), (2,)], ""),
    "reshape_transpose": (lambda F, x: (F.T(x.reshape(2, 3)) @ x.reshape(2, 3)).tanh(), [(6,)], ""),
    "getitem": (lambda F, x: x[[0, 0, 2]] * x[1:3].sum() + x[-1] ** 3, [(4,)], ""),
    "concatenate_stack": (lambda F, a, b: F.cat([a * b, a.exp()], 0) ** 2 * F.stack([a, b * a], 0).sum(),
                          [(2,), (2,)], ""),
    "matmul": (lambda F, A, B: (A @ B).tanh(), [(2, 3), (3, 2)], ""),
    "matvec": (lambda F, A, v: (A @ v).sigmoid() * (v @ v), [(2, 3), (3,)], ""),
    "log_softmax_softmax": (lambda F, x: F.log_softmax(x, 1) * F.softmax(x, 1), [(2, 3)], ""),
    "linear": (lambda F, x, w, b: F.linear(x, w, b).sigmoid(), [(2, 3), (3, 2), (2,)], ""),
    "mse": (lambda F, p, y: F.mse(p.tanh(), y), [(3, 1), (3, 1)], ""),
    "conv2d": (lambda F, x, w, b: F.conv2d(x, w, b, 1, 1).tanh(), [(1, 1, 3, 3), (2, 1, 2, 2), (2,)], ""),
    "conv2d_stride": (lambda F, x, w: F.conv2d(x, w, None, 2, 0) ** 2, [(1, 2, 5, 5), (1, 2, 3, 3)], ""),
    "max_pool2d": (lambda F, x: F.max_pool2d(x * x, 2), [(1, 1, 4, 4)], ""),
    "avg_pool2d": (lambda F, x: F.avg_pool2d(x.tanh(), 2) ** 2, [(1, 2, 4, 4)], ""),
}


def case_inputs(name: str) -> list[np.ndarray]:
    """The inputs of case ``name``: fixed random numbers (positive where the case needs it)."""
    _, shapes, kind = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    return [rng.uniform(0.5, 2.0, s) if kind == "positive" else rng.normal(size=s) for s in shapes]


def weights(name: str, out_shape: tuple[int, ...]) -> np.ndarray:
    """Fixed weights w: each case's scalar is Σ w·f(x), so every output element counts."""
    return np.random.default_rng(len(name)).uniform(0.5, 1.5, out_shape)
