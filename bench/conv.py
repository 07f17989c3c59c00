"""A training step of a small CNN: batch 64 of 1×12×12 images, 8 filters 3×3 (padding 1),
ReLU, 2×2 max pooling, a linear layer to 4 classes, softmax cross-entropy, SGD.
chainrule (eager and compiled) against the same network written by hand in numpy (im2col with stride tricks,
backward derived by hand). Target: within 2× of the hand-written step."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import nn
from autograd import Tensor
from bench.workloads import compiled_training_step, training_step
from experiments.data import generate_shapes

BATCH, CLASSES = 64, 4


def data() -> tuple[np.ndarray, np.ndarray]:
    return generate_shapes(BATCH, rng=0)


def chainrule_model() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 6 * 6, CLASSES, rng=0))


def chainrule_step(X: np.ndarray, y: np.ndarray):
    model = chainrule_model()
    return training_step(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), Tensor(X), y)


def compiled_step(X: np.ndarray, y: np.ndarray):
    """The same, compiled; the targets as one-hot rows (a tensor the compiled step reads)."""
    model = chainrule_model()
    return compiled_training_step(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                                  Tensor(X), Tensor(np.eye(CLASSES)[y]))


def numpy_step(X: np.ndarray, y: np.ndarray):
    """The same step by hand: im2col of the batch (every step, as a training loop sees a new
    batch each time), the convolution as one matrix product, max pooling by reshaping, the
    backward pass derived by hand."""
    rng = np.random.default_rng(0)
    Wc, bc = rng.uniform(-1 / 3, 1 / 3, size=(8, 9)), np.zeros(8)
    Wl, bl = rng.uniform(-0.06, 0.06, size=(288, CLASSES)), np.zeros(CLASSES)
    onehot = np.eye(CLASSES)[y]

    def step():
        nonlocal Wc, bc, Wl, bl
        windows = sliding_window_view(np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
        cols = np.ascontiguousarray(windows.transpose(0, 2, 3, 1, 4, 5)).reshape(BATCH * 144, 9)
        conv = (cols @ Wc.T + bc).reshape(BATCH, 12, 12, 8).transpose(0, 3, 1, 2)
        act = np.maximum(conv, 0.0)
        blocks = act.reshape(BATCH, 8, 6, 2, 6, 2)
        pooled = blocks.max(axis=(3, 5))
        flat = pooled.reshape(BATCH, -1)
        logits = flat @ Wl + bl
        z = logits - logits.max(axis=1, keepdims=True)
        soft = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        d_logits = (soft - onehot) / BATCH
        dWl, dbl = flat.T @ d_logits, d_logits.sum(axis=0)
        d_pooled = (d_logits @ Wl.T).reshape(pooled.shape)
        winners = blocks == pooled[:, :, :, None, :, None]
        d_act = (winners * d_pooled[:, :, :, None, :, None]).reshape(act.shape)
        d_conv = (d_act * (conv > 0)).transpose(0, 2, 3, 1).reshape(-1, 8)
        dWc, dbc = d_conv.T @ cols, d_conv.sum(axis=0)
        Wc, bc, Wl, bl = Wc - 0.1 * dWc, bc - 0.1 * dbc, Wl - 0.1 * dWl, bl - 0.1 * dbl
    return step
