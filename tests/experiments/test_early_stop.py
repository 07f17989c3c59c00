"""Early stopping: a run ends once converged, says why, and the numbers before it are kept."""

import json

import pytest

from experiments import train
from experiments.study import make_plan
from experiments.training import RunConfig, fit


def test_a_run_stops_once_every_point_has_been_right_for_patience_epochs():
    full = fit(RunConfig(dataset="linear", epochs=3000))
    early = fit(RunConfig(dataset="linear", epochs=3000, early_stop=True, patience=300))
    assert full.converged is None and len(full.losses) == 3000
    assert early.converged.startswith(f"converged at epoch {len(early.losses)} (every training point classified")
    assert len(early.losses) == early.epochs_to_full_accuracy + 300 - 1  # held from that epoch on
    assert early.losses.tolist() == full.losses[:len(early.losses)].tolist()  # the same run, cut short
    assert early.metrics()["converged"] == early.converged and early.metrics()["epochs_run"] == len(early.losses)


def test_a_run_stops_when_the_loss_falls_below_stop_loss():
    result = fit(RunConfig(dataset="linear", epochs=5000, early_stop=True, stop_loss=0.05, patience=10**6))
    assert result.converged is not None and "loss" in result.converged
    assert result.losses[-1] < 0.05 <= result.losses[-2]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="stop_loss must be >= 0 and patience > 0"):
        RunConfig(patience=0)


def test_the_cli_flag_and_the_study_use_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert train.main(["--dataset", "linear", "--epochs", "2000", "--early-stop", "--patience", "100",
                       "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["converged"] and metrics["epochs_run"] < 2000
    plan = make_plan()
    assert all(cfg.early_stop for cfg in plan.baselines.values())
    assert all(cfg.early_stop for sweep in plan.sweeps for _, cfg in sweep.rows)
