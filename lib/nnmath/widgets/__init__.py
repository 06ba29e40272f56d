"""The book's interactive demos: one public function per demo.

Each function returns the demo's top-level ipywidgets container (a
:class:`~nnmath.widgets._base.Demo`). Changing a control recomputes
synchronously, so a demo also works when driven from code
(``demo.set(lr=0.1)``), and its ``static_twin()`` is what the HTML book shows.
"""

from ._base import Demo

__all__ = ["Demo"]
# Chapter demo modules register their public functions below (one import line each).
# isort: split
from .approximation import approximation_demo  # noqa: E402,F401
from .gradient_flow import gradient_flow_demo  # noqa: E402,F401
from .maths import derivative_demo, gradient_descent_demo, matrix_transform_demo  # noqa: E402,F401
from .optimizers import optimizer_comparison_demo  # noqa: E402,F401
from .playground import mlp_playground  # noqa: E402,F401
from .probability import likelihood_demo  # noqa: E402,F401
from .regression import linear_regression_demo, logistic_regression_demo  # noqa: E402,F401
