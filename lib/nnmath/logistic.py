"""Logistic regression: binary (sigmoid) and softmax regression for K > 2 classes (chapter 5).

For two classes the model is :math:`p = \\sigma(X\\mathbf w + b)`, the
probability of class 1, trained on the mean log-loss computed from the logits
(:func:`nnmath.binary_cross_entropy_with_logits`). For ``K > 2`` classes it is
:math:`P = \\mathrm{softmax}(XW + \\mathbf 1\\mathbf b^\\top)` trained on the mean
softmax cross-entropy (:func:`nnmath.softmax_cross_entropy`). Both add
:math:`\\frac{\\alpha}{2}\\lVert W\\rVert^2` (the intercept is not penalised),
and both have the gradient "(probability - target) times input", averaged.

Layout: rows are samples, so the weights have shape ``(d,)`` (binary) or
``(d, K)`` (softmax). scikit-learn stores the transpose, ``(1, d)`` or ``(K, d)``.
Training is :func:`nnmath.linear.fit_by_gradient_descent`, weights start at
zero. Left out: L1 penalties, class weights, one-vs-rest, second-order solvers.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    check_int,
    check_is_fitted,
    check_labels,
    check_positive,
    check_X,
    check_X_y,
)
from .activations import sigmoid, softmax
from .linear import fit_by_gradient_descent
from .losses import binary_cross_entropy_with_logits, softmax_cross_entropy
from .training import batch_size_for

__all__ = ["LogisticRegression"]


class LogisticRegression:
    """Binary logistic regression, or softmax regression when ``y`` has more than 2 classes.

    Parameters
    ----------
    lr : float, default 0.1
        Learning rate :math:`\\eta`.
    epochs : int, default 100
    batch_size : int or None, default None
        ``None``: full batch; ``1``: stochastic; otherwise mini-batch.
    optimizer : str or nnmath.optim.Optimizer, default "sgd"
    l2 : float, default 0.0
        :math:`\\alpha` in :math:`\\frac{\\alpha}{2}\\lVert W\\rVert^2`.
    random_state : None, int or numpy.random.Generator
        Shuffles the mini-batches.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        ``0, 1, ..., K-1`` with ``K = max(y) + 1`` (at least 2).
    coef_ : ndarray of shape (d,) for two classes, (d, K) otherwise
    intercept_ : float for two classes, ndarray (K,) otherwise
    loss_history_ : ndarray of shape (n_iter_,)
        Mean training loss per epoch, including the L2 term.
    n_iter_, n_steps_, n_features_in_ : int
    """

    def __init__(self, lr=0.1, epochs=100, batch_size=None, optimizer="sgd", l2=0.0,
                 random_state=None):
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.l2 = l2
        self.random_state = random_state

    def loss_and_grads(self, params, X, y):
        """Loss and gradients at ``params = {"w", "b"}``.

        Binary (``w`` of shape (d,)): ``dL/dw = X^T (sigmoid(z) - y) / n + l2 w``.
        Softmax (``w`` of shape (d, K), integer ``y``): ``dL/dW = X^T (P - Y) / n + l2 W``.
        """
        w, b = params["w"], params["b"]
        Z = X @ w + b
        if w.ndim == 1:
            loss, dZ = binary_cross_entropy_with_logits(Z, y)
            db = np.sum(dZ)
        else:
            loss, dZ = softmax_cross_entropy(Z, y)
            db = dZ.sum(axis=0)
        l2 = float(self.l2)
        return loss + 0.5 * l2 * float(np.sum(w * w)), {"w": X.T @ dZ + l2 * w, "b": db}

    def fit(self, X, y):
        """Fit to ``X`` (n, d) and integer labels ``y`` (n,) in ``0..K-1``; returns ``self``."""
        X, _ = check_X_y(X, y)
        labels = check_labels(y)
        check_positive(self.lr, "lr")
        check_positive(self.l2, "l2", allow_zero=True)
        epochs = check_int(self.epochs, "epochs")
        batch_size_for(self.batch_size, X.shape[0])
        K = max(int(labels.max()) + 1, 2)
        d = X.shape[1]
        if K == 2:
            params, target = {"w": np.zeros(d), "b": np.array(0.0)}, labels.astype(np.float64)
        else:
            params, target = {"w": np.zeros((d, K)), "b": np.zeros(K)}, labels
        history, steps = fit_by_gradient_descent(
            params, self.loss_and_grads, X, target, lr=self.lr, epochs=epochs,
            batch_size=self.batch_size, optimizer=self.optimizer, random_state=self.random_state)
        self.classes_ = np.arange(K)
        self.coef_ = params["w"]
        self.intercept_ = float(params["b"]) if K == 2 else params["b"]
        self.loss_history_, self.n_iter_, self.n_steps_ = history, epochs, steps
        self.n_features_in_ = d
        return self

    def decision_function(self, X):
        """Logits: shape (n,) for two classes (the logit of class 1), (n, K) otherwise."""
        check_is_fitted(self, "coef_")
        X = check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but LogisticRegression was fitted "
                             f"with {self.n_features_in_}. Pass the same columns as in fit.")
        return X @ self.coef_ + self.intercept_

    def predict_proba(self, X):
        """Class probabilities, shape (n, K); each row sums to 1."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            p = sigmoid(Z)
            return np.column_stack([1.0 - p, p])
        return softmax(Z)

    def predict(self, X):
        """The most probable class of each row, shape (n,), as int64."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            return (Z > 0).astype(np.int64)
        return np.argmax(Z, axis=1).astype(np.int64)

    def score(self, X, y):
        """Accuracy: the fraction of rows whose predicted class equals ``y``."""
        from .metrics import accuracy

        return accuracy(y, self.predict(X))

    def __repr__(self):
        return (f"LogisticRegression(lr={self.lr!r}, epochs={self.epochs!r}, "
                f"batch_size={self.batch_size!r}, optimizer={self.optimizer!r}, l2={self.l2!r}, "
                f"random_state={self.random_state!r})")
