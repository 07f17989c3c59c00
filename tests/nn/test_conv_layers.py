"""nn's convolutional layers and cross-entropy."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck


def test_conv2d_layer_shapes_init_and_names():
    layer = nn.Conv2d(3, 8, 3, padding=1, rng=0)
    assert layer.weight.shape == (8, 3, 3, 3) and layer.bias.shape == (8,)
    bound = 1 / math.sqrt(3 * 3 * 3)
    assert np.all(np.abs(layer.weight.data) <= bound) and np.all(np.abs(layer.bias.data) <= bound)
    assert layer(np.ones((2, 3, 12, 12))).shape == (2, 8, 12, 12)
    assert nn.Conv2d(1, 2, (3, 2), stride=2, bias=False)(np.ones((1, 1, 9, 9))).shape == (1, 2, 4, 4)
    assert repr(layer) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=True)"
    assert layer.graph_label() == "Conv2d(3→8, 3×3)"


@pytest.mark.parametrize("make, x, words", [
    (lambda: nn.Conv2d(1, 8, 3), np.ones((2, 3, 12, 12)),
     r"Conv2d\(1→8, 3×3\) › conv2d: the input has 3 channels \(shape \(2, 3, 12, 12\)\) but the filters expect 1"),
    (lambda: nn.Conv2d(1, 8, 3), np.ones((12, 12)),
     r"Conv2d\(1→8, 3×3\) › conv2d: expects input of shape \(N, C, H, W\), got shape \(12, 12\)"),
    (lambda: nn.Conv2d(1, 8, 5), np.ones((1, 1, 3, 3)), r"the kernel 5×5 is larger than the \(padded\) input 3×3"),
    (lambda: nn.MaxPool2d(4), np.ones((1, 1, 3, 3)),
     r"MaxPool2d › max_pool2d: the kernel 4×4 is larger than the \(padded\) input 3×3 of shape \(1, 1, 3, 3\)"),
    (lambda: nn.AvgPool2d(2), np.ones((3, 3)), r"AvgPool2d › avg_pool2d: expects input of shape \(N, C, H, W\)"),
    (lambda: nn.Flatten(2), np.ones((3, 3)), r"Flatten\(start_dim=2\): input of shape \(3, 3\) has no axis 2"),
])
def test_layer_shape_errors_name_the_layer_and_the_shapes(make, x, words):
    with pytest.raises(ValueError, match=words):
        make()(x)


def test_bad_layer_settings():
    with pytest.raises(ValueError, match="out_channels must be a positive integer"):
        nn.Conv2d(1, 0, 3)
    with pytest.raises(ValueError, match="kernel_size must be an int >= 1"):
        nn.Conv2d(1, 2, 0)
    with pytest.raises(ValueError, match="padding must be an int >= 0"):
        nn.Conv2d(1, 2, 3, padding=-1)


def test_pooling_and_flatten_layers():
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    assert nn.MaxPool2d(2)(x).data[0, 0].tolist() == [[5.0, 7.0], [13.0, 15.0]]
    assert nn.AvgPool2d(2)(x).data[0, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]
    assert nn.Flatten()(x).shape == (1, 32)


def test_cross_entropy_by_hand_and_its_gradient():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]])
    target = np.array([0, 1])
    x = Tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss()(x, target)
    soft = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss.item() == pytest.approx(-np.mean(np.log(soft[[0, 1], target])), rel=1e-14)
    loss.backward()
    assert np.allclose(x.grad, (soft - np.eye(3)[target]) / 2)  # (softmax - one-hot) / N
    probs = np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    assert gradcheck(lambda x: nn.CrossEntropyLoss(reduction="sum")(x, probs), Tensor(logits, requires_grad=True))
    assert nn.CrossEntropyLoss()(Tensor([[1000.0, -1000.0]]), np.array([0])).item() == 0.0


@pytest.mark.parametrize("target, words", [
    (np.array([0, 3]), r"class indices must be in \[0, 3\)"),
    (np.array([0.5, 1.0]), "whole numbers"),
    (np.array([[1.0, 0.0]]), r"class indices of shape \(2,\) or probabilities of shape \(2, 3\)"),
])
def test_cross_entropy_refuses_bad_targets(target, words):
    with pytest.raises(ValueError, match=words):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3))), target)
