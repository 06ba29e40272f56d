"""The multilayer perceptron and backpropagation (chapter 6, "Backpropagation in matrix form").

:class:`MLP` is a stack of dense layers, rows as samples. With ``A0 = X``,
hidden layer ``l`` computes ``Zl = A(l-1) @ Wl + bl`` and ``Al = f(Zl)``; the
output layer is linear (``AL = ZL``). For classification its ``K`` outputs
are logits and the loss is the mean softmax cross-entropy; for regression they
are the predictions and the loss is the mean over samples of the squared error
summed over outputs (:func:`nnmath.mse`). Both add
``(l2 / 2) * sum(W**2) + l1 * sum(|W|)`` over the weight matrices; biases are not
regularised.

The backward pass (:meth:`MLP.loss_and_grads`) is the chapter's equations,
one line each, for the whole batch at once::

    dZL = (softmax(ZL) - Y) / n          or  2 (ZL - Y) / n
    dWl = A(l-1).T @ dZl  (+ l2 Wl + l1 sign(Wl))
    dbl = dZl.sum(0)
    dA(l-1) = dZl @ Wl.T
    dZ(l-1) = dA(l-1) * f'(Z(l-1))

Inside the training loop the activations are evaluated by the small kernels in
:data:`_KERNELS`: the same formulas as :mod:`nnmath.activations` (the tests
check that they agree) without the input checks, which would cost time on
every batch and would turn a diverging run into a ``ValueError`` about NaN
instead of :class:`nnmath.TrainingDiverged`. Inputs are checked once, in the
public methods.

Two optional layers follow every hidden dense layer (chapter 7; the kernels
live in :mod:`nnmath.layers`): ``batch_norm=True`` normalises ``Zl`` over the
batch before the activation (``Al = f(gammal * Zhatl + betal)``, parameters
``gamma{l}``, ``beta{l}`` in :attr:`MLP.params`, running statistics for
prediction), and ``dropout=p`` multiplies ``Al`` by a fresh mask ``Dl`` at every
training step (the next layer gets ``Al * Dl``). Both act only in training mode:
:meth:`MLP.fit` and :meth:`MLP.loss_and_grads` by default; ``forward``,
``predict`` and ``loss`` are deterministic (evaluation mode).

Settings and inputs are checked in :mod:`nnmath._mlp_checks`, the training loop
(``fit``, ``partial_fit``) is :mod:`nnmath._mlp_fit`; both are mixins of :class:`MLP`.

Left out: early stopping, other output layers (sigmoid with binary
cross-entropy is a 2-class softmax in disguise), dropout on the inputs.
"""

from __future__ import annotations

import numpy as np

from ._mlp_checks import MLPChecks
from ._mlp_fit import MLPFit
from .data import rng_from
from .init import get_initializer
from .layers import _bn_layer, _bn_layer_backward, _dropout_mask, _update_running_stats

__all__ = ["MLP"]


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# name -> (f(Z), f'(Z) given Z and A = f(Z)); same formulas as nnmath.activations.
_KERNELS = {
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(np.float64)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z),
                   lambda z, a: np.where(z > 0, 1.0, 0.01)),
}


