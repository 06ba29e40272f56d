"""Linear systems by Gaussian elimination with partial pivoting (chapter 1, "Linear systems"),
and two small helpers built on the singular value decomposition (chapter 1, "A first look at the
singular value decomposition").

Chapter 1 solves :math:`A\\mathbf x = \\mathbf b` by hand and then with this
module, written from scratch so every step can be read:

- :func:`lu_factor` eliminates below the diagonal column by column, swapping in
  the largest remaining entry of the column as pivot (*partial pivoting*), and
  records the multipliers: :math:`PA = LU`;
- :func:`forward_substitution` and :func:`back_substitution` solve the two
  triangular systems;
- :func:`solve` chains the three, :func:`det` multiplies the pivots and
  :func:`inverse` solves against the identity (to show why you should not);
- :func:`hilbert` builds the classic badly conditioned test matrix;
- :func:`condition_number` is the 2-norm condition number
  :math:`\\sigma_{\\max}/\\sigma_{\\min}` and :func:`low_rank_approximation` the best rank-``k``
  approximation (Eckart-Young), both read off NumPy's SVD (``numpy.linalg.svd``, LAPACK): the
  chapter computes them with NumPy first and then shows these helpers agree.

A matrix whose pivot falls to round-off size relative to its largest entry is
reported as singular (or numerically singular) with :class:`SingularMatrixError`
instead of returning huge meaningless numbers. Left out: blocking, complete
pivoting, iterative refinement, sparse and banded storage; use
``numpy.linalg.solve`` (LAPACK) for real work.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array

__all__ = [
    "SingularMatrixError",
    "lu_factor",
    "forward_substitution",
    "back_substitution",
    "solve",
    "det",
    "inverse",
    "hilbert",
    "condition_number",
    "low_rank_approximation",
]


class SingularMatrixError(ValueError):
    """The matrix is singular, or so close to singular that elimination is meaningless."""


def _square(A, name: str = "A") -> np.ndarray:
    A = as_float_array(A, name, ndim=2)
    if A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty square matrix (n, n), got shape {A.shape}. A system "
            "with more equations than unknowns has no exact solution in general: use least "
            "squares (numpy.linalg.lstsq) instead."
        )
    return A


def _rhs(b, n: int) -> np.ndarray:
    b = as_float_array(b, "b", ndim=(1, 2))
    if b.shape[0] != n:
        raise ValueError(
            f"b must have {n} rows to match A of shape ({n}, {n}), got shape {b.shape}. "
            "Give one right-hand side entry per equation (per row of A)."
        )
    return b


def lu_factor(A, *, rtol: float | None = None):
    """Gaussian elimination with partial pivoting: ``P @ A = L @ U``.

    Parameters
    ----------
    A : array_like of shape (n, n)
    rtol : float, optional
        A pivot with ``|pivot| <= rtol * max|A|`` counts as zero. Default
        ``n * machine epsilon``, the size of round-off after ``n`` eliminations.

    Returns
    -------
    P : ndarray of shape (n, n)
        Permutation matrix of the row swaps.
    L : ndarray of shape (n, n)
        Unit lower triangular: ``L[i, k]`` is the multiple of pivot row ``k``
        subtracted from row ``i``.
    U : ndarray of shape (n, n)
        Upper triangular, the pivots on its diagonal.

    Raises
    ------
    SingularMatrixError
        If some column has no usable pivot.
    """
    U = _square(A).copy()
    n = U.shape[0]
    tol = (n * np.finfo(float).eps if rtol is None else rtol) * np.max(np.abs(U))
    L, perm = np.eye(n), np.arange(n)
    for k in range(n):
        p = k + int(np.argmax(np.abs(U[k:, k])))  # partial pivoting: largest entry
        if abs(U[p, k]) <= tol:
            raise SingularMatrixError(
                f"A is singular to working precision: column {k} has no pivot larger than "
                f"{tol:.1e} (largest candidate {abs(U[p, k]):.1e}). Its rows are (nearly) "
                "linearly dependent, so A x = b has no unique solution. Check the data for "
                "repeated or proportional rows/columns, or use least squares "
                "(numpy.linalg.lstsq)."
            )
        if p != k:  # swap rows k and p in U, in the finished part of L, and in perm
            U[[k, p]] = U[[p, k]]
            L[[k, p], :k] = L[[p, k], :k]
            perm[[k, p]] = perm[[p, k]]
        m = U[k + 1:, k] / U[k, k]  # multipliers l_ik = u_ik / u_kk
        L[k + 1:, k] = m
        U[k + 1:, k:] -= np.outer(m, U[k, k:])
        U[k + 1:, k] = 0.0  # exactly zero, not round-off
    return np.eye(n)[perm], L, U


def forward_substitution(L, b):
    """Solve ``L y = b`` for lower triangular ``L``, top row first.

    ``b`` has shape (n,) or (n, k); the result has the shape of ``b``.
    """
    L = _square(L, "L")
    b = _rhs(b, L.shape[0])
    y = np.zeros_like(b)
    for i in range(L.shape[0]):
        y[i] = (b[i] - L[i, :i] @ y[:i]) / L[i, i]
    return y


def back_substitution(U, c):
    """Solve ``U x = c`` for upper triangular ``U``, bottom row first.

    ``c`` has shape (n,) or (n, k); the result has the shape of ``c``.
    """
    U = _square(U, "U")
    c = _rhs(c, U.shape[0])
    x = np.zeros_like(c)
    for i in range(U.shape[0] - 1, -1, -1):
        x[i] = (c[i] - U[i, i + 1:] @ x[i + 1:]) / U[i, i]
    return x


def solve(A, b, *, rtol: float | None = None):
    """Solve ``A x = b`` by Gaussian elimination with partial pivoting.

    Parameters
    ----------
    A : array_like of shape (n, n)
    b : array_like of shape (n,) or (n, k)
        One right-hand side, or ``k`` of them as columns.
    rtol : float, optional
        Pivot tolerance, see :func:`lu_factor`.

    Returns
    -------
    x : ndarray of the shape of ``b``

    Raises
    ------
    SingularMatrixError
        If ``A`` is singular to working precision.
    """
    P, L, U = lu_factor(A, rtol=rtol)
    b = _rhs(b, P.shape[0])
    return back_substitution(U, forward_substitution(L, P @ b))


def det(A) -> float:
    """Determinant as the product of the pivots, with the sign of the row swaps.

    Returns 0.0 for a matrix that :func:`lu_factor` finds singular.
    """
    try:
        P, _, U = lu_factor(A, rtol=0.0)
    except SingularMatrixError:
        return 0.0
    sign = np.linalg.det(P)  # +1 or -1 for a permutation; exact for a 0/1 matrix
    return float(round(sign) * np.prod(np.diag(U)))


def inverse(A, *, rtol: float | None = None):
    """``A^{-1}`` by solving ``A X = I`` column by column.

    Shown in chapter 1 for comparison only: to get ``A^{-1} b`` call
    :func:`solve`, which is cheaper and more accurate.
    """
    A = _square(A)
    return solve(A, np.eye(A.shape[0]), rtol=rtol)


def hilbert(n: int) -> np.ndarray:
    """The ``n x n`` Hilbert matrix ``H[i, j] = 1 / (i + j + 1)`` (0-based indices).

    Symmetric positive definite, yet its condition number grows roughly like
    ``e^{3.5 n}``: about 1.6e13 already at ``n = 10``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}.")
    i = np.arange(n)
    return 1.0 / (i[:, None] + i[None, :] + 1.0)


