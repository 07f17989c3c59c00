"""Sweeps on a real Dask cluster: a LocalCluster of worker processes gives exactly the numbers
of the local processes, and a worker killed mid-sweep ends with every run done or named as
failed, the finished ones kept."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace

import dask
import pytest
from distributed import Client, LocalCluster

from experiments import grid, sweep
from experiments.cache import Cache
from experiments.study import Job, RunsFailedError, run_jobs
from tests.experiments.processes import assert_no_process_left

GRID = ["--dataset", "xor", "--epochs", "80", "--lr", "1", "0.2", "--hidden", "4 4", "3", "--seeds", "2"]


def numbers(out):
    """Every run's numbers but its wall time, by run."""
    with (out / "runs.csv").open(newline="") as f:
        return {tuple(r[k] for k in ("lr", "hidden", "seed")): {k: v for k, v in r.items() if k != "wall_time_seconds"}
                for r in csv.DictReader(f)}


def test_a_local_cluster_gives_exactly_the_numbers_of_local_processes(tmp_path, capsys):
    assert sweep.main([*GRID, "--workers", "2", "--out", str(tmp_path / "local")]) == 0
    assert sweep.main([*GRID, "--dask", "local", "--workers", "2", "--out", str(tmp_path / "dask")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Dask scheduler at tcp://127\.0\.0\.1:\d+, 2 workers", out)
    local, on_dask = numbers(tmp_path / "local"), numbers(tmp_path / "dask")
    assert len(local) == 8 and local == on_dask
    for entry in (tmp_path / "local" / ".cache").iterdir():  # the metrics files too, bar the wall time
        twin = tmp_path / "dask" / ".cache" / entry.name
        assert _without_time((entry / "metrics.json").read_text()) == _without_time((twin / "metrics.json").read_text())


def _without_time(text):
    metrics = json.loads(text)
    metrics.pop("wall_time_seconds")
    return metrics


def jobs_of(argv, seeds):
    return [Job(replace(c.config, seed=s)) for c in grid.from_argv(argv).cells() for s in range(seeds)]


def kill_a_busy_worker(client):
    """SIGKILL the process of a worker that is running a task (as the out-of-memory killer would)."""
    busy = [w for w, keys in client.processing().items() if keys] or list(client.scheduler_info()["workers"])
    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
    os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("allowed_failures", [3, 0])
def test_a_worker_killed_mid_sweep_ends_with_every_run_done_or_named_as_failed(tmp_path, allowed_failures):
    jobs = jobs_of(["--dataset", "xor", "--epochs", "1500", "--lr", "1", "0.5", "0.2"], seeds=2)
    cache = Cache(tmp_path / "cache")
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        finished = []
        killed = threading.Event()

        def progress(job, failed=False):
            finished.append((job, failed))
            if not killed.is_set():
                killed.set()
                kill_a_busy_worker(client)

        try:
            ran = run_jobs(jobs, cache, executor=client.get_executor(), progress=progress)
            failed = []
        except RunsFailedError as err:
            ran, failed = None, err.failed
            assert err.not_started == [] and str(err).startswith(f"{len(failed)} run")
            assert all(job.label() in str(err) for job, _ in failed[:3])
    done = [job for job in jobs if cache.has(job)]
    assert len(finished) == len(jobs)  # every run ended, one way or the other
    done_keys, failed_keys = {j.config.key() for j in done}, {j.config.key() for j, _ in failed}
    assert not done_keys & failed_keys and done_keys | failed_keys == {j.config.key() for j in jobs}
    if allowed_failures:
        assert ran == len(jobs) and not failed  # the lost run was run again on the other worker
    else:
        assert failed and all("KilledWorker" in reason for _, reason in failed)
        assert len(done) == len(jobs) - len(failed)


def test_ctrl_c_on_a_local_cluster_closes_it_and_keeps_the_finished_runs(tmp_path):
    out = tmp_path / "sweep"
    args = [sys.executable, "-m", "experiments.sweep", "--dataset", "xor", "--epochs", "4000", "--lr", "1", "0.5",
            "0.3", "--seeds", "2", "--dask", "local", "--workers", "2", "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 120
    while not list((out / ".cache").glob("*/metrics.json")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the cluster's processes get it too
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    kept = re.fullmatch(r"interrupted: (\d+) finished runs? (?:is|are) kept in \S+, so the same command computes "
                        r"only the rest\n", err)
    assert kept and int(kept.group(1)) == len(list((out / ".cache").glob("*/metrics.json"))) >= 1, err
    assert_no_process_left(proc.pid)  # the cluster's scheduler and workers closed
