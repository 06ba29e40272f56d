"""Tests of nnmath.surfaces: gradients against sympy and central differences, paths
against closed forms, divergence handling and messages."""

import numpy as np
import pytest
import sympy as sp

import nnmath as nm
from nnmath import surfaces
from tests.conftest import EPS, assert_gradient_matches_fd

# Size of the terms summed (and cancelling) in each surface on the boxes used below: the
# absolute round-off of a value or gradient entry is ~EPS times this (Rosenbrock: 400 x^3).
TERM_SCALE = {"elongated": 1e2, "rosenbrock": 5e3, "saddle": 1e1}

x, y = sp.symbols("x y")
SYMPY = {
    "elongated": (x ** 2 + 25 * y ** 2) / 2,
    "rosenbrock": (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    "saddle": (x ** 2 - y ** 2) / 2 + y ** 4 / 4,
}


@pytest.mark.parametrize("name", list(surfaces.SURFACES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_and_gradient_match_sympy(name, seed):
    surf = surfaces.get_surface(name)
    expr = SYMPY[name]
    f = sp.lambdify((x, y), expr, "numpy")
    g = sp.lambdify((x, y), [sp.diff(expr, x), sp.diff(expr, y)], "numpy")
    P = np.random.default_rng(seed).uniform(-2, 2, size=(5, 2))
    atol = 10 * EPS * TERM_SCALE.get(name, 1e4)
    np.testing.assert_allclose(surf(P), f(P[:, 0], P[:, 1]), rtol=1e-12, atol=atol)
    np.testing.assert_allclose(surf.gradient(P), np.column_stack(g(P[:, 0], P[:, 1])),
                               rtol=1e-12, atol=atol)


@pytest.mark.parametrize("name", list(surfaces.SURFACES))
def test_gradient_matches_central_differences(name):
    surf = surfaces.get_surface(name)
    for p in np.random.default_rng(7).uniform(-1.5, 1.5, size=(4, 2)):
        # polynomials of degree <= 4: |f'''| <= 24 * 100 * 1.5 (Rosenbrock's 100 x^4)
        assert_gradient_matches_fd(lambda q, s=surf: s(q), p, surf.gradient(p),
                                   f_scale=TERM_SCALE.get(name, 1e4), d3=4000.0)


@pytest.mark.parametrize("name", list(surfaces.SURFACES))
def test_minima_are_stationary_with_the_stated_value(name):
    surf = surfaces.get_surface(name)
    for m in surf.minima:
        np.testing.assert_allclose(surf.gradient(np.array(m)), [0.0, 0.0], atol=1e-12)
        np.testing.assert_allclose(surf(np.array(m)), surf.min_value, atol=1e-12)
    grid = np.stack(np.meshgrid(np.linspace(*surf.xlim, 81), np.linspace(*surf.ylim, 81)), -1)
    assert surf(grid).min() >= surf.min_value - 1e-12


@pytest.mark.parametrize("lr", [0.01, 0.05])
@pytest.mark.parametrize("steps", [1, 10, 40])
def test_sgd_path_on_quadratic_is_geometric(lr, steps):
    # On f = (x^2 + 25 y^2)/2 gradient descent multiplies x by (1 - lr), y by (1 - 25 lr).
    path = surfaces.optimizer_path("elongated", "sgd", steps, lr=lr, start=(2.0, -1.0))
    t = np.arange(steps + 1)
    np.testing.assert_allclose(path.points[:, 0], 2.0 * (1 - lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(path.points[:, 1], -1.0 * (1 - 25 * lr) ** t, rtol=1e-10,
                               atol=1e-300)
    np.testing.assert_allclose(path.losses, surfaces.SURFACES["elongated"](path.points),
                               rtol=1e-12)
    assert path.diverged_at is None and path.message == ""


def test_path_with_instance_matches_manual_loop():
    surf = surfaces.get_surface("rosenbrock")
    path = surfaces.optimizer_path(surf, nm.Adam(lr=0.05), 30)
    p, opt = {"p": np.array(surf.start)}, nm.Adam(lr=0.05)
    for _ in range(30):
        opt.step(p, {"p": surf.gradient(p["p"])})
    np.testing.assert_allclose(path.points[-1], p["p"], rtol=1e-12)
    assert path.points.shape == (31, 2) and path.losses.shape == (31,)


def test_divergence_raises_or_stops():
    # lr above 2/25 makes the y-coordinate grow by |1 - 25 lr| > 1 per step.
    with pytest.raises(nm.TrainingDiverged, match="SGD diverged at step .* smaller learning"):
        surfaces.optimizer_path("elongated", "sgd", 500, lr=0.1)
    path = surfaces.optimizer_path("elongated", "sgd", 500, lr=0.1, on_divergence="stop")
    # |y_t| = 1.5 * 1.5^t leaves the disc of radius 1e6 when 1.5^(t+1) > 1e6
    first = int(np.ceil(np.log(1e6) / np.log(1.5))) - 1
    assert path.diverged_at == first
    assert path.points.shape == (first, 2) and np.all(np.isfinite(path.losses))
    assert "diverged at step" in path.message
    # Rosenbrock overflows to inf quickly with a large rate: no warning, a clean stop
    path = surfaces.optimizer_path("rosenbrock", "sgd", 100, lr=0.1, on_divergence="stop",
                                   bound=1e300)
    assert path.diverged_at is not None and "loss became" in path.message


@pytest.mark.parametrize("call, exc, match", [
    (lambda: surfaces.get_surface("bowl"), ValueError, "Unknown surface 'bowl'"),
    (lambda: surfaces.optimizer_path("saddle", "sgd", 5), ValueError, "so lr is needed"),
    (lambda: surfaces.optimizer_path("saddle", "nadam", 5, lr=0.1), ValueError,
     "Unknown optimizer"),
    (lambda: surfaces.optimizer_path("saddle", "sgd", -1, lr=0.1), ValueError,
     "steps must be an integer >= 0"),
    (lambda: surfaces.optimizer_path("saddle", "sgd", 5, lr=0.1, start=(1, 2, 3)), ValueError,
     r"start must be a point \(x, y\) of shape \(2,\)"),
    (lambda: surfaces.optimizer_path("saddle", "sgd", 5, lr=0.1, on_divergence="ignore"),
     ValueError, "Unknown on_divergence"),
    (lambda: surfaces.SURFACES["saddle"](np.zeros(3)), ValueError, r"p must have shape \(2,\)"),
    (lambda: surfaces.SURFACES["saddle"].gradient(np.zeros((4, 3))), ValueError,
     r"got shape \(4, 3\)"),
])
def test_messages(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
