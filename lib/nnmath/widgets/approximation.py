"""The demo of universal approximation (section "Why networks work" of the MLP chapter).

- :func:`approximation_demo`: a network with one hidden layer of ``N`` units approximates a
  target function on :math:`[-2, 2]`. The hidden layer is placed by hand: unit ``k`` computes
  :math:`\\sigma(s(x - t_k))` with evenly spaced centres :math:`t_k` (slope ``s = 1`` for ReLU,
  ``s = 2 / h`` for tanh and sigmoid, ``h`` the spacing of the centres); only the output layer
  (``N`` weights and a bias) is *fitted*, by linear least squares on 400 evenly spaced samples
  of the target. The left panel shows target and network, the right panel the largest error
  on a grid of 2001 points against the width, for widths 1, 2, 4, ..., 128 and the chosen one.

Three things to see: the error falls with the width for every non-polynomial activation (the
theorem); with the activation :math:`z^2`, a polynomial, every network is a polynomial of
degree at most 2 and the error stops falling (why the theorem excludes polynomials); and the
step, which is not continuous, stays about :math:`\\tfrac12` off near its jump, whatever the
width (a continuous function cannot do better). Left out: training the hidden layer (that is
the MLP playground), and inputs of more than one dimension.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from ..activations import relu, sigmoid
from ..plotting import CLASS_COLORS
from ._base import Demo

__all__ = ["approximation_demo", "ApproximationDemo", "TARGETS", "hidden_features", "fit"]

A, B = -2.0, 2.0
X_FIT = np.linspace(A, B, 400)  # the samples the output layer is fitted to
X_GRID = np.linspace(A, B, 2001)  # where the error is measured (and the curves drawn)
WIDTHS = (1, 2, 4, 8, 16, 32, 64, 128)
TARGETS = {
    "sin 3x + x/2": lambda x: np.sin(3 * x) + 0.5 * x,
    "sin 8x (wiggly)": lambda x: np.sin(8 * x),
    "|x| - 1 (a kink)": lambda x: np.abs(x) - 1.0,
    "step (not continuous)": lambda x: np.where(x >= 0.0, 1.0, 0.0),
}
ACTIVATIONS = {"relu": relu, "tanh": np.tanh, "sigmoid": sigmoid,
               "z² (a polynomial)": np.square}


def hidden_features(x, n_units, activation):
    """Outputs of the hand-placed hidden layer and a constant column, shape ``(len(x), N + 1)``.

    Unit ``k`` is ``activation(s (x - t_k))``: for ReLU the centres are the left knots of
    ``N`` equal intervals of ``[-2, 2]`` and ``s = 1`` (the construction of the interpolant);
    otherwise they are the midpoints and ``s = 2 / h``.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if not (isinstance(n_units, int | np.integer) and 1 <= n_units <= 1000):
        raise ValueError(f"the width must be a whole number from 1 to 1000, got {n_units!r}")
    h = (B - A) / n_units
    if activation == "relu":
        centres, slope = A + h * np.arange(n_units), 1.0
    else:
        centres, slope = A + h * (np.arange(n_units) + 0.5), 2.0 / h
    units = ACTIVATIONS[activation](slope * (np.asarray(x, float)[:, None] - centres))
    return np.column_stack([np.ones(len(x)), units])


def fit(target, n_units, activation):
    """Least-squares output layer: ``(network values on X_GRID, max |error| on X_GRID)``."""
    f = TARGETS[target]
    coef, *_ = np.linalg.lstsq(hidden_features(X_FIT, n_units, activation), f(X_FIT),
                               rcond=None)
    g = hidden_features(X_GRID, n_units, activation) @ coef
    return g, float(np.max(np.abs(g - f(X_GRID))))


@lru_cache(maxsize=32)
def _error_curve(target, activation):
    return np.array([fit(target, n, activation)[1] for n in WIDTHS])


