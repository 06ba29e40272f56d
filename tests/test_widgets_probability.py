"""Tests of the probability chapter's demo, driven from code (no browser)."""

import numpy as np
import pytest
from scipy import stats

from nnmath.widgets import probability


@pytest.fixture(scope="module")
def demo():
    return probability.likelihood_demo()


def test_public_function_is_exported():
    import nnmath.widgets as w
    assert w.likelihood_demo is probability.likelihood_demo


@pytest.mark.parametrize("n, mu, sigma, seed", [(2, 0.0, 1.0, 0), (50, 1.0, 1.5, 3),
                                                (500, -1.2, 0.6, 7)])
def test_surface_is_the_log_likelihood_relative_to_the_fit(demo, n, mu, sigma, seed):
    demo.set(n=n, mu=mu, sigma=sigma, seed=seed)
    s = demo.compute(**demo.values)
    assert demo.message.value == "" and s["x"].shape == (n,)
    # the fit is scipy's maximum-likelihood fit
    loc, scale = stats.norm.fit(s["x"])
    np.testing.assert_allclose([s["mu_hat"], s["sigma_hat"]], [loc, scale], rtol=1e-12)
    # the surface is scipy's log-likelihood minus its value at the fit (a difference of sums
    # of n terms of size up to ~ (x - mu)^2 / sigma^2 <= 1e3: round-off ~ n * 1e3 * eps)
    top = stats.norm.logpdf(s["x"], loc, scale).sum()
    for i, j in [(0, 0), (40, 60), (-1, -1), (10, 100)]:
        ref = stats.norm.logpdf(s["x"], probability.MU_GRID[j], probability.SIGMA_GRID[i]).sum()
        np.testing.assert_allclose(s["relative"][i, j], ref - top, rtol=1e-10, atol=1e-9 * n)
    # the maximum over the grid is not above the maximum of the likelihood
    assert s["relative"].max() <= 1e-9 * n
    np.testing.assert_allclose(
        s["true_relative"], stats.norm.logpdf(s["x"], mu, sigma).sum() - top, rtol=1e-10,
        atol=1e-9 * n)
    # the image shows this surface, and the markers sit at the truth and the fit
    np.testing.assert_array_equal(demo._surface.get_array(), s["relative"])
    np.testing.assert_allclose(demo._mle_mark.get_xydata(), [[loc, scale]], rtol=1e-12)
    np.testing.assert_allclose(demo._true_mark.get_xydata(), [[mu, sigma]])


def test_growing_n_extends_the_same_sample(demo):
    demo.set(n=10, mu=1.0, sigma=1.5, seed=4)
    small = demo.compute(**demo.values)["x"]
    demo.set(n=40)
    np.testing.assert_array_equal(demo.compute(**demo.values)["x"][:10], small)


def test_the_region_shrinks_as_n_grows(demo):
    # {l >= l_max - 2} is about the ellipse with semi-axes 2 sigma_hat / sqrt(n) in mu and
    # 2 sigma_hat / sqrt(2 n) in sigma, so its area is about 2 sqrt(2) pi sigma_hat^2 / n
    for n in (20, 80, 320):
        demo.set(n=n, mu=0.0, sigma=1.5, seed=1)
        s = demo.compute(**demo.values)
        cell = np.diff(probability.MU_GRID[:2]) * np.diff(probability.SIGMA_GRID[:2])
        area = np.sum(s["relative"] >= -2.0) * cell[0]
        ellipse = 2 * np.sqrt(2) * np.pi * s["sigma_hat"] ** 2 / n
        assert 0.7 < area / ellipse < 1.4, (n, area, ellipse)


def test_one_point_says_why_there_is_no_maximum(demo):
    demo.set(n=1)
    msg = demo.message.value
    assert "no maximum" in msg and "σ → 0" in msg and "Traceback" not in msg
    demo.set(n=5)
    assert demo.message.value == ""


def test_static_twin(demo):
    frames = demo.twin_frames()
    assert 12 <= len(frames) <= 30
    html = demo.static_twin()
    assert html.count("data:image/png;base64,") == len(frames) + 1
    assert "&#9888;" not in html
    assert "text/html" in demo._repr_mimebundle_()
