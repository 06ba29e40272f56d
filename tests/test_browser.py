"""Open every page of the built book in headless Chromium, as a reader with no network would.

Fails when maths is left as raw TeX, an image or script fails to load, a page asks for anything
not on 127.0.0.1, or the console shows an error that is not listed in KNOWN_CONSOLE_ERRORS.
Saves one screenshot per page in _build/screenshots/ for a person to look at.

Run after `make book` (``make test`` builds first). Marked ``browser``: ``pytest -m browser``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import chromium, skip_or_fail

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
from book_pdf import RAW_TEX_JS, _serve  # noqa: E402  (and a quiet local HTTP server)

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
pytestmark = pytest.mark.browser

# Console errors that are understood and harmless. Each entry: (substring, why it is harmless).
KNOWN_CONSOLE_ERRORS: list[tuple[str, str]] = []


def _pages():
    if not HTML.is_dir():
        return []
    skip = {"_static", "_sources", "_images", "_sphinx_design_static", "_panels_static"}
    return sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
                  if not skip & set(p.relative_to(HTML).parts))


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").is_file():
        skip_or_fail("the book is not built (_build/html/index.html missing): run `make book`")
    server, url = _serve(HTML)
    yield url
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


# Links in the page header (theme buttons, navbar). Each must stay inside the book, or be the
# repository the user configured with BOOK_REPOSITORY_URL: no invented link to a page that does not
# exist.
HEADER_LINKS_JS = """
() => Array.from(document.querySelectorAll(
    'header a[href], .bd-header a[href], .header-article a[href], .article-header-buttons a[href],'
    + ' .bd-header-article a[href], nav.navbar a[href]'))
  .map(a => a.href)
"""

BROKEN_IMAGES_JS = """
() => Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => (img.getAttribute('src') || '').slice(0, 80))
"""


# Images a screen reader would announce badly (no alt, or a file name as alt), and figures without
# a numbered caption.
FIGURE_PROBLEMS_JS = r"""
() => {
  const main = document.querySelector('main') || document.body;
  const badAlt = Array.from(main.querySelectorAll('img'))
    .filter(img => !img.closest('.headerlink, .navbar-brand, .logo'))
    .map(img => img.getAttribute('alt') || '')
    // three words, or six Chinese characters (Chinese puts no spaces between words)
    .filter(alt => (alt.trim().split(/\s+/).length < 3
                    && (alt.match(/[\u3400-\u9fff]/g) || []).length < 6)
                   || /\.(png|svg|jpe?g|gif)\b|_images\//.test(alt))
    .map(alt => alt.slice(0, 60));
  const uncaptioned = Array.from(main.querySelectorAll('figure'))
    .filter(f => !f.querySelector('figcaption .caption-number'))
    .map(f => f.id || (f.querySelector('img') || {}).alt || '?');
  return [badAlt, uncaptioned];
}
"""


REDIRECTS = ("index.html", "zh/index.html")


@pytest.mark.parametrize("redirect", REDIRECTS)
def test_root_redirects_to_the_book(redirect):
    if not (HTML / redirect).is_file():
        skip_or_fail(f"the book is not built (_build/html/{redirect} missing): run `make book`")
    text = (HTML / redirect).read_text()
    assert 'http-equiv="Refresh"' in text or 'http-equiv="refresh"' in text
    assert (HTML / redirect).parent.joinpath("book", "index.html").is_file()


def check_page(browser, site: str, page_path: str, screenshot: Path | None = None,
               full_page: bool = True) -> list[str]:
    """Open one page like a reader with no network; return the problems found."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    outside, failed, console_errors = [], [], []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((site, "data:", "blob:", "about:")) else None)
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})")
            if r.url.startswith(site) else None)
    page.on("response", lambda r: failed.append(f"{r.url} (HTTP {r.status})")
            if r.status >= 400 else None)
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))
    # Anything not on this machine is blocked, and recorded above as a failure.
    page.route("**/*", lambda route: route.continue_()
               if route.request.url.startswith((site, "data:", "blob:")) else route.abort())
    page.goto(f"{site}/{page_path}", wait_until="load")
    has_mathjax = page.evaluate("() => !!document.querySelector('script[src*=mathjax]')")
    if has_mathjax:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=20_000)
        page.evaluate("() => MathJax.startup.promise")
    page.wait_for_timeout(200)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=full_page)
    raw_tex = page.evaluate(RAW_TEX_JS, "main")
    broken = page.evaluate(BROKEN_IMAGES_JS)
    bad_alt, uncaptioned = page.evaluate(FIGURE_PROBLEMS_JS)
    configured = os.environ.get("BOOK_REPOSITORY_URL", "").strip()
    foreign = [h for h in page.evaluate(HEADER_LINKS_JS)
               if not h.startswith((site, "javascript:", "#"))
               and not (configured and h.startswith(configured))]
    ctx.close()

    unknown = [e for e in console_errors
               if not any(known in e for known, _ in KNOWN_CONSOLE_ERRORS)]
    problems = []
    if outside:
        problems.append(f"requests off this machine: {sorted(set(outside))[:5]}")
    if failed:
        problems.append(f"failed loads: {failed[:5]}")
    if unknown:
        problems.append(f"console errors: {unknown[:5]}")
    if raw_tex:
        problems.append(f"raw TeX visible (maths not typeset): {raw_tex[:3]}")
    if broken:
        problems.append(f"images that did not load: {broken[:5]}")
    if bad_alt:
        problems.append(f"images without a descriptive alt text: {bad_alt[:5]}")
    if uncaptioned:
        problems.append(f"figures without a numbered caption: {uncaptioned[:5]}")
    if foreign:
        problems.append("header links out of the book (not configured): "
                        f"{sorted(set(foreign))[:5]}")
    return problems


