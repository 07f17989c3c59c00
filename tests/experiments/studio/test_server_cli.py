"""The studio's command: a real process on a free port, a warning for --host, Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from experiments.studio.server import bind, main


def test_host_prints_a_warning_serves_and_stops_on_ctrl_c(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "experiments.studio", "--host", "0.0.0.0", "--port", "0",
                                "--no-browser", "--runs", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        warning = process.stderr.readline()
        assert warning.startswith("warning: serving on 0.0.0.0: anyone who can reach this computer")
        line = process.stdout.readline()
        assert line.startswith("chainrule studio at http://127.0.0.1:")
        url = line.split()[3]
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "api/runs", timeout=5) as reply:
                    listing = json.loads(reply.read())
                break
            except OSError:
                time.sleep(0.05)
        assert listing["runs"] == [] and "no runs with snapshots" in listing["message"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_port_in_use_is_a_usage_error(capsys):
    taken = bind("127.0.0.1", 0)
    try:
        with pytest.raises(SystemExit) as done:
            main(["--port", str(taken.getsockname()[1]), "--no-browser"])
    finally:
        taken.close()
    assert done.value.code == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_the_notebook_helper_serves_the_studio_once_per_kernel(tmp_path):
    from experiments.studio import server

    try:
        shown = server.notebook(runs=tmp_path, room="microscope")
        url = shown if isinstance(shown, str) else shown.src
        assert url.startswith("http://127.0.0.1:") and url.endswith("/#microscope")
        with urllib.request.urlopen(url.split("#")[0], timeout=5) as page:
            assert b"chainrule studio" in page.read()
        again = server.notebook(runs=tmp_path)
        assert (again if isinstance(again, str) else again.src).split("#")[0] == url.split("#")[0]
        with pytest.raises(ValueError, match="room must be"):
            server.notebook(room="kitchen")
    finally:
        if server._notebook is not None:
            server._notebook.stop()
            server._notebook = None
