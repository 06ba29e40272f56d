"""Demo of chapter 7, "Optimisers": four optimisers racing on one 2-D loss surface.

:func:`optimizer_comparison_demo` runs SGD, momentum, RMSProp and Adam from
the same start on a surface of :mod:`nnmath.surfaces` and draws their paths
on the contour map (left) and the loss above the minimum per step (right).
One slider scales all four learning rates at once (each optimiser has its own
base rate, chosen per surface so that at scale 1 all four make progress);
an optimiser that blows up stops where it diverged, marked with a cross and
named in the message line. The static twin replays the current setting over a
growing number of steps.

Drawing, not computing, is the cost of an update (four 300-step paths take a
few milliseconds), so the figure is kept cheap: fixed margins instead of a
layout engine, a persistent Agg canvas so text sizes are cached, few tick
labels and no mathtext on the log axis. Left out: choosing the start point and
the optimisers' other settings (beta, rho).
"""

from __future__ import annotations

import re

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import optim
from .._validation import check_int, check_option, check_positive
from ..plotting import CLASS_COLORS, pin_axis_labels
from ..surfaces import SURFACES, SurfacePath, optimizer_path
from ._base import Demo
from .maths import _round_up_125

__all__ = ["optimizer_comparison_demo", "OptimizerComparisonDemo", "BASE_LRS"]

#: Learning rate of each optimiser at scale 1, per surface.
BASE_LRS = {
    "elongated": {"sgd": 0.07, "momentum": 0.02, "rmsprop": 0.1, "adam": 0.3},
    "rosenbrock": {"sgd": 0.001, "momentum": 0.001, "rmsprop": 0.03, "adam": 0.3},
    "saddle": {"sgd": 0.03, "momentum": 0.01, "rmsprop": 0.01, "adam": 0.03},
}
_NAMES = {"sgd": "SGD", "momentum": "momentum", "rmsprop": "RMSProp", "adam": "Adam"}
_FLOOR = 1e-12  # the loss-gap axis is logarithmic; gaps below this are drawn at it


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _plain_formula(formula):
    """``formula`` with powers like ``x^2`` as plain-text superscripts (``x²``): plain
    text is much faster to draw than mathtext; anything else is left to mathtext."""
    if re.fullmatch(r"[-+*/=().\w ]*(\^\d[-+*/=().\w ]*)*", formula) and "_" not in formula:
        return re.sub(r"\^(\d)", lambda m: m.group(1).translate(_SUPERSCRIPTS), formula)
    return f"${formula}$"


