"""Numerical gradients by central differences, and a checker that compares (chapter 2).

Central differences approximate :math:`\\partial f / \\partial x_i` by
:math:`(f(x + h e_i) - f(x - h e_i)) / 2h`, with truncation error of order
:math:`h^2` and round-off of order :math:`\\epsilon_{mach} / h`; ``h = 1e-6`` is a
good compromise in float64 for functions of size about 1.

``gradcheck`` works on any scalar function of one array or of a dict of arrays
(an MLP's ``params``), so the same tool checks a single activation and a whole
network. It reports the largest *relative* error
``|a - b| / max(|a|, |b|, tiny)``, the quantity that is comparable across
parameters of different size. Left out: complex-step and automatic
differentiation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, check_positive

__all__ = ["numerical_gradient", "relative_error", "gradcheck", "GradcheckResult"]


def _numerical_gradient_array(f, x: np.ndarray, h: float) -> np.ndarray:
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat[i] changes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = float(f())
        flat[i] = old - h
        f_minus = float(f())
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def numerical_gradient(f, x, h: float = 1e-6):
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. If ``x`` is a dict, ``f`` receives the dict.
    x : array_like or dict of str -> ndarray
        Point at which to differentiate. Not modified (a float64 copy is perturbed).
    h : float
        Step size.

    Returns
    -------
    ndarray of the shape of ``x``, or a dict with the same keys and shapes.
    """
    check_positive(h, "h")
    if isinstance(x, dict):
        xs = {k: as_float_array(v, f"x[{k!r}]").copy() for k, v in x.items()}
        return {k: _numerical_gradient_array(lambda: f(xs), xs[k], h) for k in xs}
    xc = as_float_array(x, "x").copy()
    return _numerical_gradient_array(lambda: f(xc), xc, h)


def relative_error(a, b, tiny: float = 1e-12) -> float:
    """Largest elementwise ``|a - b| / max(|a|, |b|, tiny)``."""
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"Cannot compare gradients of shapes {a.shape} and {b.shape}: "
                         "they must match exactly.")
    if a.size == 0:
        return 0.0
    denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), tiny)
    return float(np.max(np.abs(a - b) / denom))


@dataclass(frozen=True)
class GradcheckResult:
    """Outcome of :func:`gradcheck`: the worst relative error per array and overall."""

    max_error: float
    errors: dict
    tol: float

    @property
    def passed(self) -> bool:
        return self.max_error <= self.tol

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        parts = ", ".join(f"{k}: {v:.1e}" for k, v in self.errors.items())
        return f"gradcheck {verdict}: max relative error {self.max_error:.2e} " \
               f"(tolerance {self.tol:.0e}; {parts})"


def gradcheck(f, x, grad, h: float = 1e-6, tol: float = 1e-6) -> GradcheckResult:
    """Compare an analytic gradient with central differences.

    Parameters
    ----------
    f : callable
        Scalar function of ``x`` (an array or a dict of arrays).
    x : array_like or dict
        Point of comparison.
    grad : array_like or dict
        The analytic gradient at ``x``, same shape(s) as ``x``.
    h, tol : float
        Step size and the largest acceptable relative error.

    Returns
    -------
    GradcheckResult
        Truthy when the check passed; ``str()`` gives a one-line report.

    Notes
    -----
    Where the true gradient is nearly zero the relative error is dominated by
    round-off; ``tiny=1e-12`` in :func:`relative_error` keeps such entries from
    being flagged. At kinks (ReLU at 0) the check can legitimately fail.
    """
    num = numerical_gradient(f, x, h)
    if isinstance(x, dict):
        if not isinstance(grad, dict) or set(grad) != set(x):
            got = sorted(grad) if isinstance(grad, dict) else type(grad).__name__
            raise ValueError(f"grad must be a dict with the keys of x, {sorted(x)}; got {got}.")
        errors = {k: relative_error(grad[k], num[k]) for k in x}
    else:
        errors = {"x": relative_error(grad, num)}
    return GradcheckResult(max(errors.values(), default=0.0), errors, tol)
