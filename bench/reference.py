"""The floor: the lab's network written by hand in numpy, the way the lab asks for it.

A fully connected sigmoid network (every layer, the output too), mean squared error, plain
gradient descent. The forward pass keeps each layer's output; the backward pass applies the
chain rule by hand, with the sigmoid's slope written from its output, s(1 - s):

    a₀ = X,   aₖ = σ(aₖ₋₁ Wₖ + bₖ)                       forward
    L = mean((a_K - y)²)
    δ_K = 2/N (a_K - y) · a_K (1 - a_K)                   N = number of outputs
    δₖ₋₁ = (δₖ Wₖᵀ) · aₖ₋₁ (1 - aₖ₋₁)                     backward
    ∂L/∂Wₖ = aₖ₋₁ᵀ δₖ,   ∂L/∂bₖ = Σ_rows δₖ
    Wₖ ← Wₖ - lr ∂L/∂Wₖ,   bₖ ← bₖ - lr ∂L/∂bₖ            update

Plain numpy expressions, each making a fresh array, as a student writes them: no buffers,
no in-place tricks. The weights start as ``nn.MLP(..., rng=seed)`` starts them (PyTorch's
default: uniform in ±1/√fan_in, weight then bias, layer by layer, from one generator), so a
test checks that both produce the same losses.
"""

from __future__ import annotations

import itertools

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class NumpyMLP:
    """``NumpyMLP((2, 10, 10, 1), seed=0).step(X, y, lr)`` does one training step and
    returns the loss before the update."""

    def __init__(self, sizes: tuple[int, ...], seed: int = 0, dtype: type = np.float64) -> None:
        rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for n_in, n_out in itertools.pairwise(sizes):
            bound = 1.0 / np.sqrt(n_in)
            self.weights.append(rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype))
            self.biases.append(rng.uniform(-bound, bound, size=n_out).astype(dtype))

    def step(self, X: np.ndarray, y: np.ndarray, lr: float) -> float:
        acts = [X]
        for W, b in zip(self.weights, self.biases, strict=True):
            acts.append(sigmoid(acts[-1] @ W + b))
        out = acts[-1]
        loss = np.mean((out - y) ** 2)
        delta = 2.0 / out.size * (out - y) * out * (1.0 - out)
        for k in range(len(self.weights) - 1, -1, -1):
            grad_W = acts[k].T @ delta
            grad_b = delta.sum(axis=0)
            if k > 0:
                delta = (delta @ self.weights[k].T) * acts[k] * (1.0 - acts[k])
            self.weights[k] -= lr * grad_W
            self.biases[k] -= lr * grad_b
        return float(loss)
