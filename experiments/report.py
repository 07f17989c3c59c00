"""The lab's whole study, and a report draft with every number filled in:

    python -m experiments.report --out report            # the full study (a few minutes on 2 cores)
    python -m experiments.report --out report --quick    # 20× shorter runs, under a minute

Writes ``report/index.md`` (figures in ``report/figures/``), ``report/index.html`` (one
self-contained page) and ``report/report.pdf`` (A4, printed with WeasyPrint), each with a table
of contents, following the lab's outline: introduction, experiment setups, results,
discussion, extra. Runs are spread over the cores and cached in ``report/.cache``. Every
sentence that states a result is computed from the runs (``experiments.findings``).
"""

from __future__ import annotations

import argparse
import datetime
import io
import statistics
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

import numpy as np

from autograd import Tensor, conv2d, explain
from autograd.teach import write_atomic
from experiments import architecture, cnn, data, executors, flags, pdf, plots, training
from experiments.cnn import CNNConfig
from experiments.document import Document
from experiments.findings import (
    FULL,
    budget_caption,
    epochs_run,
    epochs_to,
    final_loss,
    finished,
    loss_text,
    mean_std,
    observations,
    per_seed,
    plateau,
    ratio,
    speeds,
    stability,
    stop_note,
    success_counts,
    time_per_epoch,
)
from experiments.outputs import OutputSet, unstaged
from experiments.progress import say
from experiments.study import HEADLINE_SEEDS, Cache, Plan, Summary, make_plan, run_missing, summarize
from experiments.train import check_writable
from experiments.training import RunConfig

TARGETS = {  # data set: (our target %, the student report's test accuracy %)
    "linear": (99.0, 99.12),
    "xor": (100.0, 98.81),
    "chessboard": (97.0, 96.57),
}
REPORT_FILES = ("index.md", "index.html", "report.pdf")  # (figures/ is replaced file by file, with them)
NAMES = {"linear": "Linear", "xor": "XOR-easy", "chessboard": "Chessboard 4×4"}
LABELS = {"xor": "the lab's network", "cnn": "the CNN"}  # the networks drawn layer by layer
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum", "adagrad": "Adagrad", "rmsprop": "RMSprop",
                   "adam": "Adam"}
GRAPHVIZ_HINT = ("install Graphviz's dot program ('sh tools/system-deps.sh graphviz', or 'sudo apt-get install "
                 "graphviz', 'brew install graphviz', 'conda install graphviz')")
__all__ = ["Report", "build", "loss_text", "main"]


