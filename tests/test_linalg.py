"""Tests of nnmath.linalg against numpy.linalg and scipy.linalg (LAPACK)."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnmath import linalg
from tests.conftest import EPS, examples


def _well_conditioned(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) + n * np.eye(n)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solve_matches_numpy_one_rhs(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))  # random Gaussian matrices are invertible with probability 1
    b = rng.normal(size=n)
    x = linalg.solve(A, b)
    assert x.shape == (n,)
    cond = np.linalg.cond(A)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9 * cond, atol=1e-12 * cond)
    np.testing.assert_allclose(A @ x, b, atol=1e-10 * np.abs(A).sum())


@pytest.mark.parametrize("k", [1, 4])
@pytest.mark.parametrize("seed", [3, 4])
def test_solve_matches_numpy_many_rhs(k, seed):
    A = _well_conditioned(6, seed)
    B = np.random.default_rng(seed + 10).normal(size=(6, k))
    X = linalg.solve(A, B)
    assert X.shape == (6, k)
    np.testing.assert_allclose(X, np.linalg.solve(A, B), rtol=1e-10, atol=1e-12)


def test_solve_accepts_lists():
    np.testing.assert_allclose(linalg.solve([[2, 1], [1, 3]], [3, 5]), [0.8, 1.4], rtol=1e-12)


def test_pivoting_handles_zero_leading_entry():
    # naive elimination divides by A[0, 0] = 0 here; after the swap the multiplier is 0, so
    # the answer is exact (no rounding at all)
    A = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(linalg.solve(A, [2.0, 3.0]), [3.0, 2.0], rtol=1e-15)


def test_pivoting_is_accurate_with_tiny_leading_entry():
    # without row swaps, 1 - 1/eps swamps the second row and x1 comes out as 0
    eps = 1e-20
    A = np.array([[eps, 1.0], [1.0, 1.0]])
    b = np.array([1.0, 2.0])
    # cond(A) ~ 2.6: any backward-stable solver is within cond * n * EPS ~ 1e-15 of the truth
    np.testing.assert_allclose(linalg.solve(A, b), np.linalg.solve(A, b), rtol=1e-14)


@pytest.mark.parametrize("n", [2, 5, 9])
@pytest.mark.parametrize("seed", [0, 5])
def test_lu_factor_matches_scipy(n, seed):
    A = np.random.default_rng(seed).normal(size=(n, n))
    P, L, U = linalg.lu_factor(A)
    Ps, Ls, Us = scipy.linalg.lu(A)  # scipy: A = Ps @ Ls @ Us
    np.testing.assert_allclose(P @ A, L @ U, atol=1e-12)
    np.testing.assert_allclose(P, Ps.T, atol=0)
    np.testing.assert_allclose(L, Ls, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(U, Us, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.diag(L), 1.0)
    assert np.all(np.abs(L) <= 1.0 + 1e-15), "partial pivoting keeps multipliers <= 1"
    np.testing.assert_array_equal(np.triu(L, 1), 0.0)
    np.testing.assert_array_equal(np.tril(U, -1), 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_triangular_solves_match_scipy(seed):
    rng = np.random.default_rng(seed)
    L = np.tril(rng.normal(size=(5, 5))) + 5 * np.eye(5)
    b = rng.normal(size=(5, 2))
    # diagonally dominant, cond ~ 2: relative error ~ n * EPS of the largest entry; an entry of
    # x near 0 (cancellation in b_i - sum L_ij x_j) only has that absolute accuracy
    ref = scipy.linalg.solve_triangular(L, b, lower=True)
    np.testing.assert_allclose(linalg.forward_substitution(L, b), ref, rtol=1e-12,
                               atol=1e-12 * np.abs(ref).max())
    U = L.T
    ref = scipy.linalg.solve_triangular(U, b[:, 0], lower=False)
    np.testing.assert_allclose(linalg.back_substitution(U, b[:, 0]), ref, rtol=1e-12,
                               atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("n", [1, 2, 3, 6])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_det_matches_numpy(n, seed):
    A = np.random.default_rng(seed).normal(size=(n, n))
    np.testing.assert_allclose(linalg.det(A), np.linalg.det(A), rtol=1e-10)


def test_det_of_singular_and_permutation():
    assert linalg.det([[1.0, 2.0], [2.0, 4.0]]) == 0.0
    assert linalg.det(np.zeros((3, 3))) == 0.0
    np.testing.assert_allclose(linalg.det([[0, 1], [1, 0]]), -1.0, rtol=1e-15)
    np.testing.assert_allclose(linalg.det([[2, 0], [0, 3]]), 6.0, rtol=1e-15)


@pytest.mark.parametrize("seed", [0, 1])
def test_inverse_matches_numpy(seed):
    A = _well_conditioned(5, seed)
    np.testing.assert_allclose(linalg.inverse(A), np.linalg.inv(A), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("n", [1, 4, 8])
def test_hilbert_matches_scipy(n):
    # 1 / (i + j + 1): one correctly rounded division on both sides, so equal to the last bit
    np.testing.assert_allclose(linalg.hilbert(n), scipy.linalg.hilbert(n), rtol=1e-15)


def test_hilbert_is_badly_conditioned():
    assert np.linalg.cond(linalg.hilbert(10)) > 1e12


def test_solve_residual_beats_inverse_on_hilbert():
    # Each residual is compared with the backward-error BOUND of elimination,
    # n EPS ||H|| ||x|| = 1.2e-14, never with the other (noisy) residual.
    # Observed on three numerics configurations: r_solve 3.5e-16 .. 5.6e-16, r_inv 1.1e-5 .. 2.6e-5.
    H = linalg.hilbert(10)
    x_true = np.ones(10)
    b = H @ x_true
    bound = 10 * EPS * np.linalg.norm(H, 2) * np.linalg.norm(x_true)
    r_solve = np.linalg.norm(H @ linalg.solve(H, b) - b)
    r_inv = np.linalg.norm(H @ (linalg.inverse(H) @ b) - b)
    assert r_solve <= bound, (r_solve, bound)
    assert r_inv > 1000 * bound, (r_inv, bound)


@settings(max_examples=examples(40), deadline=None)
@given(arrays(np.float64, (4, 4), elements=st.floats(-10, 10)),
       arrays(np.float64, (4,), elements=st.floats(-10, 10)))
def test_solve_property_diagonally_dominant(M, b):
    # strict diagonal dominance guarantees invertibility
    A = M + np.diag(np.abs(M).sum(axis=1) + 1.0)
    x = linalg.solve(A, b)
    # ||A^-1||_inf <= 1 (dominance margin >= 1) and ||A||_inf <= 82: cond <= 82, so the two
    # solvers agree to ~82 * 4 EPS * ||x|| <= 7e-13 absolute; the residual to n EPS |A| |x|
    np.testing.assert_allclose(A @ x, b, atol=1e-10 * (1 + np.abs(b).max()))
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9, atol=1e-11)


# --- errors -------------------------------------------------------------------------------
def test_singular_matrix_error():
    with pytest.raises(linalg.SingularMatrixError, match=r"singular to working precision.*"
                       r"column 1.*linearly dependent.*lstsq"):
        linalg.solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0])


def test_near_singular_matrix_error():
    A = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-17]])  # the 1e-17 is lost: rows equal
    with pytest.raises(linalg.SingularMatrixError, match="no pivot larger than"):
        linalg.solve(A, [1.0, 1.0])
    with pytest.raises(ValueError):  # SingularMatrixError is a ValueError
        linalg.lu_factor(linalg.hilbert(16))


def test_non_square_error():
    with pytest.raises(ValueError, match=r"square matrix \(n, n\), got shape \(2, 3\).*lstsq"):
        linalg.solve(np.ones((2, 3)), [1.0, 2.0])


def test_rhs_length_error():
    with pytest.raises(ValueError, match=r"b must have 2 rows to match A of shape \(2, 2\)"):
        linalg.solve(np.eye(2), [1.0, 2.0, 3.0])


def test_nan_and_type_errors():
    with pytest.raises(ValueError, match="NaN or infinite"):
        linalg.solve([[1.0, np.nan], [0.0, 1.0]], [1.0, 1.0])
    with pytest.raises(TypeError, match="must be an array of numbers"):
        linalg.solve("A", [1.0])
    with pytest.raises(ValueError, match=r"Expected 2D array for A, got 1D"):
        linalg.det([1.0, 2.0])


@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_hilbert_rejects_bad_n(bad):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        linalg.hilbert(bad)