# index.html and zh/index.html only redirect to book/index.html (tested below)
@pytest.mark.parametrize("page_path", [p for p in _pages() if p not in REDIRECTS]
                         or ["book/index.html"])
def test_page(site, browser, page_path):
    shot = SHOTS / (page_path.replace("/", "__")[:-5] + ".png")
    # A whole-page screenshot costs about 2 s; the Chinese pages repeat the English ones' figures,
    # so their screenshot shows the first screen only.
    problems = check_page(browser, site, page_path, shot, full_page=not page_path.startswith("zh/"))
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


BAD_PAGE = """<!doctype html><html><head><title>bad</title>
<script src="https://cdn.invalid/lib.js"></script></head>
<body><header><a href="https://github.invalid/nobody/nothing">Repository</a></header>
<main><p>Raw maths: $$x^2$$ and \\(y\\)</p>
<img src="missing.png" alt="missing"><script>console.error("boom")</script>
<figure id="fig-x"><img src="data:image/png;base64,iVBORw0KGgo=" alt="../../_images/ab12.png">
</figure></main></body></html>
"""


def test_the_check_catches_each_kind_of_problem(browser, tmp_path):
    """The browser check itself can fail: a page with every fault is reported for each."""
    (tmp_path / "bad.html").write_text(BAD_PAGE)
    (tmp_path / "good.html").write_text("<!doctype html><html><body><main><p>Fine.</p></main>"
                                        "</body></html>")
    server, url = _serve(tmp_path)
    try:
        problems = " | ".join(check_page(browser, url, "bad.html"))
        assert check_page(browser, url, "good.html") == []
    finally:
        server.shutdown()
    for expected in ("requests off this machine", "cdn.invalid", "failed loads", "missing.png",
                     "console errors", "boom", "raw TeX visible", "images that did not load",
                     "header links out of the book", "github.invalid",
                     "images without a descriptive alt text", "_images/ab12.png",
                     "figures without a numbered caption", "fig-x"):
        assert expected in problems, f"{expected!r} not reported in: {problems}"


def test_every_figure_a_notebook_draws_is_in_its_page():
    """Each code cell that shows a matplotlib figure leaves an image in the HTML page.

    Guards against a build whose kernels cannot display figures (for example a non-inline
    MPLBACKEND in the environment), which runs without error and leaves the figures out.
    """
    import json
    import re

    if not (HTML / "index.html").is_file():
        skip_or_fail("the book is not built (_build/html/index.html missing): run `make book`")
    checked = 0
    for nb in sorted((ROOT / "book").rglob("*.ipynb")):
        page = HTML / nb.relative_to(ROOT).with_suffix(".html")
        if not page.is_file():
            continue
        cells = json.loads(nb.read_text())["cells"]
        drawn = sum(1 for c in cells if c["cell_type"] == "code"
                    and "remove-cell" not in c.get("metadata", {}).get("tags", [])
                    and re.search(r"plt\.show\(\)", "".join(c["source"])))
        images = len(re.findall(r"<img ", page.read_text()))
        assert images >= drawn, f"{page.name}: {drawn} cells draw a figure, only {images} images"
        checked += 1
    assert checked, "no built notebook pages found"


