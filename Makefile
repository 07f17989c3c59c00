# Two commands do all the set-up on a machine with Python 3 and make:
#   make demo   virtual environment, install, then the lab end to end (quick report)
#   make test   the same environment with the test extras, then lint and the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test lint bench clean system-deps studio studio-screenshots

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@sh tools/system-deps.sh graphviz pdf
	$(PY) -m experiments.train --dataset xor --epochs 20000 --print-every 2000 --lr 1 --seed 0 --out runs/xor
	$(PY) -m experiments.cnn --out runs/cnn
	$(PY) -m experiments.chain_rule "sigmoid(a*b + c)" --a 2 --b -3 --c 1 --out runs/chain
	$(PY) -m experiments.report --quick --out report
	@echo "demo done: see runs/xor/, runs/cnn/, runs/chain/backward.html, report/index.html and report/report.pdf"

test: $(VENV)/.installed-test
	@sh tools/system-deps.sh graphviz chromium pdf
	$(BIN)/ruff check .
	$(PY) -m pytest -n 2 -q

studio: $(VENV)/.installed
	@sh tools/system-deps.sh graphviz
	$(PY) -m experiments.studio --runs runs

# the studio's screenshots in the README, taken by its browser tests
studio-screenshots: $(VENV)/.installed-test
	@sh tools/system-deps.sh graphviz chromium
	$(PY) tools/readme_figures.py --studio

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

bench: $(VENV)/.installed-test
	$(PY) -m bench

clean:
	rm -rf $(VENV) runs report .pytest_cache .hypothesis .ruff_cache
