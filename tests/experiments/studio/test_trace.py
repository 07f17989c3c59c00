"""The studio's adapter onto the engine: a root Tensor in, plain data out, with the numbers
the chain rule gives by hand."""

import json
import math

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.teach import module_boxes
from experiments.studio.numbers import jsonable
from experiments.studio.trace import trace
from tests.conftest import sigmoid_expression


def by_name(tr):
    return {n["name"]: n for n in tr["nodes"]}


def test_sigmoid_expression_nodes_steps_and_gradients_match_the_hand_derivation():
    f, _ = sigmoid_expression()
    tr = trace(f)
    nodes = by_name(tr)
    s = 1 / (1 + math.exp(5))  # u = a*b + c = -5
    assert nodes["f"]["kind"] == "output" and tr["root"] == nodes["f"]["id"]
    assert {nodes[v]["kind"] for v in "abc"} == {"param"}
    assert nodes["t1"]["op"] == "mul" and nodes["t1"]["value"] == -6.0
    assert nodes["f"]["value"] == pytest.approx(s)
    assert nodes["a"]["grad"] == pytest.approx(s * (1 - s) * -3)
    assert nodes["b"]["grad"] == pytest.approx(s * (1 - s) * 2)
    assert nodes["c"]["grad"] == pytest.approx(s * (1 - s))
    # the backward steps in the engine's order: f, t2, t1 (then the leaves)
    order = [tr["nodes"][int(step["node"][1:])]["name"] for step in tr["backward"]]
    assert order[:3] == ["f", "t2", "t1"] and sorted(order[3:]) == ["a", "b", "c"]
    mul = tr["backward"][2]
    assert mul["upstream"] == pytest.approx(s * (1 - s))
    handed = {tr["nodes"][int(h["to"][1:])]["name"]: h for h in mul["handed"]}
    assert handed["a"]["local"] == -3.0 and handed["b"]["local"] == 2.0
    assert handed["a"]["grad"] == pytest.approx(mul["upstream"] * -3)
    assert "df/dt1 × ∂t1/∂a" in mul["text"]
    # forward lines and edges
    assert [s["text"] for s in tr["forward"] if s["node"] == nodes["t1"]["id"]] == ["t1 = a · b = -6"]
    assert {(e["source"], e["target"], e["slot"]) for e in tr["edges"] if e["target"] == nodes["t1"]["id"]} == \
        {(nodes["a"]["id"], nodes["t1"]["id"], 0), (nodes["b"]["id"], nodes["t1"]["id"], 1)}


def test_a_parent_used_twice_receives_both_contributions():
    x = Tensor(3.0, requires_grad=True, name="x")
    f = x * x
    tr = trace(f)
    step = tr["backward"][0]
    assert [h["grad"] for h in step["handed"]] == [3.0, 3.0]  # d(x·x)/dx = x + x
    assert by_name(tr)["x"]["grad"] == 6.0


def test_module_scopes_shapes_and_broadcast_gradients_of_the_lab_network():
    model, loss_fn = nn.MLP(2, (4, 4), 1, rng=0), nn.MSELoss()
    with module_boxes(model, loss_fn) as boxes:
        loss = loss_fn(model(Tensor([[0.2, 0.9]], name="x")), Tensor([[1.0]], name="y"))
    tr = trace(loss, boxes)
    nodes = by_name(tr)
    assert nodes["x"]["kind"] == "input" and nodes["x"]["grad"] is None
    assert nodes["layers.0.weight"]["shape"] == [2, 4]
    linear = [n for n in tr["nodes"] if n["op"] == "matmul"]
    assert [[s["label"] for s in n["scopes"]] for n in linear] == [
        ["MLP(2→4→4→1)", "Linear(2→4)"], ["MLP(2→4→4→1)", "Linear(4→4)"], ["MLP(2→4→4→1)", "Linear(4→1)"]]
    model.zero_grad()
    loss2 = nn.MSELoss()(model(Tensor([[0.2, 0.9]])), Tensor([[1.0]]))
    loss2.backward()
    assert np.allclose(nodes["layers.0.weight"]["grad"], model.layers[0].weight.grad)
    assert json.loads(json.dumps(jsonable(tr), allow_nan=False))["root"] == tr["root"]


def test_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="expects a Tensor"):
        trace(1.0)
