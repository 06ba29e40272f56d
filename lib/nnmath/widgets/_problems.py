"""Problems and input features of the MLP playground (:mod:`nnmath.widgets.playground`).

Classification sets are those of :func:`nnmath.data.make_classification_2d`, moved and
scaled so that every set fills about the square [-3, 3]^2 (as TensorFlow Playground's
sets fill [-6, 6]^2): on [-1, 1] the feature ``sin x1`` would be almost ``x1`` and teach
nothing, on [-3, 3] it bends through nearly a whole period. Two regression sets follow
TensorFlow Playground's: a tilted *plane* ``y = (x1 + x2) / 6`` and a *Gaussian mixture*,
bumps of height +1 and -1 at six centres; their noise is added to the target.

The input features are functions of the two coordinates (``FEATURES``); the network sees
the selected columns, in the order of ``FEATURES``.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_option, check_positive
from ..data import make_classification_2d, rng_from

__all__ = ["CLASSIFICATION", "REGRESSION", "PROBLEMS", "FEATURES", "make_problem",
           "feature_matrix", "check_user_data"]

# name in the playground -> (name in nnmath.data, centre of the noiseless shape, scale)
_CLASS_SETS = {
    "circles": ("circles", (0.0, 0.0), 2.5),
    "xor": ("xor", (0.0, 0.0), 2.5),
    "gaussians": ("blobs", (0.0, 0.0), 1.0),
    "spiral": ("spiral", (0.0, 0.0), 2.8),
    "moons": ("moons", (0.5, 0.25), 2.0),
}
CLASSIFICATION = tuple(_CLASS_SETS)
REGRESSION = ("plane", "gaussian mixture")
PROBLEMS = CLASSIFICATION + REGRESSION

#: the six bumps of the Gaussian mixture: (x1, x2, height)
_BUMPS = np.array([(-2.0, 1.25, 1.0), (0.0, 1.25, -1.0), (2.0, 1.25, 1.0),
                   (-2.0, -1.25, -1.0), (0.0, -1.25, 1.0), (2.0, -1.25, -1.0)])
_BUMP_WIDTH = 0.6

#: feature name -> (label for the controls and the diagram, function of x1, x2)
FEATURES = {
    "x1": ("x\u2081", lambda a, b: a),
    "x2": ("x\u2082", lambda a, b: b),
    "x1^2": ("x\u2081\u00b2", lambda a, b: a * a),
    "x2^2": ("x\u2082\u00b2", lambda a, b: b * b),
    "x1x2": ("x\u2081x\u2082", lambda a, b: a * b),
    "sin x1": ("sin x\u2081", lambda a, b: np.sin(a)),
    "sin x2": ("sin x\u2082", lambda a, b: np.sin(b)),
}


def task_of(problem: str) -> str:
    """``"classification"`` or ``"regression"``."""
    return "regression" if problem in REGRESSION else "classification"


def make_problem(name: str, n_samples: int = 200, noise: float = 0.1, random_state=None):
    """``(X, y)`` of a playground problem: ``X`` (n, 2) in about [-3, 3]^2.

    Classification: ``y`` integer labels 0/1. Regression: ``y`` floats in about [-1, 1]
    plus ``noise * N(0, 1)``.
    """
    check_option(name, PROBLEMS, "problem")
    noise = check_positive(noise, "noise", allow_zero=True)
    if name in _CLASS_SETS:
        base, centre, scale = _CLASS_SETS[name]
        X, y = make_classification_2d(base, n_samples, noise=noise, random_state=random_state)
        return scale * (X - np.asarray(centre)), y
    rng = rng_from(random_state)
    X = rng.uniform(-3.0, 3.0, size=(n_samples, 2))
    y = regression_target(name, X)
    return X, y + noise * rng.normal(size=n_samples)


def regression_target(name: str, X) -> np.ndarray:
    """The noiseless target of a regression problem at the points ``X`` (n, 2)."""
    X = np.asarray(X, dtype=float)
    if name == "plane":
        return (X[:, 0] + X[:, 1]) / 6.0
    d2 = ((X[:, None, :] - _BUMPS[None, :, :2]) ** 2).sum(axis=2)
    return np.exp(-d2 / (2 * _BUMP_WIDTH ** 2)) @ _BUMPS[:, 2]


def feature_matrix(X, features) -> np.ndarray:
    """The columns ``features`` (names in :data:`FEATURES`, in that order) of points ``X``."""
    a, b = X[:, 0], X[:, 1]
    return np.column_stack([FEATURES[f][1](a, b) for f in features])


def check_user_data(X, y):
    """Check a learner's ``(X, y)`` for the playground; return ``(X, y, task)``.

    ``X`` must be (n, 2) finite numbers; ``y`` (n,) integer labels 0/1 (two classes:
    classification) or other real numbers (regression).
    """
    if X is None or y is None:
        raise TypeError("mlp_playground(X, y) needs both X and y (or neither, for the "
                        "built-in problems); got "
                        f"X={type(X).__name__}, y={type(y).__name__}.")
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have exactly 2 columns (the plane's coordinates x1, x2), got "
                         f"shape {X.shape}. Pick two columns, e.g. X[:, :2], or project your "
                         "data to 2D first.")
    y = as_float_array(y, "y", ndim=(1, 2))
    if y.ndim == 2:
        if y.shape[1] != 1:
            raise ValueError(f"y must be one target per row, shape (n,), got {y.shape}. For "
                             "one-hot labels pass y.argmax(axis=1).")
        y = y[:, 0]
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} values; each row of X "
                         "needs exactly one target.")
    if X.shape[0] < 4:
        raise ValueError(f"The playground needs at least 4 points to split into training and "
                         f"test data, got {X.shape[0]}.")
    values = np.unique(y)
    if np.all(np.isin(values, (0.0, 1.0))):
        if values.size < 2:
            raise ValueError(f"y holds only the label {values[0]:g}: a classifier needs both "
                             "classes 0 and 1 in y.")
        return X, y.astype(np.int64), "classification"
    if np.all(values == np.round(values)) and values.size <= 10:
        raise ValueError(f"y holds the labels {values.tolist()}, but the playground classifies "
                         "two classes labelled 0 and 1 only. Relabel (e.g. y = (y == "
                         f"{values[-1]:g}).astype(int)), or pass float targets for regression.")
    return X, y, "regression"