class ApproximationDemo(Demo):
    """One hidden layer of N units, output layer fitted: the network and its error."""

    title = "Universal approximation: one hidden layer, growing width"
    figsize = (9.4, 3.7)

    def make_controls(self):
        return {
            "target": widgets.Dropdown(options=list(TARGETS), value="sin 3x + x/2",
                                       description="target f"),
            "activation": widgets.Dropdown(options=list(ACTIVATIONS), value="relu",
                                           description="activation"),
            "width": widgets.IntSlider(value=8, min=1, max=128, description="width N",
                                       continuous_update=False),
        }

    def setup_figure(self, fig, axes):
        ax, ax_err = axes
        self._target_line, = ax.plot([], [], "k", lw=3, alpha=0.3, label="target f")
        self._net_line, = ax.plot([], [], color=CLASS_COLORS[0], lw=1.6, label="network g")
        ax.set(xlim=(A, B), ylim=(-2.6, 2.6), xlabel="$x$")
        ax.legend(loc="lower right", fontsize=8, framealpha=1)
        self._curve, = ax_err.loglog([], [], "o-", color="0.5", ms=4, label="widths 1, 2, 4, …")
        self._mark, = ax_err.loglog([], [], "o", color=CLASS_COLORS[1], mec="k", ms=9,
                                    label="the width chosen")
        ax_err.set(xlim=(0.8, 160), ylim=(1e-6, 10), xlabel="width $N$ (hidden units)",
                   ylabel=r"$\max_x |f(x) - g(x)|$")
        ax_err.legend(loc="lower left", fontsize=8, framealpha=1)
        ax.set_title("placeholder", fontsize=10)  # room for the titles, then a frozen layout
        ax_err.set_title("placeholder", fontsize=10)
        fig.draw_without_rendering()
        fig.set_layout_engine("none")

    def dynamic_artists(self):
        ax, ax_err = self.axes
        return [self._target_line, self._net_line, self._curve, self._mark, ax.title,
                ax_err.title]

    def compute(self, target, activation, width):
        if target not in TARGETS:
            raise ValueError(f"target must be one of {sorted(TARGETS)}, got {target!r}")
        g, err = fit(target, width, activation)
        if activation.startswith("z²"):
            self.notify("z² is a polynomial: every such network is a polynomial of degree at "
                        "most 2, so more units do not help.")
        elif target.startswith("step"):
            self.notify("The step is not continuous: near its jump any continuous g is about "
                        "1/2 off, whatever the width.")
        return dict(target=target, activation=activation, width=width, g=g, err=err,
                    curve=_error_curve(target, activation))

    def draw(self, s):
        ax, ax_err = self.axes
        self._target_line.set_data(X_GRID, TARGETS[s["target"]](X_GRID))
        self._net_line.set_data(X_GRID, np.clip(s["g"], -50, 50))
        ax.set_title(f"f = {s['target']},  {s['width']} {s['activation']} units", fontsize=10)
        self._curve.set_data(WIDTHS, np.maximum(s["curve"], 1e-6))
        self._mark.set_data([s["width"]], [max(s["err"], 1e-6)])
        ax_err.set_title(f"largest error {s['err']:.2e}", fontsize=10)

    def twin_frames(self):
        smooth = dict(target="sin 3x + x/2")
        frames = [(f"ReLU, N = {n}", dict(smooth, activation="relu", width=n))
                  for n in (2, 4, 8, 16, 32, 64)]
        frames += [(f"tanh, N = {n}", dict(smooth, activation="tanh", width=n))
                   for n in (4, 64)]
        frames += [(f"z² (a polynomial), N = {n}", dict(smooth, activation="z² (a polynomial)",
                                                        width=n)) for n in (4, 64)]
        frames += [(f"sin 8x, ReLU, N = {n}", dict(target="sin 8x (wiggly)", activation="relu",
                                                   width=n)) for n in (8, 32)]
        frames += [(f"the step, ReLU, N = {n}", dict(target="step (not continuous)",
                                                     activation="relu", width=n))
                   for n in (64,)]
        return frames


def approximation_demo() -> ApproximationDemo:
    """A one-hidden-layer network of growing width against a target function."""
    return ApproximationDemo()
