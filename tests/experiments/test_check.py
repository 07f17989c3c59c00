"""Check my backprop: the lab's correct solutions pass, every buggy variant gets its diagnosis,
and a file that cannot be checked gets one clear line."""

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from experiments.check import ProtocolError, StudentError, check
from experiments.check.__main__ import main
from tests.conftest import require_program

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "experiments" / "check_examples"

# each buggy example: the first gradient that disagrees, from the loss backwards, and the diagnosis
MISTAKES = {
    "sigmoid_derivative_missing.py": ("z2", "sigmoid_derivative_missing"),
    "sigmoid_derivative_of_z.py": ("z2", "sigmoid_derivative_of_z"),
    "product_transposed.py": ("W2", "transposed"),
    "missing_mean.py": ("y", "factor_n"),
    "missing_two.py": ("y", "factor_2"),
    "sign_flipped.py": ("y", "sign"),
    "bias_not_summed.py": ("b2", "bias_not_summed"),
    "update_too_early.py": ("a2", "update_before_backward"),
}


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def test_every_example_is_either_correct_or_one_of_the_diagnosed_mistakes():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {"correct.py", "correct_functions.py", *MISTAKES}


@pytest.mark.parametrize("name", ["correct.py", "correct_functions.py"])
def test_the_correct_solutions_agree_everywhere(name):
    report = check(EXAMPLES / name)
    assert report.ok and report.diagnosis is None
    compared = [c.name for c in report.comparisons.items]
    if name == "correct.py":  # every tensor the class keeps, from the loss backwards
        assert compared == ["y", "z3", "W3", "a2", "z2", "W2", "a1", "z1", "W1"]
    else:
        assert compared == ["z3", "b3", "W3", "z2", "b2", "W2", "z1", "b1", "W1"]
    for c in report.comparisons.items:
        np.testing.assert_allclose(c.yours, c.engine, rtol=1e-9, atol=1e-15)
    assert "✓ All 9 gradients agree with the engine's." in report.text


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_mistake_is_found_at_its_tensor_and_diagnosed(name):
    first, mistake = MISTAKES[name]
    report = check(EXAMPLES / name)
    assert not report.ok
    assert report.comparisons.first.name == first
    assert report.diagnosis.mistake == mistake
    before = report.comparisons.items[:report.comparisons.items.index(report.comparisons.first)]
    assert all(c.agrees for c in before)  # everything nearer the loss agrees


def test_the_diagnoses_name_the_place_and_the_right_formula():
    text = check(EXAMPLES / "sigmoid_derivative_of_z.py").text
    assert "σ' is applied to z instead of σ(z) where a2 = σ(z2)" in text
    assert "dL/dz2 = dL/da2 ⊙ a2·(1 − a2)" in " ".join(text.split())
    text = check(EXAMPLES / "missing_mean.py").text
    assert "5 times the engine's (n = 5 points): the 1/n of the mean is missing" in text
    text = check(EXAMPLES / "update_too_early.py").text
    assert "W3 was updated before the gradient below it was computed" in text
    assert "Your self.dW2 is the transpose of the engine's" in check(EXAMPLES / "product_transposed.py").text


def test_the_first_disagreement_shows_both_values_as_matrices_and_the_rule_with_numbers():
    report = check(EXAMPLES / "sigmoid_derivative_missing.py")
    first = report.comparisons.first
    text = report.text
    block = text[text.index("the engine: dL/dz2"):].splitlines()
    assert "yours: dz2" in block[0]
    assert f"{first.engine[0, 0]:.4g}" in block[1] and f"{first.yours[0, 0]:.4g}" in block[1]
    assert block[1].lstrip().startswith("⎡") and len(block[1].split("⎡")) == 3  # two 5×4 matrices side by side
    how = text[text.index("How the engine computes dL/dz2:"):]
    assert "a2 = sigmoid(z2), so dL/dz2 = dL/da2 ⊙ a2·(1 − a2)" in how
    a2 = next(c for c in report.comparisons.items if c.name == "a2")
    assert f"{a2.engine[0, 0]:.4g}" in how  # dL/da2's numbers, beside a2(1 - a2)'s


