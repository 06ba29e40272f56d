"""The data file of the exercises' expected answers, and :func:`record`, which writes it.

The answers live inside the package, one JSON file per chapter in ``nnmath/exercise_answers/``,
named by the prefix of the exercise ids (``log-ex-loss`` is in ``log.json``), so that chapters
are edited and reviewed independently::

    {"format": 1, "salt": "<hex>", "about": "...",
     "exercises": {"<exercise id>": {"kind": "number", "shape": [3], "rtol": 1e-06,
                                     "atol": 1e-09, "value": "<base64>"}, ...}}

The exercise id is the ``:label:`` of the ``{exercise}`` directive (``log-ex-loss``), which
survives the renumbering of chapters. Kinds and their fields:

- ``number``: ``shape``, ``rtol``, ``atol``, ``value`` (float64 bytes, obfuscated), optional
  ``symmetric`` (a symmetric matrix) and ``factors`` (named factors such as ``{"n": 200}``
  that the hints try: "off by a factor of n").
- ``exact`` (integers, booleans, text, shapes and other tuples of integers): ``type``,
  ``hash`` (salted SHA-256 of a canonical text form) and, for tuples, ``length`` and one
  hash per item.
- ``symbolic``: ``symbols`` (names a learner may use), optional ``declared`` (the same, when
  the maintainer declared them: hints may name them) and ``expr`` (the sympy ``srepr``, obfuscated).
- ``function``: ``inputs`` (how to draw the test inputs: seed, number of calls, argument
  ranges and shapes), ``output_shapes`` and ``value`` (the reference outputs, obfuscated);
  the reference code itself is not stored.
- ``parts`` (multi-part questions): ``container`` (``dict`` or ``sequence``), ``names`` and
  ``parts``, one entry of the kinds above per part.

This is obfuscation, not security: bytes are XOR-ed with a key stream derived from the salt
and the exercise id, then base64-encoded, and the decoder ships with the library. It keeps
the answers out of sight of a reader of the notebook or of the file; small integers and
booleans can be found by trying candidates. Comparisons and hints live in
:mod:`nnmath._compare`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import numbers
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).with_name("exercise_answers")
SALT = "6a54e132dd5bcba4"
ID_PATTERN = re.compile(r"[a-z][a-z0-9]*-ex-[a-z0-9]+(?:-[a-z0-9]+)*")
ABOUT = ("Expected answers of the book's exercises, written by nnmath.exercises.record. "
         "Obfuscated so that they are not read by accident; not encrypted.")


def _empty(salt: str) -> dict:
    return {"format": 1, "about": ABOUT, "salt": salt, "exercises": {}}


def load(path=None) -> dict:
    """Read the answers: one file ``path``, or all chapters' files merged when omitted.

    A file that does not exist yet reads as empty. The chapter files share the salt
    :data:`SALT`; a file with another salt is an error (answers recorded elsewhere and
    copied in would never match).
    """
    if path is not None:
        path = Path(path)
        if not path.is_file():
            return _empty(secrets.token_hex(8))
        return json.loads(path.read_text(encoding="utf-8"))
    merged = _empty(SALT)
    for file in sorted(DATA_DIR.glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        if data["salt"] != SALT:
            raise ValueError(f"{file} has salt {data['salt']!r}, expected {SALT!r}: record "
                             "its answers again with nm.exercises.record")
        merged["exercises"].update(data["exercises"])
    return merged


def chapter_file(exercise_id: str) -> Path:
    """The file of the package that holds ``exercise_id``: ``<prefix>.json``."""
    return DATA_DIR / f"{exercise_id.split('-ex-')[0]}.json"


def _save(data: dict, path) -> None:
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text + "\n", encoding="utf-8")


# -- obfuscation -------------------------------------------------------------------------------

def _xor(salt: str, key: str, data: bytes) -> bytes:
    stream = b"".join(hashlib.sha256(f"{salt}|{key}|{i}".encode()).digest()
                      for i in range(len(data) // 32 + 1))
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def hide(salt: str, key: str, data: bytes) -> str:
    """Obfuscate ``data`` for the entry ``key``: XOR with a key stream, then base64."""
    return base64.b64encode(_xor(salt, key, data)).decode("ascii")


def unhide(salt: str, key: str, text: str) -> bytes:
    """Invert :func:`hide`."""
    return _xor(salt, key, base64.b64decode(text))


def hide_floats(salt: str, key: str, values) -> str:
    return hide(salt, key, np.asarray(values, dtype="<f8").tobytes())


def unhide_floats(salt: str, key: str, text: str, shape=()) -> np.ndarray:
    return np.frombuffer(unhide(salt, key, text), dtype="<f8").reshape(shape)


def canonical(value) -> str:
    """The text form that is hashed for an exact answer; equal for equivalent answers.

    ``9``, ``np.int64(9)`` and ``9.0`` agree; text ignores case and repeated spaces; lists,
    tuples and integer arrays of the same items agree. Raises ``TypeError`` for anything
    that is not exact (a float with a fractional part, a dict, ...).
    """
    if isinstance(value, bool | np.bool_):
        return f"b:{bool(value)}"
    if isinstance(value, numbers.Integral):
        return f"i:{int(value)}"
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return f"i:{int(value)}"
    if isinstance(value, str):
        return "s:" + " ".join(value.split()).lower()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return "(" + ",".join(canonical(v) for v in value) + ")"
    raise TypeError(type(value).__name__)


def exact_type(value) -> str:
    """``"bool"``, ``"int"``, ``"str"``, ``"tuple"`` or the Python type name."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "int" if float(value).is_integer() else "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple | np.ndarray):
        return "tuple"
    return type(value).__name__


