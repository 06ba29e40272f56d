"""nm.exercises.check(exercise_id, answer): right/wrong per kind, hints that never leak the
answer, multi-part feedback, the answers file and its obfuscation, and the old form."""

from __future__ import annotations

import base64
import json
import re
import warnings

import numpy as np
import pytest
import sympy as sp

import nnmath as nm
from nnmath import _answers


@pytest.fixture
def book(tmp_path):
    """record/check bound to a fresh answers file."""
    path = tmp_path / "answers.json"

    class Book:
        file = path

        @staticmethod
        def record(*args, **kw):
            return nm.exercises.record(*args, path=path, **kw)

        @staticmethod
        def check(*args):
            fb = nm.exercises.check(*args, path=path)
            assert isinstance(fb, nm.exercises.Feedback)
            return fb

    return Book


def _texts(fb):
    yield fb.text
    yield fb._repr_html_()
    yield repr(fb)
    yield from fb.hints
    for _, part in fb.parts:
        yield from _texts(part)


def assert_no_leak(fb, expected):
    """No message shows the expected value in any usual format (3+ significant digits)."""
    shown = "\n".join(_texts(fb))
    for v in np.ravel(np.asarray(expected, dtype=float)):
        for form in {repr(float(v)), f"{v:.3g}", f"{v:.4g}", f"{v:.6g}", f"{abs(v):.3g}"}:
            if len(re.sub(r"\D", "", form)) >= 3:
                assert form not in shown, f"{form} leaked in {shown!r}"


# ---- numbers and arrays -------------------------------------------------------------------

def test_number_right_wrong_unanswered(book):
    book.record("t-ex-loss", 2.126928011042972, rtol=1e-9, atol=0.0)
    assert book.check("t-ex-loss", np.log1p(np.exp(2.0)))
    assert book.check("t-ex-loss", ...).status == "unanswered"
    assert book.check("t-ex-loss", None).status == "unanswered"
    wrong = book.check("t-ex-loss", 2.0)
    assert not wrong and wrong.status == "wrong" and "Not quite" in repr(wrong)
    assert "color:#1b7f3b" in book.check("t-ex-loss", 2.126928011042972)._repr_html_()
    assert "color:#b00020" in wrong._repr_html_()
    assert book.check("t-ex-loss", sp.log(1 + sp.exp(2)))  # a sympy number is a number


E_VEC = np.array([0.5623, -1.7419, 3.2861])
E_SYM = np.array([[2.3571, -0.6183], [-0.6183, 1.4142]])
E_MAT = np.array([[1.2345, 2.7182, 3.1416], [0.5772, 1.6180, 2.5029]])


@pytest.mark.parametrize("expected, answer, hint, factors", [
    (0.5623, -0.5623, "wrong sign", None),
    (0.5623, 1.1246, "yours is twice", None),
    (0.5623, 0.28115, "yours is half", None),
    (0.5623, 0.5623 / 200, "factor of n = 200: yours is 1/n", {"n": 200}),
    (0.5623, 0.5623 * 200, "yours is n times", {"n": 200}),
    (0.5623, 0.5624, "relative error 2e-04", None),
    (0.5623, 0.9, "the value is wrong", None),
    (0.5623, [0.5623], "wrong shape: got an array of shape (1,), expected a single number", None),
    (0.5623, "0.5623", "expected a single number, got str", None),
    (0.5623, {"a": 1}, "got dict", None),
    (0.5623, np.nan, "NaN", None),
    (0.5623, 1j, "could not read", None),
    (E_VEC, E_VEC[:2], "wrong length: 2 entries, expected 3", None),
    (E_VEC, -E_VEC, "wrong sign", None),
    (E_VEC, E_VEC * [1, -1, 1], "entry 1: wrong sign", None),
    (E_VEC, E_VEC * [1, 1, 2], "the other 2 entries are right", None),
    (E_VEC, [[0.5623, -1.7419, 3.2861]], "wrong shape", None),
    (E_SYM, E_SYM + np.triu(np.ones((2, 2)), 1), "symmetric matrix, yours is not", None),
    (E_MAT, E_MAT.T, "transposed", None),
    (np.arange(9.0).reshape(3, 3) + 0.123, np.arange(9.0).reshape(3, 3).T + 0.123,
     "transpose", None),
])
def test_number_hints_name_the_mistake_and_never_the_answer(book, expected, answer, hint,
                                                            factors):
    book.record("t-ex-num", expected, factors=factors)
    fb = book.check("t-ex-num", answer)
    assert not fb and fb.status == "wrong"
    assert hint in fb.text, fb.text
    assert_no_leak(fb, expected)


