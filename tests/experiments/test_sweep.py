"""Sweeps: the grid is the training CLI's (its parser decides every cell, its message refuses a
bad one before anything runs), the outputs hold the runs' numbers, and the cache makes a
re-run compute only what is new."""

import csv
import importlib.util
import json
import re
from dataclasses import replace

import pytest

from experiments import grid, sweep, train
from experiments.study import Cache, Job
from experiments.training import fit

SMALL = ["--dataset", "xor", "--epochs", "60"]


def read_csv(path):
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def train_message(argv, capsys):
    """What ``python -m experiments.train ARGV`` prints when it refuses ARGV."""
    with pytest.raises(SystemExit) as info:
        train.main([*argv, "--out", "/nonexistent/never-written"])
    assert info.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1].split("error: ", 1)[1]


def test_each_cell_is_the_configuration_the_train_cli_makes():
    g = grid.from_argv(["--lr", "1", "0.1", "--hidden", "4 4", "8", "--activation", "tanh", "--early-stop"])
    cells = g.cells()
    assert [c.values for c in cells] == [("1", "4 4", "tanh", ""), ("1", "8", "tanh", ""),
                                         ("0.1", "4 4", "tanh", ""), ("0.1", "8", "tanh", "")]
    for cell, argv in zip(cells, (["--lr", "1", "--hidden", "4", "4"], ["--lr", "1", "--hidden", "8"],
                                  ["--lr", "0.1", "--hidden", "4", "4"], ["--lr", "0.1", "--hidden", "8"]),
                          strict=True):
        args = train.parser().parse_args([*argv, "--activation", "tanh", "--early-stop"])
        assert cell.config == train.config_from(args)
    assert [a.name for a in g.varied] == ["lr", "hidden"]
    assert g.fixed_argv() == ["--activation", "tanh", "--early-stop"]


def test_a_grid_file_in_toml_or_json_is_the_same_grid(tmp_path):
    on_line = grid.from_argv(["--dataset", "linear", "--lr", "1", "0.1", "--hidden", "4 4", "8 8", "--n-test", "50",
                              "--early-stop"])
    toml = tmp_path / "grid.toml"
    toml.write_text('dataset = "linear"\nlr = [1, 0.1]\nhidden = [[4, 4], "8 8"]\nn_test = 50\nearly_stop = true\n')
    as_json = tmp_path / "grid.json"
    as_json.write_text(json.dumps({"dataset": "linear", "lr": [1, 0.1], "--hidden": ["4 4", [8, 8]], "n-test": 50,
                                   "early_stop": True}))
    expected = [c.config for c in on_line.cells()]
    assert [c.config for c in grid.from_file(toml).cells()] == expected
    assert [c.config for c in grid.from_file(as_json).cells()] == expected


