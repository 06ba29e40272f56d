"""Central differences and gradcheck against closed-form gradients."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnmath as nm
from tests.conftest import EPS, assert_close, fd_atol


@given(n=st.integers(1, 6), seed=st.integers(0, 1000))
def test_numerical_gradient_of_quadratic_form(n, seed):
    rng = np.random.default_rng(seed)
    A, x = rng.normal(size=(n, n)), rng.normal(size=n)
    # f(x) = x^T A x has gradient (A + A^T) x; quadratic, so central differences are exact
    # up to round-off: EPS times the sum of the |terms| of x^T A x, over h
    num = nm.numerical_gradient(lambda v: v @ A @ v, x)
    assert_close(num, (A + A.T) @ x, rtol=1e-7, atol=fd_atol(np.abs(x) @ np.abs(A) @ np.abs(x),
                                                              d3=0.0))


def test_numerical_gradient_does_not_modify_input_and_handles_dicts():
    x = np.array([1.0, 2.0])
    params = {"W": np.array([[1.0, -1.0]]), "b": np.array([0.5])}
    before = {k: v.copy() for k, v in params.items()}
    g = nm.numerical_gradient(lambda p: np.sum(p["W"] ** 2) + 3 * p["b"][0], params)
    # quadratic: round-off only, EPS * |f| / h ~ 1e-9 absolute on entries of size 2 and 3
    assert_close(g["W"], 2 * before["W"], rtol=1e-8)
    assert_close(g["b"], [3.0], rtol=1e-8)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    nm.numerical_gradient(lambda v: np.sum(v), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_central_differences_error_shrinks_like_h_squared():
    f, df = np.sin, np.cos
    x = 0.7
    errs = [abs(nm.numerical_gradient(lambda v: f(v[0]), [x], h=h)[0] - df(x))
            for h in (1e-2, 1e-3)]
    # truncation error ~ h^2 |f'''| / 6: ratio 100 between the two steps
    assert 60 < errs[0] / errs[1] < 140


def test_gradcheck_passes_right_and_fails_wrong_gradients():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2))
    ok = nm.gradcheck(lambda v: np.sum(np.sin(v)), x, np.cos(x))
    # bound: (EPS * 6 / h + h^2 / 6) / min|cos x| = 2e-9 with min|cos x| = 0.80 here
    assert ok and ok.max_error < 1e-8
    bad = nm.gradcheck(lambda v: np.sum(np.sin(v)), x, -np.cos(x))  # sign error
    assert not bad and bad.max_error > 1.0
    assert "FAILED" in str(bad) and "passed" in str(ok)


def test_gradcheck_on_dicts_reports_per_key():
    p = {"a": np.array([1.0, 2.0]), "b": np.array([[3.0]])}
    res = nm.gradcheck(lambda q: np.sum(q["a"] ** 3) + q["b"][0, 0] ** 2, p,
                       {"a": 3 * p["a"] ** 2, "b": 2 * p["b"]})
    assert res.passed and set(res.errors) == {"a", "b"}


def test_relative_error_and_messages():
    assert nm.relative_error([1.0, 0.0], [1.0, 0.0]) == 0.0  # exact: a - b is 0
    # 1.1 - 1 is exact (Sterbenz) but 1.1 and 0.1 are rounded: a few EPS relative
    assert_close(nm.relative_error([1.0], [1.1]), 0.1 / 1.1, rtol=10 * EPS / 0.1)
    with pytest.raises(ValueError, match=r"Cannot compare gradients of shapes \(2,\) and \(3,\)"):
        nm.relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="grad must be a dict with the keys of x"):
        nm.gradcheck(lambda q: 0.0, {"a": np.zeros(1)}, np.zeros(1))
    with pytest.raises(ValueError, match="h must be a finite number > 0"):
        nm.numerical_gradient(np.sum, [1.0], h=0.0)
