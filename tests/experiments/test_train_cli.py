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
from experiments.training import RunConfig, build, fit
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


# ---- flags: one line, exit 2, nothing written ---------------------------------------------------------
def refused(args, tmp_path, capsys, monkeypatch):
    """Run the CLI in an empty folder with --out inside it; the usage error's last line."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        train.main([*args, "--out", str(tmp_path / "out")] if "--out" not in args else args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []  # nothing written, not even --out
    return err.splitlines()[-1]


@pytest.mark.parametrize("flag", ["--lr", "--noise", "--momentum", "--lr-gamma", "--stop-loss"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400"])
def test_non_finite_numbers_are_refused_at_parsing(flag, value, tmp_path, capsys, monkeypatch):
    context = {"--noise": ["--dataset", "circle"], "--lr-gamma": ["--lr-step", "10"],
               "--stop-loss": ["--early-stop"]}.get(flag, [])
    line = refused([*context, f"{flag}={value}", "--epochs", "10"], tmp_path, capsys, monkeypatch)
    assert line.endswith(f"error: argument {flag}: must be a finite number, got {value}"
                         + (" (too large for a float64, which holds up to about 1.8e308)" if value == "1e400" else ""))


@pytest.mark.parametrize("args, words", [
    (["--seed", "-1"], "argument --seed: must be >= 0, got -1"),
    (["--seed", "1.5"], "argument --seed: expected a whole number, got '1.5'"),
    (["--out", ""], "argument --out: must name a folder, got an empty path (use . for the current folder)"),
    (["--optimizer", "momentum", "--momentum", "0"],
     "--optimizer momentum needs --momentum > 0 (default 0.9); for none, use --optimizer sgd"),
    (["--n", "50"], "--n would be ignored: --dataset xor has fixed points (the lab's 21-point XOR-easy)"),
    (["--n-test", "50"], "--n-test would be ignored: --dataset xor has fixed points"),
    (["--noise", "0.1"], "--noise would be ignored: it applies to --dataset circle and spiral only"),
    (["--dataset", "linear", "--noise", "0.1"], "--noise would be ignored: it applies to --dataset circle and spiral"),
    (["--grid", "3"], "--grid would be ignored: it applies to --dataset chessboard only"),
    (["--lr-gamma", "0.3"], "--lr-gamma would be ignored: it needs --lr-step N, the epochs between steps"),
    (["--optimizer", "adam", "--momentum", "0.5"],
     "--momentum would be ignored: it applies to --optimizer sgd and momentum only"),
    (["--stop-loss", "0.1"], "--stop-loss would be ignored: it applies with --early-stop only"),
    (["--patience", "10"], "--patience would be ignored: it applies with --early-stop only"),
])
def test_bad_and_ignored_flags_are_refused_in_one_line(args, words, tmp_path, capsys, monkeypatch):
    assert words in refused(args, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize("args, words", [
    (["--epochs", "1e10"], "this run needs about 80 GB of memory, most of it for the loss curve "
                                  "(--epochs 10000000000); the machine has 4.29 GB"),
    (["--dataset", "linear", "--n", "1e11"], "most of it for the layers' outputs (--hidden 4 4, "
                                                     "--n 100000000000); the machine has 4.29 GB"),
    (["--hidden", "1e6", "1e6"], "for the weights, their gradients and the optimizer's state "
                                         "(--hidden 1000000 1000000); the machine has 4.29 GB"),
])
def test_a_run_too_big_for_memory_is_refused_before_allocating(args, words, tmp_path, capsys, monkeypatch):
    from experiments import flags

    monkeypatch.setattr(flags, "physical_memory", lambda: 2**32)
    assert words in refused(args, tmp_path, capsys, monkeypatch)


def test_a_run_too_big_for_this_machine_fails_fast_in_a_real_process(tmp_path):
    proc = run_cli(["--hidden", "1000000", "1000000", "--out", str(tmp_path / "run")], cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert re.search(r"needs about 3\d\.\d TB of memory, .* the machine has [\d.]+ [GT]B", proc.stderr)
    assert list(tmp_path.iterdir()) == []


def test_optimizer_momentum_trains_with_and_records_0_9(tmp_path):
    out = tmp_path / "run"
    assert train.main(["--dataset", "linear", "--optimizer", "momentum", "--lr", "0.1", "--epochs", "30",
                       "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["momentum"] == 0.9
    same = fit(RunConfig(dataset="linear", optimizer="sgd", momentum=0.9, lr=0.1, epochs=30))
    plain = fit(RunConfig(dataset="linear", optimizer="sgd", lr=0.1, epochs=30))
    assert metrics["losses"] == pytest.approx(same.losses.tolist(), rel=1e-12)  # trained with what it records
    assert metrics["losses"] != pytest.approx(plain.losses.tolist(), rel=1e-6)


def test_a_given_momentum_is_used_and_recorded(tmp_path):
    config, _ = train.parse_config(["--dataset", "linear", "--optimizer", "momentum", "--momentum", "0.5"])
    assert config.momentum == 0.5 and "momentum=0.5" in config.describe()
    _, _, opt, _ = build(config)
    assert opt.param_groups[0]["momentum"] == 0.5


def test_run_config_refuses_what_the_flags_refuse():
    with pytest.raises(ValueError, match="lr must be a finite number, got inf"):
        RunConfig(lr=float("inf"))
    with pytest.raises(ValueError, match="seed must be a whole number >= 0, got -1"):
        RunConfig(seed=-1)
    with pytest.raises(ValueError, match="momentum applies to the optimizers sgd and momentum, not adam"):
        RunConfig(optimizer="adam", momentum=0.5)
    assert RunConfig(optimizer="momentum").momentum == 0.9  # the record says what the run uses


def test_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit):
        train.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("learning rate (default: 1.0)", "(default: 20000)", "(default: 4 4)", "(default: xor)",
                  "(default: 0 for sgd, 0.9 for momentum)", "(default: 0.001)", "(default: 2000)", "(default: 0)"):
        assert words in text


def test_a_diverging_run_prints_no_numpy_warning(tmp_path):
    proc = run_cli(["--dataset", "xor", "--activation", "none", "--output-activation", "none", "--lr", "100",
                    "--epochs", "500", "--quiet", "--out", str(tmp_path / "run")])
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: the loss became inf at epoch 4, so training stopped there; the files hold what was gathered until "
        "then (try a smaller --lr)"]