def digest(salt: str, key: str, text: str) -> str:
    return hashlib.sha256(f"{salt}|{key}|{text}".encode()).hexdigest()[:32]


def make_inputs(spec: Mapping) -> list[tuple]:
    """The test inputs of a ``function`` exercise: one tuple of arguments per call.

    ``spec = {"seed": 11, "n_calls": 5, "args": [arg, ...]}`` where each ``arg`` is
    ``{"value": v}`` (the same constant every call) or ``{"low": a, "high": b}`` with
    ``"shape": [..]`` (every call) or ``"shapes": [[..], ...]`` (one per call) and optional
    ``"integer": true``. Random arguments are uniform on ``[low, high)``.
    """
    rng = np.random.default_rng(spec["seed"])
    calls = []
    for i in range(spec["n_calls"]):
        args = []
        for a in spec["args"]:
            if "value" in a:
                args.append(a["value"])
                continue
            shape = tuple(a["shapes"][i] if "shapes" in a else a.get("shape", ()))
            if a.get("integer"):
                args.append(rng.integers(a["low"], a["high"], size=shape))
            else:
                args.append(rng.uniform(a["low"], a["high"], size=shape))
        calls.append(tuple(args))
    return calls


# -- recording ---------------------------------------------------------------------------------

def _infer_kind(answer) -> str:
    import sympy as sp
    if isinstance(answer, sp.Basic):
        return "symbolic" if answer.free_symbols else "number"
    if callable(answer):
        return "function"
    if isinstance(answer, Mapping):
        return "parts"
    if isinstance(answer, bool | np.bool_ | numbers.Integral | str):
        return "exact"
    if isinstance(answer, list | tuple) and answer and all(
            isinstance(v, list | tuple) for v in answer):
        return "parts"  # a tuple of shapes: one part per shape
    if isinstance(answer, np.ndarray):
        return "exact" if answer.dtype.kind in "biu" else "number"
    if isinstance(answer, list | tuple) and answer and all(
            isinstance(v, numbers.Integral | str) for v in answer):
        return "exact"  # a shape, fold sizes, names: floats such as 2.0 stay numbers
    return "number"


def _pick(option, name):
    return option.get(name, option.get("*")) if isinstance(option, Mapping) else option


