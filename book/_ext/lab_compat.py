"""Make the book's notebooks read well in JupyterLab (jupyterlab-myst) as well as in the HTML book.

Run from anywhere::

    python book/_ext/lab_compat.py            # rewrite the notebooks under book/ in place
    python book/_ext/lab_compat.py --check    # report only; exit 1 if any notebook would change
    python book/_ext/lab_compat.py --root DIR # work on DIR/book (a copy) instead
    python book/_ext/lab_compat.py --only book/04-linear-regression  # just these notebooks

What it does (idempotent: a second run changes nothing):

1. Folding. A cell tagged ``remove-cell`` (a hidden check; the HTML book drops it) gets
   ``"jupyter": {"source_hidden": true, "outputs_hidden": true}``, and every cell of an exercise
   solution (the cells between a ``{solution-start}`` cell and its ``{solution-end}`` cell) gets
   ``source_hidden`` (code cells also ``outputs_hidden``). JupyterLab shows such a cell as a
   one-line bar that opens on a click. The bar shows the cell's FIRST LINE, so each solution cell
   starts with a line that gives nothing away: ``% Solution`` (a MyST comment, invisible in both
   renderers) in markdown, ``# Solution`` in code.
2. Roles jupyterlab-myst cannot resolve, rewritten to plain Markdown links that both Sphinx
   (MyST-NB) and jupyterlab-myst render:

   - ``{doc}`../02-derivatives/derivatives``` ->
     ``[Derivatives](../02-derivatives/derivatives.ipynb)`` (the text is the target page's
     title, as Sphinx prints it; jupyterlab-myst prints the bare path and links to it without
     its extension, a dead link);
   - ``{cite}`bishop2006,hastie2009``` -> ``([Bishop, 2006](../appendices/bibliography.md);
     [Hastie et al., 2009](../appendices/bibliography.md))`` (jupyterlab-myst has no
     bibliography: every ``{cite}`` is a warning icon; the bibliography page lists every entry
     with ``:all:``, so nothing drops out of it).

   ``{eq}`` within a notebook, ``{term}``, exercises, admonitions and dropdowns render in
   jupyterlab-myst and are left alone. So is ``{eq}`` of an equation on ANOTHER page (4 in the
   book): jupyterlab-myst shows it as a warning icon and the label, and no Markdown form keeps
   both renderers right. Sphinx numbers equations across the whole book (no numbered toctree),
   jupyterlab-myst per notebook, so a number written into a link would be wrong in one of them
   and go stale when an earlier chapter gains an equation; and MyST resolves a ``#target`` in a
   link to another page among that page's heading anchors, not its equation labels.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[2]
BIBLIOGRAPHY = "appendices/bibliography.md"  # relative to book/
SOLUTION_MD_MARK = "% Solution"
SOLUTION_CODE_MARK = "# Solution"

DOC_ROLE = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<([^`>]+)>|([^`]+))`")
CITE_ROLE = re.compile(r"\{cite(?::p)?\}`([^`]+)`")
FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})(.*)$")


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _set_src(cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) \
        else text


def _markdown_texts(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        return [_src(c) for c in json.loads(path.read_text())["cells"]
                if c["cell_type"] == "markdown"]
    return [path.read_text()]


class Book:
    """What the rewrites need to know about the whole book: page titles and author labels."""

    def __init__(self, book_dir: Path):
        self.dir = book_dir
        self.pages = sorted(p for p in book_dir.rglob("*") if p.suffix in {".ipynb", ".md"}
                            and "_ext" not in p.parts and ".ipynb_checkpoints" not in p.parts)
        self.titles: dict[Path, str] = {}
        for page in self.pages:
            joined = "\n".join(_markdown_texts(page))
            m = re.search(r"^# +(.+?)\s*$", joined, re.M)
            self.titles[page] = m.group(1) if m else page.stem
        self.authors = _bib_labels(book_dir.parent / "references.bib")

    def resolve(self, here: Path, target: str) -> Path | None:
        base = (here.parent / target) if not target.startswith("/") else self.dir / target[1:]
        for cand in (base, base.with_name(base.name + ".ipynb"), base.with_name(base.name + ".md")):
            cand = Path(os.path.normpath(cand))
            if cand in self.titles:
                return cand
        return None


def _bib_labels(bib: Path) -> dict[str, str]:
    """'Bishop, 2006', 'Kingma and Ba, 2015', 'Goodfellow et al., 2016': author_year's labels."""
    labels = {}
    if not bib.is_file():
        return labels
    for entry in re.split(r"\n(?=@)", bib.read_text()):
        key = re.match(r"\s*@\w+\{([^,\s]+),", entry)
        if not key:
            continue
        author = re.search(r"\bauthor\s*=\s*[{\"](.+?)[}\"]\s*,?\s*\n", entry, re.S)
        year = re.search(r"\byear\s*=\s*[{\"]?(\d{4})", entry)
        names = [n.strip() for n in re.split(r"\s+and\s+", author.group(1))] if author else []
        lasts = [n.split(",")[0].strip() if "," in n else n.split()[-1] for n in names if n]
        lasts = [re.sub(r"[{}]", "", n) for n in lasts]
        if not lasts:
            who = key.group(1)
        elif len(lasts) == 1:
            who = lasts[0]
        elif len(lasts) == 2:
            who = f"{lasts[0]} and {lasts[1]}"
        else:
            who = f"{lasts[0]} et al."
        labels[key.group(1)] = f"{who}, {year.group(1) if year else 'n.d.'}"
    return labels