# ---- exact answers ------------------------------------------------------------------------

@pytest.mark.parametrize("expected, answer, hint", [
    (4817, 4818, "off by one"),
    (4817, 4816, "off by one"),
    (4817, -4817, "wrong sign"),
    (4818, 9636, "twice"),
    (4818, 2409, "half"),
    (4817, 4000, "not the right number"),
    (4817, "4817", "expected a whole number, got text"),
    (4817, 4817.5, "got a number with a fraction"),
    (True, False, "the opposite"),
    (True, 1, "expected True or False"),
    ("relu", "tanh", "case and extra spaces do not matter"),
    ((2, 4), (4, 2), "reverse order"),
    ((2, 4), (2, 4, 1), "wrong length: 3 entries, expected 2"),
    ((2, 4), (2, 5), "wrong entries at positions [1]"),
    ((21, 21, 21, 20, 20), [20, 20, 21, 21, 21], "reverse order"),
    ((2, 4), 8, "expected a tuple of whole numbers, got a whole number"),
])
def test_exact_hints(book, expected, answer, hint):
    book.record("t-ex-exact", expected)
    assert _answers.load(book.file)["exercises"]["t-ex-exact"]["kind"] == "exact"
    fb = book.check("t-ex-exact", answer)
    assert not fb and hint in fb.text, fb.text
    if isinstance(expected, int) and not isinstance(expected, bool):
        assert str(expected) not in fb.text


@pytest.mark.parametrize("expected, answers", [
    (9, [9, 9.0, np.int64(9), sp.Integer(9)]),
    ("relu", ["relu", " ReLU ", "RELU"]),
    ((2, 4), [(2, 4), [2, 4], np.zeros((2, 4)).shape, np.array([2, 4])]),
    (False, [False, np.bool_(False)]),
])
def test_exact_accepts_equivalent_forms(book, expected, answers):
    book.record("t-ex-exact", expected)
    for a in answers:
        assert book.check("t-ex-exact", a), a


# ---- multi-part ---------------------------------------------------------------------------

def test_dict_parts_give_per_part_feedback(book):
    book.record("t-ex-parts", {"p": 0.75, "loss": 0.5623351446188083}, rtol={"p": 1e-12,
                                                                             "*": 1e-6})
    assert book.check("t-ex-parts", {"p": 3 / 4, "loss": -(0.75 * np.log(0.75)
                                                           + 0.25 * np.log(0.25))})
    fb = book.check("t-ex-parts", {"p": 0.75, "loss": -0.5623351446188083})
    parts = dict(fb.parts)
    assert not fb and parts["p"] and not parts["loss"]
    assert "part p: right" in fb.text and "part loss: wrong sign" in fb.text
    assert_no_leak(fb, [0.5623351446188083])
    half = book.check("t-ex-parts", {"p": 0.75, "loss": ...})
    assert half.status == "wrong" and "part loss: not answered yet" in half.text
    assert "missing keys ['loss']" in book.check("t-ex-parts", {"p": 0.75}).text
    assert "expected a dict" in book.check("t-ex-parts", [0.75, 0.56]).text


def test_tuple_parts_with_names(book):
    shapes = ((32, 10), (10, 16), (16,), (32, 16))
    book.record("t-ex-shapes", shapes, parts=["X", "W", "b", "Z"])
    assert book.check("t-ex-shapes", shapes)
    fb = book.check("t-ex-shapes", ((32, 10), (16, 10), (16,), (32, 16)))
    assert "part W: the right entries in reverse order" in fb.text
    assert "part X: right" in fb.text
    assert "expected 4 parts, got 3" in book.check("t-ex-shapes", shapes[:3]).text
    assert book.check("t-ex-shapes", [..., ..., ..., ...]).status == "unanswered"


