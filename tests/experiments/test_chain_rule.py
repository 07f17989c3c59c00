"""The expression language refuses every unsafe form before anything runs; the CLI prints
forward values, steps and gradients and writes its pages."""

import math
import re

import pytest

from experiments import chain_rule
from experiments.expression import ExpressionError, describe, parse
from tests.conftest import require_program


@pytest.mark.parametrize("text, words", [
    ("a.__class__", "attribute access"),
    ("__import__('os')", "calling '__import__' is not allowed"),
    ("eval('1')", "calling 'eval' is not allowed"),
    ("open('/etc/passwd')", "calling 'open'"),
    ("(lambda: 1)()", "calling anything but a function name"),
    ("lambda x: x", "lambda is not allowed"),
    ("[x for x in y]", "a list comprehension is not allowed"),
    ("min(x for x in y)", "calling 'min' is not allowed"),
    ("sum(x for x in y)", "a generator expression is not allowed"),
    ("exp(x for x in y)", "a generator expression is not allowed"),
    ("x[0]", "indexing"),
    ("x if y else z", "a conditional expression"),
    ("x < y", "a comparison"),
    ("'abc'", "only numbers are allowed as constants"),
    ("True + x", "only numbers"),
    ("x // 2", "the operator // (FloorDiv) is not allowed"),
    ("x @ y", "the operator @ (MatMult) is not allowed"),
    ("~x", "the unary operator ~ (Invert) is not allowed"),
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


def test_a_list_of_numbers_is_a_vector_that_sum_and_mean_reduce():
    expr = parse("sum(x * x) + mean(a * x)")
    f, leaves = expr.evaluate({"x": [1.0, -2.0, 3.0], "a": 2.0})
    assert leaves["x"].shape == (3,) and leaves["a"].shape == ()
    assert f.item() == pytest.approx(14 + 2 * 2 / 3)  # Σ x² = 14, mean(2x) = 4/3
    f.backward()
    assert leaves["x"].grad == pytest.approx([2 + 2 / 3, -4 + 2 / 3, 6 + 2 / 3])  # 2x + a/n
    assert leaves["a"].grad.item() == pytest.approx(2 / 3)  # mean(x)
    assert describe("sum") == "sum (Σ): d/dx_i Σ x = 1"  # the engine's own symbol and rule
    for bad in ([], [[1.0, 2.0]], ["one"]):
        with pytest.raises(ExpressionError, match="the value of x must be a number or a flat, non-empty list"):
            expr.evaluate({"x": bad, "a": 1.0})


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
    (["x", "--x", "abc"], "argument --x: expected a number, got 'abc'"),
])
def test_cli_bad_input_is_a_usage_error(argv, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        chain_rule.main(argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


def test_cli_with_no_variables(capsys):
    assert chain_rule.main(["2 * 3"]) == 0
    assert "nothing to differentiate" in capsys.readouterr().out


# ---- NaN and inf: the node that made them, and a non-zero exit --------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["log(x)", "--x", "-1"], "the forward pass breaks at log(x): it is nan at x = -1 (log is defined for x > 0"),
    (["x/y", "--x", "1", "--y", "0"], "the forward pass breaks at x / y: it is inf at x = 1, y = 0 (a division by "
                                      "zero)"),
    (["x**y", "--x", "-2", "--y", "0.5"], "the forward pass breaks at x ** y: it is nan at x = -2, y = 0.5 (a negative "
                                          "number to a fractional power"),
    (["a*b + exp(a*1000)", "--a", "1", "--b", "2"], "the forward pass breaks at exp(a * 1000): it is inf at "
                                                    "a * 1000 = 1000 (the result is beyond float64's range"),
    (["sigmoid(x) + log(y - 1)", "--x", "0", "--y", "1"], "the forward pass breaks at log(y - 1): it is -inf at "
                                                          "y - 1 = 0"),
    (["sqrt(x) + x", "--x", "0"], "the backward pass breaks at sqrt(x): it hands x a gradient of inf at x = 0 "
                                  "(sqrt's slope 1/(2·sqrt(x)) is infinite at 0), so df/dx = inf"),
    (["2 * 3 + log(-1)"], "the forward pass breaks at log(-1): it is nan (log"),
])
def test_a_nan_or_inf_names_the_node_that_made_it_and_exits_1(argv, words, tmp_path, capsys):
    out = tmp_path / "chain"
    assert chain_rule.main([*argv, "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {words}") and captured.err.count("\n") == 1
    assert "nan" not in captured.out and not out.exists()  # nothing explained, nothing written


def test_finite_values_and_gradients_pass_the_check(capsys):
    assert chain_rule.main(["x/y + sqrt(x) + log(y)", "--x", "4", "--y", "2"]) == 0
    assert f"df/dy = {-4 / 4 + 1 / 2:.6g}" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["a*2", "--a", "1e400"], "argument --a: must be a finite number, got 1e400 (too large for a float64"),
    (["a*2", "--a", "nan"], "argument --a: must be a finite number, got nan"),
    (["x^2", "--x", "1"], "^ is not a power here (it is bitwise xor, BitXor): use ** for powers, as in x**2"),
    (["2x", "--x", "1"], "2x is not a product: write 2*x"),
    (["3*x + 2y", "--x", "1", "--y", "1"], "2y is not a product: write 2*y"),
    (["2(x + 1)", "--x", "1"], "2(...) is not a product: write 2*(x + 1)"),
    (["1e400 * x", "--x", "1"], "the number 1e400 is too large for a float64"),
    (["1" * 401 + " * x", "--x", "1"], "the number 111111111111... (401 characters) is too large for a float64"),
    (["-x*2", "--x", "1"], "the expression '-x*2' starts with - and so reads as an option: put it last, after --"),
    (["x", "--x", "1", "--out", ""], "argument --out: must name a folder, got an empty path"),
    (["x", "--x", "1", "--title", "\udcff"], "argument --title: is not valid UTF-8 text (byte 0xff at position 0)"),
    (["\udcffx", "--x", "1"], "the expression is not valid UTF-8 text (byte 0xff at position 0)"),
])
def test_cli_refuses_with_one_line_what_to_write_instead(argv, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        chain_rule.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and err.splitlines()[-1].count("error:") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_variable_may_be_called_h(capsys):
    assert chain_rule.main(["h**2 + x", "--h", "3", "--x", "1"]) == 0
    out = capsys.readouterr().out
    assert "df/dh = 6" in out and "usage:" not in out


def test_an_expression_starting_with_minus_goes_after_double_dash(capsys):
    assert chain_rule.main(["--x", "3", "--", "-x**2"]) == 0
    assert "df/dx = -6" in capsys.readouterr().out


def test_values_and_expression_in_any_order(capsys):
    assert chain_rule.main(["--y", "-2", "x*y", "--x", "5"]) == 0
    out = capsys.readouterr().out
    assert "df/dx = -2" in out and "df/dy = 5" in out


def test_a_non_utf8_argument_from_the_shell_is_one_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "experiments.chain_rule", b"x*\xff", "--x", "1"],
                          capture_output=True, cwd=root, timeout=60)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith(b"not valid UTF-8 text (byte 0xff at position 2)")


