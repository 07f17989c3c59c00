"""The tape as a data structure: the Wengert list it prints, the buffers it owns and who lives
in them, memory that stays flat over many replays, and two steps replayed in two threads."""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np

import autograd as ag
import nn
from autograd import Tensor
from experiments.data import generate_xor_easy


def lab_step():
    """The lab's network (2-4-4-1, sigmoid, MSE) as a compiled step, run twice."""
    X, y = (Tensor(a, name=n) for a, n in zip(generate_xor_easy(), "Xy", strict=True))
    model = nn.MLP(2, (4, 4), 1, rng=0)
    loss_fn = nn.MSELoss()
    step = ag.compile(lambda X, y: loss_fn(model(X), y))
    step(X, y)
    step(X, y)
    return step, model, X, y


def test_the_tape_prints_the_wengert_list_of_the_lab_network():
    step, *_ = lab_step()
    lines = [line.strip().split("  ")[0] for line in str(step.tape).splitlines()[2:]]
    forward = lines[:lines.index("reverse sweep")]
    assert forward == ["v1 = X @ layers.0.weight", "v2 = v1 + layers.0.bias", "v3 = σ(v2)",
                       "v4 = v3 @ layers.2.weight", "v5 = v4 + layers.2.bias", "v6 = σ(v5)",
                       "v7 = v6 @ layers.4.weight", "v8 = v7 + layers.4.bias", "v9 = σ(v8)", "v10 = mse_loss(v9, y)"]
    reverse = lines[lines.index("reverse sweep") + 1:]
    assert reverse[:4] == ["v̄10 = 1", "v̄9 = 2·(v9 - y)/n · v̄10", "v̄8 = v̄9 ⊙ v9·(1 - v9)", "v̄7 = v̄8"]
    assert "layers.4.bias.grad += Σ₀(v̄8)" in reverse and "layers.0.weight.grad += Xᵀ @ v̄1" in reverse
    assert len(reverse) == 16


def test_linear_and_sigmoid_share_one_buffer_and_gradients_reuse_dead_ones():
    step, *_ = lab_step()
    tape = step.tape
    where = {line.name: line.where for line in tape.lines}
    assert where["v1"] == where["v2"] == where["v3"]  # X @ W, + b and σ in place in one buffer
    assert where["v̄8"] == where["v̄7"]  # a sum hands its gradient on: the same buffer
    assert len(tape.buffers) < len(tape.lines)
    assert ["v1", "v2", "v3"] == [v for v in tape.buffers[2].values if v.startswith("v")][:3]
    assert any(len(b.values) > 1 for b in tape.buffers)  # buffers hold several values, one after the other
    assert tape.nbytes < sum(np.prod(b.shape) * b.dtype.itemsize for b in tape.buffers)  # and share bytes


def test_replays_allocate_nothing_that_stays(rng):
    """10,000 replays of the lab step with an optimizer: traced memory flat."""
    step, model, X, y = lab_step()
    opt = nn.optim.SGD(model.parameters(), lr=1.0)

    def train(n):
        for _ in range(n):
            opt.zero_grad()
            step(X, y)
            opt.step()

    train(100)
    tracemalloc.start()
    try:
        train(1000)
        before = tracemalloc.get_traced_memory()[0]
        train(9000)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 2048, (before, after)
    assert step.recordings == 1


def test_two_steps_replayed_in_two_threads_give_each_its_eager_result():
    X, y = (Tensor(a) for a in generate_xor_easy())

    def train(compiled, seed, out):
        model = nn.MLP(2, (8,), 1, rng=seed)
        loss_fn, opt = nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.5)
        step = ag.compile(lambda X, y: loss_fn(model(X), y))
        for _ in range(300):
            opt.zero_grad()
            if compiled:
                loss = step(X, y)
            else:
                loss = loss_fn(model(X), y)
                loss.backward()
            opt.step()
        out[seed] = (loss.item(), [p.data.copy() for p in model.parameters()])

    eager, threaded = {}, {}
    for seed in (1, 2):
        train(False, seed, eager)
    workers = [threading.Thread(target=train, args=(True, seed, threaded)) for seed in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for seed in (1, 2):
        assert threaded[seed][0] == eager[seed][0]
        assert all(np.array_equal(a, b) for a, b in zip(threaded[seed][1], eager[seed][1], strict=True))


def test_one_step_shared_by_two_threads_replays_one_call_at_a_time(rng):
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    step = ag.compile(lambda x: (x @ W).tanh().sum())
    xs = [Tensor(rng.normal(size=(5, 3))) for _ in range(2)]
    want = [float(np.tanh(x.data @ W.data).sum()) for x in xs]
    got: dict[int, list[float]] = {0: [], 1: []}

    def run(i):
        for _ in range(200):
            got[i].append(step(xs[i]).item())

    workers = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(v == want[i] for i in (0, 1) for v in got[i])


def test_autograd_compile_is_the_package_and_the_function():
    import autograd.compile as package

    assert callable(ag.compile) and ag.compile is package
    assert isinstance(ag.compile(lambda x: x.sum()), package.CompiledStep)


def test_the_replay_is_written_out_as_python():
    step, *_ = lab_step()
    source = step.tape.source
    assert source.startswith("def replay(tensors, store=True):")
    assert "matmul(b0, " in source and "exp(" in source and "divide(" in source
    assert source.count("._grad = ") == 6  # each parameter without .grad gets the fresh gradient itself
    compile(source, "<tape>", "exec")  # valid Python


def test_a_leaf_with_a_grad_accumulates_and_one_without_gets_its_own_array():
    step, model, X, y = lab_step()
    W = model.layers[0].weight
    W.grad = None
    step(X, y)
    first = W.grad.copy()
    assert W.grad.flags.owndata
    step(X, y)
    np.testing.assert_array_equal(W.grad, 2 * first)