def test_the_recorded_demo_player_works_from_the_keyboard(browser, tmp_path):
    """Tab reaches the player; arrows and Home/End step; Space plays and pauses; the frame's
    caption is a live region and the image's alt follows the frame."""
    from nnmath.plotting import fig_to_png, frames_player_html, new_figure

    fig, ax = new_figure()
    frames = []
    for k in range(3):
        ax.clear()
        ax.plot([0, 1], [0, k])
        frames.append(fig_to_png(fig, dpi=30))
    player = frames_player_html(frames, ["epoch 1", "epoch 2", "epoch 3"], title="Demo",
                                alt="A line that tilts", interval_ms=5000)
    (tmp_path / "p.html").write_text(f"<!doctype html><html><body><main>{player}</main></body>"
                                     "</html>")
    server, url = _serve(tmp_path)
    page = browser.new_page()
    try:
        page.goto(f"{url}/p.html")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "nnmath-player"
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") \
            == "Demo: recorded demo"

        def state():
            return page.evaluate("""() => {
              const r = document.querySelector('.nnmath-player');
              return [r.querySelector('.nnmath-player-label').textContent,
                      r.querySelector('img').alt,
                      r.querySelector('button').getAttribute('aria-label'),
                      r.querySelector('input').getAttribute('aria-valuetext')]; }""")

        assert state() == ["epoch 3", "A line that tilts. epoch 3", "Play", "epoch 3"]
        page.keyboard.press("ArrowLeft")
        assert state()[0] == "epoch 2" and state()[3] == "epoch 2"
        page.keyboard.press("Home")
        assert state()[:2] == ["epoch 1", "A line that tilts. epoch 1"]
        page.keyboard.press("End")
        assert state()[0] == "epoch 3"
        page.keyboard.press("Space")
        assert state()[0] == "epoch 1" and state()[2] == "Pause"
        page.keyboard.press("Space")
        assert state()[2] == "Play"
        assert page.evaluate("document.querySelector('.nnmath-player-label')"
                             ".getAttribute('aria-live')") == "polite"
        page.keyboard.press("Tab")   # the Play button, then the slider, are reachable
        assert page.evaluate("document.activeElement.tagName") == "BUTTON"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.tagName") == "INPUT"
        page.keyboard.press("ArrowRight")  # the slider's own step
        assert state()[0] == "epoch 2"
    finally:
        page.close()
        server.shutdown()


CONTRAST_JS = r"""
(selectors) => {
  function rgba(s) {
    const m = s.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(',').map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function lum(c) {
    const f = v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  function over(top, bottom) {   // alpha compositing of two colours
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function background(el) {       // the colour actually behind el: its ancestors' layers
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    if (layers.length && layers[layers.length - 1][3] >= 1) bg = layers.pop();
    while (layers.length) bg = over(layers.pop(), bg);
    return bg;
  }
  const out = [];
  for (const sel of selectors) {
    const els = Array.from(document.querySelectorAll(sel))
      .filter(e => e.offsetParent !== null && e.textContent.trim()).slice(0, 5);
    for (const el of els) {
      const bg = background(el);
      const fg = over(rgba(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      out.push([sel, +((a + 0.05) / (b + 0.05)).toFixed(2), el.textContent.trim().slice(0, 30)]);
    }
  }
  return out;
}
"""

CONTRAST_SELECTORS = ["main p", "main li", ".nnmath-twin-note", ".nnmath-twin-note code",
                      ".nnmath-player-label", ".nnmath-player-title", ".nnmath-player button",
                      ".nnmath-player-help", "main .admonition p"]


