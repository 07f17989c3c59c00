"""Fixtures of the studio's tests: the app through Starlette's test client, a runs folder
with a real run's snapshots, the real server on a free port, and headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from experiments import train
from tests.conftest import chromium

SCREENSHOTS_ENV = "CHAINRULE_README_SCREENSHOTS"


@pytest.fixture(scope="session")
def runs_folder(tmp_path_factory) -> Path:
    """A runs folder holding one XOR run of 300 epochs with snapshots every 10 epochs, made
    by the training CLI itself, and a broken snapshots file beside it."""
    folder = tmp_path_factory.mktemp("runs")
    code = train.main(["--dataset", "xor", "--epochs", "300", "--lr", "0.1", "--optimizer", "adam", "--quiet",
                       "--snapshots", "10", "--seed", "0", "--out", str(folder / "xor")])
    assert code == 0
    (folder / "broken").mkdir()
    (folder / "broken" / "snapshots.npz").write_bytes(b"not a zip file")
    return folder


@pytest.fixture
def client(runs_folder):
    from starlette.testclient import TestClient

    from experiments.studio.app import create_app

    with TestClient(create_app(runs_folder), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live_server(runs_folder):
    """The studio served by uvicorn on a free port of 127.0.0.1, in a background thread."""
    from experiments.studio.server import Background

    server = Background(runs_folder, port=0)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium("1400,950") as driver:
        yield driver


def screenshot(driver, folder: Path, name: str) -> Path:
    """A PNG of the page in ``folder`` (the test's tmp_path); copied into the folder that
    CHAINRULE_README_SCREENSHOTS names, when it is set (tools/readme_figures.py sets it)."""
    shot = folder / name
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    target = os.environ.get(SCREENSHOTS_ENV)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(target) / name)
    return shot
