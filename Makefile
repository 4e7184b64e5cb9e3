# The course's commands. Everything installs into .venv; only Python 3.10+ and PyPI are needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
JOBS   ?= 2
# Jupyter refuses to start as root (containers often run as root) unless told it may
ROOT_OK := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: lab play test test-fast test-browser screenshots notebooks bench chromium clean

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

$(VENV)/.installed-browser: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test,lab,browser,play]'
	@touch $@

$(VENV)/.installed-play: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[lab,play]'
	@touch $@

## make lab: install the course and open it in JupyterLab
lab: $(VENV)/.installed-lab
	cd notebooks && ../$(VENV)/bin/jupyter lab $(ROOT_OK) 00_welcome.ipynb

## make play: the optimizer playground as an app (Voila), for a projector in class
play: $(VENV)/.installed-play
	$(VENV)/bin/voila app/playground.ipynb

## make test: install the test tools and run every test: unit tests, doctests, strict nbval on all notebooks
test: $(VENV)/.installed-test
	$(PY) -m pytest -n $(JOBS) --dist loadfile --ignore=tests/browser --doctest-modules course tests notebooks app $(NBVAL)

## make test-fast: unit tests and doctests only
test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -n $(JOBS) --dist loadfile --ignore=tests/browser --doctest-modules course tests

## make test-browser: every notebook in a real JupyterLab, and the playground in Voila (headless Chromium)
test-browser: $(VENV)/.installed-browser chromium
	$(PY) -m pytest -p no:xdist -p no:cacheprovider tests/browser

## make screenshots: regenerate docs/screenshots/ (the README's pictures) with the browser tests
screenshots:
	COURSE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(MAKE) test-browser

# Debian's Chromium (playwright drives it; never `playwright install`).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "installing Debian's chromium"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## make notebooks: re-execute every notebook in place, deterministically, so the stored outputs are real
notebooks: $(VENV)/.installed-test
	$(PY) tools/execute_notebooks.py $(NB)

## make bench: the speed benchmarks (they print tables; see benchmarks/README.md)
bench: $(VENV)/.installed-test
	$(PY) benchmarks/bench_optim.py
	$(PY) benchmarks/bench_widgets.py
	$(PY) benchmarks/bench_schedule_widgets.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
