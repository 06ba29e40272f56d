"""The Simplified Chinese edition (简体中文版): Sphinx's gettext machinery on the same notebooks.

As a Sphinx extension (listed in ``_config.yml``) it

- keeps display maths and the text of cell outputs out of the message catalogues: they are shared
  by both editions;
- makes the parts Sphinx's gettext cannot see translatable too: exercise titles, the figure
  descriptions (alt text) of notebook outputs, the table of contents' part captions;
- in the Chinese build (``language = zh_CN``), sets the labels that Sphinx's, the theme's and the
  extensions' own catalogues do not cover (book title, figure numbers, toggle hints, footer,
  header buttons) and warns once per page about every message that has no Chinese translation
  (empty, fuzzy or missing in the catalogue). Under ``-W`` that fails the build, so a change to
  the English prose fails until its Chinese follows;
- gives jieba, which indexes the Chinese pages for search, the glossary's Chinese terms;
- gives every page of each edition a visible link to the same page in the other.

As a script it drives the two steps around the catalogues, which live in
``locales/zh_CN/LC_MESSAGES/<page>.po``, one per page:

    python book/_ext/zh_edition.py po                 # extract messages, update every .po
    python book/_ext/zh_edition.py build [-n -W --keep-going]   # _build/html/zh/

``build`` reads the notebooks' outputs from the execution cache the English build filled
(``_build/.jupyter_cache``), so no notebook runs twice; it builds into ``_build/html-zh`` (its own
doctrees in ``_build/.doctrees-zh``) and copies the result to ``_build/html/zh``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from os import path
from pathlib import Path

from docutils import nodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain
from sphinx.util.nodes import extract_messages

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = "zh_CN"
LOCALES = "locales"
CJK = re.compile(r"[\u3400-\u9fff]")
SUBDIR = "zh"  # the Chinese edition inside the English one: _build/html/zh/

logger = logging.getLogger(__name__)

# What Sphinx's, the theme's and the extensions' own catalogues leave in English.
ZH_CONFIG = {
    "project": "神经网络的数学",
    "html_title": "神经网络的数学",
    "numfig_format": {"figure": "图 %s", "table": "表 %s", "code-block": "代码 %s",
                      "section": "第 %s 节"},
    "togglebutton_hint": "点击显示",
    "togglebutton_hint_hide": "点击隐藏",
    "nb_code_prompt_show": "显示代码",
    "nb_code_prompt_hide": "隐藏代码",
}
ZH_FOOTER = "离线构建：公式、插图和录制的演示都包含在页面之中。"
# The theme's words its own Chinese catalogues leave out (or give in Taiwanese usage), and the ones
# its templates write without a catalogue; replaced in the Chinese pages after they are written.
ZH_THEME = {
    'placeholder="Search this book..."': 'placeholder="搜索本书……"',
    'aria-label="Search this book..."': 'aria-label="搜索本书"',
    'aria-label="Main"': 'aria-label="主导航"',
    'aria-label="Page"': 'aria-label="本页"',
    '"Toggle primary sidebar"': '"显示或隐藏目录栏"',
    '"Toggle secondary sidebar"': '"显示或隐藏本页目录"',
    '"Color mode"': '"颜色模式"',
    '"System Settings"': '"跟随系统设置"',
    "列印成 PDF": "打印为 PDF",
    "© Copyright ": "© 版权所有 ",
    "The nnmath authors": "nnmath 作者团队",
}


def is_chinese(config) -> bool:
    return str(config.language or "").replace("-", "_").lower().startswith("zh")


class KeepSharedParts(SphinxTransform):
    """Display maths and the text of cell outputs are shared, not prose: leave them out of the
    catalogues (runs before Sphinx extracts messages and before its Locale transform).

    An output can depend on the machine (a Markdown output that names the installed PyTorch, for
    one); translating it would make the Chinese build fail wherever it differs. Figure captions
    from cell metadata sit in an output too, and they are prose: they stay translatable.

    An exercise's title node reads "Exercise★ Title" (sphinx-exercise's label, which its own
    catalogue translates, and the title as a subtitle node); a solution's reads "Solution to".
    Only the subtitle is the book's prose: it becomes the message.
    """

    default_priority = 5

    def apply(self, **kwargs):
        for node in self.document.findall(nodes.math_block):
            node["translatable"] = False
        for output in self.document.findall(nodes.container):
            if output.get("nb_element") != "cell_code_output":
                continue
            for node in output.findall(nodes.TextElement):
                if not any(isinstance(a, (nodes.caption, nodes.legend)) for a in _lineage(node)):
                    node["translatable"] = False
        # the titles as written (with their $maths$), by their text as parsed
        written = {_plain(t): t for t, note in _late_messages(Path(self.document["source"]))
                   if note == "exercise title"}
        for title in self.document.findall(nodes.title):
            kind = type(title).__name__
            if kind not in ("exercise_title", "solution_title"):
                continue
            title["translatable"] = False
            for subtitle in title.findall(nodes.subtitle):
                # (Sphinx fills in titles' source only later, at priority 10)
                subtitle.source = title.source or self.document["source"]
                subtitle.line = title.line or title.parent.line
                subtitle.rawsource = written.get(subtitle.astext(), subtitle.astext())
                subtitle["translatable"] = True


def _plain(title: str) -> str:
    """A title's text as docutils gives it back: inline maths without its dollars."""
    return re.sub(r"\$([^$]+)\$", r"\1", title)


