"""The demos of chapters 4 and 5: a line and a decision boundary being trained.

- :func:`linear_regression_demo` (chapter 4): learning rate, epochs, batch size,
  noise and solver; the data with the fitted line (and the true one), and the loss
  per epoch next to the best loss the normal equations reach. A learning rate
  above the bound ``2 / lambda_max`` makes the loss grow; one far above it
  overflows and the divergence message appears in place.
- :func:`logistic_regression_demo` (chapter 5): learning rate, epochs, L2
  strength, class separation and spread; the probability contours with the
  decision boundary ``p = 0.5``, and the loss per epoch.

The numerical work is done by :class:`nnmath.LinearRegression` and
:class:`nnmath.LogisticRegression`; this module only draws. Left out: more than
one input feature for the line, more than two classes for the boundary.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from .._validation import TrainingDiverged, check_finite_loss, check_positive
from ..data import rng_from
from ..linear import LinearRegression, ridge_normal_equations
from ..logistic import LogisticRegression
from ..optim import make_optimizer
from ..plotting import CLASS_COLORS, pin_axis_labels
from ..training import batch_size_for, minibatches
from ._base import Demo

__all__ = ["linear_regression_demo", "logistic_regression_demo",
           "LinearRegressionDemo", "LogisticRegressionDemo"]

# Redrawing only the artists that change (no ax.clear(), a frozen layout, few tick labels)
# keeps an update within the 100 ms budget; a full redraw costs several times that.
def _freeze_layout(fig):
    for ax in fig.axes:  # tick labels are most of the drawing time: keep few of them
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=ax.get_xlabel() == "epoch"))
        if ax.get_yscale() == "linear":
            ax.yaxis.set_major_locator(MaxNLocator(4))
    fig.draw_without_rendering()  # runs the constrained layout once
    # Pin axis labels where the layout put them: automatic label placement measures every
    # tick label on every draw.
    pin_axis_labels(fig)
    fig.set_layout_engine(None)  # with default rcParams: no engine, so savefig draws once


def _setup_loss_axes(ax, ylabel, max_epochs):
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=4))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}" if v < 1e-2 or v >= 1e3
                                               else f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0.5, max_epochs + 0.5)  # as in every update: the layout leaves room for
    # the tick label at the right end


def _decades(lo, hi, span):
    """``span`` widened, if ``lo`` or ``hi`` (with a small margin) fall outside, to whole
    powers of ten."""
    lo_exp = min(np.floor(np.log10(lo / 1.2)), np.log10(span[0]))
    hi_exp = max(np.ceil(np.log10(hi * 1.2)), np.log10(span[1]))
    return 10.0 ** lo_exp, 10.0 ** hi_exp


def _show_loss(ax, line, hist, max_epochs, span, floor=None):
    """Plot ``hist`` against epochs 1, 2, ... on axes that rarely change.

    The epoch axis always spans the slider's range; the loss axis shows the decades in
    ``span`` (the usual range of the loss), widened by whole decades when the loss leaves
    it. Unchanged axes let the demo redraw only the lines (blitting).
    """
    epochs = np.arange(1, hist.size + 1)
    line.set_data(epochs, hist)
    vals = hist[np.isfinite(hist) & (hist > 0)]
    lo, hi = (vals.min(), min(vals.max(), 1e150)) if vals.size else span  # (a loss on its
    # way to overflow during Play is drawn at most at 1e150: the axis has room for its ticks)
    if floor is not None and floor > 0:
        lo = min(lo, floor)
    ax.set_xlim(0.5, max_epochs + 0.5)
    ax.set_ylim(*_decades(lo, hi, span))


class _GDRun:
    """:func:`nnmath.linear.fit_by_gradient_descent`, a number of epochs at a time.

    The parameters, the optimiser's state and the batch shuffler live on between calls
    to :meth:`run`, so ``run(2); run(3)`` is ``run(5)`` and, from the start, ``run(k)``
    does what ``model.fit`` with ``epochs=k`` does, operation for operation.
    """

    def __init__(self, model, params, X, y):
        check_positive(model.lr, "lr")
        self.model, self.params, self.X, self.y = model, params, X, y
        self.opt = make_optimizer(model.optimizer, model.lr)
        self.rng = rng_from(model.random_state)
        self.full = batch_size_for(model.batch_size, X.shape[0]) == X.shape[0]
        self.history, self.steps = [], 0

    @property
    def epochs(self) -> int:
        return len(self.history)

    def run(self, epochs):
        """Train ``epochs`` more epochs; raises :class:`nnmath.TrainingDiverged` as ``fit``."""
        X, y, params, opt = self.X, self.y, self.params, self.opt
        n = X.shape[0]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(epochs):
                total = 0.0
                for idx in minibatches(n, self.model.batch_size, self.rng):
                    Xb, yb = (X, y) if self.full else (X[idx], y[idx])
                    loss, grads = self.model.loss_and_grads(params, Xb, yb)
                    check_finite_loss(loss, self.steps + 1, opt.current_lr)
                    opt.step(params, grads)
                    self.steps += 1
                    total += loss * len(idx)
                self.history.append(total / n)
            final, _ = self.model.loss_and_grads(params, X, y)
        if not np.isfinite(final):
            raise TrainingDiverged(
                f"Training diverged at step {self.steps} with learning rate {opt.current_lr:g}: "
                f"the loss after the last update is {final}. Try a smaller learning rate (for "
                "example a tenth of it) or scale the features.")
        return self


def _converged(hist, full_batch):
    """Full-batch descent whose loss stopped changing (mini-batch losses never settle)."""
    if full_batch and len(hist) >= 2 and abs(hist[-1] - hist[-2]) <= 1e-10 * abs(hist[-1]):
        return "converged: the loss changed by less than 1e-10 (relative) in the last epoch"
    return None


_BATCHES = [("full batch", None), ("mini-batch 10", 10), ("mini-batch 3", 3),
            ("stochastic (1)", 1)]


class LinearRegressionDemo(Demo):
    """Fit a line to noisy points by gradient descent or the normal equations.

    Play trains one more epoch per frame from the line on screen (:meth:`Demo.step`).
    """

    title = "Linear regression: watch the line and the loss"
    figsize = (8.4, 3.3)
    progress_control = "epochs"
    n_samples, true_w, true_b = 30, 0.8, 0.5

    def __init__(self):
        rng = np.random.default_rng(3)
        # Fixed draws so that moving a slider changes one thing only.
        self._x = np.sort(rng.uniform(-3, 3, self.n_samples))
        self._eps = rng.standard_normal(self.n_samples)
        A = np.column_stack([self._x, np.ones(self.n_samples)])
        self.lr_bound = 2.0 / np.linalg.eigvalsh(2.0 / self.n_samples * A.T @ A)[-1]
        super().__init__()

    def make_controls(self):
        style = {"description_width": "90px"}
        return {
            "lr": widgets.FloatLogSlider(value=0.05, base=10, min=-3, max=1, step=0.05,
                                         description="learning rate", style=style,
                                         continuous_update=False),
            "epochs": widgets.IntSlider(value=40, min=0, max=100, description="epochs",
                                        style=style, continuous_update=False),
            "batch_size": widgets.Dropdown(options=_BATCHES, value=None,
                                           description="batch", style=style),
            "noise": widgets.FloatSlider(value=0.5, min=0.0, max=2.0, step=0.05,
                                         description="noise", style=style,
                                         continuous_update=False),
            "solver": widgets.Dropdown(options=[("gradient descent", "gd"),
                                                ("normal equations", "normal")],
                                       value="gd", description="solver", style=style),
        }

    def setup_figure(self, fig, axes):
        ax, ax_loss = axes
        self._points = ax.scatter(self._x, self._x * 0, s=14, color=CLASS_COLORS[0],
                                  label="data")
        xs = np.array([-3.3, 3.3])
        ax.plot(xs, self.true_w * xs + self.true_b, "--", color="0.5", lw=1, label="true line")
        self._line, = ax.plot(xs, xs * 0, color=CLASS_COLORS[1], lw=2, label="fitted line")
        self._xs = xs
        ax.set_xlim(-3.3, 3.3)
        ax.set_ylim(-6, 6)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title("data, fitted line (orange), true line (dashed)", fontsize=9, y=1.0)
        self._loss_line, = ax_loss.plot([1], [1], color=CLASS_COLORS[1])
        self._best_line = ax_loss.axhline(1, color="0.4", ls=":")
        _setup_loss_axes(ax_loss, "mean squared error", self.controls["epochs"].max)
        ax_loss.set_title("loss (dotted: normal equations); w = -0.000, b = -0.000",
                          fontsize=9, y=1.0)
        _freeze_layout(fig)

    def dynamic_artists(self):
        ax, ax_loss = self.axes
        return [self._points, self._line, self._loss_line, self._best_line, ax_loss.title]

    def compute(self, lr, epochs, batch_size, noise, solver):
        y = self.true_w * self._x + self.true_b + noise * self._eps
        X = self._x[:, None]
        w_best, b_best = ridge_normal_equations(X, y)
        best = float(np.mean((X @ w_best + b_best - y) ** 2))
        model = LinearRegression(lr=lr, epochs=epochs, batch_size=batch_size, solver=solver,
                                 random_state=0)
        if solver == "normal":
            model.fit(X, y)
            return {"y": y, "w": model.coef_[0], "b": model.intercept_,
                    "hist": model.loss_history_, "best": best, "solver": solver, "run": None,
                    "epochs": epochs}
        run = _GDRun(model, {"w": np.zeros(1), "b": np.array(0.0)}, X, y)
        return self.advance({"y": y, "best": best, "solver": solver, "run": run}, epochs)

    def advance(self, s, n):
        """``n`` more epochs of the run in ``s`` (the normal equations have none)."""
        run = s["run"]
        if run is None:
            return s
        run.run(n)
        lr, batch_size = run.model.lr, run.model.batch_size
        if batch_size is None and lr > self.lr_bound:
            self.notify(f"learning rate {lr:.3g} is above the bound 2/λmax = "
                        f"{self.lr_bound:.3f}: every step overshoots and the loss grows.")
        return {**s, "w": float(run.params["w"][0]), "b": float(run.params["b"]),
                "hist": np.array(run.history), "epochs": run.epochs}

    def progress(self, s):
        return s["epochs"]

    def finished(self, s):
        if s["run"] is None:
            return "the normal equations need no training: choose gradient descent to play"
        return _converged(s["hist"], s["run"].full)

    def draw(self, s):
        self._points.set_offsets(np.column_stack([self._x, s["y"]]))
        self._line.set_ydata(s["w"] * self._xs + s["b"])
        hist = s["hist"] if s["solver"] == "gd" else np.array([s["best"]])
        _show_loss(self.axes[1], self._loss_line, hist, self.controls["epochs"].max,
                   (0.1, 10.0), s["best"])
        self._best_line.set_ydata([s["best"], s["best"]])
        self.axes[1].set_title(f"loss (dotted: normal equations); w = {s['w']:.3f}, "
                               f"b = {s['b']:.3f}", fontsize=9, y=1.0)

    def twin_frames(self):
        frames = [(f"epoch {e}, learning rate 0.05", {"epochs": e, "lr": 0.05})
                  for e in (1, 2, 3, 5, 8, 13, 20, 35, 60, 100)]
        frames.append(("learning rate 0.4, above the bound: the loss grows",
                       {"epochs": 20, "lr": 0.4}))
        frames.append(("learning rate 10", {"epochs": 100, "lr": 10.0}))
        return frames


def linear_regression_demo() -> LinearRegressionDemo:
    """The chapter 4 demo: train a line with the chosen learning rate, epochs, batch and solver."""
    return LinearRegressionDemo()


class LogisticRegressionDemo(Demo):
    """Train a logistic regression on two Gaussian blobs; show the boundary and the loss.

    Play trains two more epochs per frame from the boundary on screen (:meth:`Demo.step`).
    """

    title = "Logistic regression: the decision boundary moves as it trains"
    figsize = (8.4, 3.5)
    progress_control = "epochs"
    steps_per_frame = 2
    n_samples = 80

    def __init__(self):
        rng = np.random.default_rng(7)
        self._y = np.arange(self.n_samples) % 2
        self._eps = rng.standard_normal((self.n_samples, 2))
        xx, yy = np.meshgrid(np.linspace(-4, 4, 80), np.linspace(-4, 4, 80))
        self._grid = (xx, yy, np.column_stack([xx.ravel(), yy.ravel()]))
        super().__init__()

    def make_controls(self):
        style = {"description_width": "90px"}
        return {
            "lr": widgets.FloatLogSlider(value=0.5, base=10, min=-3, max=1, step=0.05,
                                         description="learning rate", style=style,
                                         continuous_update=False),
            "epochs": widgets.IntSlider(value=60, min=0, max=300, description="epochs",
                                        style=style, continuous_update=False),
            "l2": widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01,
                                      description="L2 strength α", style=style,
                                      continuous_update=False),
            "separation": widgets.FloatSlider(value=2.5, min=0.0, max=5.0, step=0.1,
                                              description="separation", style=style,
                                              continuous_update=False),
            "spread": widgets.FloatSlider(value=0.8, min=0.2, max=2.0, step=0.05,
                                          description="spread", style=style,
                                          continuous_update=False),
        }

    def data(self, separation, spread):
        """The two blobs: centres at ``(+-separation/2) * (1, 1)/sqrt(2)``."""
        centre = separation / 2 / np.sqrt(2) * np.array([1.0, 1.0])
        sign = np.where(self._y == 1, 1.0, -1.0)[:, None]
        return sign * centre + spread * self._eps, self._y

    def compute(self, lr, epochs, l2, separation, spread):
        X, y = self.data(separation, spread)
        model = LogisticRegression(lr=lr, epochs=epochs, l2=l2, random_state=0)
        check_positive(l2, "l2", allow_zero=True)
        run = _GDRun(model, {"w": np.zeros(2), "b": np.array(0.0)}, X, y.astype(np.float64))
        return self.advance({"X": X, "y": y, "model": model, "run": run}, epochs)

    def advance(self, s, n):
        """``n`` more epochs; the model gets what ``LogisticRegression.fit`` would set."""
        run, model = s["run"], s["model"]
        run.run(n)
        model.coef_, model.intercept_ = run.params["w"], float(run.params["b"])
        model.loss_history_ = np.array(run.history)
        model.n_iter_, model.n_steps_ = run.epochs, run.steps
        model.classes_, model.n_features_in_ = np.arange(2), 2
        return s

    def progress(self, s):
        return s["run"].epochs

    def finished(self, s):
        return _converged(s["run"].history, s["run"].full)

    def setup_figure(self, fig, axes):
        ax, ax_loss = axes
        xx, yy, _ = self._grid
        shades = np.vstack([np.linspace([0.0, 0.447, 0.698], [1, 1, 1], 5),
                            np.linspace([1, 1, 1], [0.902, 0.624, 0.0], 5)])
        self._image = ax.imshow(np.zeros(xx.shape), origin="lower", vmin=0, vmax=1, alpha=0.45,
                                extent=(xx.min(), xx.max(), yy.min(), yy.max()),
                                cmap=ListedColormap(shades), interpolation="nearest")
        self._boundary, = ax.plot([], [], color="k", lw=1.2, label="p = 0.5")
        self._points = [ax.scatter([], [], s=14, color=CLASS_COLORS[k], label=f"class {k}")
                        for k in (0, 1)]
        ax.set_xlim(xx.min(), xx.max())
        ax.set_ylim(yy.min(), yy.max())
        ax.set_aspect("equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        self._loss_line, = ax_loss.plot([1], [1], color=CLASS_COLORS[1])
        _setup_loss_axes(ax_loss, "mean log-loss (+ L2 term)",
                         self.controls["epochs"].max)
        # Titles as long as the real ones, so the frozen layout leaves room for them.
        ax.set_title("shade: p(class 1); w = (-0.00, -0.00), b = -0.00", fontsize=9, y=1.0)
        ax_loss.set_title("training accuracy 0.00", fontsize=9, y=1.0)
        _freeze_layout(fig)

    def dynamic_artists(self):
        ax, ax_loss = self.axes
        return [self._image, self._boundary, *self._points, self._loss_line, ax.title,
                ax_loss.title]

    def draw(self, s):
        ax, ax_loss = self.axes
        model, X, y = s["model"], s["X"], s["y"]
        xx, yy, pts = self._grid
        self._image.set_data(model.predict_proba(pts)[:, 1].reshape(xx.shape))
        for k in (0, 1):
            self._points[k].set_offsets(X[y == k])
        w, b = model.coef_, model.intercept_
        # The boundary w1 x1 + w2 x2 + b = 0 is a straight line: draw it through the box.
        t = np.linspace(-4, 4, 2)
        if abs(w[1]) >= abs(w[0]) and w[1] != 0:
            self._boundary.set_data(t, -(b + w[0] * t) / w[1])
        elif w[0] != 0:
            self._boundary.set_data(-(b + w[1] * t) / w[0], t)
        else:
            self._boundary.set_data([], [])
        ax.set_title(f"shade: p(class 1); w = ({w[0]:.2f}, {w[1]:.2f}), b = {b:.2f}",
                     fontsize=9, y=1.0)
        _show_loss(ax_loss, self._loss_line, model.loss_history_,
                   self.controls["epochs"].max, (0.01, 1.0))
        ax_loss.set_title(f"training accuracy {model.score(X, y):.2f}", fontsize=9, y=1.0)

    def twin_frames(self):
        return [(f"epoch {e}", {"epochs": e}) for e in
                (1, 2, 3, 5, 8, 13, 20, 35, 60, 100, 180, 300)]


def logistic_regression_demo() -> LogisticRegressionDemo:
    """The chapter 5 demo: train a logistic regression on two blobs and watch the boundary."""
    return LogisticRegressionDemo()
