"""G: a chain of scalar additions, y = (((x + c) + c) + ...), built and then differentiated.

Reported per op: recording the graph, the backward pass (the iterative topological order,
no recursion even at a million ops) and freeing the graph, and the same additions on numpy
scalars with no graph at all. Runs in a fresh process, the garbage collector off during the
timed parts (the graph holds no cycles; it is freed by reference counting).
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time


def build(x, c, length: int):
    """y = x + c + c + ... (``length`` additions)."""
    y = x
    for _ in range(length):
        y = y + c
    return y


def add_scalars(a, b, length: int):
    """a + b + b + ... on numpy scalars: the same additions with no graph."""
    for _ in range(length):
        a = a + b
    return a


def one_run(length: int) -> dict[str, float]:
    """One chain of ``length`` additions, timed part by part. Before it, the same code runs
    for 1.5 s and is thrown away: Python specialises a loop's bytecode only after many
    passes, and this machine runs short bursts slowly, so a cold first run would mislead."""
    import numpy as np

    from autograd import Tensor

    until = time.perf_counter() + 1.5
    while time.perf_counter() < until:
        build(Tensor(1.0, requires_grad=True), Tensor(1e-6), 1000).backward()
    gc.disable()
    try:
        x = Tensor(1.0, requires_grad=True)
        c = Tensor(1e-6)
        start = time.perf_counter()
        y = build(x, c, length)
        built = time.perf_counter()
        y.backward()
        walked = time.perf_counter()
        del y
        freed = time.perf_counter()
        a, b = np.float64(1.0), np.float64(1e-6)
        add_scalars(a, b, length)  # a warm-up of the very loop that is timed next
        plain = time.perf_counter()
        add_scalars(a, b, length)
        plain_done = time.perf_counter()
    finally:
        gc.enable()
    assert x.grad.item() == 1.0
    per = 1e6 / length
    return {"build_us": (built - start) * per, "backward_us": (walked - built) * per,
            "free_us": (freed - walked) * per, "numpy_scalar_us": (plain_done - plain) * per}


def measure(length: int, repeats: int) -> dict[str, float]:
    """Medians over ``repeats`` runs, each in a fresh process; ``total_us`` is build, backward
    and freeing together, per op."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-m", "bench.chain", str(length)], capture_output=True, text=True,
                              check=True)
        runs.append(json.loads(done.stdout))
    result = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    result["total_us"] = result["build_us"] + result["backward_us"] + result["free_us"]
    return result


if __name__ == "__main__":
    print(json.dumps(one_run(int(sys.argv[1]))))
