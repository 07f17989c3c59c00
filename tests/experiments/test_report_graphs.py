"""The report's pictures of the networks and what happens without the programs behind them:
a layer-by-layer picture read off the model, the full graph panned, zoomed and a click away in
the page, one clear note (naming no temporary file) when Graphviz's dot is missing, and the
Markdown and HTML still written, with one clear note, when the PDF cannot be made. A tiny study (30-epoch
runs) keeps this fast; a sentence computed from its numbers changes when they change."""

import importlib.abc
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from experiments import architecture, cnn, report, study
from experiments.document import Document
from experiments.training import RunConfig, build
from tests.conftest import chromium


def tiny_plan() -> study.Plan:
    """The quick study's shape (every section has its runs) with 30-epoch runs on at most 200 points."""
    plan = study.make_plan(quick=True)

    def small(cfg):
        return replace(cfg, epochs=30, patience=10, n=min(cfg.n, 200), n_test=min(cfg.n_test, 200))

    plan.baselines = {k: small(c) for k, c in plan.baselines.items()}
    plan.best = {k: small(c) for k, c in plan.best.items()}
    plan.sweeps = [replace(s, rows=tuple((label, small(c)) for label, c in s.rows)) for s in plan.sweeps]
    plan.cnn = replace(plan.cnn, epochs=1, n_train=64, n_test=32)
    return plan


def run_tiny(plan: study.Plan, cache: study.Cache) -> None:
    """Make the plan's runs in two threads, without their figures (the report goes without them)
    but with the computation graphs."""
    with ThreadPoolExecutor(2) as pool:
        jobs = [replace(job, figures=False) for job in plan.jobs()]
        for job, files in zip(jobs, pool.map(study.run_job, jobs), strict=True):
            cache.store(job, files)


class NoPango(importlib.abc.MetaPathFinder):
    """Importing WeasyPrint fails as it does on a machine without Pango."""

    def find_spec(self, name, path, target=None):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return None


def test_layer_boxes_are_read_off_the_models():
    mlp, *_ = build(RunConfig(hidden=(4, 4)))
    boxes = architecture.boxes(mlp, np.zeros((4, 2)), "MSE loss")
    assert [(b.name, b.detail, b.shape) for b in boxes] == [
        ("input", "the data", "(n, 2)"), ("Linear 2→4", "W 2×4, b 4", "(n, 4)"), ("σ sigmoid", "no weights", "(n, 4)"),
        ("Linear 4→4", "W 4×4, b 4", "(n, 4)"), ("σ sigmoid", "no weights", "(n, 4)"),
        ("Linear 4→1", "W 4×1, b 1", "(n, 1)"), ("σ sigmoid", "no weights", "(n, 1)"),
        ("MSE loss", "against the targets", "a number")]
    net = cnn.build(cnn.CNNConfig(channels=3))
    shapes = [b.shape for b in architecture.boxes(net, np.zeros((2, 1, 12, 12)))]
    assert shapes == ["(n, 1, 12, 12)", "(n, 3, 12, 12)", "(n, 3, 12, 12)", "(n, 3, 6, 6)", "(n, 6, 6, 6)",
                      "(n, 6, 6, 6)", "(n, 6, 1, 1)", "(n, 6)", "(n, 4)"]
    assert architecture.boxes(net, np.zeros((2, 1, 12, 12)))[1].detail == "3×3, pad 1\nW 3×1×3×3, b 3"


def test_without_dot_and_pango_the_report_says_so_once_and_writes_the_rest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPango(), *sys.meta_path])
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"%PDF- an old one")
    plan, cache = tiny_plan(), study.Cache(tmp_path / "cache")
    run_tiny(plan, cache)
    logs = []
    md, page = report.Report(plan, cache, out, "python -m experiments.report", log=logs.append).write()
    printed = capsys.readouterr()
    assert "note" not in printed.err + printed.out  # the workers said nothing: the report speaks once
    dot_notes = [line for line in logs if "dot" in line]
    assert len(dot_notes) == 1 and "the lab's network or the CNN" in dot_notes[0]
    assert tempfile.gettempdir() not in dot_notes[0] and "apt-get install graphviz" in dot_notes[0]
    pdf_notes = [line for line in logs if "report.pdf" in line]
    assert pdf_notes == [
        "note: report.pdf was not written: WeasyPrint could not load its system libraries (cannot load library "
        "'libpango-1.0-0': libpango-1.0-0: cannot open shared object file); " + report.pdf.INSTALL
        + ". index.md and index.html are complete; the old report.pdf was removed, as it no longer matches them"]
    assert not (out / "report.pdf").exists()
    text = md.read_text()
    assert "(The full computation graph of the lab's network is not shown" in text
    assert "![The lab's network, layer by layer" in text and "![The CNN, layer by layer" in text
    assert "<nav class='toc'" in page.read_text()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    plan, cache = tiny_plan(), study.Cache(folder / "cache")
    run_tiny(plan, cache)
    return plan, cache, folder


def discussion_text(plan, cache, out) -> str:
    r = report.Report(plan, cache, out, "x", log=lambda line: None)
    r.discussion()
    return r.doc.markdown()


