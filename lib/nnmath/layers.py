"""Dropout and batch normalisation (chapter 7, "Dropout" and "Batch normalisation").

Two layers that :class:`nnmath.MLP` can put after its hidden dense layers, written
here as plain functions of arrays (rows are samples) so that the chapter can show
each one alone and the tests can compare it with PyTorch.

**Inverted dropout** with rate ``p`` multiplies activations ``A`` (n, h) by a mask
``D = B / (1 - p)`` with ``B`` Bernoulli(1 - p) entries drawn afresh for every
batch. Dividing by ``1 - p`` keeps the expectation, ``E[A * D] = A``, so nothing has
to change at prediction time, when no mask is applied. Its local chain rule is
``dA = d(A * D) * D``.

**Batch normalisation** of pre-activations ``Z`` (n, h), feature by feature over
the batch (training mode)::

    mu = mean(Z, 0)            var = mean((Z - mu)**2, 0)   (biased, as PyTorch)
    sigma = sqrt(var + eps)    Zhat = (Z - mu) / sigma
    out = gamma * Zhat + beta

and its backward pass in matrix form, with ``dZhat = dout * gamma``::

    dgamma = sum(dout * Zhat, 0)      dbeta = sum(dout, 0)
    dZ = (m * dZhat - sum(dZhat, 0) - Zhat * sum(dZhat * Zhat, 0)) / (m * sigma)

The last line is the chain rule through ``mu`` and ``sigma``, which both depend on
every row: the two sums remove from ``dZhat`` its mean and its component along
``Zhat``. At prediction time (eval mode) the running averages of ``mu`` and of the
*unbiased* batch variance replace the batch statistics, updated once per training
batch with ``momentum`` as ``running = (1 - momentum) * running + momentum * batch``.
``eps = 1e-5`` and ``momentum = 0.1`` are PyTorch's defaults
(``torch.nn.BatchNorm1d``).

The public functions check their input; :class:`nnmath.MLP` calls the private
kernels (``_batch_norm_train`` etc.), which skip the checks on every batch.
Left out: dropout on the inputs, batch normalisation of the output layer, layer
normalisation, convolutional (per-channel) batch normalisation.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_positive
from .data import rng_from

__all__ = [
    "BN_EPS", "BN_MOMENTUM", "dropout", "dropout_mask", "batch_norm_forward",
    "batch_norm_backward", "batch_norm_eval", "update_running_stats",
]

BN_EPS = 1e-5  #: added to the variance, as torch.nn.BatchNorm1d
BN_MOMENTUM = 0.1  #: weight of the newest batch in the running averages, as PyTorch


def check_dropout_rate(p, name: str = "p") -> float:
    """A dropout rate: a number in [0, 1)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1), got {type(p).__name__} {p!r}.")
    p = float(p)
    if not 0 <= p < 1:
        raise ValueError(f"{name} must be in [0, 1), got {p!r}: it is the probability of "
                         "dropping a unit (0 keeps every unit; 0.5 is a common choice).")
    return p


# -- dropout -----------------------------------------------------------------------------------
def _dropout_mask(shape, p, rng):
    keep = 1.0 - p
    return (rng.random(shape) < keep) / keep  # entries 0 or 1 / (1 - p)


def dropout_mask(shape, p, random_state=None) -> np.ndarray:
    """The scaled mask ``D`` of inverted dropout: entries 0 (probability ``p``) or ``1/(1-p)``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the activations, usually (n_samples, n_units).
    p : float
        Probability in [0, 1) of dropping a unit.
    random_state : None, int or numpy.random.Generator
        Source of the Bernoulli draws.

    Returns
    -------
    ndarray of ``shape``, float64
    """
    p = check_dropout_rate(p)
    return _dropout_mask(tuple(shape), p, rng_from(random_state))


def dropout(A, p, random_state=None):
    """Inverted dropout of activations ``A``: ``(A * D, D)`` with ``D`` from :func:`dropout_mask`.

    Parameters
    ----------
    A : array_like, shape (n, h)
    p : float in [0, 1)
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    out : ndarray, shape (n, h)
        ``A * D``; its expectation over masks is ``A``.
    D : ndarray, shape (n, h)
        The mask, needed by the backward pass ``dA = dout * D``.
    """
    A = as_float_array(A, "A")
    D = dropout_mask(A.shape, p, random_state)
    return A * D, D