def build_entry(salt: str, key: str, answer, *, kind=None, rtol=1e-6, atol=1e-9, parts=None,
                factors=None, inputs=None, symbols=None) -> dict:
    """The stored form of one answer (see the module docstring for the fields)."""
    kinds = kind if isinstance(kind, Mapping) else {}
    kind = kind if isinstance(kind, str) else "parts" if parts else _infer_kind(answer)
    if kind == "parts":
        container = "dict" if isinstance(answer, Mapping) else "sequence"
        names = ([str(k) for k in answer] if container == "dict"
                 else list(parts or [str(i + 1) for i in range(len(answer))]))
        values = list(answer.values()) if container == "dict" else list(answer)
        if len(names) != len(values):
            raise ValueError(f"{key}: {len(values)} parts but {len(names)} names in parts=")
        per_part = isinstance(inputs, Mapping) and "seed" not in inputs
        entries = {n: build_entry(salt, f"{key}/{n}", v, kind=_pick(kinds, n),
                                  rtol=_pick(rtol, n), atol=_pick(atol, n), factors=factors,
                                  inputs=inputs.get(n) if per_part else inputs,
                                  symbols=symbols)
                   for n, v in zip(names, values, strict=True)}
        return {"kind": "parts", "container": container, "names": names, "parts": entries}
    if kind == "exact":
        entry = {"kind": "exact", "type": exact_type(answer),
                 "hash": digest(salt, key, canonical(answer))}
        if entry["type"] == "tuple":
            entry["length"] = len(answer)
            entry["items"] = [digest(salt, f"{key}[{i}]", canonical(v))
                              for i, v in enumerate(answer)]
        return entry
    if kind == "number":
        value = np.asarray(answer, dtype=np.float64)
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{key}: the answer contains NaN or inf")
        entry = {"kind": "number", "shape": list(value.shape), "rtol": rtol, "atol": atol,
                 "value": hide_floats(salt, key, value)}
        if value.ndim == 2 and value.shape[0] == value.shape[1] and value.shape[0] > 1 \
                and np.allclose(value, value.T, rtol=rtol, atol=atol):
            entry["symmetric"] = True
        if factors:
            entry["factors"] = dict(factors)
        return entry
    if kind == "symbolic":
        import sympy as sp
        expr = sp.sympify(answer)
        own = {s.name for s in expr.free_symbols}
        declared = sorted(own | {str(s) for s in symbols or ()})
        entry = {"kind": "symbolic", "symbols": declared, "rtol": rtol,
                 "expr": hide(salt, key, sp.srepr(expr).encode())}
        if symbols:
            entry["declared"] = declared
        return entry
    if kind == "function":
        if inputs is None:
            raise ValueError(f"{key}: a function answer needs inputs={{'seed': ..., "
                             "'n_calls': ..., 'args': [...]}} (see make_inputs)")
        outs = [np.asarray(answer(*args), dtype=np.float64) for args in make_inputs(inputs)]
        return {"kind": "function", "inputs": dict(inputs), "rtol": rtol, "atol": atol,
                "output_shapes": [list(o.shape) for o in outs],
                "value": hide_floats(salt, key, np.concatenate([o.ravel() for o in outs]))}
    raise ValueError(f"unknown kind {kind!r}: use number, exact, symbolic, function or parts")


def record(exercise_id: str, solution_answer, *, kind=None, rtol=1e-6, atol=1e-9, parts=None,
           factors=None, inputs=None, symbols=None, path=None) -> dict:
    """Store (or replace) the expected answer of one exercise in the answers file.

    For maintainers, not learners: call it from a script with the worked solution's answer.
    Recording the same answer again leaves the file unchanged.

    Parameters
    ----------
    exercise_id : str
        The exercise's ``:label:``, e.g. ``"log-ex-loss"``.
    solution_answer : object
        A number or array (``number``), an integer, bool, text or tuple of integers
        (``exact``), a sympy expression with free symbols (``symbolic``), a callable
        (``function``, with ``inputs``), or a dict / tuple of such (``parts``).
    kind : str or dict, optional
        Inferred from the answer when omitted; a dict ``{part name: kind, "*": default}``
        chooses per part.
    rtol, atol : float or dict, optional
        Tolerances of numeric answers (a dict chooses per part, like ``kind``); they should
        follow from the conditioning of the answer (CONTRIBUTING.md).
    parts : sequence of str, optional
        Names of the parts of a tuple answer (default ``"1"``, ``"2"``, ...).
    factors : dict, optional
        Named factors the hints should try, e.g. ``{"n": 200}`` for "a sum instead of a mean".
    inputs : dict, optional
        For ``function``: how to draw the test inputs (see :func:`make_inputs`); for a
        multi-part answer either one such dict for every function part or
        ``{part name: dict}``.
    symbols : sequence of str or sympy.Symbol, optional
        For ``symbolic``: every symbol the exercise lets the learner use, also those the
        answer happens not to contain. A learner's expression in other symbols gets a hint
        naming these, which then says nothing about the answer.
    path : path-like, optional
        The answers file (default: the package's file of the id's chapter,
        ``exercise_answers/<prefix>.json``).

    Returns
    -------
    dict
        The stored (obfuscated) entry.
    """
    if not isinstance(exercise_id, str) or not ID_PATTERN.fullmatch(exercise_id):
        raise ValueError(f"exercise id {exercise_id!r} is not a label like 'log-ex-loss' "
                         f"(pattern {ID_PATTERN.pattern})")
    path = Path(path) if path is not None else chapter_file(exercise_id)
    data = load(path) if path.is_file() else _empty(SALT if path.parent == DATA_DIR
                                                    else secrets.token_hex(8))
    entry = build_entry(data["salt"], exercise_id, solution_answer, kind=kind, rtol=rtol,
                        atol=atol, parts=parts, factors=factors, inputs=inputs, symbols=symbols)
    data["exercises"][exercise_id] = entry
    _save(data, path)
    return entry
