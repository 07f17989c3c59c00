"""The CNN experiment: its data, its CLI end to end, and its accuracy target."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from experiments import cnn, data
from tests.conftest import require_program


def test_shapes_images_are_what_their_labels_say():
    X, y = data.generate_shapes(40, noise=0.0, rng=3)
    assert X.shape == (40, 1, 12, 12) and y.tolist() == [k % 4 for k in range(40)]
    for image, label in zip(X[:, 0], y, strict=True):
        rows, cols = np.nonzero(image)
        if label == 0:
            assert len(set(rows)) == 1 and len(cols) >= 6  # one row: a horizontal bar
        elif label == 1:
            assert len(set(cols)) == 1 and len(rows) >= 6
        elif label == 2:
            centre = (np.bincount(rows).argmax(), np.bincount(cols).argmax())
            assert image[centre] == 1 and len(set(rows)) > 1 and len(set(cols)) > 1
        else:
            top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
            assert bottom - top == right - left and image[(top + bottom) // 2, (left + right) // 2] == 0
    noisy, _ = data.generate_shapes(40, noise=0.3, rng=3)
    assert abs(np.std(noisy - X) - 0.3) < 0.02
    with pytest.raises(ValueError, match="size must be at least 8"):
        data.generate_shapes(4, size=6)


def test_cli_end_to_end(tmp_path, capsys):
    out = tmp_path / "cnn"
    assert cnn.main(["--epochs", "2", "--n-train", "200", "--n-test", "100", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^epoch 1 loss : \d\.\d+", printed, re.M) and re.search(r"^epoch 2 loss : ", printed, re.M)
    match = re.search(r"^Test Accuracy: (\d+\.\d\d)% \((\d+)/100\)$", printed, re.M)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"]["correct"] == int(match.group(2)) and metrics["epochs_run"] == 2
    for name in ("learning_curve.png", "filters.png", "samples.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = nn.load(cnn.build(cnn.CNNConfig()), out / "model.npz")
    assert model[0].weight.shape == (8, 1, 3, 3)
    if require_program("dot"):
        svg = (out / "graph.svg").read_text()
        assert ET.fromstring(svg).tag.endswith("svg")
        assert "Conv2d(1→8, 3×3)" in svg and "Conv2d(8→16, 3×3)" in svg  # each conv layer in its box


def test_cli_refuses_bad_settings(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cnn.main(["--lr", "0"])
    assert exit_info.value.code == 2 and "argument --lr: must be > 0" in capsys.readouterr().err


def test_the_default_cnn_reaches_98_percent():
    result = cnn.fit(cnn.CNNConfig(seed=0))
    assert result.accuracy >= 98.0, result.accuracy_text()


@pytest.mark.parametrize("args, words", [
    (["--seed", "-1"], "argument --seed: must be >= 0, got -1"),
    (["--lr", "inf"], "argument --lr: must be a finite number, got inf"),
    (["--lr", "1e400"], "argument --lr: must be a finite number, got 1e400 (too large for a float64"),
    (["--noise", "nan"], "argument --noise: must be a finite number, got nan"),
    (["--out", ""], "argument --out: must name a folder, got an empty path"),
    (["--channels", "1e8"], "this run needs about 5,760 PB of memory, most of it for the weights, their "
                                  "gradients and Adam's state (--channels 100000000); the machine has 4.29 GB"),
    (["--n-train", "1e10"], "this run needs about 11.5 TB of memory, most of it for the images "
                                   "(--n-train 10000000000, --n-test 1000); the machine has 4.29 GB"),
    (["--channels", "2000", "--batch-size", "4096"], "most of it for the layers' outputs (--channels 2000, "
                                                     "--batch-size 4096)"),
])
def test_cli_refuses_bad_values_and_runs_too_big_in_one_line(args, words, tmp_path, capsys, monkeypatch):
    from experiments import flags

    monkeypatch.setattr(flags, "physical_memory", lambda: 2**32)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        cnn.main([*args, "--out", str(tmp_path / "out")] if "--out" not in args else args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert words in err.splitlines()[-1] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_help_shows_the_defaults_and_both_conv_layers(capsys):
    with pytest.raises(SystemExit):
        cnn.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "filters of the first conv layer; the second has twice as many (default: 8)" in text
    assert "(default: 10)" in text and "(default: 0.01)" in text and "(default: runs/cnn)" in text


def test_a_nan_loss_stops_the_run_naming_the_epoch(tmp_path, capsys):
    out = tmp_path / "cnn"
    assert cnn.main(["--lr", "1e300", "--epochs", "5", "--n-train", "64", "--n-test", "32", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    stopped = re.search(r"^the loss became (nan|inf) at epoch (\d+); training stops here", captured.out, re.M)
    assert stopped and int(stopped.group(2)) < 5
    assert captured.err.splitlines() == [f"error: {stopped.group(0).split(';')[0]}, so training stopped there; the "
                                         "files hold what was gathered until then (try a smaller --lr)"]
    text = (out / "metrics.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    metrics = json.loads(text)
    assert metrics["epochs_run"] == int(stopped.group(2)) and metrics["final_loss"] is None
    assert metrics["stopped"] == stopped.group(0).split(";")[0]


def test_cnn_config_refuses_what_the_flags_refuse():
    with pytest.raises(ValueError, match="lr must be a finite number, got inf"):
        cnn.CNNConfig(lr=float("inf"))
    with pytest.raises(ValueError, match="seed must be a whole number >= 0, got -1"):
        cnn.CNNConfig(seed=-1)
