"""Loss functions, each returning its value and its gradient (chapters 2-6).

Every loss is the *mean* over samples (rows), so its gradient carries a factor
``1/n``. The gradient is taken with respect to the first argument, the model's
output: predictions, probabilities or logits.

- ``mse(y_hat, y)``: gradient ``2 (y_hat - y) / n``;
- ``binary_cross_entropy(p, y)`` from probabilities: ``(p - y) / (p (1 - p) n)``;
- ``binary_cross_entropy_with_logits(z, y)``: ``(sigmoid(z) - y) / n``;
- ``softmax_cross_entropy(Z, labels)`` from logits of shape (n, K): ``(softmax(Z) - Y) / n``
  with ``Y`` the one-hot labels.

For a 2D target of shape (n, k), ``mse`` sums the squared error over the k
outputs of each sample and averages over the n samples (scikit-learn's
``mean_squared_error`` averages over all n*k entries, k times smaller). Left out: Huber, hinge and
other losses the book does not teach.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_labels
from .activations import log_sigmoid, log_softmax, sigmoid, softmax

__all__ = [
    "mse",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "softmax_cross_entropy",
    "one_hot",
]


def _pair(output, y, out_name):
    output = as_float_array(output, out_name, ndim=(1, 2))
    y = as_float_array(y, "y", ndim=(1, 2))
    if output.shape != y.shape:
        raise ValueError(
            f"{out_name} and y must have the same shape, got {output.shape} and {y.shape}. "
            "A common cause is a column vector (n, 1) against a flat (n,) target: use "
            ".ravel() on one of them."
        )
    if output.shape[0] == 0:
        raise ValueError("The loss of zero samples is undefined: pass at least one sample.")
    return output, y


def mse(y_hat, y):
    r"""Mean squared error :math:`L = \frac1n \sum_i \lVert \hat y_i - y_i \rVert^2`.

    Parameters
    ----------
    y_hat, y : ndarray of shape (n,) or (n, k)
        Predictions and targets. For (n, k) the squared norm of each row is
        summed, then averaged over the n samples.

    Returns
    -------
    loss : float
    grad : ndarray, shape of ``y_hat``
        :math:`\partial L / \partial \hat y = \frac{2}{n} (\hat y - y)`.
    """
    y_hat, y = _pair(y_hat, y, "y_hat")
    n = y_hat.shape[0]
    r = y_hat - y
    return float(np.sum(r * r) / n), 2.0 * r / n


def binary_cross_entropy(p, y, eps: float = 1e-12):
    r"""Log-loss from probabilities: :math:`-\frac1n\sum_i [y_i\log p_i + (1-y_i)\log(1-p_i)]`.

    ``p`` is clipped to ``[eps, 1 - eps]`` so that a confident wrong answer
    costs a large finite amount instead of ``inf``. Prefer
    :func:`binary_cross_entropy_with_logits` when you have the logits: it needs
    no clipping and its gradient is exact.

    Returns
    -------
    loss : float
    grad : ndarray, shape of ``p``
        :math:`\frac{1}{n}\,\frac{p - y}{p(1-p)}` (on the clipped ``p``).
    """
    p, y = _pair(p, y, "p")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must hold probabilities in [0, 1]; got values outside. If these "
                         "are logits, use binary_cross_entropy_with_logits.")
    n = p.shape[0]
    pc = np.clip(p, eps, 1.0 - eps)
    loss = -np.sum(y * np.log(pc) + (1.0 - y) * np.log1p(-pc)) / n
    return float(loss), (pc - y) / (pc * (1.0 - pc)) / n


def binary_cross_entropy_with_logits(z, y):
    r"""Log-loss from logits ``z`` (with :math:`p = \sigma(z)`), stable for any ``z``.

    Uses :math:`\log\sigma(z)` and :math:`\log(1-\sigma(z)) = \log\sigma(-z)`
    computed by :func:`~nnmath.activations.log_sigmoid`, so no ``log(0)`` and no
    overflow even at ``|z| = 1e4``.

    Returns
    -------
    loss : float
    grad : ndarray, shape of ``z``
        :math:`\frac1n(\sigma(z) - y)`.
    """
    z, y = _pair(z, y, "z")
    n = z.shape[0]
    loss = -np.sum(y * log_sigmoid(z) + (1.0 - y) * log_sigmoid(-z)) / n
    return float(loss), (sigmoid(z) - y) / n


def one_hot(labels, n_classes: int) -> np.ndarray:
    """Integer labels of shape (n,) to a 0/1 matrix of shape (n, n_classes)."""
    labels = check_labels(labels, n_classes, name="labels")
    out = np.zeros((labels.shape[0], n_classes))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def softmax_cross_entropy(Z, labels):
    r"""Cross-entropy of softmax(Z) against integer labels, averaged over rows.

    :math:`L = -\frac1n \sum_i \log \mathrm{softmax}(Z_i)_{y_i}`.

    Parameters
    ----------
    Z : ndarray of shape (n, K)
        Logits, one row per sample.
    labels : ndarray of shape (n,)
        Integer classes in ``0 .. K-1``.

    Returns
    -------
    loss : float
    grad : ndarray of shape (n, K)
        :math:`\frac1n(\mathrm{softmax}(Z) - Y)` with ``Y`` the one-hot labels.
    """
    Z = as_float_array(Z, "Z", ndim=2)
    labels = check_labels(labels, Z.shape[1], name="labels")
    if labels.shape[0] != Z.shape[0]:
        raise ValueError(f"Z has {Z.shape[0]} rows but labels has {labels.shape[0]} entries; "
                         "give one label per row of logits.")
    if Z.shape[0] == 0:
        raise ValueError("The loss of zero samples is undefined: pass at least one sample.")
    n = Z.shape[0]
    rows = np.arange(n)
    loss = -np.sum(log_softmax(Z)[rows, labels]) / n
    grad = softmax(Z)
    grad[rows, labels] -= 1.0
    return float(loss), grad / n
