"""Tests of the chapter 1-2 demos: driven from code, no browser."""

import numpy as np
import pytest

import nnmath as nm
from nnmath.widgets import maths


@pytest.fixture(scope="module")
def matrix_demo():
    return maths.matrix_transform_demo()


@pytest.fixture(scope="module")
def derivative_demo():
    return maths.derivative_demo()


@pytest.fixture(scope="module")
def gd_demo():
    return maths.gradient_descent_demo()


def test_public_functions_are_exported():
    import nnmath.widgets as w
    assert w.matrix_transform_demo is maths.matrix_transform_demo
    assert w.derivative_demo is maths.derivative_demo
    assert w.gradient_descent_demo is maths.gradient_descent_demo


@pytest.mark.parametrize("a, b, c, d", [(1, 0, 0, 1), (0.5, -1.2, 0.3, 2.0), (0, -1, 1, 0)])
def test_matrix_demo_det_and_images(matrix_demo, a, b, c, d):
    matrix_demo.set(a=a, b=b, c=c, d=d)
    M, det, singular = matrix_demo.compute(a=a, b=b, c=c, d=d)
    np.testing.assert_allclose(det, np.linalg.det(np.array([[a, b], [c, d]])), atol=1e-12)
    assert not singular and matrix_demo.message.value == ""
    # the arrows of the right panel end at M e1 = (a, c) and M e2 = (b, d)
    np.testing.assert_allclose(matrix_demo._arrows[2].xy, (a, c))
    np.testing.assert_allclose(matrix_demo._arrows[3].xy, (b, d))
    # the image of the unit square has area |det M| (shoelace formula)
    x, y = matrix_demo._square.get_xy()[:4].T
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    np.testing.assert_allclose(area, abs(np.linalg.det([[a, b], [c, d]])), atol=1e-12)


def test_matrix_demo_singular_message(matrix_demo):
    matrix_demo.set(a=1, b=2, c=0.5, d=1)
    assert "det M = 0" in matrix_demo.message.value
    assert "no inverse" in matrix_demo.message.value
    matrix_demo.set(a=1, b=0, c=0, d=1)
    assert matrix_demo.message.value == ""


@pytest.mark.parametrize("method, fd", [("forward", nm.calculus.forward_difference),
                                        ("central", nm.calculus.central_difference)])
def test_derivative_demo_estimate(derivative_demo, method, fd):
    derivative_demo.set(function="exp(x)", x0=0.5, log10_h=-2, method=method)
    s = derivative_demo.compute(**derivative_demo.values)
    np.testing.assert_allclose(s["exact"], np.exp(0.5), rtol=1e-15)
    h = 1e-2
    ref = ((np.exp(0.5 + h) - np.exp(0.5)) / h if method == "forward"
           else (np.exp(0.5 + h) - np.exp(0.5 - h)) / (2 * h))
    np.testing.assert_allclose(s["estimate"], ref, rtol=1e-12)
    assert derivative_demo.message.value == ""


@pytest.mark.parametrize("name", list(maths.FUNCTIONS))
def test_derivative_demo_closed_forms(name):
    f, df = maths.FUNCTIONS[name]
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(df(x), nm.calculus.central_difference(f, x, 1e-5), rtol=1e-8,
                               atol=1e-10)


def test_gd_demo_converges_below_bound(gd_demo):
    gd_demo.set(surface="elongated bowl", lr=0.1, steps=60, x0=-2.5, y0=1.5)
    surface, bowl, bound, path = gd_demo.compute(**gd_demo.values)
    np.testing.assert_allclose(bound, 2 / 10.0, rtol=1e-12)
    assert gd_demo.message.value == ""
    assert path.losses[-1] < 1e-3 * path.losses[0]


def test_gd_demo_diverging_setting_shows_message(gd_demo):
    gd_demo.set(surface="round bowl", lr=2.2, steps=30)
    assert "exceeds 2/λ_max = 2" in gd_demo.message.value
    assert "Traceback" not in gd_demo.message.value


def test_gd_demo_overflow_shows_training_diverged(gd_demo):
    gd_demo.set(surface="elongated bowl", lr=3.0, steps=200)
    msg = gd_demo.message.value
    assert "Training diverged at step" in msg and "smaller learning rate" in msg
    # the finite part of the path is still drawn
    assert len(gd_demo._path.get_xdata()) > 10


@pytest.mark.parametrize("fixture, n_frames", [("matrix_demo", 12), ("derivative_demo", 12),
                                               ("gd_demo", 12)])
def test_static_twins(request, fixture, n_frames):
    demo = request.getfixturevalue(fixture)
    frames = demo.twin_frames()
    assert len(frames) == n_frames
    html = demo.static_twin()
    assert html.count("data:image/png;base64,") == n_frames + 1  # the <img> + the frame list
    assert "&#9888;" not in html
    assert "text/html" in demo._repr_mimebundle_()


def test_timings_are_recorded(matrix_demo):
    before = len(matrix_demo.timings)
    matrix_demo.set(a=0.7)
    assert len(matrix_demo.timings) == before + 1
