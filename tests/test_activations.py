"""Activations: derivatives against central differences and sympy, stability, messages."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import nnmath as nm
from nnmath import symbolic
from tests.conftest import assert_close, central_diff_elementwise

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
    # h=1e-6 in float64: error ~ h^2 f''' + eps/h, below 1e-7 absolute for these functions
    assert_close(df(z), central_diff_elementwise(f, z), rtol=1e-6, atol=1e-7,
                 what=f"{name}'")


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(z=arrays(np.float64, array_shapes(max_dims=2, max_side=6), elements=finite))
def test_activation_and_derivative_match_sympy(name, z):
    f, df = nm.activations.get_activation(name)
    f_ref, df_ref = symbolic.lambdify_activation(name)
    assert_close(f(z), f_ref(z), rtol=1e-12, atol=1e-15, what=name)
    assert_close(df(z), df_ref(z), rtol=1e-10, atol=1e-15, what=f"{name}'")


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
        assert_close(nm.sigmoid(-z), 1 - nm.sigmoid(z), rtol=0, atol=1e-15)
        assert nm.sigmoid(1e4) == 1.0 and nm.sigmoid(-1e4) == 0.0
        assert_close(nm.log_sigmoid(np.array([-1e4, 0.0, 1e4])), [-1e4, -np.log(2), 0.0],
                     rtol=1e-15)


@given(Z=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)),
                elements=st.floats(-1e4, 1e4, allow_nan=False)))
def test_softmax_rows_are_probabilities_at_any_scale(Z):
    with np.errstate(all="raise"):
        P = nm.softmax(Z)
        logP = nm.log_softmax(Z)
    assert np.all(P >= 0)
    assert_close(P.sum(axis=1), np.ones(Z.shape[0]), rtol=1e-12)
    assert np.all(np.isfinite(logP))


def test_softmax_is_shift_invariant_and_matches_definition():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(4, 3))
    ref = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    assert_close(nm.softmax(Z), ref, rtol=1e-14)
    assert_close(nm.softmax(Z + 1000.0), ref, rtol=1e-12)


@pytest.mark.parametrize("K", [1, 2, 3, 5])
def test_softmax_jacobian_matches_central_differences_and_sympy(K):
    import sympy as sp
    rng = np.random.default_rng(K)
    z = rng.normal(size=K)
    num = np.column_stack([central_diff_elementwise(lambda t, j=j: nm.softmax(
        z + np.eye(K)[j] * (t - z[j])), z[j]) for j in range(K)])
    assert_close(nm.softmax_jacobian(z), num, rtol=1e-6, atol=1e-9, what="softmax Jacobian")
    zs = sp.symbols(f"z0:{K}", real=True)
    s = [sp.exp(zi) / sum(sp.exp(zj) for zj in zs) for zi in zs]
    J = sp.lambdify([zs], sp.Matrix(s).jacobian(zs), "numpy")(z)
    assert_close(nm.softmax_jacobian(z), np.asarray(J, dtype=float), rtol=1e-12, atol=1e-15)


def test_softmax_backward_equals_jacobian_transpose_product():
    rng = np.random.default_rng(1)
    Z, G = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    ref = np.einsum("nij,ni->nj", nm.softmax_jacobian(Z), G)
    assert_close(nm.softmax_backward(Z, G), ref, rtol=1e-12, atol=1e-15)


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
