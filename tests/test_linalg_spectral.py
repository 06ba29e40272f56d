"""Tests of the SVD helpers in nnmath.linalg (condition_number, low_rank_approximation).

References: numpy.linalg.cond and norm (LAPACK), the definition ||A|| ||A^{-1}||, mpmath's
SVD in 50-digit arithmetic, and the Eckart-Young error formulas. Tolerances follow from the
backward stability of the SVD: a computed singular value is off by at most a small multiple of
eps * sigma_1, so sigma_min (and kappa) carry a relative error of order kappa * eps.
"""

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnmath import linalg
from tests.conftest import EPS, examples


def _exact_singular_values(A, dps=50):
    with mpmath.workdps(dps):
        s = mpmath.svd_r(mpmath.matrix(A.tolist()), compute_uv=False)
        return np.array(sorted((float(v) for v in s), reverse=True))


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (5, 5), (7, 3), (3, 7)])
@pytest.mark.parametrize("seed", [0, 1])
def test_condition_number_matches_numpy_and_mpmath(shape, seed):
    A = np.random.default_rng(seed).normal(size=shape)
    kappa = linalg.condition_number(A)
    s = _exact_singular_values(A)
    ref = s[0] / s[-1]
    tol = 10 * max(shape) * EPS * ref  # relative error of sigma_min is about kappa * eps
    np.testing.assert_allclose(kappa, ref, rtol=tol)
    np.testing.assert_allclose(kappa, np.linalg.cond(A), rtol=tol)


@pytest.mark.parametrize("n", [2, 4, 6])
def test_condition_number_is_norm_times_norm_of_inverse(n):
    H = linalg.hilbert(n)
    kappa = linalg.condition_number(H)
    product = np.linalg.norm(H, 2) * np.linalg.norm(np.linalg.inv(H), 2)
    # the computed inverse has a relative error of order kappa * eps
    np.testing.assert_allclose(kappa, product, rtol=10 * n * kappa * EPS)


def test_condition_number_of_orthogonal_and_singular_matrices():
    theta = 0.3
    Q = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    np.testing.assert_allclose(linalg.condition_number(Q), 1.0, rtol=10 * EPS)
    assert linalg.condition_number(np.zeros((2, 2))) == np.inf
    assert linalg.condition_number([[1.0, 0.0], [0.0, 0.0]]) == np.inf  # sigma_min exactly 0
    assert linalg.condition_number([[2.0, 0.0], [0.0, 0.5]]) == 4.0  # one exact division


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((0, 3)), "A"])
def test_condition_number_rejects_bad_input(bad):
    with pytest.raises((ValueError, TypeError)):
        linalg.condition_number(bad)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_low_rank_error_is_the_next_singular_value(shape, seed):
    A = np.random.default_rng(seed).normal(size=shape)
    s = _exact_singular_values(A)
    atol = 10 * max(shape) * EPS * s[0]  # backward error of the SVD and of the norms
    for k in range(min(shape) + 1):
        Ak = linalg.low_rank_approximation(A, k)
        assert Ak.shape == A.shape
        tail = s[k:]
        err2 = np.linalg.norm(A - Ak, 2)
        np.testing.assert_allclose(err2, tail[0] if tail.size else 0.0, rtol=0, atol=atol)
        np.testing.assert_allclose(np.linalg.norm(A - Ak, "fro"), np.sqrt(np.sum(tail**2)),
                                   rtol=0, atol=atol)
        if k < min(shape):  # rank exactly k (every sigma_i of a Gaussian matrix is far from 0)
            assert np.linalg.matrix_rank(Ak) == k


def test_low_rank_beats_other_rank_k_matrices():
    rng = np.random.default_rng(5)
    A = rng.normal(size=(8, 6))
    s = np.linalg.svd(A, compute_uv=False)
    for k in (1, 2, 3):
        best = np.linalg.norm(A - linalg.low_rank_approximation(A, k), 2)
        for _ in range(20):  # projections onto random k-dimensional subspaces of the columns
            P, _ = np.linalg.qr(rng.normal(size=(6, k)))
            other = np.linalg.norm(A - A @ P @ P.T, 2)
            assert other >= s[k] * (1 - 100 * EPS) and best <= s[k] * (1 + 100 * EPS)


def test_low_rank_of_a_rank_one_matrix_is_exact():
    u, v = np.array([1.0, 2.0, 2.0]), np.array([3.0, 4.0])  # |u| = 3, |v| = 5: sigma_1 = 15
    A = np.outer(u, v)
    np.testing.assert_allclose(linalg.low_rank_approximation(A, 1), A, rtol=0,
                               atol=10 * 3 * EPS * 15)
    np.testing.assert_array_equal(linalg.low_rank_approximation(A, 0), np.zeros((3, 2)))


@pytest.mark.parametrize("k", [-1, 4, 1.5, True, "2"])
def test_low_rank_rejects_bad_k(k):
    with pytest.raises(ValueError, match="k must be an integer"):
        linalg.low_rank_approximation(np.ones((3, 5)), k)


@settings(max_examples=examples(40), deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_low_rank_property_error_is_next_singular_value(m, n, seed):
    A = np.random.default_rng(seed).normal(size=(m, n))
    s = np.linalg.svd(A, compute_uv=False)
    k = seed % (min(m, n) + 1)
    err = np.linalg.norm(A - linalg.low_rank_approximation(A, k), 2)
    expected = s[k] if k < min(m, n) else 0.0
    np.testing.assert_allclose(err, expected, rtol=0, atol=10 * max(m, n) * EPS * s[0])
