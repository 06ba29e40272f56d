"""Sphinx extension: every figure a notebook draws is shown in a dark version in the dark theme.

Matplotlib draws the book's figures on white. For each image in a notebook's output, the build
writes a second PNG in which every pixel's lightness is turned over and its hue and chroma kept
(:func:`darken`): the white background becomes the theme's near-black, black text and axes
become near-white, and the colours stay the same colours (the blue of class 0 stays blue, a
little lighter; orange stays orange), so the captions' words for them stay true. A figure whose
caption or alt text names something black or white keeps its one version (those two words
would swap), shown on a white card in the dark theme like the demos. The page then
holds both images, the original with the theme's class ``only-light`` and the dark one with
``only-dark``, side by side in one ``div`` (so the caption, which the theme hides when it follows
a hidden image directly, stays visible in both themes).

How: at ``doctree-resolved`` (before the HTML builder collects images), each output image gets
its dark twin written under ``_build/jupyter_execute/dark/`` and registered in the environment's
image list, so the builder copies it to ``_images/`` like any other. Left out: images in
Markdown (the book has none) and the recorded demos' frames, which are inside HTML and are
shown on a white card in the dark theme (book/_static/nnmath.css).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from docutils import nodes

DARK_BACKGROUND = 0.07  # the lightness white turns into (pydata-sphinx-theme's dark background)
DARK_INK = 0.93         # the lightness black turns into


def darken(rgba: np.ndarray) -> np.ndarray:
    """The dark version of an RGBA image (floats in [0, 1], shape (h, w, 4)).

    With HLS lightness ``L = (max + min) / 2`` of each pixel's RGB, every channel is shifted
    by the same amount so that ``L`` becomes ``DARK_BACKGROUND + (DARK_INK - DARK_BACKGROUND)
    * (1 - L)``. Adding one number to R, G and B keeps ``max - min`` (the chroma) and the hue.
    """
    rgb = rgba[..., :3]
    light = (rgb.max(axis=-1) + rgb.min(axis=-1)) / 2
    target = DARK_BACKGROUND + (DARK_INK - DARK_BACKGROUND) * (1.0 - light)
    out = rgba.copy()
    out[..., :3] = np.clip(rgb + (target - light)[..., None], 0.0, 1.0)
    return out


def _dark_file(src: Path, dest: Path) -> None:
    from PIL import Image

    if dest.is_file() and dest.stat().st_mtime >= src.stat().st_mtime:
        return
    with Image.open(src) as im:
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float64) / 255.0
    dest.parent.mkdir(parents=True, exist_ok=True)
    out = (darken(rgba) * 255.0 + 0.5).astype(np.uint8)
    Image.fromarray(out, "RGBA").save(dest, optimize=True)


def _names_black_or_white(image) -> bool:
    """Whether the image's figure caption or alt text calls something black or white: turning
    the lightness over would make those words wrong, so such a figure keeps its one version."""
    words = [image.get("alt", "")]
    figure = image.parent
    while figure is not None and not isinstance(figure, nodes.figure):
        figure = figure.parent
    if figure is not None:
        words += [c.astext() for c in figure.findall(nodes.caption)]
    return bool(re.search(r"\b(black|white)\b", " ".join(words), re.I))


def _in_cell_output(node) -> bool:
    while node is not None:
        if "cell_output" in node.get("classes", []):
            return True
        node = node.parent
    return False


def _add_dark_twins(app, doctree, docname):
    if app.builder.format != "html":
        return
    srcdir = Path(app.srcdir)
    for image in list(doctree.findall(nodes.image)):
        uri = image.get("uri", "")
        if not uri.endswith(".png") or uri not in app.env.images or "only-light" in \
                image.get("classes", []) or not _in_cell_output(image) or \
                _names_black_or_white(image):
            continue
        src = srcdir / uri
        if not src.is_file():
            continue
        dark_uri = str(Path(uri).parent / "dark" / f"{src.stem}-dark.png")
        _dark_file(src, srcdir / dark_uri)
        app.env.images.add_file(docname, dark_uri)
        dark = image.deepcopy()
        dark["uri"] = dark_uri
        dark["candidates"] = {"*": dark_uri}
        dark["classes"] = [c for c in image.get("classes", []) if c != "only-light"] + \
            ["only-dark"]
        image["classes"] = image.get("classes", []) + ["only-light"]
        pair = nodes.container()
        image.replace_self(pair)   # (which copies the image's ids and classes to the pair)
        pair["classes"], pair["ids"] = ["nnmath-figure-pair"], []
        pair += [image, dark]


def setup(app):
    app.connect("doctree-resolved", _add_dark_twins)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
