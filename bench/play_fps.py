"""Part 5: frames per second of Play in every training demo of ``nnmath.widgets``.

Each demo that trains (``demo.trains``) is built with its default settings, reset
to the untrained start and then advanced frame by frame with ``demo.step()``,
exactly what Play does on its timer: train ``steps_per_frame`` epochs (or steps)
from the state on screen, draw, and render the PNG the widget shows. The frame
time is taken from ``demo.frame_timings`` (wall clock); the CPU time of the same
frames is measured alongside. Frames per second are ``1 / median frame time``.
Play's timer adds its own pause (``frame_interval``, 50 ms) only when a frame is
faster than that, so this is the rate Play reaches, capped at 1 / frame_interval.
In a kernel each frame also sends the new image to the browser (a few ms more):
``measure_in_kernel`` therefore also runs Play itself, on its timer, in a real IPython kernel
(jupyter_client), where every frame goes out as a widget message, and counts the frames.

Target (issue 11): at least 15 frames per second for the MLP playground at its
default settings. The other demos are reported against the same figure.
"""

from __future__ import annotations

import time

from common import Section, Table, median, ms

EXPECTED = ("gradient_descent_demo", "linear_regression_demo", "logistic_regression_demo",
            "optimizer_comparison_demo", "mlp_playground")
TARGET_FPS = {"mlp_playground": 15.0}  # frames per second; the others are reported only
WARMUP = 3  # frames not counted: the first draws of the cached backgrounds


def measure(factory, n_frames: int) -> dict:
    """Reset, warm up, then time ``n_frames`` frames of ``step()`` (restarting at the end)."""
    demo = factory()
    if not getattr(demo, "trains", False):
        raise TypeError("it has no Play (demo.trains is False)")
    demo.reset()
    wall, cpu, restarts = [], [], 0
    for i in range(WARMUP + n_frames):
        if demo.state is None or demo._stop_reason() is not None:
            demo.reset()  # at the maximum or converged: Play would start again
            restarts += 1
        n_before = len(demo.frame_timings)
        start = time.process_time()
        demo.step()
        spent = time.process_time() - start
        if i >= WARMUP and len(demo.frame_timings) > n_before:
            wall.append(demo.frame_timings[-1])
            cpu.append(spent)
    if not wall:
        raise ValueError(f"no frame was made; message: {demo.message.value!r}")
    return {"wall": wall, "cpu": cpu, "per_frame": demo.steps_per_frame,
            "unit": demo._unit(), "restarts": restarts, "interval": demo.frame_interval}


KERNEL_CODE = """
import asyncio, time
import nnmath as nm
demo = nm.widgets.{factory}()
demo.reset()
n0, t0 = len(demo.frame_timings), time.perf_counter()
demo.play()
while demo.playing and time.perf_counter() - t0 < {seconds}:
    await asyncio.sleep(0.05)
demo.pause()
elapsed = time.perf_counter() - t0
print("FRAMES", len(demo.frame_timings) - n0, elapsed, demo.message.value[:80])
"""


def measure_in_kernel(factory: str, seconds: float = 6.0) -> dict:
    """Press Play in a real kernel and count the frames made in ``seconds`` (or until it stops).

    Each frame's image travels as a widget message over the kernel's IOPub channel, as it does
    to a browser, so this includes the cost of sending frames.
    """
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        out = []

        def keep(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"])

        kc.execute_interactive(KERNEL_CODE.format(factory=factory, seconds=seconds),
                               timeout=seconds + 120, output_hook=keep)
        text = "".join(out)
        line = next((ln for ln in text.splitlines() if ln.startswith("FRAMES")), None)
        if line is None:
            raise RuntimeError(f"no frame count from the kernel: {text[-300:]!r}")
        _, frames, elapsed, *_ = line.split(" ", 3)
        return {"frames": int(frames), "elapsed": float(elapsed)}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(quick: bool = False) -> Section:
    import matplotlib

    matplotlib.use("Agg")
    import nnmath.widgets as w

    section = Section("Play frame rate")
    table = Table(["demo", "frames", "per frame", "median / frame", "worst / frame",
                   "frames/s", "CPU / frame", "frames/s by CPU", "target"],
                  caption="demo.step() from the reset state with default settings: train, "
                          "draw, render the PNG; wall clock (demo.frame_timings) and CPU "
                          "(process time) of the same frames, after a warm-up of "
                          f"{WARMUP} frames")
    n_frames = 15 if quick else 40
    for name in EXPECTED:
        factory = getattr(w, name, None)
        target = TARGET_FPS.get(name)
        goal = f"{name}: Play >= {target:g} frames/s" if target else None
        try:
            if factory is None:
                raise LookupError("not in nnmath.widgets")
            r = measure(factory, n_frames)
        except Exception as exc:  # a broken demo is reported, the benchmark goes on
            table.add(name, "-", "-", "-", "-", "-", "-", "-", f"{target:g}/s" if target else "-")
            section.notes.append(f"{name} could not be measured: {type(exc).__name__}: {exc}")
            if goal:
                section.target(goal, "failed", False)
            continue
        fps, fps_cpu = 1 / median(r["wall"]), 1 / median(r["cpu"])
        table.add(name, len(r["wall"]), f"{r['unit']}: {r['per_frame']}", ms(median(r["wall"])),
                  ms(max(r["wall"])), f"{fps:.1f}", ms(median(r["cpu"])), f"{fps_cpu:.1f}",
                  f"{target:g}/s" if target else "-")
        if goal:
            section.target(goal, f"{fps:.1f} frames/s ({fps_cpu:.1f} by CPU time)",
                           fps >= target)
        if r["restarts"] > 1:
            section.notes.append(f"{name}: Play reached its end and restarted "
                                 f"{r['restarts'] - 1} time(s) during the measurement.")
    section.tables.append(table)
    try:
        k = measure_in_kernel("mlp_playground", 4.0 if quick else 8.0)
        fps_kernel = k["frames"] / k["elapsed"]
        section.target("mlp_playground: Play in a real kernel >= 15 frames/s",
                       f"{fps_kernel:.1f} frames/s ({k['frames']} frames in "
                       f"{k['elapsed']:.1f} s, each sent as a widget message)", fps_kernel >= 15)
    except Exception as exc:  # reported, never fatal
        section.notes.append(f"Play in a real kernel could not be measured: "
                             f"{type(exc).__name__}: {exc}")
        section.target("mlp_playground: Play in a real kernel >= 15 frames/s", "failed", False)
    section.notes.append("Play waits frame_interval (50 ms) from the start of one frame to the "
                         "next, so it shows at most 20 frames/s however fast a frame is. On a "
                         "loaded machine the wall-clock rate falls with the load average; the "
                         "CPU-time rate is what an idle machine would reach.")
    return section


if __name__ == "__main__":
    from common import pin_one_thread, render

    pin_one_thread()
    print(render([run()], [], markdown=False))
