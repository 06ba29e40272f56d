"""Linear regression by gradient descent or by the normal equations (chapter 4).

:class:`LinearRegression` fits :math:`\\hat{\\mathbf y} = X\\mathbf w + b` by
minimising the mean squared error plus an optional ridge (L2) penalty,

.. math::  L(\\mathbf w, b) = \\frac1n \\lVert X\\mathbf w + b\\mathbf 1 - \\mathbf y\\rVert^2
           + \\frac{\\alpha}{2}\\lVert\\mathbf w\\rVert^2 ,

either iteratively (``solver="gd"``: batch, stochastic or mini-batch gradient
descent with any optimiser of :mod:`nnmath.optim`) or in closed form
(``solver="normal"``: the normal equations, solved, never inverted). The
intercept is not penalised.

The gradient-descent loop, :func:`fit_by_gradient_descent`, is shared with
:class:`nnmath.LogisticRegression` (chapter 5). Left out: multi-output targets,
sample weights, L1 (lasso) penalties, early stopping.
"""

from __future__ import annotations

import copy

import numpy as np

from ._validation import (
    TrainingDiverged,
    check_finite_loss,
    check_int,
    check_is_fitted,
    check_option,
    check_positive,
    check_X,
    check_X_y,
)
from .data import rng_from
from .optim import Optimizer, make_optimizer
from .training import batch_size_for, minibatches

__all__ = ["LinearRegression", "fit_by_gradient_descent", "ridge_normal_equations"]


def fit_by_gradient_descent(params, loss_and_grads, X, y, *, lr, epochs, batch_size,
                            optimizer, random_state):
    """Run mini-batch gradient descent on ``params`` in place.

    Parameters
    ----------
    params : dict of str -> ndarray
        Parameters, updated in place (e.g. ``{"w": (d,), "b": ()}``).
    loss_and_grads : callable
        ``loss_and_grads(params, X_batch, y_batch) -> (loss, grads)``.
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    lr, epochs, batch_size, optimizer, random_state
        As in the models: ``batch_size=None`` is full-batch gradient descent,
        ``1`` is stochastic gradient descent.

    Returns
    -------
    history : ndarray of shape (epochs,)
        Mean loss over each epoch's batches (weighted by batch size).
    n_steps : int
        Number of parameter updates made.

    Raises
    ------
    TrainingDiverged
        As soon as a batch loss (or the final loss) is NaN or infinite.
    """
    if isinstance(optimizer, Optimizer):
        optimizer = copy.deepcopy(optimizer)  # fitting twice must not share its state
    opt = make_optimizer(optimizer, lr)
    rng = rng_from(random_state)
    n = X.shape[0]
    full = batch_size_for(batch_size, n) == n
    history = np.empty(epochs)
    step = 0
    # Overflow is expected when lr is too large; it is caught by check_finite_loss below.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(epochs):
            total = 0.0
            for idx in minibatches(n, batch_size, rng):
                Xb, yb = (X, y) if full else (X[idx], y[idx])
                loss, grads = loss_and_grads(params, Xb, yb)
                check_finite_loss(loss, step + 1, opt.current_lr)
                opt.step(params, grads)
                step += 1
                total += loss * len(idx)
            history[epoch] = total / n
        final, _ = loss_and_grads(params, X, y)
    if not np.isfinite(final):
        raise TrainingDiverged(
            f"Training diverged at step {step} with learning rate {opt.current_lr:g}: the loss "
            f"after the last update is {final}. Try a smaller learning rate (for example a "
            "tenth of it) or scale the features.")
    return history, step


def ridge_normal_equations(X, y, l2=0.0):
    r"""Closed-form minimiser of :math:`\frac1n\lVert X\mathbf w + b - \mathbf y\rVert^2
    + \frac{\alpha}{2}\lVert\mathbf w\rVert^2`.

    Centring removes the intercept (it is not penalised): with
    :math:`X_c = X - \bar{\mathbf x}^\top` and :math:`\mathbf y_c = \mathbf y - \bar y`, the weights
    solve :math:`(X_c^\top X_c + \tfrac{n\alpha}{2} I)\,\mathbf w = X_c^\top \mathbf y_c` and
    :math:`b = \bar y - \bar{\mathbf x}^\top \mathbf w`. The system is solved with
    ``np.linalg.solve``; if it is singular (collinear features and ``l2 = 0``),
    ``np.linalg.lstsq`` on :math:`X_c` gives the minimum-norm solution instead.

    Returns
    -------
    w : ndarray of shape (d,)
    b : float
    """
    X, y = check_X_y(X, y)
    l2 = check_positive(l2, "l2", allow_zero=True)
    n, d = X.shape
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    A = Xc.T @ Xc + (n * l2 / 2.0) * np.eye(d)
    rhs = Xc.T @ yc
    if np.linalg.matrix_rank(A) == d:
        w = np.linalg.solve(A, rhs)
    else:
        w = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    return w, float(y_mean - x_mean @ w)


