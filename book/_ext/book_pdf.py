"""The whole book as one PDF, built offline from the HTML book: ``make pdf``.

Jupyter Book 1's ``pdfhtml`` builder downloads a browser at build time, and its LaTeX builder
needs a TeX installation and cannot show the recorded demos; the tests already use Debian's
Chromium, so this prints with it (through Playwright):

1. read the built pages in the order of ``_toc.yml`` (run ``make book`` first);
2. take each page's article, rewrite its image and link paths for one file at the HTML root,
   drop what belongs to the screen (heading anchors, the worked solutions, which stay folded
   in the HTML and the notebooks), and print each recorded demo as four of its frames with
   their captions;
3. put a title page and a table of contents (linked entries) in front, load the theme's styles
   and the offline MathJax, wait until every formula is typeset;
4. print A4 with page numbers in the footer and the chapters as PDF bookmarks, to
   ``_build/pdf/book.pdf``.

Run ``python book/_ext/book_pdf.py [--html DIR] [--out FILE]``. The browser test checks the result
(``tests/test_pdf.py``): it exists, has a page per 500 words or more, and holds every chapter
title and no raw TeX. Left out: page numbers in the table of contents (Chromium cannot compute
them), an index.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import html
import http.server
import json
import os
import posixpath
import re
import shutil
import sys
import threading
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "pdf" / "book.pdf"
COMBINED = "book-print.html"  # written next to the PDF, not into the HTML book
FRAMES_PER_DEMO = 4

PRINT_CSS = """
@page { size: A4; margin: 20mm 20mm 22mm 20mm; }
html, body { background: #fff !important; }
body { font-size: 12pt; margin: 0; line-height: 1.7; color: #1d1d1f;
  font-family: system-ui, "DejaVu Sans", sans-serif; }
pre, code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.highlight, div.cell_output pre { background: #f6f7f9; padding: 2mm; border-radius: 1mm; }
.admonition { border-left: 1mm solid #6b6f76; padding: 1mm 3mm; margin: 3mm 0;
  background: #f6f7f9; }
.admonition-title { font-weight: bold; }
table { border-collapse: collapse; } td, th { border: 0.2mm solid #ccc; padding: 1mm 2mm; }
.pdf-title { height: 240mm; display: flex; flex-direction: column; justify-content: center;
  text-align: center; break-after: page; }
.pdf-title h1 { font-size: 28pt; margin-bottom: 8mm; }
.pdf-title p { font-size: 12pt; color: #333; }
.pdf-toc { break-after: page; }
.pdf-toc ol { list-style: none; padding-left: 0; }
.pdf-toc li { margin: 1.5mm 0; }
.pdf-toc li.sub { padding-left: 8mm; font-size: 9.5pt; }
.pdf-toc .part { font-weight: bold; margin-top: 5mm; }
.pdf-page { break-before: page; }
pre, .highlight pre { white-space: pre-wrap; word-break: break-word; font-size: 10pt;
  line-height: 1.5; }
p { margin: 0 0 3mm; }
h1 { font-size: 22pt; margin: 0 0 6mm; } h2 { font-size: 16pt; margin: 8mm 0 3mm; }
h3 { font-size: 13pt; margin: 6mm 0 2mm; }
img { max-width: 100%; height: auto; break-inside: avoid; }
.cell_output, figure, .math, mjx-container[display="true"] { break-inside: avoid; }
h1, h2, h3 { break-after: avoid; }
.pdf-frames { display: grid; grid-template-columns: 1fr 1fr; gap: 3mm; break-inside: avoid;
  margin: 2mm 0 4mm; }
.pdf-frames figure { margin: 0; }
.pdf-frames figcaption, .pdf-demo-title { font-size: 8.5pt; color: #333; }
.nnmath-twin-note { display: none; }
a { color: inherit; text-decoration: none; }
"""

# Raw TeX left in the prose (outside code) after MathJax ran: the same check as the browser test.
# TeX that MathJax left untypeset, in the element ``root`` selects (default: the whole body).
# (tests/test_browser.py runs it on each page's main.)
RAW_TEX_JS = r"""
(root) => {
  const clone = ((root && document.querySelector(root)) || document.body).cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
       .forEach(e => e.remove());
  const text = clone.innerText, hits = [];
  for (const pat of ['$$', '\\(', '\\[', '\\begin{', '\\frac', '\\mathbf']) {
    const i = text.indexOf(pat);
    if (i >= 0) hits.push(text.slice(Math.max(0, i - 40), i + 40));
  }
  return hits;
}
"""

FOOTER = ("<div style='font-size:8px;width:100%;text-align:center;color:#555'>"
          "<span class='pageNumber'></span> / <span class='totalPages'></span></div>")


def toc_pages(root: Path = ROOT) -> list[tuple[str, str, int]]:
    """``(part caption, page path without suffix, level)`` in reading order; level 0 = chapter."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [("", toc["root"], 0)]

    def walk(entries, caption, level):
        for e in entries or []:
            pages.append((caption, e["file"], level))
            walk(e.get("sections"), caption, level + 1)

    for part in toc.get("parts", []):
        walk(part.get("chapters"), part.get("caption", ""), 0)
    return pages


def _slug(page: str) -> str:
    return "page-" + re.sub(r"[^a-z0-9]+", "-", page.lower()).strip("-")


def _frames(script_text: str):
    """The frames (data URIs) and captions of a recorded-demo player's script."""
    frames = re.search(r"var frames = (\[.*?\]);", script_text, re.S)
    labels = re.search(r"var labels = (\[.*?\]);", script_text, re.S)
    if not frames:
        return [], []
    frames = json.loads(frames.group(1))
    labels = json.loads(labels.group(1)) if labels else [""] * len(frames)
    return frames, labels


def _demo_as_frames(soup, player) -> None:
    """Replace a player by FRAMES_PER_DEMO of its frames, evenly spaced, with captions."""
    script = player.find("script")
    frames, labels = _frames(script.string or "") if script else ([], [])
    if not frames:
        return
    last = len(frames) - 1
    picks = sorted({round(k * last / (FRAMES_PER_DEMO - 1)) for k in range(FRAMES_PER_DEMO)})
    title = player.select_one(".nnmath-player-title")
    alt = player.find("img").get("alt", "recorded demo").split(". ")[0]
    box = soup.new_tag("div", attrs={"class": "pdf-demo"})
    if title:
        head = soup.new_tag("div", attrs={"class": "pdf-demo-title"})
        head.string = f"{title.get_text()} (recorded demo, {len(picks)} of {len(frames)} frames)"
        box.append(head)
    grid = soup.new_tag("div", attrs={"class": "pdf-frames"})
    for i in picks:
        fig = soup.new_tag("figure")
        fig.append(soup.new_tag("img", attrs={"src": frames[i], "alt": f"{alt}. {labels[i]}"}))
        cap = soup.new_tag("figcaption")
        cap.string = labels[i]
        fig.append(cap)
        grid.append(fig)
    box.append(grid)
    player.replace_with(box)


def _rebase(url: str, page_dir: str, known: dict[str, str], prefix: str = "") -> str:
    """A page-relative URL as seen from ``prefix`` (the HTML root seen from the print
    document); links to book pages become anchors."""
    if not url or url.startswith(("data:", "http:", "https:", "mailto:", "#", "javascript:")):
        return url
    path, _, frag = url.partition("#")
    target = posixpath.normpath(posixpath.join(page_dir, path.split("?")[0]))
    if target.endswith(".html"):
        page = target[:-5]
        if page in known:
            return f"#{frag}" if frag else f"#{known[page]}"
    return prefix + target + (f"#{frag}" if frag else "")


def page_article(html_dir: Path, page: str, known: dict[str, str], prefix: str = ""):
    """``(title, article html)`` of one built page, ready for the combined file."""
    soup = BeautifulSoup((html_dir / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article") or soup.select_one("main") or soup.body
    for sel in ("a.headerlink", ".solution", ".toggle-button", "button.copybtn", ".only-dark",
                ".nnmath-edition"):  # the link to the other language: the PDF is one edition
        for el in article.select(sel):
            el.decompose()
    for player in article.select(".nnmath-player"):
        _demo_as_frames(soup, player)
    for el in article.find_all("script"):
        el.decompose()
    page_dir = posixpath.dirname(page)
    for el in article.find_all(["img", "source"]):
        if el.get("src"):
            el["src"] = _rebase(el["src"], page_dir, known, prefix)
    for el in article.find_all("a"):
        if el.get("href"):
            el["href"] = _rebase(el["href"], page_dir, known, prefix)
    h1 = article.find("h1")
    title = h1.get_text(" ", strip=True).replace("#", "").strip() if h1 else page
    return title, str(article)


def _head(html_dir: Path, sample_page: str, prefix: str = "") -> str:
    """The stylesheets and the offline MathJax of a built page, as seen from the HTML root."""
    soup = BeautifulSoup((html_dir / f"{sample_page}.html").read_text(encoding="utf-8"),
                         "html.parser")
    page_dir = posixpath.dirname(sample_page)
    parts = []
    for link in soup.head.find_all("link", rel="stylesheet"):
        if "pydata-sphinx-theme.css" in link["href"]:
            continue  # its screen layout makes Chromium repeat every heading in the bookmarks
        href = _rebase(link["href"], page_dir, {}, prefix)
        parts.append(f'<link rel="stylesheet" href="{href}">')
    for script in soup.head.find_all("script"):
        if script.get("src") and "mathjax" in script["src"].lower():
            src = _rebase(script["src"], page_dir, {}, prefix)
            parts.append(f'<script defer src="{src}"></script>')
        elif script.string and "MathJax" in script.string:
            parts.append(f"<script>{script.string}</script>")
    return "\n".join(parts)


def combined_html(html_dir: Path, root: Path = ROOT, prefix: str = "") -> tuple[str, list[str]]:
    """The print document and the chapter titles in it; ``prefix`` leads from the document's
    folder to ``html_dir`` (e.g. ``"../html/"``)."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    pages = [p for p in toc_pages(root) if (html_dir / f"{p[1]}.html").is_file()]
    missing = [p[1] for p in toc_pages(root) if p not in pages]
    if missing:
        raise FileNotFoundError(f"pages of _toc.yml not built: {missing}. Run `make book` first.")
    known = {p[1]: _slug(p[1]) for p in pages}
    body, toc, titles, last_part = [], [], [], None
    for caption, page, level in pages[1:]:   # the root page is the cover's text, not a chapter
        title, article = page_article(html_dir, page, known, prefix)
        if caption != last_part:
            toc.append(f'<li class="part">{html.escape(caption)}</li>')
            last_part = caption
        cls = ' class="sub"' if level else ""
        toc.append(f'<li{cls}><a href="#{known[page]}">{html.escape(title)}</a></li>')
        if level == 0:
            titles.append(title)
        body.append(f'<section class="pdf-page" id="{known[page]}">{article}</section>')
    today = datetime.date.today().isoformat()
    doc = f"""<!doctype html>
<html lang="en" data-theme="light" data-mode="light"><head><meta charset="utf-8">
<title>{html.escape(config["title"])}</title>
{_head(html_dir, pages[1][1], prefix)}
<style>{PRINT_CSS}</style></head>
<body><div class="bd-content"><div class="pdf-title"><h1>{html.escape(config["title"])}</h1>
<p>{html.escape(config.get("author", ""))}</p><p>Printed from the HTML book, {today}</p></div>
<nav class="pdf-toc"><h1>Contents</h1><ol>{"".join(toc)}</ol></nav>
{"".join(body)}</div></body></html>"""
    return doc, titles


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(directory: Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def build_pdf(html_dir: Path = HTML, out: Path = OUT, root: Path = ROOT) -> Path:
    """Print the book to ``out``; return its path."""
    from playwright.sync_api import sync_playwright

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    html_dir = html_dir.resolve()
    served = Path(os.path.commonpath([html_dir, out.parent]))
    prefix = os.path.relpath(html_dir, out.parent).replace(os.sep, "/") + "/"
    doc, _ = combined_html(html_dir, root, prefix)
    printed = out.parent / COMBINED
    printed.write_text(doc, encoding="utf-8")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        raise FileNotFoundError("make pdf prints with Debian's Chromium: apt-get install chromium")
    server, url = _serve(served)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium,
                                        args=["--no-sandbox", "--disable-gpu",
                                              "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                (url, "data:", "blob:")) else r.abort())
            page.goto(f"{url}/{printed.relative_to(served).as_posix()}", wait_until="load",
                      timeout=300_000)
            page.wait_for_function("() => window.MathJax && MathJax.startup && "
                                   "MathJax.startup.promise", timeout=120_000)
            page.evaluate("() => MathJax.startup.promise")
            raw = page.evaluate(RAW_TEX_JS)
            if raw:
                raise RuntimeError(f"raw TeX left after MathJax, not printing: {raw[:3]}")
            page.emulate_media(media="print")
            page.pdf(path=str(out), format="A4", print_background=True,
                     display_header_footer=True, header_template="<div></div>",
                     footer_template=FOOTER, outline=True, tagged=True,
                     margin={"top": "20mm", "bottom": "22mm", "left": "20mm", "right": "20mm"})
            browser.close()
    finally:
        server.shutdown()
        printed.unlink(missing_ok=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--html", type=Path, default=HTML, help="the built HTML book")
    ap.add_argument("--out", type=Path, default=OUT, help="the PDF to write")
    args = ap.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"make pdf: no HTML book at {args.html}: run `make book` first", file=sys.stderr)
        return 1
    out = build_pdf(args.html, args.out)
    print(f"The PDF is at {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
