"""Shared test helpers: a gradient oracle that reports "mine" next to "reference".

Tolerances follow from the conditioning of what is computed (CONTRIBUTING.md, "Tolerances: what is
true on every machine"): ``EPS`` is the float64 unit round-off scale and ``fd_atol`` the error
bound of a central difference, so that tests state round-off claims against a bound that holds on
every IEEE-754 machine, not against the last bits seen on one CPU.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# "book": quick local runs. "ci": five times the examples, fresh ones on every run (not
# derandomized), so CI keeps exploring the input space; selected by CI=true or explicitly with
# HYPOTHESIS_PROFILE=ci (or HYPOTHESIS_PROFILE=book under CI to get the quick run).
settings.register_profile("book", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=False,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "book"))

EPS = np.finfo(np.float64).eps  # 2.2e-16: spacing of doubles at 1 (unit round-off is EPS / 2)


def examples(n_local: int) -> int:
    """``max_examples`` for a test that sets its own (slow tests use fewer than the profile):
    ``n_local`` under the "book" profile, scaled by the same factor as the profile under "ci"."""
    return max(1, round(n_local * settings.default.max_examples / 40))


def fd_atol(f_scale, h=1e-6, d3=1.0, safety=10.0):
    """Error bound of a central difference ``(f(x+h) - f(x-h)) / 2h``, times ``safety``.

    Round-off: each value of ``f`` carries an absolute error of about ``EPS * f_scale`` (the size
    of the terms summed to compute it), divided by ``2h``; truncation: ``h^2 |f'''| / 6`` with
    ``d3`` a bound on ``|f'''|``. Use it as ``atol``: where a gradient entry is tiny, a relative
    comparison is meaningless.
    """
    return safety * (EPS * f_scale / h + h * h * d3 / 6.0)


def assert_close(mine, reference, rtol, atol=0.0, what="value"):
    """assert_allclose with both arrays printed side by side on failure."""
    mine, reference = np.asarray(mine, dtype=float), np.asarray(reference, dtype=float)
    try:
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)
    except AssertionError:
        pytest.fail(f"{what} differs (rtol={rtol}, atol={atol})\n  mine:      {mine!r}\n"
                    f"  reference: {reference!r}")


def assert_gradient_matches_fd(f, x, grad, f_scale, h=1e-6, d3=1.0, rtol=1e-6,
                               what="gradient"):
    """Compare an analytic gradient with central differences at the tolerance of their bound.

    ``f_scale`` bounds the size of the terms summed to compute ``f`` (its absolute round-off is
    about ``EPS * f_scale``) and ``d3`` its third derivatives; see :func:`fd_atol`. Unlike
    ``nm.gradcheck``'s purely relative test, an entry that happens to be near 0 is compared
    against the absolute accuracy central differences actually have.
    """
    import nnmath as nm

    num = nm.numerical_gradient(f, x, h=h)
    atol = fd_atol(f_scale, h=h, d3=d3)
    if isinstance(num, dict):
        assert set(grad) == set(num), f"{what}: keys {sorted(grad)} vs {sorted(num)}"
        for k in num:
            assert_close(grad[k], num[k], rtol=rtol, atol=atol,
                         what=f"{what}[{k!r}] vs central differences")
    else:
        assert_close(grad, num, rtol=rtol, atol=atol, what=f"{what} vs central differences")


def central_diff_elementwise(f, z, h=1e-6):
    """Derivative of an elementwise function by central differences."""
    return (f(z + h) - f(z - h)) / (2 * h)


def skip_or_fail(reason: str):
    """Skip with ``reason`` on a user's machine; fail under CI=true, where tools must exist."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def copy_book_frame(root: Path) -> None:
    """Copy the book's configuration, bibliography, local extensions and styles into ``root``, so
    that a small test book there builds exactly as the real one does."""
    book = Path(__file__).resolve().parents[1]
    shutil.copy(book / "_config.yml", root)
    shutil.copy(book / "references.bib", root)
    for folder in ("_ext", "_static"):
        shutil.copytree(book / "book" / folder, root / "book" / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))


# Headless Chromium as the browser tests and the JupyterLab test start it: Debian's chromium, with
# the flags that keep it off the network (this machine has none; see the env notes).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def chromium():
    """A Playwright ``Browser`` on Debian's Chromium; skips (fails under CI) if one is missing."""
    if not Path(CHROMIUM).exists():
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
