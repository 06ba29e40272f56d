"""Part 2: how long each demo in ``nnmath.widgets`` takes to answer a control change.

Every demo is driven from code, with no browser: each control is set in turn
to a few new valid values (a slider to its minimum, middle and maximum; a
dropdown to each option; a checkbox to both states) through ``demo.set``, and
then put back to its starting value. ``demo.timings`` records, for every
update, the seconds spent computing, drawing and rendering the PNG. The
target is 100 ms per update (250 ms for the MLP playground).

The demos are found at run time: the expected names are looked up in
``nnmath.widgets`` (a missing one is reported, not a crash) and any other
public demo function found there is measured too. The time to build each
demo's static twin (the recorded frames the HTML book shows) is measured on a
fresh instance.
"""

from __future__ import annotations

import inspect
import math
import time

from common import Section, Table, median, ms, sec, timed

EXPECTED = ("matrix_transform_demo", "derivative_demo", "gradient_descent_demo",
            "linear_regression_demo", "logistic_regression_demo", "mlp_playground",
            "optimizer_comparison_demo")
BUDGET = {"mlp_playground": 0.250}  # seconds per update; every other demo: 0.100
DEFAULT_BUDGET = 0.100


def find_demos():
    """``(found, missing)``: name -> demo function for each public demo function."""
    import nnmath.widgets as w

    found = {name: getattr(w, name) for name in EXPECTED if callable(getattr(w, name, None))}
    for name, obj in vars(w).items():
        if (not name.startswith("_") and name not in found and inspect.isfunction(obj)
                and obj.__module__.startswith("nnmath.widgets")):
            found[name] = obj
    missing = [name for name in EXPECTED if name not in found]
    return found, missing


def _snap_float(value, lo, hi, step):
    """``value`` rounded to the slider's grid ``lo + k * step`` and kept in [lo, hi]."""
    if step:
        value = lo + round((value - lo) / step) * step
    return min(max(value, lo), hi)


