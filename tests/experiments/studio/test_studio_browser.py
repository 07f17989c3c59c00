"""The studio in a real browser: headless Chromium against the real server (uvicorn on a
free port). Moves a slider, steps the backward pass, plays training, scrubs a replay; the
screenshots the README shows are taken here (see conftest.screenshot)."""

import re

import pytest

from tests.conftest import require_program
from tests.experiments.studio.conftest import screenshot

pytest.importorskip("selenium")


def wait(driver, condition, seconds=15):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.05).until(lambda d: condition(d))


def by_id(driver, element_id):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


PICTURE_GRAD = """
const svg = document.getElementById('wb-svg');
if (!svg) { return null; }
for (const g of svg.querySelectorAll('g.node')) {
  const texts = g.querySelectorAll('text');
  if (texts.length && texts[0].textContent === arguments[0]) {
    const grad = g.querySelector('text.grad');
    return {grad: grad ? grad.textContent : null, hot: g.classList.contains('hot'),
            value: g.querySelector('text.value').textContent};
  }
}
return null;"""


def node(driver, name):
    return driver.execute_script(PICTURE_GRAD, name)


def grad_text(driver, name):
    text = by_id(driver, f"wb-grad-{name}").text  # ∂f/∂a = 0.104994
    return text.split("= ")[1] if "= " in text else None


