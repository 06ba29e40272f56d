"""Data sets, splits, k-fold and scaling."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnmath as nm
from nnmath import data
from tests.conftest import EPS, assert_close


def test_make_linear_is_exact_without_noise_and_reproducible():
    X, y, w = data.make_linear(50, 3, noise=0.0, intercept=2.0, random_state=1)
    assert X.shape == (50, 3) and y.shape == (50,)
    # the same sum of d + 1 terms, which can cancel to ~0: absolute accuracy EPS * terms
    assert_close(y, X @ w + 2.0, rtol=1e-14, atol=10 * 4 * EPS * (np.abs(X) @ np.abs(w) + 2).max())
    X2, y2, _ = data.make_linear(50, 3, noise=0.0, intercept=2.0, random_state=1)
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize("name", sorted(data.DATASETS_2D))
def test_2d_sets_have_balanced_integer_labels(name):
    X, y = data.make_classification_2d(name, 200, noise=0.1, random_state=0)
    assert X.shape == (200, 2) and y.dtype.kind == "i"
    counts = np.bincount(y)
    assert counts.min() >= 0.45 * counts.max()


def test_xor_labels_follow_the_truth_table():
    X, y = data.xor_truth_table()
    np.testing.assert_array_equal(y, X[:, 0].astype(int) ^ X[:, 1].astype(int))
    X, y = data.make_xor(100, noise=0.0, random_state=0)
    np.testing.assert_array_equal(y, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int))


def test_circles_radii():
    X, y = data.make_circles(100, noise=0.0, factor=0.4, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert_close(r[y == 1], 0.4, rtol=1e-12)
    assert_close(r[y == 0], 1.0, rtol=1e-12)


@pytest.mark.parametrize(("name", "shape"), [("diabetes", (442, 10)), ("iris", (150, 4)),
                                             ("breast_cancer", (569, 30)), ("digits", (1797, 64))])
def test_shipped_datasets_load_offline(name, shape):
    X, y, info = data.load_dataset(name)
    assert X.shape == shape and y.shape == (shape[0],)
    assert info["description"]


@given(n=st.integers(8, 60), frac=st.floats(0.1, 0.5), seed=st.integers(0, 100))
def test_train_test_split_partitions_the_rows(n, frac, seed):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n) % 3
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_size=frac, random_state=seed)
    assert len(Xtr) + len(Xte) == n
    assert sorted(np.concatenate([Xtr[:, 0], Xte[:, 0]])) == sorted(X[:, 0])
    np.testing.assert_array_equal(ytr, (Xtr[:, 0] / 2).astype(int) % 3)


def test_stratified_split_keeps_class_proportions():
    y = np.array([0] * 90 + [1] * 10)
    X = np.arange(100, dtype=float)[:, None]
    _, _, ytr, yte = data.train_test_split(X, y, test_size=0.2, stratify=True, random_state=0)
    assert np.sum(yte == 1) == 2 and np.sum(ytr == 1) == 8


@pytest.mark.parametrize("k", [2, 5, 10])
def test_kfold_covers_every_sample_once(k):
    folds = data.kfold(53, k, random_state=0)
    val = np.concatenate([v for _, v in folds])
    assert sorted(val) == list(range(53))
    for tr, va in folds:
        assert not set(tr) & set(va) and len(tr) + len(va) == 53


def test_stratified_kfold_balances_classes():
    y = np.array([0] * 40 + [1] * 10)
    for _, va in data.kfold(50, 5, labels=y, random_state=1):
        assert np.sum(y[va] == 1) == 2


def test_standard_scaler_matches_scikit_learn():
    from sklearn.preprocessing import StandardScaler as SkScaler
    rng = np.random.default_rng(0)
    X = rng.normal(3, 5, size=(30, 4))
    X[:, 2] = 7.0  # constant column
    assert_close(data.StandardScaler().fit_transform(X), SkScaler().fit_transform(X), rtol=1e-12,
                 atol=1e-12)
    s = data.StandardScaler().fit(X)
    # x -> (x - mean) / std -> back: ~EPS (|x| + |mean|) absolute, for entries of X near 0 too
    assert_close(s.inverse_transform(s.transform(X)), X, rtol=1e-12,
                 atol=10 * EPS * np.abs(X).max())


def test_messages():
    with pytest.raises(ValueError, match="Unknown data set 'mnist'"):
        data.load_dataset("mnist")
    with pytest.raises(ValueError, match="test_size must be a fraction strictly between 0 and 1"):
        data.train_test_split(np.zeros((4, 1)), np.zeros(4), test_size=1.5)
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        data.train_test_split(np.zeros((4, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="k=5 folds need at least k samples, got 3"):
        data.kfold(3, 5)
    with pytest.raises(TypeError, match="random_state must be None, an int or a numpy"):
        data.rng_from("seed")
    with pytest.raises(nm.NotFittedError, match="This StandardScaler instance is not fitted yet"):
        data.StandardScaler().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="X has 3 features but the scaler was fitted on 2"):
        data.StandardScaler().fit(np.zeros((2, 2))).transform(np.zeros((2, 3)))
