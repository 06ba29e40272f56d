"""The training loop of :class:`nnmath.MLP`: ``fit`` and ``partial_fit`` (chapters 6 and 7).

:class:`MLPFit` is a mixin. One step is: a mini-batch (:func:`nnmath.training.minibatches`),
the loss and gradients of the batch (:meth:`MLP._loss_and_grads`, the backward pass), a check
that the loss is finite (a diverging run stops with :class:`nnmath.TrainingDiverged`, never a
silent NaN), the running batch-norm statistics, optional gradient clipping, and the
optimiser's update. ``partial_fit`` keeps the optimiser's state between calls, which the
demos use to train a few epochs per frame. Left out: early stopping, callbacks, schedules
(pass a schedule to the optimiser instead).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_finite_loss, check_int
from .data import rng_from
from .layers import _check_batches
from .optim import _clip_grad_norm, make_optimizer
from .training import batch_size_for, minibatches

__all__ = ["MLPFit"]


class MLPFit:
    """``fit`` and ``partial_fit`` of :class:`nnmath.MLP` (a mixin; not used on its own)."""

    def fit(self, X, y, validation_data=None):
        """Train for ``epochs`` epochs from the current parameters (drawn if not set yet).

        A fresh optimiser state and fresh histories are made; to restart from new
        random weights call :meth:`init_params` first. Returns ``self``.
        """
        for name in ("optimizer_", "loss_history_", "val_loss_history_", "n_iter_", "t_"):
            self.__dict__.pop(name, None)
        return self.partial_fit(X, y, epochs=self.epochs, validation_data=validation_data)

    def partial_fit(self, X, y, epochs=1, validation_data=None):
        """Train ``epochs`` more epochs, keeping the optimiser state and histories.

        Handy for demos that show training as it goes. Returns ``self``.
        """
        X, y = self._check_X_y(X, y)
        epochs = check_int(epochs, "epochs", minimum=0)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (X_val, y_val).")
            X_val, y_val = self._check_X_y(*validation_data)
        n = X.shape[0]
        if self.batch_norm:
            _check_batches(n, batch_size_for(self.batch_size, n))
        if self.params is None:
            self.init_params()
        self._check_params_match()
        if getattr(self, "_rng", None) is None:
            self._rng = rng_from(self.random_state)
        if not hasattr(self, "optimizer_"):
            options = {} if self.weight_decay is None else {"weight_decay": self.weight_decay}
            self.optimizer_ = make_optimizer(self.optimizer, self.lr, **options)
            self.loss_history_, self.n_iter_, self.t_ = [], 0, 0
        if validation_data is not None and not hasattr(self, "val_loss_history_"):
            self.val_loss_history_ = []
        lr, clip = self.optimizer_.lr, self.clip_grad_norm
        rng = self._rng if self.dropout else None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(epochs):
                total = 0.0
                for idx in minibatches(n, self.batch_size, self._rng, shuffle=self.shuffle):
                    loss, grads, cache = self._loss_and_grads(X[idx], y[idx], True, rng)
                    self.t_ += 1
                    check_finite_loss(loss, self.t_, lr)
                    if self.batch_norm:
                        self._update_running_stats(cache, idx.size)
                    if clip is not None:
                        _clip_grad_norm(grads, clip)
                    self.optimizer_.step(self.params, grads)
                    total += loss * idx.size
                self.loss_history_.append(total / n)
                self.n_iter_ += 1
                if validation_data is not None:
                    val, _ = self._data_loss(self._forward(X_val)[0], y_val)
                    self.val_loss_history_.append(check_finite_loss(val + self._penalty(),
                                                                    self.t_, lr))
        return self
