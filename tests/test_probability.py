"""nnmath.probability against independent references: scipy.stats, scipy.special, sympy and
closed forms.

Tolerances: a log-likelihood of n terms of size ~|log p| or ~z^2 is a sum with round-off of
about n * EPS times the sum of the terms' sizes; the information measures of K outcomes carry
about K * EPS times sum_k p_k |log q_k|. Each test states its tolerance from that, with a safety
factor of at least 10.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

import nnmath as nm
from tests.conftest import EPS, assert_close


def _random_distribution(rng, shape, zeros=False):
    p = rng.gamma(0.7, size=shape)
    if zeros:
        p[..., 0] = 0.0  # an impossible outcome
    return p / p.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------ log-likelihoods
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1, 7, 200])
def test_bernoulli_log_likelihood_matches_scipy(seed, n):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n).astype(float)
    for p in (rng.uniform(0.01, 0.99), rng.uniform(0.01, 0.99, size=n)):
        ref = np.sum(stats.bernoulli.logpmf(y, p))
        scale = np.sum(np.abs(stats.bernoulli.logpmf(y, p)))
        assert_close(nm.bernoulli_log_likelihood(p, y), ref, rtol=0, atol=10 * n * EPS * scale)


def test_bernoulli_log_likelihood_edges_and_log_loss():
    # p = 0 or 1 with outcomes that agree: likelihood 1 (0 log 0 = 0), no warning
    assert nm.bernoulli_log_likelihood(0.0, [0, 0, 0]) == 0.0
    assert nm.bernoulli_log_likelihood(1.0, [1, 1]) == 0.0
    assert nm.bernoulli_log_likelihood(0.0, [0, 1]) == -np.inf
    # divided by -n it is the log-loss of nnmath.losses (away from its clipping)
    rng = np.random.default_rng(5)
    p, y = rng.uniform(0.05, 0.95, 50), rng.integers(0, 2, 50).astype(float)
    assert_close(-nm.bernoulli_log_likelihood(p, y) / 50, nm.binary_cross_entropy(p, y)[0],
                 rtol=1e-12)  # two sums of 50 positive terms: ~50 eps each


@pytest.mark.parametrize("seed", range(3))
def test_bernoulli_mle_maximises_the_likelihood(seed):
    y = np.random.default_rng(seed).integers(0, 2, size=40).astype(float)
    k = y.sum()
    assert nm.bernoulli_mle(y) == k / 40  # a ratio of small integers: one rounding
    grid = np.linspace(0.001, 0.999, 999)
    best = grid[np.argmax([nm.bernoulli_log_likelihood(q, y) for q in grid])]
    assert abs(best - k / 40) <= 0.001


def test_bernoulli_mle_symbolic():
    p, k, n = sp.symbols("p k n", positive=True)
    loglik = k * sp.log(p) + (n - k) * sp.log(1 - p)
    assert sp.solve(sp.diff(loglik, p), p) == [k / n]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1, 5, 300])
def test_gaussian_log_likelihood_matches_scipy(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 2.0, size=n)
    for mu, sigma in [(0.3, 1.7), (rng.normal(size=n), rng.uniform(0.5, 2, size=n))]:
        terms = stats.norm.logpdf(x, mu, sigma)
        got = nm.gaussian_log_likelihood(x, mu, sigma)
        assert isinstance(got, float)
        assert_close(got, terms.sum(), rtol=0, atol=20 * n * EPS * np.abs(terms).sum())


def test_gaussian_log_likelihood_on_a_grid():
    # leading axes evaluate many (mu, sigma) at once; same numbers as one at a time
    rng = np.random.default_rng(2)
    x = rng.normal(size=30)
    mus, sigmas = np.linspace(-1, 1, 5), np.linspace(0.5, 2, 4)
    grid = nm.gaussian_log_likelihood(x, mus[None, :, None], sigmas[:, None, None])
    assert grid.shape == (4, 5)
    ref = np.array([[stats.norm.logpdf(x, m, s).sum() for m in mus] for s in sigmas])
    assert_close(grid, ref, rtol=0, atol=200 * 30 * EPS * np.abs(ref).max())
    # per-sample means (a regression model's predictions) of shape (n,)
    assert_close(nm.gaussian_log_likelihood(x, 0.5 * x, 1.0),
                 stats.norm.logpdf(x, 0.5 * x, 1.0).sum(), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_gaussian_mle_closed_form_and_scipy(seed):
    x = np.random.default_rng(seed).normal(-2.0, 0.7, size=25)
    mu_hat, sigma_hat = nm.gaussian_mle(x)
    loc, scale = stats.norm.fit(x)  # scipy's maximum-likelihood fit (closed form)
    assert_close([mu_hat, sigma_hat], [loc, scale], rtol=1e-12)
    assert_close(sigma_hat, np.std(x, ddof=0), rtol=1e-12)
    # a maximum: the gradient of the log-likelihood vanishes there (central differences)
    f = lambda t: nm.gaussian_log_likelihood(x, t[0], t[1])  # noqa: E731
    g = nm.numerical_gradient(f, np.array([mu_hat, sigma_hat]))
    assert np.max(np.abs(g)) < 1e-6 * np.abs(f([mu_hat, sigma_hat]))


def test_gaussian_mle_symbolic():
    mu = sp.Symbol("mu", real=True)
    s2 = sp.Symbol("s2", positive=True)
    xs = sp.symbols("x1:5", real=True)
    loglik = sum(-sp.log(2 * sp.pi * s2) / 2 - (xi - mu) ** 2 / (2 * s2) for xi in xs)
    sol = sp.solve([sp.diff(loglik, mu), sp.diff(loglik, s2)], [mu, s2], dict=True)[0]
    mean = sum(xs) / 4
    assert sp.simplify(sol[mu] - mean) == 0
    assert sp.simplify(sol[s2] - sum((xi - mean) ** 2 for xi in xs) / 4) == 0


def test_gaussian_mle_of_one_point_has_zero_sigma():
    assert nm.gaussian_mle([3.0]) == (3.0, 0.0)


# ------------------------------------------------------------------ information measures
@pytest.mark.parametrize("zeros", [False, True])
@pytest.mark.parametrize("K", [2, 5, 50])
def test_information_measures_match_scipy(K, zeros):
    rng = np.random.default_rng(K)
    P = _random_distribution(rng, (6, K), zeros=zeros)
    Q = _random_distribution(rng, (6, K))
    tol = 10 * K * EPS * (1 + np.abs(np.log(Q)).max())
    assert_close(nm.entropy(P), special.entr(P).sum(axis=1), rtol=0, atol=tol)
    assert_close(nm.kl_divergence(P, Q), special.rel_entr(P, Q).sum(axis=1), rtol=0, atol=tol)
    assert_close(nm.cross_entropy(P, Q), -np.sum(special.xlogy(P, Q), axis=1), rtol=0, atol=tol)
    for i in range(3):  # one distribution: a float, as scipy.stats.entropy
        assert isinstance(nm.entropy(P[i]), float)
        assert_close(nm.entropy(P[i]), stats.entropy(P[i]), rtol=0, atol=tol)
        assert_close(nm.kl_divergence(P[i], Q[i]), stats.entropy(P[i], Q[i]), rtol=0, atol=tol)


def test_closed_forms():
    # rtol 1e-14: a SIMD log (e.g. SVML on AVX-512) may be off by a few ulp in each term
    assert_close(nm.entropy(np.full(8, 1 / 8)), np.log(8), rtol=1e-14)
    assert nm.entropy([0.0, 1.0, 0.0]) == 0.0
    assert_close(nm.entropy([0.5, 0.5]), np.log(2), rtol=1e-14)
    # KL of two Bernoullis, written out
    p, q = 0.3, 0.6
    assert_close(nm.kl_divergence([p, 1 - p], [q, 1 - q]),
                 p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)), rtol=1e-13)
    # an outcome q rules out but p allows: infinite divergence and cross-entropy
    assert nm.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert nm.cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
    # ... and the other way round it is finite: 0 log 0 = 0
    assert_close(nm.kl_divergence([1.0, 0.0], [0.5, 0.5]), np.log(2), rtol=1e-14)


@given(st.integers(0, 10_000), st.integers(2, 30))
def test_decomposition_and_gibbs(seed, K):
    rng = np.random.default_rng(seed)
    p, q = _random_distribution(rng, K), _random_distribution(rng, K)
    h, ce, kl = nm.entropy(p), nm.cross_entropy(p, q), nm.kl_divergence(p, q)
    scale = 1 + np.abs(np.log(q)).max()
    # H(p, q) = H(p) + KL(p || q)
    assert abs(ce - (h + kl)) <= 20 * K * EPS * scale
    # Gibbs: KL >= 0 (up to round-off), and 0 at q = p
    assert kl >= -20 * K * EPS * scale
    assert abs(nm.kl_divergence(p, p)) <= 20 * K * EPS * scale
    assert h <= np.log(K) + 20 * K * EPS


def test_mean_cross_entropy_of_one_hot_rows_is_softmax_cross_entropy():
    rng = np.random.default_rng(0)
    Z, labels = rng.normal(size=(8, 4)), rng.integers(0, 4, size=8)
    ce = nm.cross_entropy(nm.one_hot(labels, 4), nm.softmax(Z))
    assert_close(ce.mean(), nm.softmax_cross_entropy(Z, labels)[0], rtol=1e-13)


# ------------------------------------------------------------------ input checks
@pytest.mark.parametrize("call, exc, match", [
    (lambda: nm.entropy([0.5, 0.6]), ValueError, "sum to 1"),
    (lambda: nm.entropy([1.5, -0.5]), ValueError, "negative"),
    (lambda: nm.entropy(np.zeros((2, 0))), ValueError, "no outcomes"),
    (lambda: nm.entropy(np.ones((2, 2, 2)) / 2), ValueError, "Expected 1D or 2D"),
    (lambda: nm.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), ValueError, "same shape"),
    (lambda: nm.cross_entropy("abc", [1.0]), TypeError, "array of numbers"),
    (lambda: nm.entropy([np.nan, 1.0]), ValueError, "NaN"),
    (lambda: nm.bernoulli_log_likelihood(0.5, [0, 2]), ValueError, "0 or 1"),
    (lambda: nm.bernoulli_log_likelihood(1.5, [0, 1]), ValueError, r"\[0, 1\]"),
    (lambda: nm.bernoulli_log_likelihood([0.5, 0.5, 0.5], [0, 1]), ValueError, "one probability"),
    (lambda: nm.bernoulli_mle([]), ValueError, "empty"),
    (lambda: nm.gaussian_log_likelihood([1.0, 2.0], 0.0, 0.0), ValueError, "sigma must be > 0"),
    (lambda: nm.gaussian_log_likelihood([1.0, 2.0], [0.0, 1.0, 2.0]), ValueError, "broadcast"),
    (lambda: nm.gaussian_mle([[1.0, 2.0]]), ValueError, "Flatten"),
])
def test_input_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_no_warnings_at_the_edges():
    with np.errstate(all="raise"):
        nm.entropy([[1.0, 0.0], [0.0, 1.0]])
        nm.kl_divergence([0.0, 1.0], [1.0, 0.0])
        nm.cross_entropy([0.5, 0.5], [0.0, 1.0])
        nm.bernoulli_log_likelihood(np.array([0.0, 1.0]), [1, 0])
