"""Activations: derivatives against central differences and sympy, stability, messages."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import nnmath as nm
from nnmath import symbolic
from tests.conftest import EPS, assert_close, central_diff_elementwise, fd_atol

ELEMENTWISE = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
finite = st.floats(-30, 30, allow_nan=False, width=64)


def away_from_kink(name, z):
    """Central differences straddling ReLU's kink at 0 are meaningless: nudge those points."""
    if name in ("relu", "leaky_relu"):
        return np.where(np.abs(z) < 1e-3, 0.5, z)
    return z


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(z=arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=finite))
def test_derivative_matches_central_differences(name, z):
    f, df = nm.activations.get_activation(name)
    z = away_from_kink(name, z)
    # h=1e-6 in float64: error <= h^2 |f'''| / 6 + EPS |f| / h, with |f| <= 1 + |z| <= 31
    # (identity, ReLU) and |f'''| <= 2 (tanh); the rtol covers x + h - (x - h) != 2h, a
    # relative error of EPS |z| / h < 1e-8
    assert_close(df(z), central_diff_elementwise(f, z), rtol=1e-6,
                 atol=fd_atol(1 + np.abs(z).max(initial=0.0), d3=2.0), what=f"{name}'")


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(z=arrays(np.float64, array_shapes(max_dims=2, max_side=6), elements=finite))
def test_activation_and_derivative_match_sympy(name, z):
    f, df = nm.activations.get_activation(name)
    f_ref, df_ref = symbolic.lambdify_activation(name)
    # both sides are accurate to a few ulps relative, except derivatives written as 1 - s or
    # 1 - t^2 with s, t ~ 1 (sigma'(30) ~ 1e-13): there the error is ~EPS absolute, hence atol
    assert_close(f(z), f_ref(z), rtol=1e-12, atol=10 * EPS, what=name)
    assert_close(df(z), df_ref(z), rtol=1e-10, atol=10 * EPS, what=f"{name}'")


def test_relu_derivative_at_zero_is_zero_as_in_sympy():
    _, df_ref = symbolic.lambdify_activation("relu")
    assert nm.relu_grad(0.0) == 0.0 == df_ref(np.array(0.0))


def test_sympy_derivative_of_sigmoid_is_sigma_times_one_minus_sigma():
    import sympy as sp
    f, df = symbolic.activation_derivative("sigmoid")
    assert sp.simplify((df - f * (1 - f)).rewrite(sp.exp)) == 0


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_stable_at_huge_inputs(name):
    f, df = nm.activations.get_activation(name)
    z = np.array([-1e4, -745.0, -1.0, 0.0, 1.0, 745.0, 1e4])
    with np.errstate(all="raise"):
        out, d = f(z), df(z)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(d))


def test_sigmoid_limits_and_symmetry():
    z = np.linspace(-50, 50, 101)
    with np.errstate(all="raise"):
        # sigma(z) is accurate to ~EPS relative, so 1 - sigma(z) to ~EPS absolute
        assert_close(nm.sigmoid(-z), 1 - nm.sigmoid(z), rtol=0, atol=10 * EPS)
        # exact: e^-1e4 underflows to 0, and 1 / (1 + 0) = 1
        assert nm.sigmoid(1e4) == 1.0 and nm.sigmoid(-1e4) == 0.0
        # -1e4 and 0 are exact; log1p(1) vs log(2) are each within an ulp or two (SIMD libm)
        assert_close(nm.log_sigmoid(np.array([-1e4, 0.0, 1e4])), [-1e4, -np.log(2), 0.0],
                     rtol=10 * EPS)


@given(Z=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)),
                elements=st.floats(-1e4, 1e4, allow_nan=False)))
def test_softmax_rows_are_probabilities_at_any_scale(Z):
    with np.errstate(all="raise"):
        P = nm.softmax(Z)
        logP = nm.log_softmax(Z)
    assert np.all(P >= 0)
    # each of the K <= 6 entries is accurate to (K + 2) EPS relative: the sum to ~K^2 EPS
    assert_close(P.sum(axis=1), np.ones(Z.shape[0]), rtol=1e-12)
    assert np.all(np.isfinite(logP))


def test_softmax_is_shift_invariant_and_matches_definition():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(4, 3))
    ref = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    K = Z.shape[1]
    # each side: K + 2 roundings of ~EPS relative (exp, the sum, the division)
    assert_close(nm.softmax(Z), ref, rtol=10 * 2 * (K + 2) * EPS)
    # Z + 1000 is rounded to the spacing of doubles near 1000 (1000 EPS): softmax's relative
    # error from an absolute perturbation d of its inputs is up to 2 d
    assert_close(nm.softmax(Z + 1000.0), ref, rtol=10 * 2 * 1001 * EPS)


@pytest.mark.parametrize("K", [1, 2, 3, 5])
def test_softmax_jacobian_matches_central_differences_and_sympy(K):
    import sympy as sp
    rng = np.random.default_rng(K)
    z = rng.normal(size=K)
    num = np.column_stack([central_diff_elementwise(lambda t, j=j: nm.softmax(
        z + np.eye(K)[j] * (t - z[j])), z[j]) for j in range(K)])
    assert_close(nm.softmax_jacobian(z), num, rtol=1e-6, atol=fd_atol(1.0),
                 what="softmax Jacobian")
    zs = sp.symbols(f"z0:{K}", real=True)
    s = [sp.exp(zi) / sum(sp.exp(zj) for zj in zs) for zi in zs]
    J = sp.lambdify([zs], sp.Matrix(s).jacobian(zs), "numpy")(z)
    # p_i (delta_ij - p_j) vs sympy's e^z_i / S - e^(2 z_i) / S^2: a cancellation when p ~ 1,
    # each side accurate to (K + 2) EPS absolute
    assert_close(nm.softmax_jacobian(z), np.asarray(J, dtype=float), rtol=1e-12,
                 atol=10 * (K + 2) * EPS)


def test_softmax_backward_equals_jacobian_transpose_product():
    rng = np.random.default_rng(1)
    Z, G = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    ref = np.einsum("nij,ni->nj", nm.softmax_jacobian(Z), G)
    # p_j (g_j - sum_i g_i p_i) cancels when g_j is near the p-weighted mean of g: the error is
    # absolute, a few (K + 2) EPS times max|g|
    assert_close(nm.softmax_backward(Z, G), ref, rtol=1e-12,
                 atol=10 * (Z.shape[1] + 2) * EPS * np.abs(G).max())


def test_messages():
    with pytest.raises(ValueError, match="Unknown activation 'swish'. Expected one of"):
        nm.activations.get_activation("swish")
    with pytest.raises(TypeError, match="must be an array of numbers, got str"):
        nm.sigmoid("1.0")
    with pytest.raises(ValueError, match="z contains 1 NaN or infinite value"):
        nm.relu([1.0, np.nan])
    with pytest.raises(ValueError, match="softmax needs at least a 1D array"):
        nm.softmax(3.0)
    with pytest.raises(ValueError, match=r"upstream must have the shape of z, \(2, 3\)"):
        nm.softmax_backward(np.zeros((2, 3)), np.zeros((3, 2)))
