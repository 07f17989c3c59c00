"""A neuron's or a weight's gradient for one data point, taken apart into the chain of
local derivatives that made it.

For the MLP a¹ = φ(x W¹ + b¹), ..., ŷ = aᴸ⁺¹, a weight's gradient is

    ∂L/∂Wᵐᵢⱼ = aᵐ⁻¹ᵢ · φ'(zᵐⱼ) · ∂L/∂aᵐⱼ,   ∂L/∂aᵐⱼ = Σ over paths j → k → ... → ŷ of
               Wᵐ⁺¹ⱼₖ φ'(zᵐ⁺¹ₖ) · ... · ∂L/∂ŷ

one product of local derivatives per path to the output. The engine's own gradient (a
backward pass on that one point) stands beside the sum of the products, so the page shows
both numbers agree.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import nn
from autograd import Tensor
from experiments.studio.limits import Number, RequestError
from experiments.studio.numbers import fmt
from experiments.training import RunConfig

SHOWN_PATHS = 8
SLOPE_NAMES = {"sigmoid": "σ'", "tanh": "tanh'", "relu": "relu'", "leaky_relu": "lrelu'", "none": "1·"}


def slope(activation: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """dφ/dz for activation φ, from its input z and its output a."""
    if activation == "sigmoid":
        return a * (1.0 - a)
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "relu":
        return (z > 0).astype(np.float64)
    if activation == "leaky_relu":
        return np.where(z > 0, 1.0, nn.LeakyReLU().negative_slope)
    return np.ones_like(z)


class Pass:
    """One data point through the network, forward and backward, every layer's z and a
    kept with its gradient."""

    def __init__(self, model: nn.MLP, config: RunConfig, loss_fn: nn.Module, x: np.ndarray, y: np.ndarray) -> None:
        self.model, self.config = model, config
        self.x = np.asarray(x, dtype=np.float64)
        h = Tensor(self.x[None, :], name="x")
        zs, acts = [], []
        with np.errstate(all="ignore"):
            for k, layer in enumerate(model.layers):
                h = layer(h)
                (zs if k % 2 == 0 else acts).append(h)
            for t in zs + acts:
                t.retain_grad()
            loss = loss_fn(h, Tensor(np.asarray(y, dtype=np.float64).reshape(1, -1)))
            model.zero_grad()
            loss.backward()
        self.loss = float(loss.item())
        self.z = [t.data[0].copy() for t in zs]
        self.a = [t.data[0].copy() for t in acts]
        self.da = [t.grad[0].copy() for t in acts]
        self.linears = [layer for layer in model.layers if isinstance(layer, nn.Linear)]
        self.dW = [layer.weight.grad.copy() for layer in self.linears]
        self.db = [layer.bias.grad.copy() for layer in self.linears]
        model.zero_grad()

    @property
    def depth(self) -> int:
        """Layers with weights: the hidden ones and the output."""
        return len(self.linears)

    def activation(self, m: int) -> str:
        return self.config.output_activation if m == self.depth else self.config.activation

    def slope(self, m: int) -> np.ndarray:
        """φ'(zᵐ) for layer m (1-based)."""
        return slope(self.activation(m), self.z[m - 1], self.a[m - 1])

    def weight(self, m: int) -> np.ndarray:
        return self.linears[m - 1].weight.data

    def input(self, m: int, i: int) -> tuple[str, float]:
        """The input aᵐ⁻¹ᵢ of layer m (x for the first), with its label."""
        return (f"x{i + 1}", float(self.x[i])) if m == 1 else (f"a{m - 1}_{i + 1}", float(self.a[m - 2][i]))


def paths_from(p: Pass, m: int, j: int) -> list[tuple[list[tuple[str, float]], float]]:
    """Every path from unit j of layer m to the output: its factors and their product."""
    dy = float(p.da[-1][0])
    later = [range(p.weight(k).shape[1]) for k in range(m + 1, p.depth + 1)]
    out = []
    for units in itertools.product(*later):
        factors, prev = [], j
        for k, unit in zip(range(m + 1, p.depth + 1), units, strict=True):
            factors.append((f"W{k}[{prev + 1}→{unit + 1}]", float(p.weight(k)[prev, unit])))
            factors.append((f"{SLOPE_NAMES[p.activation(k)]}(z{k}_{unit + 1})", float(p.slope(k)[unit])))
            prev = unit
        factors.append(("∂L/∂ŷ", dy))
        out.append((factors, float(np.prod([v for _, v in factors]))))
    return out


def check_target(target: Any, layers: list[int]) -> dict[str, Any]:
    """``{"kind": "neuron"|"weight"|"bias", "layer": m, "unit": j, "from": i}`` checked
    against the network's sizes ``layers`` ([2, 4, 4, 1]); units count from 0."""
    if not isinstance(target, dict) or target.get("kind") not in ("neuron", "weight", "bias"):
        raise RequestError("target must be an object with kind neuron, weight or bias")
    depth = len(layers) - 1
    m = Number(1, depth, integer=True).check("target layer", target.get("layer"))
    j = Number(0, layers[m] - 1, integer=True).check("target unit", target.get("unit"))
    out = {"kind": target["kind"], "layer": m, "unit": j}
    if target["kind"] == "weight":
        out["from"] = Number(0, layers[m - 1] - 1, integer=True).check("target from", target.get("from"))
    return out


def explain_target(p: Pass, target: dict[str, Any]) -> dict[str, Any]:
    """Value, the engine's gradient, and the products of local derivatives that sum to it."""
    kind, m, j = target["kind"], target["layer"], target["unit"]
    slope_factor = (f"{SLOPE_NAMES[p.activation(m)]}(z{m}_{j + 1})", float(p.slope(m)[j]))
    if kind == "neuron":
        symbol, value, grad, head = f"a{m}_{j + 1}", p.a[m - 1][j], p.da[m - 1][j], []
        title = f"neuron {j + 1} of layer {m} ({symbol})"
    elif kind == "bias":
        symbol, value, grad = f"b{m}[{j + 1}]", p.linears[m - 1].bias.data[j], p.db[m - 1][j]
        title, head = f"bias {symbol}", [slope_factor]
    else:
        i = target["from"]
        symbol, value, grad = f"W{m}[{i + 1}→{j + 1}]", p.weight(m)[i, j], p.dW[m - 1][i, j]
        title, head = f"weight {symbol}", [p.input(m, i), slope_factor]
    paths = [(head + factors, float(np.prod([v for _, v in head]) * product))
             for factors, product in paths_from(p, m, j)]
    shown = sorted(paths, key=lambda fp: -abs(fp[1]))[:SHOWN_PATHS]
    total = float(np.sum([product for _, product in paths]))
    return {"title": title, "value": float(value), "grad": float(grad), "loss": p.loss,
            "path_count": len(paths), "sum": total,
            "paths": [{"factors": [{"label": lab, "value": v, "text": fmt(v, 4)} for lab, v in factors],
                       "product": product, "text": fmt(product, 4)} for factors, product in shown],
            "summary": f"{symbol} = {fmt(value)}; the engine's gradient ∂L/∂{symbol} = {fmt(grad)}; the "
                       f"{len(paths)} path product(s) sum to {fmt(total)}"}