# ---- depth: bounded in the parser, so nothing after it recurses too deep ------------------------------
DEEP = {
    "a sum of 600 terms": "+".join(["a"] * 600),
    "999 products": "*".join(["a"] * 999),
    "600 nested powers": "**".join(["a"] * 600),
    "700 unary minuses": "-" * 700 + "a",
    "1999 unary minuses": "-" * 1999 + "a",
}


@pytest.mark.parametrize("name", DEEP)
def test_too_deep_expressions_are_refused_in_one_line(name, capsys):
    with pytest.raises(ExpressionError, match=r"levels deep .*; at most 100 are allowed"):
        parse(DEEP[name])
    with pytest.raises(SystemExit) as exit_info:
        chain_rule.main(["--a", "1", "--", DEEP[name]])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) <= 3 and "levels deep" in err and "Traceback" not in err


@pytest.mark.parametrize("text", [
    "+".join(["a"] * 101),
    "*".join(["a"] * 101),
    "**".join(["a"] * 101),
    "-" * 100 + "a",
    "tanh(" * 100 + "a" + ")" * 100,
])
def test_the_deepest_expression_allowed_runs_to_its_gradients(text, capsys):
    import sys

    assert parse(text) is not None
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # a margin: the whole explanation fits in well under Python's default 1000
    try:
        assert chain_rule.main(["--a", "0.5", "--", text]) == 0
    finally:
        sys.setrecursionlimit(limit)
    assert "df/da = " in capsys.readouterr().out
