"""The workbench's API through the framework's test client: good requests with the numbers
the chain rule gives, bad ones refused with one clear line, limits, domain errors."""

import math

import pytest

from experiments.studio import limits
from tests.conftest import require_program


def post(client, body):
    return client.post("/api/workbench", json=body)


def test_sigmoid_expression_values_gradients_steps_and_nudge(client):
    r = post(client, {"expression": "sigmoid(a*b + c)", "values": {"a": 2, "b": -3, "c": 1}, "h": 1e-4})
    assert r.status_code == 200
    data = r.json()
    s = 1 / (1 + math.exp(5))
    grads = {v["name"]: v["grad"] for v in data["variables"]}
    assert data["value"] == pytest.approx(s)
    assert grads == pytest.approx({"a": -3 * s * (1 - s), "b": 2 * s * (1 - s), "c": s * (1 - s)})
    assert len(data["forward"]) == 6 and len(data["backward"]) == 6
    # the step at the multiplication hands -0.0199442 to a and 0.0132961 to b, and says so
    mul = data["backward"][2]
    assert "0.00664806 × -3 = -0.0199442" in mul["text"]
    names = {n["id"]: n["name"] for n in data["nodes"]}
    assert {names[k]: u["text"] for k, u in mul["updates"].items()} == {
        "t1": "grad 0.00664806", "a": "grad -0.0199442", "b": "grad 0.0132961"}
    for nudge in data["nudge"]:
        assert nudge["predicted"] == pytest.approx(grads[nudge["name"]] * 1e-4)
        assert nudge["actual"] == pytest.approx(nudge["predicted"], rel=1e-3)
    assert data["problems"] == []


def test_the_picture_has_a_value_and_a_gradient_line_per_tensor(client):
    require_program("dot")
    data = post(client, {"expression": "x*x + 3*x", "values": {"x": 2}}).json()
    svg = data["svg"]
    assert svg.startswith("<svg") and 'id="n0"' in svg
    assert svg.count('class="grad"') == sum(1 for n in data["nodes"] if n["grad"] is not None)
    assert 'class="value"' in svg and "<?xml" not in svg
    assert data["variables"] == [{"name": "x", "value": 2.0, "grad": 7.0}]


def test_a_vector_variable_has_a_vector_gradient_and_a_nudge_per_element(client):
    data = post(client, {"expression": "sum(x*x) + a*mean(x)", "values": {"x": [1, -2, 3], "a": 3},
                         "h": 1e-4}).json()
    assert data["value"] == pytest.approx(14 + 3 * 2 / 3)
    grads = {v["name"]: v["grad"] for v in data["variables"]}
    assert grads["x"] == pytest.approx([2 * 1 + 1, 2 * -2 + 1, 2 * 3 + 1])  # 2x + a/n, n = 3
    assert grads["a"] == pytest.approx(2 / 3)  # mean(x)
    assert [n["name"] for n in data["nudge"]] == ["x[0]", "x[1]", "x[2]", "a"]
    for nudge, slope in zip(data["nudge"], [3, -3, 7, 2 / 3], strict=True):
        assert nudge["predicted"] == pytest.approx(slope * 1e-4)
        assert nudge["actual"] == pytest.approx(nudge["predicted"], rel=1e-3)
    names = {n["id"]: n["name"] for n in data["nodes"]}
    x_grad = [u["text"] for step in data["backward"] for k, u in step["updates"].items() if names[k] == "x"]
    assert x_grad[-1] == "grad [3, -3, 7]"  # the picture's gradient line, at the step that completes it
    x_node = next(n for n in data["nodes"] if n["name"] == "x")
    assert x_node["shape"] == [3] and x_node["value"] == [1.0, -2.0, 3.0]