def _rel(here: Path, target: Path) -> str:
    return Path(os.path.relpath(target, here.parent)).as_posix()


def _rewrite_line(line: str, path: Path, book: Book, problems: list[str]) -> str:
    def doc(m):
        title, target = (m.group(1), m.group(2)) if m.group(2) else (None, m.group(3))
        page = book.resolve(path, target.strip())
        if page is None:
            problems.append(f"{{doc}} target not found: {target}")
            return m.group(0)
        return f"[{title or book.titles[page]}]({_rel(path, page)})"

    def cite(m):
        keys = [k.strip() for k in m.group(1).split(",") if k.strip()]
        missing = [k for k in keys if k not in book.authors]
        if missing:
            problems.append(f"{{cite}} keys not in references.bib: {missing}")
            return m.group(0)
        bib = _rel(path, book.dir / BIBLIOGRAPHY)
        links = "; ".join(f"[{book.authors[k]}]({bib})" for k in keys)
        before = line[:m.start()].rstrip(" ")
        return links if before.endswith("(") else f"({links})"

    line = DOC_ROLE.sub(doc, line)
    return CITE_ROLE.sub(cite, line)


def rewrite_markdown(text: str, path: Path, book: Book, problems: list[str]) -> str:
    """Apply the role rewrites to one markdown cell, leaving fenced code listings alone.

    Directive fences (```{admonition} ...) are followed, so roles inside them are rewritten.
    """
    out, stack = [], []           # open fences: (marker, is a code listing)
    for line in text.splitlines(keepends=True):
        m = FENCE.match(line)
        in_code = bool(stack) and stack[-1][1]
        if m:
            marker, info = m.group(1), m.group(2).strip()
            if (stack and not info and marker[0] == stack[-1][0][0]
                    and len(marker) >= len(stack[-1][0])):
                stack.pop()
            elif not in_code:
                stack.append((marker, marker[0] != ":" and not info.startswith("{")))
        elif not in_code:
            line = _rewrite_line(line, path, book, problems)
        out.append(line)
    return "".join(out)


def _hide(cell, outputs: bool) -> bool:
    meta = cell.setdefault("metadata", {})
    jup = meta.get("jupyter", {})
    want = dict(jup, source_hidden=True)
    if outputs:
        want["outputs_hidden"] = True
    if want != jup:
        meta["jupyter"] = want
        return True
    return False


def solution_cells(cells) -> list[int]:
    """Indices of the cells strictly between a {solution-start} cell and its {solution-end}."""
    inside, idx = False, []
    for i, c in enumerate(cells):
        src = _src(c)
        if c["cell_type"] == "markdown" and "{solution-start}" in src:
            inside = True
        elif c["cell_type"] == "markdown" and "{solution-end}" in src:
            inside = False
        elif inside:
            idx.append(i)
    return idx


def process(nb: dict, path: Path, book: Book) -> list[str]:
    """Bring one notebook (in place) to the lab-compatible form; return what changed."""
    changes: list[str] = []
    cells = nb["cells"]
    for i, c in enumerate(cells):
        if "remove-cell" in c.get("metadata", {}).get("tags", []) and _hide(c, outputs=True):
            changes.append(f"cell {i}: remove-cell folded")
    for i in solution_cells(cells):
        c = cells[i]
        if _hide(c, outputs=c["cell_type"] == "code"):
            changes.append(f"cell {i}: solution folded")
        mark = SOLUTION_MD_MARK if c["cell_type"] == "markdown" else SOLUTION_CODE_MARK
        src = _src(c)
        if src.split("\n", 1)[0].strip() != mark:
            _set_src(c, f"{mark}\n{src}")
            changes.append(f"cell {i}: solution starts with {mark!r}")
    for i, c in enumerate(cells):
        if c["cell_type"] != "markdown":
            continue
        problems: list[str] = []
        src = _src(c)
        new = rewrite_markdown(src, path, book, problems)
        changes.extend(f"cell {i}: PROBLEM {p}" for p in problems)
        if new != src:
            _set_src(c, new)
            changes.append(f"cell {i}: roles rewritten")
    return changes


def notebooks(book_dir: Path) -> list[Path]:
    return sorted(p for p in book_dir.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)


def run(root: Path, check: bool, quiet: bool = False, only=()) -> dict[Path, list[str]]:
    book = Book(root / "book")
    report = {}
    only = [Path(o).resolve() for o in only]
    for path in notebooks(root / "book"):
        if only and not any(path.resolve().is_relative_to(o) for o in only):
            continue
        raw = path.read_text()
        nb = json.loads(raw)
        changes = process(nb, path, book)
        new = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if new != raw and not changes:
            changes = ["formatting only"]
        if changes:
            report[path] = changes
            if not check and new != raw:
                path.write_text(new)
        if changes and not quiet:
            verb = "would change" if check else "changed"
            print(f"{path.relative_to(root)}: {verb} ({len(changes)})")
            for ch in changes[:200]:
                print(f"  {ch}")
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="report only; exit 1 if anything would change")
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the directory holding book/")
    ap.add_argument("--only", nargs="+", default=(), metavar="PATH",
                    help="only the notebooks in these folders or files (others untouched)")
    args = ap.parse_args(argv)
    report = run(args.root.resolve(), args.check, only=args.only)
    problems = [c for changes in report.values() for c in changes if "PROBLEM" in c]
    if problems:
        return 2
    return 1 if (args.check and report) else 0


if __name__ == "__main__":
    sys.exit(main())
