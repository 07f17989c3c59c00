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
