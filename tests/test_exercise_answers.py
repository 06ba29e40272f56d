"""The book and the answers file agree: nnmath.exercise_tools.check_book_exercises.

Tested on a small synthetic book in a temporary folder; once the chapters use
``check("<id>", answer)`` the same function runs on book/ (``check_book_exercises(BOOK) == []``).
"""

from __future__ import annotations

import json

import nbformat
import pytest

import nnmath as nm
from nnmath.exercise_tools import chapter_exercise_counts, check_book_exercises, main

HIDDEN = {"tags": ["remove-cell"], "jupyter": {"source_hidden": True, "outputs_hidden": True}}


def exercise_cells(label, solution="answer = 3 * 2.0**2 + 0.1**2", learner=None, proof=None,
                   title="★★ A central difference", options=""):
    """The four cells of one exercise: directive, learner cell, folded solution, hidden proof."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    learner = learner or f'answer = ...  # D\nnm.exercises.check("{label}", answer)'
    proof = proof or f'assert nm.exercises.check("{label}", answer)'
    return [md(f"```{{exercise}} {title}\n:label: {label}\n{options}\nCompute D.\n```"),
            code(learner),
            md(f"```{{solution-start}} {label}\n:class: dropdown\n```"),
            md("Expand the cubes."),
            code(solution),
            md("```{solution-end}\n```"),
            code(proof, metadata=HIDDEN)]


def write_book(folder, notebooks):
    for name, cells in notebooks.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("import nnmath as nm"), *cells]
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / name)


def run_cells(path):
    """Execute a notebook's code cells in one namespace (what nbval does, without a kernel)."""
    namespace = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code":
            exec(cell.source, namespace)  # noqa: S102 - our own synthetic notebook
    return namespace


@pytest.fixture
def answers(tmp_path, monkeypatch):
    """A fresh answers file that nm.exercises uses by default during the test."""
    path = tmp_path / "answers"
    monkeypatch.setattr(nm._answers, "DATA_DIR", path)
    nm.exercises.record("der-ex-central", 12.01, rtol=1e-12, atol=0.0)
    nm.exercises.record("der-ex-bound", 0.5, rtol=1e-12, atol=0.0)
    return path


def good_book():
    return {"02-derivatives/derivatives.ipynb": [
        *exercise_cells("der-ex-central"),
        *exercise_cells("der-ex-bound", solution="answer = 2 / (3 + 1)")]}


def test_a_well_wired_book_has_no_problems_and_its_solutions_pass(tmp_path, answers):
    write_book(tmp_path / "book", good_book())
    assert check_book_exercises(tmp_path / "book") == []
    # executing the notebook proves the recorded answers equal the worked solutions
    namespace = run_cells(tmp_path / "book/02-derivatives/derivatives.ipynb")
    assert namespace["answer"] == 0.5


def test_a_drifted_answer_fails_when_the_notebook_runs(tmp_path, answers):
    nm.exercises.record("der-ex-central", 12.02, rtol=1e-12, atol=0.0)
    write_book(tmp_path / "book", good_book())
    with pytest.raises(AssertionError):
        run_cells(tmp_path / "book/02-derivatives/derivatives.ipynb")


