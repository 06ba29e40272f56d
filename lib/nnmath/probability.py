"""Likelihoods, maximum-likelihood estimates and information measures (chapter "Probability
and likelihood", ``book/03-probability``).

The chapter derives the losses of the book from probability models, and this module holds
the few functions it needs to do so:

- :func:`bernoulli_log_likelihood` and :func:`gaussian_log_likelihood`: the log-likelihood
  :math:`\\ell = \\sum_i \\log p(x^{(i)})` of an i.i.d. sample (a *sum* over samples, not a
  mean, so that the negative mean of the first is the log-loss and of the second, with
  sigma = 1, is half the mean squared error plus a constant);
- :func:`bernoulli_mle` and :func:`gaussian_mle`: the maximisers in closed form,
  :math:`\\hat p = \\bar y`, :math:`\\hat\\mu = \\bar x` and
  :math:`\\hat\\sigma^2 = \\frac1n\\sum_i (x^{(i)} - \\bar x)^2` (divided by ``n``, not ``n - 1``:
  the maximum-likelihood estimate is biased, as the chapter shows);
- :func:`entropy`, :func:`cross_entropy` and :func:`kl_divergence` of discrete distributions,
  in nats (natural logarithm), with the convention :math:`0 \\log 0 = 0`.

Discrete distributions are arrays whose last axis holds the probabilities: shape ``(K,)`` for
one distribution (the result is a float) or ``(n, K)`` for ``n`` of them, one per row (the
result has shape ``(n,)``). They must be non-negative and sum to 1 within :data:`SUM_TOL`.

Left out: continuous entropies (differential entropy), other distributions (Poisson, Beta,
...), Bayesian estimation, confidence intervals and hypothesis tests. For those use
``scipy.stats``; the tests compare this module with it.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array

__all__ = [
    "SUM_TOL",
    "bernoulli_log_likelihood",
    "bernoulli_mle",
    "gaussian_log_likelihood",
    "gaussian_mle",
    "entropy",
    "cross_entropy",
    "kl_divergence",
]

#: How far from 1 the probabilities of a distribution may sum (rounding in hand-typed decimals
#: or in a softmax is ~1e-16 per entry; this leaves room for data stored with fewer digits).
SUM_TOL = 1e-8


def _sample(x, name: str) -> np.ndarray:
    x = as_float_array(x, name, ndim=1)
    if x.size == 0:
        raise ValueError(f"{name} is empty: the likelihood needs at least one observation.")
    return x


def _binary_labels(y) -> np.ndarray:
    y = _sample(y, "y")
    if not np.all((y == 0) | (y == 1)):
        bad = y[(y != 0) & (y != 1)][0]
        raise ValueError(f"y must hold binary outcomes 0 or 1; got {bad!r}. Encode the two "
                         "outcomes as 0 and 1 (e.g. y = (labels == positive).astype(float)).")
    return y


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x * log(y)`` with ``0 * log(y) = 0`` for every ``y >= 0``, and no warnings."""
    with np.errstate(divide="ignore", invalid="ignore"):  # the 0 * log 0 terms are replaced
        return np.where(x == 0, 0.0, x * np.log(y))


def bernoulli_log_likelihood(p, y) -> float:
    r"""Log-likelihood :math:`\sum_i [y^{(i)} \log p^{(i)} + (1 - y^{(i)})\log(1 - p^{(i)})]`.

    The log-likelihood of outcomes :math:`y^{(i)}` that are 0 or 1, the :math:`p^{(i)}` being the
    probabilities of a 1.

    Parameters
    ----------
    p : float or ndarray of shape (n,)
        Probability of outcome 1, one for all samples or one per sample, in ``[0, 1]``.
    y : ndarray of shape (n,)
        Observed outcomes, each 0 or 1.

    Returns
    -------
    float
        The log-likelihood (``<= 0``); ``-inf`` if an observed outcome has probability 0.
        Divided by ``-n`` it is the log-loss :func:`nnmath.binary_cross_entropy` (without
        that function's clipping).
    """
    y = _binary_labels(y)
    p = as_float_array(p, "p", ndim=(0, 1))
    if p.ndim == 1 and p.shape != y.shape:
        raise ValueError(f"p has shape {p.shape} but y has shape {y.shape}; give one "
                         "probability per outcome, or a single probability for all of them.")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must hold probabilities in [0, 1]; got values outside. If these "
                         "are logits, apply nnmath.sigmoid first.")
    return float(np.sum(_xlogy(y, p) + _xlogy(1.0 - y, 1.0 - p)))


