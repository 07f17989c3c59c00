"""A chain of a million scalar ops: forward, backward (iterative topological sort), and
freeing the graph, against the same million numpy additions without a graph."""

from __future__ import annotations

import gc
import time

import numpy as np

from autograd import Tensor


def run(length: int = 1_000_000) -> None:
    gc.disable()
    try:
        start = time.perf_counter()
        x = Tensor(1.0, requires_grad=True)
        one = Tensor(1e-6)
        y = x
        for _ in range(length):
            y = y + one
        built = time.perf_counter()
        y.backward()
        walked = time.perf_counter()
        del y
        freed = time.perf_counter()
        a, b = np.float64(1.0), np.float64(1e-6)
        plain = time.perf_counter()
        for _ in range(length):
            a = a + b
        plain_done = time.perf_counter()
    finally:
        gc.enable()
    per = (plain_done - plain) / length
    print(f"\nA chain of {length:,} additions (scalars)")
    for label, seconds in (("forward, recording the graph", built - start), ("backward", walked - built),
                           ("freeing the graph", freed - walked), ("numpy scalars, no graph", plain_done - plain)):
        print(f"  {label:30s} {seconds:7.2f} s   {seconds / length / per:7.1f}× numpy's per op")


if __name__ == "__main__":
    run()