def _lineage(node):
    while node is not None:
        yield node
        node = node.parent


def _catalogue(env, docname: str) -> tuple[dict[str, str] | None, str]:
    """The page's compiled Chinese messages (None when it has no catalogue), and its .po file."""
    domain = docname_to_domain(docname, env.config.gettext_compact)
    dirs = [path.join(env.srcdir, d) for d in env.config.locale_dirs]
    catalog, has_catalog = init_locale(dirs, env.config.language, domain)
    po = f"{LOCALES}/{LANGUAGE}/LC_MESSAGES/{domain}.po"
    if not has_catalog:
        return None, po
    merged: dict[str, str] = {}
    catalogues = [getattr(catalog, "_catalog", None)]
    while (catalog := catalog._fallback) is not None:
        catalogues.append(getattr(catalog, "_catalog", None))
    for catalogue in filter(None, reversed(catalogues)):
        merged |= catalogue
    return merged, po


def _report(env, po: str, missing: list[str], what: str) -> None:
    if not missing:
        return
    shown = "; ".join(repr(m[:70] + ("…" if len(m) > 70 else "")) for m in missing[:4])
    logger.warning("%d %s of this page have no Chinese translation (%s%s): run `make po`, then "
                   "write the Chinese for every empty or fuzzy entry of %s (CONTRIBUTING.md, "
                   "'The Chinese edition')", len(missing), what, shown,
                   "; …" if len(missing) > 4 else "", po,
                   location=env.docname, type="zh", subtype="untranslated")


class ReportUntranslated(SphinxTransform):
    """Just before Sphinx's Locale transform (priority 20): list what it cannot translate."""

    default_priority = 19

    def apply(self, **kwargs):
        if not is_chinese(self.config):
            return
        merged, po = _catalogue(self.env, self.env.docname)
        if merged is None:
            logger.warning("the Chinese edition has no catalogue for this page: run `make po` and "
                           "translate %s", po, location=self.env.docname, type="zh",
                           subtype="untranslated")
            return
        _report(self.env, po, [msg for _, msg in extract_messages(self.document)
                               if not merged.get(msg, "").strip()], "message(s)")


class TranslateAltText(SphinxPostTransform):
    """Figure descriptions (alt text) of notebook outputs.

    MyST-NB turns outputs into images only after reading (its post-transform SelectMimeType,
    priority 4), too late for Sphinx's Locale transform and its gettext builder. So `make po` adds
    each notebook's ``mystnb.image.alt`` to the page's catalogue, and this translates it.
    """

    default_priority = 6

    def run(self, **kwargs):
        if not is_chinese(self.config):
            return
        merged, po = _catalogue(self.env, self.env.docname)
        described = set(_notebook_alts(_cells(self.env.doc2path(self.env.docname))))
        missing = []
        for image in self.document.findall(nodes.image):
            alt = image.get("alt")
            if alt and merged is not None and merged.get(alt, "").strip():
                image["alt"] = merged[alt]
            elif alt in described:
                missing.append(alt)
        _report(self.env, po, missing, "figure description(s)")


def _cells(source) -> list[dict]:
    """A page's cells: a notebook's, or a Markdown page as one markdown cell (none if missing)."""
    source = Path(source)
    if not source.is_file():
        return []
    if source.suffix == ".ipynb":
        return json.loads(source.read_text(encoding="utf-8"))["cells"]
    return [{"cell_type": "markdown", "source": source.read_text(encoding="utf-8"),
             "metadata": {}}]


