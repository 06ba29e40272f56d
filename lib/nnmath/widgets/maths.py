"""The demos of chapters 1 and 2: a 2x2 matrix acting on the plane, finite differences, and
gradient descent on a bowl.

- :func:`matrix_transform_demo` (chapter 1): four sliders set ``M = [[a, b], [c, d]]``;
  the plot shows a grid and the unit square before and after ``x -> M x``, the images
  ``M e1 = (a, c)`` and ``M e2 = (b, d)`` of the basis vectors, and ``det M``.
- :func:`derivative_demo` (chapter 2): a function, a point and a step ``h``; the secant
  of a forward or central difference against the tangent, and the error of both
  formulas over all step sizes.
- :func:`gradient_descent_demo` (chapter 2): a quadratic bowl, a start point, a
  learning rate and a number of steps; the path on the contour plot and the loss
  per step, with the bound ``lr < 2 / lambda_max`` in the title.

The numerical work is done by :mod:`nnmath.calculus` and :mod:`nnmath.activations`;
this module only draws. Left out: 3-D surfaces and matrices larger than 2x2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Polygon
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from .. import calculus
from .._validation import TrainingDiverged
from ..activations import sigmoid, sigmoid_grad, tanh, tanh_grad
from ..plotting import CLASS_COLORS, pin_axis_labels
from ._base import Demo

__all__ = ["matrix_transform_demo", "derivative_demo", "gradient_descent_demo"]

_BLUE, _ORANGE, _GREEN = CLASS_COLORS[0], CLASS_COLORS[1], CLASS_COLORS[2]


class _FrozenLayoutDemo(Demo):
    """A demo whose axes keep the layout of the first render.

    Constrained layout costs about a third of each redraw; the axes of these demos
    do not move, so it runs once and is then switched off.
    """

    def __init__(self):
        super().__init__()
        self.fig.set_layout_engine("none")
        pin_axis_labels(self.fig)


def _plain_log_axis(axis, numticks=5):
    """Few log ticks labelled like ``1e-08``: mathtext labels cost ~20 ms each to lay out."""
    axis.set_major_locator(LogLocator(numticks=numticks))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}".replace("e+0", "e").replace(
        "e-0", "e-").replace("e+", "e")))


def _round_up_125(n):
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``n`` (``n >= 1``)."""
    scale = 10 ** int(np.floor(np.log10(n)))
    return next(m * scale for m in (1, 2, 5, 10) if m * scale >= n)


def _slider(description, value, lo, hi, step):
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step,
                               description=description, continuous_update=False)


