"""The MLP playground of chapter 6 ("A playground"): a network learning a 2D data set.

In the spirit of TensorFlow Playground: pick a data set (circles, XOR,
Gaussian blobs, spiral, moons), its noise and the share of points used for
training; the network's depth, width and activation; the learning rate,
optimiser, batch size and regularisation. The left panel shades the predicted
class probability over the plane with the training points (plain) and test
points (white-edged); the right panel shows the training and test loss per
epoch (data loss, without the penalty).

Training is done by :class:`nnmath.MLP`. A run that diverges shows the
divergence message and the last epoch before it. One run is cached and every epoch's
parameters are kept, so moving the *epochs* slider back and forth only redraws,
and the static twin (the decision surface forming on the spiral) comes from a
single training run. Play (or :meth:`MLPPlayground.step`) trains the cached run one
more epoch per frame, from the epoch on screen.

Drawing is what limits the frame rate, so the figure is blitted (see
:mod:`nnmath.widgets._base`): the shading is an image whose pixels are replaced, the
boundary ``p = 0.5`` a line collection traced by contourpy, the points two scatter
collections, and the loss axes change their limits only in rounded jumps. Left out:
more than two classes, feature crosses.
"""

from __future__ import annotations

import contourpy
import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

from .._validation import TrainingDiverged
from ..data import make_classification_2d, train_test_split
from ..mlp import MLP
from ..plotting import CLASS_COLORS, grid_2d, pin_axis_labels
from ._base import Demo
from .maths import _round_up_125

__all__ = ["mlp_playground", "MLPPlayground"]

