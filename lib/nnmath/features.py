"""Feature maps for linear models: polynomial features and the bias column (chapter 4).

A linear model becomes a curve-fitting model once its inputs are expanded:
fitting :math:`\\hat y = w_1 x + w_2 x^2 + \\dots + w_p x^p + b` is still *linear
regression*, only on the columns :math:`x, x^2, \\dots, x^p`. The chapter uses
this to show underfitting and overfitting as the degree grows.

- :func:`polynomial_features`: all monomials of the features up to a degree,
  in scikit-learn's ``PolynomialFeatures(include_bias=False)`` order;
- :func:`add_bias_column`: prepend a column of ones, the augmented design
  matrix :math:`[\\mathbf 1, X]` whose first weight plays the role of :math:`b`.

Left out: splines, interaction-only features, feature selection. Scaling
lives in :class:`nnmath.data.StandardScaler`.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np

from ._validation import as_float_array, check_int

__all__ = ["polynomial_features", "n_polynomial_features", "add_bias_column"]


def _as_2d(X, name="X"):
    X = as_float_array(X, name, ndim=(1, 2))
    if X.ndim == 1:  # one feature given as a flat vector: the common case for curve fitting
        X = X[:, None]
    if X.shape[1] == 0:
        raise ValueError(f"{name} has shape {X.shape}: it needs at least one feature (column).")
    return X


def polynomial_features(X, degree):
    """All products of the features of total degree 1..``degree``.

    Parameters
    ----------
    X : ndarray of shape (n,) or (n, d)
        A flat ``X`` is treated as one feature.
    degree : int >= 1

    Returns
    -------
    ndarray of shape (n, m) with ``m = n_polynomial_features(d, degree)``
        Columns ordered by degree, then lexicographically by feature index:
        for two features ``x1, x2, x1^2, x1 x2, x2^2, ...``. No constant column
        (the model's intercept plays that role).
    """
    X = _as_2d(X)
    degree = check_int(degree, "degree")
    d = X.shape[1]
    cols = [np.prod(X[:, list(combo)], axis=1)
            for p in range(1, degree + 1)
            for combo in combinations_with_replacement(range(d), p)]
    return np.column_stack(cols)


def n_polynomial_features(n_features, degree) -> int:
    """Number of columns :func:`polynomial_features` makes: C(d + p, p) - 1."""
    from math import comb

    d, p = check_int(n_features, "n_features"), check_int(degree, "degree")
    return comb(d + p, p) - 1


def add_bias_column(X):
    """``[1, X]``: the design matrix with a leading column of ones, shape (n, d + 1)."""
    X = _as_2d(X)
    return np.column_stack([np.ones(X.shape[0]), X])
