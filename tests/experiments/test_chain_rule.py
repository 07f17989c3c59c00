"""The expression language refuses every unsafe form before anything runs; the CLI prints
forward values, steps and gradients and writes its pages."""

import math
import re

import pytest

from experiments import chain_rule
from experiments.expression import ExpressionError, parse
from tests.conftest import require_program


@pytest.mark.parametrize("text, words", [
    ("a.__class__", "attribute access"),
    ("__import__('os')", "calling '__import__' is not allowed"),
    ("eval('1')", "calling 'eval' is not allowed"),
    ("open('/etc/passwd')", "calling 'open'"),
    ("(lambda: 1)()", "calling anything but a function name"),
    ("lambda x: x", "lambda is not allowed"),
    ("[x for x in y]", "a list comprehension is not allowed"),
    ("sum(x for x in y)", "calling 'sum' is not allowed"),
    ("exp(x for x in y)", "a generator expression is not allowed"),
    ("x[0]", "indexing"),
    ("x if y else z", "a conditional expression"),
    ("x < y", "a comparison"),
    ("'abc'", "only numbers are allowed as constants"),
    ("True + x", "only numbers"),
    ("x // 2", "the operator FloorDiv is not allowed"),
    ("x @ y", "the operator MatMult is not allowed"),
    ("~x", "the unary operator Invert is not allowed"),
    ("exp(x=1)", "takes no keyword arguments"),
    ("exp(x, y)", "takes 1 argument"),
    ("exp", "exp is a function: call it"),
    ("_secret * 2", "names starting with '_'"),
    ("x = 1", "not a valid expression"),
    ("(y := 2)", "the := operator"),
    ("", "empty"),
    ("leaky_relu(x, y)", "negative slope) must be a number"),
])
def test_unsafe_and_unknown_forms_are_refused(text, words):
    with pytest.raises(ExpressionError, match=re.escape(words)):
        parse(text)


def test_evaluation_builds_the_graph_with_named_variables():
    expr = parse("sigmoid(a*b + c) + leaky_relu(-a, 0.1) - 2 ** b / exp(c)")
    assert expr.variables == ("a", "b", "c")
    f, leaves = expr.evaluate({"a": 2.0, "b": -3.0, "c": 1.0})
    s = 1 / (1 + math.exp(5))
    assert f.item() == pytest.approx(s + 0.1 * -2.0 - 2**-3.0 / math.e)
    f.backward()
    assert leaves["a"].grad.item() == pytest.approx(-3 * s * (1 - s) - 0.1)
    with pytest.raises(ExpressionError, match="no value given for variable"):
        expr.evaluate({"a": 1.0})


def test_constant_arithmetic_cannot_run_away():
    f, _ = parse("10 ** 10 ** 10 * x").evaluate({"x": 1.0})
    assert f.item() == math.inf


def test_cli_prints_forward_steps_and_gradients(capsys):
    assert chain_rule.main(["sigmoid(a*b + c)", "--a", "2", "--b", "-3", "--c", "1"]) == 0
    out = capsys.readouterr().out
    s = 1 / (1 + math.exp(5))
    assert out.startswith("f = sigmoid(a*b + c)   with a = 2, b = -3, c = 1")
    assert "t1 = a · b = -6" in out and f"f = sigmoid(t2) = {s:.6g}" in out
    assert f"df/da = {-3 * s * (1 - s):.6g}" in out and f"df/dc = {s * (1 - s):.6g}" in out


def test_cli_writes_the_graph_and_the_step_page(tmp_path, capsys):
    require_program("dot")
    assert chain_rule.main(["x**2 + 2*x", "--x", "3", "--out", str(tmp_path / "chain")]) == 0
    assert "df/dx = 8" in capsys.readouterr().out
    assert (tmp_path / "chain/graph.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "chain/backward.html").exists()


@pytest.mark.parametrize("argv, words", [
    (["a.b", "--a", "1"], "the expression is refused: attribute access"),
    (["x*y", "--x", "1"], "the following arguments are required: --y"),
    (["x*out", "--x", "1", "--out", "1"], "clash with the program's options"),
    (["x", "--x", "abc"], "invalid float value: 'abc'"),
])
def test_cli_bad_input_is_a_usage_error(argv, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        chain_rule.main(argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


def test_cli_with_no_variables(capsys):
    assert chain_rule.main(["2 * 3"]) == 0
    assert "nothing to differentiate" in capsys.readouterr().out
