"""Input checks shared by every public function of nnmath.

Messages follow scikit-learn's habit: say what was expected, what arrived,
and how to fix it. Checks raise ``TypeError`` for the wrong kind of object
and ``ValueError`` for the right kind with wrong contents; never ``assert``.

Also here: :class:`TrainingDiverged`, raised when a loss stops being finite,
and :func:`check_is_fitted` for estimators used before ``fit``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = [
    "TrainingDiverged",
    "NotFittedError",
    "as_float_array",
    "check_X",
    "check_X_y",
    "check_labels",
    "check_option",
    "check_positive",
    "check_int",
    "check_is_fitted",
    "check_finite_loss",
]


class TrainingDiverged(ArithmeticError):
    """Training produced a loss that is infinite or NaN.

    Raised instead of letting NaN spread silently through the weights. The
    message names the step and suggests a smaller learning rate.
    """


class NotFittedError(ValueError, AttributeError):
    """An estimator was asked to predict before ``fit`` was called."""


def as_float_array(x, name: str = "x", *, ndim: int | Iterable[int] | None = None,
                   allow_nonfinite: bool = False) -> np.ndarray:
    """Convert ``x`` to a float64 array and check its dimension and values.

    Parameters
    ----------
    x : array_like
        Numbers (nested lists, tuples, NumPy arrays).
    name : str
        What to call ``x`` in error messages.
    ndim : int or iterable of int, optional
        Allowed numbers of dimensions.
    allow_nonfinite : bool
        Whether NaN and infinity are acceptable.
    """
    if isinstance(x, str) or x is None:
        raise TypeError(
            f"{name} must be an array of numbers, got {type(x).__name__} {x!r}. "
            "Pass a NumPy array or a (nested) list of numbers."
        )
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of numbers, got {type(x).__name__} that NumPy cannot "
            f"convert to float ({exc}). Pass a NumPy array or a (nested) list of numbers "
            "with equal-length rows."
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}D" for d in allowed)
            hint = ""
            if 2 in allowed and arr.ndim == 1:
                hint = (" Reshape your data with x.reshape(-1, 1) if it has a single feature, "
                        "or x.reshape(1, -1) if it is a single sample.")
            elif 1 in allowed and arr.ndim == 2 and 1 in arr.shape:
                hint = " Flatten it with x.ravel()."
            raise ValueError(
                f"Expected {want} array for {name}, got {arr.ndim}D array of shape "
                f"{arr.shape} instead.{hint}"
            )
    if not allow_nonfinite and not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} contains {n_bad} NaN or infinite value(s). Remove or impute them "
            "(for example with np.nan_to_num or by dropping those rows) before calling this."
        )
    return arr


def check_X(X, name: str = "X") -> np.ndarray:
    """Check a design matrix: 2D, float64, finite, at least one row and column."""
    X = as_float_array(X, name, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"{name} has shape {X.shape}: it needs at least one sample (row) and one feature "
            "(column)."
        )
    return X


def check_X_y(X, y, *, y_ndim: int | Iterable[int] = 1) -> tuple[np.ndarray, np.ndarray]:
    """Check a design matrix and its targets: same number of rows, finite values."""
    X = check_X(X)
    y = as_float_array(y, "y", ndim=y_ndim)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have different numbers of samples: X has {X.shape[0]} rows, y has "
            f"{y.shape[0]}. Each row of X needs exactly one target in y."
        )
    return X, y


def check_labels(y, n_classes: int | None = None, name: str = "y") -> np.ndarray:
    """Check integer class labels 0, 1, ..., n_classes - 1 and return them as int64."""
    arr = as_float_array(y, name, ndim=1)
    if not np.all(arr == np.round(arr)):
        raise ValueError(
            f"{name} must hold integer class labels 0, 1, ..., K-1; got non-integer values such "
            f"as {arr[arr != np.round(arr)][0]!r}. For regression targets use a regression model."
        )
    labels = arr.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"{name} must hold class labels 0, 1, ..., K-1; got negative label {labels.min()}. "
            "Re-encode the labels, e.g. with np.unique(y, return_inverse=True)[1]."
        )
    if n_classes is not None and labels.size and labels.max() >= n_classes:
        raise ValueError(
            f"{name} holds label {labels.max()} but the model has {n_classes} classes "
            f"(labels 0..{n_classes - 1}). Re-encode the labels or give the model more outputs."
        )
    return labels


def check_option(value, options: Iterable[str], name: str) -> str:
    """Check that ``value`` is one of the named ``options``."""
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"Unknown {name} {value!r}. Expected one of: {', '.join(map(repr, options))}."
        )
    return value


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """Check a real number that must be > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
    return value


def check_int(value, name: str, *, minimum: int = 1) -> int:
    """Check an integer that must be at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}.")
    return int(value)


def check_is_fitted(estimator, attribute: str = "coef_") -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attribute``."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(
            f"This {name} instance is not fitted yet. Call 'fit' with training data before "
            "using this method."
        )


def check_finite_loss(loss: float, step: int, lr: float | None = None) -> float:
    """Raise :class:`TrainingDiverged` if ``loss`` is NaN or infinite.

    ``step`` counts updates from 1; it is named in the message so a learner can
    see how quickly training blew up.
    """
    if not np.isfinite(loss):
        lr_txt = f" with learning rate {lr:g}" if lr is not None else ""
        raise TrainingDiverged(
            f"Training diverged at step {step}{lr_txt}: the loss became {loss}. "
            "Try a smaller learning rate (for example a tenth of it) or scale the features."
        )
    return float(loss)
