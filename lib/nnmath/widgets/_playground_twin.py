"""The HTML book's twin of the MLP playground: recorded runs the reader chooses and plays.

Each run is a list of frames (the whole figure: network diagram, enlarged output, loss
curves) at chosen epochs of one training run, made by the live demo itself (so the twin
shows exactly what the widget shows). The frames are stored as lossy WebP images (about a
sixth of a PNG's size; every current browser shows them), the page holds a menu of runs, a
slider over the frames of the chosen run and a play button. :func:`record` returns the HTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from unittest import mock

import numpy as np

from . import _base

__all__ = ["twin_runs", "record", "runs_player_html"]

_EARLY = (0, 1, 3, 6, 10, 20, 35, 60)


def twin_runs(demo):
    """``[(name, [(caption, control values), ...]), ...]``: the recorded runs."""
    base = dict(demo.twin_frames()[0][1])
    base.pop("epochs")
    default = {**base, "train_ratio": 0.5, "batch_size": 20, "hidden_layers": 2, "units": 6,
               "lr": 0.03}

    def run(name, settings, epochs):
        return (name, [(f"{name}: epoch {e}", {**settings, "epochs": e}) for e in epochs])

    if demo._user is not None:
        return [run("your data, 2 hidden layers of 6 tanh units",
                    {**default, "dataset": "your data"}, _EARLY)]
    return [
        run("spiral, 2 hidden layers of 8 tanh units", base,
            [e for _, v in demo.twin_frames() for e in [v["epochs"]]]),
        run("circles, 2 hidden layers of 6 tanh units", {**default, "dataset": "circles"},
            _EARLY),
        run("circles from x\u2081\u00b2 and x\u2082\u00b2 alone, no hidden layer",
            {**default, "dataset": "circles", "features": ("x1^2", "x2^2"),
             "hidden_layers": 0}, _EARLY),
        run("XOR, 2 hidden layers of 6 tanh units", {**default, "dataset": "xor"}, _EARLY),
        run("XOR from x\u2081x\u2082 alone, no hidden layer",
            {**default, "dataset": "xor", "features": ("x1x2",), "hidden_layers": 0}, _EARLY),
        run("Gaussians, 2 hidden layers of 6 tanh units", {**default, "dataset": "gaussians"},
            _EARLY),
        run("moons, 2 hidden layers of 6 tanh units", {**default, "dataset": "moons"}, _EARLY),
        run("plane (regression), 2 hidden layers of 6 tanh units",
            {**default, "dataset": "plane"}, _EARLY),
        run("Gaussian mixture (regression), 2 hidden layers of 8 tanh units",
            {**default, "dataset": "gaussian mixture", "units": 8, "lr": 0.1},
            (0, 3, 10, 20, 35, 55, 80, 120)),
        run("learning rate too large: SGD with \u03b7 = 3 on circles, the loss jumps about",
            {**default, "dataset": "circles", "optimizer": "sgd", "lr": 3.0}, _EARLY),
        run("diverging: SGD with \u03b7 = 1 and a linear (identity) network of 3 hidden layers",
            {**default, "dataset": "circles", "optimizer": "sgd", "lr": 1.0,
             "activation": "identity", "hidden_layers": 3}, (0, 1, 2, 3, 4)),
        run("overfitting: 10% of noisy moons for training, 4 hidden layers of 8 relu units",
            {**default, "dataset": "moons", "noise": 0.3, "train_ratio": 0.1,
             "hidden_layers": 4, "units": 8, "activation": "relu", "lr": 0.03,
             "batch_size": None}, (0, 5, 10, 20, 40, 70, 100, 150, 200)),
    ]


def _no_png(canvas) -> bytes:
    """Stands in for the widget's PNG encoder while recording (the twin needs WebP only)."""
    return b""