_LRS = [0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
_RATES = [0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
# The shading of p(class 1): ten bands from blue through white to orange, as the filled
# contours of nm.plotting.plot_decision_surface draw them (their colour at each band's middle).
_SHADES = ListedColormap(ListedColormap(np.vstack([
    np.linspace([0.0, 0.447, 0.698], [1, 1, 1], 128),
    np.linspace([1, 1, 1], [0.902, 0.624, 0.0], 128)]))(np.linspace(0.05, 0.95, 10)))


def _data_loss(model, X, y):
    """Cross-entropy without the penalty; the data were checked when the run began."""
    with np.errstate(over="ignore", invalid="ignore"):
        return model._data_loss(model._forward(X)[0], y)[0]


class MLPPlayground(Demo):
    """Train a small MLP on a 2D data set and watch its decision surface.

    Parameters (class attributes)
    -----------------------------
    n_samples : int
        Points in the data set (train + test).
    grid_n : int
        The decision surface is evaluated on a ``grid_n x grid_n`` grid.
    max_layer_updates : int
        Budget of one run, counted in (update x weight layer), since an update's cost grows
        with the depth: a net with 2 hidden layers (3 weight layers) gets 1000 / 3 = 333
        updates. Beyond it fewer epochs are run (and a note says so), so that one change
        stays interactive.
    """

    title = "MLP playground: a network learning a decision surface"
    figsize = (9, 3.9)
    n_samples = 200
    grid_n = 60
    max_layer_updates = 1000
    progress_control = "epochs"

    def __init__(self):
        self._run = None
        #: what the figure shows after the last successful update: epochs, accuracies, losses
        self.result = {}
        super().__init__()

    def make_controls(self):
        style = {"description_width": "110px"}
        lay = {"style": style, "continuous_update": False}
        return {
            "dataset": widgets.Dropdown(options=["circles", "xor", "blobs", "spiral", "moons"],
                                        value="circles", description="data set", style=style),
            "noise": widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.05,
                                         description="noise", **lay),
            "train_ratio": widgets.FloatSlider(value=0.5, min=0.1, max=0.9, step=0.1,
                                               description="train share", **lay),
            "batch_size": widgets.Dropdown(options=[1, 5, 10, 20, 50, ("full batch", None)],
                                           value=20, description="batch size", style=style),
            "hidden_layers": widgets.IntSlider(value=2, min=0, max=4, description="hidden layers",
                                               **lay),
            "units": widgets.IntSlider(value=6, min=1, max=8, description="units per layer",
                                       **lay),
            "activation": widgets.Dropdown(options=["tanh", "relu", "sigmoid", "leaky_relu",
                                                    "identity"],
                                           value="tanh", description="activation", style=style),
            "lr": widgets.SelectionSlider(options=_LRS, value=0.03, description="learning rate",
                                          **lay),
            "optimizer": widgets.Dropdown(options=["adam", "sgd", "momentum", "rmsprop"],
                                          value="adam", description="optimiser", style=style),
            "regularization": widgets.Dropdown(options=["none", "L1", "L2"], value="none",
                                               description="regularisation", style=style),
            "reg_rate": widgets.SelectionSlider(options=_RATES, value=0.001,
                                                description="reg. rate", **lay),
            "epochs": widgets.IntSlider(value=60, min=0, max=300, description="epochs", **lay),
        }

    def setup_figure(self, fig, axes):
        ax, ax_loss = axes
        self._shade = ax.imshow(np.zeros((2, 2)), origin="lower", extent=(0, 1, 0, 1),
                                cmap=_SHADES, vmin=0, vmax=1, alpha=0.35, aspect="equal",
                                interpolation="bilinear", interpolation_stage="data")
        self._boundary = ax.add_collection(LineCollection([], colors="k", linewidths=1))
        colours = ListedColormap(CLASS_COLORS[:2])
        self._train_points = ax.scatter([], [], c=[], cmap=colours, vmin=0, vmax=1, s=14,
                                        edgecolors="none")
        self._test_points = ax.scatter([], [], c=[], cmap=colours, vmin=0, vmax=1, s=18,
                                       edgecolors="white", linewidths=0.8)
        self._train_line, = ax_loss.plot([1], [1], color=CLASS_COLORS[0], label="train")
        self._test_line, = ax_loss.plot([1], [1], color=CLASS_COLORS[1], label="test")
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("cross-entropy")
        ax_loss.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax_loss.yaxis.set_major_locator(MaxNLocator(4))
        ax.set_xticks([])  # as in TensorFlow Playground: the plane needs no tick labels,
        ax.set_yticks([])  # and text is the slowest thing matplotlib draws
        for a in axes:
            a.set_title(" ", fontsize=9)
        # Lay the figure out once and freeze it: constrained layout on every update would
        # cost more than the whole training run (tick labels are measured again and again).
        fig.canvas.draw()
        fig.set_layout_engine("none")
        # Pin the loss axes' labels where that layout put them: automatic placement
        # measures every tick label on every redraw.
        pin_axis_labels(fig, [ax_loss])

    def dynamic_artists(self):
        ax, ax_loss = self.axes
        return [self._shade, self._boundary, self._train_points, self._test_points,
                self._train_line, self._test_line, ax.title, ax_loss.title]

    # -- numerical work ---------------------------------------------------------------------
    def _new_run(self, key, dataset, noise, train_ratio, batch_size, hidden_layers, units,
                 activation, lr, optimizer, regularization, reg_rate):
        X, y = make_classification_2d(dataset, self.n_samples, noise=noise, random_state=0)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=1 - train_ratio, stratify=True,
                                              random_state=0)
        l1 = reg_rate if regularization == "L1" else 0.0
        l2 = reg_rate if regularization == "L2" else 0.0
        model = MLP([2] + [units] * hidden_layers + [2], activation=activation, lr=lr,
                    batch_size=batch_size, optimizer=optimizer, l1=l1, l2=l2, init="xavier",
                    random_state=0).init_params()
        steps_per_epoch = -(-Xtr.shape[0] // (batch_size or Xtr.shape[0]))
        max_updates = self.max_layer_updates // (hidden_layers + 1)
        return {"key": key, "model": model, "data": (Xtr, ytr, Xte, yte),
                "grid": grid_2d(X, n=self.grid_n, margin=0.3),
                "snapshots": [{k: v.copy() for k, v in model.params.items()}],
                "train": [], "test": [], "error": None,
                "max_updates": max_updates, "steps_per_epoch": steps_per_epoch,
                "budget_epochs": max(1, max_updates // steps_per_epoch), "max_epochs": 0,
                "batch_size": batch_size}

    def _extend(self, run, epochs):
        """Train the cached run until it has ``epochs`` epochs (or fails or hits the cap)."""
        model = run["model"]
        Xtr, ytr, Xte, yte = run["data"]
        while len(run["snapshots"]) <= min(epochs, run["max_epochs"]) and run["error"] is None:
            try:
                model.partial_fit(Xtr, ytr, epochs=1)
                run["train"].append(_data_loss(model, Xtr, ytr))
                run["test"].append(_data_loss(model, Xte, yte))
                if not (np.isfinite(run["train"][-1]) and np.isfinite(run["test"][-1])):
                    raise TrainingDiverged(
                        f"Training diverged in epoch {len(run['train'])}: the loss became "
                        f"{run['train'][-1]}. Try a smaller learning rate.")
            except TrainingDiverged as exc:
                run["error"] = str(exc)
                run["train"], run["test"] = run["train"][:len(run["snapshots"]) - 1], \
                    run["test"][:len(run["snapshots"]) - 1]
                break
            run["snapshots"].append({k: v.copy() for k, v in model.params.items()})

    def compute(self, epochs, **settings):
        key = tuple(sorted(settings.items()))
        if self._run is None or self._run["key"] != key:
            self._run = self._new_run(key, **settings)
        run = self._run
        # each change may train at most the run's budget of epochs beyond what it has
        run["max_epochs"] = max(run["max_epochs"],
                                len(run["snapshots"]) - 1 + run["budget_epochs"])
        self._extend(run, epochs)
        return self._view(run, epochs, settings["batch_size"], budget=True)

    def advance(self, state, n):
        """``n`` more epochs of the run on screen, from the epoch on screen (Play)."""
        run = state["run"]
        target = state["epochs"] + n
        run["max_epochs"] = max(run["max_epochs"], target)  # Play has no budget: frames are
        self._extend(run, target)  # short, and Pause is handled between them
        return self._view(run, target, run["batch_size"], budget=False)

    def progress(self, state):
        return state["epochs"]

    def finished(self, state):
        return "diverged" if state["run"]["error"] is not None else None

    def _view(self, run, epochs, batch_size, budget):
        """The state to draw: the run at ``epochs`` (or at its last epoch before that)."""
        done = min(epochs, len(run["snapshots"]) - 1)
        if run["error"] is not None and done < epochs:
            self.notify(f"{run['error']} Showing the last epoch before it blew up ({done}).")
        elif done < epochs and budget:
            self.notify(f"Showing {done} of {epochs} epochs: this network gets at most "
                        f"{run['max_updates']} updates per change to stay interactive, and "
                        f"batch size {batch_size} makes {run['steps_per_epoch']} "
                        "updates per epoch.")
        viewer = MLP(run["model"].layer_sizes, activation=run["model"].activation)
        viewer.params = run["snapshots"][done]
        return {"model": viewer, "data": run["data"], "grid": run["grid"], "epochs": done,
                "train": np.array(run["train"][:done]), "test": np.array(run["test"][:done]),
                "run": run}

    # -- drawing ------------------------------------------------------------------------------
    def draw(self, s):
        ax, ax_loss = self.axes
        Xtr, ytr, Xte, yte = s["data"]
        xx, yy, pts = s["grid"]
        p1 = s["model"].predict_proba(pts)[:, 1].reshape(xx.shape)
        extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
        self._shade.set_data(p1)
        if self._shade.get_extent() != list(extent):  # a new data set (or noise)
            self._shade.set_extent(extent)
            ax.set_xlim(extent[:2])
            ax.set_ylim(extent[2:])
            self._train_points.set_offsets(Xtr)
            self._train_points.set_array(np.asarray(ytr, dtype=float))
            self._test_points.set_offsets(Xte)
            self._test_points.set_array(np.asarray(yte, dtype=float))
        self._boundary.set_segments(contourpy.contour_generator(xx, yy, p1).lines(0.5))
        acc_tr = s["model"].score(Xtr, ytr)
        acc_te = s["model"].score(Xte, yte)
        self.result = {"epochs": s["epochs"], "train_acc": acc_tr, "test_acc": acc_te,
                       "train_loss": s["train"][-1] if s["epochs"] else np.nan,
                       "test_loss": s["test"][-1] if s["epochs"] else np.nan}
        # y=1.0: no automatic title placement, which measures the tick labels each time
        ax.set_title(f"epoch {s['epochs']}: train acc {acc_tr:.2f}, test acc {acc_te:.2f}",
                     fontsize=9, y=1.0)
        epochs = np.arange(1, s["epochs"] + 1)
        self._train_line.set_data(epochs, s["train"])
        self._test_line.set_data(epochs, s["test"])
        vals = np.concatenate([s["train"], s["test"]])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        hi = min(vals.max(), 5.0) if vals.size else 1.0
        # Rounded limits (epochs up to 5, 10, 20, 50, ...; the loss up to a multiple of
        # 0.25) change rarely, so most frames redraw only the dynamic artists.
        ax_loss.set_xlim(0.5, min(_round_up_125(max(s["epochs"], 5)), 300) + 0.5)
        ax_loss.set_ylim(0.0, 0.25 * np.ceil(1.05 * hi / 0.25))
        # one title instead of a legend: every text drawn costs milliseconds
        last = (f"train {s['train'][-1]:.3f} (blue), test {s['test'][-1]:.3f} (orange)"
                if s["epochs"] else "before training")
        ax_loss.set_title(f"loss: {last}", fontsize=9, y=1.0)

    def twin_frames(self):
        spiral = {"dataset": "spiral", "noise": 0.1, "train_ratio": 0.7, "batch_size": 50,
                  "hidden_layers": 2, "units": 8, "activation": "tanh", "lr": 0.1,
                  "optimizer": "adam", "regularization": "none", "reg_rate": 0.001}
        return [(f"spiral, 2 hidden layers of 8 tanh units: epoch {e}", {**spiral, "epochs": e})
                for e in (1, 5, 10, 15, 20, 30, 40, 50, 65, 80, 95, 110)]  # 111 epochs: the cap


def mlp_playground() -> MLPPlayground:
    """The chapter 6 playground: train an MLP on a 2D data set and watch it learn."""
    return MLPPlayground()
