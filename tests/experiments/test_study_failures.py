"""When a study or a sweep meets trouble: Ctrl-C, a worker killed by the system, too many
workers, a cache folder that cannot be written or fills up, damaged cache entries. Each ends in
one line (exit 130 after Ctrl-C, 2 for a bad flag, 1 otherwise), no traceback, no worker left
running, and every finished run kept. Real processes receive real signals."""

import concurrent.futures
import contextlib
import fcntl
import json
import multiprocessing
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from experiments import executors, grid, pool, report, study, sweep
from experiments.cache import Cache
from experiments.study import Job, run_jobs
from tests.experiments.processes import assert_no_process_left, worker_processes

ROOT = Path(__file__).resolve().parents[2]
KEPT = re.compile(r"(\d+) finished runs? (?:is|are) kept in (\S+), so the same command computes only the rest")


# ---- helpers ------------------------------------------------------------------------------------
def start(args, **kwargs):
    """A CLI of the project in its own session (as a terminal's job), unbuffered."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, text=True, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=kwargs.pop("stderr", subprocess.PIPE), **kwargs)


def wait_for(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def finished_entries(cache_dir):
    return list(Path(cache_dir).glob("*/metrics.json"))


SWEEP = ["experiments.sweep", "--dataset", "xor", "--epochs", "4000", "--lr", "1", "0.5", "0.3", "0.2",
         "--seeds", "2", "--workers", "2"]


def sweep_jobs():
    cells = grid.from_argv(SWEEP[1:-4]).cells()
    return [Job(replace(c.config, seed=s)) for c in cells for s in (0, 1)]


def assert_cache_sound(cache_dir, jobs):
    """Every run is either wholly in the cache or not at all; returns how many are."""
    cache = Cache(cache_dir)
    states = [cache.problem(job) for job in jobs]
    assert set(states) <= {None, "missing"}, states
    return states.count(None)


# ---- Ctrl-C ---------------------------------------------------------------------------------------
def test_ctrl_c_during_the_report_says_what_was_kept_and_exits_130(tmp_path):
    out = tmp_path / "report"
    proc = start(["experiments.report", "--quick", "--out", str(out), "--workers", "2"])
    assert re.fullmatch(r"\d+ runs in the study, 0 cached, \d+ to run\n", proc.stdout.readline())
    wait_for(lambda: len(worker_processes(proc.pid)) == 2)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: to the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    kept = KEPT.search(err)
    assert err.startswith("interrupted: ") and kept and kept.group(2) == str(out / ".cache"), err
    assert int(kept.group(1)) == len(finished_entries(out / ".cache"))
    assert_no_process_left(proc.pid)


def test_ctrl_c_during_a_sweep_keeps_every_finished_run(tmp_path, capsys):
    out = tmp_path / "sweep"
    proc = start([*SWEEP, "--out", str(out)])
    wait_for(lambda: finished_entries(out / ".cache"))
    os.kill(proc.pid, signal.SIGINT)  # to the main process only (kill -INT): it ends its workers itself
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    kept = int(KEPT.search(err).group(1))
    assert 1 <= kept < 8 and assert_cache_sound(out / ".cache", sweep_jobs()) == kept
    assert_no_process_left(proc.pid)
    # the same command again computes only the rest
    assert sweep.main([*SWEEP[1:], "--out", str(out)]) == 0
    assert f"8 runs; {kept} cached, {8 - kept} to run" in capsys.readouterr().out


# ---- a worker killed by the system ------------------------------------------------------------
def test_a_worker_killed_with_sigkill_names_the_lost_runs_and_keeps_the_finished(tmp_path):
    out = tmp_path / "sweep"
    proc = start([*SWEEP, "--out", str(out)])
    wait_for(lambda: finished_entries(out / ".cache") and len(worker_processes(proc.pid)) == 2)
    os.kill(worker_processes(proc.pid)[0], signal.SIGKILL)  # as the out-of-memory killer does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert re.match(r"error: (\d) runs? failed: a worker process was killed \(by a signal, as the out-of-memory "
                    r"killer does\) and the pool stopped, losing the runs in progress \[xor, 2-4-4-1 sigmoid, SGD "
                    r"lr=[\d.]+, MSE, 4000 epochs, seed \d", err), err
    lost = int(re.match(r"error: (\d) run", err).group(1))
    kept = int(KEPT.search(err).group(1))
    not_started = int(m.group(1)) if (m := re.search(r"; (\d+) runs did not start", err)) else 0
    assert 1 <= lost <= 2 and kept >= 1 and lost + kept + not_started == 8
    assert assert_cache_sound(out / ".cache", sweep_jobs()) == kept
    assert_no_process_left(proc.pid)


# ---- flags ---------------------------------------------------------------------------------------
def test_workers_are_capped_at_the_cpu_count_with_a_note(tmp_path, capsys, monkeypatch):
    cpus = pool.cpu_count()
    assert pool.capped_workers(1_000_000) == (cpus, f"note: --workers 1000000 is more than the {cpus} CPUs here; "
                                                    f"using {cpus}")
    assert pool.capped_workers(1) == (1, None) and pool.capped_workers(None) == (cpus, None)
    made = []
    real_pool = pool.local_pool

    def recording_pool(workers):
        made.append(workers)
        return real_pool(workers)

    monkeypatch.setattr(pool, "local_pool", recording_pool)
    assert sweep.main(["--epochs", "30", "--seeds", "2", "--workers", "1000000", "--out", str(tmp_path)]) == 0
    assert made == [cpus] and f"using {cpus}" in capsys.readouterr().err
    asked = []
    monkeypatch.setattr(report, "build", lambda out, **kw: asked.append(kw["workers"]) or (out / "a", out / "b"))
    assert report.main(["--out", str(tmp_path / "report"), "--workers", "1000000"]) == 0
    assert asked == [cpus] and f"note: --workers 1000000 is more than the {cpus} CPUs here" in capsys.readouterr().err


@contextlib.contextmanager
def small_tmpfs(path, size, read_only=False):
    """A tmpfs of ``size`` at ``path`` (a full or read-only disk): needs root, which ignores
    file permissions, so chmod could not make a read-only folder for it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a full or read-only disk) needs root")
    path.mkdir()
    options = f"size={size},mode=0777" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("cli", ["sweep", "report"])