# --------------------------------------------------------------------------- chapter 1
class MatrixTransformDemo(_FrozenLayoutDemo):
    """The plane before and after ``x -> M x`` for a 2x2 matrix ``M``."""

    title = "A 2x2 matrix transforms the plane"
    figsize = (8.6, 4.3)
    _ticks = np.arange(-3, 4)

    def make_controls(self):
        return {"a": _slider("a = M₁₁", 1.0, -2, 2, 0.01),
                "b": _slider("b = M₁₂", 0.0, -2, 2, 0.01),
                "c": _slider("c = M₂₁", 0.0, -2, 2, 0.01),
                "d": _slider("d = M₂₂", 1.0, -2, 2, 0.01)}

    def setup_figure(self, fig, axes):
        t = np.linspace(-3, 3, 2)
        # grid lines as (2, 2) point pairs: vertical lines x = k and horizontal lines y = k
        self._lines = [np.array([[k, k], t]) for k in self._ticks] + \
                      [np.array([t, [k, k]]) for k in self._ticks]
        self._grid, self._arrows = [], []
        for ax, name in zip(axes, ("before: x", "after: M x"), strict=True):
            ax.set_xlim(-3, 3)
            ax.set_ylim(-3, 3)
            ax.set_aspect("equal")
            ax.set_xticks([-2, 0, 2])
            ax.set_yticks([-2, 0, 2])
            ax.axhline(0, color="0.6", lw=0.6)
            ax.axvline(0, color="0.6", lw=0.6)
            ax.set_xlabel("first coordinate")
            ax.set_ylabel("second coordinate")
            ax.set_title(name)
        for pts in self._lines:
            self._grid.append(axes[1].plot(*pts, color="0.75", lw=0.7)[0])
            axes[0].plot(*pts, color="0.75", lw=0.7)
        unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])
        axes[0].add_patch(Polygon(unit, color=_ORANGE, alpha=0.35))
        self._square = axes[1].add_patch(Polygon(unit, color=_ORANGE, alpha=0.35))
        for ax in axes:
            for col in (_BLUE, _GREEN):
                self._arrows.append(ax.annotate(
                    "", xy=(1, 0), xytext=(0, 0),
                    arrowprops=dict(arrowstyle="-|>", color=col, lw=2)))
        self._arrows[1].xy = (0, 1)
        self._arrows[3].xy = (0, 1)
        axes[0].text(1.05, -0.35, "e₁", color=_BLUE)
        axes[0].text(-0.4, 1.05, "e₂", color=_GREEN)
        self._labels = [axes[1].text(0, 0, "Me₁", color=_BLUE),
                        axes[1].text(0, 0, "Me₂", color=_GREEN)]

    def dynamic_artists(self):
        ax = self.axes[1]
        return [*ax.lines, self._square, *self._arrows[2:], *self._labels, ax.title]

    def compute(self, a, b, c, d):
        M = np.array([[a, b], [c, d]])
        det = a * d - b * c  # the area scale factor of x -> M x
        singular = abs(det) < 1e-9
        if singular:
            self.notify("det M = 0: M squashes the plane onto a line (or a point), so it "
                        "has no inverse and M x = b has no unique solution.")
        return M, det, singular

    def draw(self, state):
        M, det, singular = state
        for line, pts in zip(self._grid, self._lines, strict=True):
            line.set_data(*(M @ pts))
        self._square.set_xy((M @ np.array([[0, 1, 1, 0], [0, 0, 1, 1]])).T)
        for arrow, label, col in zip(self._arrows[2:], self._labels, M.T, strict=True):
            arrow.xy = tuple(col)
            label.set_position(tuple(1.08 * col + 0.05))
        how = "singular: not invertible" if singular else (
            "invertible, orientation " + ("kept" if det > 0 else "flipped"))
        self.axes[1].set_title(f"after: M x    det M = {det:+.2f}  ({how})", fontsize=10, y=1.0)

    def twin_frames(self):
        r30 = np.deg2rad(30)
        co, si = np.cos(r30), np.sin(r30)
        return [
            ("identity I", dict(a=1, b=0, c=0, d=1)),
            ("stretch x by 2", dict(a=2, b=0, c=0, d=1)),
            ("scale by 1.5 and 0.5", dict(a=1.5, b=0, c=0, d=0.5)),
            ("rotation by 30 degrees", dict(a=co, b=-si, c=si, d=co)),
            ("rotation by 90 degrees", dict(a=0, b=-1, c=1, d=0)),
            ("shear", dict(a=1, b=1, c=0, d=1)),
            ("reflection in the diagonal", dict(a=0, b=1, c=1, d=0)),
            ("reflection in the x-axis", dict(a=1, b=0, c=0, d=-1)),
            ("nearly singular", dict(a=1, b=2, c=0.5, d=1.1)),
            ("singular: columns on one line", dict(a=1, b=2, c=0.5, d=1)),
            ("projection onto the x-axis", dict(a=1, b=0, c=0, d=0)),
            ("general matrix", dict(a=1.2, b=-0.6, c=0.4, d=0.9)),
        ]


def matrix_transform_demo() -> MatrixTransformDemo:
    """Sliders for the four entries of a 2x2 matrix and the picture of ``x -> M x``."""
    return MatrixTransformDemo()


# --------------------------------------------------------------------------- chapter 2
#: name -> (f, f'), vectorised; the derivatives are the closed forms.
FUNCTIONS = {
    "sin(x)": (np.sin, np.cos),
    "exp(x)": (np.exp, np.exp),
    "x³": (lambda x: x ** 3, lambda x: 3 * x ** 2),
    "sigmoid(x)": (sigmoid, sigmoid_grad),
    "tanh(x)": (tanh, tanh_grad),
}
_LOSS_FLOOR = 1e-12  # gradient_descent_demo draws smaller losses (and 0) at this value
_H_GRID = np.logspace(-16, 0, 97)


