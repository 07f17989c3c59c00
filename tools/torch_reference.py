"""Record PyTorch's numbers for the tests that compare with it:

* tests/nn/data/torch_optim_reference.json: parameter trajectories of torch.optim on a small
  fixed problem, which tests/nn/test_optim.py replays with nn.optim;
* tests/autograd/data/torch_second_order.json: the gradient and the Hessian of each case in
  tests/autograd/second_order_cases.py, from torch.autograd with create_graph, which
  tests/autograd/test_higher_order.py compares with autograd.grad.

Run where PyTorch is installed (it is not a dependency of chainrule):
    python tools/torch_reference.py
"""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as tf

from autograd.teach import write_atomic

CASES = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd_nesterov_wd": ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    "sgd_dampening": ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3}),
    "adagrad": ("Adagrad", {"lr": 0.1}),
    "adagrad_decay": ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.2}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop_momentum_centered": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True,
                                              "weight_decay": 0.01}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam_wd_amsgrad": ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.05, "amsgrad": True}),
}
SCHEDULERS = {"step": ("StepLR", {"step_size": 3, "gamma": 0.5}), "exponential": ("ExponentialLR", {"gamma": 0.9})}
STEPS = 25


def problem():
    rng = np.random.default_rng(7)
    return {k: rng.normal(size=s) for k, s in
            {"X": (6, 3), "Y": (6, 2), "W": (3, 2), "b": (2,)}.items()}


def loss_fn(X, Y, W, b):
    """mean((XW + b - Y)²) + 0.01·Σ W⁴: the same expression the test builds with autograd."""
    return ((X @ W + b - Y) ** 2).mean() + 0.01 * (W**4).sum()


def main() -> None:
    data = problem()
    out = {"problem_seed": 7, "steps": STEPS, "torch": torch.__version__, "optimizers": {}, "schedulers": {}}
    for name, (cls, kwargs) in CASES.items():
        X, Y = torch.tensor(data["X"]), torch.tensor(data["Y"])
        W = torch.tensor(data["W"], requires_grad=True)
        b = torch.tensor(data["b"], requires_grad=True)
        opt = getattr(torch.optim, cls)([W, b], foreach=False, **kwargs)
        trajectory = []
        for _ in range(STEPS):
            opt.zero_grad()
            loss_fn(X, Y, W, b).backward()
            opt.step()
            trajectory.append({"W": W.detach().numpy().tolist(), "b": b.detach().numpy().tolist()})
        out["optimizers"][name] = {"class": cls, "kwargs": kwargs, "trajectory": trajectory}
    for name, (cls, kwargs) in SCHEDULERS.items():
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)
        lrs = [sched.get_last_lr()[0]]
        for _ in range(10):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        out["schedulers"][name] = {"class": cls, "kwargs": kwargs, "lrs": lrs}
    path = ROOT / "tests/nn/data/torch_optim_reference.json"
    write_atomic(path, json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")
    second_order()


ROOT = Path(__file__).resolve().parents[1]
TORCH = SimpleNamespace(
    where=torch.where, amax=lambda x, axis: torch.amax(x, dim=axis), cat=torch.cat, stack=torch.stack,
    relu=torch.relu, leaky_relu=tf.leaky_relu, softplus=tf.softplus,
    log_softmax=lambda x, axis: tf.log_softmax(x, axis), softmax=lambda x, axis: tf.softmax(x, axis),
    linear=lambda x, w, b: x @ w + b, mse=tf.mse_loss,
    conv2d=lambda x, w, b, stride, padding: tf.conv2d(x, w, b, stride, padding), max_pool2d=tf.max_pool2d,
    avg_pool2d=tf.avg_pool2d, T=lambda x: x.T,
)


def second_order() -> None:
    """The gradient and Hessian of s(x) = Σ w·f(x) for every case, all inputs flattened into one vector."""
    sys.path.insert(0, str(ROOT))
    from tests.autograd.second_order_cases import CASES, case_inputs, weights

    out = {"torch": torch.__version__, "cases": {}}
    for name, (fn, _, _) in CASES.items():
        inputs = case_inputs(name)
        sizes = [a.size for a in inputs]
        w = torch.tensor(weights(name, tuple(fn(TORCH, *map(torch.tensor, inputs)).shape)))

        def scalar(flat, fn=fn, inputs=inputs, sizes=sizes, w=w):
            parts = torch.split(flat, sizes)
            return (fn(TORCH, *[p.reshape(a.shape) for p, a in zip(parts, inputs, strict=True)]) * w).sum()

        flat = torch.tensor(np.concatenate([a.ravel() for a in inputs]), requires_grad=True)
        (grad,) = torch.autograd.grad(scalar(flat), flat, create_graph=True)
        hessian = torch.stack([torch.autograd.grad(g, flat, retain_graph=True)[0] for g in grad])
        out["cases"][name] = {"grad": grad.detach().tolist(), "hessian": hessian.tolist()}
    path = ROOT / "tests/autograd/data/torch_second_order.json"
    path.parent.mkdir(exist_ok=True)
    write_atomic(path, json.dumps(out) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
