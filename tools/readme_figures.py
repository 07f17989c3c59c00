"""Regenerate the pictures the README shows, into docs/images/:

    python tools/readme_figures.py          (needs Graphviz's dot; Chromium for the page screenshot)

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
from autograd.teach import write_atomic
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


def mlp_graph() -> Tensor:
    X, y = data.generate_xor_easy()
    model = nn.MLP(2, (4, 4), 1, rng=0)
    list(model.parameters())
    loss = nn.MSELoss()(model(Tensor(X[:4], name="X")), Tensor(y[:4], name="y"))
    loss.name = "loss"
    loss.backward()
    return loss


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
            driver.find_element(By.ID, "next").click()
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


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    render(sigmoid_graph(), OUT / "graph_sigmoid.svg")
    render(mlp_graph(), OUT / "graph_mlp.svg", show_data=False)
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
    sys.exit(main())
