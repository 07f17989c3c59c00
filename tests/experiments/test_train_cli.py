"""The training CLI end to end on small runs: printed lines, every output file, bad input."""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import nn
from experiments import train
from experiments.training import RunConfig, fit
from tests.conftest import require_program

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--dataset", "xor", "--epochs", "400", "--print-every", "100", "--lr", "0.5", "--optimizer", "adam",
         "--hidden", "4", "4", "--seed", "0"]


def run_cli(args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "experiments.train", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "xor"
    return run_cli([*SMALL, "--out", str(out)]), out


def test_exit_status_and_the_labs_printed_format(small_run):
    proc, _ = small_run
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch")]
    assert len(epoch_lines) == 4
    for k, line in enumerate(epoch_lines, start=1):
        assert re.fullmatch(rf"epoch {100 * k} loss : \d\.\d+(e-\d+)?", line), line
    predictions = [line for line in lines if re.fullmatch(r"\s?\[+\s?[0-9.e-]+\]+", line)]
    assert len(predictions) == 21 and lines[epoch_lines.__len__()].startswith("[[")
    assert re.search(r"^Train Accuracy: \d+\.\d\d% \(\d+/21\)$", proc.stdout, re.M)
    assert re.search(r"^Test Accuracy: \d+\.\d\d% \(\d+/21\)$", proc.stdout, re.M)
    assert "epoch/s" not in proc.stderr and "it/s" not in proc.stderr  # no progress bar when piped


def test_every_output_file_exists_and_opens(small_run):
    proc, out = small_run
    for name in ("learning_curve.png", "comparison.png", "decision_boundary.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["dataset"] == "xor" and metrics["seed"] == 0 and metrics["epochs_run"] == 400
    assert set(metrics["versions"]) >= {"chainrule", "numpy", "python"}
    assert len(metrics["losses"]) == 400 and metrics["final_loss"] == metrics["losses"][-1]
    assert f"({metrics['test_accuracy']['correct']}/21)" in proc.stdout
    assert metrics["wall_time_seconds"] > 0
    model = nn.MLP(2, (4, 4), 1)
    nn.load(model, out / "model.npz")
    if require_program("dot"):
        svg = ET.parse(out / "graph.svg").getroot()
        assert svg.tag.endswith("svg")
        assert "Linear(2→4)" in (out / "graph.svg").read_text()


def test_the_saved_model_reproduces_the_printed_predictions(small_run):
    proc, out = small_run
    model = nn.load(nn.MLP(2, (4, 4), 1), out / "model.npz")
    from experiments.data import generate_xor_easy

    X, _ = generate_xor_easy()
    first = float(re.search(r"^\[\[\s*([0-9.e-]+)\]", proc.stdout, re.M).group(1))
    assert model(X).data[0, 0] == pytest.approx(first, rel=1e-6)


def test_the_same_seed_gives_the_same_numbers():
    config = RunConfig(dataset="linear", n=50, n_test=50, epochs=50, seed=4)
    a, b = fit(config), fit(config)
    assert np.array_equal(a.losses, b.losses) and np.array_equal(a.test_predictions, b.test_predictions)
    assert not np.array_equal(fit(RunConfig(dataset="linear", n=50, n_test=50, epochs=50, seed=5)).losses, a.losses)


@pytest.mark.parametrize("args, words", [
    (["--dataset", "moons"], "argument --dataset: invalid choice: 'moons' (choose from linear, xor, chessboard"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs' (choose from sgd, momentum, adagrad, rmsprop, adam)"),
    (["--activation", "swish"], "invalid choice: 'swish' (choose from sigmoid, tanh, relu, leaky_relu, none)"),
    (["--lr", "0"], "argument --lr: must be > 0, got 0"),
    (["--lr", "-0.1"], "argument --lr: must be > 0, got -0.1"),
    (["--epochs", "0"], "argument --epochs: must be > 0, got 0"),
    (["--hidden", "4", "0"], "argument --hidden: must be > 0, got 0"),
    (["--hidden", "four"], "argument --hidden: expected a whole number, got 'four'"),
])
def test_bad_input_is_a_clear_usage_error(args, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(args)
    assert exit_info.value.code == 2
    assert words.replace("'", "") in capsys.readouterr().err.replace("'", "")  # quoting varies by Python


def test_an_unwritable_out_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as exit_info:
        train.main([*SMALL, "--out", str(blocker / "run")])
    assert exit_info.value.code == 2
    err = capsys.readouterr()
    assert "cannot write to --out" in err.err and "epoch" not in err.out


def test_a_nan_loss_stops_naming_the_epoch_and_still_writes_files(tmp_path):
    out = tmp_path / "nan"
    proc = run_cli(["--dataset", "linear", "--activation", "none", "--output-activation", "none", "--lr", "50",
                    "--epochs", "500", "--out", str(out)])
    assert proc.returncode == 1
    stopped = re.search(r"the loss became (nan|inf) at epoch (\d+)", proc.stdout + proc.stderr)
    assert stopped, proc.stdout + proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == int(stopped.group(2)) < 500
    assert metrics["stopped"].startswith("the loss became")
    assert (out / "learning_curve.png").exists() and (out / "model.npz").exists()
    assert "RuntimeWarning" not in proc.stderr and "Traceback" not in proc.stderr


def test_mini_batches_and_a_step_schedule_run():
    result = fit(RunConfig(dataset="circle", n=64, n_test=32, hidden=(8,), epochs=20, batch_size=16,
                           optimizer="momentum", lr=0.5, lr_step=5, lr_gamma=0.5, loss="bce", noise=0.1))
    assert len(result.losses) == 20 and np.all(np.isfinite(result.losses))


def test_a_progress_bar_shows_on_a_terminal(tmp_path):
    import fcntl
    import os
    import pty
    import struct
    import termios

    controller, terminal = pty.openpty()  # the run's stderr is a terminal, as in an interactive shell
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    proc = subprocess.Popen([sys.executable, "-m", "experiments.train", "--dataset", "xor", "--epochs", "3000",
                             "--out", str(tmp_path / "run")], cwd=ROOT, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(controller)
    assert proc.returncode == 0
    assert b"epoch/s" in seen or b"s/epoch" in seen  # tqdm's rate, drawn on the terminal
    assert b"epoch 3000 loss : " in out  # the lab's lines still go to standard output
