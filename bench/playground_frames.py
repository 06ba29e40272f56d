"""The MLP playground (issue 15): frame time of Play, latency of a control change, the twin.

Run alone (``python bench/playground_frames.py [--quick]``) or through ``run(quick)``, which
returns a :class:`common.Section`. Every time is set against a *reference measured in the
same run*: one full redraw and PNG encoding of a plain matplotlib figure of the playground's
size and dpi (an image, a line collection, two scatters and a line: what any demo of this size
pays for a frame without blitting). The ratio playground / reference therefore means the same
on a fast and on a loaded machine.

Measured:

- **Play** at the default settings and with the largest network (6 hidden layers of 8 units,
  all 7 features): seconds per frame of ``demo.step()`` (train one epoch, draw the diagram and
  the panels, blit, PNG), wall clock and CPU time; frames per second = 1 / median.
- **Control changes**: ``demo.set`` of every control to a few values and back (compute +
  draw + PNG), from ``demo.timings``.
- **The HTML twin**: time to record it, its size in MB, runs and frames.

Targets: Play >= 15 frames/s at the default settings (CPU time, i.e. an idle machine); the
median control change <= 250 ms (CONTRIBUTING.md's budget for the playground); twin < 5 MB.
"""

from __future__ import annotations

import json
import re
import sys
import time

from common import Section, Table, median, ms, pin_one_thread

TARGET_FPS = 15.0
BUDGET = 0.250


def reference_frame(n: int) -> dict:
    """Seconds for a full redraw + PNG of a plain figure of the playground's size."""
    import numpy as np
    from matplotlib.collections import LineCollection

    import nnmath as nm
    from nnmath.plotting import fig_to_png, new_figure
    from nnmath.widgets.playground import MLPPlayground

    fig, (ax, ax2) = new_figure(1, 2, figsize=MLPPlayground.figsize)
    rng = np.random.default_rng(0)
    ax.imshow(rng.random((60, 60)), interpolation="bilinear")
    ax.add_collection(LineCollection(rng.random((80, 2, 2)) * 60))
    ax.scatter(*rng.random((2, 100)) * 60, s=12)
    ax.scatter(*rng.random((2, 100)) * 60, s=16, edgecolors="white")
    line, = ax2.plot(np.arange(100), rng.random(100))
    wall, cpu = [], []
    for i in range(n + 2):
        line.set_ydata(rng.random(100))
        w, c = time.perf_counter(), time.process_time()
        fig_to_png(fig, dpi=MLPPlayground.dpi)
        if i >= 2:
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
    del nm
    return {"wall": wall, "cpu": cpu}


def play_frames(n: int, **settings) -> dict:
    import nnmath as nm

    demo = nm.widgets.mlp_playground()
    if settings:
        demo.set(**settings)
    demo.reset()
    wall, cpu = [], []
    for i in range(n + 3):
        c = time.process_time()
        k = len(demo.frame_timings)
        demo.step()
        spent = time.process_time() - c
        if i >= 3 and len(demo.frame_timings) > k:
            wall.append(demo.frame_timings[-1])
            cpu.append(spent)
    return {"wall": wall, "cpu": cpu, "message": demo.message.value}


CHANGES = [("dataset", ["xor", "spiral", "plane", "gaussian mixture", "circles"]),
           ("noise", [0.3, 0.1]), ("train_ratio", [0.8, 0.5]), ("batch_size", [5, None, 20]),
           ("features", [("x1", "x2", "x1^2", "x2^2"), ("x1", "x2")]),
           ("hidden_layers", [0, 4, 2]), ("units", [8, 3, 6]),
           ("activation", ["relu", "sigmoid", "tanh"]), ("lr", [0.3, 0.03]),
           ("optimizer", ["sgd", "adam"]), ("regularization", ["L2", "none"]),
           ("show", ["layer 1, unit 1", "output"]), ("discretize", [True, False]),
           ("show_test", [False, True]), ("backprop_from", [1, 0]), ("epochs", [10, 100, 60])]


