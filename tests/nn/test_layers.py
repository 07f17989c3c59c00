"""Linear, MLP, activations and initialisers."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck


def test_linear_is_x_at_w_plus_b_with_pytorch_default_init():
    layer = nn.Linear(5, 3, rng=0)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (3,)
    bound = 1 / math.sqrt(5)
    assert np.all(np.abs(layer.weight.data) <= bound) and np.all(np.abs(layer.bias.data) <= bound)
    x = np.random.default_rng(1).normal(size=(4, 5))
    assert np.allclose(layer(x).data, x @ layer.weight.data + layer.bias.data)
    assert nn.Linear(5, 3, bias=False).bias is None
    big = nn.Linear(400, 300, rng=0).weight.data
    assert big.min() < -0.9 * (1 / 20) and big.max() > 0.9 * (1 / 20)  # fills the whole range


def test_linear_gradients():
    layer = nn.Linear(3, 2, rng=0)
    x = Tensor(np.random.default_rng(2).normal(size=(4, 3)), requires_grad=True)
    assert gradcheck(lambda x, w, b: (x @ w + b).sigmoid(), x, layer.weight, layer.bias)


def test_linear_refuses_bad_sizes_and_inputs():
    with pytest.raises(ValueError, match="in_features must be a positive integer, got 0"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match=r"Linear\(2→3\) › linear: input \(4, 5\), weight \(2, 3\) and bias \(3,\) do "
                                         r"not fit: the input's last axis must equal the weight's first"):
        nn.Linear(2, 3)(np.ones((4, 5)))


def test_same_rng_seed_gives_the_same_weights_and_manual_seed_drives_the_default():
    assert np.array_equal(nn.Linear(3, 3, rng=5).weight.data, nn.Linear(3, 3, rng=5).weight.data)
    nn.manual_seed(11)
    a = nn.Linear(3, 3).weight.data.copy()
    nn.manual_seed(11)
    assert np.array_equal(a, nn.Linear(3, 3).weight.data)
    with pytest.raises(TypeError, match="rng must be"):
        nn.Linear(2, 2, rng="seed")


def test_mlp_is_the_labs_network():
    model = nn.MLP(2, (4, 4), 1, rng=0)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear", "Sigmoid"]
    x = np.random.default_rng(0).uniform(size=(7, 2))
    w = [model.layers[i].weight.data for i in (0, 2, 4)]
    b = [model.layers[i].bias.data for i in (0, 2, 4)]

    def sig(z):
        return 1 / (1 + np.exp(-z))

    expected = sig(sig(sig(x @ w[0] + b[0]) @ w[1] + b[1]) @ w[2] + b[2])
    assert np.allclose(model(x).data, expected, rtol=1e-14)


@pytest.mark.parametrize("activation, output_activation, kinds", [
    ("none", "sigmoid", ["Linear", "Identity", "Linear", "Identity", "Linear", "Sigmoid"]),
    ("none", "none", ["Linear", "Identity", "Linear", "Identity", "Linear", "Identity"]),
    ("tanh", "sigmoid", ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]),
    ("relu", "none", ["Linear", "ReLU", "Linear", "ReLU", "Linear", "Identity"]),
    ("leaky_relu", "sigmoid", ["Linear", "LeakyReLU", "Linear", "LeakyReLU", "Linear", "Sigmoid"]),
])
def test_mlp_activation_variants_keep_the_parameter_names(activation, output_activation, kinds):
    model = nn.MLP(2, (4, 4), 1, activation=activation, output_activation=output_activation, rng=0)
    assert [type(m).__name__ for m in model.layers] == kinds
    assert [n for n, _ in model.named_parameters()][::2] == ["layers.0.weight", "layers.2.weight", "layers.4.weight"]


def test_mlp_without_activations_is_linear():
    model = nn.MLP(2, (4, 4), 1, activation="none", output_activation="none", rng=0)
    x = np.random.default_rng(0).normal(size=(5, 2))
    # a composition of affine maps is affine: f(a + b) - f(b) = f(a) - f(0)
    f = lambda v: model(v).data  # noqa: E731
    assert np.allclose(f(x[:1] + x[1:2]) - f(x[1:2]), f(x[:1]) - f(np.zeros((1, 2))))


def test_mlp_refuses_unknown_activations_and_bad_sizes():
    with pytest.raises(ValueError, match="unknown activation 'swish'; allowed: sigmoid, tanh, relu, leaky_relu, none"):
        nn.MLP(2, (4,), 1, activation="swish")
    with pytest.raises(ValueError, match="unknown output_activation 'softmax'"):
        nn.MLP(2, (4,), 1, output_activation="softmax")
    with pytest.raises(ValueError, match="hidden sizes must be positive integers"):
        nn.MLP(2, (4, 0), 1)


@pytest.mark.parametrize("module, fn", [
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (nn.Identity(), lambda x: x),
])
def test_activation_modules(module, fn):
    x = np.linspace(-3, 3, 13)
    assert np.allclose(module(Tensor(x)).data, fn(x))


def test_init_functions_fill_in_place_with_the_documented_ranges():
    t = nn.Parameter(np.empty((300, 200)))
    data = t.data
    assert nn.init.uniform_(t, -0.5, 0.5, rng=0) is t and t.data is data
    assert -0.5 <= t.data.min() < -0.49 and 0.49 < t.data.max() <= 0.5
    nn.init.normal_(t, mean=2.0, std=0.5, rng=0)
    assert abs(t.data.mean() - 2.0) < 0.01 and abs(t.data.std() - 0.5) < 0.01
    bound = math.sqrt(6 / (300 + 200))
    nn.init.xavier_uniform_(t, rng=0)
    assert t.data.max() <= bound and t.data.max() > 0.99 * bound
    nn.init.kaiming_uniform_(t, a=0.0, nonlinearity="relu", rng=0)
    bound = math.sqrt(2) * math.sqrt(3 / 300)  # fan_in is shape[0] for our (in, out) weights
    assert t.data.max() <= bound and t.data.max() > 0.99 * bound
    nn.init.zeros_(t)
    assert not t.data.any()
    conv = nn.Parameter(np.empty((8, 3, 3, 3)))
    assert nn.init.fans(conv) == (27, 72)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(nn.Parameter(np.empty(3)))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        nn.init.kaiming_uniform_(t, nonlinearity="swish")
