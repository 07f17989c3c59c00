"""chainrule's nn: modules, losses, initialisers, optimizers and checkpoints on the autograd
engine, with PyTorch's names and math. Imports only numpy, the standard library and autograd.

>>> import nn
>>> model = nn.MLP(2, (4, 4), 1)
>>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
"""

from nn import init, optim
from nn.activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from nn.conv import AvgPool2d, Conv2d, Flatten, MaxPool2d
from nn.init import manual_seed
from nn.io import load, save
from nn.layers import MLP, Linear, Sequential
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nn.module import Module, Parameter

__all__ = [
    "MLP",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "Conv2d",
    "CrossEntropyLoss",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "init",
    "load",
    "manual_seed",
    "optim",
    "save",
]