# ---- the report --------------------------------------------------------------------------------
class Report:
    def __init__(self, plan: Plan, cache: Cache, out: Path, command: str, log: Callable[[str], None] = print) -> None:
        self.plan, self.cache, self.out, self.command, self.log = plan, cache, out, command, log
        self.figures = out / "figures"
        self.figures.mkdir(parents=True, exist_ok=True)
        self.doc = Document("Backpropagation lab report (draft)")
        self.missing_graphs: list[str] = []

    def summary(self, config: RunConfig | CNNConfig, seeds: int) -> Summary:
        return summarize(self.cache, config, seeds)

    def copy(self, config: RunConfig | CNNConfig, name: str, target: str) -> str | None:
        """Copy a run's file into figures/ and return its path relative to the report."""
        source = self.cache.path(replace(config, seed=0)) / name
        if not source.exists():
            return None
        write_atomic(self.figures / target, source.read_bytes())
        return f"figures/{target}"

    def write(self) -> tuple[Path, Path]:
        """index.md and index.html, then report.pdf where WeasyPrint can run (else a note)."""
        self.front_matter()
        self.introduction()
        self.setups()
        self.results()
        self.discussion()
        self.extra()
        md = write_atomic(self.out / "index.md", self.doc.markdown())
        page = write_atomic(self.out / "index.html", self.doc.html(self.out))
        self.write_pdf()
        if self.missing_graphs:
            self.log(f"note: the report has no full computation graph of {' or '.join(self.missing_graphs)}: "
                     f"Graphviz's dot program was not found when those runs were made, so only their "
                     f"layer-by-layer pictures are in it; {GRAPHVIZ_HINT}, then run the report again")
        return md, page

    def write_pdf(self) -> Path | None:
        target = self.out / "report.pdf"
        try:
            return pdf.write_pdf(self.doc.print_html(self.out), target, self.out)
        except pdf.PdfUnavailableError as err:
            stale = target.exists()
            target.unlink(missing_ok=True)  # an old PDF beside the new page would contradict it
            self.log(f"note: report.pdf was not written: {err}. index.md and index.html are complete"
                     + ("; the old report.pdf was removed, as it no longer matches them" if stale else ""))
            return None

    def network_pictures(self, config: RunConfig | CNNConfig, name: str, model: object, example: np.ndarray,
                         loss: str, graph_caption: str) -> None:
        """The network layer by layer (drawn here from its structure, fits a page), then its full
        computation graph from the run (wide: opens full size, printed in strips)."""
        d, label = self.doc, LABELS[name][0].upper() + LABELS[name][1:]
        path = self.figures / f"layers_{name}.png"
        plots.layer_diagram(architecture.boxes(model, example, loss), path, title=f"{label}, layer by layer")
        d.figure(f"figures/{path.name}", f"{label}, layer by layer: each box is a layer, with its weights and the "
                                         f"shape of what it hands on (n: the number of examples).")
        graph = self.copy(config, "graph.svg", f"graph_{name}.svg")
        if graph:
            d.figure(graph, graph_caption, wide=True)
        else:
            self.missing_graphs.append(LABELS[name])
            d.paragraph(f"(The full computation graph of {LABELS[name]} is not shown: Graphviz's dot program was "
                        f"not installed when its run was made.)")

    # ---- sections ---------------------------------------------------------------------------
    def front_matter(self) -> None:
        d = self.doc
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        sweeps = "seed 0" if self.plan.sweep_seeds == 1 else f"seeds 0 to {self.plan.sweep_seeds - 1}"
        d.paragraph(f"Generated by `{self.command}` on {now} with chainrule (numpy only for the networks). "
                    f"Every number below comes from the runs of this study: seeds 0 to {HEADLINE_SEEDS - 1} for "
                    f"the headline results, {sweeps} for the sweeps. Edit freely: this is a draft to start from.")
        if self.plan.quick:
            d.paragraph("**This is a quick run (`--quick`)**: every run is twenty times shorter than the study's, "
                        "so the numbers show that the pipeline works, not what the networks can learn. Run "
                        "`python -m experiments.report --out report` for the real study.")

    def introduction(self) -> None:
        d = self.doc
        d.heading(2, "1. Introduction")
        d.paragraph("This lab builds a neural network with two hidden layers and trains it with "
                    "backpropagation, using numpy alone for the network: the forward pass, the chain rule "
                    "that carries the loss's gradient back through every layer, and gradient descent on the "
                    "weights. The network learns two binary classification tasks on points in the unit "
                    "square: a linearly separable one and the 21-point XOR-easy set. A 4×4 chessboard, from a "
                    "published student report, is added as a harder extension.")
        d.paragraph("The network is built on chainrule's small reverse-mode autograd engine: each operation "
                    "(matrix product, addition, sigmoid, ...) stores its inputs, and `backward()` visits the "
                    "graph in reverse topological order, multiplying each upstream gradient by the operation's "
                    "local derivative. Every operation's gradient is checked against finite differences in the "
                    "test suite.")
        sets = {"linear (n = 100)": data.generate_linear(100, rng=0), "XOR-easy (21 points)": data.generate_xor_easy(),
                "chessboard 4×4 (n = 1000)": data.generate_chessboard(1000, rng=0)}
        plots.dataset_gallery(sets, self.figures / "datasets.png")
        d.figure("figures/datasets.png", "The data sets: class 0 red, class 1 blue.")

    def setups(self) -> None:
        d, base = self.doc, self.plan.baselines["xor"]
        d.heading(2, "2. Experiment setups")
        d.heading(3, "2.1 Sigmoid functions")
        d.paragraph("The activation is the logistic sigmoid σ(x) = 1 / (1 + e^(-x)). Its derivative can be "
                    "written with its own output: σ'(x) = σ(x)(1 - σ(x)), at most 0.25 (at x = 0). The "
                    "backward pass therefore reuses the output s saved by the forward pass and computes "
                    "s(1 - s); calling σ again on s, a common mistake, gives a wrong gradient. The engine "
                    "computes σ(x) = 1/(1 + e^(-x)) in place, with -x capped at 709 (88 in float32) where e^(-x) "
                    "would overflow, so it neither overflows nor warns at x = ±1000.")
        plots.sigmoid_figure(self.figures / "sigmoid.png")
        d.figure("figures/sigmoid.png", "The sigmoid and its derivative.")
        d.heading(3, "2.2 Neural network")
        d.paragraph("Input X has shape (n, 2); the output ŷ has shape (n, 1). With weights W1 (2×4), W2 (4×4), "
                    "W3 (4×1) and biases b1, b2, b3: Z1 = σ(X W1 + b1), Z2 = σ(Z1 W2 + b2), "
                    "ŷ = σ(Z2 W3 + b3). A point is predicted as class 1 where ŷ > 0.5. Weights and biases "
                    "start uniform in ±1/√(fan-in), PyTorch's default. The loss is the mean squared error "
                    "L = (1/n) Σ (ŷ - y)², and training is full-batch gradient descent θ ← θ - ρ ∇L(θ).")
        d.table(["setting", "value"], [
            ["network", "2-4-4-1, sigmoid after every layer (`nn.MLP(2, (4, 4), 1)`)"],
            ["loss", "mean squared error"],
            ["optimizer", f"gradient descent on the whole training set, learning rate ρ = {base.lr:g}"],
            ["epochs", f"{base.epochs:,} at most"],
            ["early stopping", f"a run ends once it has converged: loss below {base.stop_loss:g}, or every training "
                               f"point classified correctly for {base.patience:,} epochs in a row (every run of "
                               f"this study, the sweeps included)"],
            ["training / test points", "linear: 100 / 1000 drawn separately; XOR-easy: the same 21 points for both"],
            ["seeds", f"{HEADLINE_SEEDS} (0 to {HEADLINE_SEEDS - 1}): data and initial weights"],
        ], "The lab's baseline configuration.")
        model, _, _, _ = training.build(base)
        self.network_pictures(base, "xor", model, np.zeros((4, 2)), "MSE loss",
                              "The trained XOR network's computation graph on four training points, with each "
                              "tensor's value and gradient: X → Linear(2→4) → σ → Linear(4→4) → σ → "
                              "Linear(4→1) → σ → loss.")
        d.heading(3, "2.3 Backpropagation")
        d.paragraph("The chain rule runs from the loss back to each weight. With δ for the gradient at a layer's "
                    "input to its sigmoid and ⊙ for the elementwise product:")
        d.code("dL/dŷ  = (2/n)(ŷ - y)\n"
               "δ3     = dL/dŷ ⊙ ŷ(1 - ŷ)          dL/dW3 = Z2ᵀ δ3    dL/db3 = Σ_rows δ3\n"
               "δ2     = (δ3 W3ᵀ) ⊙ Z2(1 - Z2)     dL/dW2 = Z1ᵀ δ2    dL/db2 = Σ_rows δ2\n"
               "δ1     = (δ2 W2ᵀ) ⊙ Z1(1 - Z1)     dL/dW1 = Xᵀ δ1     dL/db1 = Σ_rows δ1\n"
               "θ      ← θ - ρ dL/dθ")
        d.paragraph("The engine derives these from three local rules: a matrix product Y = AB hands back "
                    "dL/dA = dL/dY Bᵀ and dL/dB = Aᵀ dL/dY; the sigmoid multiplies by s(1 - s); and adding a "
                    "bias that was broadcast over the n rows sums its gradient over them (the Σ_rows above). "
                    "Here is the engine telling one scalar case, σ(a·b + c) at a = 2, b = -3, c = 1, step by "
                    "step (`python -m experiments.chain_rule \"sigmoid(a*b + c)\" --a 2 --b -3 --c 1`):")
        a, b, c = (Tensor(v, requires_grad=True, name=n) for v, n in ((2.0, "a"), (-3.0, "b"), (1.0, "c")))
        f = (a * b + c).sigmoid()
        f.name = "f"
        text = io.StringIO()
        explain(f, file=text)
        d.code(text.getvalue().split("\nBackward pass")[1].split("\n", 1)[1].strip())

    def results(self) -> None:
        d, plan = self.doc, self.plan
        d.heading(2, "3. Results of testing")
        d.heading(3, "3.1 Screenshots and comparison figures")
        for name, cfg in plan.baselines.items():
            d.heading(4, f"{NAMES[name]}: the lab's network")
            transcript = (self.cache.path(replace(cfg, seed=0)) / "transcript.txt").read_text().splitlines()
            if len(transcript) > 40:
                transcript = [*transcript[:30], f"... ({len(transcript) - 32} more prediction lines)", *transcript[-2:]]
            run = self.summary(cfg, 1)
            d.paragraph(f"Seed 0, {cfg.describe()}; {stop_note(run)}. Printed output:")
            d.code("\n".join(transcript))
            for kind, caption in (("comparison", "ground truth and prediction on the test set, mistakes circled"),
                                  ("decision_boundary", "predicted probability over the plane, test points on it")):
                path = self.copy(cfg, f"{kind}.png", f"{name}_{kind}.png")
                if path:
                    d.figure(path, f"{NAMES[name]}, seed 0: {caption}.")
        self.accuracy()
        self.learning_curves()
        self.targets()

    def accuracy(self) -> None:
        d, plan = self.doc, self.plan
        d.heading(3, "3.2 Accuracy")
        rows = []
        for name, cfg in plan.baselines.items():
            s = self.summary(cfg, HEADLINE_SEEDS)
            rows.append([NAMES[name], "the lab's 2-4-4-1 sigmoid network", mean_std(s, "train_accuracy"),
                         mean_std(s, "test_accuracy"), per_seed(s, "test_accuracy")])
        d.table(["data set", "network", "train accuracy", "test accuracy", "test accuracy per seed"], rows,
                f"The lab's network, mean ± standard deviation over {HEADLINE_SEEDS} seeds.")
        xor = self.summary(plan.baselines["xor"], HEADLINE_SEEDS)
        chess = self.summary(plan.baselines["chessboard"], HEADLINE_SEEDS)
        d.paragraph(f"On XOR-easy every point is worth 1/21 = 4.76%, so accuracy moves in steps: the lab's "
                    f"network scored {per_seed(xor, 'test_accuracy')} over the {HEADLINE_SEEDS} seeds. On the "
                    f"chessboard, whose 16 cells need six boundary lines, the same network trained for up to "
                    f"{plan.baselines['chessboard'].epochs:,} epochs reached {mean_std(chess, 'train_accuracy')} "
                    f"on its own training points.")

    def learning_curves(self) -> None:
        d, plan = self.doc, self.plan
        d.heading(3, "3.3 Learning curves")
        for name, cfg in plan.baselines.items():
            path = self.copy(cfg, "learning_curve.png", f"{name}_learning_curve.png")
            if path:
                d.figure(path, f"{NAMES[name]}, seed 0: mean squared error against epoch (log scale); "
                               f"{stop_note(self.summary(cfg, 1))}.")
        xor = self.summary(plan.baselines["xor"], HEADLINE_SEEDS)
        first = [r[FULL] for r in finished(xor) if r[FULL] is not None]
        text = f"On XOR-easy, {plateau(xor)}."
        if first:
            text += (f" The runs that got off it classified every training point from epoch {min(first):,} to "
                     f"{max(first):,} on ({len(first)} of {xor.seeds} seeds).")
        d.paragraph(text)

    def targets(self) -> None:
        d, plan = self.doc, self.plan
        d.heading(3, "3.4 Targets, and the configurations that reach them")
        rows, reached = [], {}
        for name, cfg in plan.best.items():
            s = self.summary(cfg, HEADLINE_SEEDS)
            target, student = TARGETS[name]
            mean = statistics.mean(r["test_accuracy"]["percent"] for r in finished(s)) if finished(s) else 0.0
            reached[name] = mean >= target - 1e-9
            rows.append([NAMES[name], f"≥ {target:g}%" if target < 100 else "100%", f"{student:.2f}%",
                         cfg.describe() + f"; {cfg.n if name != 'xor' else 21} training points",
                         mean_std(s, "test_accuracy"), "yes" if reached[name] else "no"])
        d.table(["data set", "target", "student report", "our configuration", "test accuracy", "reached"], rows,
                f"Held-out test accuracy, mean ± std over {HEADLINE_SEEDS} seeds. The student report used a "
                f"2-100-50-10-1 sigmoid network with momentum 0.9 and StepLR.")
        lin_base = self.summary(plan.baselines["linear"], HEADLINE_SEEDS)
        best_chess = plan.best["chessboard"]
        d.paragraph(f"With the lab's {plan.baselines['linear'].n} training points, the linear task's held-out "
                    f"accuracy is {mean_std(lin_base, 'test_accuracy')}, {training_fit(lin_base)}. The same "
                    f"network trained on {plan.best['linear'].n} points reaches "
                    f"{mean_std(self.summary(plan.best['linear'], HEADLINE_SEEDS), 'test_accuracy')}. On the "
                    f"chessboard, the configuration of the table, which "
                    f"{'reached' if reached['chessboard'] else 'did not reach'} the target, has a wider network "
                    f"({best_chess.hidden[0]} {best_chess.activation} units per layer), "
                    f"{best_chess.optimizer.capitalize()}, {best_chess.n} training points and a learning rate "
                    f"multiplied by {best_chess.lr_gamma:g} every {best_chess.lr_step:,} epochs.")
        for name in ("linear", "chessboard"):
            cfg = plan.best[name]
            path = self.copy(cfg, "decision_boundary.png", f"best_{name}_decision_boundary.png")
            if path:
                d.figure(path, f"{NAMES[name]}, best configuration, seed 0: decision boundary on the test set.")

    def sweeps(self, key: str) -> list[tuple[str, list[tuple[str, Summary]]]]:
        """(data set, its rows) of each sweep ``key`` names."""
        return [(sweep.dataset, [(label, self.summary(cfg, self.plan.sweep_seeds)) for label, cfg in sweep.rows])
                for sweep in self.plan.sweeps if sweep.key == key]

    def sweep_section(self, key: str, heading: str) -> None:
        d = self.doc
        d.heading(3, heading)
        for sweep in [s for s in self.plan.sweeps if s.key == key]:
            summaries = [(label, self.summary(cfg, self.plan.sweep_seeds)) for label, cfg in sweep.rows]
            d.heading(4, NAMES[sweep.dataset])
            if sweep.note:
                d.paragraph(sweep.note)
            curves = {label: plots.Curve(s.runs[0]["losses"], s.runs[0]["loss_stride"], end_of(s.runs[0]))
                      for label, s in summaries}
            fig = plots.learning_curves(curves, self.figures / f"sweep_{sweep.dataset}_{key}.png",
                                        title=f"{NAMES[sweep.dataset]}: {sweep.title.lower()} (seed 0)")
            d.figure(f"figures/{fig.name}", f"{NAMES[sweep.dataset]}: {sweep.title.lower()}, learning curves of "
                                            f"seed 0, each in its own line style.")
            threshold = sweep.rows[0][1].loss_threshold
            d.table(["setting", "final loss", "train accuracy", "test accuracy", "epochs to 100% train",
                     f"epochs to loss < {threshold:g}", "epochs run", "wall time"],
                    [[label, final_loss(s), mean_std(s, "train_accuracy"), mean_std(s, "test_accuracy"),
                      epochs_to(s, FULL), epochs_to(s, "epochs_to_loss_threshold"), epochs_run(s),
                      f"{s.wall_time():.1f} s"] for label, s in summaries],
                    (f"Mean over {self.plan.sweep_seeds} seeds" if self.plan.sweep_seeds > 1 else "Seed 0")
                    + f"; {budget_caption(summaries)}.")
            d.bullets(observations(summaries))

    def discussion(self) -> None:
        d = self.doc
        d.heading(2, "4. Discussion")
        self.sweep_section("lr", "4.1 Different learning rates")
        d.paragraph("The learning rate scales every step. The sigmoid's slope is at most 0.25 and the MSE "
                    "averages over the n points, so the gradients here are small, and a large rate can still be "
                    "stable. Gradient descent with a rate ten times smaller follows about the same path in steps "
                    "ten times shorter, so it should need about ten times the epochs to get as far. "
                    + " ".join(f"{stability(rows, NAMES[ds])} {speeds(rows, NAMES[ds])} {ratio(rows[0], rows[1])}"
                               for ds, rows in self.sweeps("lr")))
        self.sweep_section("hidden", "4.2 Different numbers of hidden units")
        d.paragraph("More units give the network more ways to bend its boundary, and more units that may start "
                    "out pointing in a useful direction, while each epoch has more arithmetic to do. Two units per "
                    "layer can still represent XOR (the classic 2-2-1 network does), but with so few units a run "
                    "depends more on where it starts. "
                    + " ".join(f"{time_per_epoch(rows, NAMES[ds])} {success_counts(rows, NAMES[ds])}"
                               for ds, rows in self.sweeps("hidden"))
                    + " The wall-time column also counts how many epochs ran: a run that converges stops early.")
        self.sweep_section("no_activation", "4.3 Without activation functions")
        d.paragraph("Two readings of \"without activation functions\" are shown. Removing only the hidden "
                    "activations leaves σ(x W + b) with W = W1 W2 W3: a product of linear maps is linear, so the "
                    "network is logistic regression, whose boundary is a straight line. Removing every "
                    "activation leaves one affine map fitted by least squares, and thresholding its output at "
                    "0.5 again draws a straight line. No straight line separates XOR-easy, so there the best "
                    "either variant can do is to put most points on one side. Without the sigmoid to squash "
                    "the output, the gradients are no longer small, and a large learning rate can make the fully "
                    "linear network diverge. " + " ".join(stability(rows, NAMES[ds])
                                                          for ds, rows in self.sweeps("no_activation")))
        d.heading(3, "4.4 Anything else: the chessboard")
        chess = self.summary(self.plan.baselines["chessboard"], HEADLINE_SEEDS)
        best = self.summary(self.plan.best["chessboard"], HEADLINE_SEEDS)
        d.paragraph(f"The chessboard extension shows where the lab's network stops: it reaches "
                    f"{mean_std(chess, 'test_accuracy')} on held-out points (chance is about 50%), while the "
                    f"wider {best.config.activation} network trained with "
                    f"{best.config.optimizer.capitalize()} reaches {mean_std(best, 'test_accuracy')} (section 3.4).")

    def extra(self) -> None:
        d = self.doc
        d.heading(2, "5. Extra")
        self.sweep_section("optimizer", "5.1 Different optimizers")
        d.paragraph("The optimizers follow PyTorch's update rules (checked against torch.optim to 1e-10 in the "
                    "test suite). Momentum accumulates past gradients: on a steady slope its step grows to "
                    "lr/(1 - μ), so momentum 0.9 at lr = 0.1 should move there like plain SGD at lr = 1, while "
                    "steps that keep changing direction cancel. Adagrad, RMSprop and Adam divide each weight's step "
                    "by a running size of its own gradients, so even the tiny gradients of a plateau give steps of "
                    "about the learning rate. "
                    + " ".join(f"{speeds(rows, NAMES[ds])} {ratio(rows[0], rows[1])}"
                               for ds, rows in self.sweeps("optimizer")))
        self.sweep_section("activation", "5.2 Different activation functions")
        d.paragraph("tanh is a rescaled sigmoid centred on 0 with a slope of up to 1 (four times the sigmoid's). "
                    "ReLU's slope is 1 or 0: a unit whose input is negative for every point passes no gradient "
                    "and stops learning (a dead unit), which with four units per layer can be enough to stall "
                    "a run. Leaky ReLU keeps a slope of 0.01 there: such a unit is not dead, but it learns a hundred "
                    "times more slowly. " + " ".join(success_counts(rows, NAMES[ds])
                                                     for ds, rows in self.sweeps("activation")))
        self.convolution()

    def convolution(self) -> None:
        d, cfg = self.doc, self.plan.cnn
        if cfg is None:
            return
        d.heading(3, "5.3 Convolutional layers")
        d.paragraph("A convolutional layer slides a small filter over the image and takes, at each place, the "
                    "sum of the products of the filter and the pixels under it (a cross-correlation: the filter is "
                    "not flipped). For a 3×3 input X and a 2×2 filter F the output O is 2×2, with "
                    "O11 = F11 X11 + F12 X12 + F21 X21 + F22 X22 and so on. Backpropagation through it follows "
                    "two rules: the gradient for the input, ∂E/∂X, is the full convolution of ∂E/∂O with F "
                    "rotated by 180°, and the gradient for the filter, ∂E/∂F, is the convolution of X with ∂E/∂O. "
                    "The engine's `conv2d` computes exactly these, vectorised with sliding windows; here it is "
                    "on the lecture's example, with an upstream gradient ∂E/∂O chosen for the illustration:")
        X = Tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), requires_grad=True, name="X")
        F = Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), requires_grad=True, name="F")
        out = conv2d(X, F)
        upstream = np.array([[[[1.0, -1.0], [2.0, 0.5]]]])
        out.backward(upstream)

        def grid(a: np.ndarray) -> str:
            return "\n".join("  " + "  ".join(f"{v:6g}" for v in row) for row in a[0, 0])

        d.code(f"X =\n{grid(X.data)}\nF =\n{grid(F.data)}\nO = conv(X, F) =\n{grid(out.data)}\n"
               f"∂E/∂O =\n{grid(upstream)}\n∂E/∂X = full_conv(∂E/∂O, rot180(F)) =\n{grid(X.grad)}\n"
               f"∂E/∂F = conv(X, ∂E/∂O) =\n{grid(F.grad)}")
        s = self.summary(cfg, HEADLINE_SEEDS)
        d.paragraph(f"The experiment trains a small CNN on {cfg.size}×{cfg.size} grey images made in code: a "
                    f"horizontal bar, a vertical bar, a cross or a hollow box, of random size and place, with "
                    f"Gaussian pixel noise of standard deviation {cfg.noise:g}; {cfg.n_train} training and "
                    f"{cfg.n_test} separately drawn test images. The network: {cfg.describe()}. Pooling the "
                    f"second layer's maps over the whole image keeps each feature's strongest response wherever it "
                    f"is, so the classifier sees what is drawn, not where. Test accuracy over {s.seeds} seeds: "
                    f"**{mean_std(s, 'test_accuracy')}** ({per_seed(s, 'test_accuracy')}).")
        for name, target, caption in (
                ("samples.png", "cnn_samples.png", "Test images with the predicted shape, seed 0 (mistakes in red, "
                                                   "with the true shape)."),
                ("filters.png", "cnn_filters.png", "The first layer's learned 3×3 filters, seed 0."),
                ("learning_curve.png", "cnn_learning_curve.png", "Cross-entropy per epoch, seed 0.")):
            path = self.copy(cfg, name, target)
            if path:
                d.figure(path, caption)
        self.network_pictures(cfg, "cnn", cnn.build(cfg), np.zeros((2, 1, cfg.size, cfg.size)), "cross-entropy",
                              "The trained CNN's computation graph on two images, each conv layer in its own box.")


