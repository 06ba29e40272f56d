"""Activation functions and their derivatives (chapter 2 derives them, chapter 6 uses them).

Every function takes an array ``z`` of any shape and works elementwise, except
``softmax``, which normalises along the last axis (rows are samples). Each is
numerically stable for inputs of any magnitude: no overflow warnings at
``|z| = 1e4`` and no NaN.

Derivatives are written as functions of ``z`` (not of the activation), named
``<name>_grad``. ReLU's derivative at exactly 0 is taken to be 0, the usual
convention. Softmax is vector-valued, so it has a Jacobian instead:
``softmax_jacobian`` returns it, and ``softmax_backward`` applies its transpose
to an upstream gradient without building it.

Left out: activations the book does not discuss (GELU, swish, ...).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_option

__all__ = [
    "identity", "identity_grad",
    "sigmoid", "sigmoid_grad",
    "tanh", "tanh_grad",
    "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad",
    "softmax", "softmax_jacobian", "softmax_backward",
    "log_sigmoid", "log_softmax",
    "ACTIVATIONS", "get_activation",
]


def _z(z) -> np.ndarray:
    return as_float_array(z, "z")


_EXP_FLOOR = -708.0  # exp(-708) ~ 3e-308 is still a normal float64; below it exp underflows


def _exp_nonpositive(x: np.ndarray) -> np.ndarray:
    """``exp(x)`` for ``x <= 0`` that returns exact zeros instead of raising underflow.

    ``exp(-1e4)`` is far below the smallest float64, so 0 is the correctly rounded
    answer; computing it directly sets NumPy's underflow flag, which the book's
    tests treat as an error (``np.errstate(all="raise")``).
    """
    return np.where(x < _EXP_FLOOR, 0.0, np.exp(np.maximum(x, _EXP_FLOOR)))


def identity(z):
    """The linear activation ``f(z) = z``."""
    return _z(z).copy()


def identity_grad(z):
    """``f'(z) = 1``."""
    return np.ones_like(_z(z))


def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    Computed as ``exp(-|z|)`` based formulas so that ``exp`` never overflows:
    for ``z >= 0`` use ``1 / (1 + e^{-z})``, for ``z < 0`` use ``e^{z} / (1 + e^{z})``.
    """
    z = _z(z)
    e = _exp_nonpositive(-np.abs(z))  # in [0, 1]: cannot overflow
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z):
    r""":math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`."""
    s = sigmoid(z)
    return s * (1.0 - s)


def log_sigmoid(z):
    r""":math:`\log \sigma(z) = -\log(1 + e^{-z})`, stable for large ``|z|``.

    Written as ``min(z, 0) - log1p(exp(-|z|))``; the naive ``np.log(sigmoid(z))``
    returns ``-inf`` for ``z < -745``.
    """
    z = _z(z)
    return np.minimum(z, 0.0) - np.log1p(_exp_nonpositive(-np.abs(z)))


def tanh(z):
    """Hyperbolic tangent (NumPy's ``tanh`` is already stable)."""
    return np.tanh(_z(z))


def tanh_grad(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2(z)`."""
    t = np.tanh(_z(z))
    return 1.0 - t * t


def relu(z):
    """Rectified linear unit ``max(0, z)``."""
    return np.maximum(_z(z), 0.0)


def relu_grad(z):
    """1 where ``z > 0``, else 0 (the derivative at 0 is taken to be 0)."""
    return (_z(z) > 0).astype(np.float64)


def leaky_relu(z, alpha: float = 0.01):
    """``z`` for ``z > 0``, ``alpha * z`` otherwise."""
    z = _z(z)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha: float = 0.01):
    """1 for ``z > 0``, ``alpha`` otherwise."""
    z = _z(z)
    return np.where(z > 0, 1.0, alpha)


def softmax(z):
    r"""Softmax along the last axis: :math:`p_k = e^{z_k} / \sum_j e^{z_j}`.

    Subtracting the row maximum first leaves the result unchanged (numerator and
    denominator are both multiplied by :math:`e^{-\max z}`) and keeps every
    exponent <= 0, so nothing overflows.
    """
    z = _z(z)
    if z.ndim == 0:
        raise ValueError("softmax needs at least a 1D array of scores, got a scalar. "
                         "Wrap it in a list: softmax([z]).")
    e = _exp_nonpositive(z - z.max(axis=-1, keepdims=True))
    # e can be as small as exp(-708) ~ 3e-308 and the row sum up to K: the quotient may be
    # subnormal, which is the correctly rounded answer, not an error (z = [-708, 0, 0])
    with np.errstate(under="ignore"):
        return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z):
    """``log(softmax(z))`` along the last axis, without forming ``log(0)``."""
    z = _z(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(_exp_nonpositive(shifted).sum(axis=-1, keepdims=True))


def softmax_jacobian(z):
    r"""Jacobian :math:`\partial p_i / \partial z_j = p_i(\delta_{ij} - p_j)`.

    For ``z`` of shape ``(..., K)`` returns shape ``(..., K, K)``.
    """
    p = softmax(z)
    return p[..., :, None] * (np.eye(p.shape[-1]) - p[..., None, :])


def softmax_backward(z, upstream):
    r"""Vector-Jacobian product: the gradient with respect to ``z`` given ``dL/dp``.

    :math:`\partial L/\partial z_j = p_j (g_j - \sum_i g_i p_i)` with ``g = upstream``.
    Costs O(K) per row instead of the O(K^2) of the full Jacobian.
    """
    p = softmax(z)
    g = as_float_array(upstream, "upstream")
    if g.shape != p.shape:
        raise ValueError(f"upstream must have the shape of z, {p.shape}; got {g.shape}.")
    return p * (g - (g * p).sum(axis=-1, keepdims=True))


#: name -> (activation, derivative); the elementwise activations a layer can use.
ACTIVATIONS = {
    "identity": (identity, identity_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
}


def get_activation(name: str):
    """Return ``(f, f_grad)`` for an elementwise activation name from :data:`ACTIVATIONS`."""
    check_option(name, ACTIVATIONS, "activation")
    return ACTIVATIONS[name]