def trial_values(control) -> list:
    """A few valid values for one control, following the control's own type."""
    import ipywidgets as widgets

    if isinstance(control, widgets.FloatLogSlider):  # min, max and step are exponents
        lo, hi, step = control.min, control.max, control.step
        exps = [lo, _snap_float((lo + hi) / 2, lo, hi, step), hi]
        return [control.base ** e for e in exps]
    if isinstance(control, (widgets.IntSlider, widgets.BoundedIntText)):
        lo, hi = control.min, control.max
        mid = lo + (hi - lo) // 2
        step = getattr(control, "step", 1) or 1
        return [lo, lo + ((mid - lo) // step) * step, hi]
    if isinstance(control, (widgets.FloatSlider, widgets.BoundedFloatText)):
        lo, hi, step = control.min, control.max, getattr(control, "step", None)
        return [lo, _snap_float((lo + hi) / 2, lo, hi, step), hi]
    if isinstance(control, widgets.SelectionSlider):  # possibly many options: ends and middle
        opts = list(control._options_values)
        return [opts[0], opts[len(opts) // 2], opts[-1]]
    if hasattr(control, "_options_values"):  # Dropdown, RadioButtons, ToggleButtons, Select
        return list(control._options_values)
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [not control.value, control.value]
    return []


def _stopwatch(demo, method: str, log: list) -> None:
    """Wrap ``demo.<method>`` (on this instance only) so each call's seconds go to ``log``."""
    original = getattr(demo, method)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            log.append(time.perf_counter() - start)

    setattr(demo, method, wrapper)


def drive(demo, quick=False) -> dict:
    """Set every control to its trial values, then back.

    Returns, per update, the wall time (from ``demo.timings``), the CPU time of
    the ``demo.set`` call and the seconds spent in ``compute`` and in ``draw``
    (the rest is rendering: matplotlib rasterises the figure and encodes the PNG
    in ``savefig``); and the problems met. ``quick`` skips the
    middle value of sliders.
    """
    compute_log, draw_log = [], []
    _stopwatch(demo, "compute", compute_log)
    _stopwatch(demo, "draw", draw_log)
    start = len(demo.timings)
    r = {"cpu": [], "compute": [], "draw": [], "problems": []}

    def set_one(name, value):
        n_compute, n_draw, t = len(compute_log), len(draw_log), time.process_time()
        demo.set(**{name: value})
        r["cpu"].append(time.process_time() - t)
        r["compute"].append(sum(compute_log[n_compute:]))
        r["draw"].append(sum(draw_log[n_draw:]))

    for name, control in demo.controls.items():
        initial = control.value
        values = trial_values(control)
        if quick and len(values) == 3 and not hasattr(control, "_options_values"):
            values = [values[0], values[-1]]
        values = [v for v in values if not _same(v, initial)]
        if not values:
            r["problems"].append(f"{name}: no trial values for {type(control).__name__}")
            continue
        for value in values:
            set_one(name, value)
            if not _same(control.value, value):
                r["problems"].append(f"{name}={value!r} was not accepted "
                                     f"(it is {control.value!r})")
        set_one(name, initial)
    r["times"] = demo.timings[start:]
    r["png"] = [t - c - d for t, c, d in zip(r["times"], r["compute"], r["draw"], strict=True)]
    return r


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def measure_demo(factory, quick=False) -> dict:
    """Build, drive and twin one demo; times in seconds."""
    from nnmath.widgets import Demo

    build, demo = timed(factory)
    if not isinstance(demo, Demo):
        raise TypeError(f"it returned {type(demo).__name__}, not a nnmath.widgets.Demo")
    r = drive(demo, quick)
    if not r["times"]:
        raise ValueError(f"none of its controls could be driven: {r['problems']}")
    fresh = factory()
    r["n_frames"] = len(fresh.twin_frames())
    twin, _ = timed(fresh.static_twin)
    r["build"], r["twin"] = build.wall, twin.wall
    return r


def run(quick: bool = False) -> Section:
    import matplotlib

    matplotlib.use("Agg")
    section = Section("Widget latency")
    found, missing = find_demos()
    table = Table(["demo", "updates", "median / update", "worst / update", "budget", "met",
                   "CPU median (worst)", "compute / draw / render+PNG", "build",
                   "static twin (frames)"],
                  caption="each control set to a few values (slider: min, middle, max; dropdown: "
                          "every option) and back; time = compute + draw + PNG, wall clock "
                          "(demo.timings); CPU = process time of the same updates; the split: "
                          "median ms in compute, in draw, and rendering the figure to PNG")
    start = time.perf_counter()
    for name, factory in found.items():
        budget = BUDGET.get(name, DEFAULT_BUDGET)
        try:
            r = measure_demo(factory, quick)
        except Exception as exc:  # a broken demo is reported, the benchmark goes on
            table.add(name, "-", "-", "-", ms(budget), "NO", "-", "-", "-", "-")
            section.notes.append(f"{name} failed: {type(exc).__name__}: {exc}")
            section.target(f"{name}: every update <= {ms(budget)}", "failed", False)
            continue
        times = r["times"]
        worst = max(times)
        table.add(name, len(times), ms(median(times)), ms(worst), ms(budget),
                  "yes" if worst <= budget else "NO",
                  f"{ms(median(r['cpu']))} ({ms(max(r['cpu']))})",
                  " / ".join(f"{1000 * median(r[k]):.0f}" for k in ("compute", "draw", "png")),
                  ms(r["build"]),
                  f"{sec(r['twin'])} ({r['n_frames']})")
        section.target(f"{name}: every update <= {ms(budget)}",
                       f"median {ms(median(times))}, worst {ms(worst)}", worst <= budget)
        section.notes += [f"{name}: {p}" for p in r["problems"]]
    for name in missing:
        table.add(name, "-", "-", "-", ms(BUDGET.get(name, DEFAULT_BUDGET)), "n/a", "-", "-",
                  "-", "-")
        section.notes.append(f"{name} is not in nnmath.widgets yet (reported, not measured).")
        section.target(f"{name}: every update <= {ms(BUDGET.get(name, DEFAULT_BUDGET))}",
                       "missing", None)
    section.tables.append(table)
    section.notes.append(f"All demos measured in {time.perf_counter() - start:.1f} s. 'build' is "
                         "the constructor including its first update.")
    return section