@pytest.mark.parametrize(("bad", "alone"), [
    (["--lr", "1", "-0.5"], ["--lr", "-0.5"]),
    (["--activation", "sigmoid", "swish"], ["--activation", "swish"]),
    (["--hiden", "4"], ["--hiden", "4"]),
    (["--lr"], ["--lr"]),
    (["--epochs", "10", "2.5"], ["--epochs", "2.5"]),
    (["--hidden", "4 0"], ["--hidden", "4", "0"]),
    (["--dataset", "xor", "--noise", "0", "0.1"], ["--dataset", "xor", "--noise", "0"]),  # a flag the run ignores
    (["--hidden", "4", "100000 100000"], ["--hidden", "100000", "100000"]),  # more memory than the machine has
])
def test_a_value_the_train_cli_refuses_is_refused_with_its_message_before_anything_runs(bad, alone, tmp_path,
                                                                                         capsys):
    expected = train_message(alone, capsys)
    with pytest.raises(SystemExit) as info:
        sweep.main([*bad, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.strip().splitlines()[-1] == f"python -m experiments.sweep: error: {expected}"
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written


@pytest.mark.parametrize(("content", "message"), [
    ("lr = []\n", "lr is an empty list"),
    ("lr = [1, 0.1]\nlearning_rate = [1]\n", "unrecognized arguments: --learning-rate 1"),
    ("lr = [1, -1]\n", "argument --lr: must be > 0, got -1"),
    ("lr = [1, 0.1\n", "is not valid TOML"),
    ("lr = [{a = 1}]\n", 'lr holds {"a": 1}'),
    ("seed = [1, 2]\n", "--seed is not a grid option"),
])
def test_a_bad_grid_file_is_refused_naming_the_file(content, message, tmp_path, capsys):
    path = tmp_path / "grid.toml"
    path.write_text(content)
    with pytest.raises(SystemExit) as info:
        sweep.main(["--grid-file", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert info.value.code == 2 and message in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--hidden", "8", "8"], "--hidden lists '8' twice (for two layers of 8 write --hidden \"8 8\")"),
    (["--lr", "1", "--lr", "2"], "--lr is given twice"),
    (["0.1", "--lr", "1"], "unrecognized arguments: 0.1"),
    (["--lr", "1", "0.1", "--heatmap", "lr", "hidden"], "--heatmap hidden: not an option with several values"),
    (["--lr", "1", "0.1", "--seeds", "0"], "--seeds must be > 0, got 0"),
])
def test_what_is_not_a_grid_is_refused(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        sweep.main([*argv, "--out", str(tmp_path / "out")])
    assert info.value.code == 2 and message in capsys.readouterr().err


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    argv = [*SMALL, "--lr", "1", "0.3", "--hidden", "4 4", "8", "--activation", "tanh", "sigmoid", "--seeds", "2"]
    assert sweep.main([*argv, "--workers", "2", "--out", str(out)]) == 0
    return out, argv


def test_the_tables_hold_the_numbers_of_the_runs(swept):
    out, _ = swept
    cache = Cache(out / ".cache")
    rows = read_csv(out / "results.csv")
    assert [(r["lr"], r["hidden"], r["activation"]) for r in rows][:3] == [("1", "4 4", "tanh"),
                                                                           ("1", "4 4", "sigmoid"), ("1", "8", "tanh")]
    assert len(rows) == 8
    for row in rows:
        config = grid.train_config([*SMALL, "--lr", row["lr"], "--hidden", *row["hidden"].split(),
                                    "--activation", row["activation"]])
        runs = [cache.metrics(replace(config, seed=s)) for s in (0, 1)]
        tests = [r["test_accuracy"]["percent"] for r in runs]
        assert float(row["test_accuracy_mean"]) == pytest.approx(sum(tests) / 2, abs=1e-12)
        assert float(row["test_accuracy_std"]) == pytest.approx(abs(tests[0] - tests[1]) / 2, abs=1e-12)
        assert float(row["final_loss_mean"]) == pytest.approx((runs[0]["final_loss"] + runs[1]["final_loss"]) / 2)
    # one run, recomputed here in this process: the same numbers
    config = grid.train_config([*SMALL, "--lr", "0.3", "--hidden", "8", "--activation", "sigmoid", "--seed", "1"])
    result = fit(config)
    run = next(r for r in read_csv(out / "runs.csv") if (r["lr"], r["hidden"], r["activation"], r["seed"]) ==
               ("0.3", "8", "sigmoid", "1"))
    assert float(run["final_loss"]) == float(result.losses[-1])
    assert float(run["test_accuracy"]) == result.test_accuracy.percent
    assert len(read_csv(out / "runs.csv")) == 16


def test_the_markdown_table_and_figures(swept):
    out, _ = swept
    md = (out / "results.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert table[0] == ("| lr | hidden | activation | final loss | train accuracy | test accuracy | "
                        "epochs to 100% train | wall time |")
    assert len(table) == 9
    row = read_csv(out / "results.csv")[0]
    assert table[1].startswith(f"| 1 | 4 4 | tanh | {float(row['final_loss_mean']):.3g} ± ")
    assert f"{float(row['test_accuracy_mean']):.2f}% ± {float(row['test_accuracy_std']):.2f}%" in table[1]
    for name in ("learning_curves.png", "heatmap.png"):
        assert f"]({name})" in md
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "python -m experiments.train --dataset xor --epochs 60" in md
    assert md.count("data:image/png;base64,") == 0 and (out / "results.html").read_text().count("data:image/png") == 2


def test_a_rerun_computes_only_the_new_runs(swept, capsys):
    out, argv = swept
    capsys.readouterr()
    assert argv[4:7] == ["--lr", "1", "0.3"]
    grown = [*argv[:7], "0.1", *argv[7:]]  # one more learning rate
    assert sweep.main([*grown, "--workers", "2", "--out", str(out)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert re.fullmatch(r".*: 24 runs; 16 cached, 8 to run", first), first
    assert len(read_csv(out / "results.csv")) == 12
    assert Cache(out / ".cache").count() == 24
    cells = grid.from_argv(grown[:-2]).cells()
    assert all(Cache(out / ".cache").has(Job(replace(c.config, seed=s))) for c in cells for s in (0, 1))


@pytest.mark.parametrize(("argv", "message"), [
    (["--dask", "tcp://elsewhere:8786", "--workers", "2"],
     "--workers sets this machine's processes (or --dask local's)"),
    (["--dask", " "], "--dask needs a scheduler's address (tcp://host:8786) or 'local'"),
    (["--workers", "0"], "--workers must be > 0, got 0"),
])
def test_bad_executor_flags_are_refused(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        sweep.main([*argv, "--out", str(tmp_path / "out")])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_dask_flags_without_dask_installed_say_how_to_install_it(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(SystemExit) as info:
        sweep.main(["--dask", "local", "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    assert "--dask needs Dask's distributed scheduler: pip install 'chainrule[cluster]'" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    import distributed

    def refuse(address, timeout):
        raise OSError(f"Timed out trying to connect to {address} after {timeout} s")

    monkeypatch.setattr(distributed, "Client", refuse)
    assert sweep.main(["--epochs", "30", "--dask", "tcp://10.0.0.9:8786", "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == ("error: cannot reach the Dask scheduler at tcp://10.0.0.9:8786: Timed out "
                                       "trying to connect to tcp://10.0.0.9:8786 after 10 s\n")