class DerivativeDemo(_FrozenLayoutDemo):
    """Secant against tangent, and the finite-difference error against ``h``."""

    title = "Finite differences: from secant to tangent"
    figsize = (9, 3.6)

    def make_controls(self):
        return {
            "function": widgets.Dropdown(options=list(FUNCTIONS), value="sin(x)",
                                         description="f"),
            "x0": _slider("point x₀", 1.0, -2, 2, 0.05),
            "log10_h": _slider("log₁₀ h", -0.5, -14, 0, 0.25),
            "method": widgets.Dropdown(options=["forward", "central"], value="forward",
                                       description="difference"),
        }

    def setup_figure(self, fig, axes):
        ax, ax_err = axes
        self._curve, = ax.plot([], [], color="k", lw=1.5, label="f")
        self._tangent, = ax.plot([], [], color=_BLUE, lw=1.2, label="tangent, slope f'(x₀)")
        self._secant, = ax.plot([], [], color=_ORANGE, lw=1.2, ls="--", label="secant")
        self._points, = ax.plot([], [], "o", color=_ORANGE, ms=5)
        ax.set_xlim(-3, 3)
        ax.set_xticks([-2, 0, 2])
        ax.yaxis.set_major_locator(MaxNLocator(4))  # few tick labels: text is slow to draw
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.legend(loc="upper left", fontsize=8, framealpha=1)
        self._err_fwd, = ax_err.loglog([], [], color=_ORANGE)
        self._err_cen, = ax_err.loglog([], [], color=_GREEN)
        self._marker, = ax_err.loglog([], [], "o", color="k", ms=6)
        # direct labels instead of a second legend (cheaper to draw on a full redraw)
        for y, name, colour in ((0.16, "forward difference", _ORANGE),
                                (0.06, "central difference", _GREEN)):
            ax_err.text(0.03, y, name, color=colour, fontsize=8, transform=ax_err.transAxes)
        _plain_log_axis(ax_err.xaxis)
        _plain_log_axis(ax_err.yaxis)
        ax_err.set_xlim(1e-16, 1)
        ax_err.set_ylim(1e-17, 1e1)
        ax_err.set_xlabel("step size h")
        ax_err.set_ylabel("|estimate - f'(x₀)|")

    def dynamic_artists(self):
        ax, ax_err = self.axes
        return [self._curve, self._tangent, self._secant, self._points, ax.title,
                self._err_fwd, self._err_cen, self._marker, ax_err.title]

    def compute(self, function, x0, log10_h, method):
        f, df = FUNCTIONS[function]
        h = 10.0 ** log10_h
        exact = float(df(np.float64(x0)))
        fd = calculus.forward_difference if method == "forward" else calculus.central_difference
        estimate = float(fd(f, x0, h))
        errs = {m: np.maximum(np.abs(g(f, x0 + 0 * _H_GRID, _H_GRID) - exact), 1e-17)
                for m, g in (("forward", calculus.forward_difference),
                             ("central", calculus.central_difference))}
        return dict(f=f, x0=x0, h=h, method=method, exact=exact, estimate=estimate,
                    err=max(abs(estimate - exact), 1e-17), errs=errs)

    def draw(self, s):
        f, x0, h = s["f"], s["x0"], s["h"]
        xs = np.linspace(-3, 3, 200)
        ys = f(xs)
        self._curve.set_data(xs, ys)
        y0 = float(f(x0))
        self._tangent.set_data(xs, y0 + s["exact"] * (xs - x0))
        lo, hi = (x0, x0 + h) if s["method"] == "forward" else (x0 - h, x0 + h)
        self._secant.set_data(xs, float(f(lo)) + s["estimate"] * (xs - lo))
        self._points.set_data([lo, hi], [float(f(lo)), float(f(hi))])
        pad = 0.15 * (ys.max() - ys.min()) + 0.1
        self.axes[0].set_ylim(ys.min() - pad, ys.max() + pad)
        self.axes[0].set_title(f"h = {h:.1e}: slope {s['estimate']:.6f} vs f'(x₀) = "
                               f"{s['exact']:.6f}", fontsize=10, y=1.0)
        self._err_fwd.set_data(_H_GRID, s["errs"]["forward"])
        self._err_cen.set_data(_H_GRID, s["errs"]["central"])
        self._marker.set_data([h], [s["err"]])
        self.axes[1].set_title(f"● current h: {s['method']} difference error {s['err']:.1e}",
                               fontsize=10, y=1.0)

    def twin_frames(self):
        frames = [(f"forward, h = 1e{e:g}", dict(function="sin(x)", x0=1.0, log10_h=e,
                                                  method="forward"))
                  for e in (0, -1, -2, -4, -6, -8, -11, -14)]
        frames += [(f"central, h = 1e{e:g}", dict(function="sin(x)", x0=1.0, log10_h=e,
                                                  method="central"))
                   for e in (-1, -3, -5, -10)]
        return frames


