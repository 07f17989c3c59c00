"""Time implementations side by side: each in its own process, all alive at once, timed in
short slices taken in turn.

This machine's speed drifts by tens of percent over tens of seconds, so timing one
implementation after another misleads. Here every round gives each implementation one
slice of about ``slice_seconds`` (after a discarded warm-up step), the order rotating from
round to round; a figure is the median over the rounds, and each implementation is reported
as its ratio to the reference measured in the same rounds. A process also has luck of its
own (where its memory landed, which core it ran on), so the rounds are spread over a few
generations of fresh processes, and the workers are pinned to one core, which they take in
turn.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass

# One BLAS thread everywhere: the slices take turns, and a second thread would only add noise.
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Timing:
    seconds: float  # median per step
    faults: float  # median page faults per step
    ratio: float  # seconds / the reference's seconds


class Worker:
    def __init__(self, impl: str, workload: str, dtype: str) -> None:
        self.impl = impl
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.worker", impl, workload, dtype],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, **SINGLE_THREAD})
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(cores) > 1:  # every worker on the last core; this process keeps the others
            os.sched_setaffinity(self.proc.pid, {cores[-1]})
        self.unavailable: str | None = None
        first = self.read()
        if "unavailable" in first:
            self.unavailable = first["unavailable"]
            self.proc.wait()

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench worker {self.impl} ended without an answer (exit {self.proc.wait()})")
        return json.loads(line)

    def run(self, steps: int) -> dict:
        self.proc.stdin.write(json.dumps({"steps": steps}) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait()


def side_by_side(workload: str, dtype: str, impls: list[str], rounds: int = 12, slice_seconds: float = 0.15,
                 generations: int = 3) -> tuple[dict[str, Timing], list[str]]:
    """Median seconds and page faults per step of each implementation, and its ratio to the
    first one of ``impls`` (the reference), over ``rounds`` rounds spread across
    ``generations`` sets of fresh worker processes; also notes on implementations left out."""
    samples: dict[str, list[dict]] = {}
    notes: list[str] = []
    generations = max(1, min(generations, rounds))
    for generation in range(generations):
        workers: dict[str, Worker] = {}
        try:
            for impl in impls:
                worker = Worker(impl, workload, dtype)
                if worker.unavailable:
                    if generation == 0:
                        notes.append(worker.unavailable)
                else:
                    workers[impl] = worker
            counts = {}
            for impl, worker in workers.items():  # calibrate: steps that fill one slice
                per_step = worker.run(1)["seconds"]
                counts[impl] = max(1, round(slice_seconds / max(per_step, 1e-7)))
            order = list(workers)
            share = rounds // generations + (generation < rounds % generations)
            for r in range(share):
                for impl in order[r % len(order):] + order[:r % len(order)]:
                    samples.setdefault(impl, []).append(workers[impl].run(counts[impl]))
        finally:
            for worker in workers.values():
                worker.close()
    medians = {impl: (statistics.median(s["seconds"] for s in got), statistics.median(s["faults"] for s in got))
               for impl, got in samples.items()}
    reference = medians[impls[0]][0]
    return {impl: Timing(sec, flt, sec / reference) for impl, (sec, flt) in medians.items()}, notes


def memory(impl: str, workload: str, dtype: str, long_run: int = 0) -> dict[str, float] | None:
    """Traced memory of one implementation (see bench.worker.memory), in a fresh process."""
    args = [sys.executable, "-m", "bench.worker", impl, workload, dtype, "--memory"]
    done = subprocess.run(args + ([str(long_run)] if long_run else []), capture_output=True, text=True,
                          env={**os.environ, **SINGLE_THREAD}, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return None if "unavailable" in answer else answer