def _webp(canvas, quality: int = 60) -> bytes:
    """The canvas's pixels as lossy WebP (quality 60, encoder effort 2 of 6)."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="webp", quality=quality, method=2)
    return buf.getvalue()


def record(demo) -> str:
    """Play every run of ``twin_runs`` on ``demo`` and return the HTML player.

    The live demo is left as it was (its controls, and the state on screen).
    """
    saved, saved_state = demo.values, demo.state
    runs = []
    try:
        for name, frames in demo.twin_runs():
            # train the run to its end first, then fix the loss axes for all its frames, so
            # that the background (axes, ticks, labels) is drawn once per run
            demo._loss_limits = None
            demo._render({**saved, **frames[-1][1]})
            run = demo._run
            losses = np.array(run["train"] + run["test"], dtype=float)
            losses = losses[np.isfinite(losses) & (losses > 0)]
            demo._loss_limits = (max(frames[-1][1]["epochs"], 5),
                                 min(losses.max(), 5.0) if losses.size else 1.0)
            images, labels = [], []
            for caption, overrides in frames:
                msg = demo._render({**saved, **overrides})
                if "&#9888;" in msg:
                    caption = f"{caption}: {html.unescape(msg.split('&#9888; ', 1)[1][:-6])}"
                elif demo.state is not None:
                    caption = f"{name}, {demo.readout_text()}"
                    if demo._note:
                        caption += f". {demo._note}"
                with mock.patch.object(_base, "_canvas_png", _no_png):
                    demo.render_png()  # blitted onto the canvas; the frame is encoded below
                images.append(_webp(demo.fig.canvas))
                labels.append(caption)
            runs.append((name, images, labels))
    finally:
        demo._loss_limits = None
        if saved_state is not None:
            demo.draw(saved_state)
            demo.state = saved_state
        else:
            demo._render(saved)
        demo.render_png()
    return runs_player_html(runs, title=demo.title)


def runs_player_html(runs, *, title="", interval_ms=400) -> str:
    """A self-contained player: a menu of runs, and a slider and play button over its frames.

    ``runs``: list of ``(name, [image bytes (WebP)], [caption])``. The frames and captions of
    all runs are stored in two flat lists (``var frames``, ``var labels``, as in
    :func:`nnmath.plotting.frames_player_html`, so tools that read those players, such as the
    PDF build, read this one too) and ``var runs`` holds each run's first and last index. It
    works from the keyboard like that player: Left/Right step, Home/End jump, Space plays; the
    caption is a polite live region and the image's ``alt`` follows the frame.
    """
    if not runs or any(not images for _, images, _ in runs):
        raise ValueError("runs_player_html needs at least one run, each with a frame.")
    uris, labels, spans = [], [], []
    for _, images, caps in runs:
        if len(caps) != len(images):
            raise ValueError(f"A run has {len(images)} frames but {len(caps)} captions.")
        spans.append([len(uris), len(uris) + len(images) - 1])
        uris += ["data:image/webp;base64," + base64.b64encode(f).decode("ascii") for f in images]
        labels += list(caps)
    uid = "nnpg-" + hashlib.sha1("".join(u[-64:] for u in uris[:3]).encode()
                                 + title.encode()).hexdigest()[:12]
    esc = html.escape
    options = "".join(f'<option value="{i}">{esc(name)}</option>'
                      for i, (name, _, _) in enumerate(runs))
    last = spans[0][1]
    alt = f"{title}: recorded run" if title else "recorded run"
    caption = f'<div class="nnmath-player-title">{esc(title)}</div>' if title else ""
    return f"""<div class="nnmath-player nnmath-playground-twin" id="{uid}" role="group"
 tabindex="0" aria-label="{esc(alt)}" aria-roledescription="frame player"
 aria-keyshortcuts="ArrowLeft ArrowRight Home End Space">{caption}
<div style="margin:.3em 0"><label>recorded run: <select>{options}</select></label></div>
<img src="{uris[last]}" alt="{esc(f"{alt}. {labels[last]}")}"
 style="max-width:100%;height:auto;display:block">
<div class="nnmath-player-controls" style="display:flex;gap:.6em;align-items:center">
<button type="button" aria-label="Play">&#9654; play</button>
<input type="range" min="0" max="{last}" value="{last}" step="1" style="flex:1"
 aria-label="Frame" aria-valuetext="{esc(labels[last])}"></div>
<div class="nnmath-player-label" aria-live="polite" style="min-height:3em">{esc(labels[last])}</div>
<div class="nnmath-player-help">Choose a run; keys: &#8592; &#8594; step, Space play/pause.</div>
<script>(function() {{
  var root = document.getElementById("{uid}");
  var frames = {json.dumps(uris)};
  var labels = {json.dumps(labels)};
  var runs = {json.dumps(spans)};
  var alt = {json.dumps(alt)};
  var run = 0, timer = null;
  var img = root.querySelector("img"), slider = root.querySelector("input"),
      label = root.querySelector(".nnmath-player-label"), menu = root.querySelector("select"),
      button = root.querySelector("button");
  function n() {{ return runs[run][1] - runs[run][0]; }}
  function show(i) {{
    var k = runs[run][0] + i;
    img.src = frames[k]; img.alt = alt + ". " + labels[k]; slider.value = i;
    slider.setAttribute("aria-valuetext", labels[k]); label.textContent = labels[k];
  }}
  function stop() {{
    clearInterval(timer); timer = null;
    button.innerHTML = "&#9654; play"; button.setAttribute("aria-label", "Play");
  }}
  function toggle() {{
    if (timer) {{ stop(); return; }}
    var i = (+slider.value >= n()) ? 0 : +slider.value;
    show(i); button.innerHTML = "&#10074;&#10074; pause";
    button.setAttribute("aria-label", "Pause");
    timer = setInterval(function() {{
      i += 1; if (i > n()) {{ stop(); return; }} show(i);
    }}, {int(interval_ms)});
  }}
  menu.addEventListener("change", function() {{
    stop(); run = +menu.value; slider.max = n(); show(0); toggle();
  }});
  slider.addEventListener("input", function() {{ stop(); show(+slider.value); }});
  button.addEventListener("click", toggle);
  root.addEventListener("keydown", function(e) {{
    var i = +slider.value, to = null;
    if (e.target === menu) return;
    if (e.key === " " || e.key === "Spacebar") {{
      if (e.target === button) return;
      e.preventDefault(); toggle(); return;
    }}
    if (e.target === slider) return;
    if (e.key === "ArrowRight") to = Math.min(i + 1, n());
    else if (e.key === "ArrowLeft") to = Math.max(i - 1, 0);
    else if (e.key === "Home") to = 0;
    else if (e.key === "End") to = n();
    if (to !== null) {{ e.preventDefault(); stop(); show(to); }}
  }});
}})();</script></div>"""
