# The book's commands. Each one creates or refreshes .venv from requirements.txt first.
#   make book    build the HTML book (executes every notebook; fails on any warning or cell error)
#   make test    lint, library tests, every notebook (nbval), a clean -W build, browser check
#   make lab     JupyterLab on the chapters, with live widgets
#   make bench   benchmarks (print ratios against references measured in the same run)
#   make clean   remove build outputs

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JB_ARGS := -n -W --keep-going
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# One BLAS thread per process: the book's matrices are small, and with several kernels at once
# (nbval, the build) multithreaded OpenBLAS on 2 cores oversubscribes and runs many times slower.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: book test lint unit nbval book-clean browser lab bench clean venv

venv: $(STAMP)

# Rebuilt when requirements.txt or pyproject.toml change (a stale .venv is refreshed).
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# Incremental: Sphinx re-reads only changed pages, and the jupyter-cache re-runs only changed
# notebooks. An incremental build does not re-report the warnings of pages it does not re-read,
# so a failed build deletes Sphinx's saved environment: the next build then re-reads every page
# (cached notebooks are not re-executed; a failing one is not cached, so it runs and fails again).
# `make test` always builds from scratch.
book: $(STAMP) _build/.nnmath-stamp
	@$(BIN)/jupyter-book build . $(JB_ARGS) || { rm -f _build/.doctrees/environment.pickle; \
	  echo "make book: the build failed (see above); the next build re-reads every page."; \
	  exit 1; }
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# The execution cache keys on each notebook's code, not on the library it imports: when
# lib/nnmath changes, forget cached outputs and Sphinx's environment so every page re-runs.
_build/.nnmath-stamp: $(shell find lib/nnmath -name '*.py')
	rm -rf _build/.jupyter_cache _build/.doctrees
	@mkdir -p _build && touch $@

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/pytest tests -q -m "not browser"

nbval: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=120 book

# A clean build: nothing cached, every notebook executed afresh.
book-clean: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . $(JB_ARGS) --all

browser: $(STAMP)
	$(BIN)/pytest tests -q -m browser

test: lint unit nbval book-clean browser

lab: $(STAMP)
	$(BIN)/jupyter lab book

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name .ipynb_checkpoints -prune -exec rm -rf {} +
