"""A real training process sent Ctrl-C (SIGINT) at several moments, and runs onto a full or
read-only disk: the output folder ends wholly old or wholly new, the transcript says which, and
the process ends with one line (exit 130 after Ctrl-C, 1 after a failed write), no traceback."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nn
from experiments import chain_rule
from experiments.outputs import PAUSE_VARIABLE
from tests.disks import fill, read_only, small_disk

ROOT = Path(__file__).resolve().parents[2]
OLD = ["--dataset", "linear", "--epochs", "200", "--print-every", "100", "--seed", "0"]
NEW = ["--dataset", "xor", "--epochs", "300", "--print-every", "100", "--seed", "1"]
RUN_FILES = ["comparison.png", "decision_boundary.png", "graph.svg", "learning_curve.png", "metrics.json",
             "model.npz"]


def start(args, out, pause=None):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if pause is not None:
        env[PAUSE_VARIABLE] = str(pause)
    return subprocess.Popen([sys.executable, "-m", "experiments.train", *args, "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def files(folder):
    """Every file in the folder (hidden ones too: a staging folder left behind would show)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def old_run(tmp_path_factory):
    """A folder holding a finished run of OLD, and its files."""
    out = tmp_path_factory.mktemp("old") / "run"
    proc = start(OLD, out)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    found = files(out)
    assert sorted(found) in (RUN_FILES, sorted([*RUN_FILES[:2], "graph.dot", *RUN_FILES[3:]]))
    return out, found


def copy_of(old_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(old_run[0], out)
    return out


def wholly(out, old):
    """'old' when the folder holds exactly the old run's files, 'new' when it holds a complete
    set of the new run's, each one of them different from the old; fails on any mixture."""
    now = files(out)
    if now == old:
        return "old"
    assert sorted(now) == sorted(old), sorted(now)
    mixed = [name for name in now if now[name] == old[name]]
    assert not mixed, f"files of the old run beside new ones: {mixed}"
    assert json.loads(now["metrics.json"])["config"]["dataset"] == "xor"
    nn.load(nn.MLP(2, (4, 4), 1), out / "model.npz")
    return "new"


def interrupt_when(proc, marker, stream="stdout", delay=0.0):
    """Send SIGINT ``delay`` seconds after ``marker`` is printed; the process's output."""
    seen = []
    for line in getattr(proc, stream):
        seen.append(line)
        if marker in line:
            break
    else:
        pytest.fail(f"{marker!r} never printed: {''.join(seen)}")
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return ("".join(seen) + out, err) if stream == "stdout" else (out, "".join(seen) + err)


def the_one_line(err):
    lines = [line for line in err.splitlines() if not line.startswith("[test pause]")]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("moment, marker, stream, delay, pause", [
    ("training", "epoch 100 loss", "stdout", 0.0, None),
    ("drawing the figures", "Test Accuracy", "stdout", 0.0, 3),
    ("drawing the figures, later", "Test Accuracy", "stdout", 0.6, 3),
    ("every file staged, none moved", "[test pause] staged", "stderr", 0.0, 1),
])
def test_ctrl_c_before_the_files_are_moved_keeps_the_old_run_whole(old_run, tmp_path, moment, marker, stream,
                                                                   delay, pause):
    out = copy_of(old_run, tmp_path)
    epochs = ["--epochs", "1000000"] if moment == "training" else []
    proc = start([*NEW, *epochs], out, pause)
    _, err = interrupt_when(proc, marker, stream, delay)
    assert proc.returncode == 130, err
    assert the_one_line(err).startswith(f"interrupted (Ctrl-C): {out} keeps the previous run's files as they were "
                                        f"(comparison.png, decision_boundary.png")
    assert wholly(out, old_run[1]) == "old"


def test_ctrl_c_while_the_files_are_moved_completes_the_move(old_run, tmp_path):
    out = copy_of(old_run, tmp_path)
    proc = start(NEW, out, pause=1)
    _, err = interrupt_when(proc, "[test pause] moving the files into place", "stderr")
    assert proc.returncode == 130
    assert the_one_line(err) == f"interrupted (Ctrl-C): this run's files are all in {out}"
    assert wholly(out, old_run[1]) == "new"


def test_without_ctrl_c_the_new_run_replaces_the_old_one(old_run, tmp_path):
    out = copy_of(old_run, tmp_path)
    proc = start(NEW, out)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and err == ""
    assert wholly(out, old_run[1]) == "new"


def test_a_full_disk_keeps_the_old_run_whole_and_says_so_in_one_line(old_run, tmp_path):
    with small_disk(tmp_path / "disk", "2m") as disk:
        out = copy_of(old_run, disk)
        fill(disk, leave=64 * 1024)  # room for a file or two of the new run, not for all six
        proc = start(NEW, out)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 1
        line = the_one_line(err)
        assert line.startswith(f"error: could not write {out}/") and ": No space left on device; " in line
        assert line.endswith(f"{out} keeps the previous run's files as they were (comparison.png, "
                             f"decision_boundary.png, graph.svg, learning_curve.png, metrics.json, model.npz); "
                             f"none of this run's files were kept")
        assert wholly(out, old_run[1]) == "old"


def test_a_read_only_out_is_refused_before_training(old_run, tmp_path):
    out = copy_of(old_run, tmp_path)
    with read_only(out):
        proc = start(NEW, out)
        stdout, err = proc.communicate(timeout=300)
        assert proc.returncode == 2 and "epoch" not in stdout and "Traceback" not in err
        assert err.splitlines()[-1].startswith(f"python -m experiments.train: error: cannot write to --out {out}: ")
        assert wholly(out, old_run[1]) == "old"


def test_chain_rule_onto_a_read_only_folder_says_so_in_one_line(tmp_path, capsys):
    out = tmp_path / "chain"
    out.mkdir()
    (out / "graph.svg").write_text("<svg>old</svg>")
    with read_only(out):
        assert chain_rule.main(["x**2", "--x", "3", "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 and err.startswith(f"error: could not write {out}: ")
        assert err.strip().endswith(f"{out} keeps the previous run's files as they were (graph.svg); none of this "
                                    f"run's files were kept")
        assert (out / "graph.svg").read_text() == "<svg>old</svg>"


def test_chain_rule_replaces_the_frames_of_a_longer_expression(tmp_path, capsys):
    out = tmp_path / "chain"
    assert chain_rule.main(["sigmoid(a*b + c)", "--a", "2", "--b", "-3", "--c", "1", "--out", str(out)]) == 0
    longer = sorted(p.name for p in out.iterdir())
    assert chain_rule.main(["x**2", "--x", "3", "--out", str(out)]) == 0
    shorter = sorted(p.name for p in out.iterdir())
    assert len(shorter) < len(longer) and "backward.html" in shorter
    assert f"Wrote {out / 'backward.html'}" in capsys.readouterr().out  # where the page is, not where it was made
    assert np.all([not name.startswith(".") for name in shorter])
