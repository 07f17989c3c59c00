"""The network microscope's training session: one per browser tab, on the lab's own training
code (``experiments.training``: the data, the model, the optimizer, an epoch).

A session is driven by messages (setup, play, pause, step, reset, inspect) and answers with
frames: the epoch, the new losses, the per-layer gradient norms, the accuracies and the
network's picture (``views.view``). Everything runs in the caller's thread; the server
runs sessions in its engine thread, never two steps at once.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

import nn
from autograd import Tensor, no_grad
from autograd.teach import module_boxes
from experiments import data
from experiments.studio import graphs, limits, paths, views
from experiments.studio.limits import Choice, Number, RequestError
from experiments.studio.numbers import fmt
from experiments.studio.trace import trace
from experiments.training import ACTIVATIONS, LOSSES, OPTIMIZERS, RunConfig, accuracy, build, probabilities, train_epoch

SETTINGS = {
    "dataset": Choice(list(data.DATASETS)),
    "n": Number(4, limits.MAX_POINTS, integer=True),
    "noise": Number(0, 1),
    "grid": Number(2, 8, integer=True),
    "seed": Number(0, 2**31 - 1, integer=True),
    "hidden": None,  # checked by limits.hidden_layers
    "activation": Choice(ACTIVATIONS),
    "output_activation": Choice(ACTIVATIONS),
    "loss": Choice(LOSSES),
    "optimizer": Choice(OPTIMIZERS),
    "lr": Number(0, limits.MAX_LR, exclusive_low=True),
    "batch_size": Number(0, limits.MAX_POINTS, integer=True),
}
DEFAULTS = {"dataset": "xor", "n": 100, "noise": 0.0, "grid": 4, "seed": 0, "hidden": (4, 4),
            "activation": "sigmoid", "output_activation": "sigmoid", "loss": "mse", "optimizer": "sgd", "lr": 1.0,
            "batch_size": 0}
SPEED = Number(0.5, limits.MAX_EPOCHS_PER_SECOND)
FRAME_SECONDS = 0.1  # a frame every 0.1 s while playing
WORK_SECONDS = 0.25  # at most this much training per frame, whatever the speed


def check_settings(payload: Any) -> RunConfig:
    """The page's settings as a RunConfig, or RequestError naming the first bad field."""
    payload = dict(payload) if isinstance(payload, dict) else payload
    hidden = limits.hidden_layers(payload.pop("hidden")) if isinstance(payload, dict) and "hidden" in payload \
        else DEFAULTS["hidden"]
    spec = {k: v for k, v in SETTINGS.items() if v is not None}
    s = limits.fields(payload, spec, DEFAULTS, "settings")
    try:
        return RunConfig(dataset=s["dataset"], n=s["n"], n_test=s["n"], noise=s["noise"], grid=s["grid"],
                         hidden=hidden, activation=s["activation"], output_activation=s["output_activation"],
                         optimizer=s["optimizer"], lr=s["lr"], loss=s["loss"], epochs=limits.MAX_EPOCHS,
                         batch_size=s["batch_size"], seed=s["seed"])
    except ValueError as err:
        raise RequestError(f"settings: {err}") from None


