"""Layers: Linear, Sequential, and the lab's MLP."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np

from autograd import Tensor, linear
from nn import init
from nn.activations import make_activation
from nn.module import Module


def is_positive_int(n: object) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0


def check_sizes(owner: str, **sizes: object) -> None:
    """ValueError naming the first of ``sizes`` that is not a positive integer."""
    for label, n in sizes.items():
        if not is_positive_int(n):
            raise ValueError(f"{owner}: {label} must be a positive integer, got {n!r}")


class Linear(Module):
    """y = x @ W + b, with W of shape (in_features, out_features): the lab's Z = σ(XW)
    (the engine's ``linear``: a matmul and an add).

    (PyTorch stores W as (out, in) and computes x @ Wᵀ; ours reads as the lab's formula.)
    Default initialisation, as PyTorch's: W and b uniform in ±1/√in_features.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | int | None = None) -> None:
        check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight, self.bias = init.layer_parameters((self.in_features, self.out_features), bias, rng)

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def graph_label(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after the other; indexable, sized and iterable. Submodules are
    named ``0``, ``1``, ... (so parameters are ``0.weight``, as in PyTorch)."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
        self._items = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self._items):
            yield str(i), m

    def forward(self, x: Tensor) -> Tensor:
        for m in self._items:
            x = m(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expects a Module, got {type(module).__name__}")
        self._items.append(module)
        return self


class MLP(Module):
    """Linear → act → Linear → act → ... → Linear → output activation.

    ``MLP(2, (4, 4), 1)`` is the lab's network: y = σ(σ(σ(X W1) W2) W3) (with biases).
    ``activation`` is used after each hidden layer, ``output_activation`` after the last;
    ``"none"`` puts an Identity there (the lab's "without activation functions"), so the
    parameter names stay ``layers.0``, ``layers.2``, ``layers.4`` in every variant.
    """

    def __init__(self, in_features: int, hidden: Sequence[int] | int = (4, 4), out_features: int = 1,
                 activation: str = "sigmoid", output_activation: str = "sigmoid",
                 rng: np.random.Generator | int | None = None) -> None:
        hidden = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
        if not all(is_positive_int(n) for n in hidden):
            raise ValueError(f"MLP: hidden sizes must be positive integers, got {hidden}")
        make_activation(activation)  # check both names before building anything
        make_activation(output_activation, "output_activation")
        gen = init.as_generator(rng)
        sizes = [in_features, *hidden, out_features]
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(Linear(n_in, n_out, rng=gen))
            last = i == len(sizes) - 2
            layers.append(make_activation(output_activation if last else activation))
        self.in_features, self.hidden, self.out_features = in_features, hidden, out_features
        self.activation, self.output_activation = activation, output_activation
        self.layers = Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:  # inside this MLP's box, without a box for the Sequential
            x = layer(x)
        return x

    def graph_label(self) -> str:
        return f"MLP({'→'.join(str(n) for n in (self.in_features, *self.hidden, self.out_features))})"