@pytest.mark.parametrize("where", ["a file", "under /dev/null", "read-only"])
def test_a_cache_dir_that_cannot_be_written_is_named_in_one_line(cli, where, tmp_path, capsys):
    with contextlib.ExitStack() as stack:
        if where == "a file":
            cache, reason = tmp_path / "file", "it is not a folder"
            cache.write_text("x")
        elif where == "under /dev/null":
            cache, reason = Path("/dev/null/cache"), "Not a directory"
        else:
            cache, reason = stack.enter_context(small_tmpfs(tmp_path / "ro", "64k", True)) / "cache", \
                "Read-only file system"
        main = sweep.main if cli == "sweep" else report.main
        with pytest.raises(SystemExit) as info:
            main(["--out", str(tmp_path / "out"), "--cache-dir", str(cache)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].endswith(f"error: cannot write to --cache-dir {cache}: {reason}")


def test_a_full_disk_under_the_cache_dir_ends_in_one_line_keeping_whole_runs(tmp_path, capsys):
    argv = ["--dataset", "xor", "--epochs", "300", "--lr", "1", "0.8", "0.6", "0.4", "0.2", "--seeds", "2"]
    with small_tmpfs(tmp_path / "full", "24k") as disk:
        code = sweep.main([*argv, "--workers", "2", "--out", str(tmp_path / "out"), "--cache-dir", str(disk)])
        err = capsys.readouterr().err
        assert code == 1 and "Traceback" not in err
        assert re.fullmatch(rf"error: cannot write to the cache {disk}/\w+-\w+: No space left on device\n", err), err
        jobs = [Job(replace(c.config, seed=s)) for c in grid.from_argv(argv[:-2]).cells() for s in (0, 1)]
        assert assert_cache_sound(disk, jobs) < len(jobs)


# ---- damaged cache entries -------------------------------------------------------------------------
def damage(entry: Path, how: str, tmp_path: Path) -> str:
    """Damage a finished run's cache entry; what the warning must say."""
    metrics = entry / "metrics.json"
    if how == "truncated":
        metrics.write_bytes(metrics.read_bytes()[:100])
        return "metrics.json is not valid JSON"
    if how in ("[]", "{}", '{"config": 1}'):
        metrics.write_text(how)
        return {"[]": "metrics.json holds a JSON list, not an object", "{}": "metrics.json has no 'config'",
                '{"config": 1}': "metrics.json's 'config' is 1, not an object"}[how]
    if how == "another run's":
        data = json.loads(metrics.read_text())
        data["config"]["lr"] = 0.123
        metrics.write_text(json.dumps(data))
        return "metrics.json belongs to another configuration"
    if how == "a folder":
        metrics.unlink()
        metrics.mkdir()
        return "metrics.json is not a file"
    if how == "a symlink":
        outside = tmp_path / "outside.json"
        outside.write_bytes(metrics.read_bytes())
        metrics.unlink()
        metrics.symlink_to(outside)
        return "metrics.json is a symlink"
    for child in entry.iterdir():  # the entry itself is a file
        child.unlink()
    entry.rmdir()
    entry.write_text("x")
    return "it is not a folder"


@pytest.mark.parametrize("how", ["truncated", "[]", "{}", '{"config": 1}', "another run's", "a folder", "a symlink",
                                 "entry is a file"])
def test_a_damaged_cache_entry_is_named_and_computed_again(how, tmp_path):
    job = Job(grid.train_config(["--dataset", "xor", "--epochs", "40"]))
    cache = Cache(tmp_path / "cache")
    run_jobs([job], cache, executor=ThreadPoolExecutor(1))
    good = cache.metrics(job.config)
    said = damage(cache.path(job.config), how, tmp_path)
    warnings = []
    assert run_jobs([job], cache, executor=ThreadPoolExecutor(1), warn=warnings.append) == 1
    assert len(warnings) == 1 and warnings[0].endswith("; computing that run again"), warnings
    assert warnings[0].startswith(f"warning: the cache entry {cache.path(job.config)} is damaged ({said}"), warnings
    again = cache.metrics(job.config)
    assert cache.has(job) and {**again, "wall_time_seconds": 0} == {**good, "wall_time_seconds": 0}
    if how == "a symlink":  # the link was replaced, never written through
        assert json.loads((tmp_path / "outside.json").read_text())["wall_time_seconds"] == good["wall_time_seconds"]
        assert not (cache.path(job.config) / "metrics.json").is_symlink()


# ---- progress ----------------------------------------------------------------------------------------
def test_progress_without_a_terminal_is_a_line_at_each_tenth_counting_cached_runs():
    from experiments.progress import RunProgress

    lines = []
    with RunProgress(132, 32, log=lines.append, bar=False) as progress:
        for _ in range(100):
            progress()
    assert [re.sub(r", \d+ s$", "", line) for line in lines] == \
        [f"runs: {32 + k}/132 done (32 cached)" for k in range(10, 101, 10)]


def test_progress_on_a_terminal_is_a_bar_over_every_run_counting_cached_ones(tmp_path):
    argv = ["experiments.sweep", "--epochs", "200", "--lr", "1", "0.5", "--seeds", "2", "--workers", "2"]
    assert sweep.main([*argv[1:6], "--seeds", "1", "--out", str(tmp_path)]) == 0  # 2 of the 4 runs cached
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    proc = start([*argv, "--out", str(tmp_path)], stderr=terminal)
    os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the process has closed the terminal
        while chunk := os.read(controller, 4096):
            shown += chunk
    os.close(controller)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    text = shown.decode()
    assert re.search(r"runs:\s+50%.*\b2/4\b.*2 cached", text), text
    assert "runs: " not in out  # the lines are for logs, not terminals


# ---- runs that fail ---------------------------------------------------------------------------------
def test_a_run_that_fails_is_named_while_the_others_finish(tmp_path, monkeypatch, capsys):
    jobs = [Job(grid.train_config(["--epochs", "30", "--lr", lr])) for lr in ("1", "0.5", "0.2")]
    real = study.run_job

    def run_job(job, code=None):
        if job.config.lr == 0.5:
            raise ValueError("the loss function broke\nsecond line")
        return real(job, code)

    monkeypatch.setattr(study, "run_job", run_job)
    cache = Cache(tmp_path / "cache")
    with pytest.raises(study.RunsFailedError) as info:
        run_jobs(jobs, cache, executor=ThreadPoolExecutor(2))
    assert [(j.config.lr, reason) for j, reason in info.value.failed] == [(0.5, "ValueError: the loss function broke")]
    assert [cache.has(j) for j in jobs] == [True, False, True]
    assert executors.finish(lambda: run_jobs(jobs, cache, executor=ThreadPoolExecutor(2)), cache.folder) == 1
    assert capsys.readouterr().err == (
        f"error: 1 run failed: ValueError: the loss function broke [{jobs[1].label()}]; 2 finished runs are kept in "
        f"{cache.folder}, so the same command computes only the rest\n")


def test_a_worker_running_other_code_refuses_the_run_naming_both_hashes(tmp_path, monkeypatch):
    monkeypatch.setattr(study, "_worker_fingerprint", lambda: "0123456789abcdef")
    cache = Cache(tmp_path / "cache")
    job = Job(grid.train_config(["--epochs", "30"]))
    with pytest.raises(study.RunsFailedError) as info:
        run_jobs([job], cache, executor=ThreadPoolExecutor(1))
    assert info.value.failed[0][1] == (f"RuntimeError: this worker runs other code than the client (code hash "
                                       f"0123456789abcdef, the client's {cache.fingerprint}): install the same "
                                       f"chainrule on every worker")
    assert not cache.has(job)


@pytest.mark.parametrize("ignore", [False, True])
def test_a_ctrl_c_while_workers_start_is_held_not_lost(ignore):
    code = ("import os, signal, time\nfrom experiments.pool import sigint_held\ntry:\n"
            f"    with sigint_held(ignore={ignore}):\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n        time.sleep(0.2)\n        print('held')\n"
            "    time.sleep(0.5)\n    print('lost')\nexcept KeyboardInterrupt:\n    print('delivered')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.stdout.split() == ["held", "delivered"], done.stderr


def test_a_worker_killed_while_the_pool_does_not_notice_is_still_found(tmp_path, monkeypatch):
    """concurrent.futures waits forever for a result whose sender was killed mid-message; the
    runner notices the dead worker itself. Here the pool never answers at all, and a real worker
    process is killed."""

    class Deaf(concurrent.futures.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            super().submit(time.sleep, 30)  # a real worker, busy
            return concurrent.futures.Future()  # whose answer never comes

    @contextlib.contextmanager
    def deaf_pool(workers):
        deaf = Deaf(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield deaf
        finally:
            for process in multiprocessing.active_children():
                process.kill()
            deaf.shutdown(wait=False, cancel_futures=True)

    monkeypatch.setattr(pool, "local_pool", deaf_pool)
    jobs = [Job(grid.train_config(["--epochs", "30", "--lr", lr])) for lr in ("1", "0.5", "0.2")]

    def kill_one():
        wait_for(lambda: len(multiprocessing.active_children()) == 2, timeout=60)
        time.sleep(0.5)
        os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)

    outcome = []

    def run():
        try:
            run_jobs(jobs, Cache(tmp_path / "cache"), workers=2)
        except study.RunsFailedError as err:
            outcome.append(err)

    killer, runner = threading.Thread(target=kill_one), threading.Thread(target=run, daemon=True)
    killer.start()
    runner.start()
    runner.join(timeout=30)  # without the watch it would wait forever
    killer.join()
    for process in multiprocessing.active_children():
        process.kill()
    assert not runner.is_alive() and outcome, "the killed worker went unnoticed"
    failed, not_started = outcome[0].failed, outcome[0].not_started
    assert [reason for _, reason in failed] == [study.BROKEN] * 2 and len(not_started) == 1


def blas_threads_setting() -> str | None:
    return os.environ.get("OPENBLAS_NUM_THREADS")


def test_workers_start_with_a_one_thread_blas_and_the_client_keeps_its_own(monkeypatch):
    # Two workers each running a two-thread BLAS on two cores ran the report's chessboard runs
    # six times slower (the workers start on submit, after the pool is made).
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with pool.local_pool(2) as workers:
        seen = {workers.submit(blas_threads_setting).result() for _ in range(4)}
    assert seen == {"1"}
    assert "OPENBLAS_NUM_THREADS" not in os.environ