class Session:
    """A network in training, as one tab sees it."""

    def __init__(self, config: RunConfig | None = None) -> None:
        self.playing = False
        self.speed = 50.0
        self._debt = 0.0
        self.setup(config or check_settings({}))

    # ---- messages ------------------------------------------------------------------------
    def handle(self, message: Any) -> dict[str, Any]:
        """The reply to one message from the page; RequestError for a bad one."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise RequestError("a message must be a JSON object with a type")
        kind = message["type"]
        if kind == "setup":
            self.setup(check_settings(message.get("settings", {})))
            return self.ready()
        if kind == "play":
            self.speed = SPEED.check("speed (epochs per second)", message.get("speed", self.speed))
            self.playing = self.epoch < limits.MAX_EPOCHS
            return self.frame()
        if kind == "pause":
            self.playing = False
            return self.frame()
        if kind == "step":
            self.playing = False
            return self.advance(1)
        if kind == "reset":
            self.setup(self.config)
            return self.ready()
        if kind == "inspect":
            return self.inspect(message.get("point", 0), message.get("target"))
        raise RequestError(f"unknown message type {kind[:40]!r}; allowed: setup, play, pause, step, reset, inspect")

    def setup(self, config: RunConfig) -> None:
        self.config, self.playing, self._debt = config, False, 0.0
        (self.X, self.y), (self.X_test, self.y_test) = data.load(config.dataset, config.n, config.n_test,
                                                                config.seed, config.noise, config.grid)
        self.model, self.loss_fn, self.opt, self.sched = build(config)
        list(self.model.parameters())  # names them, for the graph
        self.rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(4)[3])
        self.window = views.extent(self.X, self.X_test)
        self.epoch, self.losses, self.test_losses, self.norms = 0, [], [], []
        self._sent = 0
        self.stopped: str | None = None
        self._record_test()

    # ---- training --------------------------------------------------------------------------
    def due(self, seconds: float) -> int:
        """The epochs the Play speed asks for over ``seconds``."""
        self._debt += self.speed * seconds
        n = int(self._debt)
        self._debt -= n
        return n

    def advance(self, epochs: int) -> dict[str, Any]:
        """Train ``epochs`` epochs (fewer when WORK_SECONDS run out or training must stop)
        and return the frame."""
        start = time.perf_counter()
        batch = self.config.batch_size or len(self.X)
        with np.errstate(all="ignore"):
            for _ in range(epochs):
                if self.epoch >= limits.MAX_EPOCHS or self.stopped:
                    break
                loss = train_epoch(self.model, self.loss_fn, self.opt, self.X, self.y, batch, self.rng)
                if self.sched is not None:
                    self.sched.step()
                self.epoch += 1
                self.losses.append(loss)
                if not math.isfinite(loss):
                    self.stopped = f"the loss became {loss} at epoch {self.epoch}: try a smaller learning rate"
                if time.perf_counter() - start > WORK_SECONDS:
                    break
            self.norms.append([self.epoch, *self._grad_norms()])
            self._record_test()
        if self.epoch >= limits.MAX_EPOCHS and not self.stopped:
            self.stopped = f"this session has run the most epochs allowed ({limits.MAX_EPOCHS:,}); press Reset"
        if self.stopped:
            self.playing = False
        return self.frame()

    def _grad_norms(self) -> list[float]:
        """‖∂L/∂W‖ of each layer after the last step (0 before the first)."""
        linears = [layer for layer in self.model.layers if isinstance(layer, nn.Linear)]
        return [float(np.linalg.norm(layer.weight.grad)) if layer.weight.grad is not None else 0.0
                for layer in linears]

    def _record_test(self) -> None:
        with no_grad(), np.errstate(all="ignore"):
            out = self.model(Tensor(self.X_test))
            self.test_losses.append([self.epoch, float(self.loss_fn(out, Tensor(self.y_test)).item())])

    # ---- replies -----------------------------------------------------------------------------
    def layers(self) -> list[int]:
        return [2, *self.config.hidden, 1]

    def ready(self) -> dict[str, Any]:
        """Everything the page needs after a (re)start: the settings, the data, a first frame."""
        self._sent = 0
        return {"type": "ready", "settings": self.config.to_dict(), "layers": self.layers(),
                "activation": self.config.activation, "window": list(self.window),
                "train": views.points(self.X, self.y), "test": views.points(self.X_test, self.y_test),
                "frame": self.frame()}

    def frame(self) -> dict[str, Any]:
        """The network now, and the losses not sent before."""
        new = [[k + 1, v] for k, v in enumerate(self.losses[self._sent:], start=self._sent)]
        self._sent = len(self.losses)
        with np.errstate(all="ignore"):
            train_acc = accuracy(probabilities(self.model, self.config, self.X), self.y)
            test_acc = accuracy(probabilities(self.model, self.config, self.X_test), self.y_test)
        return {"type": "frame", "epoch": self.epoch, "playing": self.playing, "stopped": self.stopped,
                "losses": new, "test_loss": self.test_losses[-1], "norms": self.norms[-1:] if self.norms else [],
                "train_accuracy": str(train_acc), "test_accuracy": str(test_acc),
                "view": views.view(self.model, self.config, self.window)}

    def inspect(self, point: Any, target: Any) -> dict[str, Any]:
        """A neuron's or weight's value, gradient and path products for one training point,
        and the graph of one step on that point."""
        p = Number(0, len(self.X) - 1, integer=True).check("point", point)
        target = paths.check_target(target, self.layers())
        one = paths.Pass(self.model, self.config, self.loss_fn, self.X[p], self.y[p])
        reply = {"type": "inspect", "point": p, "x": self.X[p].tolist(), "label": int(self.y[p, 0]),
                 "target": target, **paths.explain_target(one, target)}
        reply.update(point_graph(self.model, self.loss_fn, self.X[p], self.y[p], target))
        return reply


def point_graph(model: nn.MLP, loss_fn: nn.Module, x: np.ndarray, y: np.ndarray,
                target: dict[str, Any] | None = None) -> dict[str, Any]:
    """The computation graph of one training step on the point (x, y), with module boxes,
    values and gradients, and the ids of the nodes that hold ``target``."""
    with np.errstate(all="ignore"), module_boxes(model, loss_fn) as boxes:
        loss = loss_fn(model(Tensor(np.asarray(x, dtype=np.float64)[None, :], name="x")),
                       Tensor(np.asarray(y, dtype=np.float64).reshape(1, -1), name="y"))
    loss.name = "loss"
    tr = trace(loss, boxes)
    model.zero_grad()
    values = {n["id"]: f"value {fmt(n['value'], 4)}" for n in tr["nodes"]}
    grads = {n["id"]: f"grad {fmt(n['grad'], 4)}" for n in tr["nodes"] if n["grad"] is not None}
    svg = graphs.to_svg(tr, values, grads) if graphs.dot_available() else None
    return {"svg": svg, "svg_missing": None if svg is not None else graphs.NO_DOT,
            "highlight": _holders(tr, target) if target else []}


def _holders(tr: dict[str, Any], target: dict[str, Any]) -> list[str]:
    """The trace's node ids that hold the target: its weight or bias tensor, or the
    neuron's layer output (x @ W + b: the add after the layer's matmul, and the activation after it)."""
    m = target["layer"]
    if target["kind"] in ("weight", "bias"):
        name = f"layers.{2 * (m - 1)}.{target['kind']}"
        return [n["id"] for n in tr["nodes"] if n["name"] == name]
    ops = {n["id"]: n["op"] for n in tr["nodes"]}
    layer = [n for n in tr["nodes"] if n["op"] == "add" and ops.get(n["parents"][0]) == "matmul"][m - 1]
    after = [n["id"] for n in tr["nodes"] if layer["id"] in n["parents"] and n["op"] in ("sigmoid", "tanh", "where")]
    return [layer["id"], *after[:1]]