# -- batch normalisation: private kernels (no checks) -----------------------------------------
def _batch_norm_train(Z, gamma, beta, eps=BN_EPS):
    """Training-mode forward: ``(out, Zhat, sigma, mu, var)``, shapes (n, h) and (h,)."""
    mu = Z.mean(axis=0)
    Zc = Z - mu
    var = np.mean(Zc * Zc, axis=0)  # biased: divides by n, as PyTorch does to normalise
    sigma = np.sqrt(var + eps)
    Zhat = Zc / sigma
    return gamma * Zhat + beta, Zhat, sigma, mu, var


def _batch_norm_backward(dout, gamma, Zhat, sigma):
    """``(dZ, dgamma, dbeta)`` from the upstream gradient ``dout`` (n, h)."""
    m = dout.shape[0]
    dgamma = np.sum(dout * Zhat, axis=0)
    dbeta = dout.sum(axis=0)
    dZhat = dout * gamma
    dZ = (m * dZhat - dZhat.sum(axis=0) - Zhat * np.sum(dZhat * Zhat, axis=0)) / (m * sigma)
    return dZ, dgamma, dbeta


def _batch_norm_eval(Z, gamma, beta, running_mean, running_var, eps=BN_EPS):
    return gamma * (Z - running_mean) / np.sqrt(running_var + eps) + beta


def _fresh_running_stats(widths):
    """``{"mean1": zeros, "var1": ones, ...}`` for hidden layers of these widths (as PyTorch)."""
    stats = {}
    for l, h in enumerate(widths, start=1):
        stats[f"mean{l}"], stats[f"var{l}"] = np.zeros(h), np.ones(h)
    return stats


def _update_running_stats(running_mean, running_var, mu, var, n, momentum=BN_MOMENTUM):
    # PyTorch stores the unbiased variance var * n / (n - 1) of the batch in the running
    # average, though it normalises the batch itself with the biased one
    running_mean *= 1.0 - momentum
    running_mean += momentum * mu
    running_var *= 1.0 - momentum
    running_var += momentum * (var * (n / (n - 1)))


def _bn_layer(Z, gamma, beta, running_mean, running_var, training):
    """A hidden layer's batch norm in either mode: ``(out, Zhat, sigma, mu, var)``.

    In evaluation mode ``mu`` and ``var`` are ``None`` and the running statistics make
    it a fixed affine map of each row.
    """
    if training:
        return _batch_norm_train(Z, gamma, beta)
    sigma = np.sqrt(running_var + BN_EPS)
    Zhat = (Z - running_mean) / sigma
    return gamma * Zhat + beta, Zhat, sigma, None, None


def _bn_layer_backward(dout, gamma, Zhat, sigma, training):
    """``(dZ, dgamma, dbeta)`` of :func:`_bn_layer`; running statistics are constants."""
    if training:
        return _batch_norm_backward(dout, gamma, Zhat, sigma)
    return dout * (gamma / sigma), np.sum(dout * Zhat, axis=0), dout.sum(axis=0)


# -- batch normalisation: public, checked ------------------------------------------------------
def _check_bn_args(Z, gamma, beta):
    Z = as_float_array(Z, "Z", ndim=2)
    h = Z.shape[1]
    gamma = as_float_array(gamma, "gamma", ndim=1)
    beta = as_float_array(beta, "beta", ndim=1)
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v.shape != (h,):
            raise ValueError(f"{name} has shape {v.shape} but Z has {h} features (columns); "
                             f"{name} needs shape ({h},), one entry per feature.")
    return Z, gamma, beta


def _check_batch(n):
    if n < 2:
        raise ValueError(f"Batch normalisation in training mode needs at least 2 samples per "
                         f"batch to compute a variance, got {n}. Use larger batches (or "
                         "evaluation mode with running statistics).")


def _check_batches(n, b):
    """Training on ``n`` samples in batches of ``b``: no batch may hold a single sample."""
    if b < 2 or n % b == 1:
        raise ValueError(f"batch_norm=True needs at least 2 samples in every batch, but {n} "
                         f"samples in batches of {b} leave a batch of 1. Choose another "
                         f"batch_size (e.g. {max(2, b + 1)}) or drop a sample.")


