"""Tests of the chapter 7 demo, optimizer_comparison_demo: it draws what the library
computes, shows divergence in place, and its static twin plays frames over steps."""

import numpy as np
import pytest

import nnmath as nm
from nnmath.surfaces import optimizer_path
from nnmath.widgets.optimizers import BASE_LRS, OptimizerComparisonDemo, optimizer_comparison_demo


@pytest.fixture(scope="module")
def demo():
    return optimizer_comparison_demo()


@pytest.mark.parametrize("surface", ["elongated", "rosenbrock", "saddle"])
def test_lines_show_the_library_paths(demo, surface):
    demo.set(surface=surface, lr_scale=1.0, steps=40)
    assert demo.message.value == ""  # at scale 1 nothing diverges
    for key, opt in [("sgd", nm.SGD), ("momentum", nm.Momentum), ("rmsprop", nm.RMSProp),
                     ("adam", nm.Adam)]:
        ref = optimizer_path(surface, opt(lr=BASE_LRS[surface][key]), 40)
        xs, ys = demo.path_lines[key].get_data()
        np.testing.assert_allclose(np.column_stack([xs, ys]), ref.points, rtol=1e-12)
        gap = np.maximum(ref.losses - nm.surfaces.SURFACES[surface].min_value, 1e-12)
        # the same path, resumed (identical bits); log10 of a gap near 1 is near 0, so allow
        # the absolute error of log10 itself
        np.testing.assert_allclose(demo.loss_lines[key].get_data()[1], np.log10(gap),
                                   rtol=1e-12, atol=1e-14)


def test_divergence_is_a_message_and_a_cross_not_a_traceback(demo):
    # SGD's base rate 0.07 on the elongated surface; x3 gives 0.21 > 2/25, so it diverges.
    demo.set(surface="elongated", lr_scale=3.0, steps=100)
    assert "SGD diverged at step" in demo.message.value
    assert "&#9888;" not in demo.message.value  # a note, not an error box
    assert len(demo.cross_marks["sgd"].get_data()[0]) == 1
    assert "diverged at step" in demo.loss_lines["sgd"].get_label()
    assert len(demo.cross_marks["adam"].get_data()[0]) == 0
    demo.set(lr_scale=1.0)
    assert demo.message.value == ""
    assert len(demo.cross_marks["sgd"].get_data()[0]) == 0


def test_every_update_is_timed_and_renders_png(demo):
    n = len(demo.timings)
    demo.set(steps=60)
    demo.set(surface="saddle")
    assert len(demo.timings) == n + 2
    assert demo.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_static_twin_has_frames_over_steps():
    d = OptimizerComparisonDemo()
    html = d.static_twin()
    frames = d.twin_frames()
    assert len(frames) >= 12 and all("steps" in over for _, over in frames)
    assert html.count("data:image/png;base64,") == len(frames) + 1
    assert "after 150 steps" in html


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"surface": "bowl"}, ValueError, "Unknown surface 'bowl'"),
    ({"lr_scale": -1}, ValueError, "lr_scale must be a finite number > 0"),
    ({"lr_scale": 50.0}, ValueError, r"lr_scale must be in \[0.1, 10\]"),
    ({"steps": 2.5}, TypeError, "steps must be an integer"),
    ({"steps": 1000}, ValueError, r"steps in \[5, 300\]"),
])
def test_argument_messages(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        optimizer_comparison_demo(**kwargs)


def test_non_default_arguments_are_applied():
    d = optimizer_comparison_demo(surface="saddle", lr_scale=2.0, steps=30)
    assert d.values == {"surface": "saddle", "lr_scale": 2.0, "steps": 30}
    assert d.path_lines["adam"].get_data()[0].size == 31
