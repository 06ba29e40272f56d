"""The book's sources follow the house rules that the build itself cannot check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def _sources() -> list[Path]:
    return sorted(p for p in BOOK.rglob("*") if p.suffix in {".ipynb", ".md"}
                  and "_ext" not in p.parts and ".ipynb_checkpoints" not in p.parts)


NOTEBOOKS = [p for p in _sources() if p.suffix == ".ipynb"]
CHAPTERS = [p for p in NOTEBOOKS if re.match(r"\d\d-", p.parent.name)]


def _cells(nb_path: Path):
    return json.loads(nb_path.read_text())["cells"]


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_every_toc_entry_exists_and_every_page_is_in_the_toc():
    listed = _toc_files()
    for f in listed:
        assert any((ROOT / (f + ext)).is_file() for ext in ("", ".md", ".ipynb")), \
            f"_toc.yml lists {f}, which does not exist"
    stems = {str(p.relative_to(ROOT).with_suffix("")) for p in _sources()}
    missing = stems - set(listed)
    assert not missing, f"pages not in _toc.yml (they would not be built): {sorted(missing)}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs_and_installs_nothing(nb):
    for cell in _cells(nb):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, \
                f"{nb.name} is stored with outputs: clear them before committing"
            src = _src(cell)
            assert not re.search(r"^\s*[!%]\s*pip\s", src, re.M), f"{nb.name} installs packages"
            assert not re.search(r"urlopen|requests\.get|fetch_openml|urlretrieve", src), \
                f"{nb.name} downloads data; use data shipped in an installed package"
    meta = json.loads(nb.read_text())["metadata"]
    assert meta.get("kernelspec", {}).get("name") == "python3"


def _chapter_folders() -> dict[str, list[Path]]:
    """Chapter folder -> its notebooks in reading order (the order of _toc.yml)."""
    order = {f: i for i, f in enumerate(_toc_files())}
    folders: dict[str, list[Path]] = {}
    for nb in CHAPTERS:
        folders.setdefault(nb.parent.name, []).append(nb)
    for nbs in folders.values():
        nbs.sort(key=lambda p: order.get(str(p.relative_to(ROOT).with_suffix("")), 10**6))
    return folders


CHAPTER_FOLDERS = _chapter_folders()


@pytest.mark.parametrize("folder", sorted(CHAPTER_FOLDERS))
def test_chapter_shape(folder):
    """A chapter is one notebook or a folder of section notebooks: taken together they hold the
    chapter's shape; the first opens with learning goals, the last closes with a summary."""
    nbs = CHAPTER_FOLDERS[folder]
    cells = [c for nb in nbs for c in _cells(nb)]
    text = "\n".join(_src(c) for c in cells)
    hidden_checks = [c for c in cells if c["cell_type"] == "code"
                     and "remove-cell" in c.get("metadata", {}).get("tags", [])
                     and re.search(r"\bassert|assert_allclose", _src(c))]
    assert len(hidden_checks) >= 5, f"{folder}: only {len(hidden_checks)} hidden assertion cells"
    n_ex = len(re.findall(r"```\{exercise\}", text))
    assert n_ex >= 8, f"{folder}: {n_ex} exercises, the chapter shape asks for at least 8"
    n_der = sum(len(re.findall(r"```\{exercise\}[^\n]*\n(?::[\w-]+:[^\n]*\n)*?"
                               r":class:[^\n]*\bderivation\b", _src(c))) for c in cells)
    assert n_der >= 2, f"{folder}: {n_der} derivation exercises (:class: derivation), need 2"
    n_sol = len(re.findall(r"\{solution-start\}", text))
    assert n_sol >= n_ex, f"{folder}: exercise without solution"
    assert re.search(r"\$\$ \([a-z0-9-]+\)", text), f"{folder}: no labelled equation"
    assert "{eq}`" in text, f"{folder}: no equation cited from the prose"
    assert "nm.widgets." in text, f"{folder}: no interactive demo"
    first = "\n".join(_src(c) for c in _cells(nbs[0]))
    last = "\n".join(_src(c) for c in _cells(nbs[-1]))
    assert re.search(r"[Ll]earning goals", first), f"{nbs[0].name}: no learning goals"
    assert re.search(r"^#+ .*(Summary|summary)", last, re.M), f"{nbs[-1].name}: no summary"
    for nb in nbs:   # every section runs on its own: it imports what it uses
        src = "\n".join(_src(c) for c in _cells(nb))
        assert "import nnmath as nm" in src, f"{nb.name}: does not import nnmath"


def test_every_demo_in_the_library_appears_in_a_chapter():
    import nnmath.widgets as w
    demos = [n for n in dir(w) if n.endswith(("_demo", "_playground"))]
    text = "\n".join(_src(c) for nb in NOTEBOOKS for c in _cells(nb))
    unused = [d for d in demos if f"nm.widgets.{d}(" not in text]
    assert not unused, f"demos no chapter shows: {unused}"