def test_a_weights_rule_is_shown_as_a_product_of_matrices():
    text = check(EXAMPLES / "product_transposed.py").text
    how = text[text.index("How the engine computes dL/dW2:"):].splitlines()
    assert how[1].strip() == "z2 = a1 @ W2, so dL/dW2 = a1ᵀ @ dL/dz2"
    assert how[3].split() == ["dL/dW2", "a1ᵀ", "dL/dz2"]


def test_the_picture_marks_every_disagreeing_tensor_in_red_beside_yours():
    report = check(EXAMPLES / "sigmoid_derivative_missing.py")
    source = report.draw().source
    wrong = {c.name for c in report.comparisons.items if not c.agrees}
    assert wrong == {"z2", "W2", "a1", "z1", "W1"}
    red = [line for line in source.splitlines() if 'fillcolor="#fecaca"' in line and "shape=box" in line]
    assert sorted(line.split("<b>")[1].split("</b>")[0] for line in red) == sorted(wrong)
    assert "yours (dz2), the first" in source and "yours (self.dW1)" in source
    assert "σ (yours)" in source and ">exp<" not in source  # the hand-written sigmoid drawn as one op
    assert "mean((ŷ − y)²)" in source


def test_a_lab_style_network_is_checked_through_its_deltas_and_its_updates(tmp_path):
    path = write(tmp_path, "lab.py", """
        import numpy as np

        def sigmoid(x):
            return 1.0 / (1.0 + np.exp(-x))

        def derivative_sigmoid(x):
            return np.multiply(x, 1.0 - x)

        class Net:
            def __init__(self, hidden_size=4, learning_rate=0.5):
                self.w1 = np.random.randn(2, hidden_size)
                self.w2 = np.random.randn(hidden_size, hidden_size)
                self.w3 = np.random.randn(hidden_size, 1)
                self.learning_rate = learning_rate

            def forward(self, X):
                self.X = X
                self.Z1 = sigmoid(np.dot(X, self.w1))
                self.Z2 = sigmoid(np.dot(self.Z1, self.w2))
                self.y = sigmoid(np.dot(self.Z2, self.w3))
                return self.y

            def backward(self, gt):
                delta3 = -(gt - self.y) * derivative_sigmoid(self.y)
                delta2 = np.dot(delta3, self.w3.T) * derivative_sigmoid(self.Z2)
                delta1 = np.dot(delta2, self.w2.T) * derivative_sigmoid(self.Z1)
                self.w3 -= self.learning_rate * np.dot(self.Z2.T, delta3)
                self.w2 -= self.learning_rate * np.dot(self.Z1.T, delta2)
                self.w1 -= self.learning_rate * np.dot(self.X.T, delta1)
    """)
    report = check(path)  # no loss in the file: the mean squared error; dL/dŷ = ŷ - y is n/2 times too big
    assert [c.yours_name for c in report.comparisons.items] == [f"({w} before − after) / lr" for w in ("w3", "w2",
                                                                                                        "w1")]
    assert report.diagnosis.mistake == "factor_n" and "½·Σ(ŷ − y)²" in report.diagnosis.text
    assert "define loss(y_pred, y) in the file" in report.diagnosis.text
    fixed = write(tmp_path, "lab_fixed.py", path.read_text().replace("-(gt - self.y)", "2 * (self.y - gt) / len(gt)"))
    report = check(fixed)
    assert report.ok
    assert [c.name for c in report.comparisons.items] == ["(Z2 @ w3)", "w3", "(Z1 @ w2)", "w2", "(x @ w1)", "w1"]
    assert [c.yours_name for c in report.comparisons.items][::2] == ["delta3", "delta2", "delta1"]  # by value