DEFECTS = {
    "no recorded answer": (
        {"a.ipynb": [*exercise_cells("der-ex-central"), *exercise_cells("der-ex-bound"),
                     *exercise_cells("der-ex-new")]}, "'der-ex-new' has no recorded answer"),
    "old form": (
        {"a.ipynb": [*exercise_cells("der-ex-central", learner="answer = ...\n"
                                     "nm.exercises.check(answer, 12.01)"),
                     *exercise_cells("der-ex-bound")]}, "old form"),
    "no hidden proof": (
        {"a.ipynb": [*exercise_cells("der-ex-central", proof="answer"),
                     *exercise_cells("der-ex-bound")]},
        "'der-ex-central' has no hidden cell after its solution"),
    "solution without answer": (
        {"a.ipynb": [*exercise_cells("der-ex-central", solution="D = 12.01"),
                     *exercise_cells("der-ex-bound")]}, "must assign answer"),
    "no learner check": (
        {"a.ipynb": [*exercise_cells("der-ex-central", learner="answer = ..."),
                     *exercise_cells("der-ex-bound")]}, "no visible learner cell"),
    "recorded but unused": (
        {"a.ipynb": exercise_cells("der-ex-central")},
        "recorded answer 'der-ex-bound' belongs to no exercise"),
    "in two notebooks": (
        {"a.ipynb": [*exercise_cells("der-ex-central"), *exercise_cells("der-ex-bound")],
         "sub/b.ipynb": exercise_cells("der-ex-bound")}, "appears in several notebooks"),
    "no grade": (
        {"a.ipynb": [*exercise_cells("der-ex-central", title="A central difference"),
                     *exercise_cells("der-ex-bound")]}, "'der-ex-central' has no grade"),
    "four stars": (
        {"a.ipynb": [*exercise_cells("der-ex-central", title="★★★★ Hard"),
                     *exercise_cells("der-ex-bound")]}, "'der-ex-central' has no grade"),
    "number in the learner cell": (
        {"a.ipynb": [*exercise_cells("der-ex-central", learner="h = 0.1\nanswer = ...\n"
                                     'nm.exercises.check("der-ex-central", answer)'),
                     *exercise_cells("der-ex-bound")]}, "contains the number(s) 0.1"),
    "formula in the learner cell": (
        {"a.ipynb": [*exercise_cells("der-ex-central", learner="answer = x * x\n"
                                     'nm.exercises.check("der-ex-central", answer)'),
                     *exercise_cells("der-ex-bound")]}, "assigns something other than ..."),
    "function with a body": (
        {"a.ipynb": [*exercise_cells("der-ex-central", learner="def answer(x):\n"
                                     "    return x * x\n"
                                     'nm.exercises.check("der-ex-central", answer)'),
                     *exercise_cells("der-ex-bound")]}, "has a body other than ..."),
    "derivation answered by a number": (
        {"a.ipynb": [*exercise_cells("der-ex-central", options=":class: derivation\n"),
                     *exercise_cells("der-ex-bound")]},
        "'der-ex-central' is a derivation but its recorded answer is ['number']"),
    "checks another label": (
        {"a.ipynb": [*exercise_cells("der-ex-central", learner="answer = ...\n"
                                     'nm.exercises.check("der-ex-centrl", answer)'),
                     *exercise_cells("der-ex-bound")]}, "checks 'der-ex-centrl'"),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_is_reported_by_name(tmp_path, answers, defect):
    notebooks, message = DEFECTS[defect]
    write_book(tmp_path / "book", notebooks)
    problems = check_book_exercises(tmp_path / "book")
    assert any(message in p for p in problems), problems


def test_placeholders_that_give_nothing_away_pass(tmp_path, answers):
    call = 'nm.exercises.check("der-ex-central", answer)'
    learners = ['answer = {"w": ..., "b": ...}  # two parts\n' + call,
                'def answer(x, h):\n    """D as a function of x and h."""\n    ...  # your code\n'
                + call]
    for i, learner in enumerate(learners):
        cells = [*exercise_cells("der-ex-central", learner=learner),
                 *exercise_cells("der-ex-bound")]
        write_book(tmp_path / f"b{i}", {"a.ipynb": cells})
        problems = check_book_exercises(tmp_path / f"b{i}")
        assert not [p for p in problems if "give the answer away" in p], problems


def test_chapter_counts(tmp_path, answers):
    write_book(tmp_path / "book", {
        "01-a/x.ipynb": [*exercise_cells("der-ex-central", options=":class: tricky derivation\n"),
                         *exercise_cells("der-ex-bound")],
        "01-a/y.ipynb": exercise_cells("der-ex-new"),
        "02-b/z.ipynb": exercise_cells("der-ex-other", options=":class: dropdown\n")})
    assert chapter_exercise_counts(tmp_path / "book") == {"01-a": (3, 1), "02-b": (1, 0)}


def test_command_line(tmp_path, answers, capsys):
    write_book(tmp_path / "book", good_book())
    assert main(["--check-book", str(tmp_path / "book")]) == 0
    assert main(["--list"]) == 0
    assert "der-ex-bound\nder-ex-central" in capsys.readouterr().out
    write_book(tmp_path / "bad", {"a.ipynb": exercise_cells("der-ex-central")})
    assert main(["--check-book", str(tmp_path / "bad")]) == 1


def test_checkpoints_are_ignored(tmp_path, answers):
    write_book(tmp_path / "book", good_book())
    copy = tmp_path / "book/02-derivatives/.ipynb_checkpoints/derivatives-checkpoint.ipynb"
    copy.parent.mkdir()
    copy.write_text(json.dumps(json.loads(
        (tmp_path / "book/02-derivatives/derivatives.ipynb").read_text())))
    assert check_book_exercises(tmp_path / "book") == []
