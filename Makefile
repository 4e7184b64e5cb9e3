# The course's commands. Everything installs into .venv; only Python 3.10+ and PyPI are needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
JOBS   ?= 2

.PHONY: lab test test-fast notebooks bench clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "course needs Python 3.10 or newer, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed-lab: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[lab]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test,lab]'
	@touch $@

## make lab: install the course and open it in JupyterLab
lab: $(VENV)/.installed-lab
	cd notebooks && ../$(VENV)/bin/jupyter lab 00_welcome.ipynb

## make test: install the test tools and run every test: unit tests plus strict nbval on all notebooks
test: $(VENV)/.installed-test
	$(PY) -m pytest -n $(JOBS) --dist loadfile --doctest-modules course tests notebooks $(NBVAL)

## make test-fast: unit tests only
test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -n $(JOBS) --dist loadfile --doctest-modules course tests

## make notebooks: re-execute every notebook in place, deterministically, so the stored outputs are real
notebooks: $(VENV)/.installed-test
	$(PY) tools/execute_notebooks.py $(NB)

## make bench: the speed benchmarks (they print tables; see benchmarks/README.md)
bench: $(VENV)/.installed-test
	$(PY) benchmarks/bench_optim.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
