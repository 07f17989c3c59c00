"""The quick report: the lab's outline, figures that open, a self-contained page, tables that
hold the numbers of metrics.json, the cache, and executors passed in."""

import json
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from experiments import report, study
from experiments.study import Cache, Job, Plan, Sweep
from experiments.training import RunConfig

OUTLINE = ["## 1. Introduction", "## 2. Experiment setups", "### 2.1 Sigmoid functions", "### 2.2 Neural network",
           "### 2.3 Backpropagation", "## 3. Results of testing", "### 3.1 Screenshots and comparison figures",
           "### 3.2 Accuracy", "### 3.3 Learning curves", "## 4. Discussion", "### 4.1 Different learning rates",
           "### 4.2 Different numbers of hidden units", "### 4.3 Without activation functions", "## 5. Extra",
           "### 5.1 Different optimizers", "### 5.2 Different activation functions"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    logs = []
    md, page = report.build(out, quick=True, workers=2, log=logs.append)
    return out, md.read_text(), page.read_text(), logs


def tables(md):
    """Every Markdown table as a list of rows of cells, keyed by the heading above it."""
    found, heading, rows = {}, None, []
    for line in [*md.splitlines(), ""]:
        if line.startswith("#"):
            heading = line.strip("# ")
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split(" | ")])
        elif rows:
            found.setdefault(heading, []).append(rows[2:])
            rows = []
    return found


def test_the_report_follows_the_labs_outline(built):
    _, md, _, _ = built
    positions = [md.index(h + "\n") for h in OUTLINE]
    assert positions == sorted(positions)
    assert "This is a quick run" in md


def test_every_figure_exists_and_opens(built):
    out, md, _, _ = built
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(figures) >= 24  # setup 3, results 11 (3 data sets × 3, 2 best), sweeps 10
    for rel in figures:
        path = out / rel
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", rel
        else:
            assert ET.parse(path).getroot().tag.endswith("svg"), rel


def test_the_html_page_is_self_contained(built):
    _, _, page, _ = built
    sources = re.findall(r"src='([^']*)'", page)
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert page.count("<table>") >= 13


def test_accuracy_table_holds_the_numbers_of_metrics_json(built):
    out, md, _, _ = built
    cache = Cache(out / ".cache")
    plan = study.make_plan(quick=True)
    rows = tables(md)["3.2 Accuracy"][0]
    for (name, cfg), row in zip(plan.baselines.items(), rows, strict=True):
        runs = [cache.metrics(replace(cfg, seed=s)) for s in range(5)]
        counts = [f"{r['test_accuracy']['correct']}/{r['test_accuracy']['total']} = "
                  f"{r['test_accuracy']['percent']:.2f}%" for r in runs]
        assert row[0] == report.NAMES[name] and row[4] == ", ".join(counts)
        mean = sum(r["test_accuracy"]["percent"] for r in runs) / 5
        assert row[3].startswith(f"{mean:.2f}% ± ")
    assert re.search(r"\b\d+/21 = \d+\.\d\d%", md)  # XOR-easy's counts and percentages


def test_sweep_tables_hold_the_numbers_of_metrics_json(built):
    out, md, _, _ = built
    cache = Cache(out / ".cache")
    plan = study.make_plan(quick=True)
    found = tables(md)
    headings = {"lr": "4.1 Different learning rates", "hidden": "4.2 Different numbers of hidden units",
                "no_activation": "4.3 Without activation functions", "optimizer": "5.1 Different optimizers",
                "activation": "5.2 Different activation functions"}
    seen = {}
    for sweep in plan.sweeps:
        # each sweep heading holds one table per data set: linear first, then XOR-easy
        index = seen.setdefault(sweep.key, 0)
        seen[sweep.key] += 1
        rows = found["Linear" if index == 0 else "XOR-easy"]
        table = next(t for t in rows if [r[0] for r in t] == [label for label, _ in sweep.rows])
        assert table, headings[sweep.key]
        for (label, cfg), row in zip(sweep.rows, table, strict=True):
            metrics = cache.metrics(cfg)
            assert row[1] == report.loss_text(metrics["final_loss"]), label
            assert row[3] == f"{metrics['test_accuracy']['percent']:.2f}%", label
            reached = metrics["epochs_to_full_accuracy"]
            assert row[4] == (f"{reached:,}" if reached else f"not within {cfg.epochs:,}")


