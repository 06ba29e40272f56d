"""Symbolic derivations with sympy, and NumPy versions of them (chapters 2, 5 and 6).

This module is the book's independent referee: it writes each formula the way a
textbook does, lets sympy differentiate it, and turns the result into a NumPy
function with ``sympy.lambdify``. Tests and chapters then compare those
functions with the hand-written gradients in :mod:`nnmath.activations`,
:mod:`nnmath.losses` and :class:`nnmath.MLP`.

What it covers: every activation and its derivative, the three losses and their
gradients for a small batch, and the full backward pass of a small network.
What it leaves out: anything large. Symbolic expressions grow quickly, so keep
networks to a few units and batches to a few samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ._validation import as_float_array, check_int, check_option

__all__ = [
    "z",
    "activation_expr",
    "activation_derivative",
    "lambdify_activation",
    "loss_expr",
    "loss_gradient",
    "SymbolicMLP",
    "mlp_backward",
]

#: The symbol every activation expression is written in.
z = sp.Symbol("z", real=True)
_alpha = sp.Rational(1, 100)  # leaky ReLU slope, the same 0.01 as nnmath.activations


def activation_expr(name: str) -> sp.Expr:
    """The activation ``name`` as a sympy expression in :data:`z`.

    ReLU and leaky ReLU are ``Piecewise`` with the kink assigned to the left
    branch, so their derivative at 0 is 0 (respectively 0.01), as in NumPy.
    """
    exprs = {
        "identity": z,
        "sigmoid": 1 / (1 + sp.exp(-z)),
        "tanh": sp.tanh(z),
        "relu": sp.Piecewise((0, z <= 0), (z, True)),
        "leaky_relu": sp.Piecewise((_alpha * z, z <= 0), (z, True)),
    }
    check_option(name, exprs, "activation")
    return exprs[name]


def activation_derivative(name: str) -> tuple[sp.Expr, sp.Expr]:
    """Return ``(f, f')`` as sympy expressions in :data:`z` (``f'`` as sympy differentiates it)."""
    f = activation_expr(name)
    return f, sp.diff(f, z)


def lambdify_activation(name: str):
    """NumPy functions ``(f, f_prime)`` made by lambdify from the sympy expressions."""
    f, df = activation_derivative(name)
    fn, dfn = sp.lambdify(z, f, "numpy"), sp.lambdify(z, df, "numpy")

    def vec(g):
        def call(x):
            x = as_float_array(x, "z")
            return np.broadcast_to(np.asarray(g(x), dtype=np.float64), x.shape).copy()
        return call

    return vec(fn), vec(dfn)


def _matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


def _softmax_ce_rows(Z: sp.Matrix, Y: sp.Matrix) -> sp.Expr:
    n, K = Z.shape
    total = 0
    for i in range(n):
        log_norm = sp.log(sum(sp.exp(Z[i, k]) for k in range(K)))
        total += sum(-Y[i, k] * (Z[i, k] - log_norm) for k in range(K))
    return total / n


def loss_expr(name: str, n: int, k: int = 1):
    """A loss written out for ``n`` samples, as a sympy expression.

    Returns ``(L, out, Y)``: the expression, the matrix of output symbols it is
    differentiated by (``(n, k)``) and the matrix of target symbols.

    ``name`` is ``"mse"`` (predictions), ``"bce_logits"`` (logits; ``k`` must be 1)
    or ``"softmax_ce"`` (logits; targets are one-hot rows).
    """
    check_option(name, ("mse", "bce_logits", "softmax_ce"), "loss")
    n, k = check_int(n, "n"), check_int(k, "k")
    out, Y = _matrix("o", n, k), _matrix("y", n, k)
    if name == "mse":
        L = sum((out[i, j] - Y[i, j]) ** 2 for i in range(n) for j in range(k)) / n
    elif name == "bce_logits":
        if k != 1:
            raise ValueError(f"bce_logits has one output per sample; got k={k}. Use k=1.")
        sig = [1 / (1 + sp.exp(-out[i, 0])) for i in range(n)]
        L = -sum(Y[i, 0] * sp.log(sig[i]) + (1 - Y[i, 0]) * sp.log(1 - sig[i])
                 for i in range(n)) / n
    else:
        L = _softmax_ce_rows(out, Y)
    return L, out, Y


def loss_gradient(name: str, n: int, k: int = 1):
    """Gradient of :func:`loss_expr` with respect to the outputs, and a NumPy version.

    Returns ``(grad, fn)``: a sympy ``Matrix`` of shape ``(n, k)``, each entry
    simplified, and ``fn(output, target) -> ndarray (n, k)`` made by lambdify.
    """
    L, out, Y = loss_expr(name, n, k)
    grad = out.applyfunc(lambda o: sp.simplify(sp.diff(L, o)))
    f = sp.lambdify([list(out), list(Y)], list(grad), "numpy")

    def fn(output, target):
        o = as_float_array(output, "output").reshape(n, k)
        t = as_float_array(target, "target").reshape(n, k)
        return np.asarray(f(o.ravel(), t.ravel()), dtype=np.float64).reshape(n, k)

    return grad, fn


@dataclass
class SymbolicMLP:
    """A small network written out in sympy: loss, parameters and their gradients.

    Attributes
    ----------
    loss : sympy.Expr
        Mean loss over the ``n_samples`` symbolic samples plus the L2 term.
    params : dict of str -> sympy.Matrix
        ``W1, b1, W2, b2, ...`` with ``W`` of shape (fan_in, fan_out), ``b`` (1, fan_out).
    grads : dict of str -> sympy.Matrix
        d loss / d parameter, same keys and shapes.
    X, Y : sympy.Matrix
        Input symbols (n, d) and target symbols (n, K) (one-hot for classification).
    """

    loss: sp.Expr
    params: dict
    grads: dict
    X: sp.Matrix
    Y: sp.Matrix
    _fn: object

    def gradients(self, X, Y, params) -> dict:
        """Evaluate every gradient numerically with the lambdified expressions.

        ``X`` has shape (n, d), ``Y`` shape (n, K), ``params`` NumPy arrays with
        the keys of :attr:`params` (``b`` may be 1D).
        """
        args = [as_float_array(X, "X").ravel(), as_float_array(Y, "Y").ravel()]
        args += [as_float_array(params[k], k).ravel() for k in self.params]
        flat = self._fn(*args)
        out, i = {}, 0
        for k, M in self.params.items():
            size = M.shape[0] * M.shape[1]
            shape = np.shape(params[k])
            out[k] = np.asarray(flat[i:i + size], dtype=np.float64).reshape(shape)
            i += size
        return out


def mlp_backward(layer_sizes, activation: str = "tanh", task: str = "classification",
                 n_samples: int = 2, l2: float = 0.0) -> SymbolicMLP:
    """Differentiate a small MLP's loss with sympy, weight by weight.

    The network is the one :class:`nnmath.MLP` builds: hidden layers
    ``A = f(A_prev @ W + b)``, a linear output layer, mean softmax cross-entropy
    (classification) or mean squared error summed over outputs (regression),
    plus ``(l2 / 2) * sum of squared weights``.
    """
    check_option(task, ("classification", "regression"), "task")
    sizes = [check_int(s, "layer size") for s in layer_sizes]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs an input and an output size, got {layer_sizes!r}.")
    f = sp.Lambda(z, activation_expr(activation))
    n = check_int(n_samples, "n_samples")
    X, Y = _matrix("x", n, sizes[0]), _matrix("t", n, sizes[-1])
    params, A = {}, X
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        W, b = _matrix(f"W{layer}", fan_in, fan_out), _matrix(f"b{layer}", 1, fan_out)
        params[f"W{layer}"], params[f"b{layer}"] = W, b
        Z = A * W + sp.ones(n, 1) * b
        A = Z if layer == len(sizes) - 1 else Z.applyfunc(f)
    if task == "classification":
        data_loss = _softmax_ce_rows(A, Y)
    else:
        data_loss = sum((A[i, j] - Y[i, j]) ** 2 for i in range(n) for j in range(sizes[-1])) / n
    penalty = sp.Rational(1, 2) * sp.nsimplify(l2) * sum(
        w ** 2 for k, M in params.items() if k.startswith("W") for w in M)
    loss = data_loss + penalty
    grads = {k: M.applyfunc(lambda s: sp.diff(loss, s)) for k, M in params.items()}
    symbols = [list(X), list(Y)] + [list(M) for M in params.values()]
    flat = [g for M in grads.values() for g in M]
    # Every argument is a scalar symbol, so plain-Python "math" evaluation fits; NumPy would
    # route Piecewise (ReLU) through np.select, which rejects scalar conditions.
    fn = sp.lambdify(symbols, flat, "math", cse=True)
    return SymbolicMLP(loss, params, grads, X, Y, fn)
