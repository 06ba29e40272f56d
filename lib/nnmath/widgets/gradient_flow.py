"""The demo of "Training deep networks": gradients per layer at initialisation.

- :func:`gradient_flow_demo`: a network of ``D`` layers of 64 units (``D - 1`` hidden layers,
  then 10 outputs) with one activation, started by He or Xavier weights times a scale ``g``,
  on a fixed batch of 128 Gaussian inputs with random labels. The left panel shows the norm
  ``||dW_l||_F`` of the gradient of the mean cross-entropy for every weight matrix, the right
  panel the standard deviation of every layer's pre-activations ``Z_l`` (both log scale), so
  a learner sees gradients vanish or explode with depth and how the initialisation, batch
  normalisation or global-norm gradient clipping (to norm 1) change that.

The numbers come from :class:`nnmath.MLP` (``init_params``, ``forward`` and
``loss_and_grads``) and :func:`nnmath.optim.clip_grad_norm`; this module only draws. A
gradient that overflows or underflows to exactly zero is reported in place. Left out:
training (the section trains such networks), other widths and inputs.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from ..mlp import MLP
from ..optim import clip_grad_norm
from ..plotting import CLASS_COLORS, pin_axis_labels
from ._base import Demo

__all__ = ["gradient_flow_demo", "GradientFlowDemo"]

WIDTH, N_SAMPLES, N_CLASSES, MAX_DEPTH = 64, 128, 10, 40
#: the variance of each rule for a square layer, times g^2: Var(w) = g^2 * VARIANCE[init] / WIDTH
VARIANCE = {"He": 2.0, "Xavier": 1.0}
_rng = np.random.default_rng(0)
X = _rng.standard_normal((N_SAMPLES, WIDTH))
Y = _rng.integers(0, N_CLASSES, N_SAMPLES)


def scaled_init(init: str, g: float):
    """The initialiser ``f(fan_in, fan_out, rng)``: normal weights of variance g^2 * rule."""
    def initialiser(fan_in, fan_out, rng):
        var = g ** 2 * (2.0 / fan_in if init == "He" else 2.0 / (fan_in + fan_out))
        return np.sqrt(var) * rng.standard_normal((fan_in, fan_out))
    return initialiser


def gradient_profile(depth, activation, init, g, batch_norm=False, clip=False, seed=0):
    """Per layer l = 1..depth: ``||dW_l||_F`` and the standard deviation of ``Z_l``.

    Returns a dict with ``grad_norms`` (depth,), ``z_std`` (depth,), the global gradient
    norm ``total`` before clipping and ``clipped`` (the norms after clipping to 1, or None).
    """
    model = MLP([WIDTH] + [WIDTH] * (depth - 1) + [N_CLASSES], activation=activation,
                init=scaled_init(init, g), batch_norm=batch_norm, random_state=seed)
    model.init_params()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _, cache = model.forward(X, return_cache=True, training=True)  # as loss_and_grads
        _, grads = model.loss_and_grads(X, Y)
        norms = np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, depth + 1)])
        # the input of each activation: Z_l, or with batch normalisation gamma * Zhat + beta
        z_std = np.array([cache.get(f"Ztilde{l}", cache[f"Z{l}"]).std()
                          for l in range(1, depth + 1)])
        total = float(np.sqrt(sum(np.sum(v ** 2) for v in grads.values())))
    if not (np.all(np.isfinite(norms)) and np.all(np.isfinite(z_std)) and np.isfinite(total)):
        raise ArithmeticError(f"the gradient overflowed at g = {g:g} and depth {depth}: it "
                              "exploded beyond the largest float. Lower g or the depth.")
    clipped = None
    if clip:
        clip_grad_norm(grads, 1.0)
        clipped = np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, depth + 1)])
    return dict(grad_norms=norms, z_std=z_std, total=total, clipped=clipped, depth=depth)


def _decades(values):
    """Axis limits: whole multiples of 3 decades around ``values`` and 1 (few distinct
    limits, so the cached background of the figure can usually be reused)."""
    values = np.append(values, 1.0)
    lo = 3 * np.floor(np.log10(values.min()) / 3 - 0.1)
    hi = 3 * np.ceil(np.log10(values.max()) / 3 + 0.1)
    return 10.0 ** lo, 10.0 ** hi


def _ratio(values) -> str:
    """``values[0] / values[-1]`` as text; a dash when the last one underflowed to 0."""
    return f"{values[0] / values[-1]:.3g}" if values[-1] > 0 else "–"


class GradientFlowDemo(Demo):
    """Gradient norm and forward scale per layer of a deep network at initialisation."""

    title = "Gradients per layer at initialisation"
    figsize = (9.4, 3.7)

    def make_controls(self):
        return {
            "depth": widgets.IntSlider(value=20, min=2, max=MAX_DEPTH, description="layers D",
                                       continuous_update=False),
            "activation": widgets.Dropdown(options=["relu", "tanh", "sigmoid"], value="relu",
                                           description="activation"),
            "init": widgets.Dropdown(options=list(VARIANCE), value="He", description="init"),
            "g": widgets.FloatLogSlider(value=1.0, base=2, min=-2, max=1.5, step=0.25,
                                        description="scale g", continuous_update=False),
            "batch_norm": widgets.Checkbox(value=False, description="batch normalisation"),
            "clip": widgets.Checkbox(value=False, description="clip gradient to norm 1"),
        }

    def setup_figure(self, fig, axes):
        ax_g, ax_z = axes
        self._grad_line, = ax_g.semilogy([], [], "o-", ms=3, color=CLASS_COLORS[0],
                                         label="‖dW_l‖ at the start")
        self._clip_line, = ax_g.semilogy([], [], "s--", ms=3, color=CLASS_COLORS[1],
                                         label="after clipping to norm 1")
        self._z_line, = ax_z.semilogy([], [], "o-", ms=3, color=CLASS_COLORS[0])
        for ax in axes:
            ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
            ax.set_xlabel("layer l")
        ax_g.set_ylabel("gradient norm ‖dW_l‖_F")
        ax_z.set_ylabel("std of the pre-activations Z_l")
        for ax in axes:  # few ticks: labelling many decades dominated the redraw time
            ax.yaxis.set_major_locator(LogLocator(numticks=6))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}".replace("e+0", "e")
                                                       .replace("e-0", "e-").replace("e+", "e")))
            ax.set_title("placeholder", fontsize=10, y=1.0)  # fixed place; room in the layout
            ax.set_ylim(1e-30, 1e30)  # the widest tick labels, for the frozen layout
        ax_g.legend(loc="upper left", fontsize=8, framealpha=1)
        fig.draw_without_rendering()  # constrained layout once, then frozen
        pin_axis_labels(fig, axes)
        fig.set_layout_engine("none")

    def dynamic_artists(self):
        ax_g, ax_z = self.axes
        return [self._grad_line, self._clip_line, self._z_line, ax_g.title, ax_z.title]

    def compute(self, depth, activation, init, g, batch_norm, clip):
        state = gradient_profile(depth, activation, init, g, batch_norm, clip)
        zeros = int(np.sum(state["grad_norms"] == 0))
        if zeros:
            self.notify(f"{zeros} layer(s) have a gradient of exactly 0 (underflow: it vanished "
                        "below the smallest float) and are not drawn.")
        return state

    def draw(self, s):
        ax_g, ax_z = self.axes
        layers = np.arange(1, s["depth"] + 1)
        shown = np.where(s["grad_norms"] > 0, s["grad_norms"], np.nan)
        self._grad_line.set_data(layers, shown)
        self._clip_line.set_data(layers, s["clipped"] if s["clipped"] is not None else [])
        self._z_line.set_data(layers, s["z_std"])
        self._clip_line.set_visible(s["clipped"] is not None)
        for ax, ys in [(ax_g, [shown, s["clipped"]]), (ax_z, [s["z_std"]])]:
            vals = np.concatenate([y[np.isfinite(y) & (y > 0)] for y in ys if y is not None])
            ax.set_ylim(*_decades(vals))
            ax.set_xlim(0.5, 10 * np.ceil(s["depth"] / 10) + 0.5)
        ax_g.set_title(f"‖dW_1‖ / ‖dW_D‖ = {_ratio(s['grad_norms'])};  "
                       f"total norm {s['total']:.3g}", fontsize=10, y=1.0)
        ax_z.set_title(f"std(Z_D) / std(Z_1) = {_ratio(s['z_std'][::-1])}", fontsize=10, y=1.0)

    def twin_frames(self):
        base = dict(depth=20, activation="relu", init="He", g=1.0, batch_norm=False, clip=False)
        frames = [(f"ReLU, He × {g:.2g}", dict(base, g=g))
                  for g in (0.5, 2 ** -0.5, 1.0, 2 ** 0.5, 2.0)]
        frames += [("ReLU, Xavier", dict(base, init="Xavier")),
                   ("ReLU, He × 2, clipped to norm 1", dict(base, g=2.0, clip=True)),
                   ("ReLU, He × 2, batch normalisation", dict(base, g=2.0, batch_norm=True))]
        frames += [(f"tanh, Xavier × {g:g}", dict(base, activation="tanh", init="Xavier", g=g))
                   for g in (0.5, 1.0, 2.0)]
        frames += [("sigmoid, Xavier", dict(base, activation="sigmoid", init="Xavier")),
                   ("sigmoid, Xavier, batch normalisation",
                    dict(base, activation="sigmoid", init="Xavier", batch_norm=True))]
        frames += [(f"ReLU, He × 1.41, D = {d}", dict(base, g=2 ** 0.5, depth=d)) for d in (5, 40)]
        frames += [(f"sigmoid, Xavier, D = {d}", dict(base, activation="sigmoid",
                                                     init="Xavier", depth=d)) for d in (5, 40)]
        return frames


def gradient_flow_demo() -> GradientFlowDemo:
    """Sliders for depth, activation, initialisation and scale; gradient norms per layer."""
    return GradientFlowDemo()
