"""Tests of the universal-approximation demo, driven from code (no browser)."""

import numpy as np
import pytest

from nnmath.widgets import approximation as ap


@pytest.fixture(scope="module")
def demo():
    return ap.approximation_demo()


def test_public_function_is_exported():
    import nnmath.widgets as w
    assert w.approximation_demo is ap.approximation_demo


def test_relu_layer_spans_the_piecewise_linear_interpolant():
    # the ReLU units relu(x - t_k), k < N, and a constant represent the interpolant through the
    # knots t_0..t_N (np.interp, an independent reference); the least-squares fit on X_FIT can
    # only be closer to f there, in the mean square
    f = ap.TARGETS["sin 3x + x/2"]
    for n in (4, 16, 64):
        knots = np.linspace(ap.A, ap.B, n + 1)
        feats = ap.hidden_features(ap.X_FIT, n, "relu")
        coef, *_ = np.linalg.lstsq(feats, np.interp(ap.X_FIT, knots, f(knots)), rcond=None)
        np.testing.assert_allclose(feats @ coef, np.interp(ap.X_FIT, knots, f(knots)),
                                   atol=1e-12)
        fitted = feats @ np.linalg.lstsq(feats, f(ap.X_FIT), rcond=None)[0]
        assert np.mean((fitted - f(ap.X_FIT)) ** 2) <= np.mean(
            (np.interp(ap.X_FIT, knots, f(knots)) - f(ap.X_FIT)) ** 2) * (1 + 1e-9)


def test_a_polynomial_activation_gives_the_best_quadratic():
    # with z^2 units (N >= 3 distinct centres) the network is any quadratic: the fit is
    # numpy's least-squares quadratic, and it does not improve with the width
    f = ap.TARGETS["sin 3x + x/2"]
    quad = np.polyval(np.polyfit(ap.X_FIT, f(ap.X_FIT), 2), ap.X_GRID)
    errs = []
    for n in (3, 16, 128):
        g, err = ap.fit("sin 3x + x/2", n, "z² (a polynomial)")
        np.testing.assert_allclose(g, quad, atol=1e-8)
        errs.append(err)
    np.testing.assert_allclose(errs, np.max(np.abs(quad - f(ap.X_GRID))), rtol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_error_falls_with_width_for_smooth_targets(activation):
    curve = ap._error_curve("sin 3x + x/2", activation)
    assert curve[-1] < 0.01 and np.all(curve[4:] < 0.1), curve
    assert np.all(np.diff(curve[3:]) < 0), curve          # from 8 units on, every doubling helps
    if activation == "relu":                              # second order: a quarter per doubling
        np.testing.assert_allclose(curve[4:] / curve[3:-1], 0.25, atol=0.05)


def test_the_step_stays_half_off():
    for activation in ap.ACTIVATIONS:
        assert np.all(ap._error_curve("step (not continuous)", activation) > 0.45)


def test_controls_update_the_figure(demo):
    demo.set(target="sin 8x (wiggly)", activation="tanh", width=32)
    s = demo.state
    assert demo.message.value == "" and s["width"] == 32
    np.testing.assert_array_equal(demo._net_line.get_ydata(), np.clip(s["g"], -50, 50))
    np.testing.assert_allclose(s["err"], ap.fit("sin 8x (wiggly)", 32, "tanh")[1])
    assert "32 tanh units" in demo.axes[0].get_title()
    demo.set(activation="z² (a polynomial)")
    assert "polynomial" in demo.message.value
    demo.set(activation="relu", target="step (not continuous)")
    assert "not continuous" in demo.message.value


def test_bad_values_are_messages_not_tracebacks(demo):
    for values in ({"target": "cos x", "activation": "relu", "width": 4},
                   {"target": "sin 3x + x/2", "activation": "cubic", "width": 4},
                   {"target": "sin 3x + x/2", "activation": "relu", "width": 0}):
        msg = demo._render(values)
        assert "&#9888;" in msg and "Traceback" not in msg
    demo.set(target="sin 3x + x/2", activation="relu", width=8)
    assert demo.message.value == ""


def test_timings_and_static_twin(demo):
    n = len(demo.timings)
    demo.set(width=9)
    assert len(demo.timings) == n + 1 and demo.timings[-1] > 0
    frames = demo.twin_frames()
    assert 12 <= len(frames) <= 30
    html = demo.static_twin()
    assert html.count("data:image/png;base64,") == len(frames) + 1
    assert "Unexpected error" not in html
    assert "text/html" in demo._repr_mimebundle_()