class OptimizerComparisonDemo(Demo):
    """Paths and loss curves of SGD, momentum, RMSProp and Adam on one surface.

    Play adds five steps per frame to every path on screen (:meth:`Demo.step`); each
    optimiser keeps its running averages between frames.
    """

    title = "Four optimisers on one loss surface"
    figsize = (9.5, 3.8)
    progress_control = "steps"
    steps_per_frame = 5

    def make_controls(self):
        style = {"description_width": "initial"}
        return {
            "surface": widgets.Dropdown(options=list(SURFACES), value="elongated",
                                        description="surface", style=style),
            "lr_scale": widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05,
                                               description="learning rates x", style=style),
            "steps": widgets.IntSlider(value=100, min=0, max=300, step=5,
                                       description="steps", style=style),
        }

    def __init__(self):
        super().__init__()
        pin_axis_labels(self.fig)  # where the first render put them (saves a full redraw's
        # measuring of every tick label)

    def setup_figure(self, fig, axes):
        self._shown_surface = None
        ax_path, ax_loss = axes
        self.path_lines, self.end_marks, self.loss_lines, self.cross_marks = {}, {}, {}, {}
        for i, key in enumerate(_NAMES):
            c = CLASS_COLORS[i]
            self.path_lines[key], = ax_path.plot([], [], "-o", color=c, lw=1.4, ms=2.5, zorder=3)
            self.end_marks[key], = ax_path.plot([], [], "o", color=c, ms=6, mec="k", zorder=4)
            self.cross_marks[key], = ax_path.plot([], [], "X", color=c, ms=11, mec="k", zorder=5)
            self.loss_lines[key], = ax_loss.plot([], [], color=c, lw=1.6, label=_NAMES[key])
        self.start_mark, = ax_path.plot([], [], "s", color="k", ms=6, zorder=4)
        # log10 of the gap on a linear axis: log-scale tick labels are typeset as maths,
        # which alone would take most of the 100 ms budget
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("log10 of loss above minimum")
        ax_loss.grid(alpha=0.3)
        for ax in axes:  # few tick labels: text is the costliest thing to draw
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.yaxis.set_major_locator(MaxNLocator(5))
        # fixed margins: constrained layout re-measures every tick label on each redraw
        # (nm.plotting.new_figure already gave the figure a lasting Agg canvas)
        fig.set_layout_engine(None)
        ax_path.set_position([0.065, 0.13, 0.42, 0.78])
        ax_loss.set_position([0.57, 0.13, 0.415, 0.78])
        # one legend, whose texts are updated in place on every redraw
        self.legend = ax_loss.legend(fontsize=7.5, loc="lower left")

    def dynamic_artists(self):
        return [*self.path_lines.values(), *self.end_marks.values(),
                *self.cross_marks.values(), self.start_mark, *self.loss_lines.values(),
                self.legend]

    def compute(self, surface, lr_scale, steps):
        surf = SURFACES[surface]
        start = SurfacePath(np.array([surf.start], dtype=float),
                            np.array([surf.f(*surf.start)], dtype=float))
        runs = {key: (start, BASE_LRS[surface][key] * lr_scale) for key in _NAMES}
        opts = {key: optim.OPTIMIZERS[key](lr=lr) for key, (_, lr) in runs.items()}
        return self.advance((surf, runs, 0, opts), steps)

    def advance(self, state, n):
        """``n`` more steps of every optimiser that has not diverged, from where it is."""
        surf, runs, done, opts = state
        runs, notes = dict(runs), []
        for key, (path, lr) in runs.items():
            if path.diverged_at is None and n > 0:
                more = optimizer_path(surf, opts[key], n, start=path.points[-1],
                                      on_divergence="stop", bound=self._bound(surf))
                at = None if more.diverged_at is None else done + more.diverged_at
                message = more.message.replace(f"at step {more.diverged_at}", f"at step {at}",
                                               1) if at is not None else ""
                path = SurfacePath(np.concatenate([path.points, more.points[1:]]),
                                   np.concatenate([path.losses, more.losses[1:]]), at, message)
                runs[key] = (path, lr)
            if path.diverged_at is not None:
                notes.append(path.message)
        if notes:
            self.notify(" ".join(notes))
        return surf, runs, done + n, opts

    def progress(self, state):
        return state[2]

    def finished(self, state):
        surf, runs = state[0], state[1]
        if all(p.diverged_at is not None or p.losses[-1] - surf.min_value <= _FLOOR
               for p, _ in runs.values()):
            return (f"every optimiser has diverged or is within {_FLOOR:.0e} of the minimum")
        return None

    @staticmethod
    def _bound(surf):
        """Far outside the window: a path that gets there is counted as diverged."""
        return 50.0 * max(map(abs, (*surf.xlim, *surf.ylim)))

    def _draw_surface(self, surf):
        ax = self.axes[0]
        for coll in list(ax.collections):
            coll.remove()
        n = 120
        xs, ys = np.linspace(*surf.xlim, n), np.linspace(*surf.ylim, n)
        XX, YY = np.meshgrid(xs, ys)
        gap = surf.f(XX, YY) - surf.min_value
        levels = np.quantile(gap, np.linspace(0.0, 0.95, 16) ** 2)
        ax.contour(XX, YY, gap, levels=np.unique(levels), colors="0.65", linewidths=0.7)
        mins = np.array(surf.minima)
        ax.scatter(mins[:, 0], mins[:, 1], marker="*", s=140, c="k", zorder=5)
        ax.set_xlim(*surf.xlim)
        ax.set_ylim(*surf.ylim)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(f"{surf.name}: {_plain_formula(surf.formula)}", fontsize=10, y=1.0)
        # (y=1.0: no automatic title placement, which measures the tick labels each time)
        self._shown_surface = surf.name

    def draw(self, state):
        surf, runs, steps, _ = state
        if self._shown_surface != surf.name:
            self._draw_surface(surf)
        self.start_mark.set_data([surf.start[0]], [surf.start[1]])
        worst = _FLOOR
        for key, (path, lr) in runs.items():
            pts = path.points
            self.path_lines[key].set_data(pts[:, 0], pts[:, 1])
            self.end_marks[key].set_data(pts[-1:, 0], pts[-1:, 1])
            gap = np.maximum(path.losses - surf.min_value, _FLOOR)
            worst = max(worst, float(gap.max()))
            self.loss_lines[key].set_data(np.arange(gap.size), np.log10(gap))
            label = f"{_NAMES[key]} (lr {lr:.3g})"
            if path.diverged_at is not None:
                # the cross sits where the last finite point was, clipped into the window
                x = np.clip(pts[-1, 0], *surf.xlim)
                y = np.clip(pts[-1, 1], *surf.ylim)
                self.cross_marks[key].set_data([x], [y])
                label += f": diverged at step {path.diverged_at}"
            else:
                self.cross_marks[key].set_data([], [])
            self.loss_lines[key].set_label(label)
            self.legend.get_texts()[list(_NAMES).index(key)].set_text(label)
        ax_loss = self.axes[1]
        # rounded limits (steps up to 5, 10, 20, 50, ..., at most the slider's maximum; a
        # whole number on the log10 axis) change rarely, so most updates redraw only the
        # paths, the lines and the legend
        ax_loss.set_xlim(0, min(_round_up_125(max(steps, 5)), self.controls["steps"].max))
        ax_loss.set_ylim(np.log10(_FLOOR) - 0.5, np.ceil(np.log10(worst) + 0.5))

    def twin_frames(self):
        steps = [1, 2, 3, 5, 8, 12, 20, 30, 50, 75, 100, 150]
        return [(f"{self.values['surface']} surface, learning rates x "
                 f"{self.values['lr_scale']:.2g}, after {s} steps", {"steps": s})
                for s in steps]