def condition_number(A) -> float:
    """The 2-norm condition number ``sigma_max / sigma_min`` of a matrix.

    Parameters
    ----------
    A : array_like of shape (m, n)
        Any non-empty matrix. For a square invertible ``A`` this is
        ``||A||_2 ||A^{-1}||_2``; for a rectangular one it is the ratio of the
        largest to the smallest of its ``min(m, n)`` singular values.

    Returns
    -------
    float
        ``inf`` when the smallest singular value is exactly 0. A matrix that is
        singular only up to round-off gives a huge finite number (about
        ``1 / machine epsilon`` or more), as ``numpy.linalg.cond`` does.
    """
    A = as_float_array(A, "A", ndim=2)
    if A.size == 0:
        raise ValueError(f"A must be a non-empty matrix, got shape {A.shape}.")
    s = np.linalg.svd(A, compute_uv=False)  # sigma_1 >= ... >= sigma_min(m, n) >= 0
    return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")


def low_rank_approximation(A, k: int) -> np.ndarray:
    """The best approximation of rank at most ``k``: ``sum_{i<=k} sigma_i u_i v_i^T``.

    By the Eckart-Young theorem no matrix of rank at most ``k`` is closer to
    ``A`` in the 2-norm (the error is ``sigma_{k+1}``) or in the Frobenius norm
    (the error is ``sqrt(sigma_{k+1}^2 + sigma_{k+2}^2 + ...)``).

    Parameters
    ----------
    A : array_like of shape (m, n)
    k : int
        Number of singular triplets to keep, ``0 <= k <= min(m, n)``; ``k = 0``
        gives the zero matrix and ``k = min(m, n)`` gives ``A`` back (up to
        round-off).

    Returns
    -------
    ndarray of shape (m, n)
    """
    A = as_float_array(A, "A", ndim=2)
    r = min(A.shape)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= r:
        raise ValueError(
            f"k must be an integer between 0 and min(m, n) = {r} for A of shape {A.shape}, "
            f"got {k!r}. A matrix of shape {A.shape} has at most {r} singular values."
        )
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (U[:, :k] * s[:k]) @ Vt[:k]
