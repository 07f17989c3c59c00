"""The network microscope: sessions on the lab's training code, the path products checked
against the engine's gradients, and the training socket through the test client."""

import json

import numpy as np
import pytest

from experiments.studio import limits
from experiments.studio.microscope import Session, check_settings
from experiments.studio.views import BOUNDARY_GRID

SOCKET = "ws://127.0.0.1/ws/train"  # the loopback Host header the studio accepts
XOR = {"dataset": "xor", "hidden": [4, 4], "optimizer": "adam", "lr": 0.1}


def test_training_in_a_session_lowers_the_loss_and_draws_every_neuron():
    s = Session(check_settings(XOR))
    first = s.advance(1)
    later = s.advance(300)
    while later["epoch"] < 301:  # a chunk stops early when its time budget runs out (a busy machine)
        later = s.advance(301 - later["epoch"])
    assert later["epoch"] == 301 and later["losses"][-1][0] == 301
    assert later["losses"][-1][1] < first["losses"][0][1] - 0.05
    view = later["view"]
    assert [len(layer) for layer in view["neurons"]["layers"]] == [4, 4]
    assert len(view["boundary"]["data"]) == 4 * -(-BOUNDARY_GRID**2 // 3)  # base64 of 64×64 bytes
    assert len(later["norms"][0]) == 1 + 3  # the epoch, then one norm per layer


def test_the_same_settings_train_the_same_numbers():
    a, b = Session(check_settings(XOR)), Session(check_settings(XOR))
    assert a.advance(20)["losses"] == b.advance(20)["losses"]


@pytest.mark.parametrize("target", [
    {"kind": "weight", "layer": 1, "from": 1, "unit": 2},
    {"kind": "weight", "layer": 3, "from": 0, "unit": 0},
    {"kind": "bias", "layer": 2, "unit": 3},
    {"kind": "neuron", "layer": 1, "unit": 0},
    {"kind": "neuron", "layer": 3, "unit": 0},
])
def test_the_path_products_sum_to_the_engines_gradient(target):
    s = Session(check_settings({**XOR, "hidden": [3, 5], "activation": "tanh"}))
    s.advance(30)
    reply = s.handle({"type": "inspect", "point": 4, "target": target})
    assert reply["sum"] == pytest.approx(reply["grad"], rel=1e-9, abs=1e-15)
    assert reply["path_count"] == {1: 5, 2: 1, 3: 1}[target["layer"]]
    for path in reply["paths"]:
        assert np.prod([f["value"] for f in path["factors"]]) == pytest.approx(path["product"])
    assert reply["highlight"]


def test_a_weights_gradient_by_hand_for_one_point():
    """∂L/∂W³[1→1] = a²₁ · σ'(z³) · ∂L/∂ŷ with MSE on one point: ∂L/∂ŷ = 2(ŷ - y)."""
    s = Session(check_settings({**XOR, "hidden": [2, 2]}))
    reply = s.handle({"type": "inspect", "point": 1, "target": {"kind": "weight", "layer": 3, "from": 0, "unit": 0}})
    factors = {f["label"]: f["value"] for f in reply["paths"][0]["factors"]}
    y_hat = None
    for layer_out in [s.model(s.X[1:2])]:
        y_hat = float(layer_out.data[0, 0])
    assert factors["∂L/∂ŷ"] == pytest.approx(2 * (y_hat - s.y[1, 0]))
    assert factors["σ'(z3_1)"] == pytest.approx(y_hat * (1 - y_hat))
    assert reply["grad"] == pytest.approx(factors["a2_1"] * factors["σ'(z3_1)"] * factors["∂L/∂ŷ"])


@pytest.mark.parametrize(("message", "words"), [
    ({"type": "setup", "settings": {"hidden": [4] * (limits.MAX_LAYERS + 1)}}, "at most 4 hidden layers"),
    ({"type": "setup", "settings": {"hidden": [limits.MAX_UNITS + 1]}}, "units must be in [1, 16]"),
    ({"type": "setup", "settings": {"n": limits.MAX_POINTS + 1}}, "n must be in [4, 1000]"),
    ({"type": "setup", "settings": {"dataset": "mnist"}}, "dataset must be one of linear, xor"),
    ({"type": "setup", "settings": {"lr": 0}}, "lr must be in (0, 10]"),
    ({"type": "setup", "settings": {"epochs": 5}}, "unknown field(s) epochs"),
    ({"type": "play", "speed": 10**6}, "speed (epochs per second) must be in"),
    ({"type": "inspect", "point": 999, "target": {"kind": "neuron", "layer": 1, "unit": 0}}, "point must be in"),
    ({"type": "inspect", "point": 0, "target": {"kind": "neuron", "layer": 1, "unit": 9}}, "target unit"),
    ({"type": "inspect", "point": 0, "target": {"kind": "file"}}, "kind neuron, weight or bias"),
    ({"type": "run", "code": "import os"}, "unknown message type"),
    ([], "a JSON object with a type"),
])
def test_bad_messages_are_refused_with_one_line(message, words):
    s = Session()
    with pytest.raises(ValueError, match=None) as err:
        s.handle(message)
    assert words in str(err.value)


def socket_messages(ws, wanted, limit=200):
    """Messages from the socket until one of type ``wanted`` (returned with those before)."""
    seen = []
    for _ in range(limit):
        m = json.loads(ws.receive_text())
        seen.append(m)
        if m["type"] == wanted:
            return m, seen
    raise AssertionError(f"no {wanted} message in {limit}")


def test_the_socket_trains_answers_errors_and_keeps_going(client):
    with client.websocket_connect(SOCKET) as ws:
        ready, _ = socket_messages(ws, "ready")
        assert ready["layers"] == [2, 4, 4, 1] and len(ready["train"]) == 21
        ws.send_text(json.dumps({"type": "setup", "settings": XOR}))
        socket_messages(ws, "ready")
        ws.send_text("{not json")
        assert socket_messages(ws, "error")[0]["message"] == "a message is not valid JSON"
        ws.send_text(json.dumps({"type": "setup", "settings": {"hidden": [99]}}))
        assert "units must be in" in socket_messages(ws, "error")[0]["message"]
        ws.send_text(json.dumps({"type": "step"}))
        assert socket_messages(ws, "frame")[0]["epoch"] == 1
        ws.send_text(json.dumps({"type": "play", "speed": 2000}))
        frame = socket_messages(ws, "frame")[0]
        while frame["epoch"] < 200:
            frame = socket_messages(ws, "frame")[0]
        ws.send_text(json.dumps({"type": "pause"}))
        paused, _ = socket_messages(ws, "frame")
        while paused["playing"]:
            paused, _ = socket_messages(ws, "frame")
        assert paused["epoch"] >= 200


def test_two_tabs_train_independently_and_a_closed_tab_ends_its_session(client):
    app = client.app
    with client.websocket_connect(SOCKET) as one, client.websocket_connect(SOCKET) as two:
        socket_messages(one, "ready")
        socket_messages(two, "ready")
        assert app.state.sessions == 2
        one.send_text(json.dumps({"type": "step"}))
        one.send_text(json.dumps({"type": "step"}))
        socket_messages(one, "frame")
        assert socket_messages(one, "frame")[0]["epoch"] == 2
        two.send_text(json.dumps({"type": "step"}))
        assert socket_messages(two, "frame")[0]["epoch"] == 1
    for _ in range(100):  # the server notices the closed sockets
        if app.state.sessions == 0:
            break
        import time
        time.sleep(0.02)
    assert app.state.sessions == 0


def test_sockets_from_another_origin_or_host_are_refused(client):
    from starlette.testclient import WebSocketDenialResponse
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed:  # a web page elsewhere may not open one
        with client.websocket_connect(SOCKET, headers={"Origin": "http://evil.example"}) as ws:
            ws.receive_text()
    assert closed.value.code == 1008
    with pytest.raises(WebSocketDenialResponse) as refused:
        with client.websocket_connect("ws://evil.example/ws/train") as ws:
            ws.receive_text()
    assert refused.value.status_code == 400
    with client.websocket_connect(SOCKET, headers={"Origin": "http://127.0.0.1"}) as ws:
        assert socket_messages(ws, "ready")[0]["layers"] == [2, 4, 4, 1]