def optimizer_comparison_demo(surface="elongated", lr_scale=1.0, steps=100):
    """SGD, momentum, RMSProp and Adam on one 2-D surface (chapter 7).

    Parameters
    ----------
    surface : str
        ``"elongated"``, ``"rosenbrock"`` or ``"saddle"`` (see :mod:`nnmath.surfaces`).
    lr_scale : float
        Multiplier of every optimiser's base learning rate (:data:`BASE_LRS`), 0.1 to 10.
    steps : int
        Number of updates, 5 to 300.

    Returns
    -------
    OptimizerComparisonDemo
        The ipywidgets container; ``demo.set(lr_scale=3)`` drives it from code.
    """
    check_option(surface, SURFACES, "surface")
    lr_scale = check_positive(lr_scale, "lr_scale")
    steps = check_int(steps, "steps", minimum=5)
    if not 0.1 <= lr_scale <= 10 or steps > 300:
        raise ValueError(f"lr_scale must be in [0.1, 10] and steps in [5, 300] (the slider "
                         f"ranges), got lr_scale={lr_scale:g}, steps={steps}.")
    demo = OptimizerComparisonDemo()
    defaults = {"surface": "elongated", "lr_scale": 1.0, "steps": 100}
    wanted = {"surface": surface, "lr_scale": lr_scale, "steps": steps}
    if wanted != defaults:
        demo.set(**wanted)
    return demo
