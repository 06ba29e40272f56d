"""Self-checks for the exercises: compare a learner's answer with one the learner cannot see.

An exercise cell ends with ``nm.exercises.check("log-ex-loss", answer)``. The id is the
exercise's ``:label:``; the expected answer is looked up in the package's answers file
(:mod:`nnmath._answers`, obfuscated, not readable at a glance), so neither the notebook nor
the message shows it. The result displays as a short verdict (green, red, or grey for "not
answered yet") with hints that name the mistake (wrong sign, shape, factor of 2, ...) but
never the answer; it is truthy when the answer is right, so a hidden cell can
``assert nm.exercises.check("log-ex-loss", answer)`` to prove the worked solution passes.
It never raises on a learner's answer, so a notebook with open exercises runs top to bottom.

The old form ``check(answer, expected, rtol=..., atol=..., hint=...)`` keeps working while
the notebooks are converted; it is chosen whenever the first argument is not an exercise id.
Maintainers record answers with :func:`record`; :mod:`nnmath.exercise_tools` checks that the
book and the answers file agree.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass

import numpy as np

from . import _answers
from ._answers import ID_PATTERN, record
from ._compare import Verdict, judge

__all__ = ["check", "record", "ids", "Feedback", "UnknownExerciseError"]

_HEAD = {"correct": "Correct.", "wrong": "Not quite.",
         "unanswered": "Not answered yet: replace ... with your answer and run the cell again."}
_COLOUR = {"correct": "#1b7f3b", "wrong": "#b00020", "unanswered": "#666"}


class UnknownExerciseError(LookupError):
    """An exercise id that the answers file does not know."""


@dataclass(frozen=True)
class Feedback:
    """The verdict of :func:`check`; truthy when the answer is right.

    Attributes
    ----------
    status : str
        ``"correct"``, ``"wrong"`` or ``"unanswered"``.
    text : str
        The message shown in the notebook (hints included, never the answer).
    hints : tuple of str
        What looks wrong, e.g. ``("wrong sign",)``.
    parts : tuple of (str, Feedback)
        Per-part verdicts of a multi-part answer, in the question's order.
    """

    status: str
    text: str
    hints: tuple = ()
    parts: tuple = ()

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        head, *rest = self.text.split("\n")
        items = "".join(f"<li>{html.escape(line.lstrip('- '))}</li>" for line in rest)
        return (f"<p style='color:{_COLOUR[self.status]}'>{html.escape(head)}</p>"
                + (f"<ul>{items}</ul>" if items else ""))


def _summary(v: Verdict) -> str:
    if v.status != "wrong":
        return {"correct": "right", "unanswered": "not answered yet"}[v.status]
    return "; ".join([*v.hints, *(f"{n}: {_summary(p)}" for n, p in v.parts)]) or "wrong"


def _feedback(v: Verdict) -> Feedback:
    lines = [f"- {h}" for h in v.hints] + [f"- part {n}: {_summary(p)}" for n, p in v.parts]
    return Feedback(v.status, "\n".join([_HEAD[v.status], *lines]), v.hints,
                    tuple((n, _feedback(p)) for n, p in v.parts))


def ids(path=None) -> list[str]:
    """The exercise ids recorded in the answers file, sorted."""
    return sorted(_answers.load(path)["exercises"])


def check(exercise_id, answer, *, rtol=None, atol=None, hint="", path=None) -> Feedback:
    """Check a learner's answer to exercise ``exercise_id`` without showing the expected one.

    Parameters
    ----------
    exercise_id : str
        The exercise's ``:label:``, e.g. ``"log-ex-loss"``.
    answer : object
        The learner's answer: a number or array, an integer, text or shape, a sympy
        expression, a function, or a dict / tuple for a multi-part question; ``...`` means
        "not answered yet".
    rtol, atol, hint :
        Only for the old form ``check(answer, expected, rtol=..., atol=..., hint=...)``;
        a recorded exercise has its tolerances in the answers file.
    path : path-like, optional
        Another answers file (tests and maintainers).

    Returns
    -------
    Feedback
        Truthy when the answer is right; displays as a verdict with hints.

    Raises
    ------
    UnknownExerciseError
        When ``exercise_id`` looks like an id but is not recorded (a typo in the notebook).
    """
    if not (isinstance(exercise_id, str) and ID_PATTERN.fullmatch(exercise_id)):
        return _check_legacy(exercise_id, answer, rtol=1e-6 if rtol is None else rtol,
                             atol=1e-9 if atol is None else atol, hint=hint)
    if rtol is not None or atol is not None or hint:
        raise TypeError(f"check({exercise_id!r}, answer) takes no rtol/atol/hint: the "
                        "tolerances are recorded with the answer (nm.exercises.record)")
    data = _answers.load(path)
    entry = data["exercises"].get(exercise_id)
    if entry is None:
        near = difflib.get_close_matches(exercise_id, data["exercises"], n=3)
        raise UnknownExerciseError(
            f"no recorded answer for exercise {exercise_id!r}. The id is the exercise's "
            ":label: in the notebook; list the recorded ids with nm.exercises.ids() or "
            "`python -m nnmath.exercise_tools --list`"
            + (f". Did you mean {', '.join(map(repr, near))}?" if near else "."))
    return _feedback(judge(entry, answer, data["salt"], exercise_id))


def _check_legacy(answer, expected, *, rtol, atol, hint) -> Feedback:
    """The old form, which shows ``expected`` in the notebook; kept during the transition."""
    if answer is None or answer is Ellipsis:
        return Feedback("unanswered", _HEAD["unanswered"])
    try:
        a = np.asarray(answer, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        numeric = True
    except (TypeError, ValueError):
        numeric = False
    if numeric:
        if a.shape != e.shape:
            ok, why = False, f"shape {a.shape}, expected {e.shape}"
        else:
            ok, why = bool(np.allclose(a, e, rtol=rtol, atol=atol)), "the values differ"
    else:
        ok, why = answer == expected, "that is not it"
    if ok:
        return Feedback("correct", "Correct.")
    tail = f" Hint: {hint}" if hint else ""
    return Feedback("wrong", f"Not quite ({why}).{tail}")
