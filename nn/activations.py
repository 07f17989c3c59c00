"""Activation functions as modules. The math and its derivative live in the engine
(``autograd/ops/functions.py``, ``autograd/composed.py``); these only name them for networks."""

from __future__ import annotations

from autograd import Tensor
from nn.module import Module


class _Activation(Module):
    """An elementwise function: its op node in a picture says what it is, so no box."""

    boxed = False


class Sigmoid(_Activation):
    """σ(x) = 1 / (1 + e^-x);  σ'(x) = σ(x)(1 - σ(x))."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(_Activation):
    """tanh(x);  tanh'(x) = 1 - tanh²(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class ReLU(_Activation):
    """max(x, 0);  slope 1 for x > 0, else 0."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class LeakyReLU(_Activation):
    """x for x > 0, else a·x;  slope 1 for x > 0, else a (``negative_slope``)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Identity(_Activation):
    """x, unchanged (no op in the graph): the "without activation function" layer."""

    def forward(self, x: Tensor) -> Tensor:
        return x


ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "none": Identity,
}


def make_activation(name: str, argument: str = "activation") -> Module:
    """The activation module called ``name``; ValueError listing the allowed names otherwise."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown {argument} {name!r}; allowed: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()
