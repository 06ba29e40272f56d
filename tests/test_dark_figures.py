"""The dark twins of the figures (book/_ext/dark_figures.py): lightness turned over, hue kept."""

from __future__ import annotations

import colorsys
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
from dark_figures import DARK_BACKGROUND, DARK_INK, darken  # noqa: E402


def _px(*rgb):
    return np.array([[[*rgb, 1.0]]])


def test_white_becomes_the_dark_background_and_black_the_ink():
    assert np.allclose(darken(_px(1, 1, 1))[0, 0, :3], DARK_BACKGROUND)
    assert np.allclose(darken(_px(0, 0, 0))[0, 0, :3], DARK_INK)
    assert np.allclose(darken(_px(0.5, 0.5, 0.5))[0, 0, :3], (DARK_BACKGROUND + DARK_INK) / 2)


@pytest.mark.parametrize("rgb", [(0.0, 0.447, 0.698), (0.902, 0.624, 0.0), (0.0, 0.62, 0.451),
                                 (0.8, 0.475, 0.655), (0.835, 0.369, 0.0)])
def test_colours_keep_their_hue_and_swap_lightness(rgb):
    """The book's class and curve colours (Okabe-Ito) stay the same hue, with lightness
    turned over (colorsys as the independent reference)."""
    out = darken(_px(*rgb))[0, 0, :3]
    h0, l0, _ = colorsys.rgb_to_hls(*rgb)
    h1, l1, _ = colorsys.rgb_to_hls(*out)
    assert abs(h1 - h0) < 1e-9 or abs(abs(h1 - h0) - 1) < 1e-9
    expected = DARK_BACKGROUND + (DARK_INK - DARK_BACKGROUND) * (1 - l0)
    assert np.all(out <= 1.0) and np.all(out >= 0.0)
    if not np.any(out >= 1.0):   # no channel clipped: the lightness is exactly the target
        assert abs(l1 - expected) < 1e-12


def test_alpha_and_shape_are_kept():
    rng = np.random.default_rng(0)
    img = rng.uniform(size=(7, 5, 4))
    out = darken(img)
    assert out.shape == img.shape and np.array_equal(out[..., 3], img[..., 3])