def test_layers_as_objects_and_functions_with_globals(tmp_path):
    layers = write(tmp_path, "layers.py", """
        import numpy as np

        class Layer:
            def __init__(self, n_in, n_out, rng):
                self.W, self.b = rng.normal(size=(n_in, n_out)), np.zeros(n_out)
            def forward(self, x):
                self.x, self.a = x, np.tanh(x @ self.W + self.b)
                return self.a
            def backward(self, da):
                dz = da * (1 - self.a ** 2)
                self.dW, self.db = self.x.T @ dz, dz.sum(axis=0)
                return dz @ self.W.T

        class Net:
            def __init__(self):
                rng = np.random.default_rng(1)
                self.layers = [Layer(2, 3, rng), Layer(3, 1, rng)]
            def forward(self, x):
                for layer in self.layers:
                    x = layer.forward(x)
                return x
            def backward(self, dy):
                for layer in reversed(self.layers):
                    dy = layer.backward(dy)
    """)
    report = check(layers)
    assert report.ok and [c.name for c in report.comparisons.items] == ["layers[1].b", "layers[1].W", "layers[0].b",
                                                                         "layers[0].W"]
    source = layers.read_text().replace("self.x, self.a = x, np.tanh(x @ self.W + self.b)",
                                        "self.x, self.z = x, x @ self.W + self.b\n        self.a = np.tanh(self.z)")
    buggy = write(tmp_path, "layers_bug.py", source.replace("(1 - self.a ** 2)", "(1 - self.z ** 2)"))
    report = check(buggy)  # the first gradient compared holds one number: no "constant factor" for it
    assert report.comparisons.first.name == "layers[1].b"
    assert report.diagnosis.mistake == "tanh_derivative_of_z"
    functions = write(tmp_path, "script.py", """
        import numpy as np
        np.random.seed(3)
        W1, W2 = np.random.randn(2, 3), np.random.randn(3, 1)
        lr = 0.5

        def forward(X):
            global h
            h = 1 / (1 + np.exp(-X @ W1))
            return h @ W2

        def backward(X, Y, out):
            global W1, W2
            d_out = 2 * (out - Y) / len(X)
            grad_W2 = h.T @ d_out
            dh = d_out @ W2.T
            grad_W1 = X.T @ (dh * h * (1 - h))
            W1 = W1 - lr * grad_W1
            W2 = W2 - lr * grad_W2
    """)
    before = functions.read_text()
    report = check(functions)
    assert report.ok and [c.name for c in report.comparisons.items] == ["y_pred", "W2", "h", "W1"]
    assert functions.read_text() == before


