"""The engine stays a textbook a student reads in one sitting: short functions, and the files
that show one op's forward, its backward and the walk that calls it, small together."""

import ast
from pathlib import Path

import pytest

AUTOGRAD = Path(__file__).resolve().parents[2] / "autograd"


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_no_function_in_autograd_is_over_40_lines():
    long = []
    for path in sorted(AUTOGRAD.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 40:
                long.append(f"{path.relative_to(AUTOGRAD)}:{node.lineno} {node.name} "
                            f"({node.end_lineno - node.lineno + 1} lines)")
    assert not long, "\n".join(long)


@pytest.mark.parametrize("op_file", sorted(p.name for p in (AUTOGRAD / "ops").glob("*.py") if p.name != "__init__.py"))
def test_an_op_its_backward_and_the_walk_fit_in_400_lines(op_file):
    opened = [AUTOGRAD / "function.py", AUTOGRAD / "backward.py", AUTOGRAD / "ops" / op_file]
    assert sum(len(lines(p)) for p in opened) <= 400, {p.name: len(lines(p)) for p in opened}


def test_the_chain_rule_is_applied_within_the_first_150_lines_a_student_reads():
    # The reading order __init__.py gives starts at backward.py, where hand_on calls the op's VJP.
    assert "Read it in this order: ``backward.py``" in " ".join((AUTOGRAD / "__init__.py").read_text().split())
    walk = lines(AUTOGRAD / "backward.py")
    at = next(k for k, line in enumerate(walk, start=1) if "op.backward(g" in line)
    assert len(lines(AUTOGRAD / "__init__.py")) + at <= 150
