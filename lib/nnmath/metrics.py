"""Scores for fitted models: R^2 for regression, accuracy and friends for classifiers
(chapters 4 and 5).

- :func:`r2_score`: :math:`1 - \\sum (y - \\hat y)^2 / \\sum (y - \\bar y)^2`;
- :func:`accuracy`, :func:`confusion_matrix` (rows: true class, columns: predicted);
- :func:`precision`, :func:`recall`, :func:`f1` for one positive class, or
  averaged over classes with ``average="macro"``;
- :func:`log_loss` from predicted probabilities.

Labels are integers ``0..K-1``. A ratio with a zero denominator (no predicted
positives for precision, no actual positives for recall) is defined as 0, as
scikit-learn does with ``zero_division=0``. Left out: ROC/AUC, weighted and micro averages.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_labels, check_option

__all__ = ["r2_score", "accuracy", "confusion_matrix", "precision", "recall", "f1", "log_loss"]


def _same_length(a, b, names):
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, got "
                         f"{a.shape[0]} and {b.shape[0]}.")
    if a.shape[0] == 0:
        raise ValueError(f"{names[0]} is empty: a score needs at least one sample.")


def _labels(y_true, y_pred):
    t, p = check_labels(y_true, name="y_true"), check_labels(y_pred, name="y_pred")
    _same_length(t, p, ("y_true", "y_pred"))
    return t, p


def r2_score(y_true, y_pred):
    """Coefficient of determination. 1 is perfect, 0 is as good as predicting the mean."""
    t = as_float_array(y_true, "y_true", ndim=1)
    p = as_float_array(y_pred, "y_pred", ndim=1)
    _same_length(t, p, ("y_true", "y_pred"))
    ss_tot = np.sum((t - t.mean()) ** 2)
    if ss_tot == 0:
        raise ValueError("R^2 is undefined when y_true is constant (its variance is 0); "
                         "use the mean squared error instead.")
    return float(1.0 - np.sum((t - p) ** 2) / ss_tot)


def accuracy(y_true, y_pred):
    """Fraction of samples whose predicted label equals the true one."""
    t, p = _labels(y_true, y_pred)
    return float(np.mean(t == p))


def confusion_matrix(y_true, y_pred, n_classes=None):
    """Counts ``C[i, j]`` of samples with true class ``i`` predicted as ``j``, shape (K, K)."""
    t, p = _labels(y_true, y_pred)
    K = int(max(t.max(), p.max())) + 1 if n_classes is None else int(n_classes)
    if max(t.max(), p.max()) >= K:
        raise ValueError(f"Labels go up to {max(t.max(), p.max())} but n_classes={K}; "
                         "raise n_classes or re-encode the labels.")
    C = np.zeros((K, K), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def _per_class(y_true, y_pred, positive, average):
    check_option("binary" if average is None else average, ("binary", "macro"), "average")
    t, p = _labels(y_true, y_pred)
    C = confusion_matrix(t, p, n_classes=max(2, positive + 1, t.max() + 1, p.max() + 1))
    tp = np.diag(C).astype(float)
    prec, rec = _ratio(tp, C.sum(axis=0)), _ratio(tp, C.sum(axis=1))
    f1s = _ratio(2 * prec * rec, prec + rec)
    if average is None:
        return prec[positive], rec[positive], f1s[positive]
    return prec.mean(), rec.mean(), f1s.mean()


def precision(y_true, y_pred, positive=1, average=None):
    """TP / (TP + FP): of the samples predicted ``positive``, the fraction that are.

    ``average="macro"`` averages the per-class precision over all classes.
    """
    return float(_per_class(y_true, y_pred, positive, average)[0])


def recall(y_true, y_pred, positive=1, average=None):
    """TP / (TP + FN): of the samples that are ``positive``, the fraction found."""
    return float(_per_class(y_true, y_pred, positive, average)[1])


def f1(y_true, y_pred, positive=1, average=None):
    """Harmonic mean of precision and recall: 2 P R / (P + R)."""
    return float(_per_class(y_true, y_pred, positive, average)[2])


def log_loss(y_true, proba, eps=1e-15):
    """Mean negative log-probability of the true class.

    Parameters
    ----------
    y_true : ndarray of shape (n,), integer labels
    proba : ndarray of shape (n,) (probability of class 1) or (n, K)
        Probabilities are clipped to ``[eps, 1 - eps]`` so a confident mistake
        costs a large finite amount. From logits, prefer the losses in
        :mod:`nnmath.losses`, which need no clipping.
    """
    P = as_float_array(proba, "proba", ndim=(1, 2))
    if P.ndim == 1:
        P = np.column_stack([1.0 - P, P])
    t = check_labels(y_true, P.shape[1], name="y_true")
    _same_length(t, P, ("y_true", "proba"))
    if np.any((P < 0) | (P > 1)):
        raise ValueError("proba must hold probabilities in [0, 1]; got values outside. If "
                         "these are logits, apply nm.sigmoid or nm.softmax first.")
    p_true = np.clip(P[np.arange(t.shape[0]), t], eps, 1 - eps)
    return float(-np.mean(np.log(p_true)))
