"""Drawing of the MLP playground (:mod:`nnmath.widgets.playground`): the network diagram
(per-neuron maps composed into one image, weight lines), the enlarged neuron, the loss curves.

A mixin of :class:`~nnmath.widgets.playground.MLPPlayground`; it reads the run and the
artists the playground sets up.
"""

from __future__ import annotations

import contourpy
import numpy as np
from matplotlib.colors import ListedColormap

from . import _problems as problems
from ._playground_parts import (
    _BLUE,
    _H,
    _LEFT,
    _LUT,
    _ORANGE,
    _ROW,
    _T,
    _TOP,
    _W,
    DIVERGING,
)
from .maths import _round_up_125


class DiagramMixin:
    """The drawing methods of the playground."""

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