def bernoulli_mle(y) -> float:
    r"""The maximum-likelihood estimate :math:`\hat p = \frac1n\sum_i y^{(i)}` (the fraction of 1s).

    Parameters
    ----------
    y : ndarray of shape (n,)
        Observed outcomes, each 0 or 1.
    """
    return float(np.mean(_binary_labels(y)))


def gaussian_log_likelihood(x, mu=0.0, sigma=1.0):
    r"""Log-likelihood :math:`\sum_i \log \mathcal N(x^{(i)}; \mu^{(i)}, (\sigma^{(i)})^2)`.

    .. math:: \ell = -\frac n2\log(2\pi) - \sum_i \log\sigma^{(i)}
              - \sum_i \frac{(x^{(i)} - \mu^{(i)})^2}{2(\sigma^{(i)})^2}.

    Parameters
    ----------
    x : ndarray of shape (n,)
        The observations.
    mu, sigma : float or ndarray broadcastable to shape (..., n)
        Mean and standard deviation (``> 0``), the same for every observation or one per
        observation (a regression model's predictions as ``mu``). Extra leading axes evaluate
        many parameter values at once, e.g. ``mu[:, None]`` of shape ``(m, 1)`` gives ``m``
        log-likelihoods.

    Returns
    -------
    float or ndarray of shape (...)
        The log-likelihood, summed over the last axis (the samples).
    """
    x = _sample(x, "x")
    mu = as_float_array(mu, "mu")
    sigma = as_float_array(sigma, "sigma")
    if np.any(sigma <= 0):
        raise ValueError("sigma must be > 0 everywhere: a Gaussian with standard deviation 0 "
                         "has no density. Parametrise it as sigma = exp(s) to keep it positive.")
    try:
        shape = np.broadcast_shapes(x.shape, mu.shape, sigma.shape)
    except ValueError:
        raise ValueError(f"x of shape {x.shape}, mu of shape {mu.shape} and sigma of shape "
                         f"{sigma.shape} do not broadcast; the last axis of mu and sigma must "
                         f"have length 1 or {x.shape[0]} (one value per observation).") from None
    if mu.shape[-1:] in ((), (1,)) and sigma.shape[-1:] in ((), (1,)):
        # The same (mu, sigma) for every observation: sum with the sufficient statistics,
        # sum (x - mu)^2 = sum (x - xbar)^2 + n (xbar - mu)^2, in O(n + size of the grid).
        n, xbar = x.size, np.mean(x)
        ss = np.sum((x - xbar) ** 2)
        m = mu[..., 0] if mu.ndim else mu
        s = sigma[..., 0] if sigma.ndim else sigma
        total = (-0.5 * n * np.log(2.0 * np.pi) - n * np.log(s)
                 - (ss + n * (xbar - m) ** 2) / (2.0 * s * s))
        total = np.broadcast_to(total, shape[:-1])
    else:
        z = (x - mu) / sigma
        logpdf = -0.5 * np.log(2.0 * np.pi) - np.log(sigma) - 0.5 * z * z
        total = np.sum(np.broadcast_to(logpdf, shape), axis=-1)
    return float(total) if total.ndim == 0 else total.copy()