def batch_norm_forward(Z, gamma, beta, eps=BN_EPS):
    """Batch normalisation in training mode (batch statistics).

    Parameters
    ----------
    Z : array_like, shape (m, h)
        Pre-activations of a batch of ``m >= 2`` samples.
    gamma, beta : array_like, shape (h,)
        Scale and shift.
    eps : float
        Added to the variance before the square root (PyTorch's 1e-5).

    Returns
    -------
    out : ndarray, shape (m, h)
        ``gamma * Zhat + beta``.
    cache : dict
        ``Zhat`` (m, h), ``sigma``, ``mean``, ``var`` (biased) (h,): what
        :func:`batch_norm_backward` and :func:`update_running_stats` need.
    """
    Z, gamma, beta = _check_bn_args(Z, gamma, beta)
    _check_batch(Z.shape[0])
    eps = check_positive(eps, "eps")
    out, Zhat, sigma, mu, var = _batch_norm_train(Z, gamma, beta, eps)
    return out, {"Zhat": Zhat, "sigma": sigma, "mean": mu, "var": var, "gamma": gamma}


def batch_norm_backward(dout, cache):
    """Gradients of batch normalisation (training mode) in matrix form.

    Parameters
    ----------
    dout : array_like, shape (m, h)
        Gradient of the loss with respect to the output of :func:`batch_norm_forward`.
    cache : dict
        The second value returned by :func:`batch_norm_forward`.

    Returns
    -------
    dZ : ndarray, shape (m, h)
    dgamma, dbeta : ndarray, shape (h,)
    """
    if not isinstance(cache, dict) or not {"Zhat", "sigma", "gamma"} <= set(cache):
        raise TypeError("cache must be the dict returned by batch_norm_forward (with 'Zhat', "
                        f"'sigma' and 'gamma'), got {type(cache).__name__}.")
    Zhat = cache["Zhat"]
    dout = as_float_array(dout, "dout", ndim=2)
    if dout.shape != Zhat.shape:
        raise ValueError(f"dout has shape {dout.shape} but the forward pass had shape "
                         f"{Zhat.shape}; pass the gradient of that very output.")
    return _batch_norm_backward(dout, cache["gamma"], Zhat, cache["sigma"])


def batch_norm_eval(Z, gamma, beta, running_mean, running_var, eps=BN_EPS):
    """Batch normalisation in evaluation mode: ``gamma * (Z - mean) / sqrt(var + eps) + beta``.

    Uses the running statistics (h,), so each row is transformed on its own.
    """
    Z, gamma, beta = _check_bn_args(Z, gamma, beta)
    _, running_mean, running_var = _check_bn_args(Z, running_mean, running_var)
    if np.any(running_var < 0):
        raise ValueError("running_var must be >= 0 (it is a variance).")
    return _batch_norm_eval(Z, gamma, beta, running_mean, running_var,
                            check_positive(eps, "eps"))


def update_running_stats(running_mean, running_var, cache, n, momentum=BN_MOMENTUM):
    """Fold one batch's statistics into the running averages, in place (as PyTorch).

    ``running_mean <- (1 - momentum) running_mean + momentum * mean`` and the same for
    ``running_var`` with the **unbiased** batch variance ``var * n / (n - 1)``.

    Parameters
    ----------
    running_mean, running_var : ndarray, shape (h,), float
        Updated in place.
    cache : dict
        From :func:`batch_norm_forward` (``mean`` and ``var``).
    n : int
        Batch size (>= 2).
    momentum : float in (0, 1]
    """
    for name, v in (("running_mean", running_mean), ("running_var", running_var)):
        if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
            raise TypeError(f"{name} must be a float NumPy array (it is updated in place), "
                            f"got {type(v).__name__}.")
        if v.shape != cache["mean"].shape:
            raise ValueError(f"{name} has shape {v.shape}, the batch statistics "
                             f"{cache['mean'].shape}; they must match.")
    _check_batch(n)
    momentum = check_positive(momentum, "momentum")
    if momentum > 1:
        raise ValueError(f"momentum must be in (0, 1], got {momentum!r} (PyTorch uses 0.1).")
    _update_running_stats(running_mean, running_var, cache["mean"], cache["var"], n, momentum)
