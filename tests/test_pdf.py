"""The PDF edition (``make pdf``, book/_ext/book_pdf.py) holds the whole book.

Checks ``_build/pdf/book.pdf``: it opens, has a page per 500 words of prose or more (the
text is not squeezed or cut), has a bookmark for every page of ``_toc.yml`` in order (its title,
as in the HTML), and on a sample of its pages shows text, no raw TeX, and demos as frames.
Marked ``pdf``; ``make test`` prints the PDF from its clean build first.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "pdf" / "book.pdf"
pytestmark = pytest.mark.pdf
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import book_pdf  # noqa: E402


@pytest.fixture(scope="module")
def pdf():
    if not PDF.is_file():
        skip_or_fail("the PDF is not built (_build/pdf/book.pdf missing): run `make pdf`")
    pypdf = pytest.importorskip("pypdf")
    return pypdf.PdfReader(str(PDF))


def _norm(s: str) -> str:
    s = s.replace("\ufb01", "fi").replace("\ufb00", "ff").replace("\ufb02", "fl")
    return re.sub(r"\s+", " ", s).strip()


def _bookmarks(outline, depth=0):
    """(depth, title) of every PDF bookmark, in order (Chromium makes them from the headings)."""
    out = []
    for item in outline:
        if isinstance(item, list):
            out += _bookmarks(item, depth + 1)
        else:
            out.append((depth, _norm(item.title)))
    return out


def test_every_page_of_the_toc_is_a_bookmark_in_order(pdf):
    marks = [t for _, t in _bookmarks(pdf.outline)]
    at = 0
    for _, page, _ in book_pdf.toc_pages()[1:]:
        title, _ = book_pdf.page_article(HTML, page, {})
        title = _norm(title)
        # Chromium drops the space where a long heading wraps: compare without spaces
        hits = [i for i, t in enumerate(marks[at:], start=at)
                if t.replace(" ", "") == title.replace(" ", "")]
        assert hits, f"{page}: {title!r} is not a bookmark after {marks[at - 1]!r}"
        at = hits[0] + 1


def test_a_page_per_500_words(pdf):
    """Words of prose: code and formulas are left out of the count (they take room on the page,
    but the TeX source of a formula is not words a reader reads)."""
    from bs4 import BeautifulSoup

    words = 0
    for _, page, _ in book_pdf.toc_pages():
        _, article = book_pdf.page_article(HTML, page, {})
        soup = BeautifulSoup(article, "html.parser")
        for el in soup.select("pre, code, .math, .highlight, script, style"):
            el.decompose()
        words += len(soup.get_text(" ").split())
    assert words > 20_000, f"only {words} words in the HTML book: is it built?"
    assert len(pdf.pages) >= words / 500, \
        f"{len(pdf.pages)} pages for {words} words: more than 500 words a page"


def test_text_is_there_maths_typeset_and_demos_printed(pdf):
    """Every page has text or a figure; no raw TeX outside code on a sample of pages (the
    printer itself refuses to print a document with raw TeX left in its prose); the
    recorded demos are printed as captioned frames."""
    sample = range(2, len(pdf.pages), 3)
    text = {i: _norm(pdf.pages[i].extract_text() or "") for i in sample}
    empty = [i + 1 for i, t in text.items() if len(t) < 40 and not pdf.pages[i].images]
    assert not empty, f"pages with no text and no figure: {empty[:10]}"
    joined = " ".join(text.values())
    for raw in ("$$", "\\begin{"):
        assert raw not in joined, f"raw TeX {raw!r} in the PDF: MathJax did not typeset it"
    demo = re.compile(r"recorded demo, \d+ of \d+ frames")
    assert demo.search(joined) or any(
        demo.search(_norm(pdf.pages[i].extract_text() or ""))
        for i in range(len(pdf.pages)) if i not in text), "no demo printed as frames"