def gaussian_mle(x) -> tuple[float, float]:
    r"""Maximum-likelihood estimates :math:`(\hat\mu, \hat\sigma)` of a Gaussian.

    :math:`\hat\mu = \bar x` and :math:`\hat\sigma^2 = \frac1n\sum_i(x^{(i)} - \bar x)^2`: the
    variance divides by ``n`` (``np.var(x, ddof=0)``), so it is biased low by the factor
    :math:`(n-1)/n`; ``np.var(x, ddof=1)`` is the unbiased estimate.

    Parameters
    ----------
    x : ndarray of shape (n,)
        The observations.

    Returns
    -------
    mu_hat, sigma_hat : float
        ``sigma_hat`` is 0 when all observations are equal (e.g. ``n = 1``): then the
        likelihood has no maximum, it grows without bound as ``sigma -> 0``.
    """
    x = _sample(x, "x")
    mu_hat = float(np.mean(x))
    return mu_hat, float(np.sqrt(np.mean((x - mu_hat) ** 2)))


def _distribution(p, name: str) -> np.ndarray:
    p = as_float_array(p, name, ndim=(1, 2))
    if p.shape[-1] == 0:
        raise ValueError(f"{name} has no outcomes (its last axis has length 0).")
    if np.any(p < 0):
        raise ValueError(f"{name} has negative entries (smallest {p.min()!r}); probabilities "
                         "must be >= 0. If these are scores or logits, apply nnmath.softmax.")
    total = p.sum(axis=-1)
    if np.any(np.abs(total - 1.0) > SUM_TOL):
        worst = total.flat[np.argmax(np.abs(total - 1.0))]
        raise ValueError(f"The probabilities in {name} must sum to 1 along the last axis, "
                         f"got a sum of {worst!r}. Normalise with {name} / {name}.sum(axis=-1, "
                         "keepdims=True), or apply nnmath.softmax to scores.")
    return p


def _pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}: "
                         "both are distributions over the same outcomes.")
    return p, q


def _result(values: np.ndarray):
    return float(values) if values.ndim == 0 else values


def entropy(p):
    r"""Entropy :math:`H(p) = -\sum_k p_k \log p_k` in nats, with :math:`0\log 0 = 0`.

    Parameters
    ----------
    p : ndarray of shape (K,) or (n, K)
        One distribution, or one per row.

    Returns
    -------
    float or ndarray of shape (n,)
        Between 0 (a certain outcome) and :math:`\log K` (the uniform distribution).
    """
    p = _distribution(p, "p")
    return _result(0.0 - np.sum(_xlogy(p, p), axis=-1))  # 0.0 - x: no -0.0


def cross_entropy(p, q):
    r"""Cross-entropy :math:`H(p, q) = -\sum_k p_k \log q_k` in nats.

    Terms with :math:`p_k = 0` are 0 even where :math:`q_k = 0`; a :math:`q_k = 0` where
    :math:`p_k > 0` gives ``inf``. With one-hot rows ``p`` and ``q = softmax(Z)``, the mean over
    rows is :func:`nnmath.softmax_cross_entropy`.

    Parameters
    ----------
    p, q : ndarray of shape (K,) or (n, K)
        The true (or empirical) distribution and the model's, same shape.

    Returns
    -------
    float or ndarray of shape (n,)
    """
    p, q = _pair(p, q)
    return _result(0.0 - np.sum(_xlogy(p, q), axis=-1))


def kl_divergence(p, q):
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p\,\|\,q) = \sum_k p_k\log(p_k/q_k)`.

    In nats, with :math:`0\log(0/q) = 0`; ``inf`` if some :math:`q_k = 0` where
    :math:`p_k > 0`. It is :math:`\ge 0`, with equality only for :math:`p = q` (Gibbs'
    inequality), and not symmetric in ``p`` and ``q``. Computed term by term as
    :math:`p_k\log(p_k/q_k)` (as ``scipy.special.rel_entr``), so for ``p`` close to ``q`` the
    result carries an absolute round-off of order ``K * eps`` and may be a tiny negative number.

    Parameters
    ----------
    p, q : ndarray of shape (K,) or (n, K)

    Returns
    -------
    float or ndarray of shape (n,)
    """
    p, q = _pair(p, q)
    with np.errstate(divide="ignore"):
        ratio = np.divide(p, q, out=np.full_like(p, np.inf), where=q > 0)
    return _result(np.sum(_xlogy(p, ratio), axis=-1))
