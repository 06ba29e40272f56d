"""Numerical derivatives and plain gradient descent on functions of a vector (chapter 2).

Chapter 2 uses this module to

- approximate a derivative by a forward difference :math:`(f(x+h)-f(x))/h`
  (error of order :math:`h`) or a central difference
  :math:`(f(x+h)-f(x-h))/2h` (error of order :math:`h^2`), both spoiled by
  round-off of order :math:`\\epsilon/h` when ``h`` is tiny;
- build the Jacobian of a vector function column by column;
- run gradient descent :math:`\\mathbf x_{t+1} = \\mathbf x_t - \\eta\\nabla f(\\mathbf x_t)`
  and keep the whole path, so it can be drawn on a contour plot;
- describe quadratic bowls :math:`f(\\mathbf x) = \\tfrac12(\\mathbf x-\\mathbf c)^\\top
  H(\\mathbf x-\\mathbf c)`, whose curvatures are the eigenvalues of ``H``, and the
  learning-rate bound :math:`\\eta < 2/\\lambda_{\\max}` beyond which descent diverges.

The gradient of a scalar function of an array (and gradient checking) lives in
:mod:`nnmath.gradcheck`. Left out: line searches, momentum and adaptive
methods (chapter 7), second-order methods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, check_finite_loss, check_int, check_positive

__all__ = [
    "forward_difference",
    "central_difference",
    "jacobian",
    "gradient_descent",
    "GDPath",
    "QuadraticBowl",
    "quadratic_bowl",
    "max_stable_lr",
]


def _step(h) -> np.ndarray | float:
    if np.ndim(h) == 0:
        return check_positive(h, "h")
    h = as_float_array(h, "h")
    if np.any(h <= 0):
        raise ValueError(f"h must hold step sizes > 0, got {h[h <= 0][0]!r}.")
    return h


def forward_difference(f, x, h=1e-6):
    """Forward-difference derivative ``(f(x + h) - f(x)) / h`` of a scalar function.

    Parameters
    ----------
    f : callable
        Elementwise function of one real variable, vectorised over arrays.
    x : float or array_like
        Point(s) at which to differentiate.
    h : float or array_like
        Step size(s) > 0; an array of steps broadcasts against ``x`` (used to
        plot the error against ``h``).

    Returns
    -------
    ndarray of the broadcast shape of ``x`` and ``h``
    """
    h = _step(h)
    x = as_float_array(x, "x")
    return (np.asarray(f(x + h), dtype=float) - np.asarray(f(x), dtype=float)) / h


def central_difference(f, x, h=1e-6):
    """Central-difference derivative ``(f(x + h) - f(x - h)) / (2h)``.

    Same arguments and result as :func:`forward_difference`.
    """
    h = _step(h)
    x = as_float_array(x, "x")
    return (np.asarray(f(x + h), dtype=float) - np.asarray(f(x - h), dtype=float)) / (2 * h)


def jacobian(f, x, h: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian ``J[i, j] = d f_i / d x_j`` of ``f: R^n -> R^m``.

    Parameters
    ----------
    f : callable
        Takes an array of shape (n,) and returns shape (m,) (or a scalar, m = 1).
    x : array_like of shape (n,)
    h : float

    Returns
    -------
    ndarray of shape (m, n)
    """
    h = check_positive(h, "h")
    x = as_float_array(x, "x", ndim=1)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((np.atleast_1d(f(x + e)) - np.atleast_1d(f(x - e))) / (2 * h))
    return np.column_stack(cols)


@dataclass(frozen=True)
class GDPath:
    """The record of :func:`gradient_descent`.

    Attributes
    ----------
    points : ndarray of shape (n_steps + 1, d)
        ``x_0, x_1, ..., x_T``.
    losses : ndarray of shape (n_steps + 1,)
        ``f(x_t)`` for every point.
    lr : float
    """

    points: np.ndarray
    losses: np.ndarray
    lr: float

    @property
    def x(self) -> np.ndarray:
        """The last point."""
        return self.points[-1]