def test_the_hidden_units_sentence_changes_when_the_numbers_do(tiny, tmp_path):
    plan, cache, _ = tiny
    sweep = next(s for s in plan.sweeps if s.key == "hidden" and s.dataset == "linear")
    narrow, wide = sweep.rows[0][1], sweep.rows[-1][1]

    def set_wall(cfg, seconds):
        path = cache.path(replace(cfg, seed=0)) / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["wall_time_seconds"] = seconds
        path.write_text(json.dumps(metrics))

    set_wall(narrow, 3.0)
    set_wall(wide, 0.3)
    cheaper = discussion_text(plan, cache, tmp_path)
    assert "On Linear an epoch cost less with more units: 100 ms with 2 units per hidden layer, 10 ms with 32" \
        in cheaper
    set_wall(wide, 9.0)
    dearer = discussion_text(plan, cache, tmp_path)
    assert "On Linear an epoch cost more with more units: 100 ms with 2 units per hidden layer, 300 ms with 32" \
        in dearer
    assert "each epoch also costs more (the wall-time column)" not in dearer  # the old fixed sentence


def wide_svg(width: int) -> str:
    return (f'<svg width="{width}pt" height="200pt" viewBox="0 0 {width} 200" xmlns="http://www.w3.org/2000/svg">'
            f'<g id="graph0" class="graph" transform="translate(4 196)"><rect x="0" y="-196" width="{width}" '
            f'height="196" fill="#bfdbfe"/><text x="10" y="-100" font-size="11">a label</text></g></svg>')


@pytest.fixture
def browser():
    with chromium("1200,900") as driver:
        yield driver


BOX = "return document.querySelector('figure.wide .graph')"
RECT = ("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, top: r.top, width: r.width, height: r.height};")


def scale(driver) -> float:
    return float(driver.execute_script(BOX + ".dataset.scale"))


def test_the_graph_pans_zooms_and_opens_full_size_on_a_click(tmp_path, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    (tmp_path / "figures").mkdir()
    (tmp_path / "figures/graph_xor.svg").write_text(wide_svg(4000))
    doc = Document("t")
    doc.heading(2, "1. Graphs")
    doc.figure("figures/graph_xor.svg", "The graph.", wide=True)
    (tmp_path / "index.html").write_text(doc.html(tmp_path))
    browser.get((tmp_path / "index.html").as_uri())
    box = browser.find_element(By.CSS_SELECTOR, "figure.wide .graph")
    img = "figure.wide .graph img"
    natural = browser.execute_script(f"return document.querySelector('{img}').naturalWidth")
    width = browser.execute_script(RECT, "figure.wide .graph")["width"]
    fitted = scale(browser)
    assert browser.execute_script(RECT, img)["width"] == pytest.approx(natural * fitted, abs=1)
    assert natural * fitted < width < natural  # the whole picture fits in the page's box
    box.find_element(By.CSS_SELECTOR, "button[title='zoom in']").click()  # the + button
    assert scale(browser) == pytest.approx(fitted * 1.25, rel=1e-3)
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(box), 0, -300).perform()  # the wheel
    zoomed = scale(browser)
    assert zoomed > fitted * 1.25 * 1.2
    before = browser.execute_script(RECT, img)
    ActionChains(browser).move_to_element(box).click_and_hold().move_by_offset(-150, 40).release().perform()
    after = browser.execute_script(RECT, img)
    assert (after["left"] - before["left"], after["top"] - before["top"]) == (pytest.approx(-150, abs=1),
                                                                              pytest.approx(40, abs=1))
    assert scale(browser) == zoomed and "full" not in box.get_attribute("class")  # a drag is not a click
    box.click()  # full size, in the whole window
    assert "full" in box.get_attribute("class") and scale(browser) == 1
    assert browser.execute_script(RECT, img)["width"] == pytest.approx(natural, abs=1)
    window = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    shown = browser.execute_script(RECT, "figure.wide .graph")
    assert (shown["left"], shown["top"], shown["width"], shown["height"]) == (0, 0, *window)
    box.click()  # and back, fitted to the page again
    assert "full" not in box.get_attribute("class") and scale(browser) == pytest.approx(fitted, rel=1e-3)
    close = box.find_element(By.CSS_SELECTOR, "button.pz-close")
    assert not close.is_displayed()
    for shut in (lambda: box.send_keys(Keys.ESCAPE), close.click):  # Esc and the ✕ button close it too
        box.click()
        assert "full" in box.get_attribute("class") and close.is_displayed()
        shut()
        assert "full" not in box.get_attribute("class") and scale(browser) == pytest.approx(fitted, rel=1e-3)
    link = browser.find_element(By.LINK_TEXT, "open it alone")
    assert link.get_attribute("href") == (tmp_path / "figures/graph_xor.svg").as_uri()
    contents = browser.find_element(By.CSS_SELECTOR, "nav.toc a")
    assert contents.get_attribute("href").endswith("#1-graphs") and browser.find_element(By.ID, "1-graphs")
