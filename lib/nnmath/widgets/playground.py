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
"""

from __future__ import annotations

import copy
import html

import contourpy
import ipywidgets as widgets
import numpy as np
import traitlets
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, ListedColormap
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .._validation import TrainingDiverged
from ..data import train_test_split
from ..mlp import MLP
from ..optim import make_optimizer
from ..plotting import CLASS_COLORS, pin_axis_labels
from . import _problems as problems
from ._base import Demo, _error_html
from .maths import _round_up_125

__all__ = ["mlp_playground", "MLPPlayground"]

_LRS = [0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
_RATES = [0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
_BLUE, _ORANGE = np.array([0.0, 0.447, 0.698]), np.array([0.902, 0.624, 0.0])
#: blue (negative, class 0) - white - orange (positive, class 1)
DIVERGING = LinearSegmentedColormap.from_list("nnmath_playground", [_BLUE, (1, 1, 1), _ORANGE])
_LUT = (DIVERGING(np.linspace(0, 1, 256)) * 255).astype(np.uint8)  # RGBA per level
_USER = "your data"
# the diagram, in pixels of the composed image (1:1 with the screen at 72 dpi)
_W, _H, _T, _ROW, _LEFT, _TOP = 400, 330, 26, 38, 44, 22
#: f'(z) from z and a = f(z), as in the chapter's table of activations
_DERIVATIVES = {"tanh": lambda z, a: 1.0 - a * a, "sigmoid": lambda z, a: a * (1.0 - a),
                "relu": lambda z, a: float(z > 0),
                "leaky_relu": lambda z, a: 1.0 if z > 0 else 0.01,
                "identity": lambda z, a: 1.0}
#: every neuron the network can have, for the *show* control
_NEURONS = (["output"] + [label for label, _ in problems.FEATURES.values()]
            + [f"layer {l}, unit {k}" for l in range(1, 7) for k in range(1, 9)])
#: controls that change only the view, not the training run
_VIEW = ("show", "show_test", "discretize", "backprop_from", "epochs")


class _Regenerate(widgets.Button):
    """A button whose ``value`` counts its clicks: a new draw of the data per click."""

    value = traitlets.Int(0)

    def __init__(self, **kwargs):
        super().__init__(description="regenerate", icon="refresh",
                         tooltip="draw new data (and a new train/test split)", **kwargs)
        self.on_click(lambda _: setattr(self, "value", self.value + 1))


class _FeatureToggles(widgets.HBox):
    """Toggle buttons for the input features; ``value`` is the tuple of those switched on."""

    value = traitlets.Any(())  # a tuple (the validator makes one of a name or a list)

    def __init__(self, value=("x1", "x2")):  # a single name is accepted as a 1-tuple
        self._buttons = {name: widgets.ToggleButton(
            value=name in value, description=label, tooltip=f"feature {label}",
            layout=widgets.Layout(width="58px", padding="0"))
            for name, (label, _) in problems.FEATURES.items()}
        super().__init__([widgets.Label("features", layout=widgets.Layout(width="70px"))]
                         + list(self._buttons.values()),
                         layout=widgets.Layout(grid_column="span 2", flex_flow="row wrap"))
        self.value = tuple(value)
        for b in self._buttons.values():
            b.observe(self._on_button, names="value")
        self.observe(self._on_value, names="value")

    @traitlets.validate("value")
    def _valid_value(self, proposal):
        value = proposal["value"]
        return (value,) if isinstance(value, str) else tuple(value)

    def _on_button(self, change):
        self.value = tuple(n for n, b in self._buttons.items() if b.value)

    def _on_value(self, change):
        for name, b in self._buttons.items():
            if b.value != (name in change["new"]):
                b.unobserve(self._on_button, names="value")
                b.value = name in change["new"]
                b.observe(self._on_button, names="value")


class _NodeMaps(Artist):
    """The neurons' small maps, pasted straight into the Agg buffer (no resampling).

    ``tiles`` is a list of ``(x, y, rgba)``: the centre of a node in data coordinates of the
    axes and its (T, T, 4) picture; at 72 dpi one value is one pixel, otherwise the picture
    is scaled by nearest neighbours. Matplotlib's image pipeline resamples every image and
    cost ten times more for the 50-odd small maps of a deep network.
    """

    def __init__(self, ax):
        super().__init__()
        self.axes, self.tiles = ax, []
        self.set_figure(ax.figure)
        self.set_transform(ax.transData)

    def draw(self, renderer):
        if not self.get_visible() or not self.tiles:
            return
        buf = np.asarray(renderer.buffer_rgba())
        height, width = buf.shape[:2]
        trans = self.axes.transData
        scale = abs(trans.transform((_T, 0))[0] - trans.transform((0, 0))[0]) / _T
        size = max(1, int(round(_T * scale)))
        pick = np.minimum((np.arange(size) / scale).astype(np.int64), _T - 1)
        for x, y, rgba in self.tiles:
            cx, cy = trans.transform((x, y))
            c0, r0 = int(round(cx - size / 2)), int(round(height - cy - size / 2))
            if c0 < 0 or r0 < 0 or c0 + size > width or r0 + size > height:
                continue
            tile = rgba if size == _T else rgba[pick][:, pick]
            buf[r0:r0 + size, c0:c0 + size] = tile
            grey = (160, 160, 160, 255)  # a thin frame
            buf[r0 - 1 if r0 else r0, c0:c0 + size] = grey
            buf[min(r0 + size, height - 1), c0:c0 + size] = grey
            buf[r0:r0 + size, c0 - 1 if c0 else c0] = grey
            buf[r0:r0 + size, min(c0 + size, width - 1)] = grey
        self.stale = False


def _check_features(features):
    if isinstance(features, str):
        features = (features,)
    features = tuple(features)
    unknown = [f for f in features if f not in problems.FEATURES]
    if unknown:
        raise ValueError(f"Unknown feature(s) {unknown}; choose from {list(problems.FEATURES)}.")
    if not features:
        raise ValueError("No input feature is switched on: the network would see nothing. "
                         "Switch on at least one feature (x\u2081, for instance).")
    return tuple(f for f in problems.FEATURES if f in features)


class _Recorder:
    """Wrap an optimiser's ``step`` to keep its last update: the gradients and the weights
    before it (the update itself is unchanged, so training equals ``MLP.fit``)."""

    def __init__(self, optimizer):
        self.optimizer, self.last = optimizer, None
        self._step = optimizer.step
        optimizer.step = self.step

    def step(self, params, grads):
        before = {k: v.copy() for k, v in params.items() if k[0] == "W"}
        self._step(params, grads)
        self.last = {"t": self.optimizer.t, "grads": grads, "before": before}


class MLPPlayground(Demo):
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
    def _layout(self, sizes, features):
        """Node centres (column, row) -> (x, y), and the neuron names of the *show* control."""
        n_cols = len(sizes)
        xs = np.linspace(_LEFT + _T / 2, _W - _T / 2 - 4, n_cols)
        nodes, names = [], []
        for c, m in enumerate(sizes):
            m = 1 if c == n_cols - 1 else m
            ys = (_TOP + (_H - _TOP) / 2) + (np.arange(m) - (m - 1) / 2) * _ROW
            nodes.append([(xs[c], y) for y in ys])
            if c == 0:
                names += [problems.FEATURES[f][0] for f in features]
            elif c < n_cols - 1:
                names += [f"layer {c}, unit {k + 1}" for k in range(m)]
        return nodes, names + ["output"]

    def _set_architecture(self, run):
        model = run["model"]
        sizes = list(model.layer_sizes)
        arch = (tuple(sizes), run["features"], run["task"])
        if arch == self._arch:
            return
        self._arch = arch
        ax_net = self.axes[0]
        nodes, names = self._layout(sizes, run["features"])
        self._nodes = nodes
        self._names = names
        segs = []
        for c in range(1, len(nodes)):
            for (x0, y0) in nodes[c - 1]:
                for (x1, y1) in nodes[c]:
                    segs.append([(x0 + _T / 2, y0), (x1 - _T / 2, y1)])
        self._lines.set_segments(segs)
        for t in self._labels:
            t.remove()
        self._labels = []
        for (x, y), f in zip(nodes[0], run["features"], strict=True):
            self._labels.append(ax_net.text(x - _T / 2 - 3, y, problems.FEATURES[f][0],
                                            ha="right", va="center", fontsize=8))
        heads = (["input"] + [f"layer {c}" for c in range(1, len(nodes) - 1)] + ["output"])
        for (x, _), head in zip([col[0] for col in nodes], heads, strict=True):
            self._labels.append(ax_net.text(x, _TOP - 2, head, ha="center", va="bottom",
                                            fontsize=7.5, color="#444"))
        # the points: colours by class or by target value (new data set: new run)
        self._points_of = None

    def _maps(self, model, inputs):
        """Every neuron's values at ``inputs``: list per column of (n, m) arrays."""
        out, cache = model.forward(inputs, return_cache=True)
        L = len(model.layer_sizes) - 1
        cols = [inputs] + [cache[f"A{l}"] for l in range(1, L)]
        if model.task == "classification":
            z = out[:, 1] - out[:, 0]
            with np.errstate(over="ignore"):
                cols.append((1.0 / (1.0 + np.exp(-z)))[:, None])  # p1 = sigma(z1 - z0)
        else:
            cols.append(out)
        return cols

    def _compose(self, cols, task):
        """Each neuron's small map as an RGBA tile at its node, by the LUT."""
        tiles = []
        last = len(cols) - 1
        for c, (vals, col_nodes) in enumerate(zip(cols, self._nodes, strict=True)):
            if c == last and task == "classification":
                scaled = 2.0 * vals - 1.0
            else:
                scale = np.abs(vals).max(axis=0)
                scaled = vals / np.where(scale > 0, scale, 1.0)
            idx = np.clip(((np.nan_to_num(scaled) + 1.0) * 127.5).astype(np.int64), 0, 255)
            for k, (x, y) in enumerate(col_nodes):
                tiles.append((x, y, _LUT[idx[:, k].reshape(_T, _T)]))
        return tiles

    def _weights(self, model):
        """The weights in the order of the line segments (output: the logit difference)."""
        P, L = model.params, len(model.layer_sizes) - 1
        ws = []
        for l in range(1, L + 1):
            W = P[f"W{l}"]
            if l == L:
                W = (W[:, 1] - W[:, 0])[:, None] if model.task == "classification" else W
            ws.append(W.ravel())
        return np.concatenate(ws)

    def draw(self, s):
        run, model = s["run"], s["model"]
        self._set_architecture(run)
        _, ax_map, ax_loss = self.axes
        task = run["task"]
        Xtr, ytr, Xte, yte = s["data"]
        Ptr, Pte = run["points"]
        values = self.values
        # the network
        cols = self._maps(model, run["thumb"])
        self._net.tiles = self._compose(cols, task)
        self._net.stale = True
        w = self._weights(model)
        w = np.nan_to_num(w)
        wmax = np.abs(w).max() if w.size else 1.0
        rel = np.abs(w) / (wmax if wmax > 0 else 1.0)
        self._lines.set_linewidths(0.25 + 3.75 * rel)
        colours = np.where((w >= 0)[:, None], np.append(_ORANGE, 1.0), np.append(_BLUE, 1.0))
        colours[:, 3] = 0.25 + 0.75 * rel
        self._lines.set_color(colours)
        # the selected neuron
        show = values["show"]
        if show not in self._names:
            self.notify(f"This network has no neuron '{show}' (show neuron); showing the output.")
            show = "output"
        index = self._names.index(show)
        flat = [(c, k) for c, col in enumerate(self._nodes) for k in range(len(col))]
        c, k = flat[index]
        x, y = self._nodes[c][k]
        self._highlight.set_xy((x - _T / 2 - 2, y - _T / 2 - 2))
        xx, yy, fine_inputs = run["fine"]
        vals = self._maps(model, fine_inputs)[c][:, k].reshape(xx.shape)
        is_prob = c == len(self._nodes) - 1 and task == "classification"
        extent = run["extent"]
        if values["discretize"]:
            shown = (vals > (0.5 if is_prob else 0.0)).astype(float)
            lo, hi = 0.0, 1.0
        elif is_prob:
            shown, lo, hi = vals, 0.0, 1.0
        else:
            m = np.abs(vals).max()
            m = m if np.isfinite(m) and m > 0 else 1.0
            if task == "regression" and c == len(self._nodes) - 1:
                m = max(1.0, min(m, 3.0))  # the targets' scale, so colours compare
            shown, lo, hi = vals, -m, m
        self._map.set_data(shown)
        self._map.set_clim(lo, hi)
        if tuple(self._map.get_extent()) != tuple(extent):
            self._map.set_extent(extent)
            ax_map.set_xlim(extent[:2])
            ax_map.set_ylim(extent[2:])
        level = 0.5 if is_prob else 0.0
        finite = np.isfinite(vals).all() and vals.min() < level < vals.max()
        self._boundary.set_segments(contourpy.contour_generator(xx, yy, vals).lines(level)
                                    if finite and (is_prob or values["discretize"]) else [])
        if self._points_of is not run:
            self._points_of = run
            if task == "classification":
                cmap, clim = ListedColormap([_BLUE, _ORANGE]), (0, 1)
            else:
                cmap, clim = DIVERGING, (-1, 1)
            for pts, target, art in ((Ptr, ytr, self._train_points),
                                     (Pte, yte, self._test_points)):
                art.set_offsets(pts)
                art.set_array(np.asarray(target, dtype=float))
                art.set_cmap(cmap)
                art.set_clim(*clim)
                if task == "regression":
                    art.set_edgecolor("#444" if art is self._train_points else "white")
                    art.set_linewidth(0.4 if art is self._train_points else 0.8)
        self._test_points.set_visible(bool(values["show_test"]))
        # scores: in the readout line above the figure (text is the slowest thing to draw),
        # the titles only when what they say changes (then the background is redrawn)
        score_tr, score_te = model.score(Xtr, ytr), model.score(Xte, yte)
        self.result = {"epochs": s["epochs"], "task": task, "train_acc": score_tr,
                       "sizes": list(model.layer_sizes),
                       "test_acc": score_te,
                       "train_loss": s["train"][-1] if s["epochs"] else np.nan,
                       "test_loss": s["test"][-1] if s["epochs"] else np.nan}
        name = "cross-entropy" if task == "classification" else "squared error"
        titles = (show, name, values["discretize"], is_prob)
        if titles != self._titles:
            self._titles = titles
            mark = " (class)" if is_prob else " (sign)"
            ax_map.set_title(f"{show}{mark if values['discretize'] else ''}", fontsize=9, y=1.0)
            ax_loss.set_title(f"loss ({name}): train blue, test orange", fontsize=9, y=1.0)
            self._background = None
        epochs = np.arange(1, s["epochs"] + 1)
        self._train_line.set_data(epochs, s["train"])
        self._test_line.set_data(epochs, s["test"])
        both = np.concatenate([s["train"], s["test"]])
        both = both[np.isfinite(both) & (both > 0)]
        top = min(both.max(), 5.0) if both.size else 1.0
        if self._loss_limits is not None:  # fixed while the twin records a run
            xmax, top = self._loss_limits
        else:
            xmax = min(_round_up_125(max(s["epochs"], 5)), self.max_epochs)
        ax_loss.set_xlim(0.5, xmax + 0.5)
        ax_loss.set_ylim(0.0, 0.25 * np.ceil(1.05 * top / 0.25))
        self._show_readout()
        self._draw_backprop(s, c, k)

    def readout_text(self) -> str:
        """Epoch, losses and scores of the state on screen, as one line of text."""
        r = self.result
        if not r:
            return ""
        what = "accuracy" if r["task"] == "classification" else "R\u00b2"
        loss = "cross-entropy" if r["task"] == "classification" else "squared error"
        text = f"epoch {r['epochs']} of network {r['sizes']}: "
        if r["epochs"]:
            text += f"{loss} train {r['train_loss']:.3g}, test {r['test_loss']:.3g}; "
        return text + f"{what} train {r['train_acc']:.2f}, test {r['test_acc']:.2f}"

    def _show_readout(self):
        if hasattr(self, "readout"):
            self.readout.value = f"<b>{html.escape(self.readout_text())}</b>"

    # -- the backprop view ---------------------------------------------------------------------
    def _draw_backprop(self, s, c, k):
        j = self.values["backprop_from"]
        if not j:
            self.backprop.value = ""
            return
        try:
            self.backprop.value = self._backprop_html(s, c, k, j - 1)
        except Exception as exc:  # the view never breaks the demo
            self.backprop.value = _error_html(exc)

    def _backprop_html(self, s, c, k, j):
        run, model = s["run"], s["model"]
        L = len(model.layer_sizes) - 1
        if c == 0:
            return ("<i>Backprop view: select a hidden unit or the output under <b>show "
                    "neuron</b>; its incoming weights are shown.</i>")
        l = c  # weight layer l goes into column c
        if l == L:
            k = 1 if model.task == "classification" else 0
        fan_in = model.layer_sizes[l - 1]
        if j >= fan_in:
            return (f"<i>Backprop view: layer {l - 1 if l > 1 else 'input'} has {fan_in} "
                    f"unit(s); choose a unit from 1 to {fan_in}.</i>")
        snap = run["snapshots"][s["epochs"]]
        src = (problems.FEATURES[run["features"][j]][0] if l == 1 else f"unit {j + 1} of layer "
               f"{l - 1}")
        dst = ("the output (logit z\u2081 of class 1)" if l == L and model.task ==
               "classification" else "the output" if l == L else f"unit {k + 1} of layer {l}")
        w_now = model.params[f"W{l}"][j, k]
        rows = [f"<b>Backprop view</b>: the weight \\(w = (W_{{{l}}})_{{{j + 1},{k + 1}}}\\) "
                f"from {html.escape(src)} to {html.escape(dst)}; now \\(w = {w_now:.4g}\\)."]
        last = snap["last"]
        if last is None:
            rows.append("No update yet: train a step (Step or Play).")
        else:
            g = last["grads"][f"W{l}"][j, k]
            before = last["before"][f"W{l}"][j, k]
            step = w_now - before
            B = run["batch_size"] or run["data"][0].shape[0]
            lr = run["settings"]["lr"]
            rule = {"sgd": "\\(\\Delta w = -\\eta\\,\\partial\\mathcal L/\\partial w\\)",
                    "momentum": "momentum: \\(\\Delta w = -\\eta\\,v\\), "
                                "\\(v\\) a running sum of gradients",
                    "rmsprop": "RMSProp: the gradient divided by its running RMS",
                    "adam": "Adam: \\(-\\eta\\,\\hat m/(\\sqrt{\\hat v}+\\epsilon)\\)"}[
                run["settings"]["optimizer"]]
            rows.append(
                f"Last update (number {last['t']}, a batch of {min(B, run['data'][0].shape[0])} "
                f"points): gradient \\(\\partial\\mathcal L/\\partial w = (dW_{{{l}}})_{{{j + 1},"
                f"{k + 1}}} = (A_{{{l - 1}}}^\\top dZ_{{{l}}})_{{{j + 1},{k + 1}}}"
                f"{' + ' + chr(92) + 'text{penalty}' if model.l1 or model.l2 else ''}"
                f" = {g:.4g}\\); step \\(\\Delta w = {step:.4g}\\) with \\(\\eta = {lr:g}\\) "
                f"({rule}).")
        # one training point, at the weights on screen: the chain rule's factors
        Xtr, ytr = run["data"][0][:1], run["data"][1][:1]
        _, cache = model.forward(Xtr, return_cache=True)
        _, grads = model.loss_and_grads(Xtr, ytr, training=False)
        delta = grads[f"b{l}"][k]  # for one point db_l = dZ_l (equation mlp-db)
        a = (cache[f"A{l - 1}"] if l > 1 else Xtr)[0, j]
        pen = model.l2 * w_now + model.l1 * np.sign(w_now)
        line = (f"For the first training point \\(x^{{(1)}}\\) alone (\\(n = 1\\)), at the "
                f"weights on screen: upstream gradient \\((dZ_{{{l}}})_{{1,{k + 1}}} = {delta:.4g}"
                f"\\), local derivative \\(\\partial z_{{{k + 1}}}/\\partial w = "
                f"(A_{{{l - 1}}})_{{1,{j + 1}}} = {a:.4g}\\), product \\({a * delta:.4g}\\)")
        if pen:
            line += f", plus the penalty's \\({pen:.4g}\\)"
        gw = grads[f"W{l}"][j, k]
        line += f"; the gradient \\((dW_{{{l}}})_{{{j + 1},{k + 1}}} = {gw:.4g}\\)."
        rows.append(line)
        if l < L and not model.batch_norm:
            dA = float(model.params[f"W{l + 1}"][k] @ grads[f"b{l + 1}"])
            z, act = cache[f"Z{l}"][0, k], cache[f"A{l}"][0, k]
            fprime = _DERIVATIVES[model.activation](z, act)
            rows.append(f"That upstream gradient is \\(dZ_{{{l}}} = dA_{{{l}}} \\odot "
                        f"f'(Z_{{{l}}})\\): \\((dA_{{{l}}})_{{1,{k + 1}}} = (dZ_{{{l + 1}}} "
                        f"W_{{{l + 1}}}^\\top)_{{1,{k + 1}}} = {dA:.4g}\\) times "
                        f"\\(f'(z) = {fprime:.4g}\\) at \\(z = {z:.4g}\\).")
        return "<br>".join(rows)

    # -- the HTML twin ---------------------------------------------------------------------
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
