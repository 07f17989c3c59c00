"""Shared test helpers.

Tests that need a system program (Graphviz's ``dot``, Chromium) skip on a developer's
machine without it, but fail under CI (``CI=true``), where ``make test`` installs them:
a missing install step must not hide behind a skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("chainrule", max_examples=30, deadline=None)
settings.load_profile("chainrule")


def require_program(name: str) -> str:
    """The path of program ``name``; skip (or, under CI, fail) when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"the program {name!r} is not installed (make test installs it with apt-get)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def sigmoid_expression():
    """f = sigmoid(a*b + c) at a = 2, b = -3, c = 1, the leaves named; backward not yet run."""
    from autograd import Tensor

    a, b, c = (Tensor(v, requires_grad=True, name=n) for v, n in ((2.0, "a"), (-3.0, "b"), (1.0, "c")))
    f = (a * b + c).sigmoid()
    f.name = "f"
    return f, (a, b, c)


@contextlib.contextmanager
def chromium(window: str = "1400,950") -> Iterator[object]:
    """A headless Chromium driven by Selenium, with a fresh profile, closed afterwards; skips
    (or under CI fails) without Chromium and its driver."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = require_program("chromium"), require_program("chromedriver")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", f"--window-size={window}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_script_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
