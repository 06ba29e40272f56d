"""Tests of nnmath.linear: LinearRegression (gradient descent and normal equations)."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge

import nnmath as nm
import nnmath.symbolic  # noqa: F401  (makes nm.symbolic available)
from nnmath.linear import ridge_normal_equations
from tests.conftest import EPS, assert_gradient_matches_fd, examples


def exact_data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w, b = rng.normal(size=d), float(rng.normal())
    return X, X @ w + b, w, b


@pytest.mark.parametrize("n,d", [(20, 1), (50, 3), (200, 8)])
@pytest.mark.parametrize("seed", [0, 1])
def test_normal_solver_recovers_exact_weights(n, d, seed):
    X, y, w, b = exact_data(n, d, seed)
    m = nm.LinearRegression(solver="normal").fit(X, y)
    np.testing.assert_allclose(m.coef_, w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.intercept_, b, rtol=1e-10, atol=1e-12)
    assert m.n_iter_ == 0 and m.loss_history_.shape == (1,)
    np.testing.assert_allclose(m.score(X, y), 1.0, atol=1e-12)


# Adam with batch size 1 keeps jittering at the scale of its learning rate (its steps are
# normalised), so it is left out of the exact-recovery check.
@pytest.mark.parametrize("batch_size,optimizer", [
    (b, o) for b in (None, 8, 1) for o in ("sgd", "momentum", "adam") if (b, o) != (1, "adam")])
def test_gradient_descent_recovers_exact_weights(batch_size, optimizer):
    X, y, w, b = exact_data(64, 3, 5)
    lr = {"sgd": 0.1, "momentum": 0.02, "adam": 0.05}[optimizer]
    lr = lr / 4 if batch_size == 1 else lr
    m = nm.LinearRegression(lr=lr, epochs=300, batch_size=batch_size, optimizer=optimizer,
                            random_state=0).fit(X, y)
    np.testing.assert_allclose(m.coef_, w, atol=1e-4)
    np.testing.assert_allclose(m.intercept_, b, atol=1e-4)
    assert m.loss_history_.shape == (300,) and m.n_iter_ == 300
    assert m.n_steps_ == 300 * int(np.ceil(64 / (batch_size or 64)))


@pytest.mark.parametrize("seed", [0, 3])
def test_normal_solver_matches_sklearn_and_lstsq(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 5)) * [1, 10, 0.1, 3, 1]
    y = rng.normal(size=40)
    m = nm.LinearRegression(solver="normal").fit(X, y)
    ref = SkLinearRegression().fit(X, y)
    # The normal equations square the condition number: forward error <= cond(Xc)^2 EPS ||w||
    # (cond(Xc) ~ 140 here: 2e-12 absolute). The coefficients span 5e-3 .. 1, so the claim is
    # absolute, relative to ||w||; observed (3 configurations): <= 3e-14 relative per entry.
    cond = np.linalg.cond(X - X.mean(axis=0))
    atol = 10 * cond ** 2 * EPS * np.linalg.norm(ref.coef_)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(m.intercept_, ref.intercept_, rtol=0,
                               atol=atol * (1 + np.abs(X.mean(axis=0)).max()))
    theta = np.linalg.lstsq(np.column_stack([X, np.ones(40)]), y, rcond=None)[0]
    np.testing.assert_allclose(m.coef_, theta[:-1], rtol=0, atol=atol)


@pytest.mark.parametrize("alpha", [0.1, 1.0, 30.0])
def test_ridge_matches_sklearn_with_mapped_strength(alpha):
    # sklearn: ||y - Xw - b||^2 + alpha ||w||^2 ; ours: (1/n)||...||^2 + (l2/2)||w||^2
    X, y, _ = nm.data.make_linear(60, 4, noise=0.5, random_state=2)
    l2 = 2 * alpha / X.shape[0]
    m = nm.LinearRegression(solver="normal", l2=l2).fit(X, y)
    ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-10)
    np.testing.assert_allclose(m.intercept_, ref.intercept_, rtol=1e-10, atol=1e-12)
    g = nm.LinearRegression(lr=0.1, epochs=3000, l2=l2).fit(X, y)
    np.testing.assert_allclose(g.coef_, ref.coef_, rtol=1e-6)


def test_collinear_features_fall_back_to_lstsq():
    X = np.column_stack([np.arange(6.0), 2 * np.arange(6.0)])
    y = 3 * np.arange(6.0) + 1
    w, b = ridge_normal_equations(X, y)
    np.testing.assert_allclose(X @ w + b, y, atol=1e-10)
    np.testing.assert_allclose(w, [0.6, 1.2], rtol=1e-10)  # the minimum-norm solution


@settings(max_examples=examples(25), deadline=None)
@given(st.integers(1, 6), st.integers(0, 10_000), st.floats(0.0, 2.0))
def test_gradient_matches_central_differences(d, seed, l2):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(7, d)), rng.normal(size=7)
    params = {"w": rng.normal(size=d), "b": np.array(rng.normal())}
    m = nm.LinearRegression(l2=l2)
    loss, grads = m.loss_and_grads(params, X, y)
    # A random gradient entry can be ~1e-4 (then gradcheck's relative 1e-6 is below the
    # round-off of central differences): compare at the bound instead. The loss is quadratic
    # (no truncation error); its terms are bounded by (|X||w| + |b| + |y|)^2 and l2 |w|^2.
    w, b = params["w"], params["b"]
    terms = np.abs(X) @ np.abs(w) + abs(b) + np.abs(y)
    assert_gradient_matches_fd(lambda p: m.loss_and_grads(p, X, y)[0], params, grads,
                               f_scale=y.size * (np.mean(terms ** 2) + l2 * w @ w), d3=0.0)
    ref_loss, _ = nm.mse(X @ w + b, y)
    # the residuals X w + b - y cancel: each carries EPS * terms_i absolute error
    np.testing.assert_allclose(loss, ref_loss + 0.5 * l2 * w @ w, rtol=1e-12,
                               atol=10 * y.size * EPS * (np.mean(terms ** 2) + l2 * w @ w))


def test_gradient_matches_sympy():
    n, d, l2 = 3, 2, sp.Rational(1, 3)
    w = sp.Matrix(sp.symbols("w0:2", real=True))
    b = sp.Symbol("b", real=True)
    rng = np.random.default_rng(0)
    Xv, yv = rng.normal(size=(n, d)), rng.normal(size=n)
    X, y = sp.Matrix(Xv), sp.Matrix(yv)
    r = X * w + b * sp.ones(n, 1) - y
    L = (r.T * r)[0] / n + l2 / 2 * (w.T * w)[0]
    wv, bv = np.array([0.3, -0.7]), 0.2
    subs = {w[0]: wv[0], w[1]: wv[1], b: bv}
    ref = [float(sp.diff(L, s).subs(subs)) for s in (*w, b)]
    _, g = nm.LinearRegression(l2=1 / 3).loss_and_grads({"w": wv, "b": np.array(bv)}, Xv, yv)
    np.testing.assert_allclose([*g["w"], g["b"]], ref, rtol=1e-12)
    # nm.symbolic's MSE gradient with respect to the predictions, chained through X
    _, fn = nm.symbolic.loss_gradient("mse", n)
    dy = fn(Xv @ wv + bv, yv).ravel()
    np.testing.assert_allclose(g["w"], Xv.T @ dy + wv / 3, rtol=1e-12)


def test_loss_history_is_mean_epoch_loss_including_l2():
    X, y, _ = nm.data.make_linear(30, 2, random_state=1)
    m = nm.LinearRegression(lr=0.05, epochs=3, l2=0.5).fit(X, y)
    # full batch: the first entry is the loss at the zero start, (1/n)||y||^2
    np.testing.assert_allclose(m.loss_history_[0], np.mean(y ** 2), rtol=1e-12)
    assert np.all(np.diff(m.loss_history_) < 0)


def test_init_stores_parameters_and_fit_returns_self():
    opt = nm.Adam(lr=0.1)
    m = nm.LinearRegression(lr=0.3, epochs=7, batch_size=4, optimizer=opt, l2=0.1,
                            solver="gd", random_state=3)
    assert (m.lr, m.epochs, m.batch_size, m.optimizer, m.l2, m.random_state) == \
        (0.3, 7, 4, opt, 0.1, 3)
    X, y, _ = nm.data.make_linear(20, 2, random_state=0)
    assert m.fit(X, y) is m
    first = m.coef_.copy()
    np.testing.assert_allclose(m.fit(X, y).coef_, first, rtol=1e-12)  # optimizer state reset
    assert opt.t == 0


def test_predict_before_fit_raises():
    with pytest.raises(nm.NotFittedError, match="not fitted yet. Call 'fit'"):
        nm.LinearRegression().predict(np.ones((2, 1)))


def test_divergence_raises_with_step_and_advice():
    X, y, _ = nm.data.make_linear(50, 1, x_scale=3.0, random_state=0)
    with pytest.raises(nm.TrainingDiverged, match=r"diverged at step \d+ .*smaller learning rate"):
        nm.LinearRegression(lr=5.0, epochs=500).fit(X, y)


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"solver": "qr"}, ValueError, "Unknown solver 'qr'"),
    ({"lr": -1.0}, ValueError, "lr must be a finite number > 0"),
    ({"epochs": 0}, ValueError, "epochs must be an integer >= 1"),
    ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
    ({"l2": -0.1}, ValueError, "l2 must be a finite number >= 0"),
    ({"optimizer": "newton"}, ValueError, "Unknown optimizer 'newton'"),
])
def test_bad_hyperparameters(kwargs, exc, match):
    X, y, _ = nm.data.make_linear(10, 1, random_state=0)
    with pytest.raises(exc, match=match):
        nm.LinearRegression(**kwargs).fit(X, y)


def test_bad_data():
    m = nm.LinearRegression()
    with pytest.raises(ValueError, match=r"Expected 2D array for X.*reshape\(-1, 1\)"):
        m.fit(np.arange(5.0), np.arange(5.0))
    with pytest.raises(ValueError, match="X has 5 rows, y has 4"):
        m.fit(np.ones((5, 1)), np.ones(4))
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        m.fit(np.ones((3, 1)), [1.0, np.nan, 2.0])
    m.fit(np.ones((3, 2)) + np.eye(3, 2), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="X has 3 features, but LinearRegression was fitted"):
        m.predict(np.ones((2, 3)))
