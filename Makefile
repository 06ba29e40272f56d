# The book's commands. Each one creates or refreshes .venv from requirements.txt first.
#   make book    build the HTML book, English and 中文 (executes every notebook once; fails on any
#                warning, cell error or untranslated message)
#   make test    lint, library tests, every notebook (nbval), both again as on another machine,
#                a clean -W build, every notebook in real JupyterLab, browser check
#   make po      update the Chinese edition's message catalogues (locales/) after the English changed
#   make pdf     the whole book as one PDF, _build/pdf/book.pdf (builds the HTML book first)
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

.PHONY: po book pdf pdf-print pdf-check test lint unit nbval second-machine second-machine-unit book-clean lab-test browser pdf-test lab bench clean venv

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
# The Chinese edition (book/_ext/zh_edition.py) is built after the English one, from the same
# execution cache: no notebook runs twice. Both editions are always built, even when one fails.
book: $(STAMP) _build/.nnmath-stamp
	@status=0; \
	$(BIN)/jupyter-book build . $(JB_ARGS) || { rm -f _build/.doctrees/environment.pickle; status=1; }; \
	$(BIN)/python book/_ext/zh_edition.py build $(JB_ARGS) || { rm -f _build/.doctrees-zh/environment.pickle; status=1; }; \
	if [ $$status -ne 0 ]; then \
	  echo "make book: the build failed (see the summaries above). Every page was still built:"; \
	  echo "  $(CURDIR)/_build/html/index.html and $(CURDIR)/_build/html/zh/index.html."; \
	  echo "  The next build re-reads every page."; exit 1; fi
	@echo "The book is at $(CURDIR)/_build/html/index.html (中文版: $(CURDIR)/_build/html/zh/index.html)"

# After a change to the English prose: extract its messages again and update every catalogue in
# locales/zh_CN/LC_MESSAGES (new messages empty, changed ones fuzzy); then write their Chinese.
po: $(STAMP)
	$(BIN)/python book/_ext/zh_edition.py po

# The execution cache keys on each notebook's code, not on the library it imports: when
# lib/nnmath changes, forget cached outputs and Sphinx's environment so every page re-runs.
_build/.nnmath-stamp: $(shell find lib/nnmath -name '*.py')
	rm -rf _build/.jupyter_cache _build/.doctrees _build/.doctrees-zh
	@mkdir -p _build && touch $@

lint: $(STAMP)
	$(BIN)/ruff check .

UNIT  := $(BIN)/pytest tests -q -p no:cacheprovider -n 2 -m "not browser and not lab and not pdf"
# Each notebook runs in one kernel, cell after cell; two notebooks at a time.
NBVAL := $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile --nbval-lax --nbval-current-env \
         --nbval-cell-timeout=120 book

unit: $(STAMP)
	$(UNIT)

nbval: $(STAMP)
	$(NBVAL)

# The unit tests and every notebook once more, as another machine computes: another OpenBLAS
# kernel and NumPy's baseline SIMD only, chosen from what this CPU supports (an OPENBLAS_CORETYPE or
# OPENBLAS_L2_SIZE set in the environment is kept). A check that holds only for one CPU's rounding
# fails here. The book-building test is not repeated: it checks the build, not the numbers; and
# hypothesis draws its quick local number of examples (the first run already used CI's larger one).
SECOND_MACHINE := $(BIN)/python tests/second_machine.py --
second-machine: second-machine-unit
	$(SECOND_MACHINE) $(NBVAL)

second-machine-unit: $(STAMP)
	HYPOTHESIS_PROFILE=book $(SECOND_MACHINE) \
	  $(UNIT) -m "not browser and not lab and not build and not pdf"

# A clean build of both editions: nothing cached, every notebook executed afresh, once. (Screenshots
# in _build/screenshots are kept: the JupyterLab test may be writing there at the same time.)
# BUILD_AS runs the build's notebooks under another command: `make test` executes them as the
# second machine computes, so the build is also that machine's run of every notebook.
BUILD_AS ?=
book-clean: $(STAMP)
	rm -rf _build/html _build/html-zh _build/.doctrees _build/.doctrees-zh _build/.jupyter_cache \
	  _build/jupyter_execute
	$(BUILD_AS) $(BIN)/jupyter-book build . $(JB_ARGS) --all
	$(BIN)/python book/_ext/zh_edition.py build $(JB_ARGS) --all

# Every notebook run in real JupyterLab in headless Chromium, as a learner would (tests/test_jupyterlab.py).
lab-test: $(STAMP)
	$(BIN)/pytest tests -q -p no:cacheprovider -m lab

# Two browsers at a time: while the PDF prints beside it, and after, both cores stay busy.
browser: $(STAMP)
	$(BIN)/pytest tests -q -p no:cacheprovider -m browser -n 2

# The PDF edition, printed from the HTML book by headless Chromium (book/_ext/book_pdf.py).
pdf: book
	$(BIN)/python book/_ext/book_pdf.py

pdf-print: $(STAMP)
	$(BIN)/python book/_ext/book_pdf.py

pdf-test: $(STAMP)
	$(BIN)/pytest tests -q -p no:cacheprovider -m pdf

# Print the PDF from the build and test it (beside the browser check in `make test`).
pdf-check: $(STAMP)
	$(BIN)/python book/_ext/book_pdf.py
	$(BIN)/pytest tests -q -p no:cacheprovider -m pdf

# The clean build and the JupyterLab test are independent and each keeps about one core busy, so they
# run side by side; then the browser check reads the fresh build while the PDF is printed from it
# and tested.
# Every notebook runs once as this machine computes (nbval), and once as another machine does, in
# the clean build (BUILD_AS): a failing cell fails the build as it fails nbval.
test: lint unit nbval second-machine-unit
	$(MAKE) --no-print-directory -j2 book-clean lab-test BUILD_AS="$(SECOND_MACHINE)"
	$(MAKE) --no-print-directory -j2 browser pdf-check

# JupyterLab on book/, with MyST rendered by jupyterlab-myst. As root (a container), Jupyter
# refuses to start without --allow-root, so it is passed then and only then.
lab: $(STAMP)
	$(BIN)/jupyter lab book $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name .ipynb_checkpoints -prune -exec rm -rf {} +
