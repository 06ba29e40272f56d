"""Compare a learner's answer with a stored one and say what is wrong without saying the answer.

One judge per kind of the answers file (:mod:`nnmath._answers`). A hint names a mistake
(wrong shape, type or length, wrong sign, off by a factor of 2 or n, transposed, not
symmetric, close but outside the tolerance, which entries or parts are wrong); no hint ever
formats the expected value, and an answer of the wrong type gives a hint, not a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from . import _answers as store


class Verdict(NamedTuple):
    status: str  # "correct", "wrong" or "unanswered"
    hints: tuple = ()
    parts: tuple = ()  # (name, Verdict) pairs for multi-part answers


RIGHT, BLANK = Verdict("correct"), Verdict("unanswered")


def _wrong(*hints) -> Verdict:
    return Verdict("wrong", tuple(hints))


def blank(answer) -> bool:
    """True for ``...``/``None`` and for lists or tuples that still hold a ``...``."""
    if answer is None or answer is Ellipsis:
        return True
    return isinstance(answer, list | tuple) and any(v is Ellipsis for v in answer)


def _shape_text(shape) -> str:
    return "a single number" if not shape else f"an array of shape {tuple(shape)}"


def _close(a, e, rtol, atol) -> bool:
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol))


def _mistake(a, e, rtol, atol, factors) -> list[str]:
    """A whole-answer mistake that explains ``a`` (same shape as ``e``), if any."""
    if _close(-a, e, rtol, atol):
        return ["wrong sign"]
    table = [(2.0, "off by a factor of 2: yours is half the right value"),
             (0.5, "off by a factor of 2: yours is twice the right value")]
    for name, n in (factors or {}).items():
        table += [(n, f"off by a factor of {name} = {n:g}: yours is 1/{name} of the right "
                      "value"),
                  (1 / n, f"off by a factor of {name} = {n:g}: yours is {name} times the "
                          "right value")]
    return [text for f, text in table if _close(a * f, e, rtol, atol)][:1]


def _closeness(a, e, rtol) -> list[str]:
    scale = float(np.max(np.abs(e))) if e.size else 0.0
    err = float(np.max(np.abs(a - e)))
    if scale == 0.0 or err / scale >= 0.1:
        return []
    return [f"close, but outside the tolerance: relative error {err / scale:.0e} (tolerance "
            f"rtol = {rtol:.0e}); keep more digits or look for an approximation"]


def compare_numbers(a, e, *, rtol, atol, symmetric=False, factors=None) -> Verdict:
    """Judge an array ``a`` (any object) against the expected float array ``e``."""
    if isinstance(a, str | bytes | Mapping) or callable(a):
        return _wrong(f"expected {_shape_text(e.shape)}, got {type(a).__name__}")
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return _wrong(f"could not read your answer as {_shape_text(e.shape)} ({exc})")
    if a.shape != e.shape:
        if a.ndim == 2 and a.T.shape == e.shape:
            if _close(a.T, e, rtol, atol):
                return _wrong(f"transposed: your array has shape {a.shape}, the answer "
                              f"has shape {e.shape}")
        if a.ndim == 1 and e.ndim == 1:
            return _wrong(f"wrong length: {a.size} entries, expected {e.size}")
        return _wrong(f"wrong shape: got {_shape_text(a.shape)}, expected "
                      f"{_shape_text(e.shape)}")
    if not np.all(np.isfinite(a)):
        return _wrong("your answer contains NaN or inf")
    if _close(a, e, rtol, atol):
        return RIGHT
    if symmetric and not np.allclose(a, a.T, rtol=rtol, atol=atol):
        return _wrong("the answer is a symmetric matrix, yours is not")
    if a.ndim == 2 and not symmetric and _close(a.T, e, rtol, atol):
        return _wrong("transposed: yours is the transpose of the right matrix")
    hints = _mistake(a, e, rtol, atol, factors) or _closeness(a, e, rtol)
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol)
    if hints or a.size == 1 or bad.all() and a.size > 4:
        return _wrong(*(hints or ["the value is wrong"]))
    idx = [tuple(int(j) for j in i) if a.ndim > 1 else int(i[0]) for i in np.argwhere(bad)]
    if a.size <= 4 or len(idx) <= 4:  # say what is wrong with each wrong entry
        return _wrong(*[f"entry {i}: " + (_mistake(a[i], e[i], rtol, atol, factors)
                                          or _closeness(a[i], e[i], rtol) or ["wrong"])[0]
                        for i in idx[:4]],
                      *([f"the other {a.size - len(idx)} entries are right"]
                        if len(idx) < a.size else []))
    return _wrong(f"{len(idx)} of {a.size} entries are wrong")


_TYPES = {"int": "a whole number", "bool": "True or False", "str": "text (a str)",
          "tuple": "a tuple of whole numbers", "float": "a number with a fraction"}


def _exact(entry, answer, salt, key) -> Verdict:
    def is_(value, k=key):
        try:
            return store.digest(salt, k, store.canonical(value)) == entry_hash[k]
        except TypeError:
            return False

    entry_hash = {key: entry["hash"]}
    entry_hash.update({f"{key}[{i}]": h for i, h in enumerate(entry.get("items", []))})
    if is_(answer):
        return RIGHT
    want, got = entry["type"], store.exact_type(answer)
    if got != want:
        return _wrong(f"expected {_TYPES.get(want, want)}, got {_TYPES.get(got, got)}")
    if want == "int":
        v = int(answer)
        for cand, text in [(-v, "wrong sign"), (v + 1, "off by one"), (v - 1, "off by one"),
                           (2 * v, "off by a factor of 2: yours is half the right value"),
                           (v / 2, "off by a factor of 2: yours is twice the right value")]:
            if is_(cand):
                return _wrong(text)
        return _wrong("not the right number")
    if want == "bool":
        return _wrong("the opposite is true")
    if want == "str":
        return _wrong("not the expected text (case and extra spaces do not matter)")
    items = list(answer)
    if len(items) != entry["length"]:
        return _wrong(f"wrong length: {len(items)} entries, expected {entry['length']}")
    if is_(items[::-1]):
        return _wrong("the right entries in reverse order (transposed?)")
    bad = [i for i, v in enumerate(items) if not is_(v, f"{key}[{i}]")]
    return _wrong(f"wrong entries at positions {bad}; the others are right")


def _symbolic(entry, answer, salt, key) -> Verdict:
    import sympy as sp
    expected = sp.sympify(store.unhide(salt, key, entry["expr"]).decode())
    symbols = {s.name: s for s in expected.free_symbols}
    symbols.update({n: sp.Symbol(n) for n in entry["symbols"] if n not in symbols})
    try:
        a = sp.sympify(answer, locals=symbols) if isinstance(answer, str) else sp.sympify(answer)
        if not isinstance(a, sp.Expr):
            raise TypeError(type(a).__name__)
    except (sp.SympifyError, TypeError, SyntaxError):
        return _wrong(f"could not read your answer ({type(answer).__name__}) as a sympy "
                      f"expression in {', '.join(sorted(symbols))}")
    unknown = sorted(s.name for s in a.free_symbols if s.name not in symbols)
    if unknown:  # a symbol that cancels (y*z - y*z + ...) is no mistake
        a = sp.simplify(a)
        unknown = sorted(s.name for s in a.free_symbols if s.name not in symbols)
    if unknown:
        named = (f"the exercise's symbols are {', '.join(entry['declared'])}"
                 if entry.get("declared") else "use the symbols the exercise names")
        return _wrong(f"your expression uses {', '.join(unknown)}: {named}")
    a = a.xreplace({s: symbols[s.name] for s in a.free_symbols})  # same names, same assumptions
    if sp.simplify(a - expected) == 0:
        return RIGHT
    rng = np.random.default_rng(int(store.digest("", key, "points")[:8], 16))
    values = []
    for _ in range(6):  # numeric fallback: simplify may miss an identity
        point = {s: (int(rng.integers(2, 9)) if s.is_integer else
                     rng.uniform(0.5, 2.5) * (1 if s.is_positive or s.is_nonnegative
                                              else rng.choice([-1, 1])))
                 for s in symbols.values()}
        try:
            values.append([complex(a.subs(point).evalf()), complex(expected.subs(point).evalf())])
        except (TypeError, ValueError):
            values.append([np.nan, 1.0])
    va, ve = np.array(values).T
    if np.all(np.isfinite(va)) and np.allclose(va, ve, rtol=entry.get("rtol", 1e-9), atol=0):
        return RIGHT
    if np.all(np.isfinite(va)) and np.allclose(va.imag, 0) and np.allclose(ve.imag, 0):
        hint = _mistake(va.real, ve.real, 1e-9, 0.0, None)
        if hint:
            return _wrong(*hint)
    return _wrong("your expression differs from the answer (compared at random values of "
                  "its symbols)")


def _function(entry, answer, salt, key) -> Verdict:
    if not callable(answer):
        return _wrong(f"expected a function (def f(...): ...), got {type(answer).__name__}")
    flat = store.unhide_floats(salt, key, entry["value"], (-1,))
    calls, start, verdicts, outs = store.make_inputs(entry["inputs"]), 0, [], []
    for i, (args, shape) in enumerate(zip(calls, entry["output_shapes"], strict=True)):
        n = int(np.prod(shape, dtype=int))
        e, start = flat[start:start + n].reshape(shape), start + n
        try:
            out = answer(*[np.copy(x) if isinstance(x, np.ndarray) else x for x in args])
        except Exception as exc:  # the learner's code: report, never raise
            return _wrong(f"your function raised {type(exc).__name__}: {exc} "
                          f"(test input {i + 1} of {len(calls)})")
        if blank(out):
            return BLANK
        outs.append(out)
        verdicts.append(compare_numbers(out, e, rtol=entry["rtol"], atol=entry["atol"]))
    bad = [i for i, v in enumerate(verdicts) if v.status != "correct"]
    if not bad:
        return RIGHT
    score = f"right on {len(calls) - len(bad)} of {len(calls)} test inputs"
    try:  # a mistake common to all inputs (sign, factor, ...) says more than one input's hint
        a = np.concatenate([np.asarray(o, dtype=np.float64).reshape(-1) for o in outs])
        hints = _mistake(a, flat, entry["rtol"], entry["atol"], None) if a.shape == flat.shape \
            else []
    except (TypeError, ValueError):
        hints = []
    return _wrong(score, *(hints or [f"test input {bad[0] + 1}: {h}"
                                     for h in verdicts[bad[0]].hints]))


def _parts(entry, answer, salt, key) -> Verdict:
    names = entry["names"]
    if entry["container"] == "dict":
        if not isinstance(answer, Mapping):
            return _wrong(f"expected a dict with keys {names}, got {type(answer).__name__}")
        missing = [n for n in names if n not in answer]
        extra = [str(k) for k in answer if k not in names]
        if missing or extra:
            return _wrong(*([f"missing keys {missing}"] if missing else []),
                          *([f"unexpected keys {extra}"] if extra else []))
        values = [answer[n] for n in names]
    else:
        if isinstance(answer, str | Mapping) or not hasattr(answer, "__len__"):
            return _wrong(f"expected {len(names)} parts in a list or tuple, "
                          f"got {type(answer).__name__}")
        if len(answer) != len(names):
            return _wrong(f"expected {len(names)} parts, got {len(answer)}")
        values = list(answer)
    parts = tuple((n, judge(entry["parts"][n], v, salt, f"{key}/{n}"))
                  for n, v in zip(names, values, strict=True))
    statuses = {v.status for _, v in parts}
    status = "correct" if statuses == {"correct"} else (
        "unanswered" if statuses == {"unanswered"} else "wrong")
    return Verdict(status, (), parts)


def judge(entry: Mapping, answer, salt: str, key: str) -> Verdict:
    """The verdict on ``answer`` for the stored ``entry`` of exercise (or part) ``key``."""
    kind = entry["kind"]
    if kind != "parts" and blank(answer) or answer is None or answer is Ellipsis:
        return BLANK
    if kind == "number":
        e = store.unhide_floats(salt, key, entry["value"], entry["shape"])
        return compare_numbers(answer, e, rtol=entry["rtol"], atol=entry["atol"],
                               symmetric=entry.get("symmetric", False),
                               factors=entry.get("factors"))
    return {"exact": _exact, "symbolic": _symbolic, "function": _function,
            "parts": _parts}[kind](entry, answer, salt, key)
