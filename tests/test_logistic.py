"""Tests of nnmath.logistic: binary logistic regression and softmax regression."""

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss as sk_log_loss

import nnmath as nm
import nnmath.symbolic  # noqa: F401  (makes nm.symbolic available)
from tests.conftest import assert_gradient_matches_fd, examples


def _check_gradient_by_fd(m, params, X, y, grads):
    # The log-loss is computed from logits z = X w + b: its round-off is ~EPS times the size of
    # the logits' terms (|X||w| + |b|), per sample; its third derivative is at most
    # 0.1 |x|^3 (sigma'' <= 0.1). Entries near 0 are compared at that absolute accuracy.
    W = params["w"].reshape(X.shape[1], -1)
    z_scale = 1 + np.abs(X) @ np.abs(W) + np.abs(params["b"])
    f_scale = X.shape[0] * z_scale.max() + float(m.l2) * float(np.sum(W * W))
    assert_gradient_matches_fd(lambda p: m.loss_and_grads(p, X, y)[0], params, grads,
                               f_scale=f_scale, d3=0.1 * (1 + np.abs(X).max()) ** 3)


def blobs(n, seed, sep=1.0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 2)) + sep * np.where(y[:, None] == 1, 1.0, -1.0)
    return X, y


@settings(max_examples=examples(20), deadline=None)
@given(st.integers(1, 5), st.integers(0, 10_000), st.floats(0.0, 1.0))
def test_binary_gradient_matches_central_differences(d, seed, l2):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(6, d)), rng.integers(0, 2, 6).astype(float)
    params = {"w": rng.normal(size=d), "b": np.array(rng.normal())}
    m = nm.LogisticRegression(l2=l2)
    _, grads = m.loss_and_grads(params, X, y)
    # not nm.gradcheck: its relative test flags random entries near 0 (see the helper)
    _check_gradient_by_fd(m, params, X, y, grads)


@pytest.mark.parametrize("K,d,seed", [(3, 2, 0), (4, 3, 1), (5, 1, 2)])
def test_softmax_gradient_matches_central_differences(K, d, seed):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(8, d)), rng.integers(0, K, 8)
    params = {"w": rng.normal(size=(d, K)), "b": rng.normal(size=K)}
    m = nm.LogisticRegression(l2=0.3)
    _, grads = m.loss_and_grads(params, X, y)
    _check_gradient_by_fd(m, params, X, y, grads)


def test_binary_gradient_matches_sympy():
    # Differentiate the Bernoulli negative log-likelihood written with sympy, weight by weight.
    n, d = 3, 2
    w = sp.symbols("w0:2", real=True)
    b = sp.Symbol("b", real=True)
    rng = np.random.default_rng(4)
    Xv, yv = rng.normal(size=(n, d)), np.array([1.0, 0.0, 1.0])
    L = 0
    for i in range(n):
        z = sum(sp.Float(Xv[i, j]) * w[j] for j in range(d)) + b
        p = 1 / (1 + sp.exp(-z))
        L += -(yv[i] * sp.log(p) + (1 - yv[i]) * sp.log(1 - p)) / n
    wv, bv = np.array([0.4, -1.1]), 0.3
    subs = {w[0]: wv[0], w[1]: wv[1], b: bv}
    ref = [float(sp.diff(L, s).subs(subs)) for s in (*w, b)]
    _, g = nm.LogisticRegression().loss_and_grads({"w": wv, "b": np.array(bv)}, Xv, yv)
    np.testing.assert_allclose([*g["w"], g["b"]], ref, rtol=1e-10)
    # and through nm.symbolic: dL/dz = (sigmoid(z) - y) / n, chained through X
    _, fn = nm.symbolic.loss_gradient("bce_logits", n)
    dz = fn(Xv @ wv + bv, yv).ravel()
    np.testing.assert_allclose(g["w"], Xv.T @ dz, rtol=1e-10)


def test_softmax_gradient_matches_sympy():
    n, K = 2, 3
    rng = np.random.default_rng(5)
    Xv, labels = rng.normal(size=(n, 2)), np.array([2, 1])
    W, b = rng.normal(size=(2, K)), rng.normal(size=K)
    _, fn = nm.symbolic.loss_gradient("softmax_ce", n, K)
    dZ = fn(Xv @ W + b, nm.one_hot(labels, K))
    _, g = nm.LogisticRegression().loss_and_grads({"w": W, "b": b}, Xv, labels)
    np.testing.assert_allclose(g["w"], Xv.T @ dZ, rtol=1e-10)
    np.testing.assert_allclose(g["b"], dZ.sum(axis=0), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 2])
