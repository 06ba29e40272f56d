"""The shared machinery of every interactive demo: :class:`Demo`.

A demo is an ipywidgets ``VBox`` holding its controls, one PNG image of a
matplotlib figure, and a message line. Changing any control calls
:meth:`Demo.update` synchronously: ``compute`` does the numerical work,
``draw`` updates the figure, and the figure is rendered to the image. Errors a
learner can cause (a diverging learning rate, an impossible setting) appear as
a message in place of a traceback.

Every demo also has a *static twin*: the same figure captured for a list of
settings (``twin_frames``) and packed into a self-contained HTML player. The
twin is the demo's ``text/html`` representation. JupyterLab shows the live
widget; the HTML book, which has no kernel, is configured to prefer
``text/html`` and so shows the twin.

Blitting: drawing a whole figure costs tens of milliseconds, mostly text (tick
labels, legends). A demo that lists the artists ``draw`` changes in
``dynamic_artists()`` is rendered by pasting a cached picture of everything else
(the *background*, drawn once with the dynamic artists hidden) and drawing only
the dynamic artists on it. Legends, which sit above the data, are pasted again
after the dynamic artists (give them ``framealpha=1``). The background is redrawn
whenever its key changes: the figure size, and each axes' position, limits,
scales and list of children (so new or removed artists, e.g. contours, count).

Training demos (Play): a demo that sets ``progress_control`` (the name of its
epochs or steps control) and defines ``advance(state, n)`` gets Play / Step /
Reset buttons. :meth:`Demo.step` continues training from the *current* state
(the one on screen) by ``steps_per_frame`` epochs, redraws synchronously and
moves the epochs control along without recomputing. :meth:`Demo.play` runs
frames from an asyncio task in the kernel's event loop, sleeping between frames
so that the kernel stays responsive (the Pause button is handled between two
frames); Play stops by itself at the control's maximum, when ``finished(state)``
gives a reason (converged, every run diverged), or when a frame fails
(divergence): the message is shown in place, as for a control change. Changing
any control recomputes synchronously as before, and Play continues from that
new state; :meth:`Demo.reset` sets the epochs control to 0 (the untrained start).
"""

from __future__ import annotations

import asyncio
import html
import time

import ipywidgets as widgets
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from ..plotting import _canvas_png, fig_to_png, frames_player_html, new_figure

__all__ = ["Demo"]


