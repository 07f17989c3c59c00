"""The lab trains through the compiled step by default; ``--eager`` trains with the eager
engine; both give the same numbers, bit for bit (losses and final weights)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments import cnn, train
from experiments.training import RunConfig, fit

CONFIGS = {
    "the lab's network": RunConfig(dataset="xor", epochs=400),
    "mini-batches, relu, adam": RunConfig(dataset="circle", n=64, n_test=32, hidden=(8, 8), activation="relu",
                                          optimizer="adam", lr=0.01, epochs=40, batch_size=16),
    "bce, leaky relu, momentum, steps of lr": RunConfig(dataset="linear", n=50, epochs=300, loss="bce",
                                                        activation="leaky_relu", optimizer="momentum", lr=0.1,
                                                        lr_step=100),
    "raw scores with bce, tanh, rmsprop": RunConfig(dataset="chessboard", n=80, epochs=200, loss="bce",
                                                    activation="tanh", output_activation="none",
                                                    optimizer="rmsprop", lr=0.01),
    "no activation, adagrad, early stop": RunConfig(dataset="linear", n=50, epochs=500, activation="none",
                                                    optimizer="adagrad", lr=0.1, early_stop=True, patience=50),
}


def same_run(a, b) -> None:
    assert np.array_equal(a.losses, b.losses)
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_compiled_and_eager_runs_are_equal_bit_for_bit(name):
    config = CONFIGS[name]
    compiled, eager = fit(config), fit(config, eager=True)
    same_run(compiled, eager)
    assert compiled.train_accuracy == eager.train_accuracy and compiled.epochs_to_full_accuracy == \
        eager.epochs_to_full_accuracy


def test_the_cnn_trains_the_same_compiled_and_eager():
    config = cnn.CNNConfig(n_train=192, n_test=64, epochs=2, batch_size=64)
    compiled, eager = cnn.fit(config), cnn.fit(config, eager=True)
    same_run(compiled, eager)
    np.testing.assert_array_equal(compiled.predictions, eager.predictions)


def test_the_clis_eager_flag_gives_the_same_files(tmp_path, capsys):
    args = ["--dataset", "xor", "--epochs", "300", "--quiet", "--seed", "3"]
    assert train.main([*args, "--out", str(tmp_path / "compiled")]) == 0
    assert train.main([*args, "--eager", "--out", str(tmp_path / "eager")]) == 0
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("compiled", "eager")]
    assert metrics[0]["losses"] == metrics[1]["losses"]
    assert cnn.main(["--epochs", "1", "--n-train", "64", "--n-test", "32", "--quiet", "--eager",
                     "--out", str(tmp_path / "cnn")]) == 0
    assert "Test Accuracy" in capsys.readouterr().out
