"""Module: parameter discovery and names, train/eval, state dicts, repr."""

import numpy as np
import pytest

import nn
from autograd import Tensor


class Pair(nn.Module):
    def __init__(self):
        self.encoder = nn.Linear(2, 3, rng=0)
        self.heads = [nn.Linear(3, 1, rng=1), nn.Linear(3, 1, rng=2)]
        self.extra = {"scale": nn.Parameter(np.ones(1))}
        self.constant = Tensor(np.ones(3))  # not a Parameter: not listed

    def forward(self, x):
        h = self.encoder(x)
        return self.heads[0](h) * self.extra["scale"] + self.heads[1](h)


def test_parameters_are_found_through_attributes_lists_and_dicts_with_pytorch_names():
    model = Pair()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["extra.scale", "encoder.weight", "encoder.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias"]
    assert all(p.name == n for n, p in model.named_parameters())
    assert len(list(model.parameters())) == 7


def test_sequential_names_its_items_by_position():
    seq = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Sigmoid(), nn.Linear(4, 1, rng=0))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(seq) == 3 and isinstance(seq[1], nn.Sigmoid) and len(seq[0:2]) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "Sigmoid", "Linear"]
    with pytest.raises(TypeError, match="item 1 is a int"):
        nn.Sequential(nn.Sigmoid(), 3)


def test_a_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2, rng=0)
    seq = nn.Sequential(layer, nn.Tanh(), layer)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


def test_zero_grad_train_and_eval():
    model = Pair()
    model(np.ones((4, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.training and model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_is_a_copy_and_round_trips():
    a, b = nn.MLP(2, (3,), 1, rng=0), nn.MLP(2, (3,), 1, rng=1)
    sd = a.state_dict()
    assert list(sd) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    sd["layers.0.bias"][:] = 99.0
    assert not np.any(a.layers[0].bias.data == 99.0)
    b.load_state_dict(a.state_dict())
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data)


def test_load_state_dict_errors_name_the_key_and_shapes_and_change_nothing():
    model = nn.MLP(2, (3,), 1, rng=0)
    before = model.state_dict()
    sd = model.state_dict()
    sd["layers.2.weight"] = np.zeros((4, 1))
    with pytest.raises(ValueError, match=r"'layers.2.weight': the state dict has shape \(4, 1\).*\(3, 1\)"):
        model.load_state_dict(sd)
    sd = model.state_dict()
    sd["layers.0.weight"] = np.full((2, 3), 7.0)
    del sd["layers.0.bias"]
    sd["surprise"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing key\(s\) \['layers.0.bias'\].*unexpected key\(s\) \['surprise'\]"):
        model.load_state_dict(sd)
    for key, value in model.state_dict().items():
        assert np.array_equal(value, before[key])  # untouched: checked before writing
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["layers.0.bias"] and result.unexpected_keys == ["surprise"]
    assert np.all(model.layers[0].weight.data == 7.0)


def test_repr_is_a_pytorch_like_tree():
    text = repr(nn.MLP(2, (4, 4), 1, activation="leaky_relu"))
    assert text.splitlines()[:4] == [
        "MLP(",
        "  (layers): Sequential(",
        "    (0): Linear(in_features=2, out_features=4, bias=True)",
        "    (1): LeakyReLU(negative_slope=0.01)",
    ]
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.BCELoss(reduction="sum")) == "BCELoss(reduction='sum')"
    assert repr(nn.Parameter([1.0])).startswith("Parameter(")


def test_parameters_are_named_by_their_path_without_calling_parameters_first():
    mlp = nn.MLP(2, (4,), 1, rng=0)
    assert mlp.layers[0].weight.name == "layers.0.weight"  # nothing has called parameters() yet
    nn.Sequential(mlp)
    assert mlp.layers[2].bias.name == "0.layers.2.bias"  # renamed once nested


def test_forward_hooks_see_every_call_and_can_be_removed():
    layer = nn.Linear(2, 3, rng=0)
    seen = []
    handle = layer.register_forward_hook(lambda module, args, out: seen.append((module, args[0].shape, out.shape)))
    layer(Tensor(np.ones((1, 2))))
    handle.remove()
    layer(Tensor(np.ones((1, 2))))
    assert seen == [(layer, (1, 2), (1, 3))]
    assert nn.Linear(2, 3)._forward_hooks == {}  # other instances are untouched


def test_to_float_and_double_convert_every_parameter():
    model = nn.MLP(2, (3,), 1, rng=0)
    before = model.layers[0].weight.data.copy()
    assert model.float() is model
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    out = model(Tensor(np.ones((2, 2), dtype=np.float32)))
    assert out.dtype == np.float32
    model.double()
    np.testing.assert_allclose(model.layers[0].weight.data, before, rtol=1e-6)
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got 'int8'"):
        model.to("int8")
