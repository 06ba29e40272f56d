"""The book's interactive demos: one public function per demo.

Each function returns the demo's top-level ipywidgets container (a
:class:`~nnmath.widgets._base.Demo`). Changing a control recomputes
synchronously, so a demo also works when driven from code
(``demo.set(lr=0.1)``), and its ``static_twin()`` is what the HTML book shows.
"""

from ._base import Demo

__all__ = ["Demo"]
# Chapter demo modules register their public functions below (one import line each).
