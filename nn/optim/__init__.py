"""Optimizers and learning-rate schedulers with torch.optim's update rules."""

from nn.optim.adagrad import Adagrad
from nn.optim.adam import Adam
from nn.optim.lr_scheduler import ExponentialLR, LRScheduler, StepLR
from nn.optim.optimizer import Optimizer
from nn.optim.rmsprop import RMSprop
from nn.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "ExponentialLR", "LRScheduler", "Optimizer", "RMSprop", "StepLR"]