def derivative_demo() -> DerivativeDemo:
    """Choose a function, a point and a step size; compare the secant with the tangent."""
    return DerivativeDemo()


#: name -> (curvatures, angle in degrees) of the bowls in :func:`gradient_descent_demo`.
SURFACES = {
    "round bowl": ((1.0, 1.0), 0.0),
    "elongated bowl": ((1.0, 10.0), 0.0),
    "rotated elongated bowl": ((1.0, 10.0), 30.0),
}


@dataclass(frozen=True)
class _Path(calculus.GDPath):
    """A descent path that may have stopped early: ``diverged`` is then the reason."""

    diverged: str | None = None


class GradientDescentDemo(_FrozenLayoutDemo):
    """Gradient descent on a quadratic bowl: path on the contours and loss per step.

    Play adds one step per frame to the path on screen (:meth:`Demo.step`).
    """

    title = "Gradient descent on a quadratic bowl"
    figsize = (9, 3.8)
    progress_control = "steps"

    def make_controls(self):
        return {
            "surface": widgets.Dropdown(options=list(SURFACES), value="elongated bowl",
                                        description="surface"),
            "x0": _slider("start x₁", -2.5, -3, 3, 0.1),
            "y0": _slider("start x₂", 1.5, -2, 2, 0.1),
            "lr": widgets.FloatLogSlider(value=0.15, base=10, min=-3, max=0.5, step=0.01,
                                         description="learning rate η",
                                         continuous_update=False),
            "steps": widgets.IntSlider(value=30, min=0, max=200, description="steps",
                                       continuous_update=False),
        }

    def setup_figure(self, fig, axes):
        ax, ax_loss = axes
        self._contours, self._surface = None, None
        self._path, = ax.plot([], [], "o-", color=_ORANGE, ms=3, lw=1)
        self._start, = ax.plot([], [], "s", color="k", ms=5)
        ax.plot([0], [0], "*", color=_GREEN, ms=10)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-2, 2)
        ax.set_aspect("equal")
        ax.set_xticks([-3, -2, -1, 0, 1, 2, 3])  # few tick labels: text is slow to draw
        ax.set_yticks([-2, -1, 0, 1, 2])
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        self._loss, = ax_loss.semilogy([], [], "o-", color=_ORANGE, ms=3, lw=1)
        _plain_log_axis(ax_loss.yaxis)
        ax_loss.set_xlabel("step t")
        ax_loss.set_ylabel("loss f(xₜ)")

    def dynamic_artists(self):
        ax, ax_loss = self.axes
        return [self._path, self._start, self._loss, ax.title, ax_loss.title]

    def compute(self, surface, x0, y0, lr, steps):
        curv, angle = SURFACES[surface]
        bowl = calculus.quadratic_bowl(curv, np.deg2rad(angle))
        bound = calculus.max_stable_lr(bowl)
        start = calculus.gradient_descent(bowl, bowl.grad, [x0, y0], lr, 0)
        return self.advance((surface, bowl, bound, _Path(start.points, start.losses, lr)),
                            steps)

    def advance(self, state, n):
        """``n`` more steps from the end of the path (descent has no other state)."""
        surface, bowl, bound, path = state
        diverged = path.diverged
        if diverged is None and n > 0:
            done = path.losses.size - 1
            try:
                more = calculus.gradient_descent(bowl, bowl.grad, path.x, path.lr, n)
            except TrainingDiverged as exc:  # keep the finite part of the path and say why
                last_ok = int(re.search(r"step (\d+)", str(exc)).group(1)) - 1
                more = calculus.gradient_descent(bowl, bowl.grad, path.x, path.lr, last_ok)
                diverged = re.sub(r"step \d+", f"step {done + last_ok + 1}", str(exc), count=1)
            path = _Path(np.concatenate([path.points, more.points[1:]]),
                         np.concatenate([path.losses, more.losses[1:]]), path.lr, diverged)
        if diverged is not None:
            self.notify(f"{diverged} Here the bound is 2/λ_max = {bound:.3g}.")
        elif path.lr > bound:
            self.notify(f"η = {path.lr:.3g} exceeds 2/λ_max = {bound:.3g}: every step "
                        "overshoots the steep direction by more than it gains, so the "
                        "loss grows. Descent diverges; pick a smaller learning rate.")
        return surface, bowl, bound, path

    def progress(self, state):
        return state[3].losses.size - 1

    def finished(self, state):
        if state[3].diverged is not None:
            return "diverged"
        if state[3].losses[-1] <= _LOSS_FLOOR:
            return f"converged: the loss is below {_LOSS_FLOOR:.0e}"
        return None

    def draw(self, state):
        surface, bowl, bound, path = state
        ax, ax_loss = self.axes
        if surface != self._surface:  # contours change only with the surface
            if self._contours is not None:
                self._contours.remove()
            xx, yy = np.meshgrid(np.linspace(-3, 3, 80), np.linspace(-2, 2, 60))
            zz = bowl(np.stack([xx, yy], axis=-1))
            self._contours = ax.contour(xx, yy, zz, levels=np.geomspace(0.02, 40, 14),
                                        colors="0.6", linewidths=0.7)
            self._surface = surface
        P = path.points
        self._path.set_data(P[:, 0], P[:, 1])
        self._start.set_data([P[0, 0]], [P[0, 1]])
        losses = path.losses
        # Rounded axis limits (step count up to 10, 20, 50, ...; loss to whole decades)
        # change rarely, so most updates redraw only the path and the loss line.
        width = _round_up_125(max(losses.size - 1, 5))
        ax_loss.set_xlim(-0.5, width + 0.5)
        ax_loss.set_xticks(np.arange(0, width, width // 5))  # none at the right edge
        # The loss axis shows 1e-12 to 1e2 (every start point's loss is below 1e2), widened
        # upwards by whole decades when descent diverges; smaller losses sit on the floor.
        losses = np.maximum(losses, _LOSS_FLOOR)
        self._loss.set_data(np.arange(losses.size), losses)
        top = max(2, int(np.ceil(np.log10(min(losses.max(), 1e150) * 1.2))))
        ax_loss.set_ylim(_LOSS_FLOOR / 10, 10.0 ** top)
        bottom = round(np.log10(_LOSS_FLOOR))
        stride = max(4, -(-(top - bottom) // 4))  # at most 5 tick labels
        ax_loss.set_yticks(10.0 ** np.arange(bottom, top + 1, stride))
        verdict = "converges" if path.lr < bound else "diverges"
        ax.set_title(f"{surface}, η = {path.lr:.3g}", fontsize=10, y=1.0)
        ax_loss.set_title(f"2/λ_max = {bound:.3g}: {verdict}; f(x_T) = {path.losses[-1]:.2g}",
                          fontsize=10, y=1.0)

    def twin_frames(self):
        start = dict(x0=-2.5, y0=1.5)
        rows = [("round bowl", 0.1, 30), ("round bowl", 1.0, 5), ("round bowl", 1.9, 30),
                ("round bowl", 2.1, 30), ("elongated bowl", 0.02, 60),
                ("elongated bowl", 0.1, 30), ("elongated bowl", 0.18, 30),
                ("elongated bowl", 0.195, 60), ("elongated bowl", 0.205, 60),
                ("rotated elongated bowl", 0.1, 40), ("rotated elongated bowl", 0.18, 40),
                ("rotated elongated bowl", 0.21, 40)]
        return [(f"{s}, η = {lr:g}, {n} steps", dict(start, surface=s, lr=lr, steps=n))
                for s, lr, n in rows]


def gradient_descent_demo() -> GradientDescentDemo:
    """Gradient descent on a choice of bowls: start point, learning rate and steps."""
    return GradientDescentDemo()
