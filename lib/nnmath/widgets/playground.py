"""The MLP playground of chapter 6 ("The playground"): a network learning a 2D problem.

In the spirit of TensorFlow Playground. The figure has three panels:

- **the network**: one small heat map per neuron over the plane (the input features, every
  hidden unit's activation ``A_l[:, k]``, and the output), each scaled by its own largest
  absolute value, orange for positive and blue for negative values; the weight lines
  between them have a width proportional to ``|w|`` (relative to the largest weight of the
  network) and the colour of its sign (orange positive, blue negative). For classification the
  network has two logits and the output neuron shows ``p(class 1) = sigma(z_1 - z_0)``
  (equation mlp-softmax-sigmoid of the chapter), so the weight drawn into it from hidden
  unit ``j`` is ``W_D[j, 1] - W_D[j, 0]``, the weight of that difference.
- **the selected neuron** (control *show*; the output by default) enlarged, with the
  training points (and the test points, ringed in white, with *show test data*) and, for the
  output of a classifier, the boundary ``p = 0.5``; *discretize* shows the sign only.
- **the loss curves**: the data loss (without the penalty) on the training and test data per
  epoch: cross-entropy for classification, squared error for regression.

Problems (:mod:`nnmath.widgets._problems`): circles, XOR, Gaussians, spiral, moons
(classification) and a plane and a Gaussian mixture (regression), or the learner's own data
(``mlp_playground(X, y)``). Input features: any of x1, x2, x1^2, x2^2, x1 x2, sin x1, sin x2.

Training is done by :class:`nnmath.MLP` (``partial_fit`` one epoch at a time). One run is
cached and every epoch's parameters are kept, so moving the *epochs* slider back only
redraws; Play (or :meth:`MLPPlayground.step`) trains one more epoch per frame from the epoch
on screen, until paused (or the slider's maximum). A change of any other setting starts a new
run from the same initial weights and trains it to the epoch shown, with no cap. The
optimiser records its last update, which the *backprop* view shows for one weight.

Drawing limits the frame rate, so the figure is blitted (see :mod:`nnmath.widgets._base`):
the whole network is one RGBA image composed in NumPy and one line collection; the points,
curves and titles are the only other artists that change. The HTML book's twin
(:mod:`nnmath.widgets._playground_twin`) is a set of recorded runs the reader chooses from.

This module holds the controls and the training runs; the drawing is
:mod:`nnmath.widgets._playground_draw`, the backprop view
:mod:`nnmath.widgets._playground_backprop`, and the small pieces (colours, sizes, the feature
toggles, the artist for the neurons' maps) :mod:`nnmath.widgets._playground_parts`.
"""

from __future__ import annotations

import copy

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .._validation import TrainingDiverged
from ..data import train_test_split
from ..mlp import MLP
from ..optim import make_optimizer
from ..plotting import CLASS_COLORS, pin_axis_labels
from . import _problems as problems
from ._base import Demo

__all__ = ["mlp_playground", "MLPPlayground"]
from ._playground_backprop import BackpropMixin
from ._playground_draw import DiagramMixin
from ._playground_parts import (
    _H,
    _LRS,
    _NEURONS,
    _RATES,
    _T,
    _USER,
    _W,
    DIVERGING,
    _check_features,
    _FeatureToggles,
    _NodeMaps,
    _Recorder,
    _Regenerate,
)


