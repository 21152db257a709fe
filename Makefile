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
# `make lab`: JupyterLab on this machine only; LAB_ARGS passes more options (e.g. --no-browser)
LAB_PORT ?= 8888
LAB_ARGS ?=

.PHONY: help demo test venv install install-test hooks store scorecards serve lab lint format \
	clean benchmarks frontend

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# --no-compile: pip would byte-compile every installed module (~20 s of the set-up); Python
# compiles the ones a run imports on first use and keeps them in the environment.
$(VENV)/.installed: pyproject.toml $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --no-compile -e '.[test]'
	touch $@

venv: $(BIN)/python ## create the virtual environment

install: $(VENV)/.installed hooks ## install the package, its dependencies and the notebook filter

install-test: $(VENV)/.installed-test frontend ## install what the tests need too

# The apps' page script (docs/ARCHITECTURE.md, "The apps' front end"): frontend/ holds its
# source, package.json and package-lock.json; `npm ci` installs the locked packages (no
# install scripts: esbuild's binary comes as a package of its own) and esbuild bundles them
# into the Voila template's static folder, from where the server sends them. The built files
# are not committed. `make demo` serves no app and does not build it.
FRONTEND_STATIC := observatory_lib/runtime/voila_config/jupyter/nbconvert/templates/observatory/static
FRONTEND_BUNDLE := $(FRONTEND_STATIC)/observatory-app.js

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "frontend: npm not found: install Node.js 20 with npm (e.g. apt-get install nodejs npm), then run make again" >&2; exit 1; }
	cd frontend && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(FRONTEND_BUNDLE): frontend/node_modules/.package-lock.json frontend/build.mjs $(wildcard frontend/src/*)
	cd frontend && node build.mjs

frontend: $(FRONTEND_BUNDLE) ## build the apps' page script (npm ci + esbuild; needs Node.js and npm)

# nbstripout as a git filter: a notebook is stripped of its outputs whenever it is staged, so
# one saved with outputs in JupyterLab keeps them on disk and never lands in a commit.
# .gitattributes (committed) names the filter for *.ipynb; its command lives in the clone's
# own git config, written here. A linked worktree shares that config with its main
# checkout, so it is only written there with per-worktree config turned on.
hooks: ## keep notebook outputs out of commits (nbstripout as a git filter)
	@if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  echo "hooks: not a git checkout; nothing to install"; exit 0; fi; \
	scope=--local; \
	if [ "$$(git rev-parse --path-format=absolute --git-dir)" != \
	     "$$(git rev-parse --path-format=absolute --git-common-dir)" ]; then \
	  if [ "$$(git config --type=bool extensions.worktreeConfig)" != true ]; then \
	    echo "hooks: linked worktree, git config shared with the main checkout: not written."; \
	    echo "  To strip notebooks here: git config extensions.worktreeConfig true && make hooks"; \
	    exit 0; fi; \
	  scope=--worktree; fi; \
	strip="'$(abspath $(BIN)/python)' -m nbstripout --keep-id"; \
	git config $$scope filter.nbstripout.clean "$$strip" && \
	git config $$scope filter.nbstripout.smudge cat && \
	git config $$scope filter.nbstripout.required true && \
	git config $$scope diff.ipynb.textconv "$$strip --textconv" && \
	echo "hooks: notebooks are stripped of outputs when staged (nbstripout git filter)"

store: install ## fetch the inputs (cache, mirror, upstream) and build the store
	$(BIN)/observatory build

demo: store ## the main job: build the store, scorecards and reports (see README)
	$(BIN)/observatory demo

scorecards: store ## the region scorecards for every NUTS-2 region (outputs/scorecards/)
	$(BIN)/observatory scorecards

serve: store frontend ## serve the interactive apps with Voila on http://127.0.0.1:8866/
	$(BIN)/observatory serve

# JupyterLab on the project with the project's kernel: JUPYTER_PATH puts this environment's
# kernelspecs first, so `python3` is the .venv the batch runs (not a user-wide kernel). It
# listens on loopback only; as root (containers, CI) Jupyter wants --allow-root said aloud.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: store ## open the notebooks in JupyterLab on http://127.0.0.1:8888/ (Voila preview included)
	JUPYTER_PATH="$(abspath $(VENV))/share/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	  --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks/start_here.ipynb \
	  $(LAB_ROOT_FLAG) $(LAB_ARGS)

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
