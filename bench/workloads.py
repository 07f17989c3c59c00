"""The benchmark workloads and one training step of each implementation on them.

Every workload is the lab's network (sigmoid layers, MSE, plain SGD) at one size:

    X   the 21 XOR points        2-4-4-1
    S   100 points               2-10-10-1
    M   1,000 points             2-100-50-10-1
    L   100,000 points           2-256-256-1

and C, a small CNN (``bench/conv.py``: numpy and chainrule, eager and compiled, float64).
``make_step(impl, workload, dtype)`` returns a function that does one full-batch training
step (forward, backward, update) and returns nothing; ``impl`` is one of IMPLEMENTATIONS:
``chainrule`` is the eager engine, ``compiled`` the same model and loss through
``autograd.compile`` (the SGD update stays eager), ``jax`` a ``jax.jit``-compiled step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LR = 0.1
SEED = 0


@dataclass(frozen=True)
class Workload:
    name: str
    points: int
    sizes: tuple[int, ...]

    def describe(self) -> str:
        return f"{self.name}: {self.points:,} points, {'-'.join(map(str, self.sizes))}"

    def data(self, dtype: type) -> tuple[np.ndarray, np.ndarray]:
        from experiments.data import generate_linear, generate_xor_easy

        X, y = generate_xor_easy() if self.name == "X" else generate_linear(self.points, rng=SEED)
        return X.astype(dtype), y.astype(dtype)


WORKLOADS = {w.name: w for w in (Workload("X", 21, (2, 4, 4, 1)), Workload("S", 100, (2, 10, 10, 1)),
                                 Workload("M", 1_000, (2, 100, 50, 10, 1)), Workload("L", 100_000, (2, 256, 256, 1)))}
DTYPES = {"float64": np.float64, "float32": np.float32}


def compiled_training_step(model: Callable, loss_fn: Callable, opt: object, X: object, y: object
                           ) -> Callable[[], None]:
    """The same step with the forward pass, the loss and the backward pass compiled
    (``autograd.compile``: recorded on the first call, replayed afterwards)."""
    import autograd

    forward_backward = autograd.compile(lambda X, y: loss_fn(model(X), y))

    def step() -> None:
        opt.zero_grad()
        forward_backward(X, y)
        opt.step()
    return step


def training_step(model: Callable, loss_fn: Callable, opt: object, X: object, y: object) -> Callable[[], None]:
    """One forward, backward and update as a closure, written once for chainrule and
    PyTorch alike (the same API names)."""
    def step() -> None:
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def numpy_step(w: Workload, dtype: type) -> Callable[[], object]:
    from bench.reference import NumpyMLP

    X, y = w.data(dtype)
    net = NumpyMLP(w.sizes, seed=SEED, dtype=dtype)
    return lambda: net.step(X, y, LR)


def chainrule_model(w: Workload, dtype: type):
    import nn

    return nn.MLP(w.sizes[0], w.sizes[1:-1], w.sizes[-1], rng=SEED).to(dtype)


def chainrule_step(w: Workload, dtype: type) -> Callable[[], object]:
    import nn
    from autograd import Tensor

    X, y = w.data(dtype)
    model = chainrule_model(w, dtype)
    return training_step(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=LR), Tensor(X), Tensor(y))


def compiled_step(w: Workload, dtype: type) -> Callable[[], object]:
    import nn
    from autograd import Tensor

    X, y = w.data(dtype)
    model = chainrule_model(w, dtype)
    return compiled_training_step(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=LR), Tensor(X),
                                  Tensor(y))


def jax_step(w: Workload, dtype: type) -> Callable[[], object]:
    """The lab's network in JAX, the whole step (forward, backward, SGD) under ``jax.jit``."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from bench.reference import NumpyMLP

    X, y = (jnp.asarray(a) for a in w.data(dtype))
    net = NumpyMLP(w.sizes, seed=SEED, dtype=dtype)
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(net.weights, net.biases, strict=True)]

    def loss(params, X, y):
        for W, b in params:
            X = jax.nn.sigmoid(X @ W + b)
        return jnp.mean((X - y) ** 2)

    @jax.jit
    def update(params, X, y):
        grads = jax.grad(loss)(params, X, y)
        return [(W - LR * gW, b - LR * gb) for (W, b), (gW, gb) in zip(params, grads, strict=True)]

    state = [params]

    def step() -> None:
        state[0] = update(state[0], X, y)
        jax.block_until_ready(state[0])
    return step


def torch_step(w: Workload, dtype: type) -> Callable[[], object]:
    import torch

    torch.set_num_threads(1)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    X, y = w.data(dtype)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    layers: list[torch.nn.Module] = []
    for n_in, n_out in zip(w.sizes[:-1], w.sizes[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers).to(tdtype)
    return training_step(model, torch.nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=LR), Xt, yt)


def micrograd_step(w: Workload, dtype: type) -> Callable[[], object]:
    """micrograd: one Value per number, so only the 21 XOR points are practical."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    if w.name != "X":
        raise ValueError("micrograd runs only the X workload (a scalar engine)")
    X, y = w.data(np.float64)
    model = MLP(w.sizes[0], list(w.sizes[1:]))
    rows = [[Value(float(v)) for v in row] for row in X]

    def step() -> None:
        outs = [model(r) for r in rows]
        loss = sum(((o - float(t)) ** 2 for o, t in zip(outs, y.ravel(), strict=True)), Value(0.0)) * (1.0 / len(rows))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
    return step


# name -> (maker, the module it needs, or None when always available)
IMPLEMENTATIONS: dict[str, tuple[Callable[[Workload, type], Callable[[], object]], str | None]] = {
    "numpy": (numpy_step, None),
    "chainrule": (chainrule_step, None),
    "compiled": (compiled_step, None),
    "jax": (jax_step, "jax"),
    "torch": (torch_step, "torch"),
    "micrograd": (micrograd_step, "micrograd"),
}


def make_step(impl: str, workload: str, dtype: str) -> Callable[[], object]:
    if workload == "C":
        from bench import conv

        makers = {"numpy": conv.numpy_step, "chainrule": conv.chainrule_step, "compiled": conv.compiled_step}
        if impl not in makers:
            raise ImportError(f"no {impl} version of the CNN step", name=impl)
        return makers[impl](*conv.data())
    maker, _ = IMPLEMENTATIONS[impl]
    return maker(WORKLOADS[workload], DTYPES[dtype])
