"""A network's layers read off its structure, for the report's compact layer-level picture:
one ``plots.Box`` per layer with its weights and the shape of what it hands on (a forward
pass on a small example batch finds the shapes; ``n`` stands for the batch size)."""

from __future__ import annotations

import numpy as np

import nn
from autograd import Tensor, no_grad
from experiments.plots import Box

ACTIVATION_NAMES = {"Sigmoid": "σ sigmoid", "Tanh": "tanh", "ReLU": "ReLU", "Identity": "identity"}


def layers(model: nn.Module) -> list[nn.Module]:
    """The model's layers in the order data goes through them: a Sequential's items, or those
    of the one Sequential a model (such as ``nn.MLP``) keeps them in."""
    if isinstance(model, nn.Sequential):
        return list(model)
    inner = [m for m in model.children() if isinstance(m, nn.Sequential)]
    return list(inner[0]) if len(inner) == 1 else [model]


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(["n", *(str(s) for s in shape[1:])]) + ")"


def describe(layer: nn.Module) -> tuple[str, str, str]:
    """(name, detail, kind) of one layer for its box."""
    kind_name = type(layer).__name__
    weights = ", ".join(f"{name.split('.')[-1][0].upper() if name.endswith('weight') else 'b'} "
                        f"{'×'.join(str(s) for s in p.shape)}" for name, p in layer.named_parameters())
    if isinstance(layer, nn.Linear):
        return f"Linear {layer.in_features}→{layer.out_features}", weights, "param"
    if isinstance(layer, nn.Conv2d):
        k = "×".join(str(s) for s in layer.kernel_size)
        pad = f", pad {layer.padding[0]}" if any(layer.padding) else ""
        return f"Conv2d {layer.in_channels}→{layer.out_channels}", f"{k}{pad}\n{weights}", "param"
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        return kind_name.replace("2d", ""), "×".join(str(s) for s in layer.kernel_size) + " windows", "other"
    if isinstance(layer, nn.LeakyReLU):
        return "leaky ReLU", f"slope {layer.negative_slope:g} below 0", "act"
    if kind_name in ACTIVATION_NAMES:
        return ACTIVATION_NAMES[kind_name], "no weights", "act"
    return kind_name, weights or "no weights", "other"


def boxes(model: nn.Module, example: np.ndarray, loss: str | None = None) -> list[Box]:
    """One box for the input, one per layer, and one for ``loss`` when given."""
    x = Tensor(example)
    found = [Box("input", "the data", shape_text(x.shape), "data")]
    with no_grad(), np.errstate(all="ignore"):
        for layer in layers(model):
            x = layer(x)
            name, detail, kind = describe(layer)
            found.append(Box(name, detail, shape_text(x.shape), kind))
    if loss:
        found.append(Box(loss, "against the targets", "a number", "loss"))
    return found