def _notebook_alts(cells: list[dict]) -> list[str]:
    """The alt texts cells give their output images (``mystnb.image.alt``)."""
    return [c["metadata"]["mystnb"]["image"]["alt"] for c in cells
            if c.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")]


def glossary_entries(glossary: Path) -> list[list[str]]:
    """The names of each glossary entry: English names first, then the Chinese column's."""
    entries, block, names = [], False, []
    for line in glossary.read_text(encoding="utf-8").splitlines():
        if line.startswith("```{glossary}"):
            block = True
        elif block and line.startswith("```"):
            block = False
        elif block and line.strip() and not line.startswith(":"):
            if not line[0].isspace():
                names.append(line.strip())
            elif names:
                entries.append(names)
                names = []
    return entries


class _TermSet(set):
    def extend(self, items):
        self.update(items)


def _faster_chinese_search() -> None:
    """Sphinx 7.4's Chinese indexer keeps every Latin word it has split off, repeats included, in
    a list, and looks each word it stems up in that list: quadratic in the size of the book,
    about a third of the Chinese build. The same lookup in a set gives the same index."""
    from sphinx.search import languages
    from sphinx.search.zh import SearchChinese

    class SearchChineseSet(SearchChinese):
        def init(self, options):
            super().init(options)
            self.latin_terms = _TermSet()

    languages["zh"] = SearchChineseSet


def _search_terms(app, config) -> None:
    """Sphinx indexes Chinese with jieba, whose dictionary does not know most of the book's
    terms: 反向传播 would be cut into 反向 and 传播, and a search for the whole term found nothing.
    The glossary's Chinese names become jieba's user dictionary, so each is also indexed whole."""
    glossary = Path(app.srcdir) / "book" / "appendices" / "glossary.md"
    if not glossary.is_file():
        return
    words = sorted({n for names in glossary_entries(glossary) for n in names
                    if CJK.search(n) and " " not in n})
    user_dict = Path(app.doctreedir) / "zh-search-terms.txt"
    user_dict.parent.mkdir(parents=True, exist_ok=True)
    user_dict.write_text("".join(f"{w} 100000\n" for w in words), encoding="utf-8")
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(user_dict)}


def _translated_exercises(app, doctree):
    """sphinx-exercise titles each solution from a copy of its exercise taken while parsing,
    before the translation: give it the translated exercise instead."""
    registry = getattr(app.env, "sphinx_exercise_registry", None)
    if not registry or not is_chinese(app.config):
        return
    for node in doctree.findall(nodes.Element):
        label = node.get("label")
        if (type(node).__name__.startswith("exercise_") and label in registry
                and registry[label].get("docname") == app.env.docname):
            registry[label]["node"] = node.deepcopy()


EXERCISE_TITLE = re.compile(r'(<p class="admonition-title">.*?) ?\((★.*?)\)(</a>)?</p>')


def _chinese_theme(app, exception):
    """Finish the Chinese pages: the theme's words above, and the table of contents' part
    captions ("Chapters"), which sphinx-external-toc adds after Sphinx has translated the page."""
    if exception or not is_chinese(app.config) or app.builder.format != "html":
        return
    merged, po = _catalogue(app.env, app.config.root_doc)
    words = dict(ZH_THEME)
    for caption in _toc_captions(Path(app.srcdir) / app.config.external_toc_path):
        if merged and merged.get(caption, "").strip():
            words[f'<span class="caption-text">{caption}</span>'] = (
                f'<span class="caption-text">{merged[caption]}</span>')
        else:
            logger.warning("the table of contents' caption %r has no Chinese translation in %s",
                           caption, po,
                           type="zh", subtype="untranslated")
    for page in Path(app.outdir).rglob("*.html"):
        text = original = page.read_text(encoding="utf-8")
        for english, chinese in words.items():
            text = text.replace(english, chinese)
        # sphinx-exercise writes "练习 6.1 (★ 标题)": Chinese puts the title in full-width brackets
        text = EXERCISE_TITLE.sub(r"\1（\2）\3</p>", text)
        if text != original:
            page.write_text(text, encoding="utf-8")


def _toc_captions(toc: Path) -> list[str]:
    import yaml

    if not toc.is_file():
        return []
    return [part["caption"] for part in yaml.safe_load(toc.read_text()).get("parts", [])
            if part.get("caption")]


def _chinese_config(app, config):
    config.locale_dirs = [LOCALES]
    config.gettext_compact = False
    if not is_chinese(config):
        return
    for key, value in ZH_CONFIG.items():
        setattr(config, key, value)
    _search_terms(app, config)
    _faster_chinese_search()
    options = dict(config.html_theme_options or {})
    if options.get("extra_footer"):
        options["extra_footer"] = ZH_FOOTER
    config.html_theme_options = options


def twin_href(pagename: str, chinese: bool) -> str:
    """The relative address of the same page in the other edition (Chinese lives in zh/)."""
    depth = pagename.count("/")
    if chinese:
        return "../" * (depth + 1) + pagename + ".html"
    return "../" * depth + f"{SUBDIR}/" + pagename + ".html"


