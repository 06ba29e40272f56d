"""Self-checks for the exercises: compare a learner's answer with the expected one.

Each exercise in the book has a cell ``answer = ...`` that the learner edits
and a call ``nm.exercises.check(answer, expected)``. The result displays as a
short verdict (green, red, or grey for "not answered yet") and never raises,
so a notebook with unanswered exercises still runs top to bottom.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

__all__ = ["check", "Feedback"]


@dataclass(frozen=True)
class Feedback:
    """The verdict of :func:`check`; truthy when the answer is right."""

    status: str  # "correct", "wrong" or "unanswered"
    text: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        colour = {"correct": "#1b7f3b", "wrong": "#b00020", "unanswered": "#666"}[self.status]
        return f"<p style='color:{colour}'>{html.escape(self.text)}</p>"


def check(answer, expected, *, rtol: float = 1e-6, atol: float = 1e-9, hint: str = "") \
        -> Feedback:
    """Compare ``answer`` with ``expected`` (numbers or arrays, to ``rtol``/``atol``;
    anything else by ``==``)."""
    if answer is None or answer is Ellipsis:
        return Feedback("unanswered", "Not answered yet: replace ... with your answer and run "
                                      "the cell again.")
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
