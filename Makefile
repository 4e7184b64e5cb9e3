# The course's commands. Everything installs into .venv; only Python 3.10+ and PyPI are needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# Exact versions for every install (a pip constraints file); `make lock` regenerates it.
LOCK   := requirements/lock.txt
EXTRAS := test,lab,browser,play
# One stamp for all targets: reinstall only when pyproject.toml or the lock changes.
INSTALLED := $(VENV)/.installed
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
JOBS   ?= 2
# What `make test` runs, and `make test-portable` again under other numeric kernels
UNIT   := -m pytest -n $(JOBS) --dist loadfile --ignore=tests/browser --doctest-modules course tests
ALL    := $(UNIT) notebooks app $(NBVAL)
# Jupyter refuses to start as root (containers often run as root) unless told it may
ROOT_OK := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: lab play test test-fast test-portable test-browser screenshots notebooks bench mutation chromium lock clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "course needs Python 3.10 or newer, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(INSTALLED): pyproject.toml $(LOCK) | $(PY)
	$(PIP) install --quiet -c $(LOCK) -e '.[$(EXTRAS)]'
	@touch $@

## make lab: install the course and open it in JupyterLab
lab: $(INSTALLED)
	cd notebooks && ../$(VENV)/bin/jupyter lab $(ROOT_OK) 00_welcome.ipynb

## make play: the optimizer playground as an app (Voila), for a projector in class
PLAY_PORT ?= 8866
play: $(INSTALLED)
	@echo "The playground: http://127.0.0.1:$(PLAY_PORT)/  (Ctrl+C stops it)"
	$(VENV)/bin/voila app/playground.ipynb --port=$(PLAY_PORT) --Voila.ip=127.0.0.1 --Voila.port_retries=0

## make test: install the test tools and run every test: unit tests, doctests, strict nbval on all notebooks
test: $(INSTALLED)
	$(PY) $(ALL)

## make test-portable: show that other numeric kernels (NumPy SIMD, OpenBLAS) change low bits, then run every test of `make test` under each
test-portable: $(INSTALLED)
	$(PY) tools/portability.py -- $(PY) $(ALL) -p no:cacheprovider

## make test-fast: unit tests and doctests only
test-fast: $(INSTALLED)
	$(PY) $(UNIT)

## make test-browser: every notebook in a real JupyterLab, and the playground in Voila (headless Chromium)
test-browser: $(INSTALLED) chromium
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
notebooks: $(INSTALLED)
	$(PY) tools/execute_notebooks.py $(NB)

## make bench: every speed benchmark, benchmarks/bench_*.py (they print tables; see benchmarks/README.md)
bench: $(INSTALLED)
	@set -e; for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script; done

## make mutation: mutation testing (mutmut) of course/optim/ and course/tensor.py; not part of `make test`
## (hours for everything on 2 cores: pick a part with MUTANTS, e.g. make mutation MUTANTS='course.optim.sgd*')
MUTANTS ?=
mutation: $(INSTALLED)
	$(PIP) install --quiet -c $(LOCK) -e '.[$(EXTRAS),mutation]'
	COURSE_HYPOTHESIS_PROFILE=mutation $(VENV)/bin/mutmut run --max-children $(JOBS) $(MUTANTS)
	$(VENV)/bin/mutmut export-cicd-stats
	$(PY) tools/mutation_report.py

# The lock: one file for Python 3.10+ on Linux, macOS and Windows (uv adds environment markers).
# Edit pyproject.toml, then `make lock`; pins already in the lock are kept where they still fit,
# `make lock LOCK_FLAGS=--upgrade` moves everything to the newest allowed versions.
UV_VERSION  := 0.13.8
UV          := $(VENV)/.uv/bin/uv
LOCK_EXTRAS := test lab browser play gpu mutation
LOCK_FLAGS  ?=

$(UV):
	$(PYTHON) -m venv $(VENV)/.uv
	$(VENV)/.uv/bin/python -m pip install --quiet uv==$(UV_VERSION)

## make lock: regenerate requirements/lock.txt from pyproject.toml
lock: | $(UV)
	@mkdir -p $(dir $(LOCK))
	$(UV) pip compile pyproject.toml --universal --python-version 3.10 \
	  $(addprefix --extra ,$(LOCK_EXTRAS)) --annotation-style line --no-header --quiet \
	  $(LOCK_FLAGS) -o $(LOCK)
	@{ echo "# Exact versions of every dependency of course, for Python 3.10+ on Linux, macOS and Windows."; \
	   echo "# A pip constraints file: pip install -c $(LOCK) -e '.[$(EXTRAS)]' (the Makefile does this)."; \
	   echo "# Generated from pyproject.toml by uv $(UV_VERSION); do not edit: change pyproject.toml, then run"; \
	   echo "#    make lock"; \
	   grep -v '^#' $(LOCK); } > $(LOCK).tmp && mv $(LOCK).tmp $(LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis mutants