class LinearRegression:
    """Least-squares linear regression, optionally with a ridge penalty.

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate :math:`\\eta` (``solver="gd"`` only).
    epochs : int, default 100
        Passes over the training data (``solver="gd"`` only).
    batch_size : int or None, default None
        ``None``: full batch; ``1``: stochastic; otherwise mini-batch.
    optimizer : str or nnmath.optim.Optimizer, default "sgd"
        Anything :func:`nnmath.optim.make_optimizer` accepts. An instance is
        copied at ``fit`` so the model can be fitted again from scratch.
    l2 : float, default 0.0
        Ridge strength :math:`\\alpha` in :math:`\\frac{\\alpha}{2}\\lVert\\mathbf w\\rVert^2`.
    solver : {"gd", "normal"}, default "gd"
    random_state : None, int or numpy.random.Generator
        Shuffles the mini-batches. Weights start at zero.

    Attributes
    ----------
    coef_ : ndarray of shape (d,)
    intercept_ : float
    loss_history_ : ndarray of shape (n_iter_,) (one entry for ``solver="normal"``)
        Mean training loss per epoch, including the L2 term.
    n_iter_ : int
        Epochs run (0 for the normal equations).
    n_steps_ : int
        Parameter updates made (0 for the normal equations).
    n_features_in_ : int
    """

    def __init__(self, lr=0.01, epochs=100, batch_size=None, optimizer="sgd", l2=0.0,
                 solver="gd", random_state=None):
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.l2 = l2
        self.solver = solver
        self.random_state = random_state

    def loss_and_grads(self, params, X, y):
        """Loss :math:`L` and its gradient at ``params = {"w": (d,), "b": ()}``.

        ``dL/dw = (2/n) X^T (Xw + b - y) + l2 w`` and ``dL/db = (2/n) sum(Xw + b - y)``.
        """
        w, b = params["w"], params["b"]
        # The residuals and loss of nm.mse, written out: this runs once per step, and the
        # input checks of nm.mse would cost more than the arithmetic (tests compare the two).
        r = X @ w + b - y
        n = r.shape[0]
        dy = (2.0 / n) * r
        l2 = float(self.l2)
        loss = float(r @ r) / n + 0.5 * l2 * float(w @ w)
        return loss, {"w": X.T @ dy + l2 * w, "b": np.sum(dy)}

    def fit(self, X, y):
        """Fit to ``X`` (n, d) and ``y`` (n,); returns ``self``."""
        X, y = check_X_y(X, y)
        check_option(self.solver, ("gd", "normal"), "solver")
        check_positive(self.l2, "l2", allow_zero=True)
        if self.solver == "normal":
            w, b = ridge_normal_equations(X, y, self.l2)
            params = {"w": w, "b": np.array(b)}
            history, steps, n_iter = np.array([self.loss_and_grads(params, X, y)[0]]), 0, 0
        else:
            check_positive(self.lr, "lr")
            n_iter = check_int(self.epochs, "epochs")
            batch_size_for(self.batch_size, X.shape[0])
            params = {"w": np.zeros(X.shape[1]), "b": np.array(0.0)}
            history, steps = fit_by_gradient_descent(
                params, self.loss_and_grads, X, y, lr=self.lr, epochs=n_iter,
                batch_size=self.batch_size, optimizer=self.optimizer,
                random_state=self.random_state)
        self.coef_, self.intercept_ = params["w"], float(params["b"])
        self.loss_history_, self.n_iter_, self.n_steps_ = history, n_iter, steps
        self.n_features_in_ = X.shape[1]
        return self

    def _check_X(self, X):
        check_is_fitted(self, "coef_")
        X = check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} was "
                             f"fitted with {self.n_features_in_}. Pass the same columns as in "
                             "fit.")
        return X

    def predict(self, X):
        """Predictions :math:`X\\mathbf w + b`, shape (n,)."""
        return self._check_X(X) @ self.coef_ + self.intercept_

    decision_function = predict

    def score(self, X, y):
        """Coefficient of determination :math:`R^2` of the predictions."""
        from .metrics import r2_score

        return r2_score(y, self.predict(X))

    def __repr__(self):
        return (f"LinearRegression(lr={self.lr!r}, epochs={self.epochs!r}, "
                f"batch_size={self.batch_size!r}, optimizer={self.optimizer!r}, l2={self.l2!r}, "
                f"solver={self.solver!r}, random_state={self.random_state!r})")
