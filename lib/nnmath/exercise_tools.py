"""Maintainer tools for the exercises: does the book agree with the answers file?

A notebook exercise has four parts (CONTRIBUTING.md, "Exercises"): the ``{exercise}``
directive with a ``:label:`` (the exercise id), a visible learner cell ending in
``nm.exercises.check("<id>", answer)``, a folded solution whose last code cell assigns
``answer = ...``, and a hidden cell after the solution,
``assert nm.exercises.check("<id>", answer)``. Executing the notebook (nbval does) then
proves the stored answer equals the worked solution; :func:`check_book_exercises` proves the
wiring: every exercise has a recorded answer, a learner check and a hidden assertion, and every
recorded id belongs to exactly one notebook. It also checks the form the book promises:

- the title starts with its grade, ``★`` (a drill), ``★★`` or ``★★★`` (hard);
- the visible learner cell gives nothing away: apart from comments and strings it holds no
  number, and every assignment in it is a placeholder (``answer = ...`` or a dict of ``...``)
  or a ``def`` whose body is ``...``;
- an exercise marked ``:class: derivation`` has a symbolic or function answer (a derivation
  is entered as a sympy expression or a Python function, not as a number).

:func:`chapter_exercise_counts` gives, per chapter folder, the number of exercises and of
derivations, which the book's structure test holds to at least 8 and 2. Run it from the
command line::

    python -m nnmath.exercise_tools --check-book book
    python -m nnmath.exercise_tools --list

Recording answers is :func:`nnmath.exercises.record`; this module does not execute notebooks.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import sys
import tokenize
from collections import defaultdict
from pathlib import Path

from . import _answers

__all__ = ["check_book_exercises", "chapter_exercise_counts", "main"]

HIDDEN_TAGS = {"remove-cell", "remove-input", "hide-cell", "hide-input"}
_LABEL = re.compile(r"```\{exercise\}[^\n]*\n((?::[\w-]+:[^\n]*\n)*)")
_GRADE = re.compile(r"```\{exercise\}[ \t]*(★{1,3})(?!★)\s+\S")
_CLASS = re.compile(r"^:class:\s*(.*)$", re.M)
_CALL = re.compile(r"nm\.exercises\.check\(\s*(?:(['\"])([^'\"\n]*)\1)?")


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _hidden(cell) -> bool:
    meta = cell.get("metadata", {})
    return bool(HIDDEN_TAGS & set(meta.get("tags", []))) or \
        bool(meta.get("jupyter", {}).get("source_hidden"))


def _gives_away(src: str) -> str:
    """Why a learner cell reveals its answer ('' when it does not)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
        tree = ast.parse(src)
    except (SyntaxError, tokenize.TokenError) as err:
        return f"it is not valid Python ({err})"
    numbers = [t.string for t in tokens if t.type == tokenize.NUMBER]
    if numbers:
        return f"it contains the number(s) {', '.join(numbers)}"

    def placeholder(node) -> bool:
        if isinstance(node, ast.Constant):
            return node.value is Ellipsis
        if isinstance(node, ast.Dict):
            return all(placeholder(v) for v in node.values)
        if isinstance(node, ast.Tuple | ast.List):
            return all(placeholder(v) for v in node.elts)
        return False

    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and not placeholder(node.value):
            return f"line {node.lineno} assigns something other than ... (a placeholder)"
        if isinstance(node, ast.FunctionDef) and not all(
                isinstance(b, ast.Expr) and placeholder(b.value)
                or isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant)
                and isinstance(b.value.value, str) for b in node.body):
            return f"function {node.name} has a body other than ... (the answer's code)"
    return ""


def _recorded_kinds(entry: dict) -> set:
    if entry.get("kind") == "parts":
        return set().union(*(_recorded_kinds(e) for e in entry["parts"].values()))
    return {entry.get("kind")}


