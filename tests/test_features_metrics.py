"""Tests of nnmath.features (polynomial features) and nnmath.metrics (scores)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.preprocessing import PolynomialFeatures

import nnmath as nm
from tests.conftest import EPS, examples


@pytest.mark.parametrize("d,degree", [(1, 1), (1, 5), (2, 3), (3, 2), (4, 3)])
def test_polynomial_features_match_sklearn(d, degree):
    X = np.random.default_rng(d + degree).normal(size=(7, d))
    mine = nm.features.polynomial_features(X, degree)
    ref = PolynomialFeatures(degree, include_bias=False).fit_transform(X)
    np.testing.assert_allclose(mine, ref, rtol=1e-13)
    assert mine.shape[1] == nm.features.n_polynomial_features(d, degree)


def test_polynomial_features_of_flat_vector_are_powers():
    x = np.array([1.0, 2.0, -3.0])
    np.testing.assert_allclose(nm.features.polynomial_features(x, 3),
                               np.column_stack([x, x ** 2, x ** 3]), rtol=1e-15)


def test_add_bias_column():
    X = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(nm.features.add_bias_column(X)[:, 0], 1.0)
    np.testing.assert_array_equal(nm.features.add_bias_column(X)[:, 1:], X)


def test_feature_validation():
    with pytest.raises(ValueError, match="degree must be an integer >= 1"):
        nm.features.polynomial_features(np.ones(3), 0)
    with pytest.raises(TypeError, match="degree must be an integer"):
        nm.features.polynomial_features(np.ones(3), 2.0)
    with pytest.raises(ValueError, match="Expected 1D or 2D array for X"):
        nm.features.polynomial_features(np.ones((2, 2, 2)), 2)


@settings(max_examples=examples(30), deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(5, 60))
def test_classification_metrics_match_sklearn(seed, K, n):
    rng = np.random.default_rng(seed)
    t, p = rng.integers(0, K, n), rng.integers(0, K, n)
    labels = list(range(K))
    present = list(range(max(t.max(), p.max()) + 1))  # macro averages over classes 0..max label
    assert nm.metrics.accuracy(t, p) == pytest.approx(skm.accuracy_score(t, p), rel=1e-12)
    np.testing.assert_array_equal(nm.metrics.confusion_matrix(t, p, n_classes=K),
                                  skm.confusion_matrix(t, p, labels=labels))
    for ours, theirs in [(nm.metrics.precision, skm.precision_score),
                         (nm.metrics.recall, skm.recall_score), (nm.metrics.f1, skm.f1_score)]:
        np.testing.assert_allclose(
            ours(t, p, average="macro"),
            theirs(t, p, average="macro", labels=present, zero_division=0), rtol=1e-12)
        np.testing.assert_allclose(
            ours(t, p, positive=1),
            theirs(t, p, average=None, labels=labels, zero_division=0)[1], rtol=1e-12)


@settings(max_examples=examples(30), deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4))
def test_log_loss_and_r2_match_sklearn(seed, K):
    rng = np.random.default_rng(seed)
    t = np.r_[np.arange(K), rng.integers(0, K, 20)]
    P = nm.softmax(rng.normal(size=(t.size, K)) * 3)
    np.testing.assert_allclose(nm.metrics.log_loss(t, P), skm.log_loss(t, P), rtol=1e-12)
    y, y_hat = rng.normal(size=15), rng.normal(size=15)
    # R^2 = 1 - SS_res / SS_tot can land near 0, where only its absolute error (~EPS times
    # 1 + SS_res / SS_tot, a handful of EPS) is meaningful
    r2 = skm.r2_score(y, y_hat)
    np.testing.assert_allclose(nm.metrics.r2_score(y, y_hat), r2, rtol=1e-12,
                               atol=100 * EPS * (2 + abs(r2)))


def test_binary_log_loss_from_probability_of_class_one():
    t, p = np.array([0, 1, 1]), np.array([0.2, 0.7, 0.9])
    expected = -np.mean(np.log([0.8, 0.7, 0.9]))
    # 1 - 0.2 and 1 - p round differently from the literals 0.8: an ulp each, i.e. up to
    # EPS / |log 0.9| ~ 10 EPS relative in the mean
    np.testing.assert_allclose(nm.metrics.log_loss(t, p), expected, rtol=100 * EPS)
    assert np.isfinite(nm.metrics.log_loss([1], [0.0]))  # clipped, not inf


def test_precision_recall_by_hand():
    t = np.array([1, 1, 1, 0, 0, 0, 0])
    p = np.array([1, 1, 0, 1, 0, 0, 0])
    assert nm.metrics.precision(t, p) == pytest.approx(2 / 3)
    assert nm.metrics.recall(t, p) == pytest.approx(2 / 3)
    assert nm.metrics.f1(t, p) == pytest.approx(2 / 3)
    assert nm.metrics.precision(t, np.zeros(7, int)) == 0.0  # no predicted positives


def test_metric_validation():
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        nm.metrics.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="R\\^2 is undefined when y_true is constant"):
        nm.metrics.r2_score([1.0, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="Unknown average 'micro'"):
        nm.metrics.precision([0, 1], [0, 1], average="micro")
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        nm.metrics.log_loss([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match="holds label 2 but the model has 2 classes"):
        nm.metrics.log_loss([0, 2], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="Labels go up to 3 but n_classes=2"):
        nm.metrics.confusion_matrix([0, 3], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="empty"):
        nm.metrics.accuracy([], [])