def test_binary_matches_sklearn_unpenalised(seed):
    X, y = blobs(120, seed, sep=0.7)
    ref = SkLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    m = nm.LogisticRegression(lr=2.0, epochs=3000).fit(X, y)
    # optimisation gaps (observed <= 3e-8 relative for w, 3e-7 for b), far above round-off
    np.testing.assert_allclose(m.coef_, ref.coef_[0], rtol=1e-5)
    np.testing.assert_allclose(m.intercept_, ref.intercept_[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(m.predict(X), ref.predict(X))
    np.testing.assert_allclose(m.loss_history_[-1], sk_log_loss(y, ref.predict_proba(X)),
                               rtol=1e-8)


def test_softmax_matches_sklearn_with_mapped_penalty():
    # sklearn minimises sum(log-loss) + ||W||^2 / (2C); ours mean(log-loss) + (l2/2)||W||^2.
    X, y, _ = nm.data.load_dataset("iris")
    X = nm.data.StandardScaler().fit_transform(X)
    C = 1.0
    ref = SkLogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    m = nm.LogisticRegression(lr=0.1, epochs=1000, optimizer="adam",
                              l2=1 / (C * X.shape[0])).fit(X, y)
    # an optimisation gap, not round-off: 1000 Adam epochs leave |dW| = 3.0e-7 and |dP| = 7.7e-8
    # (the same on three numerics configurations); a wrong penalty mapping moves W by > 1e-2
    np.testing.assert_allclose(m.coef_, ref.coef_.T, atol=1e-5)
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert m.coef_.shape == (4, 3) and m.intercept_.shape == (3,)
    np.testing.assert_allclose(m.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)


def test_separable_data_is_classified_perfectly():
    X, y = blobs(60, 0, sep=4.0)
    m = nm.LogisticRegression(lr=0.5, epochs=200).fit(X, y)
    assert m.score(X, y) == 1.0
    assert np.all(np.diff(m.loss_history_) < 0)


def test_extreme_logits_stay_finite():
    X, y = blobs(40, 1, sep=4.0)
    m = nm.LogisticRegression(lr=0.5, epochs=20).fit(X * 1e4, y)  # huge logits after step 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = m.predict_proba(X * 1e4)
    assert np.all(np.isfinite(m.loss_history_)) and np.all(np.isfinite(P))


def test_decision_function_shapes_and_predict_consistency():
    X, y = blobs(30, 3)
    m = nm.LogisticRegression(epochs=20).fit(X, y)
    z = m.decision_function(X)
    assert z.shape == (30,)
    np.testing.assert_array_equal(m.predict(X), (m.predict_proba(X)[:, 1] > 0.5).astype(int))
    np.testing.assert_allclose(m.predict_proba(X)[:, 1], nm.sigmoid(z), rtol=1e-12)
    np.testing.assert_array_equal(m.classes_, [0, 1])


def test_init_stores_parameters_and_fit_returns_self():
    m = nm.LogisticRegression(lr=0.2, epochs=5, batch_size=8, optimizer="momentum", l2=0.1,
                              random_state=1)
    assert (m.lr, m.epochs, m.batch_size, m.optimizer, m.l2, m.random_state) == \
        (0.2, 5, 8, "momentum", 0.1, 1)
    X, y = blobs(30, 0)
    assert m.fit(X, y) is m
    assert m.loss_history_.shape == (5,) and m.n_steps_ == 5 * 4


def test_predict_before_fit_raises():
    with pytest.raises(nm.NotFittedError, match="LogisticRegression instance is not fitted"):
        nm.LogisticRegression().predict_proba(np.ones((2, 2)))


def test_divergence_raises():
    X, y = blobs(40, 0)
    with pytest.raises(nm.TrainingDiverged, match=r"step \d+.*smaller learning rate"):
        nm.LogisticRegression(lr=50.0, l2=1.0, epochs=300).fit(X, y)


def test_bad_inputs():
    X, y = blobs(10, 0)
    with pytest.raises(ValueError, match="integer class labels"):
        nm.LogisticRegression().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="negative label -1"):
        nm.LogisticRegression().fit(X, y - 1)
    with pytest.raises(ValueError, match="X and y have different numbers of samples"):
        nm.LogisticRegression().fit(X, y[:-1])
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        nm.LogisticRegression(lr=0).fit(X, y)
    m = nm.LogisticRegression(epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but LogisticRegression was fitted"):
        m.predict(np.ones((2, 3)))
