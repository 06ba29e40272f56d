"""Pieces of the MLP playground (:mod:`nnmath.widgets.playground`): its colours and sizes,
two small widgets (the feature toggles, the regenerate button), the artist that pastes the
neurons' maps into the figure, the feature check, and the optimiser wrapper that keeps the
last update for the backprop view.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import traitlets
from matplotlib.artist import Artist
from matplotlib.colors import LinearSegmentedColormap

from . import _problems as problems

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