def gradient_descent(f, grad, x0, lr: float, n_steps: int = 50) -> GDPath:
    """Gradient descent ``x <- x - lr * grad(x)`` from ``x0``, keeping the path.

    Parameters
    ----------
    f : callable
        Scalar function of ``x`` (shape (d,)); recorded at every point.
    grad : callable
        Its gradient, shape (d,).
    x0 : array_like of shape (d,)
        Start point.
    lr : float
        Learning rate (step size) ``eta > 0``.
    n_steps : int
        Number of updates.

    Returns
    -------
    GDPath

    Raises
    ------
    nnmath.TrainingDiverged
        If ``f`` becomes infinite or NaN, naming the step.
    """
    lr = check_positive(lr, "lr")
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    x = as_float_array(x0, "x0", ndim=1).copy()
    points, losses = [x.copy()], [check_finite_loss(float(f(x)), 0, lr)]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, n_steps + 1):
            x = x - lr * np.asarray(grad(x), dtype=float)
            losses.append(check_finite_loss(float(f(x)), t, lr))
            points.append(x.copy())
    return GDPath(np.array(points), np.array(losses), lr)


@dataclass(frozen=True)
class QuadraticBowl:
    r"""The bowl :math:`f(\mathbf x) = \tfrac12(\mathbf x-\mathbf c)^\top H(\mathbf x-\mathbf c)`.

    ``H`` is symmetric (d, d), ``c`` the centre (d,). Its gradient is
    :math:`H(\mathbf x - \mathbf c)` and its Hessian is ``H``. Call it on points of
    shape (d,) or (..., d).
    """

    H: np.ndarray
    c: np.ndarray

    def __call__(self, x):
        r = np.asarray(x, dtype=float) - self.c
        return 0.5 * np.einsum("...i,ij,...j->...", r, self.H, r)

    def grad(self, x):
        """Gradient ``H (x - c)``, shape of ``x``."""
        return (np.asarray(x, dtype=float) - self.c) @ self.H  # H is symmetric

    def curvatures(self) -> np.ndarray:
        """Eigenvalues of ``H`` in increasing order."""
        return np.linalg.eigvalsh(self.H)

    @property
    def condition_number(self) -> float:
        """``lambda_max / lambda_min`` (inf if the bowl is flat in some direction)."""
        lam = self.curvatures()
        return float(lam[-1] / lam[0]) if lam[0] > 0 else np.inf


def quadratic_bowl(curvatures=(1.0, 1.0), angle: float = 0.0, center=(0.0, 0.0)) \
        -> QuadraticBowl:
    """A 2-D bowl with the given curvatures along axes rotated by ``angle`` radians.

    ``H = R diag(curvatures) R^T`` with ``R`` the rotation by ``angle``, so the
    curvatures are exactly the eigenvalues of ``H``. Curvatures must be >= 0.
    """
    lam = as_float_array(curvatures, "curvatures", ndim=1)
    if lam.shape != (2,) or np.any(lam < 0):
        raise ValueError(f"curvatures must be two numbers >= 0, got {lam.tolist()}. A negative "
                         "curvature makes a saddle, not a bowl.")
    c = as_float_array(center, "center", ndim=1)
    if c.shape != (2,):
        raise ValueError(f"center must have 2 entries, got shape {c.shape}.")
    co, si = np.cos(angle), np.sin(angle)
    R = np.array([[co, -si], [si, co]])
    return QuadraticBowl(R @ np.diag(lam) @ R.T, c)


def max_stable_lr(H) -> float:
    r"""The learning-rate bound :math:`2 / \lambda_{\max}(H)` for a quadratic with Hessian ``H``.

    Gradient descent on the bowl converges for every start point when
    ``0 < lr < 2 / lambda_max`` and diverges (along the steepest direction)
    when ``lr > 2 / lambda_max``.

    Parameters
    ----------
    H : array_like of shape (d, d)
        Symmetric positive semi-definite Hessian (or a :class:`QuadraticBowl`).
    """
    if isinstance(H, QuadraticBowl):
        H = H.H
    H = as_float_array(H, "H", ndim=2)
    if H.shape[0] != H.shape[1] or not np.allclose(H, H.T):
        raise ValueError(f"H must be a symmetric square matrix, got shape {H.shape}"
                         f"{'' if H.shape[0] != H.shape[1] else ' that is not symmetric'}. "
                         "A Hessian is symmetric: use (H + H.T) / 2.")
    lam_max = float(np.linalg.eigvalsh(H)[-1])
    if lam_max <= 0:
        raise ValueError(f"H has no positive curvature (largest eigenvalue {lam_max:g}); "
                         "gradient descent has no finite bound there.")
    return 2.0 / lam_max