def test_every_exercise_is_wired_to_a_recorded_answer():
    """Every exercise: a graded title, a learner cell that gives nothing away, a folded worked
    solution that assigns ``answer``, a hidden ``assert nm.exercises.check(id, answer)`` (which
    nbval runs, proving the stored answer equals the solution's), and a recorded answer."""
    from nnmath.exercise_tools import check_book_exercises

    problems = check_book_exercises(ROOT / "book")
    assert not problems, "\n".join(problems)


def _figure_cells(nb: Path):
    return [c for c in _cells(nb) if c["cell_type"] == "code"
            and "remove-cell" not in c.get("metadata", {}).get("tags", [])
            and re.search(r"plt\.show\(\)", _src(c))]


@pytest.mark.parametrize("folder", sorted(CHAPTER_FOLDERS) + ["appendices"])
def test_every_figure_is_numbered_captioned_described_and_cited(folder):
    """A cell that draws a figure is a textbook figure: MyST-NB figure metadata with a name
    (``fig-...``, unique in the book) and a caption, an image alt text that says what it shows
    (a sentence, not a file name), one figure per cell, and a {numref} to it in the prose of
    its chapter."""
    nbs = CHAPTER_FOLDERS.get(folder) or sorted((BOOK / folder).glob("*.ipynb"))
    prose = "\n".join(_src(c) for nb in nbs for c in _cells(nb) if c["cell_type"] == "markdown")
    problems = []
    for nb in nbs:
        for c in _figure_cells(nb):
            meta = c.get("metadata", {}).get("mystnb", {})
            fig, alt = meta.get("figure", {}), meta.get("image", {}).get("alt", "")
            first = _src(c).strip().splitlines()[0][:60]
            where = f"{nb.name}: figure cell starting {first!r}"
            if _src(c).count("plt.show()") > 1:
                problems.append(f"{where}: shows {_src(c).count('plt.show()')} figures; one a cell")
            if not re.fullmatch(r"fig-[a-z0-9]+(-[a-z0-9]+)*", fig.get("name", "")):
                problems.append(f"{where}: no figure name fig-... (metadata mystnb.figure.name)")
            if len(fig.get("caption", "").split()) < 5:
                problems.append(f"{where}: no caption of a sentence (mystnb.figure.caption)")
            if len(alt.split()) < 5 or re.search(r"\.(png|svg|jpe?g)\b", alt):
                problems.append(f"{where}: no alt text of a sentence (mystnb.image.alt)")
            if fig.get("name") and not re.search(r"\{numref\}`(?:[^`<]*<)?" + re.escape(
                    fig["name"]) + ">?`", prose):
                problems.append(f"{where}: {fig['name']} is never cited with {{numref}}")
    assert not problems, "\n".join(problems)


def test_figure_names_are_unique():
    names = [c["metadata"]["mystnb"]["figure"]["name"] for nb in NOTEBOOKS for c in _cells(nb)
             if c.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_inline_maths_never_breaks_into_a_list_item():
    """A line inside inline maths ($...$ over two lines) that starts with '+ ', '- ' or '* ' is
    read by Markdown as a list item, which leaves the maths raw on the page."""
    problems = []
    for nb in NOTEBOOKS:
        for i, c in enumerate(_cells(nb)):
            if c["cell_type"] != "markdown":
                continue
            lines, open_inline = _src(c).split("\n"), False
            for line in lines:
                if open_inline and re.match(r"\s*[-+*]\s", line):
                    problems.append(f"{nb.name} cell {i}: {line.strip()[:60]!r}")
                if line.strip().startswith(("$$", "```", ":::")):
                    open_inline = False
                    continue
                singles = len(re.findall(r"(?<![\\$])\$(?!\$)", line.replace("\\$", "")))
                open_inline ^= singles % 2 == 1
    assert not problems, "move the operator to the end of the previous line:\n" + \
        "\n".join(problems)


def test_no_myst_role_inside_display_maths():
    """A role such as {term}`warm-up` inside $$...$$ is not read by MyST: MathJax typesets it as
    literal text (a search-and-replace once put one into a subscript)."""
    display = re.compile(r"\$\$(.+?)\$\$|\\begin\{(\w+\*?)\}(.+?)\\end\{\2\}", re.S)
    problems = []
    for source in _sources():
        texts = ([_src(c) for c in _cells(source) if c["cell_type"] == "markdown"]
                 if source.suffix == ".ipynb" else [source.read_text(encoding="utf-8")])
        for text in texts:
            for match in display.finditer(text):
                maths = match.group(1) or match.group(3) or ""
                if re.search(r"\{[a-z:]+\}`", maths):
                    problems.append(f"{source.relative_to(BOOK)}: {maths.strip()[:70]!r}")
    assert not problems, "\n".join(problems)
