"""A replay computes what the eager engine computes, bit for bit, on every family of ops, in
float32 and float64, for fresh inputs at each call."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from autograd.compile import fuse
from tests.autograd.compile.helpers import compare, tensors

DTYPES = [np.float64, np.float32]
ONES = np.ones((3, 2))


def linear_sigmoid(p, x):
    return ((x @ p[0] + p[1]).sigmoid() ** 2).mean()


FAMILIES = {
    # name: (function of (params, *inputs), parameter shapes, input shapes, inputs that require grad)
    "elementwise": (lambda p, x: ((x * p[0] + p[1]).exp().log() * (x - p[0]) / (p[1] ** 2 + 1.0)).tanh().sigmoid()
                    .sum(), [(3, 4), (4,)], [(3, 4)], True),
    "powers": (lambda p, x: ((p[0] ** 2).sqrt() + x.abs() ** 3.0 + p[0] ** x.abs() + 2.0 ** p[0]).mean(),
               [(3, 4)], [(3, 4)], False),
    "reductions with axes": (lambda p, x: (((x * p[0]).sum(axis=0) ** 2).sum() + (x * p[0]).max(axis=1).sum()
                                           + (p[0] * 2).mean(axis=(0, 1)) + (x * p[0]).max()
                                           + (p[0] * x).sum(axis=-1, keepdims=True).mean()), [(3, 4)], [(3, 4)], True),
    "broadcasting": (lambda p, x: ((x + p[0]) * p[1] + p[2] - x / p[1]).sum(), [(1, 4), (3, 1), ()], [(2, 3, 4)],
                     True),
    "matmul": (lambda p, x: ((x @ p[0]) @ p[1]).sum() + (p[2] @ p[2]) + (x[0] @ p[0]).sum()
               + (p[0].T @ x.T).mean(), [(4, 5), (5, 2), (3,)], [(3, 4)], True),
    "linear and sigmoid": (linear_sigmoid, [(4, 5), (5,)], [(3, 4)], False),
    "indexing": (lambda p, x: (p[0][1:, ::2].sum() + (p[0][[0, 0, 2]] * x[:3]).sum()
                               + p[0][np.array([True, False, True, True])].sum() + p[0].T.reshape(-1)[3:7].sum()
                               + p[0].flatten()[np.array([1, 1, 5])].sum()), [(4, 4)], [(4, 4)], True),
    "joining": (lambda p, x: (ag.concatenate([p[0], x], axis=1) ** 2).sum() + ag.stack([p[0], x], axis=1).sum(),
                [(3, 4)], [(3, 4)], True),
    "activations": (lambda p, x: ((x @ p[0]).relu() + (x @ p[0]).leaky_relu(0.1) + (x @ p[0]).softplus()
                                  + (x @ p[0]).clamp(-0.5, 0.5) + (x @ p[0]).abs()).sum(), [(4, 5)], [(3, 4)], True),
    "softmax": (lambda p, x: ((x @ p[0]).softmax(axis=0) * (x @ p[0]).log_softmax()).sum(), [(4, 3)], [(3, 4)],
                True),
    "convolution and pooling": (lambda p, x: (ag.max_pool2d(ag.conv2d(x, p[0], p[1], padding=1).relu(), 2).sum()
                                              + ag.avg_pool2d(ag.conv2d(x, p[0], stride=2), 2).sum()
                                              + ag.max_pool2d(x, 3, stride=2).sum()),
                                [(3, 2, 3, 3), (3,)], [(2, 2, 8, 8)], True),
    "losses": (lambda p, x: nn.MSELoss()(x @ p[0], Tensor(ONES)) + nn.BCEWithLogitsLoss()(x @ p[0], Tensor(ONES))
               + ag.mse_loss(x @ p[0], x @ p[0] * 0.5, reduction="sum")
               + nn.BCELoss()((x @ p[0]).sigmoid(), Tensor(ONES))
               + nn.CrossEntropyLoss()(x @ p[0], np.array([0, 1, 1])) + nn.MSELoss(reduction="sum")(x @ p[0], ONES),
               [(4, 2)], [(3, 4)], False),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_replay_equals_eager_bit_for_bit(family, dtype, rng):
    fn, param_shapes, input_shapes, inputs_grad = FAMILIES[family]
    params = tensors(rng, param_shapes, dtype, requires_grad=True)
    calls = [tensors(rng, input_shapes, dtype, requires_grad=inputs_grad) for _ in range(3)]
    step = compare(lambda *xs: fn(params, *xs), params, calls)
    assert (step.recordings, step.replays) == (1, 2)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_runs_fused_in_blocks_of_rows_give_the_same_numbers(family, rng, monkeypatch):
    """With blocks of four elements every run of elementwise calls is cut into blocks of a row."""
    monkeypatch.setattr(fuse, "CHUNK_ELEMENTS", 4)
    fn, param_shapes, input_shapes, inputs_grad = FAMILIES[family]
    params = tensors(rng, param_shapes, np.float64, requires_grad=True)
    calls = [tensors(rng, input_shapes, requires_grad=inputs_grad) for _ in range(3)]
    compare(lambda *xs: fn(params, *xs), params, calls)


def test_a_layer_and_its_sigmoid_run_block_by_block(monkeypatch):
    """The bias add and the sigmoid's four passes: one run, cut into blocks of rows."""
    rng = np.random.default_rng(0)
    W, b = (Tensor(rng.normal(size=s), requires_grad=True) for s in ((3, 4), (4,)))
    x = Tensor(rng.normal(size=(40, 3)))
    counts = []
    for chunk in (1 << 14, 8):
        monkeypatch.setattr(fuse, "CHUNK_ELEMENTS", chunk)
        step = ag.compile(lambda x: (x @ W + b).sigmoid().sum())
        step(x)
        counts.append(step.tape.calls["forward"])
    assert counts[1] == counts[0] + 20 * 5 - 5  # 20 blocks of 2 rows, 5 calls each, instead of 5 calls


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_training_a_network_replays_the_eager_trajectory(dtype):
    """The lab's network, 300 SGD steps: losses and weights equal to the eager run's, bit for bit."""
    from experiments.data import generate_xor_easy

    X, y = (Tensor(a, dtype=dtype) for a in generate_xor_easy())
    runs = []
    for compiled in (False, True):
        model = nn.MLP(2, (4, 4), 1, rng=0).to(dtype)
        loss_fn, opt = nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=1.0)
        step = ag.compile(lambda X, y: loss_fn(model(X), y)) if compiled else None  # noqa: B023
        losses = []
        for _ in range(300):
            opt.zero_grad()
            if step is None:
                loss = loss_fn(model(X), y)
                loss.backward()
            else:
                loss = step(X, y)
            opt.step()
            losses.append(loss.item())
        runs.append((losses, [p.data.copy() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_gradients_accumulate_into_existing_grad_in_place(rng):
    """As backward(): a leaf's .grad is added to, in the same array; a missing one is made."""
    (W,) = tensors(rng, [(3, 2)], requires_grad=True)
    x = Tensor(rng.normal(size=(4, 3)))
    step = ag.compile(lambda x: (x @ W).tanh().sum())
    step(x)
    first = W.grad.copy()
    held = W.grad
    step(x)
    assert W.grad is held
    np.testing.assert_array_equal(W.grad, first + first)


def test_results_are_copies_outside_any_graph(rng):
    (W,) = tensors(rng, [(3, 2)], requires_grad=True)
    step = ag.compile(lambda x: ((x @ W).sum(), x @ W))
    loss, out = step(Tensor(np.ones((4, 3))))
    kept = loss.item(), out.data.copy()
    step(Tensor(np.zeros((4, 3))))
    step(Tensor(np.zeros((4, 3))))
    assert (loss.item(), not loss.requires_grad, loss.op) == (kept[0], True, None)
    np.testing.assert_array_equal(out.data, kept[1])
    assert isinstance(step(Tensor(np.ones((4, 3)))), tuple)


def test_gradient_of_an_input_goes_to_the_tensor_of_each_call(rng):
    (W,) = tensors(rng, [(3, 2)], requires_grad=True)
    step = ag.compile(lambda x: (x @ W).sigmoid().sum())
    xs = tensors(rng, [(4, 3)] * 3, requires_grad=True)
    for x in xs:
        step(x)
    for x in xs:
        s = 1 / (1 + np.exp(-(x.data @ W.data)))
        np.testing.assert_allclose(x.grad, (s * (1 - s)) @ W.data.T, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_relu_gives_the_same_bits_on_nan_infinities_and_signed_zeros(dtype):
    """The kernel's fmax(x, 0) + 0 is where(x > 0, x, 0) to the bit, -0 and NaN included."""
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, -1.5, 2.5, 1e-300], dtype=dtype)
    x = Tensor(values, requires_grad=True)
    step = ag.compile(lambda x: (x.relu().sum(), x.relu()))
    for _ in range(2):
        x.grad = None
        _, out = step(x)
    eager = x.relu()
    assert out.data.tobytes() == eager.data.tobytes()
    np.testing.assert_array_equal(x.grad, (values > 0).astype(dtype))