def _notebook_problems(nb: Path, recorded, used: dict) -> list[str]:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    labels, starts, ends, problems, derivations = {}, {}, {}, [], set()
    open_solution = None
    for i, cell in enumerate(cells):
        src = _source(cell)
        if cell["cell_type"] == "markdown":
            for block in _LABEL.finditer(src):
                m = re.search(r":label:\s*([\w-]+)", block.group(1))
                if m:
                    labels[m.group(1)] = i
                    if not _GRADE.match(block.group(0) + " x"):
                        problems.append(f"{nb}: exercise {m.group(1)!r} has no grade: start "
                                        "its title with ★, ★★ or ★★★")
                    classes = _CLASS.search(block.group(1))
                    if classes and "derivation" in classes.group(1).split():
                        derivations.add(m.group(1))
            m = re.search(r"```\{solution-start\}\s*([\w-]+)", src)
            if m:
                open_solution = m.group(1)
                starts[open_solution] = i
            if "{solution-end}" in src and open_solution:
                ends[open_solution], open_solution = i, None
        elif cell["cell_type"] == "code":
            for m in _CALL.finditer(src):
                if m.group(2) is None:
                    problems.append(f"{nb}: cell {i} uses the old form check(answer, expected), "
                                    "which shows the answer; write check(\"<id>\", answer)")
                elif m.group(2) not in labels:
                    problems.append(f"{nb}: cell {i} checks {m.group(2)!r}, which is not the "
                                    "label of an exercise above it in this notebook")
    for label, at in labels.items():
        used[label].append(nb)
        where = f"{nb}: exercise {label!r}"
        if label not in recorded:
            problems.append(f"{where} has no recorded answer (nm.exercises.record)")
        call = re.compile(r"nm\.exercises\.check\(\s*['\"]" + re.escape(label) + "['\"]")
        if label not in starts or label not in ends:
            problems.append(f"{where} has no {{solution-start}} ... {{solution-end}}")
            continue
        s, e = starts[label], ends[label]
        learners = [c for c in cells[at:s] if c["cell_type"] == "code" and not _hidden(c)
                    and call.search(_source(c))]
        if not learners:
            problems.append(f"{where} has no visible learner cell calling "
                            f"nm.exercises.check({label!r}, answer) before its solution")
        for c in learners:
            why = _gives_away(_source(c))
            if why:
                problems.append(f"{where}: the learner cell may give the answer away: {why}; "
                                "put data in a cell of its own and leave answer = ...")
        if label in derivations and label in recorded and \
                not _recorded_kinds(recorded[label]) & {"symbolic", "function"}:
            problems.append(f"{where} is a derivation but its recorded answer is "
                            f"{sorted(_recorded_kinds(recorded[label]))}: record a sympy "
                            "expression or a function")
        code = [c for c in cells[s:e] if c["cell_type"] == "code"]
        if not code or not re.search(r"^answer\s*=", _source(code[-1]), re.M):
            problems.append(f"{where}: the solution's last code cell must assign answer = ...")
        proof = re.compile(r"assert\s+" + call.pattern + r"\s*,\s*answer\s*\)")
        following = cells[e:min((j for j in labels.values() if j > e), default=len(cells))]
        if not any(c["cell_type"] == "code" and _hidden(c) and proof.search(_source(c))
                   for c in following):
            problems.append(f"{where} has no hidden cell after its solution with "
                            f"assert nm.exercises.check({label!r}, answer)")
    return problems


def check_book_exercises(book_dir, path=None) -> list[str]:
    """Problems with the exercises of every notebook under ``book_dir`` (empty when none).

    Parameters
    ----------
    book_dir : path-like
        Folder searched recursively for ``*.ipynb`` (checkpoints and ``_build`` skipped).
    path : path-like, optional
        The answers file (default: the one inside the package).

    Returns
    -------
    list of str
        One message per problem, naming the notebook and the exercise id.
    """
    recorded = _answers.load(path)["exercises"]
    used: dict[str, list[Path]] = defaultdict(list)
    problems = []
    for nb in sorted(Path(book_dir).rglob("*.ipynb")):
        if not {".ipynb_checkpoints", "_build"} & set(nb.parts):
            problems += _notebook_problems(nb, recorded, used)
    for label in sorted(set(recorded) | set(used)):
        if label in recorded and not used[label]:
            problems.append(f"recorded answer {label!r} belongs to no exercise in {book_dir}")
        if len(used[label]) > 1:
            problems.append(f"exercise label {label!r} appears in several notebooks: "
                            f"{[str(p) for p in used[label]]}")
    return problems


def chapter_exercise_counts(book_dir) -> dict[str, tuple[int, int]]:
    """Chapter folder name -> (number of exercises, number marked ``:class: derivation``)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for nb in sorted(Path(book_dir).rglob("*.ipynb")):
        if {".ipynb_checkpoints", "_build"} & set(nb.parts):
            continue
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for block in _LABEL.finditer(_source(cell)):
                counts[nb.parent.name][0] += 1
                classes = _CLASS.search(block.group(1))
                counts[nb.parent.name][1] += bool(classes and "derivation"
                                                  in classes.group(1).split())
    return {k: (v[0], v[1]) for k, v in counts.items()}


def main(argv=None) -> int:
    """Command line: ``--list`` the recorded ids or ``--check-book DIR``; 1 on problems."""
    parser = argparse.ArgumentParser(prog="python -m nnmath.exercise_tools",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="print the recorded exercise ids")
    parser.add_argument("--check-book", metavar="DIR", help="check the notebooks under DIR")
    parser.add_argument("--answers", metavar="FILE", help="another answers file")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(sorted(_answers.load(args.answers)["exercises"])))
    if args.check_book:
        problems = check_book_exercises(args.check_book, args.answers)
        print("\n".join(problems) or "every exercise is wired to a recorded answer")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
