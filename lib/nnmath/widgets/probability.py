"""The demo of the probability chapter: the likelihood of a Gaussian as the sample grows.

- :func:`likelihood_demo`: a sample of ``n`` points from :math:`\\mathcal N(\\mu, \\sigma^2)`
  (true mean, true standard deviation and seed are controls too). The left panel shows the
  sample's histogram with the true density and the fitted one,
  :math:`\\mathcal N(\\hat\\mu, \\hat\\sigma^2)`; the right panel shows the log-likelihood
  :math:`\\ell(\\mu, \\sigma)` over a grid, relative to its maximum
  :math:`\\ell(\\hat\\mu, \\hat\\sigma)`, in bands 0.5, 2, 4.5, 8, 20 and 50 below it. As ``n``
  grows the bands shrink around the true parameters, about like :math:`1/\\sqrt n`.

The numerical work is done by :func:`nnmath.gaussian_log_likelihood` and
:func:`nnmath.gaussian_mle`; this module only draws. With ``n = 1`` the likelihood has no
maximum (it grows without bound as :math:`\\sigma \\to 0`); the demo says so in place. Left out:
other distributions, and the likelihood of a model with inputs (the regression chapters).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap

from ..plotting import CLASS_COLORS, pin_axis_labels
from ..probability import gaussian_log_likelihood, gaussian_mle
from ._base import Demo

__all__ = ["likelihood_demo", "LikelihoodDemo"]

_BLUE, _ORANGE = CLASS_COLORS[0], CLASS_COLORS[1]
#: the plotted parameter grid: mean on the x axis, standard deviation on the y axis
MU_GRID = np.linspace(-3.0, 3.0, 121)
SIGMA_GRID = np.linspace(0.1, 4.0, 79)
#: band edges of l(mu, sigma) - l_max; the innermost band is "within 0.5 of the maximum"
LEVELS = (-50.0, -20.0, -8.0, -4.5, -2.0, -0.5, 0.0)
_BINS = np.linspace(-9.0, 9.0, 37)
_XS = np.linspace(-9.0, 9.0, 241)
_MAX_N = 500


def _pdf(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2.0 * np.pi))


class LikelihoodDemo(Demo):
    """Histogram and fitted density of a Gaussian sample, and its log-likelihood surface."""

    title = "The likelihood of a Gaussian sample over (μ, σ)"
    figsize = (9.4, 3.9)

    def make_controls(self):
        return {
            "n": widgets.IntSlider(value=20, min=1, max=_MAX_N, description="sample size n",
                                   continuous_update=False),
            "mu": widgets.FloatSlider(value=1.0, min=-1.5, max=1.5, step=0.1,
                                      description="true mean μ", continuous_update=False),
            "sigma": widgets.FloatSlider(value=1.5, min=0.5, max=2.5, step=0.1,
                                         description="true sd σ", continuous_update=False),
            "seed": widgets.IntSlider(value=0, min=0, max=20, description="seed",
                                      continuous_update=False),
        }

    def setup_figure(self, fig, axes):
        ax, ax_ll = axes
        self._hist = ax.stairs(np.zeros(_BINS.size - 1), _BINS, fill=True, color="#56B4E9",
                               alpha=0.6, label="sample (histogram)")
        self._true_pdf, = ax.plot([], [], "k--", lw=1.2, label="true density")
        self._fit_pdf, = ax.plot([], [], color=_ORANGE, lw=2, label="fitted N(μ̂, σ̂²)")
        ax.set_xlim(_BINS[0], _BINS[-1])
        ax.set_ylim(0, 1.0)
        ax.set_xticks([-8, -4, 0, 4, 8])
        ax.set_yticks([0, 0.5, 1.0])
        ax.set_xlabel("x")
        ax.set_ylabel("density")
        ax.legend(loc="upper left", fontsize=8, framealpha=1)
        colours = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd"]
        self._norm = BoundaryNorm(LEVELS, len(colours))
        self._surface = ax_ll.imshow(
            np.full((SIGMA_GRID.size, MU_GRID.size), -100.0), origin="lower", aspect="auto",
            extent=(MU_GRID[0], MU_GRID[-1], SIGMA_GRID[0], SIGMA_GRID[-1]),
            cmap=ListedColormap(colours).with_extremes(under="white"), norm=self._norm,
            interpolation="bilinear")
        self._true_mark, = ax_ll.plot([], [], "k*", ms=11, label="true (μ, σ)")
        self._mle_mark, = ax_ll.plot([], [], "o", color=_ORANGE, mec="k", ms=6,
                                     label="maximum (μ̂, σ̂)")
        ax_ll.set_xlabel("mean μ")
        ax_ll.set_ylabel("standard deviation σ")
        ax_ll.set_xticks([-3, -2, -1, 0, 1, 2, 3])
        ax_ll.set_yticks([0.1, 1, 2, 3, 4])
        ax_ll.legend(loc="upper left", fontsize=8, framealpha=1)
        cbar = fig.colorbar(self._surface, ax=ax_ll, ticks=LEVELS, shrink=0.9)
        cbar.set_label("ℓ(μ, σ) − ℓ(μ̂, σ̂)")
        ax.set_title("placeholder", fontsize=10)  # so that the layout leaves room for titles
        ax_ll.set_title("placeholder", fontsize=10)
        fig.draw_without_rendering()  # constrained layout once, then frozen
        pin_axis_labels(fig, axes)
        fig.set_layout_engine("none")

    def dynamic_artists(self):
        ax, ax_ll = self.axes
        return [self._hist, self._true_pdf, self._fit_pdf, ax.title,
                self._surface, self._true_mark, self._mle_mark, ax_ll.title]

    def compute(self, n, mu, sigma, seed):
        # one stream per (seed, mu, sigma): growing n adds points to the same sample
        x = mu + sigma * np.random.default_rng(seed).standard_normal(_MAX_N)[:n]
        mu_hat, sigma_hat = gaussian_mle(x)
        surface = gaussian_log_likelihood(x, MU_GRID[None, :, None], SIGMA_GRID[:, None, None])
        if sigma_hat > 0:
            top = gaussian_log_likelihood(x, mu_hat, sigma_hat)
        else:
            top = surface.max()
            self.notify("With one observation the likelihood has no maximum: with μ at that "
                        "observation it grows without bound as σ → 0, so σ̂ = 0. The bands are "
                        "drawn relative to the largest value on the grid; add a second point.")
        if 0 < sigma_hat < SIGMA_GRID[0]:
            self.notify(f"σ̂ = {sigma_hat:.3f} is below the plotted range: the points happen "
                        "to lie very close together.")
        return dict(x=x, n=n, mu=mu, sigma=sigma, mu_hat=mu_hat, sigma_hat=sigma_hat,
                    relative=surface - top, true_relative=gaussian_log_likelihood(
                        x, mu, sigma) - top)

    def draw(self, s):
        ax, ax_ll = self.axes
        counts, _ = np.histogram(s["x"], bins=_BINS)
        self._hist.set_data(counts / (s["n"] * np.diff(_BINS)))
        self._true_pdf.set_data(_XS, _pdf(_XS, s["mu"], s["sigma"]))
        if s["sigma_hat"] > 0:
            self._fit_pdf.set_data(_XS, _pdf(_XS, s["mu_hat"], s["sigma_hat"]))
        else:
            self._fit_pdf.set_data([], [])
        ax.set_title(f"n = {s['n']} points from N({s['mu']:g}, {s['sigma']:g}²)", fontsize=10)
        self._surface.set_data(s["relative"])
        self._true_mark.set_data([s["mu"]], [s["sigma"]])
        self._mle_mark.set_data([s["mu_hat"]], [s["sigma_hat"]])
        ax_ll.set_title(f"μ̂ = {s['mu_hat']:.2f}, σ̂ = {s['sigma_hat']:.2f};  "
                        f"ℓ(true) − ℓ(μ̂, σ̂) = {s['true_relative']:.1f}", fontsize=10)

    def twin_frames(self):
        true = dict(mu=1.0, sigma=1.5, seed=0)
        frames = [(f"n = {n}", dict(true, n=n))
                  for n in (2, 3, 5, 10, 20, 50, 100, 200, 500)]
        frames += [(f"n = 50, another sample (seed {seed})", dict(true, n=50, seed=seed))
                   for seed in (1, 2, 3)]
        return frames


def likelihood_demo() -> LikelihoodDemo:
    """A Gaussian sample of growing size: its histogram, fit and log-likelihood surface."""
    return LikelihoodDemo()
