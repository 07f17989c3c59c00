"""One training step of the lab's network (2-4-4-1 sigmoid, MSE, SGD) on the 21 XOR points
and on 1000 points: chainrule against the same step written by hand in numpy (the lab's
way), and against PyTorch and micrograd when they are installed."""

from __future__ import annotations

import numpy as np

import nn
from autograd import Tensor
from bench.harness import compare, training_step
from experiments.data import generate_linear, generate_xor_easy


def chainrule_step(X: np.ndarray, y: np.ndarray):
    model = nn.MLP(2, (4, 4), 1, rng=0)
    return training_step(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=1.0), Tensor(X), Tensor(y))


def numpy_step(X: np.ndarray, y: np.ndarray):
    """Forward and backward by hand, as the lab asks students to write them."""
    rng = np.random.default_rng(0)
    W = [rng.uniform(-0.5, 0.5, size=s) for s in ((2, 4), (4, 4), (4, 1))]
    b = [np.zeros(n) for n in (4, 4, 1)]
    n = len(X)

    def sig(z):
        return 1.0 / (1.0 + np.exp(-z))

    def step():
        z1 = sig(X @ W[0] + b[0])
        z2 = sig(z1 @ W[1] + b[1])
        out = sig(z2 @ W[2] + b[2])
        d3 = 2.0 / n * (out - y) * out * (1 - out)
        d2 = (d3 @ W[2].T) * z2 * (1 - z2)
        d1 = (d2 @ W[1].T) * z1 * (1 - z1)
        grads = [(X.T @ d1, d1.sum(0)), (z1.T @ d2, d2.sum(0)), (z2.T @ d3, d3.sum(0))]
        for k, (gw, gb) in enumerate(grads):
            W[k] -= gw
            b[k] -= gb
    return step


def torch_step(X: np.ndarray, y: np.ndarray):
    import torch

    torch.set_num_threads(1)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 4),
                                torch.nn.Sigmoid(), torch.nn.Linear(4, 1), torch.nn.Sigmoid()).double()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = torch.nn.MSELoss()

    def step():
        loss = loss_fn(model(Xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def micrograd_step(X: np.ndarray, y: np.ndarray):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(2, [4, 4, 1])
    rows = [[Value(float(v)) for v in row] for row in X]

    def step():
        outs = [model(r) for r in rows]
        loss = sum(((o - float(t)) ** 2 for o, t in zip(outs, y.ravel(), strict=True)), Value(0.0)) * (1.0 / len(rows))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 1.0 * p.grad
    return step


def run() -> None:
    for label, (X, y), number in (("21 XOR points", generate_xor_easy(), 500),
                                  ("1000 points", generate_linear(1000, rng=0), 200)):
        contenders = {"chainrule": chainrule_step(X, y), "numpy by hand": numpy_step(X, y)}
        for name, make in (("PyTorch (1 thread)", torch_step), ("micrograd", micrograd_step)):
            if name == "micrograd" and len(X) > 100:
                continue  # a scalar engine: one Value per number, hopeless on arrays
            try:
                contenders[name] = make(X, y)
            except ImportError:
                print(f"  ({name} is not installed: left out)")
        compare(f"Training step of the lab's 2-4-4-1 network, {label}", contenders,
                number=number if "micrograd" not in contenders else 20)


if __name__ == "__main__":
    run()