# ---- symbolic -----------------------------------------------------------------------------

MU1, MU2 = sp.symbols("mu1 mu2", real=True)
SIGMA = sp.Symbol("sigma", positive=True)
KL = (MU1 - MU2) ** 2 / (2 * SIGMA**2)


@pytest.mark.parametrize("answer, ok, hint", [
    ((sp.Symbol("mu1") - sp.Symbol("mu2")) ** 2 / (2 * sp.Symbol("sigma") ** 2), True, ""),
    ((MU1**2 - 2 * MU1 * MU2 + MU2**2) / 2 / SIGMA**2, True, ""),
    ("(mu2 - mu1)**2 / (2*sigma**2)", True, ""),
    (-KL, False, "wrong sign"),
    (2 * KL, False, "twice"),
    (KL.subs(SIGMA, sp.Symbol("s")), False, "uses s: use the symbols the exercise names"),
    (KL + 1, False, "differs from the answer"),
    ("(mu2 - mu1", False, "could not read your answer"),
    ([1, 2], False, "could not read"),
])
def test_symbolic(book, answer, ok, hint):
    book.record("t-ex-kl", KL)
    fb = book.check("t-ex-kl", answer)
    assert bool(fb) is ok and hint in fb.text, fb.text


def test_symbolic_numeric_fallback_when_simplify_misses(book, monkeypatch):
    book.record("t-ex-kl", KL)
    monkeypatch.setattr(sp, "simplify", lambda e: e)  # an identity simplify cannot prove
    assert book.check("t-ex-kl", (MU1**2 - 2 * MU1 * MU2 + MU2**2) / 2 / SIGMA**2)
    assert not book.check("t-ex-kl", KL + 1e-3)


def test_symbolic_file_hides_the_expression(book):
    book.record("t-ex-kl", KL)
    text = book.file.read_text()
    assert "mu1" in text  # the symbol names are public, the expression is not
    assert "Symbol" not in text and "Pow" not in text and "sigma**2" not in text


# ---- functions ----------------------------------------------------------------------------

INPUTS = {"seed": 11, "n_calls": 5,
          "args": [{"low": 0.1, "high": 3.0, "shapes": [[8], [30], [5], [100], [12]]}]}


@pytest.mark.parametrize("answer, status, hint", [
    (lambda x: len(x) / np.sum(x), "correct", ""),
    (lambda x: -1 / np.mean(x), "wrong", "wrong sign"),
    (lambda x: 0.5 / np.mean(x), "wrong", "yours is half"),
    (lambda x: 1 / x[0], "wrong", "of 5 test inputs"),
    (lambda x: np.full(2, 1 / np.mean(x)), "wrong", "wrong shape"),
    (lambda x: 1 / 0, "wrong", "raised ZeroDivisionError"),
    (lambda x: ..., "unanswered", ""),
    (3.0, "wrong", "expected a function"),
])
def test_function(book, answer, status, hint):
    book.record("t-ex-rate", lambda x: 1 / np.mean(x), kind="function", inputs=INPUTS)
    fb = book.check("t-ex-rate", answer)
    assert fb.status == status and hint in fb.text, fb.text


def test_function_inputs_do_not_leak_mutation_and_lambdified_reference(book):
    x = sp.Symbol("x")
    ref = sp.lambdify(x, sp.diff(sp.log(1 + sp.exp(x)), x), "numpy")
    book.record("t-ex-sp", ref, kind="function",
                inputs={"seed": 0, "n_calls": 3, "args": [{"low": -5, "high": 5, "shape": [4]}]})

    def mutating(z):
        out = 1 / (1 + np.exp(-z))
        z *= 0  # the checker passes copies: the next call still sees fresh inputs
        return out

    assert book.check("t-ex-sp", mutating) and book.check("t-ex-sp", nm.sigmoid)
    with pytest.raises(ValueError, match="needs inputs"):
        book.record("t-ex-sp", ref, kind="function")


