"""Graph pictures: nodes, labels, edges and boxes in the DOT; SVG that parses; fallbacks."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from autograd import Tensor, draw_graph, render
from autograd.teach import module_boxes
from tests.conftest import require_program, sigmoid_expression


def expression():
    f, _ = sigmoid_expression()
    f.backward()
    return f


def test_dot_of_a_known_expression_holds_the_nodes_labels_and_edges():
    source = draw_graph(expression()).source
    # six tensors (a, b, c, t1, t2, f) and three ops
    labels = ("<b>a</b>", "<b>b</b>", "<b>c</b>", "<b>t1</b>", "<b>t2</b>", "<b>f</b>", ">mul<", ">add<", ">sigmoid<")
    for label in labels:
        assert label in source, label
    assert "data -6" in source and "data -5" in source and "data 0.006693" in source
    assert "grad -0.01994" in source and "grad 0.0133" in source and "grad 1<" in source
    # t0..t5 in forward order: a, b, t1, c, t2, f; edges run parent → op → result
    for edge in ("t0 -> t2op", "t1 -> t2op", "t2op -> t2", "t2 -> t4op", "t3 -> t4op", "t4op -> t4",
                 "t4 -> t5op", "t5op -> t5"):
        assert edge in source, edge
    assert source.count("->") == 8


def test_kinds_of_node_are_visually_distinct():
    x = Tensor(np.ones((2, 2)), name="x")
    w = Tensor(np.ones((2, 1)), requires_grad=True, name="w")
    out = (x @ w).sum()
    source = draw_graph(out).source
    fills = {line.split("[")[0].strip(): line for line in source.splitlines() if "fillcolor" in line}
    assert "#e5e7eb" in fills["t0"] and "#bfdbfe" in fills["t1"] and "#bbf7d0" in fills["t3"]
    assert "#ffffff" in fills["t2"]


def test_large_tensors_are_summarised_and_options_hide_values():
    x = Tensor(np.arange(100.0).reshape(10, 10), requires_grad=True, name="big")
    source = draw_graph((x * 2).sum()).source
    assert "mean 49.5 · min 0 · max 99" in source and "10×10" in source
    bare = draw_graph((x * 2).sum(), show_data=False, show_grad=False).source
    assert "data" not in bare and "grad" not in bare


def test_module_calls_are_labelled_boxes():
    model, loss_fn = nn.MLP(2, (4, 4), 1, rng=0), nn.MSELoss()
    with module_boxes(model, loss_fn) as boxes:
        loss = loss_fn(model(Tensor(np.ones((3, 2)), name="X")), np.zeros((3, 1)))
    source = draw_graph(loss, boxes=boxes).source
    assert source.count("subgraph cluster_") == 5  # MLP, 3 Linear, MSELoss
    for label in ("MLP(2→4→4→1)", "Linear(2→4)", "Linear(4→4)", "Linear(4→1)", "MSELoss"):
        assert f'label="{label}"' in source or f"label={label} " in source, label
    assert "layers.0.weight" in source and "layers.4.bias" in source  # named without calling parameters()
    assert source.count(">matmul<") == 3 and source.count(">sigmoid<") == 3
    lines = source.splitlines()
    mse = lines.index(next(line for line in lines if 'label="MSELoss"' in line or "label=MSELoss " in line))
    assert any("power(2)" in line for line in lines[mse:])  # the composed loss's nodes sit in its box
    assert "cluster_" not in draw_graph(loss).source  # no boxes unless recorded
    model(Tensor(np.ones((3, 2))))
    assert len(boxes.boxes) == 5  # the hooks are gone after the block


def test_highlight_marks_one_node():
    f = expression()
    source = draw_graph(f, highlight=f).source
    assert source.count("#fecaca") == 2  # the tensor and its op


def test_bad_options_and_formats_are_refused(tmp_path):
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_graph(expression(), rankdir="UP")
    with pytest.raises(ValueError, match="the format 'jpeg' is not one of svg, png, pdf, dot"):
        render(expression(), tmp_path / "g.jpeg")


def test_render_dot_needs_no_program(tmp_path):
    path = render(expression(), tmp_path / "g.dot")
    assert path.read_text().startswith("digraph computation_graph")


def test_render_svg_parses_and_holds_every_node(tmp_path):
    require_program("dot")
    path = render(expression(), tmp_path / "g.svg")
    root = ET.parse(path).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    titles = {g.find("svg:title", ns).text for g in root.iterfind(".//svg:g[@class='node']", ns)}
    assert titles == {"t0", "t1", "t2", "t3", "t4", "t5", "t2op", "t4op", "t5op"}
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "sigmoid" in text and "grad -0.01994" in text


def test_render_png_by_suffix_and_format_without_suffix(tmp_path):
    require_program("dot")
    assert render(expression(), tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path = render(expression(), tmp_path / "plain", format="svg")
    assert path.name == "plain.svg" and path.read_text().lstrip().startswith("<?xml")


def test_without_dot_the_source_is_written_with_a_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    path = render(expression(), tmp_path / "g.svg")
    assert path == tmp_path / "g.dot" and path.read_text().startswith("digraph")
    assert not (tmp_path / "g.svg").exists()
    err = capsys.readouterr().err
    assert "dot program was not found" in err and "apt-get install graphviz" in err


def test_jupyter_shows_the_graph_inline():
    require_program("dot")
    bundle = draw_graph(expression())._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_pictures_show_every_intermediates_gradient_though_backward_freed_them():
    f = expression()
    t2 = f.parents[0]
    assert t2.grad is None  # backward() keeps the leaves' gradients only
    source = draw_graph(f).source
    assert source.count("grad 0.006648") == 3  # t1, t2 and c: each d f/d t computed by the picture
    assert t2.grad is None  # and nothing was stored
    shown = draw_graph(f, grads={t2: np.array(42.0)}).source
    assert "grad 42" in shown and "grad 0.006648" not in shown


def test_small_gradients_keep_their_significant_digits():
    w = Tensor(np.array([[1e-4, -2.5e-5], [3.0, 0.0]]), requires_grad=True, name="w")
    source = draw_graph((w * 0.001).sum(), grads={w: w.data * 0.001}).source
    assert "1e-07" in source and "-2.5e-08" in source and "0.003" in source
    assert " 0.," not in source and "-0.," not in source  # never a bare rounded zero beside a real gradient


def test_draw_graph_says_what_it_expects():
    with pytest.raises(TypeError, match=r"expects a Tensor \(the result of a computation\), got float 3.0"):
        draw_graph(3.0)