def test_an_unsupported_numpy_function_gets_one_line_naming_the_file_and_line(tmp_path, capsys):
    path = write(tmp_path, "sin_net.py", """
        import numpy as np

        class Net:
            def __init__(self):
                self.W1 = np.ones((2, 3))

            def forward(self, x):
                return np.sin(x @ self.W1)

            def backward(self, y):
                pass
    """)
    with pytest.raises(StudentError) as info:
        check(path)
    assert str(info.value).startswith("sin_net.py:9 in forward: NumpyError: numpy.sin has no gradient rule")
    assert main([str(path)]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "np.tanh" in err and "np.exp" in err


def test_the_students_exceptions_and_protocol_problems_are_one_line_each(tmp_path, capsys):
    raises = write(tmp_path, "raises.py", """
        import numpy as np

        class Net:
            def __init__(self):
                self.W = np.ones((2, 1))
            def forward(self, x):
                return x @ self.W
            def backward(self, y):
                self.dW = undefined_name
    """)
    with pytest.raises(StudentError, match=r"^raises\.py:10 in backward: NameError: name 'undefined_name'"):
        check(raises)
    with pytest.raises(StudentError, match=r"^broken\.py:2: SyntaxError: "):
        check(write(tmp_path, "broken.py", "import numpy as np\ndef forward(x:\n"))
    with pytest.raises(StudentError, match=r"^exits\.py:2 in <module>: the file called exit\(4\)"):
        check(write(tmp_path, "exits.py", "import sys\nsys.exit(4)\n"))
    nothing = write(tmp_path, "nothing.py", "import numpy as np\nW = np.ones(3)\n")
    with pytest.raises(ProtocolError, match="defines no class with forward and backward methods"):
        check(nothing)
    needs = write(tmp_path, "needs.py", """
        import numpy as np

        class Net:
            def __init__(self, hidden):
                self.W = np.ones((2, hidden))
            def forward(self, x):
                return np.mean(x @ self.W, axis=1, keepdims=True)
            def backward(self, y):
                pass
    """)
    with pytest.raises(ProtocolError, match=r"Net\(\) needs hidden; give them default values, or pass them with "
                                            r"--init NAME=VALUE"):
        check(needs)
    assert main([str(needs), "--init", "hidden=3"]) == 1  # runs, but its backward computes nothing
    assert "no gradient found for: W" in capsys.readouterr().out
    float_loss = write(tmp_path, "float_loss.py", """
        import numpy as np

        class Net:
            def __init__(self):
                self.W = np.ones((2, 1))
            def forward(self, x):
                return x @ self.W
            def loss(self, y_pred, y):
                return float(np.mean((y_pred - y) ** 2))
            def backward(self, y):
                pass
    """)
    with pytest.raises(ProtocolError, match=r"the loss must be one number .* gave float \(float\(\), \.item\(\)"):
        check(float_loss)


def test_the_files_main_block_does_not_run_and_its_printing_is_not_shown(tmp_path, capsys):
    main_block = 'print("training at import")\nif __name__ == "__main__":\n    raise SystemExit(5)'
    path = write(tmp_path, "script.py", (EXAMPLES / "correct.py").read_text().replace(
        'if __name__ == "__main__":', main_block))
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "training at import" not in out and "✓ All 9 gradients agree" in out


def test_the_command_writes_the_report_and_the_picture(tmp_path):
    require_program("dot")
    out = tmp_path / "check"
    done = subprocess.run([sys.executable, "-m", "experiments.check", str(EXAMPLES / "sign_flipped.py"), "--out",
                           str(out)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    assert "Diagnosis: Your dy is exactly −1 times the engine's: the sign is flipped." in done.stdout
    assert (out / "report.txt").read_text().strip() in done.stdout
    svg = ET.parse(out / "graph.svg").getroot()
    text = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "yours (dy), the first" in text
    assert (out / "graph.svg").read_text().count('fill="#fecaca"') >= 9  # all nine gradients disagree


def test_usage_errors_exit_2_and_the_help_says_the_file_is_run(capsys):
    for argv in (["no_such_file.py"], [str(EXAMPLES / "correct.py"), "--points", "30"],
                 [str(EXAMPLES / "correct.py"), "--init", "3"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "runs FILE's code" in " ".join(capsys.readouterr().out.split())


def test_other_data_and_sizes():
    report = check(EXAMPLES / "correct.py", data="linear", points=7, seed=3)
    assert report.ok and "7 points of the linear task (seed 3)" in report.text
    x = np.array([[0.0, 1.0], [1.0, 1.0], [0.5, 0.0]])
    report = check(EXAMPLES / "missing_mean.py", x=x, y=np.array([[1.0], [0.0], [1.0]]))
    assert report.diagnosis.mistake == "factor_n" and "3 times the engine's (n = 3 points)" in report.text
    assert "your data (3 rows): x 3×2, y 3×1" in report.text


def test_the_readmes_example_is_the_checkers_output(monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Check my backprop"):readme.index("## The lab\n")]
    shown = section[section.index("```text\n") + 8:section.index("\n```", section.index("```text\n"))]
    monkeypatch.chdir(ROOT)
    assert shown == check("experiments/check_examples/sigmoid_derivative_of_z.py").text
    assert "docs/images/check_backprop.svg" in section and (ROOT / "docs/images/check_backprop.svg").is_file()
