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
JB_ARGS := -n -W --keep-going --all
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export MPLBACKEND := Agg

.PHONY: book test lint unit nbval book-clean browser lab bench clean venv

venv: $(STAMP)

# Rebuilt when requirements.txt or pyproject.toml change (a stale .venv is refreshed).
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# --all re-reads every page, so a warning or a failed cell is reported on every build, also
# when its notebook did not change; the jupyter-cache keeps unchanged notebooks from re-running.
book: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_ARGS)
	@echo "The book is at $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/pytest tests -q -m "not browser"

nbval: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=120 book

# A clean build: nothing cached, every notebook executed afresh.
book-clean: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . $(JB_ARGS)

browser: $(STAMP)
	$(BIN)/pytest tests -q -m browser

test: lint unit nbval book-clean browser

lab: $(STAMP)
	$(BIN)/jupyter lab book

bench: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python bench/run.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name .ipynb_checkpoints -prune -exec rm -rf {} +
