"""Tests of nnmath.init: shapes, sample variances against the closed forms, messages."""

import numpy as np
import pytest

from nnmath import init

RANDOM = [n for n in init.INITIALIZERS if n != "zeros"]


@pytest.mark.parametrize("name", list(init.INITIALIZERS))
@pytest.mark.parametrize("fan_in, fan_out", [(1, 1), (3, 7), (64, 16)])
def test_shapes_and_determinism(name, fan_in, fan_out):
    f = init.get_initializer(name)
    W1 = f(fan_in, fan_out, np.random.default_rng(3))
    W2 = f(fan_in, fan_out, 3)  # an int seed works like a Generator with that seed
    assert W1.shape == (fan_in, fan_out) and W1.dtype == np.float64
    np.testing.assert_array_equal(W1, W2)


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("fan_in, fan_out", [(200, 300), (500, 100)])
@pytest.mark.parametrize("seed", [0, 1])
def test_sample_variance_matches_closed_form(name, fan_in, fan_out, seed):
    W = init.get_initializer(name)(fan_in, fan_out, np.random.default_rng(seed))
    expected = init.weight_variance(name, fan_in, fan_out)
    # 60 000 or 50 000 draws: the sample variance is within ~2% (several standard errors)
    np.testing.assert_allclose(W.var(), expected, rtol=0.03)
    np.testing.assert_allclose(W.mean(), 0.0, atol=4 * np.sqrt(expected / W.size))


def test_closed_forms_by_hand():
    assert init.weight_variance("he", 50, 10) == pytest.approx(2 / 50)
    assert init.weight_variance("xavier", 50, 10) == pytest.approx(2 / 60)
    assert init.weight_variance("lecun", 50, 10) == pytest.approx(1 / 50)
    assert init.weight_variance("uniform", 5, 5, limit=0.3) == pytest.approx(0.09 / 3)
    assert init.weight_variance("normal", 5, 5, std=0.2) == pytest.approx(0.04)
    assert init.weight_variance("zeros", 5, 5) == 0.0


def test_uniform_limits_and_zeros():
    W = init.xavier(30, 70, 0)
    assert np.abs(W).max() <= np.sqrt(6 / 100)
    W = init.he_uniform(24, 5, 0)
    assert np.abs(W).max() <= np.sqrt(6 / 24)
    assert np.abs(init.uniform(10, 10, 0, limit=0.2)).max() <= 0.2
    np.testing.assert_array_equal(init.zeros(4, 3), np.zeros((4, 3)))
    np.testing.assert_allclose(init.normal(300, 300, 0, std=2.0).std(), 2.0, rtol=0.02)


def test_callable_passes_through():
    def mine(fan_in, fan_out, rng):
        return np.ones((fan_in, fan_out))
    assert init.get_initializer(mine) is mine


@pytest.mark.parametrize("call, exc, match", [
    (lambda: init.get_initializer("glorot"), ValueError, "Unknown init 'glorot'"),
    (lambda: init.he(0, 3), ValueError, "fan_in must be an integer >= 1"),
    (lambda: init.xavier(3, 2.5), TypeError, "fan_out must be an integer"),
    (lambda: init.normal(3, 3, 0, std=-1), ValueError, "std must be a finite number > 0"),
    (lambda: init.uniform(3, 3, 0, limit=0), ValueError, "limit must be a finite number > 0"),
    (lambda: init.he(3, 3, rng="seed"), TypeError, "random_state must be None, an int"),
    (lambda: init.weight_variance("orthogonal", 3, 3), ValueError, "Unknown init"),
])
def test_messages(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
