"""Tests of the chapter 4-5 demos, driven from code (no browser)."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression as SkLinearRegression

import nnmath as nm
from nnmath.widgets import regression


@pytest.fixture(scope="module")
def lin_demo():
    return regression.linear_regression_demo()


@pytest.fixture(scope="module")
def log_demo():
    return regression.logistic_regression_demo()


def test_public_functions_are_exported():
    import nnmath.widgets as w
    assert w.linear_regression_demo is regression.linear_regression_demo
    assert w.logistic_regression_demo is regression.logistic_regression_demo
    assert isinstance(regression.linear_regression_demo(), nm.widgets.Demo)


def test_normal_solver_line_matches_sklearn(lin_demo):
    lin_demo.set(solver="normal", noise=0.7)
    s = lin_demo.compute(**lin_demo.values)
    ref = SkLinearRegression().fit(lin_demo._x[:, None], s["y"])
    np.testing.assert_allclose([s["w"], s["b"]], [ref.coef_[0], ref.intercept_], rtol=1e-10)
    np.testing.assert_allclose(lin_demo._line.get_ydata(), s["w"] * lin_demo._xs + s["b"])
    assert lin_demo.message.value == ""
    lin_demo.set(solver="gd")


@pytest.mark.parametrize("batch_size", [None, 10, 3, 1])
def test_gradient_descent_approaches_normal_equations(lin_demo, batch_size):
    lin_demo.set(lr=0.05 if batch_size is None else 0.01, epochs=100, batch_size=batch_size,
                 noise=0.5)
    s = lin_demo.compute(**lin_demo.values)
    assert s["hist"].shape == (100,)
    assert s["hist"][-1] < 1.2 * s["best"]  # within 20 % of the least-squares loss
    assert s["hist"][-1] >= s["best"] * (1 - 1e-9) or batch_size is not None


def test_learning_rate_bound_matches_hessian(lin_demo):
    x = lin_demo._x
    A = np.column_stack([x, np.ones_like(x)])
    H = 2 / x.size * A.T @ A
    np.testing.assert_allclose(lin_demo.lr_bound, nm.calculus.max_stable_lr(H), rtol=1e-12)


def test_above_bound_note_and_divergence_message(lin_demo):
    lin_demo.set(lr=1.2 * lin_demo.lr_bound, epochs=20, batch_size=None, solver="gd")
    assert "above the bound" in lin_demo.message.value
    lin_demo.set(lr=10.0, epochs=100)
    msg = lin_demo.message.value
    assert "Training diverged at step" in msg and "smaller learning rate" in msg
    assert "Traceback" not in msg
    lin_demo.set(lr=0.05, epochs=40)
    assert lin_demo.message.value == ""


def test_logistic_demo_boundary_is_where_p_is_half(log_demo):
    log_demo.set(lr=0.5, epochs=100, l2=0.0, separation=2.5, spread=0.8)
    s = log_demo.compute(**log_demo.values)
    xs, ys = log_demo._boundary.get_data()
    P = s["model"].predict_proba(np.column_stack([xs, ys]))[:, 1]
    np.testing.assert_allclose(P, 0.5, atol=1e-12)
    assert s["model"].score(s["X"], s["y"]) > 0.9


def test_logistic_demo_l2_shrinks_weights(log_demo):
    norms = []
    for l2 in (0.0, 0.3, 1.0):
        log_demo.set(l2=l2, epochs=200)
        norms.append(np.linalg.norm(log_demo.compute(**log_demo.values)["model"].coef_))
    assert norms[0] > norms[1] > norms[2]
    log_demo.set(l2=0.0)


def test_logistic_demo_data_separation(log_demo):
    X0, y = log_demo.data(0.0, 1.0)
    X1, _ = log_demo.data(4.0, 1.0)
    gap0 = np.linalg.norm(X0[y == 1].mean(0) - X0[y == 0].mean(0))
    gap1 = np.linalg.norm(X1[y == 1].mean(0) - X1[y == 0].mean(0))
    assert gap1 - gap0 == pytest.approx(4.0, abs=0.5)


def test_twins_have_frames_and_messages():
    demo = regression.linear_regression_demo()
    frames = demo.twin_frames()
    assert 12 <= len(frames) <= 30
    html = demo.static_twin()
    assert html.count("data:image/png;base64,") == len(frames) + 1  # + the first shown
    assert "Training diverged" in html  # the lr = 10 frame shows the message as its caption
    captions = [c for c, _ in regression.LogisticRegressionDemo.twin_frames(None)]
    assert 12 <= len(captions) <= 30 and captions[-1] == "epoch 300"


def test_timings_are_recorded(lin_demo, log_demo):
    for demo in (lin_demo, log_demo):
        n = len(demo.timings)
        demo.set(epochs=10)
        assert len(demo.timings) == n + 1 and demo.timings[-1] > 0