# ---- the answers file ---------------------------------------------------------------------

def test_record_round_trip_is_stable_and_replaces(book):
    book.record("t-ex-a", 0.5623)
    book.record("t-ex-b", 4817)
    first = book.file.read_bytes()
    book.record("t-ex-a", 0.5623)
    assert book.file.read_bytes() == first  # re-recording the same answer changes nothing
    assert nm.exercises.ids(book.file) == ["t-ex-a", "t-ex-b"]
    book.record("t-ex-a", 0.75)
    assert book.check("t-ex-a", 0.75) and not book.check("t-ex-a", 0.5623)
    assert book.check("t-ex-b", 4817)
    with pytest.raises(ValueError, match="not a label"):
        book.record("5.3", 1.0)


def test_file_is_not_readable_at_a_glance(book):
    values = {"t-ex-f": 0.5623, "t-ex-i": 4817, "t-ex-s": "leakyrelu", "t-ex-t": (13, 17),
              "t-ex-v": np.array([2.7182, 3.1416])}
    for k, v in values.items():
        book.record(k, v)
    leaves = []

    def walk(node):
        if isinstance(node, dict | list):
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)
        else:
            leaves.append(node)

    walk(json.loads(book.file.read_text())["exercises"])
    numbers = [v for v in leaves if isinstance(v, int | float)]
    assert not {0.5623, 4817, 13, 17, 2.7182, 3.1416} & set(numbers)
    for needle in ["0.5623", "4817", "leakyrelu", "2.7182", "3.1416"]:
        assert not any(needle in v for v in leaves if isinstance(v, str))
    # the same answer under two ids is stored differently (the key stream depends on the id)
    book.record("t-ex-g", 0.5623)
    entries = json.loads(book.file.read_text())["exercises"]
    assert entries["t-ex-f"]["value"] != entries["t-ex-g"]["value"]


def test_package_answers_files_are_valid():
    data = _answers.load()
    assert data["format"] == 1 and data["salt"] == _answers.SALT
    files = sorted(_answers.DATA_DIR.glob("*.json"))
    for file in files:
        chapter = json.loads(file.read_text())
        assert chapter["salt"] == _answers.SALT, file
        assert all(_answers.chapter_file(i) == file for i in chapter["exercises"]), \
            f"{file.name} holds an id of another chapter"
    # Numbers appear in the files only as settings (tolerances, shapes, how to draw inputs,
    # named factors); every answer is an obfuscated string that does not contain the value's
    # plain text nor its raw bytes.
    settings = {"rtol", "atol", "shape", "length", "output_shapes", "inputs", "factors"}

    def walk(key, entry):
        assert entry["kind"] in {"number", "exact", "symbolic", "function", "parts"}
        if entry["kind"] == "parts":
            for name, part in entry["parts"].items():
                walk(f"{key}/{name}", part)
            return
        for field, v in entry.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                assert field in settings, f"{key}: plain number in field {field!r}"
        if entry["kind"] in {"number", "function"}:
            value = _answers.unhide_floats(data["salt"], key, entry["value"], (-1,))
            assert value.tobytes() not in base64.b64decode(entry["value"]), key
            plain = [t for t in (f"{v:.6g}" for v in value) if len(t.lstrip("-")) >= 5]
            assert not [t for t in plain if t in entry["value"]], key
        if entry["kind"] == "symbolic":
            import sympy as sp
            expr = _answers.unhide(data["salt"], key, entry["expr"]).decode()
            assert isinstance(sp.sympify(expr), sp.Expr) and expr not in entry["expr"], key

    for exercise_id, entry in data["exercises"].items():
        assert _answers.ID_PATTERN.fullmatch(exercise_id)
        walk(exercise_id, entry)


