"""Small tensors shown as matrices: the grid, side by side, the rules with their numbers, in
explain and in the graph's boxes."""

import io

import numpy as np

from autograd import Tensor, draw_graph, explain
from autograd.teach.matrices import grid, instantiate, is_small, side_by_side
from tests.conftest import sigmoid_expression


def test_grid_draws_a_matrix_with_brackets_and_aligned_columns():
    assert grid(np.array([[0.1, -0.2], [0.25, 1.0]])) == ["⎡  0.1  -0.2 ⎤", "⎣ 0.25     1 ⎦"]
    assert grid(np.array([[1.0], [2.0], [-0.0]])) == ["⎡ 1 ⎤", "⎢ 2 ⎥", "⎣ 0 ⎦"]
    assert grid(np.array([1.0, 2.5])) == ["[ 1  2.5 ]"] and grid(np.array(3.14159)) == ["3.142"]


def test_small_means_at_most_six_by_six():
    assert is_small(np.zeros((6, 6))) and is_small(np.zeros(6)) and is_small(np.zeros(()))
    assert not is_small(np.zeros((7, 2))) and not is_small(np.zeros((2, 2, 2)))


def test_side_by_side_puts_labels_above_and_operators_between():
    text = side_by_side([("A", np.eye(2)), "@", ("b", np.array([[1.0], [2.0]]))])
    assert text.splitlines() == ["A              b", "⎡ 1  0 ⎤   @   ⎡ 1 ⎤", "⎣ 0  1 ⎦       ⎣ 2 ⎦"]


def test_the_matrix_products_rule_with_its_numbers():
    X = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], name="X")
    W = Tensor([[0.5], [-1.0]], requires_grad=True, name="W")
    Y = X @ W
    g = np.array([[1.0], [0.0], [2.0]])
    names = {id(X): "X", id(W): "W", id(Y): "Y"}
    terms = instantiate(Y, 1, g, X.data.T @ g, names)
    assert [t if isinstance(t, str) else t[0] for t in terms] == ["dL/dW", "=", "Xᵀ", "@", "dL/dY"]
    np.testing.assert_array_equal(terms[0][1], [[11.0], [14.0]])
    np.testing.assert_array_equal(terms[2][1], X.data.T)
    left = instantiate(Y, 0, g, g @ W.data.T, names)
    assert [t if isinstance(t, str) else t[0] for t in left] == ["dL/dX", "=", "dL/dY", "@", "Wᵀ"]
    np.testing.assert_array_equal(left[4][1], W.data.T)
    assert instantiate(Y, 0, np.ones((3, 1)), np.ones((7, 7)), names) is None  # a broadcast input: no equation


def test_explain_writes_the_instantiated_rule_for_small_tensors():
    X = Tensor([[1.0, 2.0], [3.0, 4.0]], name="X")
    W = Tensor([[0.5], [-1.0]], requires_grad=True, name="W")
    loss = (X @ W).sigmoid().sum()
    loss.name = "L"
    out = io.StringIO()
    explain(loss, file=out)
    text = out.getvalue()
    block = text[text.index("→ W (2, 1): dL/dW = Xᵀ @ dL/dt1"):].splitlines()[1:4]
    assert block[0].split() == ["dL/dW", "Xᵀ", "dL/dt1"]
    s = 1 / (1 + np.exp(-(X.data @ W.data)))
    slope = (s * (1 - s)).ravel()
    expected = X.data.T @ (s * (1 - s))
    assert f"{expected[0, 0]:.4g}" in block[1] and "=" in block[1] and "@" in block[1]
    assert f"{slope[0]:.4g}" in block[1] and f"{slope[1]:.4g}" in block[2]
    sigmoid_step = text[text.index("→ t1 (2, 1): dL/dt1 = dL/dt2 ⊙ t2·(1 - t2)"):].splitlines()[1]
    assert sigmoid_step.split() == ["dL/dt1", "dL/dt2", "t2·(1", "-", "t2)"]


def test_big_tensors_get_no_matrices_in_explain():
    x = Tensor(np.ones((8, 8)), requires_grad=True, name="x")
    out = io.StringIO()
    explain((x * 2.0).sum(), file=out)
    assert "⎡" not in out.getvalue()


def test_graph_boxes_show_small_matrices_as_tables_and_mark_several_tensors():
    X = Tensor([[1.0, 2.0], [3.0, 4.0]], name="X")
    W = Tensor([[0.5], [-1.0]], requires_grad=True, name="W")
    Y = X @ W
    loss = Y.sum()
    source = draw_graph(loss, highlight=[W, Y], extra={W: {"yours": np.array([[9.0], [8.0]])}}).source
    assert source.count("#fecaca") == 3  # W's box, Y's box and Y's op
    assert '<td align="right">3</td>' in source and '<font color="#7c2d12">yours</font>' in source
    assert ">9</font></td>" in source and ">8</font></td>" in source
    f, _ = sigmoid_expression()
    assert "data -6" in draw_graph(f).source  # scalars stay one line


def test_collapse_draws_a_hand_written_sigmoid_as_one_op():
    z = Tensor([0.5, -1.0], requires_grad=True, name="z")
    s = 1 / (1 + (-z).exp())
    s.name = "s"
    loss = s.sum()
    full = draw_graph(loss).source
    short = draw_graph(loss, collapse={s: ([z], "σ (yours)")}).source
    assert ">exp<" in full and ">exp<" not in short and "σ (yours)" in short
    keys = [line.split()[0] for line in short.splitlines() if "->" not in line and "[label" in line]
    assert len(keys) == 5  # z, s, s's op, loss and its op