def test_moving_a_slider_changes_the_gradient_text_and_the_picture_together(live_server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    require_program("dot")
    browser.get(live_server + "#workbench")
    wait(browser, lambda d: node(d, "a") and grad_text(d, "a"))
    before = grad_text(browser, "a")
    assert node(browser, "a")["grad"] == f"grad {before}" == "grad 0.104994"  # σ'(2)·b at a = b = c = 1
    slider = by_id(browser, "wb-slider-a")
    ActionChains(browser).click_and_hold(slider).move_by_offset(40, 0).release().perform()
    wait(browser, lambda d: grad_text(d, "a") != before)
    wait(browser, lambda d: node(d, "a")["grad"] == f"grad {grad_text(d, 'a')}")
    a = float(by_id(browser, "wb-field-a").get_attribute("value"))
    assert a > 1
    assert node(browser, "a")["value"] == f"value {float(f'{a:.6g}'):g}"
    predicted = float(by_id(browser, "wb-predicted-a").text)
    actual = float(by_id(browser, "wb-actual-a").text)
    assert actual == pytest.approx(predicted, rel=0.02)
    screenshot(browser, tmp_path, "studio_workbench.png")


def test_stepping_the_backward_pass_keeps_picture_and_text_in_step(live_server, browser, tmp_path):
    require_program("dot")
    browser.get(live_server + "?fresh#workbench")  # a new page, not the one the slider moved
    wait(browser, lambda d: node(d, "a") and grad_text(d, "a"))
    by_id(browser, "wb-start").click()
    assert node(browser, "f")["value"] == "value —" and node(browser, "a")["grad"] == "grad —"
    for _ in range(6):  # the forward pass: a, b, t1, c, t2, f
        by_id(browser, "wb-next").click()
    assert node(browser, "f")["value"] == "value 0.880797" and node(browser, "f")["grad"] == "grad —"
    for step in range(1, 4):  # backward: f, t2, then t1 = a·b hands gradients to a and b
        by_id(browser, "wb-next").click()
        assert by_id(browser, "wb-counter").text.startswith(f"step {6 + step} of 12 (backward {step}/6)")
    text = by_id(browser, "wb-text").text
    assert "t1 = a · b" in text
    handed = dict(re.findall(r"→ (\w): d\w+/d\w+ = .* = (\S+)$", text, flags=re.M))
    assert set(handed) == {"a", "b"}
    for name, value in handed.items():
        assert node(browser, name)["grad"] == f"grad {value}"  # handed at this step, shown at this step
    assert node(browser, "t1")["hot"] and not node(browser, "t2")["hot"]
    assert node(browser, "c")["grad"] == "grad 0.104994"  # handed on by t2 = t1 + c at step 2
    hot_edges = browser.execute_script("return [...document.querySelectorAll('#wb-svg g.edge.hot')].length")
    assert hot_edges == 2
    by_id(browser, "wb-prev").click()
    assert node(browser, "a")["grad"] == "grad —" and node(browser, "t2")["hot"]
    screenshot(browser, tmp_path, "studio_steps.png")


def type_into(driver, element_id, text):
    from selenium.webdriver.common.keys import Keys

    field = by_id(driver, element_id)
    field.clear()
    field.send_keys(text, Keys.TAB)  # leaving the field is its change


def test_a_vector_variable_gets_a_slider_per_element_and_gradients_as_vectors(live_server, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    require_program("dot")
    browser.get(live_server + "?vector#workbench")
    wait(browser, lambda d: node(d, "a") and grad_text(d, "a"))
    type_into(browser, "wb-expression", "sum(x*x) + c")
    by_id(browser, "wb-expression").send_keys(Keys.ENTER)
    wait(browser, lambda d: node(d, "x") and grad_text(d, "x") == "2")  # x = 1: d/dx x² = 2
    type_into(browser, "wb-field-x", "1, -2, 3")
    wait(browser, lambda d: grad_text(d, "x") == "[2, -4, 6]")  # d/dx sum(x·x) = 2x
    assert node(browser, "x") == {"grad": "grad [2, -4, 6]", "hot": False, "value": "value [1, -2, 3]"}
    assert by_id(browser, "wb-value").text == "f = 15"
    for _ in range(5):  # x[1] moves by 5 steps of 0.01, by keyboard as a user can
        by_id(browser, "wb-slider-x-1").send_keys(Keys.ARROW_RIGHT)
    wait(browser, lambda d: grad_text(d, "x") == "[2, -3.9, 6]")
    wait(browser, lambda d: node(d, "x")["grad"] == "grad [2, -3.9, 6]")  # the text and the picture together
    assert node(browser, "x")["value"] == "value [1, -1.95, 3]"
    assert by_id(browser, "wb-field-x").get_attribute("value") == "1, -1.95, 3"
    assert by_id(browser, "wb-slider-x-0").get_attribute("value") == "1"
    for k, want in enumerate([2, -3.9, 6]):  # the nudge check, element by element
        assert float(by_id(browser, f"wb-predicted-x-{k}").text) == pytest.approx(want * 1e-3)
        assert float(by_id(browser, f"wb-actual-x-{k}").text) == pytest.approx(want * 1e-3, rel=0.01)
    screenshot(browser, tmp_path, "studio_vectors.png")
    type_into(browser, "wb-field-x", "1, 2, 3, 4, 5, 6, 7")
    wait(browser, lambda d: by_id(d, "wb-error").is_displayed())
    assert by_id(browser, "wb-error").text == "the value of x has 7 numbers; a vector holds 1 to 6 numbers"
    type_into(browser, "wb-field-x", "1, two")
    wait(browser, lambda d: "two" in by_id(d, "wb-error").text)
    assert by_id(browser, "wb-error").text.endswith('got "two" at [1]')
    assert node(browser, "x")["grad"] == "grad [2, -3.9, 6]"  # the refused values changed nothing
    by_id(browser, "wb-quiz").click()  # the quiz asks for a vector's gradient as numbers, each checked
    by_id(browser, "wb-start").click()
    for _ in range(7):  # forward: x, t1, t2, c, f; backward: f, then t2 = sum(t1) hands t1 its gradient
        by_id(browser, "wb-next").click()
    assert "A vector of 3 numbers" in by_id(browser, "wb-quiz-question").text
    assert node(browser, "t1")["grad"] == "grad ?"
    type_into(browser, "wb-quiz-answer", "1, 1")
    by_id(browser, "wb-quiz-check").click()
    assert by_id(browser, "wb-quiz-feedback").text.startswith("Not quite")
    type_into(browser, "wb-quiz-answer", "1, 1, 1")
    by_id(browser, "wb-quiz-check").click()
    assert by_id(browser, "wb-quiz-feedback").text == "Right: [1, 1, 1]"
    assert node(browser, "t1")["grad"] == "grad [1, 1, 1]"


CANVAS_SPREAD = """
const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let lo = 255, hi = 0, opaque = true;
for (let k = 0; k < d.length; k += 4) { lo = Math.min(lo, d[k]); hi = Math.max(hi, d[k]); opaque &&= d[k + 3] === 255; }
return opaque ? hi - lo : -1;"""


def status(driver):
    text = by_id(driver, "ms-status").text  # epoch 12 · loss 0.2 · test loss ...
    match = re.match(r"epoch (\d+) · loss (\S+)", text)
    return (int(match[1]), float(match[2])) if match and match[2] != "—" else (None, None)


def test_playing_training_lowers_the_loss_and_draws_the_heatmaps(live_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(live_server + "?fresh#microscope")
    wait(browser, lambda d: by_id(d, "ms-status").get_attribute("data-epoch") == "0")
    Select(by_id(browser, "ms-optimizer")).select_by_visible_text("adam")
    lr = by_id(browser, "ms-lr")
    lr.clear()
    lr.send_keys("0.1")
    browser.find_element(By.CSS_SELECTOR, "#ms-form button[type=submit]").click()
    wait(browser, lambda d: "adam" in d.execute_script("return document.getElementById('ms-optimizer').value"))
    by_id(browser, "ms-step").click()
    wait(browser, lambda d: status(d)[0] == 1)
    first = status(browser)[1]
    browser.execute_script("document.getElementById('ms-speed').value = 2000")
    by_id(browser, "ms-play").click()
    wait(browser, lambda d: (status(d)[0] or 0) >= 400, seconds=30)
    by_id(browser, "ms-play").click()
    wait(browser, lambda d: by_id(d, "ms-play").text == "▶ Play")
    epoch, loss = status(browser)
    assert epoch >= 400 and loss < first - 0.1
    neurons = browser.find_elements(By.CSS_SELECTOR, "#ms-network canvas.neuron")
    assert len(neurons) == 2 + 4 + 4 + 1
    spreads = [browser.execute_script(CANVAS_SPREAD, c) for c in neurons[2:]]
    assert min(spreads) >= 0 and sum(s > 20 for s in spreads) >= 5  # every one painted, most not flat
    assert browser.execute_script(CANVAS_SPREAD, by_id(browser, "ms-boundary")) > 100
    neurons[3].click()  # layer 1, neuron 2: its value, gradient and paths for point 1
    wait(browser, lambda d: by_id(d, "ms-inspect").is_displayed() and by_id(d, "ms-engine-grad").text)
    assert by_id(browser, "ms-path-sum").text == by_id(browser, "ms-engine-grad").text
    assert "neuron 2 of layer 1" in by_id(browser, "ms-inspect-title").text
    screenshot(browser, tmp_path, "studio_microscope.png")


def test_scrubbing_a_replay_redraws_the_network_at_each_epoch(live_server, browser, tmp_path):
    from selenium.webdriver.support.ui import Select

    browser.get(live_server + "?fresh#replay")
    wait(browser, lambda d: len(Select(by_id(d, "rp-runs")).options) == 2)
    runs = Select(by_id(browser, "rp-runs"))
    assert runs.first_selected_option.text.startswith("xor · 300 epochs")
    assert "cannot be replayed" in runs.options[0].text  # the broken file, listed and explained
    wait(browser, lambda d: by_id(d, "rp-epoch").get_attribute("data-epoch") == "300")

    def scrub(index):
        browser.execute_script("const s = document.getElementById('rp-scrub'); s.value = arguments[0];"
                               "s.dispatchEvent(new Event('input'));", index)

    boundary = "return document.getElementById('rp-boundary').toDataURL()"
    end = browser.execute_script(boundary)
    scrub(0)
    wait(browser, lambda d: by_id(d, "rp-epoch").get_attribute("data-epoch") == "0")
    start = browser.execute_script(boundary)
    scrub(15)
    wait(browser, lambda d: by_id(d, "rp-epoch").get_attribute("data-epoch") == "150")
    assert len({start, end, browser.execute_script(boundary)}) == 3
    assert by_id(browser, "rp-epoch").text.startswith("epoch 150 of 300 · loss")
    if require_program("dot"):
        wait(browser, lambda d: d.execute_script("return !!document.querySelector('#rp-graph svg')"))
    screenshot(browser, tmp_path, "studio_replay.png")
