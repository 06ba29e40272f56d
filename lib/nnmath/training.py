"""The mini-batch loop shared by the models (chapters 4-7).

:func:`minibatches` shuffles the sample indices once per epoch and cuts them
into batches; :func:`batch_size_for` turns the ``batch_size`` hyperparameter
(``None`` for full batch, an int otherwise) into a number. Keeping this in
one place means batch, stochastic and mini-batch gradient descent differ only
in that number. Left out: data loaders, prefetching, sample weights.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int

__all__ = ["batch_size_for", "minibatches"]


def batch_size_for(batch_size, n_samples: int) -> int:
    """``None`` means the whole data set (batch gradient descent); 1 is SGD."""
    if batch_size is None:
        return n_samples
    return min(check_int(batch_size, "batch_size"), n_samples)


def minibatches(n_samples: int, batch_size, rng: np.random.Generator, shuffle: bool = True):
    """Yield index arrays covering ``range(n_samples)`` once, in batches.

    The last batch is smaller when ``batch_size`` does not divide ``n_samples``.
    """
    b = batch_size_for(batch_size, n_samples)
    order = rng.permutation(n_samples) if shuffle and b < n_samples else np.arange(n_samples)
    for start in range(0, n_samples, b):
        yield order[start:start + b]
