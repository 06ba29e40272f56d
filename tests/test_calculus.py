"""Tests of nnmath.calculus against closed forms, sympy and numpy.linalg."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath import calculus
from tests.conftest import EPS, examples, fd_atol


@pytest.mark.parametrize("f, df, x", [
    (np.sin, np.cos, 0.7),
    (np.exp, np.exp, -1.3),
    (lambda t: t ** 3, lambda t: 3 * t ** 2, 2.0),
])
def test_differences_approach_derivative(f, df, x):
    np.testing.assert_allclose(calculus.central_difference(f, x, 1e-5), df(x), rtol=1e-8)
    np.testing.assert_allclose(calculus.forward_difference(f, x, 1e-7), df(x), rtol=1e-5)


def test_truncation_error_orders():
    # forward: error ~ h f''(x) / 2 ; central: error ~ h^2 f'''(x) / 6 (Taylor)
    x, h = 0.5, 1e-3
    fwd_err = calculus.forward_difference(np.sin, x, h) - np.cos(x)
    cen_err = calculus.central_difference(np.sin, x, h) - np.cos(x)
    np.testing.assert_allclose(fwd_err, h * (-np.sin(x)) / 2, rtol=1e-2)
    np.testing.assert_allclose(cen_err, h ** 2 * (-np.cos(x)) / 6, rtol=1e-2)


def test_vectorised_over_points_and_steps():
    xs = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(calculus.central_difference(np.sin, xs, 1e-5), np.cos(xs),
                               rtol=1e-9)
    hs = np.array([1e-1, 1e-2, 1e-3])
    est = calculus.forward_difference(np.exp, 0.0, hs)
    # (exp(h) - 1) / h: exp(h) is rounded to ~EPS absolute, so the estimate to ~EPS / h
    np.testing.assert_allclose(est, np.expm1(hs) / hs, rtol=10 * EPS / hs.min())
    assert np.all(np.diff(np.abs(est - 1.0)) < 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_jacobian_matches_sympy(seed):
    a, b, c = sp.symbols("a b c", real=True)
    F = sp.Matrix([a * b + sp.sin(c), sp.exp(a) * c, a ** 2 - b * c ** 3])
    J_sym = sp.lambdify([(a, b, c)], F.jacobian([a, b, c]), "numpy")
    F_num = sp.lambdify([(a, b, c)], F, "numpy")
    x = np.random.default_rng(seed).normal(size=3)
    J = calculus.jacobian(lambda v: np.asarray(F_num(v), dtype=float).ravel(), x)
    assert J.shape == (3, 3)
    # round-off EPS * (size of the terms) / h; the terms are bounded by F at |x| (plus 1 for the
    # sine), and so, generously, are the third derivatives (6 b for b c^3)
    scale = 1 + np.abs(np.asarray(F_num(np.abs(x)), dtype=float)).max()
    np.testing.assert_allclose(J, np.asarray(J_sym(x), dtype=float), rtol=1e-7,
                               atol=fd_atol(scale, d3=6 * scale))


def test_jacobian_of_linear_map_is_the_matrix():
    M = np.random.default_rng(3).normal(size=(2, 4))
    np.testing.assert_allclose(calculus.jacobian(lambda v: M @ v, np.zeros(4)), M, atol=1e-9)


def test_jacobian_of_scalar_function_is_gradient_row():
    f = nm.calculus.quadratic_bowl((2.0, 5.0), 0.3, (1.0, -1.0))
    x = np.array([0.3, 0.8])
    np.testing.assert_allclose(calculus.jacobian(f, x), f.grad(x)[None, :], rtol=1e-7)


@pytest.mark.parametrize("curv", [(1.0, 1.0), (1.0, 10.0), (0.5, 3.0)])
@pytest.mark.parametrize("angle", [0.0, 0.4])
def test_quadratic_bowl_eigenvalues_and_gradient(curv, angle):
    bowl = calculus.quadratic_bowl(curv, angle, (0.5, -0.2))
    # H = R diag(curv) R^T is built with rounded cos/sin: eigenvalues move by ~EPS ||H||,
    # relative <= EPS * cond(H) = 10 EPS; 1e-12 leaves > 100x
    np.testing.assert_allclose(bowl.curvatures(), sorted(curv), rtol=1e-12)
    np.testing.assert_allclose(bowl.condition_number, max(curv) / min(curv), rtol=1e-12)
    x = np.array([1.3, -0.7])
    np.testing.assert_allclose(bowl.grad(x), nm.numerical_gradient(bowl, x), rtol=1e-7)
    assert bowl(bowl.c) == 0.0
    pts = np.random.default_rng(0).normal(size=(4, 3, 2))
    np.testing.assert_allclose(bowl(pts), [[bowl(p) for p in row] for row in pts], rtol=1e-12)


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.19])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_descent_matches_closed_form(lr, seed):
    # on f = (x - c)^T H (x - c) / 2: x_t - c = (I - lr H)^t (x_0 - c)
    bowl = calculus.quadratic_bowl((1.0, 10.0), 0.5, (0.3, -0.4))
    x0 = np.random.default_rng(seed).normal(size=2)
    path = calculus.gradient_descent(bowl, bowl.grad, x0, lr, 25)
    assert path.points.shape == (26, 2) and path.losses.shape == (26,)
    G = np.eye(2) - lr * bowl.H
    expected = np.array([bowl.c + np.linalg.matrix_power(G, t) @ (x0 - bowl.c)
                         for t in range(26)])
    np.testing.assert_allclose(path.points, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(path.losses, [bowl(p) for p in expected], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(path.x, expected[-1], rtol=1e-10, atol=1e-12)


def test_gradient_descent_zero_steps():
    bowl = calculus.quadratic_bowl()
    path = calculus.gradient_descent(bowl, bowl.grad, [1.0, 2.0], 0.1, 0)
    np.testing.assert_allclose(path.points, [[1.0, 2.0]])
    np.testing.assert_allclose(path.losses, [2.5])


@settings(max_examples=examples(30), deadline=None)
@given(st.floats(0.5, 20.0), st.floats(0.5, 20.0), st.floats(0.0, np.pi))
def test_max_stable_lr_bound(l1, l2, angle):
    bowl = calculus.quadratic_bowl((l1, l2), angle)
    bound = calculus.max_stable_lr(bowl)
    np.testing.assert_allclose(bound, 2.0 / max(l1, l2), rtol=1e-12)
    x0 = np.array([1.0, 1.0])
    below = calculus.gradient_descent(bowl, bowl.grad, x0, 0.9 * bound, 300)
    above = calculus.gradient_descent(bowl, bowl.grad, x0, 1.1 * bound, 300)
    assert below.losses[-1] < below.losses[0]
    assert above.losses[-1] > above.losses[0]


def test_max_stable_lr_accepts_matrix():
    H = np.array([[4.0, 1.0], [1.0, 3.0]])
    # the same eigvalsh on both sides; 45 EPS would even allow a different eigensolver
    # (eigenvalue error <= EPS ||H|| with ||H|| / lambda_max ~ 1 here)
    np.testing.assert_allclose(calculus.max_stable_lr(H), 2 / np.linalg.eigvalsh(H).max(),
                               rtol=1e-14)


# --- errors -------------------------------------------------------------------------------
def test_gradient_descent_diverges_with_clear_error():
    bowl = calculus.quadratic_bowl((1.0, 10.0))
    with pytest.raises(nm.TrainingDiverged, match=r"diverged at step \d+ with learning rate 3"):
        calculus.gradient_descent(bowl, bowl.grad, [1.0, 1.0], 3.0, 1000)


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(lr=0.0), ValueError, r"lr must be a finite number > 0"),
    (dict(lr="big"), TypeError, r"lr must be a number"),
    (dict(lr=0.1, n_steps=-1), ValueError, r"n_steps must be an integer >= 0"),
    (dict(lr=0.1, n_steps=2.5), TypeError, r"n_steps must be an integer"),
])
def test_gradient_descent_validation(kwargs, exc, msg):
    bowl = calculus.quadratic_bowl()
    with pytest.raises(exc, match=msg):
        calculus.gradient_descent(bowl, bowl.grad, [1.0, 1.0], **kwargs)


def test_gradient_descent_start_point_shape():
    bowl = calculus.quadratic_bowl()
    with pytest.raises(ValueError, match=r"Expected 1D array for x0"):
        calculus.gradient_descent(bowl, bowl.grad, [[1.0, 1.0]], 0.1)


def test_difference_step_validation():
    with pytest.raises(ValueError, match=r"h must be a finite number > 0"):
        calculus.forward_difference(np.sin, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"h must hold step sizes > 0"):
        calculus.central_difference(np.sin, 1.0, [1e-3, -1e-3])
    with pytest.raises(ValueError, match=r"Expected 1D array for x"):
        calculus.jacobian(np.sin, [[1.0]])


def test_bowl_and_bound_validation():
    with pytest.raises(ValueError, match=r"curvatures must be two numbers >= 0.*saddle"):
        calculus.quadratic_bowl((1.0, -1.0))
    with pytest.raises(ValueError, match=r"center must have 2 entries"):
        calculus.quadratic_bowl(center=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match=r"symmetric square matrix.*not symmetric"):
        calculus.max_stable_lr([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"no positive curvature"):
        calculus.max_stable_lr(np.zeros((2, 2)))
