"""Data for the book: synthetic sets, real sets shipped with scikit-learn, and splits.

Synthetic generators take ``random_state`` (an int or a ``numpy.random.Generator``)
and return ``(X, y)`` with rows as samples: ``X`` of shape (n, d), ``y`` of
shape (n,). Class labels are integers 0..K-1.

Real data comes from files that ship inside scikit-learn (diabetes, breast
cancer, iris, digits), so nothing is downloaded at run time.

Splits: :func:`train_test_split` (optionally stratified), :func:`kfold` and
:class:`StandardScaler`. Left out: data sets that need a download, and
pandas.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    check_int,
    check_is_fitted,
    check_labels,
    check_option,
    check_positive,
    check_X,
)

__all__ = [
    "rng_from", "make_linear", "make_blobs", "make_xor", "xor_truth_table", "make_circles",
    "make_moons", "make_spiral", "make_classification_2d", "DATASETS_2D", "load_dataset",
    "train_test_split", "kfold", "StandardScaler",
]


def rng_from(random_state) -> np.random.Generator:
    """A NumPy ``Generator`` from ``None``, an int seed or an existing ``Generator``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, (int, np.integer))
                                and not isinstance(random_state, bool)):
        return np.random.default_rng(random_state)
    raise TypeError(f"random_state must be None, an int or a numpy.random.Generator, got "
                    f"{type(random_state).__name__} {random_state!r}.")


def make_linear(n_samples=100, n_features=1, noise=0.1, coef=None, intercept=0.0,
                x_scale=1.0, random_state=None):
    """Data from ``y = X @ coef + intercept + noise * N(0, 1)``, ``X ~ x_scale * N(0, 1)``.

    Returns ``(X, y, coef)``; ``coef`` is drawn from N(0, 1) when not given.
    """
    rng = rng_from(random_state)
    n, d = check_int(n_samples, "n_samples"), check_int(n_features, "n_features")
    check_positive(noise, "noise", allow_zero=True)
    coef = rng.normal(size=d) if coef is None else as_float_array(coef, "coef", ndim=1)
    if coef.shape != (d,):
        raise ValueError(f"coef must have shape ({d},) to match n_features, got {coef.shape}.")
    X = x_scale * rng.normal(size=(n, d))
    y = X @ coef + intercept + noise * rng.normal(size=n)
    return X, y, coef


def make_blobs(n_samples=200, centers=2, std=1.0, random_state=None):
    """Gaussian blobs in 2D. ``centers`` is a count or an array (K, 2) of centres."""
    rng = rng_from(random_state)
    n = check_int(n_samples, "n_samples")
    if isinstance(centers, (int, np.integer)):
        k = check_int(centers, "centers")
        angles = 2 * np.pi * np.arange(k) / k
        centers = 2.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    centers = as_float_array(centers, "centers", ndim=2)
    y = np.arange(n) % centers.shape[0]
    X = centers[y] + std * rng.normal(size=(n, centers.shape[1]))
    return X, y


