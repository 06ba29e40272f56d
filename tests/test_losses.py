"""Losses: value against direct formulas, gradients against central differences and sympy."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnmath as nm
from nnmath import symbolic
from tests.conftest import EPS, assert_close, fd_atol

shapes_nk = st.tuples(st.integers(1, 6), st.integers(1, 4))


@given(shape=shapes_nk, seed=st.integers(0, 10_000))
def test_mse_value_and_gradient(shape, seed):
    rng = np.random.default_rng(seed)
    y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
    loss, grad = nm.mse(y_hat, y)
    # a sum of m = n*k nonnegative terms: relative error <= m * EPS in any summation order
    assert_close(loss, np.sum((y_hat - y) ** 2) / shape[0], rtol=10 * y.size * EPS)
    num = nm.numerical_gradient(lambda p: nm.mse(p, y)[0], y_hat)
    # quadratic: no truncation error, only round-off EPS * (sum of the m terms) / h
    assert_close(grad, num, rtol=1e-6, atol=fd_atol(y.size * (loss + 1), d3=0.0),
                 what="mse gradient")


@given(n=st.integers(1, 6), seed=st.integers(0, 10_000),
       scale=st.sampled_from([0.1, 1.0, 10.0]))
def test_bce_with_logits_gradient(n, seed, scale):
    rng = np.random.default_rng(seed)
    z, y = scale * rng.normal(size=n), rng.integers(0, 2, size=n).astype(float)
    loss, grad = nm.binary_cross_entropy_with_logits(z, y)
    # independent form: -log p = log(1 + e^-z) for y = 1, -log(1-p) = log(1 + e^z) for y = 0
    ref = np.mean(np.where(y == 1, np.logaddexp(0.0, -z), np.logaddexp(0.0, z)))
    # every term log(1 + e^t) > 0 is computed to a few ulps (log1p, no cancellation), so the
    # mean of n of them is accurate to about (n + 3) EPS relative; 1e-12 leaves a margin > 100
    assert_close(loss, ref, rtol=1e-12)
    num = nm.numerical_gradient(lambda t: nm.binary_cross_entropy_with_logits(t, y)[0], z)
    # entries (sigma(z) - y) / n can be ~1e-17 (z = 40, right label): an absolute floor from
    # the round-off of the loss, EPS * n * (1 + max|z|) / h; |f'''| <= 0.1 for log(1 + e^z)
    assert_close(grad, num, rtol=1e-5, atol=fd_atol(n * (1 + np.abs(z).max()), d3=0.1),
                 what="bce-with-logits gradient")


@given(n=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_bce_from_probabilities_gradient(n, seed):
    rng = np.random.default_rng(seed)
    p, y = rng.uniform(0.05, 0.95, size=n), rng.integers(0, 2, size=n).astype(float)
    loss, grad = nm.binary_cross_entropy(p, y)
    # p in [0.05, 0.95]: every term -log(.) >= 0.05 is positive, and rounding 1 - p costs at
    # most EPS / 0.05 = 20 EPS relative in it; 1e-12 is > 100x that
    assert_close(loss, -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12)
    num = nm.numerical_gradient(lambda t: nm.binary_cross_entropy(t, y)[0], p)
    # |f'''| = 2 / p^3 <= 2 / 0.05^3 for -log p: truncation h^2 * 16000 / 6 ~ 3e-9
    assert_close(grad, num, rtol=1e-6, atol=fd_atol(n * (loss + 1), d3=2 / 0.05 ** 3),
                 what="bce gradient")


@given(shape=st.tuples(st.integers(1, 6), st.integers(2, 5)), seed=st.integers(0, 10_000))
def test_softmax_cross_entropy_gradient(shape, seed):
    rng = np.random.default_rng(seed)
    Z, labels = 3 * rng.normal(size=shape), rng.integers(0, shape[1], size=shape[0])
    loss, grad = nm.softmax_cross_entropy(Z, labels)
    n, K = shape
    # Reference from the definition, -mean(log P_y). When P_y is close to 1 the loss is tiny
    # (1.03e-6 for Z = [[6.12, -7.67]], label 0) while log P_y and log-sum-exp both carry an
    # ABSOLUTE error of a few EPS times the size of the logits: the relative error of such a
    # loss is ~EPS / 1e-6 = 1e-10, so no rtol near 1e-12 can hold. The claim that holds on
    # every machine: |mine - ref| <= 10 * EPS * (terms' scale), the scale being 2 max|Z| (the
    # shifted logits z - max z) plus K (the sum of K exponentials, each rounded). Worst seen
    # over 4500 random cases on three numerics configurations: 0.074 of this atol.
    P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    scale = 2 * np.abs(Z).max() + K
    assert_close(loss, -np.mean(np.log(P[np.arange(n), labels])), rtol=0,
                 atol=10 * EPS * scale, what="softmax CE loss")
    num = nm.numerical_gradient(lambda t: nm.softmax_cross_entropy(t, labels)[0], Z)
    # round-off of the loss (absolute, EPS * scale) over h, for entries P_k / n that can be ~0
    assert_close(grad, num, rtol=1e-5, atol=fd_atol(scale), what="softmax CE gradient")
    # entries (P - Y) / n with P in [0, 1] accurate to (K + 2) EPS absolute: P_y - 1 is a
    # cancellation when P_y ~ 1, so the error is absolute, not relative
    assert_close(grad, (P - nm.one_hot(labels, K)) / n, rtol=0, atol=10 * (K + 2) * EPS / n,
                 what="softmax CE gradient vs (P - Y) / n")


@pytest.mark.parametrize(("name", "n", "k"), [("mse", 3, 1), ("mse", 2, 3),
                                              ("bce_logits", 3, 1), ("softmax_ce", 2, 3)])
def test_gradients_match_sympy(name, n, k):
    rng = np.random.default_rng(n * 10 + k)
    out = rng.normal(size=(n, k))
    if name == "mse":
        Y = rng.normal(size=(n, k))
        mine = nm.mse(out, Y)[1]
    elif name == "bce_logits":
        Y = rng.integers(0, 2, size=(n, 1)).astype(float)
        mine = nm.binary_cross_entropy_with_logits(out, Y)[1]
    else:
        labels = rng.integers(0, k, size=n)
        Y = nm.one_hot(labels, k)
        mine = nm.softmax_cross_entropy(out, labels)[1]
    _, ref = symbolic.loss_gradient(name, n, k)
    # entries are differences (o - y, sigma(o) - y, P - Y) divided by n: each side is accurate
    # to a few EPS times the size of the operands, in absolute terms (cancellation near 0)
    atol = 10 * EPS * (np.abs(out).max() + np.abs(Y).max() + k) / n
    assert_close(mine, ref(out, Y), rtol=1e-12, atol=atol, what=f"{name} vs sympy")


def test_sympy_simplifies_bce_logit_gradient_to_sigma_minus_y():
    import sympy as sp
    grad, _ = symbolic.loss_gradient("bce_logits", 1, 1)
    o, y = sp.Symbol("o_00", real=True), sp.Symbol("y_00", real=True)
    assert sp.simplify(grad[0, 0] - (1 / (1 + sp.exp(-o)) - y)) == 0


def test_logit_losses_are_stable_at_huge_logits():
    z = np.array([-1e4, 1e4, -1e4, 1e4])
    y = np.array([0.0, 1.0, 1.0, 0.0])  # two right, two confidently wrong
    with np.errstate(all="raise"):
        loss, grad = nm.binary_cross_entropy_with_logits(z, y)
        Z = np.array([[1e4, -1e4], [-1e4, 1e4]])
        ce, g2 = nm.softmax_cross_entropy(Z, [1, 1])
    # each wrong one costs |z| + log1p(e^-|z|) = 1e4 exactly in float64 (e^-1e4 underflows to
    # 0), and the right ones cost exactly 0, so these are exact up to the final rounding
    assert_close(loss, 2e4 / 4, rtol=4 * EPS)
    assert_close(grad, [0.0, 0.0, -0.25, 0.25], rtol=0, atol=4 * EPS)
    assert_close(ce, 2e4 / 2, rtol=4 * EPS)
    assert np.all(np.isfinite(g2))


@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e4, 1e4)))
def test_bce_with_logits_never_nan(z):
    y = (z > 0).astype(float)
    with np.errstate(all="raise"):
        loss, grad = nm.binary_cross_entropy_with_logits(z, 1 - y)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


def test_messages():
    with pytest.raises(ValueError, match=r"y_hat and y must have the same shape, got \(3, 1\) "
                                         r"and \(3,\).*\.ravel\(\)"):
        nm.mse(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="p must hold probabilities in \\[0, 1\\]"):
        nm.binary_cross_entropy([1.5], [1.0])
    with pytest.raises(ValueError, match="labels holds label 3 but the model has 3 classes"):
        nm.softmax_cross_entropy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="non-integer values"):
        nm.softmax_cross_entropy(np.zeros((2, 3)), [0, 0.5])
    with pytest.raises(ValueError, match="Z has 2 rows but labels has 3 entries"):
        nm.softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="zero samples"):
        nm.mse(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="negative label -1"):
        nm.one_hot([-1, 0], 2)
