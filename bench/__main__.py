"""Run the benchmarks and write their tables: python -m bench [options].

    python -m bench                      # everything: speed, chain, memory, the report's wall time
    python -m bench --quick              # fewer rounds, no L workload, no report study
    python -m bench --only speed --workloads S M --dtypes float64

Speed figures are ratios to the hand-written numpy step measured side by side in the same
rounds (``bench/sidebyside.py``). Results go to ``bench/results/`` (ignored by git) as
``latest.md`` and ``latest.json``, plus a time-stamped copy of the JSON.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from bench import chain, report_time
from bench.sidebyside import Timing, memory, side_by_side
from bench.workloads import DTYPES, WORKLOADS

SECTIONS = ("speed", "chain", "memory", "report")
RESULTS = Path(__file__).resolve().parent / "results"

# The targets: the engine's time over the hand-written numpy step's, same run.
SPEED_TARGETS = {"X": 2.5, "S": 2.5, "M": 1.1, "L": 1.1, "C": 2.0}  # the plain eager engine (issue 11)
COMPILED_TARGETS = {"X": 1.0, "S": 1.0, "M": 0.45, "L": 0.75}  # the compiled step (issue 12)
COMPILED_MEMORY_TARGET = 1.2
CHAIN_TARGET_US = 5.0
MEMORY_TARGET = 1.6
REPORT_TARGET_S = 90.0  # the study trains through the compiled step


def machine() -> dict[str, Any]:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "date": datetime.date.today().isoformat()}
    for module in ("torch", "jax", "micrograd"):
        if importlib.util.find_spec(module):
            info[module] = getattr(__import__(module), "__version__", "installed")
    return info


def speed(workloads: list[str], dtypes: list[str], rounds: int, out: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    out += ["## Training step, side by side", "",
            "Median per step over the rounds, and the ratio to the hand-written numpy step timed in the same rounds "
            "(each implementation in its own process, three generations of fresh processes, one BLAS thread, the "
            "workers pinned to one core). Faults: page faults per step.", "",
            "| workload | dtype | implementation | per step | ratio | faults | target |",
            "|---|---|---|---|---|---|---|"]
    for name in workloads:
        for dtype in (["float64"] if name == "C" else dtypes):
            impls = (["numpy", "chainrule", "compiled"] + ([] if name == "C" else ["torch", "jax"])
                     + (["micrograd"] if name == "X" else []))
            slow = name == "L"
            timings, notes = side_by_side(name, dtype, impls, rounds=max(3, rounds // 3) if slow else rounds,
                                          slice_seconds=0.15, generations=1 if slow else 3)
            results[f"{name}/{dtype}"] = {impl: vars(t) for impl, t in timings.items()} | {"notes": notes}
            for impl, t in timings.items():
                target = ""
                limit = {"chainrule": SPEED_TARGETS, "compiled": COMPILED_TARGETS}.get(impl, {}).get(name)
                if limit is not None:
                    target = f"≤ {limit}× {'✓' if t.ratio <= limit else '✗'}"
                out.append(f"| {name} | {dtype} | {impl} | {_duration(t)} | {t.ratio:.2f}× | {t.faults:.0f} "
                           f"| {target} |")
            for note in notes:
                out.append(f"| {name} | {dtype} | ({note}) | | | | |")
            print("\n".join(out[-len(timings) - len(notes):]), flush=True)
    return results


def _duration(t: Timing) -> str:
    return f"{t.seconds * 1e3:.1f} ms" if t.seconds >= 0.01 else f"{t.seconds * 1e6:.1f} µs"


def chains(lengths: list[int], out: list[str]) -> dict[str, Any]:
    results = {}
    out += ["", "## G: a chain of scalar additions (build + backward + free)", "",
            "Microseconds per op, median of fresh processes.", "",
            "| ops | build | backward | free | total | numpy scalars, no graph | target |",
            "|---|---|---|---|---|---|---|"]
    for length in lengths:
        r = chain.measure(length, repeats=5 if length <= 10_000 else 3)
        results[str(length)] = r
        ok = "✓" if r["total_us"] <= CHAIN_TARGET_US else "✗"
        out.append(f"| {length:,} | {r['build_us']:.2f} | {r['backward_us']:.2f} | {r['free_us']:.2f} | "
                   f"{r['total_us']:.2f} | {r['numpy_scalar_us']:.3f} | ≤ {CHAIN_TARGET_US} µs {ok} |")
        print(out[-1], flush=True)
    return results


def memories(workloads: list[str], long_run: int, out: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    out += ["", "## Memory (tracemalloc, float64)", "",
            "Peak traced memory during one step, counting everything made since the step was built (data, parameters, "
            "the engine's pooled arrays), against the numpy step's.", "",
            "| workload | numpy peak | chainrule peak | ratio | target | compiled peak | ratio | target |",
            "|---|---|---|---|---|---|---|---|"]
    for name in workloads:
        ref = memory("numpy", name, "float64")
        row = f"| {name} | {_bytes(ref['peak_bytes'])} "
        results[name] = {"numpy": ref}
        for impl, limit in (("chainrule", MEMORY_TARGET), ("compiled", COMPILED_MEMORY_TARGET)):
            eng = memory(impl, name, "float64", long_run if name == "S" else 0)
            ratio = eng["peak_bytes"] / ref["peak_bytes"]
            results[name] |= {impl: eng, f"{impl}_ratio": ratio}
            row += f"| {_bytes(eng['peak_bytes'])} | {ratio:.2f}× | ≤ {limit}× {'✓' if ratio <= limit else '✗'} "
            if name == "S" and long_run:
                before, after = eng["after_1000_bytes"], eng[f"after_{long_run}_bytes"]
                results[f"growth_{impl}"] = {"after_1000": before, f"after_{long_run}": after, "ratio": after / before}
        out.append(row + "|")
        print(out[-1], flush=True)
    for impl in ("chainrule", "compiled"):
        if f"growth_{impl}" in results:
            g = results[f"growth_{impl}"]
            out += ["", f"Traced memory of the S step between steps ({impl}): {_bytes(g['after_1000'])} after 1,000 "
                        f"steps, {_bytes(g[f'after_{long_run}'])} after {long_run:,} (ratio {g['ratio']:.3f})."]
            print(out[-1], flush=True)
    return results


def _bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def report(out: list[str]) -> dict[str, Any]:
    r = report_time.measure()
    ok = "✓" if r["seconds"] <= REPORT_TARGET_S else "✗"
    out += ["", "## The report study", "",
            f"`python -m experiments.report` (full study through the compiled step, {r['runs']} training runs on "
            f"{r['workers']} worker processes): "
            f"**{r['seconds']:.0f} seconds** (target under {REPORT_TARGET_S:.0f} {ok}); "
            f"{r['stopped_early']} runs stopped early (see the report's method section)."]
    print(out[-1], flush=True)
    return r


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to run")
    parser.add_argument("--workloads", nargs="+", choices=[*WORKLOADS, "C"], default=None,
                        help="speed workloads (default: X S M L C; --quick: X S M C)")
    parser.add_argument("--dtypes", nargs="+", choices=list(DTYPES), default=list(DTYPES))
    parser.add_argument("--rounds", type=int, default=None, help="timing rounds per workload (default 18, quick 6)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds; no L, no 10^6 chain, no report study")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.md and latest.json")
    args = parser.parse_args(argv)
    workloads = args.workloads or (["X", "S", "M", "C"] if args.quick else ["X", "S", "M", "L", "C"])
    rounds = args.rounds or (6 if args.quick else 18)
    sections = [s for s in SECTIONS if s in args.only and not (args.quick and s == "report")]

    info = machine()
    out = [f"# Benchmarks ({info['date']})", "",
           f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, numpy {info['numpy']}"
           + "".join(f", {m} {info[m]}" for m in ("torch", "jax", "micrograd") if m in info) + ".", ""]
    results: dict[str, Any] = {"machine": info}
    if "speed" in sections:
        results["speed"] = speed(workloads, args.dtypes, rounds, out)
    if "chain" in sections:
        results["chain"] = chains([10_000] if args.quick else [10_000, 1_000_000], out)
    if "memory" in sections:
        results["memory"] = memories([w for w in workloads if w != "C"] or ["S"], 2_000 if args.quick else 10_000, out)
    if "report" in sections:
        results["report"] = report(out)

    args.out.mkdir(parents=True, exist_ok=True)
    from autograd.teach import write_atomic

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(results, indent=2)
    write_atomic(args.out / "latest.md", "\n".join(out) + "\n")
    write_atomic(args.out / "latest.json", text)
    write_atomic(args.out / f"bench-{stamp}.json", text)
    print(f"\nwrote {args.out / 'latest.md'} and {args.out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
