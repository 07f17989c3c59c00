"""OutputSet: a run's files replace the previous run's together, or not at all."""

import os
import signal
import subprocess
import sys
import time

import pytest

from autograd.teach import write_atomic
from experiments import outputs
from experiments.outputs import OutputSet, interrupt_deferred, unstaged

OWNED = ("*.png", "graph.svg", "graph.dot", "metrics.json")


def folder_with_old_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    for name in ("curve.png", "graph.dot", "metrics.json"):
        (out / name).write_text(f"old {name}")
    (out / "notes.txt").write_text("the user's own file")
    return out


def contents(folder):
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_new_set_replaces_the_old_one_whole_and_leaves_other_files_alone(tmp_path):
    out = folder_with_old_run(tmp_path)
    files = OutputSet(out, OWNED)
    assert files.previous == ["curve.png", "graph.dot", "metrics.json"]
    names = ("metrics.json", "graph.svg")
    written = files.write(lambda staging: [write_atomic(staging / n, f"new {n}") for n in names])
    assert written == [out / "metrics.json", out / "graph.svg"]
    # curve.png and graph.dot belonged to the old run: gone, so nothing old stays beside the new files
    assert contents(out) == {"graph.svg": "new graph.svg", "metrics.json": "new metrics.json",
                             "notes.txt": "the user's own file"}
    assert files.kept() == f"this run's files are all in {out}"


def test_an_error_while_writing_leaves_the_old_set_and_no_staging_folder(tmp_path):
    out = folder_with_old_run(tmp_path)
    before = contents(out)
    files = OutputSet(out, OWNED)

    def write(staging):
        write_atomic(staging / "metrics.json", "new")
        raise OSError(28, "No space left on device", str(staging / "curve.png"))

    with pytest.raises(OSError) as info:
        files.write(write)
    assert contents(out) == before and [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert files.failure(info.value) == (
        f"error: could not write {out / 'curve.png'}: No space left on device; {out} keeps the previous run's "
        f"files as they were (curve.png, graph.dot, metrics.json); none of this run's files were kept")


def test_a_rename_that_fails_half_way_puts_everything_back(tmp_path, monkeypatch):
    out = folder_with_old_run(tmp_path)
    before = contents(out)
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 4:  # new a.png in, old metrics.json aside, new one in; moving curve.png out fails
            raise OSError(5, "Input/output error", str(dst))
        real_replace(src, dst)

    def write(staging):
        made = [write_atomic(staging / name, "new") for name in ("a.png", "metrics.json")]
        monkeypatch.setattr(os, "replace", failing_replace)  # from here on: the set's renames
        return made

    with pytest.raises(OSError, match="Input/output error"):
        OutputSet(out, OWNED).write(write)
    monkeypatch.undo()
    assert contents(out) == before and len(calls) > 4


def test_a_subfolder_of_the_set_and_a_planted_symlink(tmp_path):
    out = tmp_path / "report"
    (out / "figures").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / "figures" / "curve.png").symlink_to(victim)
    OutputSet(out, ["index.md"]).write(lambda staging: [
        write_atomic(staging / "index.md", "page"),
        (staging / "figures").mkdir() or write_atomic(staging / "figures" / "curve.png", "png")])
    assert victim.read_text() == "precious" and not (out / "figures" / "curve.png").is_symlink()
    assert contents(out) == {"figures/curve.png": "png", "index.md": "page"}


def test_staging_folders_of_killed_runs_are_cleared_and_live_ones_kept(tmp_path):
    out = tmp_path / "run"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = out / f"{outputs.STAGING_PREFIX}{dead.stdout.strip()}-abc"
    live = out / f"{outputs.STAGING_PREFIX}{os.getppid()}-def"  # another run still writing
    recent = out / f"{outputs.STAGING_PREFIX}{dead.stdout.strip()}-ghi"  # maybe a process we cannot see
    for folder in (abandoned, live, recent):
        (folder / "files").mkdir(parents=True)
    an_hour_ago = time.time() - 3600
    for folder in (abandoned, live):
        os.utime(folder, (an_hour_ago, an_hour_ago))
    OutputSet(out, OWNED).write(lambda staging: [write_atomic(staging / "metrics.json", "new")])
    assert not abandoned.exists() and live.exists() and recent.exists()


def test_unstaged_names_where_a_staged_file_goes(tmp_path):
    staged = tmp_path / "run" / f"{outputs.STAGING_PREFIX}12-x" / "files" / "figures" / "a.png"
    assert unstaged(staged) == tmp_path / "run" / "figures" / "a.png"
    assert unstaged(tmp_path / "a.png") == tmp_path / "a.png"


def test_ctrl_c_inside_interrupt_deferred_is_raised_when_it_ends():
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with interrupt_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("after the signal")
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
