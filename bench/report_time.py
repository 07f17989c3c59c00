"""The full report study's wall time: ``python -m experiments.report`` from an empty cache,
into a temporary folder, with its default worker pool (one process per core)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(quick: bool = False) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="chainrule-report-") as folder:
        out = Path(folder) / "report"
        args = [sys.executable, "-m", "experiments.report", "--out", str(out)] + (["--quick"] if quick else [])
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        runs = [json.loads(p.read_text()) for p in (out / ".cache").glob("*/metrics.json")]
    return {"seconds": seconds, "runs": len(runs), "workers": os.cpu_count() or 1,
            "stopped_early": sum(1 for r in runs if r.get("converged"))}
