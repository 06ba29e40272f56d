"""Plotting helpers shared by the chapters and the demos, and the HTML frame player.

The numerical modules never plot; this module (and :mod:`nnmath.widgets`) does.
Figures are made with :class:`matplotlib.figure.Figure` directly, not through
``pyplot``, so a demo can redraw one figure many times without the notebook
displaying stray copies.

The frame player (:func:`frames_player_html`, :func:`animate`) turns a list of
PNG frames into a self-contained HTML slider with a play button: no external
JavaScript, no kernel, so "watch it train" plays in the static HTML book.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

__all__ = [
    "CLASS_COLORS", "new_figure", "fig_to_png", "frames_player_html", "HTMLPlayer", "animate",
    "plot_loss_curve", "plot_decision_surface", "plot_contours", "grid_2d", "pin_axis_labels",
]

#: Colours for class 0, 1, 2, ... (colour-blind safe, Okabe-Ito).
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                "#F0E442", "#000000", "#999999", "#882255"]


def new_figure(nrows=1, ncols=1, figsize=(8, 3.4), **subplot_kw):
    """A pyplot-free figure and its axes (``squeeze`` as in ``plt.subplots``).

    The figure gets its own Agg canvas, kept for its lifetime: ``savefig`` then reuses it (and
    its cached text layout) instead of making a new canvas per frame, which matters for demos
    that redraw many times.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, subplot_kw=subplot_kw or None)
    return fig, axes


def fig_to_png(fig, dpi=80) -> bytes:
    """Render a figure to PNG bytes at ``dpi``.

    Draws on the figure's Agg canvas and encodes its pixel buffer with Pillow. This is about
    twice as fast as ``savefig`` for a figure redrawn many times (a demo): ``savefig`` switches
    the figure to the requested dpi and back on every call, which throws away the canvas's cached
    text layout. Here the figure simply keeps ``dpi``.
    """
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return _canvas_png(canvas)