def _twin_link(app, pagename, templatename, context, doctree):
    chinese = is_chinese(app.config)
    href = html.escape(twin_href(pagename, chinese))
    lang, label, title = (("en", "English", "Read this page in English") if chinese else
                          ("zh-CN", "中文", "阅读本页的简体中文版"))
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{lang}" href="{href}" />')
    if "body" in context:
        context["body"] = (
            f'<p class="nnmath-edition"><a href="{href}" hreflang="{lang}" lang="{lang}" '
            f'title="{title}">{label}</a></p>\n' + context["body"])


def setup(app):
    app.add_transform(KeepSharedParts)
    app.add_transform(ReportUntranslated)
    app.add_post_transform(TranslateAltText)
    app.connect("config-inited", _chinese_config, priority=100)
    app.connect("html-page-context", _twin_link)
    app.connect("doctree-read", _translated_exercises)
    app.connect("build-finished", _chinese_theme)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ------------------------------------------------------------------------------------------------
# The command line: `make po` and the Chinese half of `make book`.

def _build(outdir: Path, doctrees: Path, builder: str, overrides: dict, flags: list[str]) -> int:
    from jupyter_book.sphinx import build_sphinx

    overrides = {"external_toc_path": "_toc.yml", "latex_individualpages": False,
                 # the outputs the English build cached: no notebook runs twice
                 "nb_execution_cache_path": str(ROOT / "_build" / ".jupyter_cache"), **overrides}
    if "-n" in flags:
        overrides["nitpicky"] = True
    return build_sphinx(str(ROOT), str(outdir), noconfig=True,
                        path_config=str(ROOT / "_config.yml"),
                        confoverrides=overrides, doctreedir=str(doctrees), builder=builder,
                        warningiserror="-W" in flags, keep_going="--keep-going" in flags,
                        freshenv="--all" in flags)


def build(flags: list[str]) -> int:
    """Build the Chinese edition; with ``--out DIR``, into DIR only (nothing copied)."""
    scratch = None
    if "--out" in flags:
        scratch = Path(flags[flags.index("--out") + 1]).resolve()
    base = scratch or ROOT / "_build"
    out = base / "html-zh"
    status = _build(out, base / ".doctrees-zh", "html", {"language": LANGUAGE}, flags)
    target = ROOT / "_build" / "html" / SUBDIR
    if scratch is None and out.is_dir():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(out, target)
        print(f"The Chinese edition is at {target / 'index.html'}")
    return status


EXERCISE = re.compile(r"^\s*(?:`{3,}|:{3,})\{exercise\}[ \t]*(\S.*?)\s*$", re.M)


def _late_messages(notebook: Path) -> list[tuple[str, str]]:
    """Messages of a page that Sphinx's gettext builder cannot see, with a note for translators:
    the figure descriptions of notebook outputs (see TranslateAltText), and exercise titles
    (sphinx-exercise rebuilds each exercise's title after reading, and only the rebuilt title
    reaches the builder; KeepSharedParts makes the title itself the message)."""
    cells = _cells(notebook)
    messages = [(alt, "alt text: the figure described") for alt in _notebook_alts(cells)]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return messages + [(t, "exercise title") for text in texts for t in EXERCISE.findall(text)]


def _add_late_messages(pot_dir: Path) -> None:
    """Put those messages into each page's template."""
    from babel.messages.pofile import read_po, write_po

    for pot in pot_dir.rglob("*.pot"):
        notebook = ROOT / pot.relative_to(pot_dir).with_suffix(".ipynb")
        messages = _late_messages(notebook)
        if not messages:
            continue
        with open(pot, "rb") as f:
            catalog = read_po(f)
        where = (path.relpath(notebook, pot.parent), 0)
        for text, note in messages:
            catalog.add(text, locations=[where], auto_comments=[note])
        with open(pot, "wb") as f:
            write_po(f, catalog, width=100)


def po() -> int:
    from sphinx_intl import basic

    pot = ROOT / "_build" / "gettext"
    shutil.rmtree(pot, ignore_errors=True)
    status = _build(pot, ROOT / "_build" / ".doctrees-gettext", "gettext", {}, ["--keep-going"])
    if status:
        return status
    _add_late_messages(pot)
    basic.update(str(ROOT / LOCALES), str(pot), (LANGUAGE,), line_width=100, ignore_obsolete=True)
    print(f"Catalogues updated in {ROOT / LOCALES / LANGUAGE / 'LC_MESSAGES'}: translate every "
          "empty msgstr and every entry marked fuzzy (then delete its '#, fuzzy' line).")
    return 0


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["help"]
    if command == "build":
        sys.exit(build(rest))
    if command == "po":
        sys.exit(po())
    sys.exit("usage: python book/_ext/zh_edition.py po | "
             "build [-n] [-W] [--keep-going] [--all] [--out DIR]")