def control_changes() -> dict:
    import nnmath as nm

    demo = nm.widgets.mlp_playground()
    demo.timings.clear()
    wall, cpu, rows = [], [], []
    for name, values in CHANGES:
        for v in values:
            c = time.process_time()
            demo.set(**{name: v})
            cpu.append(time.process_time() - c)
            wall.append(demo.timings[-1])
            rows.append((name, v, wall[-1], cpu[-1]))
    return {"wall": wall, "cpu": cpu, "rows": rows}


def twin() -> dict:
    import nnmath as nm

    demo = nm.widgets.mlp_playground()
    w, c = time.perf_counter(), time.process_time()
    page = demo.static_twin()
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    frames = json.loads(re.search(r"var frames = (.*);", page).group(1))
    runs = json.loads(re.search(r"var runs = (.*);", page).group(1))
    return {"wall": wall, "cpu": cpu, "mb": len(page.encode()) / 1e6, "runs": len(runs),
            "frames": len(frames)}


def run(quick: bool = False) -> Section:
    start = time.perf_counter()
    n = 15 if quick else 40
    section = Section("MLP playground (issue 15): Play, control changes, HTML twin")
    ref = reference_frame(n)
    ref_w, ref_c = median(ref["wall"]), median(ref["cpu"])
    table = Table(["measure", "median wall", "median CPU", "x reference (CPU)", "frames/s (CPU)"])
    table.add("reference: full redraw + PNG of a plain figure", ms(ref_w), ms(ref_c), "1.00",
              f"{1 / ref_c:.1f}")
    play = play_frames(n)
    big = play_frames(n, hidden_layers=6, units=8,
                      features=("x1", "x2", "x1^2", "x2^2", "x1x2", "sin x1", "sin x2"))
    for label, r in (("Play frame, default settings", play),
                     ("Play frame, 6 hidden layers of 8, 7 features", big)):
        w, c = median(r["wall"]), median(r["cpu"])
        table.add(label, ms(w), ms(c), f"{c / ref_c:.2f}", f"{1 / c:.1f}")
    changes = control_changes()
    cw, cc = median(changes["wall"]), median(changes["cpu"])
    table.add(f"control change ({len(changes['cpu'])} changes)", ms(cw), ms(cc),
              f"{cc / ref_c:.2f}", "")
    section.tables.append(table)
    slow = Table(["control", "value", "wall", "CPU"])
    for name, v, w, c in sorted(changes["rows"], key=lambda r: -r[3])[:5]:
        slow.add(name, repr(v), ms(w), ms(c))
    section.tables.append(slow)
    tw = twin()
    t2 = Table(["HTML twin", "record time (wall)", "record time (CPU)", "size", "runs", "frames"])
    t2.add("mlp_playground()", f"{tw['wall']:.1f} s", f"{tw['cpu']:.1f} s", f"{tw['mb']:.2f} MB",
           str(tw["runs"]), str(tw["frames"]))
    section.tables.append(t2)
    fps = 1 / median(play["cpu"])
    section.target(f"Play at default settings >= {TARGET_FPS:.0f} frames/s (CPU time)",
                   f"{fps:.1f} frames/s ({1 / median(play['wall']):.1f} by the wall clock)",
                   fps >= TARGET_FPS)
    section.target("largest network: frame within the 250 ms budget (CPU time)",
                   ms(median(big["cpu"])), median(big["cpu"]) <= BUDGET)
    section.target("median control change <= 250 ms (CPU time)", ms(cc), cc <= BUDGET)
    section.target("HTML twin < 5 MB", f"{tw['mb']:.2f} MB", tw["mb"] < 5.0)
    section.notes.append("CPU time is what an idle machine would show; on a shared machine the "
                         "wall clock grows with the load. The reference is measured in this run.")
    section.seconds = time.perf_counter() - start
    return section


if __name__ == "__main__":
    pin_one_thread()
    from common import render
    print(render([run("--quick" in sys.argv)], [], markdown=False))
