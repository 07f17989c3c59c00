"""The step page in a real browser: headless Chromium opens backward.html, a Next click and
an arrow key change the shown step, and a screenshot is kept for the record."""

import io
import os
import shutil
from pathlib import Path

import pytest

from autograd import Tensor, explain
from tests.conftest import chromium, require_program

webdriver = pytest.importorskip("selenium.webdriver")
README_IMAGES = os.environ.get("CHAINRULE_README_SCREENSHOTS")  # set by tools/readme_figures.py


@pytest.fixture
def browser():
    with chromium("1400,900") as driver:
        yield driver


def visible_step(driver):
    from selenium.webdriver.common.by import By

    shown = [s for s in driver.find_elements(By.CSS_SELECTOR, "section.step") if s.is_displayed()]
    assert len(shown) == 1
    return shown[0].get_attribute("data-step"), shown[0].find_element(By.CSS_SELECTOR, "pre").text


def test_next_click_and_arrow_keys_step_through_the_backward_pass(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    require_program("dot")
    a, b, c = (Tensor(v, requires_grad=True, name=n) for v, n in ((2.0, "a"), (-3.0, "b"), (1.0, "c")))
    f = (a * b + c).sigmoid()
    f.name = "f"
    steps = explain(f, frames=tmp_path, file=io.StringIO())
    browser.get((tmp_path / "backward.html").as_uri())

    step, text = visible_step(browser)
    assert step == "0" and "no gradient is known yet" in text
    assert browser.find_element(By.CSS_SELECTOR, ".prev").get_attribute("disabled") is not None
    assert browser.find_element(By.CSS_SELECTOR, ".counter").text.startswith(f"step 0 of {len(steps)}")

    browser.find_element(By.CSS_SELECTOR, ".next").click()
    step, text = visible_step(browser)
    assert step == "1" and text == steps[0].text
    assert browser.find_element(By.CSS_SELECTOR, ".counter").text == f"step 1 of {len(steps)} (at f)"
    picture = browser.find_element(By.CSS_SELECTOR, "section.step:not([hidden]) svg")
    assert picture.size["width"] > 200 and picture.size["height"] > 50
    assert "grad 0.006648" in picture.text  # the picture shows what this step's text hands to t2

    zoom_in = browser.find_element(By.CSS_SELECTOR, "section.step:not([hidden]) .pz-controls button")
    zoom_in.click()  # "+": the view a teacher picks stays on the next step's picture
    scale = float(browser.find_element(By.CSS_SELECTOR, "section.step:not([hidden]) .picture").get_attribute(
        "data-scale"))
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert visible_step(browser)[0] == "2"
    shown = browser.find_element(By.CSS_SELECTOR, "section.step:not([hidden]) .picture")
    assert float(shown.get_attribute("data-scale")) == pytest.approx(scale, rel=1e-3)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    assert visible_step(browser)[0] == "1"

    shot = tmp_path / "step_page.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if README_IMAGES:  # tools/readme_figures.py asks for the README's copy
        shutil.copyfile(shot, Path(README_IMAGES) / "step_page.png")
