"""Checks of the Chinese edition's message catalogues (locales/zh_CN/LC_MESSAGES/**/*.po).

Each entry's Chinese must be complete (not empty, not fuzzy) and keep the English message's
machinery: the same inline maths, the same code, the same link targets, the same cross-reference
targets, and glossary terms linked to the same entry under its Chinese name from the glossary's
Chinese column. The markup is read by the book's own MyST parser, so a `**` or `$` that MyST
would not read as bold or maths next to Chinese punctuation is caught here, not in the HTML.

Run on some catalogues while translating (each problem on a line, exit status 1 if any):

    .venv/bin/python tests/zh_catalogues.py locales/zh_CN/LC_MESSAGES/book/06-mlp/*.po
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from zh_edition import CJK, glossary_entries  # noqa: E402

LOCALE_DIR = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"
GLOSSARY = ROOT / "book" / "appendices" / "glossary.md"
# Roles whose content names a target that must stay the same (its shown text may change).
TARGET_ROLES = {"doc", "ref", "numref", "eq", "math:numref", "cite", "cite:p", "cite:t",
                "download", "term", "abbr"}
ROLE_TARGET = re.compile(r"<([^<>]+)>\s*$")


@cache
def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = MdParserConfig(enable_extensions={"amsmath", "dollarmath", "colon_fence", "deflist",
                                               "substitution"})
    return create_md_parser(config, RendererHTML)


def markup(text: str) -> dict[str, Counter]:
    """What MyST reads in one message: maths, code, link targets, roles, and leftover markers."""
    found = {"math": Counter(), "code": Counter(), "link": Counter(), "role": Counter(),
             "stray": Counter()}
    tokens = _parser().parseInline(text)
    for token in tokens:
        for child in token.children or []:
            if child.type in ("math_inline", "math_inline_double"):
                found["math"][" ".join(child.content.split())] += 1
            elif child.type == "code_inline":
                found["code"][child.content] += 1
            elif child.type == "link_open":
                found["link"][child.attrGet("href")] += 1
            elif child.type == "myst_role":
                name = child.meta.get("name", "")
                content = child.content
                match = ROLE_TARGET.search(content)
                target = match.group(1) if match else content
                found["role"][(name, target.strip())] += 1
            elif child.type == "text":
                for marker in ("**", "$", "`"):
                    if marker in child.content:
                        found["stray"][marker] += child.content.count(marker)
    return found


@cache
def glossary() -> dict[str, tuple[frozenset[str], tuple[str, ...]]]:
    """Each glossary name (lower case) -> (all names of its entry, the entry's Chinese names)."""
    entries = {}
    for names in glossary_entries(GLOSSARY):
        chinese = tuple(n for n in names if CJK.search(n))
        for name in names:
            entries[name.lower()] = (frozenset(n.lower() for n in names), chinese)
    return entries


def _term_problems(english: dict, chinese: dict) -> list[str]:
    terms = glossary()
    problems = []
    wanted = [t for (role, t) in english["role"].elements() if role == "term"]
    have = [t for (role, t) in chinese["role"].elements() if role == "term"]
    for target in wanted:
        entry = terms.get(target.lower())
        if entry is None:
            continue  # an unknown term: the build reports it
        names, zh_names = entry
        if not any(t.lower() in names for t in have):
            problems.append(f"{{term}}`{target}` must stay a {{term}} link to the same glossary "
                            f"entry, e.g. {{term}}`{zh_names[0] if zh_names else target}`")
    return problems


def one_paragraph(text: str) -> bool:
    """Whether MyST reads ``text`` as a single paragraph. Sphinx silently drops a translation
    that is anything else (a list, a heading, a table): "1. 标题" is read as a numbered list."""
    blocks = [t.type for t in _parser().parse(text) if t.level == 0]
    return blocks == ["paragraph_open", "paragraph_close"]


def check_message(msgid: str, msgstr: str) -> list[str]:
    """Problems with one translated message (empty list: fine)."""
    english, chinese = markup(msgid), markup(msgstr)
    problems = []
    if msgstr != msgid and not one_paragraph(msgstr):
        problems.append("MyST does not read this Chinese as one paragraph, so Sphinx would "
                        "silently show the English instead: escape a leading '1.' as '1\\.', "
                        "'-' or '#' as '\\-' or '\\#'")
    for kind, label in (("math", "inline maths"), ("code", "code"), ("link", "link targets")):
        if english[kind] != chinese[kind]:
            lost = list((english[kind] - chinese[kind]).elements())
            extra = list((chinese[kind] - english[kind]).elements())
            problems.append(f"{label} differ: missing {lost}, unexpected {extra}")
    roles_en = Counter({k: v for k, v in english["role"].items() if k[0] != "term"})
    roles_zh = Counter({k: v for k, v in chinese["role"].items() if k[0] != "term"})
    if roles_en != roles_zh:
        problems.append(f"cross-references differ: missing {list((roles_en - roles_zh).elements())}"
                        f", unexpected {list((roles_zh - roles_en).elements())}")
    problems += _term_problems(english, chinese)
    for marker, count in chinese["stray"].items():
        if count > english["stray"].get(marker, 0):
            problems.append(f"MyST does not read a `{marker}` as markup here; next to Chinese "
                            f"punctuation, put the punctuation outside the markup or add a space")
    return problems


def check_catalogue(po_path: Path) -> list[str]:
    """Every problem of one .po file, each as 'file:line: message: problem'."""
    po_path = Path(po_path)
    rel = po_path.relative_to(ROOT) if po_path.is_relative_to(ROOT) else po_path
    with open(po_path, "rb") as f:
        catalog = read_po(f)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        where = f"{rel}:{message.lineno}: {str(message.id)[:60]!r}"
        if message.fuzzy:
            problems.append(f"{where}: fuzzy (the English changed): check the Chinese, then "
                            f"delete the '#, fuzzy' line")
        if not str(message.string).strip():
            problems.append(f"{where}: not translated (empty msgstr)")
            continue
        problems += [f"{where}: {p}" for p in check_message(message.id, message.string)]
    obsolete = len(catalog.obsolete)
    if obsolete:
        problems.append(f"{rel}: {obsolete} obsolete entries (#~): run `make po`, which drops them")
    return problems


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted(LOCALE_DIR.rglob("*.po"))
    all_problems = [p for path in paths for p in check_catalogue(path.resolve())]
    print("\n".join(all_problems) or f"{len(paths)} catalogue(s): no problems")
    sys.exit(1 if all_problems else 0)