def test_both_readings_of_without_activation_functions(built):
    _, md, _, _ = built
    for label in ("hidden activations removed, output sigmoid kept", "every activation removed, lr = 1",
                  "every activation removed, lr = 0.1"):
        assert label in md
    assert "replaced by the identity" in md


def test_targets_table_names_each_configuration(built):
    _, md, _, _ = built
    rows = tables(md)["3.4 Targets, and the configurations that reach them"][0]
    assert [r[0] for r in rows] == ["Linear", "XOR-easy", "Chessboard 4×4"]
    assert [r[2] for r in rows] == ["99.12%", "98.81%", "96.57%"]
    assert all("epochs" in r[3] for r in rows)


def test_a_rerun_only_computes_what_changed(built, tmp_path):
    out, md, _, logs = built
    assert re.fullmatch(r"\d+ runs in the study, 0 cached, \d+ to run", logs[0])
    again = []
    report.build(out, quick=True, log=again.append)
    assert re.fullmatch(r"\d+ runs in the study, (\d+) cached, 0 to run", again[0])
    assert tables((out / "index.md").read_text())["3.2 Accuracy"] == tables(md)["3.2 Accuracy"]


def test_any_executor_can_run_the_study_and_the_cache_keys_follow_config_and_code(tmp_path):
    tiny = RunConfig(dataset="xor", epochs=30)
    plan = Plan(quick=True, sweeps=[Sweep("lr", "Learning rate", "xor",
                                          (("a", tiny), ("b", replace(tiny, lr=0.5))))], sweep_seeds=2)
    submitted = []

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            submitted.append(args[0])
            return super().submit(fn, *args, **kwargs)

    cache = Cache(tmp_path / "cache", fingerprint="code-a")
    with Recording(max_workers=2) as executor:
        assert study.run_plan(plan, cache, executor=executor) == 4
    assert sorted((j.config.lr, j.config.seed) for j in submitted) == [(0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1)]
    assert study.run_plan(plan, cache, executor=ThreadPoolExecutor(1)) == 0
    assert json.loads((cache.path(replace(tiny, seed=1)) / "metrics.json").read_text())["seed"] == 1
    assert Cache(tmp_path / "cache", fingerprint="code-b").has(Job(tiny)) is False
    assert cache.path(tiny) != cache.path(replace(tiny, lr=0.3))


def test_report_cli_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        report.main(["--out", str(tmp_path), "--workers", "0"])
    assert exit_info.value.code == 2 and "--workers must be > 0" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SystemExit) as exit_info:
        report.main(["--out", str(blocker / "report"), "--quick"])
    assert exit_info.value.code == 2 and "cannot write to --out" in capsys.readouterr().err


def test_a_symlink_planted_in_the_figures_is_replaced_not_written_through(built, tmp_path):
    cache = built[0] / ".cache"
    out = tmp_path / "report"
    (out / "figures").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for planted in (out / "figures" / "xor_learning_curve.png", out / "index.md"):
        planted.symlink_to(victim)
    report.build(out, quick=True, cache_dir=cache, log=lambda line: None)
    assert victim.read_text() == "precious"
    figure = out / "figures" / "xor_learning_curve.png"
    assert not figure.is_symlink() and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "index.md").is_symlink() and "## 1. Introduction" in (out / "index.md").read_text()


def test_a_full_disk_leaves_the_previous_report_whole(built, tmp_path, capsys):
    from tests.disks import fill, small_disk

    cache = built[0] / ".cache"
    with small_disk(tmp_path / "disk", "16m") as disk:
        out = disk / "report"
        report.build(out, quick=True, cache_dir=cache, log=lambda line: None)
        before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        fill(disk, leave=256 * 1024)  # room for some figures, not for all
        assert report.main(["--out", str(out), "--quick", "--cache-dir", str(cache)]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert err.startswith(f"error: could not write {out}/") and "No space left on device" in err
        after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        assert after == before  # no truncated figure, no half-new report, no staging folder left
