"""The Chinese edition: its catalogues are complete and keep the English machinery, and its build
fails when the English changes until the Chinese follows.

The catalogue checks are in tests/zh_catalogues.py (also a command line for translators); here
they run on every catalogue, and on made-up messages to show that each check can fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from babel.messages.pofile import read_po, write_po

from tests.conftest import copy_book_frame
from tests.zh_catalogues import LOCALE_DIR, ROOT, check_catalogue, check_message

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from zh_edition import glossary_entries, twin_href  # noqa: E402


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(items):
        for item in items:
            if "file" in item:
                pages.append(item["file"])
            walk(item.get("sections", []))

    for part in toc.get("parts", []):
        walk(part["chapters"])
    return pages


CATALOGUES = sorted(LOCALE_DIR.rglob("*.po"))


def test_every_page_has_a_catalogue_and_every_catalogue_a_page():
    pages = {p.split(".")[0] for p in _toc_pages()}
    catalogued = {str(p.relative_to(LOCALE_DIR).with_suffix("")) for p in CATALOGUES}
    assert pages - catalogued == set(), "pages without a catalogue: run `make po`"
    assert catalogued - pages == set(), "catalogues of pages that are no longer in _toc.yml"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_catalogue_is_complete_and_keeps_the_markup(po):
    problems = check_catalogue(po)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:25])


def test_glossary_gives_every_entry_an_english_and_a_chinese_name():
    cjk = re.compile(r"[\u3400-\u9fff]")
    entries = glossary_entries(ROOT / "book" / "appendices" / "glossary.md")
    assert len(entries) > 100
    for names in entries:
        assert any(cjk.search(n) for n in names), f"{names}: no Chinese name"
        assert not cjk.search(names[0]), f"{names}: the English name comes first"


GOOD_EN = ("Its loss follows from maximum {term}`likelihood` ([Linear regression]"
           "(../04-linear-regression/linear-regression.ipynb)): $z = w^\\top x$, `log(0)`, "
           "{numref}`fig-log-loss` and **the gradient**.")
GOOD_ZH = ("它的损失来自极大{term}`似然 <likelihood>`（见[线性回归]"
           "(../04-linear-regression/linear-regression.ipynb)）：$z = w^\\top x$、`log(0)`、"
           "{numref}`fig-log-loss` 和**梯度**。")


def test_a_faithful_translation_passes():
    assert check_message(GOOD_EN, GOOD_ZH) == []
    # the Chinese name alone is a glossary term too
    short = GOOD_ZH.replace("{term}`似然 <likelihood>`", "{term}`似然`")
    assert check_message(GOOD_EN, short) == []


@pytest.mark.parametrize("broken, complaint", [
    (GOOD_ZH.replace("w^\\top x", "w^T x"), "inline maths differ"),
    (GOOD_ZH.replace("`log(0)`", "log(0)"), "code differ"),
    (GOOD_ZH.replace("../04-linear-regression/linear-regression.ipynb", "linear.ipynb"),
     "link targets differ"),
    (GOOD_ZH.replace("{numref}`fig-log-loss`", "{numref}`fig-loss`"), "cross-references differ"),
    (GOOD_ZH.replace("{term}`似然 <likelihood>`", "似然"), "{term}`likelihood`"),
    (GOOD_ZH.replace("{term}`似然 <likelihood>`", "{term}`对数几率`"), "same glossary entry"),
    (GOOD_ZH.replace("**梯度**。", "**“梯度”**。"), "does not read a `**`"),
])
def test_each_check_catches_its_mistake(broken, complaint):
    problems = check_message(GOOD_EN, broken)
    assert any(complaint in p for p in problems), problems


def test_a_translation_that_is_not_one_paragraph_is_caught():
    """Sphinx drops such a translation without a word: the heading stays English."""
    heading = "1. Gradient ascent by a sign error"
    assert any("one paragraph" in p for p in check_message(heading, "1. 符号错误导致梯度上升"))
    assert check_message(heading, "1\\. 符号错误导致梯度上升") == []


def test_empty_fuzzy_and_obsolete_entries_are_reported(tmp_path):
    po = tmp_path / "page.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "One."\nmsgstr ""\n\n#, fuzzy\nmsgid "Two."\nmsgstr "二。"\n\n'
                  'msgid "Three."\nmsgstr "三。"\n\n#~ msgid "Gone."\n#~ msgstr "没了。"\n',
                  encoding="utf-8")
    problems = "\n".join(check_catalogue(po))
    assert "'One.': not translated" in problems
    assert "'Two.': fuzzy" in problems
    assert "'Three.'" not in problems
    assert "1 obsolete entries" in problems


@pytest.mark.parametrize("page", ["book/index", "book/06-mlp/mlp-backprop", "search"])
def test_twin_links_lead_to_the_same_page(page):
    to_zh = twin_href(page, chinese=False)
    assert to_zh.endswith(f"zh/{page}.html")
    # follow the link from the English page, then back from the Chinese one
    english_dir = Path("/site") / Path(page).parent
    chinese = (english_dir / to_zh).resolve()
    assert chinese == Path("/site/zh") / f"{page}.html"
    back = (chinese.parent / twin_href(page, chinese=True)).resolve()
    assert back == Path("/site") / f"{page}.html"


# ------------------------------------------------------------------------------------------------
# A small book, built in both languages with the book's own configuration and extensions.

def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BOOK_REPOSITORY_URL"}
    return subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True,
                          env=env, timeout=600)


def _translate(po: Path, chinese: dict[str, str]) -> None:
    with open(po, "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id in chinese:
            message.string = chinese[message.id]
            message.flags.discard("fuzzy")
    with open(po, "wb") as f:
        write_po(f, catalog, width=100)


ZH = {"A small book": "一本小书", "Two pages follow.": "后面有两页。",
      "A page": "一页", "Some maths: $x^2$ and a {term}`logit`.":
      "一些数学：$x^2$ 和一个{term}`对数几率 <logit>`。",
      "A notebook": "一个笔记本", "It draws a line.": "它画一条直线。",
      "A straight line through the origin.": "一条过原点的直线。",
      "The line $y = 2x$.": "直线 $y = 2x$。",
      "A rising straight line from the lower left to the upper right.":
      "一条从左下方升到右上方的直线。"}


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    root = tmp_path_factory.mktemp("zhbook")
    copy_book_frame(root)
    (root / "book" / "appendices").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters:\n"
                                   "  - file: book/appendices/glossary\n  - file: book/plot\n")
    (root / "book" / "index.md").write_text("# A small book\n\nTwo pages follow.\n")
    (root / "book" / "appendices" / "glossary.md").write_text(
        "# A page\n\nSome maths: $x^2$ and a {term}`logit`.\n\n"
        "```{glossary}\nlogit\n对数几率\n  The score.\n```\n")
    ZH.update({"The score.": "分数。", "logit": "logit", "对数几率": "对数几率"})
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    plot = ("import matplotlib.pyplot as plt\n"
            "plt.plot([0, 1], [0, 2])\nplt.show()")
    nb.cells = [nbformat.v4.new_markdown_cell("# A notebook\n\nIt draws a line."),
                nbformat.v4.new_code_cell(plot, metadata={"mystnb": {
                    "figure": {"name": "fig-line", "caption": "The line $y = 2x$."},
                    "image": {"alt": "A rising straight line from the lower left to the "
                                     "upper right."}}}),
                nbformat.v4.new_markdown_cell("A straight line through the origin.")]
    nbformat.write(nb, root / "book" / "plot.ipynb")
    return root


@pytest.mark.build
def test_both_editions_build_and_an_english_change_fails_until_translated(small_book):
    root = small_book
    english = subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build",
                              str(root), "-n", "-W", "--keep-going"],
                             capture_output=True, text=True, timeout=600)
    assert english.returncode == 0, english.stdout[-3000:] + english.stderr[-3000:]
    assert _run(root, "book/_ext/zh_edition.py", "po").returncode == 0
    catalogues = root / "locales" / "zh_CN" / "LC_MESSAGES" / "book"
    assert {str(p.relative_to(catalogues)) for p in catalogues.rglob("*.po")} == {
        "index.po", "appendices/glossary.po", "plot.po"}
    plot_ids = {m.id for m in read_po(open(catalogues / "plot.po", "rb")) if m.id}
    assert "A rising straight line from the lower left to the upper right." in plot_ids
    assert not any("y = 2x" in i and "$$" in i for i in plot_ids)

    # One message left in English: the Chinese build fails and names it, but writes every page.
    for po in catalogues.rglob("*.po"):
        _translate(po, {k: v for k, v in ZH.items() if k != "It draws a line."})
    build = _run(root, "book/_ext/zh_edition.py", "build", "-n", "-W", "--keep-going")
    log = build.stdout + build.stderr
    assert build.returncode != 0, log[-3000:]
    assert "1 message(s) of this page have no Chinese translation ('It draws a line.')" in log
    assert "book/plot.po" in log
    zh = root / "_build" / "html" / "zh" / "book"
    assert all((zh / f"{p}.html").is_file() for p in ("index", "appendices/glossary", "plot"))

    _translate(catalogues / "plot.po", ZH)
    build = _run(root, "book/_ext/zh_edition.py", "build", "-n", "-W", "--keep-going")
    log = build.stdout + build.stderr
    assert build.returncode == 0, log[-3000:]
    assert "Executing" not in log and "Using cached notebook" in log, "no notebook runs twice"
    page = (zh / "plot.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in page and "它画一条直线。" in page and "图 1" in page
    assert 'alt="一条从左下方升到右上方的直线。"' in page
    assert 'href="../../book/plot.html"' in page and ">English<" in page
    english_page = (root / "_build" / "html" / "book" / "plot.html").read_text(encoding="utf-8")
    assert 'href="../zh/book/plot.html"' in english_page and ">中文<" in english_page
    assert "一些数学" in (zh / "appendices" / "glossary.html").read_text(encoding="utf-8")
    index = json.loads(re.search(r"Search\.setIndex\((.*)\)",
                                 (root / "_build" / "html" / "zh" / "searchindex.js")
                                 .read_text(encoding="utf-8")).group(1))
    assert "对数几率" in index["terms"], "the glossary's Chinese names are indexed whole"

    # The English changes: `make po` marks the message fuzzy, and the build fails until the
    # Chinese follows.
    nb = nbformat.read(root / "book" / "plot.ipynb", as_version=4)
    nb.cells[0].source = "# A notebook\n\nIt draws a straight line."
    nbformat.write(nb, root / "book" / "plot.ipynb")
    assert _run(root, "book/_ext/zh_edition.py", "po").returncode == 0
    fuzzy = [m.id for m in read_po(open(catalogues / "plot.po", "rb")) if m.id and m.fuzzy]
    assert fuzzy == ["It draws a straight line."]
    build = _run(root, "book/_ext/zh_edition.py", "build", "-n", "-W", "--keep-going")
    assert build.returncode != 0
    assert "('It draws a straight line.')" in build.stdout + build.stderr
