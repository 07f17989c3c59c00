"""One implementation of one workload, in a process of its own, timed on request.

    python -m bench.worker IMPL WORKLOAD DTYPE          # timing: reads commands on stdin
    python -m bench.worker IMPL WORKLOAD DTYPE --memory # traced memory, then exits

Timing protocol (one JSON object per line): the worker prints {"ready": true} once its step
is built and has run once; then, for each {"steps": n} it reads, it runs one warm-up step
(discarded) and n timed steps, and prints {"seconds": s, "faults": f}, both per step (page
faults from ``resource.getrusage``). An empty line or end of input ends it.

The allocator is left at its default: the point is to see what numpy's fresh arrays cost.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
import tracemalloc


def faults() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def serve(step) -> None:
    step()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        n = int(json.loads(line)["steps"])
        step()  # warm-up: whatever the other processes did to the caches is undone here
        f0, t0 = faults(), time.perf_counter()
        for _ in range(n):
            step()
        seconds = (time.perf_counter() - t0) / n
        print(json.dumps({"seconds": seconds, "faults": (faults() - f0) / n}), flush=True)


def memory(make, long_run: int) -> dict[str, float]:
    """Peak traced memory of one step, counting everything made since the step was built
    (data, parameters, pooled arrays, the step's own arrays; not the modules' import), and,
    when ``long_run`` > 0, the traced memory after 1,000 and after ``long_run`` steps."""
    make()  # imports and first-use caches, outside the count
    gc.collect()
    tracemalloc.start()
    step = make()
    for _ in range(3):
        step()
    gc.collect()
    tracemalloc.reset_peak()
    step()
    result = {"peak_bytes": tracemalloc.get_traced_memory()[1]}
    if long_run:
        for i in range(4, long_run + 1):
            step()
            if i in (1_000, long_run):
                gc.collect()
                result[f"after_{i}_bytes"] = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return result


def main(argv: list[str]) -> int:
    from bench.workloads import make_step

    impl, workload, dtype = argv[:3]
    try:
        make = lambda: make_step(impl, workload, dtype)  # noqa: E731
        if "--memory" in argv:
            long_run = int(argv[argv.index("--memory") + 1]) if len(argv) > 4 else 0
            print(json.dumps(memory(make, long_run)), flush=True)
            return 0
        step = make()
    except ImportError as err:
        print(json.dumps({"unavailable": f"{impl} is not installed ({err.name})"}), flush=True)
        return 0
    serve(step)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