def xor_truth_table():
    """The four XOR points ``(0,0),(0,1),(1,0),(1,1)`` with labels ``0,1,1,0``."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0])


def make_xor(n_samples=200, noise=0.1, random_state=None):
    """Points in the square [-1, 1]^2; label 1 where exactly one coordinate is positive.

    ``noise`` is the standard deviation of Gaussian jitter added after labelling.
    """
    rng = rng_from(random_state)
    n = check_int(n_samples, "n_samples")
    X = rng.uniform(-1, 1, size=(n, 2))
    X += np.sign(X) * 0.1  # keep a margin around the axes so the classes are separable
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    return X + noise * rng.normal(size=X.shape), y


def make_circles(n_samples=200, noise=0.1, factor=0.5, random_state=None):
    """Two concentric circles: the inner one (radius ``factor``) is class 1."""
    rng = rng_from(random_state)
    n = check_int(n_samples, "n_samples")
    y = np.arange(n) % 2
    t = rng.uniform(0, 2 * np.pi, size=n)
    r = np.where(y == 1, factor, 1.0)
    X = np.column_stack([r * np.cos(t), r * np.sin(t)])
    return X + noise * rng.normal(size=X.shape), y


def make_moons(n_samples=200, noise=0.1, random_state=None):
    """Two interleaving half circles."""
    rng = rng_from(random_state)
    n = check_int(n_samples, "n_samples")
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, size=n)
    X = np.where(y[:, None] == 0,
                 np.column_stack([np.cos(t), np.sin(t)]),
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    return X + noise * rng.normal(size=X.shape), y


def make_spiral(n_samples=300, n_classes=2, noise=0.1, turns=1.25, random_state=None):
    """Interleaved spiral arms, one per class (a classic hard case for small networks)."""
    rng = rng_from(random_state)
    n, k = check_int(n_samples, "n_samples"), check_int(n_classes, "n_classes", minimum=2)
    y = np.arange(n) % k
    r = rng.uniform(0.05, 1.0, size=n)
    theta = 2 * np.pi * (turns * r + y / k)
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    return X + noise * rng.normal(size=X.shape) * r[:, None], y


DATASETS_2D = {
    "circles": make_circles,
    "xor": make_xor,
    "blobs": lambda n_samples, noise, random_state: make_blobs(
        n_samples, 2, std=0.5 + 4 * noise, random_state=random_state),
    "spiral": make_spiral,
    "moons": make_moons,
}


def make_classification_2d(name: str, n_samples=200, noise=0.1, random_state=None):
    """One of the 2D classification sets in :data:`DATASETS_2D` by name."""
    check_option(name, DATASETS_2D, "data set")
    check_positive(noise, "noise", allow_zero=True)
    return DATASETS_2D[name](n_samples=n_samples, noise=noise, random_state=random_state)


_REAL = ("diabetes", "breast_cancer", "iris", "digits", "wine")


def load_dataset(name: str):
    """Load a real data set that ships inside scikit-learn (no download).

    Returns ``(X, y, info)`` where ``info`` is a dict with ``feature_names``,
    ``target_names`` (classification only) and ``description``.
    """
    from sklearn import datasets

    check_option(name, _REAL, "data set")
    bunch = getattr(datasets, f"load_{name}")()
    info = {"feature_names": list(getattr(bunch, "feature_names", [])),
            "target_names": list(getattr(bunch, "target_names", [])),
            "description": bunch.DESCR}
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target), info


def train_test_split(X, y, test_size=0.25, stratify=False, random_state=None):
    """Shuffle and split into ``X_train, X_test, y_train, y_test``.

    With ``stratify=True`` each class keeps its proportion in both parts
    (``y`` must then hold integer labels): the split is made class by class.
    """
    X = check_X(X)
    y = as_float_array(y, "y", ndim=(1, 2))
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must match.")
    if not 0 < float(test_size) < 1:
        raise ValueError(f"test_size must be a fraction strictly between 0 and 1, got {test_size}.")
    rng = rng_from(random_state)
    n = X.shape[0]
    if stratify:
        labels = check_labels(y)
        test = []
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            test.extend(idx[: int(round(test_size * idx.size))])
        test = np.array(sorted(test), dtype=np.int64)
        train = rng.permutation(np.setdiff1d(np.arange(n), test))
        test = rng.permutation(test)
    else:
        perm = rng.permutation(n)
        n_test = int(round(test_size * n))
        test, train = perm[:n_test], perm[n_test:]
    if train.size == 0 or test.size == 0:
        raise ValueError(f"test_size={test_size} leaves an empty part with {n} samples; "
                         "use more data or a test_size nearer 0.5.")
    y_out = y if not np.all(y == np.round(y)) else y.astype(np.int64)
    return X[train], X[test], y_out[train], y_out[test]


def kfold(n_samples, k=5, labels=None, shuffle=True, random_state=None):
    """Indices for k-fold cross-validation: a list of ``(train_idx, val_idx)`` pairs.

    Every sample is in exactly one validation fold. With ``labels`` the folds
    are stratified: each class is dealt round-robin across the folds.
    """
    n, k = check_int(n_samples, "n_samples"), check_int(k, "k", minimum=2)
    if k > n:
        raise ValueError(f"k={k} folds need at least k samples, got {n}.")
    rng = rng_from(random_state)
    order = rng.permutation(n) if shuffle else np.arange(n)
    fold_of = np.empty(n, dtype=np.int64)
    if labels is None:
        fold_of[order] = np.arange(n) % k
    else:
        labels = check_labels(labels)
        if labels.shape[0] != n:
            raise ValueError(f"labels has {labels.shape[0]} entries for {n} samples.")
        for c in np.unique(labels):
            members = order[labels[order] == c]
            fold_of[members] = (np.arange(members.size) + c) % k
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


class StandardScaler:
    """Rescale each feature to mean 0 and standard deviation 1 (fitted on training data).

    Constant features keep scale 1 so nothing is divided by zero.
    """

    def fit(self, X):
        X = check_X(X)
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X):
        check_is_fitted(self, "mean_")
        X = check_X(X)
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} features but the scaler was fitted on "
                             f"{self.mean_.shape[0]}.")
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        check_is_fitted(self, "mean_")
        return check_X(X) * self.scale_ + self.mean_