class MLPPlayground(DiagramMixin, BackpropMixin, Demo):
    """Train a small MLP on a 2D problem and watch every neuron learn.

    Parameters (class attributes)
    -----------------------------
    n_samples : int
        Points in a built-in problem (train + test).
    grid_n : int
        The enlarged map is evaluated on a ``grid_n x grid_n`` grid (each small map of the
        diagram on a 26 x 26 grid, one value per pixel).
    max_epochs : int
        Maximum of the *epochs* slider, where Play stops.

    Attributes
    ----------
    result : dict
        What the figure shows: ``epochs``, ``train_acc``/``test_acc`` (classification: accuracy;
        regression: R^2), ``train_loss``, ``test_loss``, ``task``.
    model : nnmath.MLP
        (property) the network on screen, to keep working with in code; it takes the
        feature columns, ``demo.features(X)``, as input.
    """

    title = "MLP playground: a network learning a problem in the plane"
    figsize = (10, 5)
    subplots = (1, 3)
    n_samples = 200
    grid_n = 60
    max_epochs = 1000
    progress_control = "epochs"

    def __init__(self, X=None, y=None):
        self._user = None if X is None and y is None else problems.check_user_data(X, y)
        self._run = None
        self._arch = None
        self._twin_runs_cache = None
        self.result = {}
        self._titles = None
        self._loss_limits = None
        self.backprop = widgets.HTMLMath(value="")
        self.readout = widgets.HTML(value="")
        super().__init__()
        *top, image = self.children
        self.children = (*top, self.readout, image, self.backprop)
        self._show_readout()

    # -- controls ---------------------------------------------------------------------------
    def make_controls(self):
        style = {"description_width": "110px"}
        lay = {"style": style, "continuous_update": False}
        options = ([_USER] if self._user else []) + list(problems.PROBLEMS)
        return {
            "dataset": widgets.Dropdown(options=options, value=options[0], description="problem",
                                        style=style),
            # the train share first: it changes the picture for your data too (noise does not)
            "train_ratio": widgets.FloatSlider(value=0.5, min=0.1, max=0.9, step=0.1,
                                               description="train share", **lay),
            "noise": widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.05,
                                         description="noise", **lay),
            "batch_size": widgets.Dropdown(options=[1, 5, 10, 20, 50, ("full batch", None)],
                                           value=20, description="batch size", style=style),
            "seed": _Regenerate(),
            "features": _FeatureToggles(),
            "hidden_layers": widgets.IntSlider(value=2, min=0, max=6, description="hidden layers",
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
                                                description="reg. rate \u03b1", **lay),
            "dropout": widgets.Dropdown(options=[0.0, 0.1, 0.2, 0.3, 0.5], value=0.0,
                                        description="dropout", style=style),
            "batch_norm": widgets.Checkbox(value=False, description="batch normalisation",
                                           indent=False),
            "show": widgets.Dropdown(options=_NEURONS, value="output", description="show neuron",
                                     style=style),
            "backprop_from": widgets.Dropdown(options=[("off", 0)] + [(str(j), j)
                                                                     for j in range(1, 9)],
                                              value=0, description="backprop: w from unit",
                                              style=style),
            "show_test": widgets.Checkbox(value=True, description="show test data",
                                          indent=False),
            "discretize": widgets.Checkbox(value=False, description="discretize output",
                                           indent=False),
            "epochs": widgets.IntSlider(value=60, min=0, max=self.max_epochs,
                                        description="epochs", **lay),
        }

    # -- figure -------------------------------------------------------------------------------
    def setup_figure(self, fig, axes):
        ax_net, ax_map, ax_loss = axes
        fig.set_layout_engine("none")
        ax_net.set_position([0.005, 0.02, _W / 720, _H / 360])
        ax_map.set_position([0.6, 0.39, 0.27, 0.54])
        ax_loss.set_position([0.6, 0.1, 0.38, 0.2])
        ax_net.set_xlim(0, _W)
        ax_net.set_ylim(_H, 0)
        ax_net.set_axis_off()
        self._lines = ax_net.add_collection(LineCollection([], zorder=1, capstyle="butt"))
        self._net = _NodeMaps(ax_net)
        self._net.set_zorder(2)
        ax_net.add_artist(self._net)
        self._highlight = ax_net.add_patch(Rectangle((0, 0), _T + 4, _T + 4, fill=False,
                                                     edgecolor="k", linewidth=1.5, zorder=3))
        self._labels = []
        self._map = ax_map.imshow(np.zeros((2, 2)), origin="lower", extent=(0, 1, 0, 1),
                                  cmap=DIVERGING, vmin=0, vmax=1, alpha=0.45, aspect="auto",
                                  interpolation="bilinear", interpolation_stage="data")
        self._boundary = ax_map.add_collection(LineCollection([], colors="k", linewidths=1))
        self._train_points = ax_map.scatter([], [], c=[], s=12, edgecolors="none")
        self._test_points = ax_map.scatter([], [], c=[], s=16, edgecolors="white",
                                           linewidths=0.8)
        self._train_line, = ax_loss.plot([1], [1], color=CLASS_COLORS[0])
        self._test_line, = ax_loss.plot([1], [1], color=CLASS_COLORS[1])
        ax_loss.set_xlabel("epoch", fontsize=9)
        ax_loss.set_ylabel("loss", fontsize=9)
        ax_loss.tick_params(labelsize=8)
        ax_loss.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax_loss.yaxis.set_major_locator(MaxNLocator(3))
        ax_map.set_xticks([])
        ax_map.set_yticks([])
        for a in (ax_map, ax_loss):
            a.set_title(" ", fontsize=9, y=1.0)
        fig.canvas.draw()
        pin_axis_labels(fig, [ax_loss])

    def dynamic_artists(self):
        _, ax_map, ax_loss = self.axes
        return [self._lines, self._net, self._highlight, self._map, self._boundary,
                self._train_points, self._test_points, self._train_line, self._test_line]

    # -- numerical work ---------------------------------------------------------------------
    def _data(self, dataset, noise, seed, train_ratio):
        if dataset == _USER:
            if self._user is None:
                raise ValueError("'your data' needs data: call nm.widgets.mlp_playground(X, y).")
            X, y, task = self._user
            if noise != 0.1:
                self.notify("The noise slider changes the built-in problems only, not your data.")
        else:
            task = problems.task_of(dataset)
            X, y = problems.make_problem(dataset, self.n_samples, noise=noise, random_state=seed)
        Ptr, Pte, ytr, yte = train_test_split(X, y, test_size=1 - train_ratio,
                                              stratify=task == "classification",
                                              random_state=seed)
        if task == "regression":
            ytr, yte = ytr.astype(float), yte.astype(float)
        return task, X, Ptr, Pte, ytr, yte

    def _new_run(self, key, dataset, noise, seed, train_ratio, batch_size, features,
                 hidden_layers, units, activation, lr, optimizer, regularization, reg_rate,
                 dropout, batch_norm):
        features = _check_features(features)
        task, X, Ptr, Pte, ytr, yte = self._data(dataset, noise, seed, train_ratio)
        if batch_norm and hidden_layers and (batch_size == 1 or Ptr.shape[0] % (
                batch_size or Ptr.shape[0]) == 1):
            raise ValueError("Batch normalisation needs batches of at least 2 points (it "
                             "divides by the batch's standard deviation); choose a batch size "
                             "of 5 or more.")
        l1 = reg_rate if regularization == "L1" else 0.0
        l2 = reg_rate if regularization == "L2" else 0.0
        sizes = [len(features)] + [units] * hidden_layers + [2 if task == "classification" else 1]
        recorder = _Recorder(make_optimizer(optimizer, lr))
        model = MLP(sizes, activation=activation, task=task, lr=lr, batch_size=batch_size,
                    optimizer=recorder.optimizer, l1=l1, l2=l2, init="xavier", random_state=0,
                    dropout=dropout if hidden_layers else 0.0,
                    batch_norm=bool(batch_norm and hidden_layers)).init_params()
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.1 * (hi - lo) + 1e-9
        lo, hi = lo - pad, hi + pad
        fine = np.meshgrid(np.linspace(lo[0], hi[0], self.grid_n),
                           np.linspace(lo[1], hi[1], self.grid_n))
        # the small maps: one value per pixel, row 0 at the top (as the image is drawn)
        thumb = np.meshgrid(np.linspace(lo[0], hi[0], _T), np.linspace(hi[1], lo[1], _T))
        pts = [np.column_stack([g[0].ravel(), g[1].ravel()]) for g in (fine, thumb)]
        run = {"key": key, "model": model, "recorder": recorder, "task": task,
               "features": features, "settings": {"lr": lr, "optimizer": optimizer,
                                                  "batch_size": batch_size, "l1": l1, "l2": l2,
                                                  "dropout": model.dropout,
                                                  "batch_norm": model.batch_norm},
               "data": (problems.feature_matrix(Ptr, features), ytr,
                        problems.feature_matrix(Pte, features), yte),
               "points": (Ptr, Pte), "extent": (lo[0], hi[0], lo[1], hi[1]),
               "fine": (fine[0], fine[1], problems.feature_matrix(pts[0], features)),
               "thumb": problems.feature_matrix(pts[1], features),
               "snapshots": [], "train": [], "test": [], "error": None,
               "batch_size": batch_size}
        self._snapshot(run)
        return run

    @staticmethod
    def _snapshot(run):
        model = run["model"]
        stats = getattr(model, "running_stats_", None)
        run["snapshots"].append({
            "params": {k: v.copy() for k, v in model.params.items()},
            "stats": {k: v.copy() for k, v in stats.items()} if stats else None,
            "last": run["recorder"].last})

    def _extend(self, run, epochs):
        """Train the cached run until it has ``epochs`` epochs (or fails)."""
        model = run["model"]
        Xtr, ytr, Xte, yte = run["data"]
        while len(run["snapshots"]) <= epochs and run["error"] is None:
            try:
                model.partial_fit(Xtr, ytr, epochs=1)
                train = model.loss(Xtr, ytr, include_penalty=False)
                test = model.loss(Xte, yte, include_penalty=False)
                if not (np.isfinite(train) and np.isfinite(test)):
                    raise TrainingDiverged(
                        f"Training diverged in epoch {len(run['train']) + 1}: the loss became "
                        f"{train}. Try a smaller learning rate.")
            except TrainingDiverged as exc:
                run["error"] = str(exc)
                break
            run["train"].append(train)
            run["test"].append(test)
            self._snapshot(run)

    def compute(self, epochs, show, show_test, discretize, backprop_from, **settings):
        settings["features"] = _check_features(settings["features"])
        key = tuple(sorted(settings.items()))
        if self._run is None or self._run["key"] != key:
            self._run = None
            self._run = self._new_run(key, **settings)
        self._extend(self._run, epochs)
        return self._view(self._run, epochs)

    def advance(self, state, n):
        """``n`` more epochs of the run on screen, from the epoch on screen (Play)."""
        run = state["run"]
        self._extend(run, state["epochs"] + n)
        return self._view(run, state["epochs"] + n)

    def progress(self, state):
        return state["epochs"]

    def finished(self, state):
        return "diverged" if state["run"]["error"] is not None else None

    def _viewer(self, run, done):
        m = run["model"]
        snap = run["snapshots"][done]
        viewer = MLP(m.layer_sizes, activation=m.activation, task=m.task, lr=m.lr,
                     batch_size=m.batch_size, optimizer=run["settings"]["optimizer"],
                     l1=m.l1, l2=m.l2, init=m.init, random_state=0, dropout=m.dropout,
                     batch_norm=m.batch_norm)
        viewer.params = {k: v.copy() for k, v in snap["params"].items()}
        viewer.running_stats_ = (None if snap["stats"] is None
                                 else {k: v.copy() for k, v in snap["stats"].items()})
        return viewer

    def _view(self, run, epochs):
        """The state to draw: the run at ``epochs`` (or at its last epoch before that)."""
        done = min(epochs, len(run["snapshots"]) - 1)
        if run["error"] is not None and done < epochs:
            self.notify(f"{run['error']} Showing the last epoch before it blew up ({done}).")
        return {"model": self._viewer(run, done), "data": run["data"], "epochs": done,
                "train": np.array(run["train"][:done]), "test": np.array(run["test"][:done]),
                "run": run}

    @property
    def model(self) -> MLP:
        """The network on screen (an independent copy): an :class:`nnmath.MLP` with its
        settings, taking the feature columns ``demo.features(X)`` as input."""
        if self.state is None:
            raise ValueError("No trained network is on screen (see the message above the "
                             "figure); change a setting or press Reset first.")
        return copy.deepcopy(self.state["model"])

    def features(self, X) -> np.ndarray:
        """The input columns the network on screen sees for points ``X`` (n, 2)."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"X must be points of the plane, shape (n, 2), got {X.shape}.")
        features = self.state["run"]["features"] if self.state else ("x1", "x2")
        return problems.feature_matrix(X, features)

    # -- drawing ------------------------------------------------------------------------------

    def twin_frames(self):
        """The spiral forming: (caption, control values) per frame (the first recorded run)."""
        spiral = {"dataset": "spiral", "noise": 0.1, "train_ratio": 0.7, "batch_size": 50,
                  "hidden_layers": 2, "units": 8, "activation": "tanh", "lr": 0.1,
                  "optimizer": "adam", "regularization": "none", "reg_rate": 0.001,
                  "features": ("x1", "x2"), "seed": 0, "dropout": 0.0, "batch_norm": False,
                  "show": "output", "show_test": True, "discretize": False, "backprop_from": 0}
        return [(f"spiral, 2 hidden layers of 8 tanh units: epoch {e}", {**spiral, "epochs": e})
                for e in (1, 5, 10, 15, 20, 30, 40, 50, 65, 80, 95, 110)]

    def twin_runs(self):
        """The recorded runs of the HTML twin: (name, list of (caption, values))."""
        from ._playground_twin import twin_runs
        return twin_runs(self)

    def static_twin(self) -> str:
        if self._twin is None:
            from ._playground_twin import record
            self._twin = record(self)
        return self._twin


def mlp_playground(X=None, y=None) -> MLPPlayground:
    """The chapter 6 playground: train an MLP on a problem in the plane and watch it learn.

    Without arguments it offers the built-in problems. With ``X`` (n, 2) and ``y`` (n,) it
    trains on your data: labels 0/1 make a classification problem, other real numbers a
    regression problem; it starts on "your data" (the built-in problems stay selectable).
    """
    return MLPPlayground(X, y)
