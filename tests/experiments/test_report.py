"""The quick report: the lab's outline, figures that open, a self-contained page, tables that
hold the numbers of metrics.json, the cache, and executors passed in; its table of contents,
and its PDF, rendered page by page to pictures and read back."""

import json
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from experiments import report, study
from experiments.study import Cache, Job, Plan, Sweep
from experiments.training import RunConfig
from tests.conftest import require_program

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
            if metrics["stopped"]:  # a diverged run is not scored
                assert row[1:6] == ["diverged"] * 5, label
            else:
                assert row[1] == report.loss_text(metrics["final_loss"]), label
                assert row[3] == f"{metrics['test_accuracy']['percent']:.2f}%", label
                reached = metrics["epochs_to_full_accuracy"]
                assert row[4] == (f"{reached:,}" if reached else f"not within {cfg.epochs:,}")
            assert row[6] == f"{metrics['epochs_run']:,}", label


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


def test_a_diverged_run_is_called_diverged_and_captions_say_at_most(built):
    _, md, _, _ = built
    rows = [r for t in tables(md)["XOR-easy"] for r in t if r[0] == "every activation removed, lr = 1"]
    assert rows and all(r[2] == r[3] == "diverged" for r in rows)  # not its last "52.38%"
    captioned = re.findall(r"\*Seed 0; (.*?)\.\*\n\n((?:\|.*\n)+)", md)
    assert len(captioned) == 10
    for caption, table in captioned:
        ran = [row.split(" | ")[6] for row in table.splitlines()[2:]]
        if all(r == "1,000" for r in ran):
            assert caption == "1,000 epochs each"
        else:  # some stopped early: never "1,000 epochs each"
            assert caption.startswith("at most 1,000 epochs each: a run stops early once it has converged")


def test_the_markdown_and_the_page_have_a_table_of_contents(built):
    _, md, page, _ = built
    toc = md[md.index("**Contents**"):md.index("## 1. Introduction")]
    for heading in OUTLINE:
        text = heading.lstrip("# ")
        anchor = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")  # GitHub's anchors
        assert f"[{text}](#{anchor})" in toc
        assert f"<h{heading.count('#')} id='{anchor}'>" in page
        assert f"<a href='#{anchor}'>{text}</a>" in page[page.index("<nav class='toc'"):page.index("</nav>")]


def test_networks_are_drawn_layer_by_layer_and_their_graphs_open_full_size(built):
    out, md, page, _ = built
    for name in ("xor", "cnn"):
        assert f"![The {'lab' if name == 'xor' else 'CNN'}" in md.replace("The lab's network", "The lab")
        assert (out / f"figures/layers_{name}.png").read_bytes()[:4] == b"\x89PNG"
        if (out / f"figures/graph_{name}.svg").exists():
            assert f"[Open it full size](figures/graph_{name}.svg)" in md
            assert f"<a href='figures/graph_{name}.svg' target='_blank'>open it alone</a>" in page
            assert f"<div class='graph' id='graph-graph_{name}'" in page


# ---- the PDF --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pages(built):
    """The PDF's pages as (text, picture, size in points), rendered with PDFium."""
    pdfium = pytest.importorskip("pypdfium2")
    out, *_ = built
    path = out / "report.pdf"
    if not path.exists():
        require_pdf()
    document = pdfium.PdfDocument(path)
    try:
        return [(page.get_textpage().get_text_range().replace("\r", ""), page.render(scale=0.5).to_pil().convert("L"),
                 page.get_size(), letter_height(page.get_textpage())) for page in document]
    finally:
        document.close()


def letter_height(text) -> float:
    """The median height, in points, of the boxes of a page's letters (about 0.6 × the font size)."""
    heights = [box[3] - box[1] for k in range(text.count_chars())
               if text.get_text_range(k, 1).isalpha() and (box := text.get_charbox(k))]
    return float(np.median(heights)) if heights else 0.0


def require_pdf():
    """Skip (or under CI, fail) where WeasyPrint's system libraries are missing."""
    import os

    try:
        import weasyprint  # noqa: F401
    except OSError as err:
        message = f"WeasyPrint cannot load Pango ({err}); make test installs it with apt-get"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    pytest.fail("report.pdf was not written although WeasyPrint loads")


def test_the_pdf_is_a4_and_no_page_is_blank(pages):
    assert 15 <= len(pages) <= 60
    a4, landscape = (595, 842), (842, 595)
    for k, (_, picture, size, _) in enumerate(pages, start=1):
        assert tuple(round(v) for v in size) in (a4, landscape), k
        ink = np.asarray(picture) < 200
        assert ink.mean() > 0.003, f"page {k} is blank"
        right_margin = ink[:, -int(picture.width * 8 / 210):]  # the outer 8 mm: nothing runs off the page
        assert right_margin.mean() < 0.002, f"something runs off page {k}"


def test_the_pdf_holds_the_reports_headings_and_numbers(built, pages):
    _, md, _, _ = built
    text = " ".join(" ".join(page[0] for page in pages).split())  # table cells wrap: compare words
    for heading in OUTLINE:
        assert heading.lstrip("# ") in text
    accuracy = tables(md)["3.2 Accuracy"][0]
    for row in accuracy:
        assert row[3] in text  # each data set's test accuracy, as in the Markdown
    assert "1. Introduction" in pages[0][0] and "Contents" in pages[0][0]


def test_the_pdfs_contents_give_the_right_page_numbers(pages):
    contents = pages[0][0]
    for heading in ("3. Results of testing", "4.3 Without activation functions", "5.3 Convolutional layers"):
        number = int(re.search(re.escape(heading) + r" ?\.+ ?(\d+)", contents).group(1))
        assert heading in pages[number - 1][0], heading


def test_the_pdf_prints_the_wide_graphs_in_strips_at_a_legible_size(built, pages):
    out, *_ = built
    if not (out / "figures/graph_xor.svg").exists():
        require_program("dot")
    strips = [(t, height) for t, _, size, height in pages if size[0] > size[1]]  # the landscape pages
    assert strips and any("layers.0.weight" in t for t, _ in strips)
    assert any("strip 1 of" in t for t, _ in strips)
    assert all(height >= 4.0 for _, height in strips)  # 8-point labels, as the body text (9.5 points)
