"""Regenerate the pictures the README shows, into docs/images/:

    python tools/readme_figures.py          (needs Graphviz's dot; Chromium for the page screenshot)
    python tools/readme_figures.py --check  (only "Check my backprop": its picture, and its output printed)

The studio's screenshots come from its browser tests, run with CHAINRULE_README_SCREENSHOTS
naming docs/images (``make studio-screenshots`` does only that part).
"""

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import nn
from autograd import Tensor, explain, render
from autograd.teach import module_boxes, write_atomic
from experiments import cnn, data, grid, plots, sweep
from experiments.train import write_outputs
from experiments.training import RunConfig, fit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"


def sigmoid_graph() -> Tensor:
    a, b, c = (Tensor(v, requires_grad=True, name=n) for v, n in ((2.0, "a"), (-3.0, "b"), (1.0, "c")))
    f = (a * b + c).sigmoid()
    f.name = "f"
    f.backward()
    return f


def mlp_graph() -> tuple[Tensor, module_boxes]:
    X, y = data.generate_xor_easy()
    model, loss_fn = nn.MLP(2, (4, 4), 1, rng=0), nn.MSELoss()
    with module_boxes(model, loss_fn) as boxes:
        loss = loss_fn(model(Tensor(X[:4], name="X")), Tensor(y[:4], name="y"))
    loss.name = "loss"
    return loss, boxes


def screenshot(page: Path, target: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    profile = tempfile.mkdtemp()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", f"--user-data-dir={profile}", "--window-size=1300,560"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(page.as_uri())
        for _ in range(3):  # step 3: the multiplication, which hands a gradient to both factors
            driver.find_element(By.CSS_SELECTOR, ".next").click()
        driver.save_screenshot(str(target))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


SWEEP = ["--dataset", "xor", "--early-stop", "--lr", "1", "0.3", "0.1", "--hidden", "2 2", "4 4", "8 8",
         "--activation", "sigmoid", "tanh"]


def sweep_figures(folder: Path) -> None:
    """The README's sweep figure: the heatmap the sweep itself draws."""
    g = grid.from_argv(SWEEP)
    sweep.run(g, 3, folder, heatmap=sweep.heatmap_axes(g, None), command="python -m experiments.sweep ...")
    write_atomic(OUT / "sweep_heatmap.png", (folder / "heatmap.png").read_bytes())


CHECK_EXAMPLE = ROOT / "experiments" / "check_examples" / "sigmoid_derivative_of_z.py"


def check_figure() -> str:
    """The checker's picture of its README example, into docs/images/check_backprop.svg; returns
    the checker's text output, which the README shows beside it."""
    from experiments.check import check
    from experiments.check.picture import save

    here = os.getcwd()
    os.chdir(ROOT)  # so that the output names the file as the README's command does
    try:
        report = check(CHECK_EXAMPLE.relative_to(ROOT))
    finally:
        os.chdir(here)
    save(report, OUT / "check_backprop.svg")
    return report.text


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    check_figure()
    render(sigmoid_graph(), OUT / "graph_sigmoid.svg")
    loss, boxes = mlp_graph()
    render(loss, OUT / "graph_mlp.svg", show_data=False, boxes=boxes)
    sets = {"linear": data.generate_linear(100, rng=0), "xor (XOR-easy)": data.generate_xor_easy(),
            "chessboard": data.generate_chessboard(1000, rng=0), "circle": data.generate_circle(300, 0.1, rng=0),
            "spiral": data.generate_spiral(300, 0.1, rng=0)}
    plots.dataset_gallery(sets, OUT / "datasets.png")
    with tempfile.TemporaryDirectory() as folder:
        result = fit(RunConfig(dataset="xor", epochs=20000, seed=0))
        write_outputs(result, Path(folder), graph=False)
        for name in ("learning_curve.png", "comparison.png", "decision_boundary.png"):
            write_atomic(OUT / f"xor_{name}", (Path(folder) / name).read_bytes())
        trained = cnn.fit(cnn.CNNConfig(seed=0))
        cnn.samples_figure(trained, OUT / "cnn_samples.png")
        cnn.filters_figure(trained.model, OUT / "cnn_filters.png")
        sweep_figures(Path(folder) / "sweep")
        steps = Path(folder) / "steps"
        explain(sigmoid_graph(), frames=steps, file=io.StringIO(), title="f = sigmoid(a*b + c)")
        if shutil.which("chromium") and shutil.which("chromedriver"):
            screenshot(steps / "backward.html", OUT / "step_page.png")
    studio_screenshots()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.iterdir()))}")
    return 0


def studio_screenshots() -> None:
    """The studio's browser tests, asked to copy their screenshots into docs/images."""
    env = {**os.environ, "CHAINRULE_README_SCREENSHOTS": str(OUT)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "tests/experiments/studio/test_studio_browser.py"], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    if sys.argv[1:] == ["--studio"]:
        OUT.mkdir(parents=True, exist_ok=True)
        studio_screenshots()
        sys.exit(0)
    if sys.argv[1:] == ["--check"]:
        OUT.mkdir(parents=True, exist_ok=True)
        print(check_figure())
        sys.exit(0)
    sys.exit(main())