def _chapter_pages() -> list[str]:
    """The first page of each chapter and each appendix notebook, in the order of _toc.yml."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{p}.html" for p in pages
            if p.split("/")[1][:2].isdigit() or p.endswith(("mistakes", "pytorch"))]


THEME_FIGURES_JS = """() => {
  const vis = sel => Array.from(document.querySelectorAll('main ' + sel))
    .filter(i => i.offsetParent !== null);
  const fig = vis('figure img');
  return [vis('img.only-light').length, vis('img.only-dark').length,
          fig.map(i => i.alt).filter(a => !a).length,
          document.querySelectorAll('main figure:has(img.only-dark)').length,
          vis('figure figcaption').length,
          document.querySelectorAll('main figure').length];
}"""


@pytest.mark.parametrize("page_path", _chapter_pages())
def test_text_contrast_in_both_themes(site, browser, page_path):
    """Body text, notes and the players' labels keep WCAG AA contrast (4.5:1) in each theme,
    computed from the rendered colours; each theme shows its own version of every paired figure
    and every caption; one screenshot per chapter and theme is saved in
    _build/screenshots/themes/ for a person to look at. (One page load, both themes.)"""
    if not (HTML / page_path).is_file():
        skip_or_fail(f"{page_path} is not built: run `make book`")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    results = {}
    try:
        page.goto(f"{site}/{page_path}", wait_until="load")
        for theme in ("light", "dark"):
            page.evaluate("t => { document.documentElement.dataset.theme = t; "
                          "document.documentElement.dataset.mode = t; }", theme)
            page.wait_for_timeout(100)
            results[theme] = (page.evaluate(CONTRAST_JS, CONTRAST_SELECTORS),
                              page.evaluate(THEME_FIGURES_JS))
            (SHOTS / "themes").mkdir(parents=True, exist_ok=True)
            name = Path(page_path).with_suffix("").name
            page.screenshot(path=str(SHOTS / "themes" / f"{name}-{theme}.png"), full_page=False)
    finally:
        page.close()
    for theme, (found, shown) in results.items():
        seen = {sel for sel, _, _ in found}
        assert "main p" in seen, f"no visible paragraph on {page_path}: the check saw {seen}"
        if "linear-regression" in page_path:   # a page with recorded demos and their notes
            for needed in (".nnmath-twin-note", ".nnmath-player-label"):
                assert needed in seen, f"no visible {needed!r} on {page_path}: saw {seen}"
        low = [f for f in found if f[1] < 4.5]
        assert not low, f"{theme} theme: contrast below 4.5:1 (selector, ratio, text): {low}"
        light, dark, no_alt, paired, captions, figures = shown
        # each figure with two versions shows the one of its theme; every caption stays visible
        assert (light, dark) == ((paired, 0) if theme == "light" else (0, paired)), \
            f"{theme} theme: {light} light and {dark} dark images shown for {paired} pairs"
        assert captions == figures and no_alt == 0


# ------------------------------------------------------------------------------------------------
# The Chinese edition (_build/html/zh/). Every page of it is also opened by test_page above.

def _book_pages(html_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(html_dir)) for p in (html_dir / "book").rglob("*.html"))


def test_every_page_links_to_its_twin_in_the_other_edition():
    """Every chapter, appendix and front-matter page exists in both languages, and each has a
    visible link at its top to the same page in the other."""
    from bs4 import BeautifulSoup

    zh = HTML / "zh"
    if not (zh / "index.html").is_file():
        skip_or_fail("the Chinese edition is not built (_build/html/zh/index.html): `make book`")
    english, chinese = _book_pages(HTML), _book_pages(zh)
    assert english == chinese and len(english) >= 26, set(english) ^ set(chinese)
    for root, label, lang in ((HTML, "中文", "zh-CN"), (zh, "English", "en")):
        for page in english:
            soup = BeautifulSoup((root / page).read_text(encoding="utf-8"), "html.parser")
            link = soup.select_one("main p.nnmath-edition a")
            assert link is not None and link.get_text() == label, f"{root / page}: no twin link"
            twin = (root / page).parent / link["href"]
            other = zh if root == HTML else HTML
            assert twin.resolve() == (other / page).resolve(), f"{root / page} -> {twin}"
            assert soup.html["lang"] == ("zh-CN" if root == zh else "en")
            assert link["hreflang"] == lang


# One Chinese term from each chapter, and the folder of the chapter a search for it must find.
CHINESE_SEARCHES = [("奇异值", "01-vectors-matrices"), ("链式法则", "02-derivatives"),
                    ("大数定律", "03-probability"), ("岭回归", "04-linear-regression"),
                    ("逻辑回归", "05-logistic-regression"), ("反向传播", "06-mlp"),
                    ("批归一化", "07-training")]


@pytest.mark.parametrize("term, chapter", CHINESE_SEARCHES)
def test_a_chinese_search_finds_its_chapter(site, browser, term, chapter):
    if not (HTML / "zh" / "search.html").is_file():
        skip_or_fail("the Chinese edition is not built (_build/html/zh/search.html): `make book`")
    page = browser.new_page()
    errors = []
    # (a browser asks for /favicon.ico by itself; the book has none)
    page.on("response", lambda r: errors.append(f"{r.url} (HTTP {r.status})")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    try:
        page.goto(f"{site}/zh/search.html?q={term}", wait_until="load")
        # Sphinx lists the results one by one, then writes the summary ("搜索完成……")
        page.wait_for_function("() => { const s = document.querySelector("
                               "'#search-results .search-summary');"
                               " return s && s.textContent.trim().length > 0 }", timeout=30_000)
        found = page.evaluate("() => Array.from(document.querySelectorAll('#search-results li a'))"
                              ".map(a => a.getAttribute('href'))")
    finally:
        page.close()
    assert any(f"book/{chapter}/" in h for h in found), f"{term}: found only {found[:10]}"
    assert not errors, errors


# Words that stay as they are in the Chinese pages' frame (names, file types, a key).
LATIN_IN_CHINESE_FRAME = {"Ctrl", "pdf", "ipynb", "nnmath", "NumPy", "PyTorch", "PDF", "English",
                          "XOR", "Keras", "MathJax", "jieba", "JavaScript"}


def test_the_theme_speaks_chinese_in_the_chinese_edition():
    """Outside the article (header, sidebars, footer, buttons' titles and labels), a Chinese page
    shows no English word: the theme's catalogues do not cover every label, and the table of
    contents' captions are added after Sphinx translates a page (book/_ext/zh_edition.py)."""
    from bs4 import BeautifulSoup, Comment

    zh = HTML / "zh"
    if not (zh / "index.html").is_file():
        skip_or_fail("the Chinese edition is not built (_build/html/zh/index.html): `make book`")
    found: dict[str, set[str]] = {}
    for page in _book_pages(zh) + ["search.html", "genindex.html"]:
        soup = BeautifulSoup((zh / page).read_text(encoding="utf-8"), "html.parser")
        # (the article and the sections listed beside it are the book's text, tested elsewhere)
        for el in soup.select("article.bd-article, script, style, .bd-sidebar-secondary, "
                              ".bd-toc-nav, .section-nav, mjx-container, span.math, code"):
            el.decompose()
        texts = [t for t in soup.body.find_all(string=True) if not isinstance(t, Comment)]
        for el in soup.body.find_all(True):
            texts += [el.get(a) or "" for a in ("title", "aria-label", "placeholder",
                                                 "data-bs-title")]
        for text in texts:
            for word in re.findall(r"[A-Za-z]{3,}", str(text)):
                if word not in LATIN_IN_CHINESE_FRAME:
                    found.setdefault(word, set()).add(page)
    assert not found, {w: sorted(p)[:3] for w, p in found.items()}


TOFU_JS = """() => {
  // Two different characters drawn in the page's font: with no Chinese font both come out as the
  // same empty box ("tofu").
  const font = getComputedStyle(document.querySelector('main p')).fontFamily;
  const draw = ch => { const c = document.createElement('canvas'); c.width = c.height = 40;
    const x = c.getContext('2d'); x.font = '32px ' + font; x.fillText(ch, 2, 32);
    return Array.from(x.getImageData(0, 0, 40, 40).data).join(','); };
  return draw('中') !== draw('网');
}"""


def test_chinese_pages_render_chinese_glyphs(site, browser):
    """The screenshots of the Chinese edition show Chinese. The book ships no font (every system
    set up for Chinese has one); a test machine without one draws empty boxes."""
    if not (HTML / "zh" / "index.html").is_file():
        skip_or_fail("the Chinese edition is not built (_build/html/zh/index.html): `make book`")
    page = browser.new_page()
    try:
        page.goto(f"{site}/zh/book/front/preface.html", wait_until="load")
        distinct = page.evaluate(TOFU_JS)
    finally:
        page.close()
    if not distinct:
        skip_or_fail("this machine has no Chinese font, so Chinese pages show empty boxes: install "
                     "one (Debian/Ubuntu: apt-get install fonts-wqy-microhei; .ci/run does)")