class MLP(MLPChecks, MLPFit):
    """A multilayer perceptron trained by mini-batch gradient descent.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[d, h1, ..., K]``: input features, hidden widths, outputs. ``[d, K]``
        has no hidden layer (softmax or linear regression).
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "identity"}
        Activation of every hidden layer; the output layer is linear.
    task : {"classification", "regression"}
        Softmax cross-entropy on integer labels ``0..K-1``, or squared error.
    lr : float
        Learning rate, used when ``optimizer`` is a name.
    epochs : int
        Passes over the training data made by :meth:`fit`.
    batch_size : int or None
        Samples per update; ``None`` means the whole training set.
    optimizer : {"adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop"} or Optimizer
    l2, l1 : float
        Penalties ``(l2/2) * sum W**2`` and ``l1 * sum |W|`` on the weights, in the loss.
    init : {"he", "xavier", "normal", "uniform", "zeros"} or callable
        Weight initialiser ``f(fan_in, fan_out, rng)``; biases start at 0.
    random_state : None, int or numpy.random.Generator
        Seeds the initial weights and the shuffling.
    shuffle : bool
        Reshuffle the samples every epoch.
    dropout : float in [0, 1)
        Probability of dropping each hidden unit at each training step (inverted
        dropout, masks drawn from the model's random stream); 0 turns it off.
    batch_norm : bool
        Normalise every hidden layer's ``Zl`` over the batch (PyTorch's ``eps=1e-5``
        and ``momentum=0.1`` for the running statistics). Needs batches of >= 2. In
        training mode ``Zl - mu`` cancels any shift, so ``b{l}`` of a hidden layer gets
        the exact gradient 0 and keeps its initial 0 (PyTorch writes such a layer as
        ``Linear(bias=False)`` followed by ``BatchNorm1d``).
    weight_decay : float >= 0 or None
        Decoupled weight decay of ``optimizer="adamw"`` (``None``: its default 0.01).
        Not an L2 penalty: it shrinks every parameter each step, outside the loss.
    clip_grad_norm : float > 0 or None
        Before every update, rescale the gradients to this global L2 norm when it is
        exceeded (:func:`nnmath.optim.clip_grad_norm`).

    Attributes
    ----------
    params : dict of str -> ndarray or None
        ``W1`` (d, h1), ``b1`` (h1,), ..., ``WL`` (h_{L-1}, K), ``bL`` (K,), and with
        ``batch_norm`` ``gamma{l}``, ``beta{l}`` (h_l,) for each hidden layer;
        ``None`` until :meth:`fit` or :meth:`init_params`.
    running_stats_ : dict of str -> ndarray
        With ``batch_norm``: ``mean{l}``, ``var{l}`` (h_l,), the running batch
        statistics used in evaluation mode (start 0 and 1, updated once per batch).
    loss_history_ : list of float
        Per epoch, the mean of the training loss (with penalty) over its batches.
    val_loss_history_ : list of float
        Per epoch, the loss (with penalty) on ``validation_data`` after the epoch.
    n_iter_ : int
        Epochs run.
    t_ : int
        Parameter updates made.
    """

    def __init__(self, layer_sizes, activation="relu", task="classification", lr=0.01,
                 epochs=100, batch_size=32, optimizer="adam", l2=0.0, l1=0.0, init="he",
                 random_state=None, shuffle=True, dropout=0.0, batch_norm=False,
                 weight_decay=None, clip_grad_norm=None):
        self.layer_sizes = layer_sizes
        self.activation = activation
        self.task = task
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.l2 = l2
        self.l1 = l1
        self.init = init
        self.random_state = random_state
        self.shuffle = shuffle
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.weight_decay = weight_decay
        self.clip_grad_norm = clip_grad_norm

    def __repr__(self):
        extra = "".join(f", {k}={getattr(self, k)!r}" for k in ("dropout", "batch_norm")
                        if getattr(self, k))
        return (f"MLP({list(self.layer_sizes)!r}, activation={self.activation!r}, "
                f"task={self.task!r}, lr={self.lr!r}, optimizer={self.optimizer!r}{extra})")

    #: The weights and biases (dict); the class-level ``None`` until :meth:`init_params` or
    #: :meth:`fit` sets the instance's own (so ``__init__`` stores only its arguments).
    params = None

    @property
    def n_layers(self) -> int:
        """Number of weight layers ``L`` (hidden layers + 1)."""
        return len(self._sizes())

    def init_params(self, random_state=None):
        """Draw fresh weights (``init``) and zero biases; reset the shuffling stream.

        ``random_state`` defaults to the model's own. Returns ``self``.
        """
        sizes = self._check_config()
        rng = rng_from(self.random_state if random_state is None else random_state)
        initialiser = get_initializer(self.init)
        params = {}
        for l, (fan_in, fan_out) in enumerate(sizes, start=1):
            W = np.asarray(initialiser(fan_in, fan_out, rng), dtype=np.float64)
            if W.shape != (fan_in, fan_out):
                raise ValueError(f"init returned weights of shape {W.shape} for layer {l}; "
                                 f"expected ({fan_in}, {fan_out}) = (fan_in, fan_out).")
            params[f"W{l}"] = W.copy()
            params[f"b{l}"] = np.zeros(fan_out)
            if self.batch_norm and l < len(sizes):
                params[f"gamma{l}"], params[f"beta{l}"] = np.ones(fan_out), np.zeros(fan_out)
        self.params = params
        self.running_stats_ = self._fresh_running_stats() if self.batch_norm else None
        self._rng = rng
        return self

    # -- forward and backward (no checks: called on every batch) ------------------------
    def _forward(self, X, training=False, rng=None):
        """Output (n, K) and cache; ``training`` uses batch statistics and dropout masks."""
        f = _KERNELS[self.activation][0]
        P, L = self.params, len(self.layer_sizes) - 1
        p = self.dropout if training else 0.0
        cache = {"A0": X}
        A = X
        for l in range(1, L + 1):
            Z = A @ P[f"W{l}"] + P[f"b{l}"]  # (n, fan_out)
            cache[f"Z{l}"] = Z
            if l == L:
                A = Z
            else:
                if self.batch_norm:
                    Z = self._bn_forward(Z, l, training, cache)  # Ztilde{l}
                A = f(Z)
            cache[f"A{l}"] = A
            if p and l < L:
                cache[f"D{l}"] = D = _dropout_mask(A.shape, p, rng)
                A = A * D  # the next layer sees the dropped, rescaled activations
        return A, cache

    def _bn_forward(self, Z, l, training, cache):
        """``Ztilde = gamma * Zhat + beta`` of hidden layer ``l``, its pieces saved in ``cache``."""
        stats = self.running_stats_
        out, *saved = _bn_layer(Z, self.params[f"gamma{l}"], self.params[f"beta{l}"],
                                stats[f"mean{l}"], stats[f"var{l}"], training)
        cache.update(zip([f"Ztilde{l}", f"Zhat{l}", f"sigma{l}", f"mu{l}", f"var{l}"],
                         [out, *saved], strict=True))
        return out

    def _update_running_stats(self, cache, n):
        for l in self._hidden():
            _update_running_stats(self.running_stats_[f"mean{l}"], self.running_stats_[f"var{l}"],
                                  cache[f"mu{l}"], cache[f"var{l}"], n)

    def _penalty(self):
        total = 0.0
        for k, W in self.params.items():
            if k[0] == "W":
                if self.l2:
                    total += 0.5 * self.l2 * float(np.sum(W * W))
                if self.l1:
                    total += self.l1 * float(np.sum(np.abs(W)))
        return total

    def _data_loss(self, out, y):
        """Mean loss and dL/dZL (n, K) for outputs ``out`` and checked targets ``y``."""
        n = out.shape[0]
        if self.task == "classification":
            shifted = out - out.max(axis=1, keepdims=True)
            expz = np.exp(shifted)
            total = expz.sum(axis=1, keepdims=True)
            rows = np.arange(n)
            loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
            dZ = expz / total  # softmax(ZL)
            dZ[rows, y] -= 1.0
            return loss, dZ / n
        r = out - y
        return float(np.sum(r * r) / n), (2.0 / n) * r

    def _loss_and_grads(self, X, y, training=True, rng=None):
        """``(loss, grads, cache)``; the cache lets fit update the running statistics."""
        out, cache = self._forward(X, training, rng)
        loss, dZ = self._data_loss(out, y)
        f_grad = _KERNELS[self.activation][1]
        P, grads, L = self.params, {}, len(self.layer_sizes) - 1
        dropped, bn_train = training and self.dropout, training and self.batch_norm
        for l in range(L, 0, -1):
            W = P[f"W{l}"]
            A_prev = cache[f"A{l - 1}"]
            if dropped and l > 1:
                A_prev = A_prev * cache[f"D{l - 1}"]
            dW = A_prev.T @ dZ  # (fan_in, n) @ (n, fan_out)
            if self.l2:
                dW += self.l2 * W
            if self.l1:
                dW += self.l1 * np.sign(W)
            # with batch statistics Zl - mu cancels any shift of Zl: dbl is exactly 0
            db = np.zeros(dZ.shape[1]) if bn_train and l < L else dZ.sum(axis=0)
            grads[f"W{l}"], grads[f"b{l}"] = dW, db
            if l > 1:
                k = l - 1
                dA = dZ @ W.T  # (n, fan_out) @ (fan_out, fan_in)
                if dropped:
                    dA *= cache[f"D{k}"]
                if not self.batch_norm:
                    dZ = dA * f_grad(cache[f"Z{k}"], cache[f"A{k}"])
                    continue
                dT = dA * f_grad(cache[f"Ztilde{k}"], cache[f"A{k}"])  # d loss / d Ztilde
                dZ, grads[f"gamma{k}"], grads[f"beta{k}"] = _bn_layer_backward(
                    dT, P[f"gamma{k}"], cache[f"Zhat{k}"], cache[f"sigma{k}"], training)
        return loss + self._penalty(), grads, cache

    # -- public maths -------------------------------------------------------------------
    def forward(self, X, return_cache=False, training=False, rng=None):
        """Output layer for a batch: logits (classification) or predictions, shape (n, K).

        With ``return_cache=True`` also returns the dict ``{"A0": X, "Z1", "A1", ...,
        "ZL", "AL"}`` of every layer's pre-activations and activations (``AL = ZL``);
        with ``batch_norm`` also ``Zhat{l}``, ``sigma{l}``, ``Ztilde{l}`` (so that
        ``Al = f(Ztilde{l})``), and with dropout in training mode the masks ``D{l}``.
        ``training=True`` uses batch statistics and draws dropout masks from ``rng``
        (None: the model's own stream; an int seed gives the same masks each time).
        """
        self._require_params()
        X = self._check_X(X)
        rng = self._mode_rng(X.shape[0], training, rng)
        with np.errstate(over="ignore", invalid="ignore"):
            out, cache = self._forward(X, training, rng)
        return (out, cache) if return_cache else out

    def loss_and_grads(self, X, y, training=True, rng=None):
        """Loss (mean over samples, plus penalties) and its gradient for every parameter.

        Parameters
        ----------
        X : array_like, shape (n, d)
        y : array_like, shape (n,) labels or (n,) / (n, K) targets
        training : bool
            ``True`` (default): the loss of a training step, with batch statistics
            (``batch_norm``) and fresh dropout masks. ``False``: evaluation mode, the
            loss that :meth:`loss` returns. The two agree when neither is used.
        rng : None, int or numpy.random.Generator
            Source of the dropout masks; ``None`` uses (and advances) the model's own.
            Fix it (an int) to evaluate the same masked network again, e.g. in
            ``loss(X, y, training=True, rng=seed)`` for central differences.

        Returns
        -------
        loss : float
        grads : dict of str -> ndarray
            ``dW1, db1, ...`` under the keys of :attr:`params`, with their shapes.
            Running statistics are not changed here; :meth:`fit` updates them.
        """
        self._require_params()
        X, y = self._check_X_y(X, y)
        rng = self._mode_rng(X.shape[0], training, rng)
        loss, grads, _ = self._loss_and_grads(X, y, training, rng)
        return loss, {k: grads[k] for k in self.params}

    def loss(self, X, y, include_penalty=True, training=False, rng=None):
        """The loss on ``(X, y)`` with the current parameters (no gradient).

        Evaluation mode by default; ``training`` and ``rng`` as in :meth:`loss_and_grads`.
        """
        self._require_params()
        X, y = self._check_X_y(X, y)
        rng = self._mode_rng(X.shape[0], training, rng)
        with np.errstate(over="ignore", invalid="ignore"):
            out, _ = self._forward(X, training, rng)
            loss, _ = self._data_loss(out, y)
        return loss + (self._penalty() if include_penalty else 0.0)

    # -- prediction ---------------------------------------------------------------------
    def predict_proba(self, X):
        """Class probabilities ``softmax(forward(X))``, shape (n, K) (classification only)."""
        if self.task != "classification":
            raise ValueError("predict_proba is only defined for task='classification'; this "
                             "MLP does regression, use predict.")
        out = self.forward(X)
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Class labels (n,) for classification; predictions (n,) or (n, K) for regression."""
        out = self.forward(X)
        if self.task == "classification":
            return out.argmax(axis=1)
        return out[:, 0] if out.shape[1] == 1 else out

    def score(self, X, y):
        """Accuracy (classification) or the coefficient of determination R^2 (regression).

        For several outputs R^2 is averaged uniformly over them, as in scikit-learn.
        """
        pred = self.predict(X)
        y = self._check_y(y, pred.shape[0])
        if self.task == "classification":
            return float(np.mean(pred == y))
        pred = pred.reshape(y.shape)
        ss_res = np.sum((y - pred) ** 2, axis=0)
        ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), 0.0)
        return float(np.mean(r2))
