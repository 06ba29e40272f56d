"""Checks of an :class:`nnmath.MLP`'s settings, parameters and data (chapter 6).

:class:`MLPChecks` is a mixin: :class:`~nnmath.MLP` inherits these methods, which run once
per public call (``fit``, ``forward``, ``loss_and_grads``, ...) and never inside the
training loop. Every message says what was expected, what arrived and how to fix it. The
maths of the network is in :mod:`nnmath.mlp`; the training loop in :mod:`nnmath._mlp_fit`.
Left out: checks of the optimiser's own settings (:mod:`nnmath.optim` does those).
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    NotFittedError,
    as_float_array,
    check_int,
    check_labels,
    check_option,
    check_positive,
    check_X,
)
from .activations import ACTIVATIONS
from .data import rng_from
from .init import get_initializer
from .layers import _check_batch, _fresh_running_stats, check_dropout_rate
from .optim import ALL_OPTIMIZERS, Optimizer

__all__ = ["MLPChecks"]

_TASKS = ("classification", "regression")


class MLPChecks:
    """Validation methods of :class:`nnmath.MLP` (a mixin; not used on its own)."""

    def _sizes(self) -> list[int]:
        sizes = self.layer_sizes
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"layer_sizes must be a list of ints such as [2, 8, 2], got "
                            f"{type(sizes).__name__} {sizes!r}.")
        if len(sizes) < 2:
            raise ValueError(f"layer_sizes needs at least an input and an output size, got "
                             f"{list(sizes)!r}. For 2 features and 3 classes use [2, 3] (no "
                             "hidden layer) or [2, 16, 3].")
        out = []
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(f"layer_sizes must hold integers, got {type(s).__name__} {s!r} "
                                f"in {list(sizes)!r}.")
            if s < 1:
                raise ValueError(f"Every layer needs at least 1 unit, got {int(s)} in "
                                 f"{list(sizes)!r}.")
            out.append(int(s))
        return list(zip(out[:-1], out[1:], strict=True))

    def _check_config(self):
        """Validate the hyperparameters (once per fit); return the layer (in, out) pairs."""
        sizes = self._sizes()
        check_option(self.activation, ACTIVATIONS, "activation")
        check_option(self.task, _TASKS, "task")
        if not isinstance(self.optimizer, Optimizer):
            check_option(self.optimizer, ALL_OPTIMIZERS, "optimizer")
        check_positive(self.lr, "lr")
        check_int(self.epochs, "epochs", minimum=0)
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size")
        check_positive(self.l2, "l2", allow_zero=True)
        check_positive(self.l1, "l1", allow_zero=True)
        get_initializer(self.init)
        check_dropout_rate(self.dropout, "dropout")
        if not isinstance(self.batch_norm, (bool, np.bool_)):
            raise TypeError(f"batch_norm must be True or False, got "
                            f"{type(self.batch_norm).__name__} {self.batch_norm!r}.")
        if self.weight_decay is not None:
            check_positive(self.weight_decay, "weight_decay", allow_zero=True)
            if self.optimizer != "adamw":
                raise ValueError(f"weight_decay is the decoupled decay of optimizer='adamw', "
                                 f"but optimizer is {self.optimizer!r}. Use optimizer='adamw', "
                                 "or l2=... for an L2 penalty in the loss, or set "
                                 "weight_decay on your AdamW instance.")
        if self.clip_grad_norm is not None:
            check_positive(self.clip_grad_norm, "clip_grad_norm")
        return sizes

    def _hidden(self):
        """Numbers ``1..L-1`` of the hidden layers."""
        return range(1, len(self.layer_sizes) - 1)

    def _check_params_match(self):
        keys = {f"{p}{l}" for l in range(1, len(self.layer_sizes)) for p in "Wb"}
        if self.batch_norm:
            keys |= {f"{p}{l}" for l in self._hidden() for p in ("gamma", "beta")}
        if set(self.params) != keys:
            raise ValueError(f"params has keys {sorted(self.params)} but this MLP (layer_sizes="
                             f"{list(self.layer_sizes)!r}, batch_norm={self.batch_norm!r}) needs "
                             f"{sorted(keys)}. Call init_params() after changing the settings.")
        if self.batch_norm and getattr(self, "running_stats_", None) is None:
            self.running_stats_ = self._fresh_running_stats()

    def _fresh_running_stats(self):
        return _fresh_running_stats([self.params[f"b{l}"].size for l in self._hidden()])

    def _require_params(self):
        if self.params is None:
            raise NotFittedError("This MLP has no parameters yet. Call 'fit' with training data "
                                 "(or 'init_params()') before using this method.")
        self._check_params_match()

    def _mode_rng(self, n, training, rng):
        """Check a public call's mode; return its dropout generator (``None``: no dropout)."""
        if training and self.batch_norm:
            _check_batch(n)
        if not (training and self.dropout):
            return None
        if rng is not None:
            return rng_from(rng)
        if getattr(self, "_rng", None) is None:
            self._rng = rng_from(self.random_state)
        return self._rng

    # -- input checks (public methods only) ---------------------------------------------
    def _check_X(self, X):
        X = check_X(X)
        d = self._sizes()[0][0]
        if X.shape[1] != d:
            raise ValueError(f"X has {X.shape[1]} features but this MLP expects {d} "
                             f"(layer_sizes[0]). Pass data with {d} columns or change "
                             "layer_sizes.")
        return X

    def _check_y(self, y, n):
        K = self._sizes()[-1][1]
        if self.task == "classification":
            y = check_labels(y, K)
        else:
            y = as_float_array(y, "y", ndim=(1, 2))
            y = y.reshape(-1, 1) if y.ndim == 1 else y
            if y.shape[1] != K:
                raise ValueError(f"y has {y.shape[1]} target column(s) but the network has {K} "
                                 "output(s) (layer_sizes[-1]); they must match.")
        if y.shape[0] != n:
            raise ValueError(f"X and y have different numbers of samples: X has {n} rows, y has "
                             f"{y.shape[0]}. Each row of X needs exactly one target in y.")
        return y

    def _check_X_y(self, X, y):
        self._check_config()
        X = self._check_X(X)
        return X, self._check_y(y, X.shape[0])
