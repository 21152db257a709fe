# European Cluster Observatory workbook. `make help` lists the targets.
# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The shared data mirror beside the project, when it exists (CI and developer machines).
MIRROR_DEFAULT := $(abspath ../shared/data)
export OBSERVATORY_MIRROR ?= $(if $(wildcard $(MIRROR_DEFAULT)),$(MIRROR_DEFAULT),)
# Debian's chromium for the browser tests; Playwright never downloads a browser here.
export OBSERVATORY_CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=

.PHONY: help demo test venv install install-test store scorecards serve lint format clean benchmarks

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/python ## create the virtual environment

install: $(VENV)/.installed ## install the package and its runtime dependencies

install-test: $(VENV)/.installed-test ## install what the tests need too

store: install ## fetch the inputs (cache, mirror, upstream) and build the store
	$(BIN)/observatory build

demo: store ## the main job: build the store, scorecards and reports (see README)
	$(BIN)/observatory demo

scorecards: store ## the region scorecards for every NUTS-2 region (outputs/scorecards/)
	$(BIN)/observatory scorecards

serve: store ## serve the interactive apps with Voila on http://127.0.0.1:8866/
	$(BIN)/observatory serve

test: install-test ## run the whole test suite (unit, integration, notebooks, apps)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test ## ruff lint and format check, notebooks included
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test ## format the code and notebooks with ruff
	$(BIN)/ruff format .

benchmarks: install-test store ## run every speed benchmark and print the figures
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## remove the store, the cache and the outputs (not the venv)
	rm -rf data/store data/cache outputs/*
	touch outputs/.gitkeep
