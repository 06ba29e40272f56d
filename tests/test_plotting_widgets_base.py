"""The frame player, the Demo machinery and the exercise self-checks."""

import re

import numpy as np
import pytest

import nnmath as nm
from nnmath.plotting import animate, fig_to_png, frames_player_html, new_figure
from nnmath.widgets import Demo


def test_player_html_is_self_contained():
    fig, ax = new_figure(figsize=(2, 2))
    (line,) = ax.plot([0, 1], [0, 0])

    def draw(i):
        line.set_ydata([0, i])
        return f"step {i}"

    player = animate(fig, draw, 3)
    html = player._repr_html_()
    assert html.count("data:image/png;base64,") == 3 + 1  # 3 frames + the initial <img>
    assert "step 2" in html and "<script>" in html
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing loaded from the network


def test_player_rejects_bad_input():
    with pytest.raises(ValueError, match="needs at least one frame"):
        frames_player_html([])
    with pytest.raises(ValueError, match="Got 1 frames but 2 labels"):
        frames_player_html([b"png"], ["a", "b"])


class SquareDemo(Demo):
    """A minimal demo: plots x^p; p < 0 is rejected with a message."""

    title = "powers"
    subplots = (1, 1)

    def make_controls(self):
        import ipywidgets as w
        return {"p": w.FloatSlider(value=2.0, min=-1.0, max=3.0, description="p")}

    def setup_figure(self, fig, ax):
        self.x = np.linspace(0, 1, 50)
        (self.line,) = ax.plot(self.x, self.x)

    def compute(self, p):
        if p < 0:
            raise ValueError(f"p must be >= 0, got {p}")
        if p > 2.5:
            self.notify("steep")
        if p == 1.5:
            raise RuntimeError("bug")
        return self.x ** p

    def draw(self, y):
        self.line.set_ydata(y)

    def twin_frames(self):
        return [(f"p = {p}", {"p": p}) for p in (0.5, 1.0, -1.0)]


def test_demo_updates_synchronously_and_reports_errors_in_place():
    d = SquareDemo()
    assert d.message.value == "" and bytes(d.image.value).startswith(b"\x89PNG")
    d.controls["p"].value = 1.0
    np.testing.assert_allclose(d.line.get_ydata(), d.x)
    d.set(p=-1.0)
    assert "p must be &gt;= 0" in d.message.value
    d.set(p=3.0)
    assert "steep" in d.message.value
    d.set(p=1.5)
    assert "Unexpected error (RuntimeError): bug" in d.message.value  # never a traceback
    assert len(d.timings) == 5
    with pytest.raises(ValueError, match=r"Unknown control\(s\) \['q'\]"):
        d.set(q=1)


def test_demo_static_twin_is_the_html_representation():
    d = SquareDemo()
    bundle = d._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("data:image/png;base64,") == 4
    assert "p = 0.5" in html and "p = -1.0: p must be &gt;= 0" in html
    assert d.values == {"p": 2.0}  # the twin leaves the live demo as it was


def test_fig_to_png():
    fig, _ = new_figure(figsize=(1, 1))
    assert fig_to_png(fig).startswith(b"\x89PNG")


def test_exercise_checks():
    assert nm.exercises.check(..., 1.0).status == "unanswered"
    assert nm.exercises.check(0.1 + 0.2, 0.3)
    wrong = nm.exercises.check([1, 2], [1, 3], hint="look again")
    assert not wrong and "Hint: look again" in repr(wrong)
    assert "shape (3,), expected (2,)" in repr(nm.exercises.check([1, 2, 3], [1, 2]))
    assert nm.exercises.check("relu", "relu") and not nm.exercises.check("tanh", "relu")
    assert "color:#1b7f3b" in nm.exercises.check(1, 1)._repr_html_()


@pytest.mark.parametrize("name, changes", [
    ("matrix_transform_demo", [dict(a=0.5, b=1.2), dict(c=-1.5, d=0.3)]),
    ("derivative_demo", [dict(x0=-1.5, log10_h=-8.0), dict(function="exp(x)", method="central")]),
    ("gradient_descent_demo", [dict(lr=0.5, steps=100), dict(surface="round bowl", x0=1.0)]),
    ("linear_regression_demo", [dict(epochs=100), dict(solver="normal", noise=2.0)]),
    ("logistic_regression_demo", [dict(epochs=5), dict(spread=2.0, l2=0.1)]),
    ("optimizer_comparison_demo", [dict(steps=300), dict(lr_scale=10.0)]),
    ("mlp_playground", [dict(epochs=30), dict(dataset="xor", hidden_layers=1)]),
])
def test_blitted_frame_matches_full_redraw(name, changes):
    """A blitted frame equals a full redraw up to antialiasing where lines cross spines."""
    import io

    from PIL import Image

    import nnmath.widgets as widgets

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    demo = getattr(widgets, name)()
    assert demo.dynamic_artists() is not None
    for values in changes:
        demo.set(**values)
        blitted, full = pixels(bytes(demo.image.value)), pixels(fig_to_png(demo.fig, dpi=demo.dpi))
        assert blitted.shape == full.shape
        differ = np.abs(blitted - full).max(axis=2) > 32
        assert differ.mean() < 0.005, f"{name} {values}: {differ.mean():.2%} of pixels differ"
