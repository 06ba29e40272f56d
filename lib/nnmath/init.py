"""Weight initialisers (chapter 7, "Initialisation"): how the first weights of a layer are drawn.

Each initialiser is ``f(fan_in, fan_out, rng) -> ndarray (fan_in, fan_out)``,
where ``rng`` is a ``numpy.random.Generator`` (an int seed or ``None`` are
accepted too). The scale matters because it sets the variance of activations
as they pass through many layers: a pre-activation :math:`z = \\sum_i a_i w_i`
of ``fan_in`` terms has :math:`\\operatorname{Var}(z) = \\text{fan_in}\\,
\\operatorname{Var}(w)\\,\\mathbb{E}[a^2]` when the weights are independent with
mean 0.

- ``zeros``: every unit computes the same thing forever (the symmetry problem);
- ``normal`` and ``uniform``: a fixed scale that ignores the layer's size;
- ``lecun``: variance :math:`1/\\text{fan_in}`, which keeps :math:`\\operatorname{Var}(z)`
  fixed through a linear (or near-linear tanh) layer;
- ``xavier`` / ``xavier_normal`` (Glorot and Bengio, 2010): variance
  :math:`2/(\\text{fan_in}+\\text{fan_out})`, a compromise between the forward
  and the backward pass, suited to tanh and sigmoid;
- ``he`` / ``he_uniform`` (He et al., 2015): variance :math:`2/\\text{fan_in}`,
  which makes up for ReLU zeroing half of its inputs.

:func:`weight_variance` gives each rule's variance in closed form, so the
chapter and the tests can compare it with the sample variance of drawn
weights. Biases start at zero in :class:`nnmath.MLP`. Left out: orthogonal
and data-dependent (LSUV) initialisation.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_option, check_positive
from .data import rng_from

__all__ = ["zeros", "normal", "uniform", "lecun", "xavier", "xavier_normal", "he", "he_uniform",
           "INITIALIZERS", "get_initializer", "weight_variance"]


def _fans(fan_in, fan_out):
    return check_int(fan_in, "fan_in"), check_int(fan_out, "fan_out")


def zeros(fan_in, fan_out, rng=None):
    """All weights 0 (``rng`` is ignored). Returns an array (fan_in, fan_out)."""
    return np.zeros(_fans(fan_in, fan_out))


def normal(fan_in, fan_out, rng=None, std=0.01):
    """Weights from N(0, std^2), whatever the layer size. Returns (fan_in, fan_out)."""
    shape = _fans(fan_in, fan_out)
    std = check_positive(std, "std")
    return std * rng_from(rng).standard_normal(shape)


def uniform(fan_in, fan_out, rng=None, limit=0.05):
    """Weights from U(-limit, limit), whatever the layer size: variance limit^2 / 3."""
    shape = _fans(fan_in, fan_out)
    limit = check_positive(limit, "limit")
    return rng_from(rng).uniform(-limit, limit, size=shape)


def lecun(fan_in, fan_out, rng=None):
    """LeCun normal: N(0, 1 / fan_in). Returns (fan_in, fan_out)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return np.sqrt(1.0 / fan_in) * rng_from(rng).standard_normal((fan_in, fan_out))


def xavier(fan_in, fan_out, rng=None):
    """Glorot uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), variance 2/(in+out)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng_from(rng).uniform(-a, a, size=(fan_in, fan_out))


def xavier_normal(fan_in, fan_out, rng=None):
    """Glorot normal: N(0, 2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return std * rng_from(rng).standard_normal((fan_in, fan_out))


def he(fan_in, fan_out, rng=None):
    """He normal: N(0, 2 / fan_in)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return np.sqrt(2.0 / fan_in) * rng_from(rng).standard_normal((fan_in, fan_out))


def he_uniform(fan_in, fan_out, rng=None):
    """He uniform: U(-a, a) with a = sqrt(6 / fan_in), variance 2/fan_in."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    a = np.sqrt(6.0 / fan_in)
    return rng_from(rng).uniform(-a, a, size=(fan_in, fan_out))


INITIALIZERS = {"zeros": zeros, "normal": normal, "uniform": uniform, "lecun": lecun,
                "xavier": xavier, "xavier_normal": xavier_normal, "he": he,
                "he_uniform": he_uniform}


def get_initializer(name):
    """The initialiser called ``name`` (a key of :data:`INITIALIZERS`), or a callable as is."""
    if callable(name):
        return name
    check_option(name, INITIALIZERS, "init")
    return INITIALIZERS[name]


def weight_variance(name: str, fan_in: int, fan_out: int, *, std: float = 0.01,
                    limit: float = 0.05) -> float:
    """The variance of one weight drawn by the initialiser ``name``, in closed form.

    Parameters
    ----------
    name : str
        A key of :data:`INITIALIZERS`.
    fan_in, fan_out : int
        Layer sizes.
    std, limit : float
        The scales of ``normal`` and ``uniform`` (ignored by the other rules).

    Returns
    -------
    float
        For example ``2 / fan_in`` for ``"he"``; ``limit**2 / 3`` for ``"uniform"``
        (the variance of U(-a, a) is a^2 / 3).
    """
    check_option(name, INITIALIZERS, "init")
    fan_in, fan_out = _fans(fan_in, fan_out)
    return {
        "zeros": 0.0,
        "normal": check_positive(std, "std") ** 2,
        "uniform": check_positive(limit, "limit") ** 2 / 3.0,
        "lecun": 1.0 / fan_in,
        "xavier": 2.0 / (fan_in + fan_out),
        "xavier_normal": 2.0 / (fan_in + fan_out),
        "he": 2.0 / fan_in,
        "he_uniform": 2.0 / fan_in,
    }[name]
