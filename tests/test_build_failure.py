"""A failing notebook fails the build but never leaves the reader without a book.

Builds a small book in a temporary folder with the book's own ``_config.yml`` and extensions:
one page, one good notebook and one notebook whose hidden assertion fails. The build must exit
non-zero, name the failing notebook, cell and message in its closing summary, and still write
every page, the failing one with the outputs it has and a warning box. Fixing the notebook makes
the same build pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from book._ext.build_report import describe
from tests.conftest import copy_book_frame

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = list(cells)
    return nb


def _bad(fixed: bool):
    check = nbformat.v4.new_code_cell(
        f"x = 1\nassert x == (1 if {fixed} else 2), 'the deliberate failure'",
        metadata={"tags": ["remove-cell"]})
    return _notebook(nbformat.v4.new_markdown_cell("# A notebook that fails"),
                     nbformat.v4.new_code_cell("print('printed before the failure')"),
                     check,
                     nbformat.v4.new_code_cell("print('printed after the failure')"))


def _build(root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BOOK_REPOSITORY_URL"}
    return subprocess.run([str(JUPYTER_BOOK), "build", str(root), "-n", "-W", "--keep-going"],
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    if not JUPYTER_BOOK.exists():
        pytest.skip("jupyter-book is not installed next to this Python")
    root = tmp_path_factory.mktemp("book")
    copy_book_frame(root)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters:\n"
                                   "  - file: book/good\n  - file: book/bad\n  - file: book/page\n")
    (root / "book" / "index.md").write_text("# A small book\n\nThree pages follow.\n")
    (root / "book" / "page.md").write_text("# A page\n\nSome maths: $x^2$.\n")
    nbformat.write(_notebook(nbformat.v4.new_markdown_cell("# A good notebook"),
                             nbformat.v4.new_code_cell("print('good output 42')")),
                   root / "book" / "good.ipynb")
    nbformat.write(_bad(fixed=False), root / "book" / "bad.ipynb")
    return root


@pytest.mark.build
def test_failing_cell_fails_the_build_but_every_page_is_built(small_book):
    result = _build(small_book)
    log = result.stdout + result.stderr
    assert result.returncode != 0, "a failing cell must fail the build\n" + log[-3000:]
    html = small_book / "_build" / "html" / "book"
    for page in ("index", "good", "bad", "page"):
        assert (html / f"{page}.html").is_file(), f"{page}.html was not built\n{log[-3000:]}"
    assert "good output 42" in (html / "good.html").read_text()
    bad = (html / "bad.html").read_text()
    assert "printed before the failure" in bad, "the failing page keeps the outputs it has"
    assert "A check on this page failed" in bad and "the deliberate failure" in bad
    summary = (small_book / "_build" / "html" / "reports" / "summary.txt").read_text()
    assert "bad.ipynb, cell 2" in summary, summary
    assert "AssertionError: the deliberate failure" in summary, summary
    assert "BOOK BUILD: 1 notebook(s) failed" in log and "good.ipynb" not in summary

    # The same book with the notebook fixed builds cleanly: the failure above came from the cell.
    nbformat.write(_bad(fixed=True), small_book / "book" / "bad.ipynb")
    result = _build(small_book)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "BOOK BUILD" not in log
    assert "A check on this page failed" not in (html / "bad.html").read_text()


def test_the_summary_names_cell_and_message(tmp_path):
    nb = _bad(fixed=False)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    traceback = ("An error occurred while executing the following cell:\n------------------\n"
                 + nb.cells[2].source + "\n------------------\n\n\x1b[0;31mAssertionError\x1b[0m"
                 "\nTraceback ...\nAssertionError: the deliberate failure\n")
    got = describe(path, traceback, "CellExecutionError")
    assert got["cell"] == 2 and got["first_line"] == "x = 1"
    assert got["message"] == "AssertionError: the deliberate failure"
