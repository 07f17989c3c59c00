"""The architecture rules: autograd and nn import nothing but numpy, the standard library and the
project's own lower packages (graphviz only lazily, inside the picture code); the engine's core
never imports its teaching tools or its compiled step; nn uses only autograd's public names."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import autograd

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"autograd": {"numpy", "autograd"}, "nn": {"numpy", "autograd", "nn"}}
OUTSIDE_THE_CORE = ("teach", "compile")  # subpackages of autograd that read the graph, never the other way


def imports_of(path: Path):
    """(module, imported names, lazy, line) for each import; lazy: inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], id(node) not in top_level, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module or "", [a.name for a in node.names], id(node) not in top_level, node.lineno


def core_files():
    return [p for p in sorted((ROOT / "autograd").rglob("*.py"))
            if not set(OUTSIDE_THE_CORE) & set(p.relative_to(ROOT / "autograd").parts)]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_numpy_and_the_standard_library(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    bad = []
    for path in files:
        for module, _, lazy, line in imports_of(path):
            name = module.split(".")[0]
            ok = name in ALLOWED[package] or name in sys.stdlib_module_names or name == "__future__"
            ok = ok or (name == "graphviz" and lazy and path.parent.name == "teach")
            if not ok:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_core_never_imports_the_teaching_tools_or_the_compiled_step():
    bad = []
    for path in core_files():
        for module, _, lazy, line in imports_of(path):
            inside = any(module.startswith(f"autograd.{sub}") for sub in OUTSIDE_THE_CORE)
            reached_on_request = path.name == "__init__.py" and path.parent.name == "autograd" and lazy
            if inside and not reached_on_request:  # (autograd.render and co. import autograd.teach when asked for)
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not bad, "\n".join(bad)
    assert len(core_files()) >= 10


def test_nn_uses_only_autograds_public_names():
    bad = []
    for path in sorted((ROOT / "nn").rglob("*.py")):
        for module, names, _, line in imports_of(path):
            if module.split(".")[0] != "autograd":
                continue
            if module != "autograd" or not set(names) <= set(autograd.__all__):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module} {names}")
    assert not bad, "\n".join(bad)


def test_importing_the_engine_and_nn_loads_no_plotting_graphviz_or_teaching_code():
    code = ("import sys, autograd, nn; from autograd import Tensor; (Tensor(1.0, requires_grad=True) * 2).backward(); "
            "bad = {'graphviz', 'matplotlib', 'tqdm', 'experiments', 'autograd.teach.viz', 'autograd.compile'}; "
            "print(sorted(bad & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
    lazy = subprocess.run([sys.executable, "-c", "import sys, autograd; autograd.render; print('autograd.teach' in "
                           "sys.modules, 'graphviz' in sys.modules)"], capture_output=True, text=True, cwd=ROOT,
                          check=True)
    assert lazy.stdout.split() == ["True", "False"]  # the name is there; graphviz waits for a picture