class Demo(widgets.VBox):
    """Base class of the demos in :mod:`nnmath.widgets`.

    Subclasses define:

    - ``make_controls() -> dict[str, ipywidgets.ValueWidget]``
    - ``compute(**values) -> state``: numerical work; may raise ``ValueError``,
      ``TypeError`` or ``ArithmeticError`` (e.g. :class:`nnmath.TrainingDiverged`)
      whose message is shown to the learner, or call :meth:`notify` to show a
      note while still drawing.
    - ``setup_figure(fig, axes)`` once and ``draw(state)`` on every update.
    - ``twin_frames() -> list[tuple[str, dict]]``: (caption, control values) pairs
      that make the static twin.
    - optionally ``dynamic_artists() -> list[Artist]``: every artist ``draw`` changes
      (titles whose text changes included); the rest of the figure is then cached
      and pasted (see the module docstring). The default, ``None``, redraws all.

    Training demos also set ``progress_control`` and define
    ``advance(state, n) -> state`` (continue training ``n`` epochs or steps from
    ``state``, a result of ``compute`` or of ``advance``; it may raise like
    ``compute`` or call :meth:`notify`), ``progress(state) -> int`` (epochs done)
    and optionally ``finished(state) -> str | None`` (why Play should stop early,
    e.g. "converged"). ``compute`` with the progress control at ``k`` must give the
    state that ``k`` calls of ``advance(state, 1)`` reach from the state at 0.
    """

    figsize = (9, 3.6)
    subplots = (1, 2)
    dpi = 72
    title = ""
    #: name of the control counting epochs (or steps) of a training demo; ``None``: no Play
    progress_control: str | None = None
    #: epochs (or steps) per frame of :meth:`step` and Play
    steps_per_frame = 1
    #: seconds from the start of one Play frame to the next (at most 1 / interval frames/s)
    frame_interval = 0.05

    def __init__(self):
        self.fig, self.axes = new_figure(*self.subplots, figsize=self.figsize)
        self.controls = self.make_controls()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.message = widgets.HTML(value="")
        self.timings: list[float] = []
        self._note = ""
        self._twin = None
        self._background = None  # (key, pixels, [(legend pixels)]) for blitting
        #: the state on screen (the last successful ``compute`` or ``advance``), or None
        self.state = None
        #: seconds per frame of :meth:`step` (advance + draw + PNG)
        self.frame_timings: list[float] = []
        self._task = None  # the asyncio task of Play
        self.setup_figure(self.fig, self.axes)
        box = widgets.GridBox(list(self.controls.values()), layout=widgets.Layout(
            grid_template_columns="repeat(auto-fill, minmax(260px, 1fr))"))
        header = [widgets.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        player = [self._make_player()] if self.trains else []
        super().__init__(header + [box] + player + [self.message, self.image])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    # -- to be provided by subclasses -------------------------------------------------
    def make_controls(self):
        raise NotImplementedError

    def setup_figure(self, fig, axes):
        """Create the artists that ``draw`` updates (optional)."""

    def compute(self, **values):
        raise NotImplementedError

    def draw(self, state):
        raise NotImplementedError

    def twin_frames(self):
        raise NotImplementedError

    def dynamic_artists(self):
        """The artists ``draw`` changes, for blitting; ``None`` (default): redraw all."""
        return None

    def advance(self, state, n):
        """Training demos: ``state`` trained ``n`` more epochs (or steps)."""
        raise NotImplementedError

    def progress(self, state) -> int:
        """Training demos: the epochs (or steps) done in ``state``."""
        raise NotImplementedError

    def finished(self, state) -> str | None:
        """Training demos: why Play should stop at ``state`` (``None``: go on)."""
        return None

    # -- machinery ------------------------------------------------------------------------
    @property
    def values(self) -> dict:
        """Current control values by name."""
        return {name: c.value for name, c in self.controls.items()}

    def notify(self, text: str) -> None:
        """Show ``text`` as a note under the controls for this update."""
        self._note = text

    def _on_change(self, change):
        self.update()

    def _render(self, values) -> str:
        """Compute and draw for ``values``; return the message to show ('' if none)."""
        self._note = ""
        self.state = None
        try:
            state = self.compute(**values)
        except Exception as exc:  # a widget never shows a traceback
            return _error_html(exc)
        self.draw(state)
        self.state = state
        return self._note_html()

    def _note_html(self) -> str:
        return f"<div style='color:#8a5300'>{html.escape(self._note)}</div>" if self._note else ""

    def update(self) -> None:
        """Recompute and redraw for the current control values (synchronous)."""
        start = time.perf_counter()
        self.message.value = self._render(self.values)
        self.image.value = self.render_png()
        self._show_status()
        self.timings.append(time.perf_counter() - start)

    # -- training: Step, Reset, Play ----------------------------------------------------
    @property
    def trains(self) -> bool:
        """Whether this demo trains (has Play / Step / Reset)."""
        return self.progress_control is not None

    def _make_player(self):
        self.play_button = widgets.ToggleButton(value=False, description="Play", icon="play",
                                                tooltip="train epoch by epoch from here",
                                                layout=widgets.Layout(width="90px"))
        self.step_button = widgets.Button(description="Step", icon="step-forward",
                                          tooltip=f"train {self.steps_per_frame} more",
                                          layout=widgets.Layout(width="80px"))
        self.reset_button = widgets.Button(description="Reset", icon="undo",
                                           tooltip="back to the untrained start",
                                           layout=widgets.Layout(width="80px"))
        self.status = widgets.HTML(value="")
        self.play_button.observe(self._on_play_toggle, names="value")
        self.step_button.on_click(lambda _: self._safe(self.step))
        self.reset_button.on_click(lambda _: self._safe(self.reset))
        return widgets.HBox([self.play_button, self.step_button, self.reset_button, self.status],
                            layout=widgets.Layout(align_items="center"))

    def _require_training(self, what):
        if not self.trains:
            raise TypeError(f"{type(self).__name__} does not train, so it has no {what}(); "
                            "move its controls (or call set) instead.")

    def _safe(self, fn):
        """Run a button's action; an error becomes the message, never a traceback."""
        try:
            fn()
        except Exception as exc:
            self.message.value = _error_html(exc)

    def _set_quietly(self, name, value) -> None:
        """Move a control without recomputing (it follows the state on screen)."""
        control = self.controls[name]
        control.unobserve(self._on_change, names="value")
        try:
            control.value = value
        finally:
            control.observe(self._on_change, names="value")

    def _stop_reason(self):
        """Why no further frame can be made from the state on screen, or None."""
        if self.state is None:
            return "nothing to continue from: change a control or press Reset"
        limit = self.controls[self.progress_control].max
        if self.progress(self.state) >= limit:
            return f"reached the maximum of {limit} {self._unit()}"
        return self.finished(self.state)

    def _unit(self) -> str:
        return self.controls[self.progress_control].description.split()[0].rstrip(":") \
            if self.controls[self.progress_control].description else "epochs"

    def _show_status(self, reason=None) -> None:
        if not self.trains:
            return
        limit = self.controls[self.progress_control].max
        done = self.progress(self.state) if self.state is not None else "-"
        text = f"{html.escape(self._unit())} {done} of {limit}"
        if reason:
            text += f": {html.escape(reason)}"
        self.status.value = f"<span style='color:#555'>{text}</span>"

    def step(self) -> bool:
        """Train one frame (``steps_per_frame`` epochs) from the state on screen and redraw.

        Synchronous, for code, tests and benchmarks; Play calls it on a timer. Returns
        whether another frame can follow (False at the control's maximum, when training
        converged or failed; a failure is shown in the message line, never raised).
        """
        self._require_training("step")
        start = time.perf_counter()
        reason = self._stop_reason()
        if reason is not None:
            self._show_status(reason)
            return False
        limit = self.controls[self.progress_control].max
        n = min(self.steps_per_frame, limit - self.progress(self.state))
        self._note = ""
        try:
            state = self.advance(self.state, n)
            self.draw(state)
        except Exception as exc:  # divergence and the like: in place, and Play stops
            self.state = None
            self.message.value = _error_html(exc)
            self._show_status("stopped")
            return False
        self.state = state
        self._set_quietly(self.progress_control, self.progress(state))
        self.message.value = self._note_html()
        self.image.value = self.render_png()
        reason = self._stop_reason()
        self._show_status(reason)
        self.frame_timings.append(time.perf_counter() - start)
        return reason is None

    def reset(self) -> None:
        """Back to the untrained start (the epochs control at 0), keeping the other settings."""
        self._require_training("reset")
        self.set(**{self.progress_control: 0})

    @property
    def playing(self) -> bool:
        """Whether Play is running (its task is scheduled and not finished)."""
        return self._task is not None and not self._task.done()

    def play(self):
        """Start Play: frames of :meth:`step` from a task in the running asyncio loop.

        In Jupyter the kernel's event loop runs the task between cells and messages, so
        the Pause button (or :meth:`pause`) is handled between frames. At the end (the
        control's maximum, or converged) Play first goes back to the start. Returns the
        ``asyncio.Task``; needs a running event loop (a Jupyter kernel, or ``asyncio.run``).
        """
        self._require_training("play")
        if self.playing:
            return self._task
        loop = asyncio.get_running_loop()  # RuntimeError outside a running loop
        if self._stop_reason() is not None:
            self.reset()
        self._task = loop.create_task(self._play_loop())
        self._set_play_button(True)
        return self._task

    def pause(self) -> None:
        """Stop Play after the current frame (the state on screen is kept)."""
        self._require_training("pause")
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        self._set_play_button(False)
        if self.state is not None:
            self._show_status("paused" if task is not None else self._stop_reason())

    async def _play_loop(self):
        try:
            while True:
                start = time.perf_counter()
                if not self.step():
                    break
                await asyncio.sleep(max(0.0, self.frame_interval
                                        - (time.perf_counter() - start)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never a traceback in the kernel's log
            self.message.value = _error_html(exc)
        finally:
            if self._task is asyncio.current_task():
                self._task = None
                self._set_play_button(False)

    def _set_play_button(self, on: bool) -> None:
        button = self.play_button
        button.unobserve(self._on_play_toggle, names="value")
        try:
            button.value = on
            button.description, button.icon = ("Pause", "pause") if on else ("Play", "play")
        finally:
            button.observe(self._on_play_toggle, names="value")

    def _on_play_toggle(self, change):
        if change["new"]:
            try:
                self.play()
            except RuntimeError as exc:
                self._set_play_button(False)
                self.message.value = _error_html(RuntimeError(
                    f"Play needs a running event loop (a Jupyter kernel): {exc}. "
                    "Use step() from code."))
        else:
            self.pause()

    def _axes_key(self, ax):
        return (ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
                tuple(map(id, ax.get_children())))

    def _figure_key(self):
        fig = self.fig
        return (fig.dpi, tuple(fig.get_size_inches()),
                tuple(tuple(ax.get_position().bounds) for ax in fig.axes))

    def render_png(self, blit: bool = True) -> bytes:
        """The figure as PNG bytes; blitted when ``dynamic_artists`` allows and ``blit``.

        Without a cached background (or when the figure size or an axes' position
        changed, or any axes changed its limits, scales or children) the whole figure is
        drawn, with the dynamic artists hidden, and cached as the new background.
        """
        dynamic = self.dynamic_artists() if blit else None
        if dynamic is None:
            self._background = None
            return fig_to_png(self.fig, dpi=self.dpi)
        fig = self.fig
        if fig.dpi != self.dpi:
            fig.set_dpi(self.dpi)
        canvas = fig.canvas
        bg = self._background
        stale = []
        if bg is not None and bg["figure"] == self._figure_key():
            stale = [i for i, ax in enumerate(fig.axes) if bg["axes"][i] != self._axes_key(ax)]
        else:
            bg = None
        if bg is None or stale:
            # Lay the figure out with every artist shown (a hidden title would get no room),
            # then draw the background with the dynamic artists hidden and no re-layout.
            engine = fig.get_layout_engine()
            if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
                engine.execute(fig)
                fig.set_layout_engine("none")
            shown = [a.get_visible() for a in dynamic]
            for a in dynamic:
                a.set_visible(False)
            try:
                canvas.draw()  # erasing and redrawing only the stale axes measured slower
                renderer = canvas.get_renderer()
            finally:
                for a, v in zip(dynamic, shown, strict=True):
                    a.set_visible(v)
                if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
                    fig.set_layout_engine(engine)
            legends = [lg for lg in [ax.get_legend() for ax in fig.axes] + list(fig.legends)
                       if lg is not None and lg.get_visible() and lg not in dynamic]
            bg = self._background = {
                "figure": self._figure_key(),
                "axes": [self._axes_key(ax) for ax in fig.axes],
                "pixels": canvas.copy_from_bbox(fig.bbox),
                "overlays": [canvas.copy_from_bbox(lg.get_window_extent(renderer))
                             for lg in legends]}
        else:
            canvas.restore_region(bg["pixels"])
        for a in sorted(dynamic, key=lambda a: a.get_zorder()):
            if a.get_visible():
                fig.draw_artist(a)
        for region in bg["overlays"]:
            canvas.restore_region(region)
        return _canvas_png(canvas)

    def set(self, **values) -> None:
        """Set several controls at once and update once (for code and benchmarks)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"Unknown control(s) {sorted(unknown)}; this demo has "
                             f"{sorted(self.controls)}.")
        with self.hold_trait_notifications():
            for name, v in values.items():
                self.controls[name].unobserve(self._on_change, names="value")
                try:
                    self.controls[name].value = v
                finally:
                    self.controls[name].observe(self._on_change, names="value")
        self.update()

    def static_twin(self) -> str:
        """The HTML player of ``twin_frames`` (computed once, then cached).

        The live demo is left as it was: its controls, and for a training demo the state
        on screen (which Play continues from).
        """
        if self._twin is None:
            saved, saved_state = self.values, self.state
            frames, labels = [], []
            for caption, overrides in self.twin_frames():
                msg = self._render({**saved, **overrides})
                if "&#9888;" in msg:
                    caption = f"{caption}: {html.unescape(msg.split('&#9888; ', 1)[1][:-6])}"
                frames.append(fig_to_png(self.fig, dpi=self.dpi))
                labels.append(caption)
            if self.trains and saved_state is not None:
                self.draw(saved_state)
                self.state = saved_state
            else:
                self._render(saved)
            self._twin = frames_player_html(frames, labels, title=self.title,
                                            alt=f"{self.title}: recorded demo")
        return self._twin

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        note = ("<p class='nnmath-twin-note'><em>Recorded demo: run this notebook in "
                "JupyterLab (<code>make lab</code>) to move the controls yourself.</em></p>")
        bundle["text/html"] = note + self.static_twin()
        return bundle


def _error_html(exc) -> str:
    """The message line for an exception: its text, and its type when unexpected."""
    if isinstance(exc, (ValueError, TypeError, ArithmeticError)):
        return f"<div style='color:#b00020'>&#9888; {html.escape(str(exc))}</div>"
    return ("<div style='color:#b00020'>&#9888; Unexpected error "
            f"({type(exc).__name__}): {html.escape(str(exc))}</div>")
