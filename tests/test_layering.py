"""The architecture rule: autograd and nn import nothing but numpy, the standard library
and the project's own lower packages; graphviz only lazily, inside autograd/viz.py."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"autograd": {"numpy", "autograd"}, "nn": {"numpy", "autograd", "nn"}}


def imports_of(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            yield name.split(".")[0], id(node) not in top_level, node.lineno


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_numpy_and_the_standard_library(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    bad = []
    for path in files:
        for name, lazy, line in imports_of(path):
            ok = name in ALLOWED[package] or name in sys.stdlib_module_names or name == "__future__"
            ok = ok or (name == "graphviz" and lazy and path.name == "viz.py")
            if not ok:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_importing_the_engine_and_nn_loads_no_plotting_or_graphviz():
    code = ("import sys, autograd, nn; bad = {'graphviz', 'matplotlib', 'tqdm', 'experiments'} & set(sys.modules); "
            "print(sorted(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