def test_package_data_is_declared():
    """A non-editable install ships the answers file (setuptools package-data)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert re.search(r'\[tool\.setuptools\.package-data\]\s*nnmath = \[[^\]]*'
                     r'"exercise_answers/\*\.json"', text)


def test_record_writes_the_chapter_file_and_load_merges(tmp_path, monkeypatch):
    monkeypatch.setattr(_answers, "DATA_DIR", tmp_path / "answers")
    nm.exercises.record("log-ex-a", 1.5)
    nm.exercises.record("der-ex-b", 7)
    assert sorted(p.name for p in (tmp_path / "answers").iterdir()) == ["der.json", "log.json"]
    assert nm.exercises.ids() == ["der-ex-b", "log-ex-a"]
    assert nm.exercises.check("log-ex-a", 1.5) and not nm.exercises.check("der-ex-b", 8)
    other = json.loads((tmp_path / "answers" / "der.json").read_text())
    other["salt"] = "0" * 16
    (tmp_path / "answers" / "der.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match="salt"):
        _answers.load()


# ---- bad input and the old form -----------------------------------------------------------

def test_unknown_id_names_it_and_says_where_to_look(book):
    book.record("log-ex-loss", 1.5)
    with pytest.raises(nm.exercises.UnknownExerciseError) as info:
        book.check("log-ex-los", 1.5)
    msg = str(info.value)
    assert "'log-ex-los'" in msg and "nm.exercises.ids()" in msg and "'log-ex-loss'" in msg
    assert "1.5" not in msg


@pytest.mark.parametrize("answer", [object(), {"x": 1}, "abc", print, [1, [2, 3]], b"1",
                                    sp.Symbol("x"), 1 + 2j])
def test_wrong_type_is_a_hint_not_a_traceback(book, answer):
    book.record("t-ex-num", np.array([0.5623, 1.25]))
    book.record("t-ex-int", 4817)
    for exercise_id in ("t-ex-num", "t-ex-int"):
        fb = book.check(exercise_id, answer)
        assert fb.status == "wrong" and len(fb.text.splitlines()) >= 2


def test_new_form_rejects_tolerances(book):
    book.record("t-ex-num", 1.0)
    with pytest.raises(TypeError, match="recorded with the answer"):
        nm.exercises.check("t-ex-num", 1.0, rtol=1e-3, path=book.file)


def test_old_form_still_works_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nm.exercises.check(0.1 + 0.2, 0.3)
        assert nm.exercises.check(..., 1.0).status == "unanswered"
        assert nm.exercises.check("relu", "relu") and not nm.exercises.check("tanh", "relu")
        assert "Hint: look" in repr(nm.exercises.check([1, 2], [1, 3], hint="look"))
        assert nm.exercises.check((2, 4), (2, 4))
        assert nm.exercises.check(1.0, 1.0 + 1e-4, rtol=1e-3)


def test_declared_symbols_keep_the_hint_from_telling_which_symbols_the_answer_uses(book):
    p, q, x = sp.symbols("p q x")
    book.record("t-ex-mean", 2 * q, symbols=["p", "q"])   # the answer happens not to use p
    assert book.check("t-ex-mean", 2 * q + p - p)          # cancels: no mistake
    assert book.check("t-ex-mean", 2 * q + p * 0)
    fb = book.check("t-ex-mean", 2 * q + p)
    assert not fb and "uses p" not in fb.text and "differs from the answer" in fb.text
    fb = book.check("t-ex-mean", 2 * x)
    assert "uses x: the exercise's symbols are p, q" in fb.text
    book.record("t-ex-bare", 2 * q)                         # nothing declared: no list named
    assert "use the symbols the exercise names" in book.check("t-ex-bare", 2 * x).text


def test_parts_may_hold_functions_with_inputs_per_part(book):
    book.record("t-ex-mixed", {"f": lambda v: 3 * v, "c": 2.5},
                inputs={"f": {"seed": 3, "n_calls": 4, "args": [{"low": -1, "high": 1,
                                                                   "shape": [5]}]}})
    assert book.check("t-ex-mixed", {"f": lambda v: v * 3, "c": 2.5})
    fb = book.check("t-ex-mixed", {"f": lambda v: 2 * v, "c": 2.5})
    assert not fb and dict(fb.parts)["c"] and not dict(fb.parts)["f"]
