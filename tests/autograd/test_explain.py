"""explain(): the backward pass told step by step, with the engine's own numbers."""

import io
import re

import numpy as np
import pytest

from autograd import Tensor, explain
from tests.conftest import require_program, sigmoid_expression


def test_the_printed_numbers_are_the_engines_grads():
    f, (a, b, c) = sigmoid_expression()
    out = io.StringIO()
    steps = explain(f, file=out)
    text = out.getvalue()
    printed = dict(re.findall(r"^  df/d(\w+) = (\S+)$", text, flags=re.M))
    assert set(printed) == {"a", "b", "c"}
    for name, t in zip("abc", (a, b, c), strict=True):
        assert float(printed[name]) == pytest.approx(t.grad.item(), rel=1e-5)
    for step in steps:  # every step's gradient is that node's .grad after the pass
        assert np.array_equal(step.grad, step.node.grad)
    # every node after all of its consumers (reverse topological order), first inputs first
    assert [s.name for s in steps] == ["f", "t2", "t1", "a", "b", "c"]


def test_each_step_shows_upstream_rule_and_the_product():
    f, _ = sigmoid_expression()
    out = io.StringIO()
    explain(f, file=out)
    text = out.getvalue()
    assert "upstream   df/df = 1   (the seed: df/df = 1)" in text
    assert "d/du sigmoid(u) = s·(1-s)" in text and "written with its output s" in text
    s = 1 / (1 + np.exp(5.0))
    assert f"df/dt2 = df/df × ∂f/∂t2 = 1 × {s * (1 - s):.6g} = {s * (1 - s):.6g}" in text
    assert f"df/da = df/dt1 × ∂t1/∂a = {s * (1 - s):.6g} × -3 = {-3 * s * (1 - s):.6g}" in text


def test_explain_clears_old_grads_so_the_numbers_match():
    f, (a, _, _) = sigmoid_expression()
    f.backward()
    f.backward()  # a.grad now holds two passes
    steps = explain(f, file=io.StringIO())
    assert a.grad.item() == next(s for s in steps if s.name == "a").grad.item()


def test_tensor_steps_show_shapes_and_the_reduction_that_undoes_broadcasting():
    X = Tensor(np.arange(6.0).reshape(3, 2), name="X")
    W = Tensor(np.ones((2, 4)), requires_grad=True, name="W")
    b = Tensor(np.zeros(4), requires_grad=True, name="b")
    loss = (X @ W + b).sigmoid().sum()
    loss.name = "loss"
    out = io.StringIO()
    explain(loss, file=out)
    text = out.getvalue()
    assert "→ b (4): dloss/db = dloss/dt2   (3, 4)" in text
    assert "b was broadcast to (3, 4) in the forward pass, so its gradient is summed over axis 0 → (4)" in text
    assert "→ t2 (3, 4): dloss/dt2 = dloss/dt3 ⊙ t3·(1 - t3)   (3, 4)" in text  # the rule with its operands
    assert "→ W (2, 4): dloss/dW = Xᵀ @ dloss/dt1   (2, 4)" in text
    slope = 1 / (1 + np.exp(-np.array([1.0, 5.0, 9.0])))
    slope = slope * (1 - slope)
    assert f"dloss/db = [{slope.sum():.6g}, {slope.sum():.6g}, {slope.sum():.6g}, {slope.sum():.6g}]" in text
    assert np.allclose(b.grad, slope.sum())


def test_explain_refuses_what_has_no_graph():
    with pytest.raises(RuntimeError, match="does not require grad"):
        explain(Tensor(1.0), file=io.StringIO())
    with pytest.raises(TypeError, match="expects a Tensor"):
        explain(3.0, file=io.StringIO())


def test_frames_write_a_picture_per_step_and_a_page(tmp_path):
    require_program("dot")
    f, _ = sigmoid_expression()
    steps = explain(f, frames=tmp_path, file=io.StringIO())
    svgs = sorted(p.name for p in tmp_path.glob("step_*.svg"))
    assert svgs == [f"step_{k:03d}.svg" for k in range(len(steps) + 1)]  # the forward picture, then each step
    assert "#fecaca" in (tmp_path / "step_001.svg").read_text()  # the current node is highlighted
    page = (tmp_path / "backward.html").read_text()
    assert page.count("<section class='step'") == len(steps) + 1
    assert page.count("</svg>") == len(steps) + 1 and "data:image" not in page  # the pictures inline, as SVG
    assert "PanZoom.attach" in page  # and each can be panned and zoomed
    assert 'class="prev"' in page and 'class="next"' in page and "ArrowRight" in page
    assert "d/da (a·b) = b" in page


def test_each_picture_shows_what_its_text_hands_on(tmp_path):
    require_program("dot")
    f, _ = sigmoid_expression()
    steps = explain(f, frames=tmp_path, file=io.StringIO())
    assert "df/dt2 = df/df × ∂f/∂t2 = 1 × 0.00664806" in steps[0].text
    at_f = (tmp_path / "step_001.svg").read_text()  # after the first step, at f
    assert "grad 0.006648" in at_f  # t2 already shows what f handed it, in the same step
    assert "grad —" in at_f  # the nodes not reached yet show no gradient
    at_t2 = (tmp_path / "step_002.svg").read_text()
    assert at_t2.count("grad 0.006648") == 3  # t2, and what it handed to t1 and c


def test_frames_without_dot_write_dot_sources_and_a_text_page(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    f, _ = sigmoid_expression()
    steps = explain(f, frames=tmp_path / "out")
    assert len(list((tmp_path / "out").glob("step_*.dot"))) == len(steps) + 1
    assert "no picture: Graphviz's dot program is not installed" in (tmp_path / "out/backward.html").read_text()
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_display_strings_read_as_the_math():
    x = Tensor(1.5, requires_grad=True, name="x")
    out = io.StringIO()
    explain(x**2, file=out)
    text = out.getvalue()
    assert "Forward pass (1 op):" in text and "t1 = x ** 2 = 2.25" in text  # not "(1 ops)", not "**2(x)"
    out = io.StringIO()
    explain(x.leaky_relu(0.2) * x, file=out)
    assert "leaky_relu(0.2)(x)" not in out.getvalue()
