"""Losses against hand formulas, PyTorch's clamping, stability and gradients."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck

P = np.array([[0.2], [0.9], [0.6]])
Y = np.array([[0.0], [1.0], [1.0]])


def test_mse():
    assert nn.MSELoss()(Tensor(P), Y).item() == pytest.approx(((0.2) ** 2 + 0.1**2 + 0.4**2) / 3)
    assert nn.MSELoss(reduction="sum")(Tensor(P), Y).item() == pytest.approx(0.04 + 0.01 + 0.16)
    assert nn.MSELoss(reduction="none")(Tensor(P), Y).shape == (3, 1)


def test_bce_by_hand():
    expected = -(math.log(0.8) + math.log(0.9) + math.log(0.6)) / 3
    assert nn.BCELoss()(Tensor(P), Y).item() == pytest.approx(expected, rel=1e-14)


def test_bce_clamps_each_log_at_minus_100_as_pytorch():
    loss = nn.BCELoss(reduction="none")(Tensor([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    assert loss.data.tolist() == pytest.approx([100.0, 100.0, 0.0])


def test_bce_with_logits_equals_bce_of_sigmoid_and_is_stable():
    x = np.array([[-3.0], [0.5], [2.0]])
    direct = nn.BCELoss()(Tensor(x).sigmoid(), Y).item()
    assert nn.BCEWithLogitsLoss()(Tensor(x), Y).item() == pytest.approx(direct, rel=1e-12)
    big = nn.BCEWithLogitsLoss(reduction="none")(Tensor([1000.0, -1000.0]), np.array([0.0, 1.0]))
    assert big.data.tolist() == [1000.0, 1000.0]


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.BCELoss(), nn.BCEWithLogitsLoss(), nn.MSELoss(reduction="sum")])
def test_loss_gradients(loss):
    p = Tensor(np.array([[0.3], [0.8], [0.55]]), requires_grad=True)
    assert gradcheck(lambda p: loss(p, Y), p)


def test_bce_with_logits_gradient_is_sigmoid_minus_target():
    x = Tensor(np.array([0.0, 2.0, -1.0]), requires_grad=True)
    nn.BCEWithLogitsLoss(reduction="sum")(x, np.array([1.0, 0.0, 1.0])).backward()
    assert np.allclose(x.grad, 1 / (1 + np.exp(-x.data)) - np.array([1.0, 0.0, 1.0]))


def test_loss_errors():
    with pytest.raises(ValueError, match=r"MSELoss: prediction has shape \(3, 1\) but target has shape \(3,\)"):
        nn.MSELoss()(Tensor(P), Y.ravel())
    with pytest.raises(ValueError, match="unknown reduction 'avg'; allowed: mean, sum, none"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"BCELoss: predictions must be probabilities in \[0, 1\]"):
        nn.BCELoss()(Tensor([1.5]), np.array([1.0]))
