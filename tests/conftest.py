"""Shared test helpers: a gradient oracle that reports "mine" next to "reference"."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("book", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("book")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def assert_close(mine, reference, rtol, atol=0.0, what="value"):
    """assert_allclose with both arrays printed side by side on failure."""
    mine, reference = np.asarray(mine, dtype=float), np.asarray(reference, dtype=float)
    try:
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)
    except AssertionError:
        pytest.fail(f"{what} differs (rtol={rtol}, atol={atol})\n  mine:      {mine!r}\n"
                    f"  reference: {reference!r}")


def central_diff_elementwise(f, z, h=1e-6):
    """Derivative of an elementwise function by central differences."""
    return (f(z + h) - f(z - h)) / (2 * h)


def skip_or_fail(reason: str):
    """Skip with ``reason`` on a user's machine; fail under CI=true, where tools must exist."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)
