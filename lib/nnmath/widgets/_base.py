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
"""

from __future__ import annotations

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
    """

    figsize = (9, 3.6)
    subplots = (1, 2)
    dpi = 72
    title = ""

    def __init__(self):
        self.fig, self.axes = new_figure(*self.subplots, figsize=self.figsize)
        self.controls = self.make_controls()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.message = widgets.HTML(value="")
        self.timings: list[float] = []
        self._note = ""
        self._twin = None
        self._background = None  # (key, pixels, [(legend pixels)]) for blitting
        self.setup_figure(self.fig, self.axes)
        box = widgets.GridBox(list(self.controls.values()), layout=widgets.Layout(
            grid_template_columns="repeat(auto-fill, minmax(260px, 1fr))"))
        header = [widgets.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        super().__init__(header + [box, self.message, self.image])
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
        try:
            state = self.compute(**values)
        except (ValueError, TypeError, ArithmeticError) as exc:
            return f"<div style='color:#b00020'>&#9888; {html.escape(str(exc))}</div>"
        except Exception as exc:  # a widget never shows a traceback
            return ("<div style='color:#b00020'>&#9888; Unexpected error "
                    f"({type(exc).__name__}): {html.escape(str(exc))}</div>")
        self.draw(state)
        return f"<div style='color:#8a5300'>{html.escape(self._note)}</div>" if self._note else ""

    def update(self) -> None:
        """Recompute and redraw for the current control values (synchronous)."""
        start = time.perf_counter()
        self.message.value = self._render(self.values)
        self.image.value = self.render_png()
        self.timings.append(time.perf_counter() - start)

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
        """The HTML player of ``twin_frames`` (computed once, then cached)."""
        if self._twin is None:
            saved = self.values
            frames, labels = [], []
            for caption, overrides in self.twin_frames():
                msg = self._render({**saved, **overrides})
                if "&#9888;" in msg:
                    caption = f"{caption}: {html.unescape(msg.split('&#9888; ', 1)[1][:-6])}"
                frames.append(fig_to_png(self.fig, dpi=self.dpi))
                labels.append(caption)
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