def _canvas_png(canvas) -> bytes:
    """PNG bytes of what an Agg canvas holds now, without drawing (used for blitting)."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=3)
    return buf.getvalue()


def pin_axis_labels(fig, axes=None):
    """Fix each axis label of ``axes`` (default: all of ``fig``'s) where the last draw put it.

    Automatic label placement measures every tick label on every full redraw, a sizeable
    share of a demo's redraw time; pinned labels skip that. The figure must have been drawn.
    """
    for ax in fig.axes if axes is None else axes:
        inv = ax.transAxes.inverted()
        box = ax.xaxis.label.get_window_extent()
        ax.xaxis.set_label_coords(*inv.transform(((box.x0 + box.x1) / 2, box.y1)))
        box = ax.yaxis.label.get_window_extent()
        ax.yaxis.set_label_coords(*inv.transform((box.x1, (box.y0 + box.y1) / 2)))


def frames_player_html(frames, labels=None, *, title="", interval_ms=250, alt="animation") -> str:
    """A self-contained HTML player for PNG frames: slider, play/pause, frame caption.

    It works from the keyboard: Tab reaches it (the player itself, then its button and
    slider); Left/Right step one frame, Home/End jump to the first/last, Space plays and
    pauses. The controls have labels, the slider announces the frame's caption
    (``aria-valuetext``), the caption is a polite live region so a screen reader reads each
    new frame, and the image's ``alt`` is ``alt`` followed by that caption.

    Parameters
    ----------
    frames : list of bytes
        PNG images, all the same size.
    labels : list of str, optional
        One caption per frame (e.g. ``"epoch 10, loss 0.31"``).
    title : str
        Shown above the player; also its accessible name.
    alt : str
        What the frames show, in a few words (the start of every frame's ``alt``).
    """
    if not frames:
        raise ValueError("frames_player_html needs at least one frame, got none.")
    labels = list(labels) if labels is not None else [f"frame {i + 1}" for i in range(len(frames))]
    if len(labels) != len(frames):
        raise ValueError(f"Got {len(frames)} frames but {len(labels)} labels; give one per frame.")
    uris = ["data:image/png;base64," + base64.b64encode(f).decode("ascii") for f in frames]
    uid = "nnp-" + hashlib.sha1(b"".join(frames[:2]) + title.encode()).hexdigest()[:12]
    last = len(frames) - 1
    esc = html.escape
    caption = f'<div class="nnmath-player-title">{esc(title)}</div>' if title else ""
    name = esc(f"{title}: recorded demo" if title else alt)
    return f"""<div class="nnmath-player" id="{uid}" role="group" tabindex="0" aria-label="{name}"
 aria-roledescription="frame player" aria-keyshortcuts="ArrowLeft ArrowRight Home End Space">
{caption}<img src="{uris[last]}" alt="{esc(f"{alt}. {labels[last]}")}"
 style="max-width:100%;height:auto;display:block">
<div class="nnmath-player-controls" style="display:flex;gap:.6em;align-items:center">
<button type="button" aria-label="Play">&#9654; play</button>
<input type="range" min="0" max="{last}" value="{last}" step="1" style="flex:1"
 aria-label="Frame" aria-valuetext="{esc(labels[last])}">
<span class="nnmath-player-label" aria-live="polite">{esc(labels[last])}</span></div>
<div class="nnmath-player-help">Keys: &#8592; &#8594; step, Space play/pause.</div>
<script>(function() {{
  var root = document.getElementById("{uid}");
  var frames = {json.dumps(uris)};
  var labels = {json.dumps(labels)};
  var alt = {json.dumps(alt)};
  var img = root.querySelector("img"), slider = root.querySelector("input"),
      label = root.querySelector(".nnmath-player-label"),
      button = root.querySelector("button"), timer = null;
  function show(i) {{
    img.src = frames[i]; img.alt = alt + ". " + labels[i]; slider.value = i;
    slider.setAttribute("aria-valuetext", labels[i]); label.textContent = labels[i];
  }}
  function stop() {{
    clearInterval(timer); timer = null;
    button.innerHTML = "&#9654; play"; button.setAttribute("aria-label", "Play");
  }}
  function toggle() {{
    if (timer) {{ stop(); return; }}
    var i = (+slider.value >= {last}) ? 0 : +slider.value;
    show(i); button.innerHTML = "&#10074;&#10074; pause";
    button.setAttribute("aria-label", "Pause");
    timer = setInterval(function() {{
      i += 1; if (i > {last}) {{ stop(); return; }} show(i);
    }}, {int(interval_ms)});
  }}
  slider.addEventListener("input", function() {{ stop(); show(+slider.value); }});
  button.addEventListener("click", toggle);
  root.addEventListener("keydown", function(e) {{
    var i = +slider.value, to = null;
    if (e.key === " " || e.key === "Spacebar") {{
      if (e.target === button) return;  /* the button's own click */
      e.preventDefault(); toggle(); return;
    }}
    if (e.target === slider) return;  /* the slider steps by itself */
    if (e.key === "ArrowRight") to = Math.min(i + 1, {last});
    else if (e.key === "ArrowLeft") to = Math.max(i - 1, 0);
    else if (e.key === "Home") to = 0;
    else if (e.key === "End") to = {last};
    if (to !== null) {{ e.preventDefault(); stop(); show(to); }}
  }});
}})();</script></div>"""


class HTMLPlayer:
    """A frame player that displays itself in Jupyter and in the HTML book."""

    def __init__(self, frames, labels=None, **kwargs):
        self.n_frames = len(frames)
        self.labels = list(labels) if labels is not None else None
        self.html = frames_player_html(frames, labels, **kwargs)

    def _repr_html_(self):
        return self.html


def animate(fig, draw_frame, n_frames, *, labels=None, dpi=80, **kwargs) -> HTMLPlayer:
    """Call ``draw_frame(i)`` for ``i = 0..n_frames-1``, capture each, return a player.

    ``draw_frame`` updates the artists of ``fig`` and may return the frame's label.
    """
    frames, got = [], []
    for i in range(n_frames):
        got.append(draw_frame(i))
        frames.append(fig_to_png(fig, dpi=dpi))
    if labels is None and all(isinstance(g, str) for g in got):
        labels = got
    return HTMLPlayer(frames, labels, **kwargs)


def plot_loss_curve(ax, history, label=None, logy=True, **kwargs):
    """Loss per epoch (or step) on ``ax``; log scale by default."""
    h = np.asarray(history, dtype=float)
    line, = ax.plot(np.arange(1, h.size + 1), h, label=label, **kwargs)
    if logy and h.size and np.all(h[np.isfinite(h)] > 0):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    return line


def grid_2d(X, n=120, margin=0.3):
    """A regular grid covering the points ``X`` (n, 2): returns ``xx, yy, grid (n*n, 2)``."""
    X = np.asarray(X, dtype=float)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_surface(ax, proba_fn, X, y, *, grid=None, X_test=None, y_test=None,
                          n_classes=None, alpha=0.35):
    """Shade the predicted class (2 classes: the probability of class 1) and plot points.

    ``proba_fn(points) -> (m, K)`` probabilities or ``(m,)`` probability of class 1.
    Test points, if given, are drawn with white-edged markers.
    """
    xx, yy, pts = grid if grid is not None else grid_2d(X if X_test is None
                                                       else np.vstack([X, X_test]))
    P = np.asarray(proba_fn(pts), dtype=float)
    K = n_classes or (2 if P.ndim == 1 else P.shape[1])
    colors = ListedColormap(CLASS_COLORS[:K])
    if P.ndim == 1 or P.shape[1] == 2:
        p1 = P if P.ndim == 1 else P[:, 1]
        cmap = ListedColormap(np.vstack([
            np.linspace([0.0, 0.447, 0.698], [1, 1, 1], 128),
            np.linspace([1, 1, 1], [0.902, 0.624, 0.0], 128)]))
        ax.contourf(xx, yy, p1.reshape(xx.shape), levels=np.linspace(0, 1, 11), cmap=cmap,
                    alpha=alpha)
        ax.contour(xx, yy, p1.reshape(xx.shape), levels=[0.5], colors="k", linewidths=1)
    else:
        ax.contourf(xx, yy, P.argmax(axis=1).reshape(xx.shape), levels=np.arange(K + 1) - 0.5,
                    cmap=colors, alpha=alpha)
    ax.scatter(X[:, 0], X[:, 1], c=np.asarray(y), cmap=colors, vmin=0, vmax=K - 1, s=14,
               edgecolors="none")
    if X_test is not None:
        ax.scatter(X_test[:, 0], X_test[:, 1], c=np.asarray(y_test), cmap=colors, vmin=0,
                   vmax=K - 1, s=18, edgecolors="white", linewidths=0.8)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_aspect("equal")


def plot_contours(ax, f, xlim, ylim, n=100, levels=20, log=False, **kwargs):
    """Contour lines of ``f(X, Y)`` (vectorised over grids) on ``ax``."""
    xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
    XX, YY = np.meshgrid(xs, ys)
    ZZ = f(XX, YY)
    if log:
        ZZ = np.log10(ZZ - ZZ.min() + 1e-3)
    return ax.contour(XX, YY, ZZ, levels=levels, **kwargs)
