"""What the microscope and the replay draw of a network at one moment: the decision
boundary over the plane, a small heatmap per hidden neuron, and the weights.

Heatmaps travel as base64 strings of bytes (0..255, row by row, the first row at the
bottom of the plane), each with the range its bytes span, so a frame of a 2-16-16-16-16-1
network stays a few tens of kilobytes.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

import nn
from autograd import Tensor, no_grad
from experiments.training import RunConfig, as_probability

BOUNDARY_GRID = 64  # cells per side of the decision boundary
NEURON_GRID = 24  # cells per side of a neuron's heatmap
FIXED_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def extent(*arrays: np.ndarray) -> tuple[float, float]:
    """A square window (low, high) that holds every point of ``arrays`` with a margin, and
    at least the unit square with a margin of 0.1."""
    low = min([-0.1, *(float(a.min()) - 0.1 for a in arrays if a.size)])
    high = max([1.1, *(float(a.max()) + 0.1 for a in arrays if a.size)])
    return round(low, 3), round(high, 3)


def grid(low: float, high: float, cells: int) -> np.ndarray:
    """The centres of a cells×cells grid over [low, high]², row by row from the bottom."""
    ticks = low + (np.arange(cells) + 0.5) * (high - low) / cells
    x1, x2 = np.meshgrid(ticks, ticks)
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def encode(values: np.ndarray, low: float, high: float) -> str:
    """``values`` mapped from [low, high] onto bytes 0..255, as base64 (NaN becomes 0)."""
    span = high - low if high > low else 1.0
    with np.errstate(invalid="ignore"):
        scaled = np.nan_to_num((np.asarray(values, dtype=np.float64) - low) / span * 255.0)
    return base64.b64encode(np.clip(np.round(scaled), 0, 255).astype(np.uint8).tobytes()).decode()


def hidden_outputs(model: nn.MLP, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Each hidden layer's outputs (after its activation) on the rows of ``X``, and the
    network's output, computed by the engine without a graph."""
    layers = list(model.layers)
    outputs = []
    with no_grad(), np.errstate(all="ignore"):
        h = Tensor(X)
        for k, layer in enumerate(layers):
            h = layer(h)
            if k % 2 == 1 and k < len(layers) - 1:  # Linear, activation, Linear, activation, ...
                outputs.append(h.data)
    return outputs, h.data


def view(model: nn.MLP, config: RunConfig, window: tuple[float, float]) -> dict[str, Any]:
    """The boundary (P(class 1) over the window), the hidden neurons' heatmaps and the
    weights and biases of each layer."""
    low, high = window
    _, out = hidden_outputs(model, grid(low, high, BOUNDARY_GRID))
    hidden, _ = hidden_outputs(model, grid(low, high, NEURON_GRID))
    neurons = []
    for layer in hidden:
        lo, hi = FIXED_RANGES.get(config.activation, (float(np.nanmin(layer)), float(np.nanmax(layer))))
        if not (np.isfinite(lo) and np.isfinite(hi)):
            lo, hi = 0.0, 1.0
        neurons.append([{"low": lo, "high": hi, "data": encode(layer[:, j], lo, hi)} for j in range(layer.shape[1])])
    linears = [layer for layer in model.layers if isinstance(layer, nn.Linear)]
    return {
        "boundary": {"cells": BOUNDARY_GRID, "data": encode(as_probability(out, config).ravel(), 0.0, 1.0)},
        "neurons": {"cells": NEURON_GRID, "layers": neurons},
        "weights": [layer.weight.data.tolist() for layer in linears],
        "biases": [layer.bias.data.tolist() for layer in linears],
    }


def points(X: np.ndarray, y: np.ndarray) -> list[list[float]]:
    """Data points as [x1, x2, label] rows."""
    return [[round(float(a), 5), round(float(b), 5), int(c)] for (a, b), c in zip(X, y.ravel(), strict=True)]