def end_of(run: dict) -> str | None:
    """Why a run ended before its budget, for the learning curves' markers."""
    return "diverged" if run.get("stopped") else ("converged" if run.get("converged") else None)


def training_fit(s: Summary) -> str:
    """"the training set is classified perfectly", or how well it is."""
    if finished(s) and all(r["train_accuracy"]["percent"] == 100.0 for r in finished(s)):
        return (f"with every training point classified correctly on every seed: {s.config.n} points leave gaps "
                f"near the line x1 = x2 where the learned boundary can tilt")
    return f"with {mean_std(s, 'train_accuracy')} of the training points classified correctly"


# ---- command line ---------------------------------------------------------------------------------
def build(out: Path, quick: bool = False, executor: Executor | None = None, workers: int | None = None,
          cache_dir: Path | None = None, command: str = "python -m experiments.report",
          log=print) -> tuple[Path, Path]:
    """Run the study (what is not cached yet) and write the report into ``out``."""
    plan = make_plan(quick)
    cache = Cache(cache_dir or out / ".cache")
    jobs = plan.jobs()
    run_missing(jobs, cache, executor, workers, log, f"{len(jobs)} runs in the study, ")
    outputs = OutputSet(out, REPORT_FILES)
    with outputs as staging:  # the pages, the PDF and the figures replace the old ones together, or not at all
        md, page = Report(plan, cache, staging, command, log=log).write()
    return out / md.name, out / page.name


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.report",
                                description="Run the lab's study and write report/index.md, index.html and report.pdf.")
    p.add_argument("--out", type=flags.output_folder, default=Path("report"), help="output folder (default: report)")
    p.add_argument("--quick", action="store_true", help="20× shorter runs: a draft in under a minute")
    executors.add_flags(p, cache_default="OUT/.cache")
    args = p.parse_args(argv)
    problem = check_writable(args.out)
    if problem:
        p.error(f"cannot write to --out {args.out}: {problem}")
    cache_dir = args.cache_dir or args.out / ".cache"
    executors.check_flags(p, args, cache_dir)
    command = "python -m experiments.report " + " ".join(sys.argv[1:] if argv is None else argv)

    def work() -> int:
        with executors.open_executor(args) as executor:
            try:
                md, page = build(args.out, quick=args.quick, executor=executor, workers=args.workers,
                                 cache_dir=cache_dir, command=command.strip(), log=say)
            except OSError as err:  # a full or read-only disk: the old report is left whole
                print(f"error: could not write {unstaged(err.filename or args.out)}: {err.strerror or err}; the "
                      f"report in {args.out} was left as it was", file=sys.stderr)
                return 1
        pdf_file = args.out / "report.pdf"  # removed when it could not be made again
        print(f"Wrote {md}, {page}" + (f" and {pdf_file}" if pdf_file.exists() else ""))
        return 0

    return executors.finish(work, cache_dir)


if __name__ == "__main__":
    raise SystemExit(main())