def test_the_picture_writes_a_vector_out_in_full(client):
    require_program("dot")
    data = post(client, {"expression": "sum(x)", "values": {"x": [1, 2, 3, 4, 5, 6]}}).json()
    assert "value [1, 2, 3, 4, 5, 6]" in data["svg"]
    assert data["variables"] == [{"name": "x", "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "grad": [1.0] * 6}]


@pytest.mark.parametrize(("expression", "values", "node", "words"), [
    ("log(a)", {"a": -2}, "f", "the log of a negative number, ln(-2)"),
    ("a / b", {"a": 1, "b": 0}, "t1", "a division by zero, 1 / 0"),  # a / b is a · b ** -1: t1 = b ** -1
    ("(a - 3) ** 0.5", {"a": 1}, "f", "a negative base to a fractional power, (-2) ** 0.5"),
    ("exp(a) * 2", {"a": 1000}, "t1", "e^1000 is too large"),
])
def test_domain_errors_mark_the_node_that_produced_them(client, expression, values, node, words):
    data = post(client, {"expression": expression, "values": values}).json()
    names = {n["id"]: n["name"] for n in data["nodes"]}
    first = data["problems"][0]
    assert first["pass"] == "forward" and names[first["node"]] == node
    assert words in first["message"]


def test_a_gradient_that_is_infinite_where_the_value_is_fine_is_reported(client):
    data = post(client, {"expression": "sqrt(a)", "values": {"a": 0}}).json()
    assert [p["pass"] for p in data["problems"]] == ["backward"]
    assert "is inf" in data["problems"][0]["message"] and "a = 0" in data["problems"][0]["message"]


def test_missing_values_default_to_one_and_extra_ones_are_ignored(client):
    data = post(client, {"expression": "a + b", "values": {"a": 5, "gone": 3}}).json()
    assert {v["name"]: v["value"] for v in data["variables"]} == {"a": 5.0, "b": 1.0}


def test_an_expression_without_variables_says_so(client):
    data = post(client, {"expression": "2 * 3"}).json()
    assert data["value"] == 6.0 and "no variable" in data["message"]


@pytest.mark.parametrize(("body", "words"), [
    ({"expression": "__import__('os').system('ls')"}, "the expression is refused"),
    ({"expression": "a.b"}, "attribute access"),
    ({"expression": "open('x')"}, "calling 'open' is not allowed"),
    ({"expression": "a +"}, "not a valid expression"),
    ({"expression": "a" * (limits.MAX_EXPRESSION_LENGTH + 1)}, f"at most {limits.MAX_EXPRESSION_LENGTH}"),
    ({"expression": "sigmoid(" * 30 + "a" + ")" * 30}, "levels deep"),
    ({"expression": "+".join(f"v{k}" for k in range(limits.MAX_VARIABLES + 1))}, "variables; at most"),
    ({"expression": "a", "values": {"a": "two"}}, "the value of a must be a number"),
    ({"expression": "a", "values": {"a": 1e300}}, "the value of a must be in"),
    ({"expression": "a", "values": [1]}, "values must be an object"),
    ({"expression": "sum(x)", "values": {"x": [1] * (limits.MAX_VECTOR + 1)}},
     f"the value of x has {limits.MAX_VECTOR + 1} numbers; a vector holds 1 to {limits.MAX_VECTOR} numbers"),
    ({"expression": "sum(x)", "values": {"x": []}}, "the value of x has 0 numbers"),
    ({"expression": "sum(x)", "values": {"x": [1, "two"]}}, "the value of x[1] must be a number, got 'two'"),
    ({"expression": "sum(x)", "values": {"x": [1, [2]]}}, "the value of x[1] must be a number, got [2]"),
    ({"expression": "sum(x)", "values": {"x": [1, 1e300]}}, "the value of x[1] must be in"),
    ({"expression": "x*x", "values": {"x": [1, 2]}}, "f = x*x is a vector of 2 numbers, not one number"),
    ({"expression": "sum(x + y)", "values": {"x": [1, 2, 3], "y": [1, 2]}}, "shapes (3,) and (2,)"),
    ({"expression": 7}, "expression must be text"),
    ({"expression": "a", "h": 0}, "the nudge h must be in"),
    ({"expression": "a", "code": "x"}, "unknown field(s) code"),
    ([1, 2], "must be a JSON object"),
])
def test_bad_requests_get_one_clear_line(client, body, words):
    r = post(client, body)
    assert r.status_code == 400
    message = r.json()["error"]
    assert words in message and "\n" not in message and "Traceback" not in message


def test_bodies_that_are_not_json_too_big_or_the_wrong_type_are_refused(client):
    r = client.post("/api/workbench", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "the request body is not valid JSON"
    r = client.post("/api/workbench", content=b"a=1", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and "Content-Type: application/json" in r.json()["error"]
    r = client.post("/api/workbench", content=b"[" * 70000, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "larger than 64 KB" in r.json()["error"]
    r = client.post("/api/workbench", content=b"[" * 60000, headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_unknown_paths_methods_and_hosts_are_refused_and_the_server_carries_on(client):
    assert client.get("/api/nothing").status_code == 404
    assert "nothing at /api/nothing" in client.get("/api/nothing").json()["error"]
    assert client.get("/api/workbench").status_code == 405
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding
    assert post(client, {"expression": "a*a", "values": {"a": 3}}).json()["variables"][0]["grad"] == 6.0


def test_the_page_and_its_scripts_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "chainrule studio" in page.text
    for script in ("panzoom.js", "common.js", "workbench.js", "microscope.js", "replay.js", "studio.css"):
        assert client.get(f"/static/{script}").status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from a CDN
    listing = client.get("/api/limits").json()
    assert listing["limits"]["max_units"] == limits.MAX_UNITS and "spiral" in listing["choices"]["dataset"]
