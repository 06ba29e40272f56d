"""nnmath.symbolic: the sympy referee, checked against independent hand computations."""

import numpy as np
import pytest
import sympy as sp

import nnmath as nm
from nnmath import symbolic
from tests.conftest import EPS, assert_close, assert_gradient_matches_fd


def test_activation_expressions_are_the_textbook_ones():
    z = symbolic.z
    assert sp.simplify(symbolic.activation_expr("sigmoid") - 1 / (1 + sp.exp(-z))) == 0
    _, dtanh = symbolic.activation_derivative("tanh")
    assert sp.simplify(dtanh - (1 - sp.tanh(z) ** 2)) == 0


def test_mse_gradient_symbolic_form():
    grad, fn = symbolic.loss_gradient("mse", 2, 1)
    o, y = sp.Symbol("o_00", real=True), sp.Symbol("y_00", real=True)
    assert sp.simplify(grad[0, 0] - (o - y)) == 0  # 2(o - y)/n with n = 2
    assert_close(fn([[3.0], [1.0]], [[1.0], [1.0]]), [[2.0], [0.0]], rtol=1e-15)


def _manual_two_layer_grads(X, Y, p):
    """A 1-hidden-layer tanh net's gradients written out independently of nnmath."""
    Z1 = X @ p["W1"] + p["b1"]
    A1 = np.tanh(Z1)
    Z2 = A1 @ p["W2"] + p["b2"]
    P = np.exp(Z2 - Z2.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    dZ2 = (P - Y) / X.shape[0]
    dZ1 = dZ2 @ p["W2"].T * (1 - A1 ** 2)
    return {"W1": X.T @ dZ1, "b1": dZ1.sum(0), "W2": A1.T @ dZ2, "b2": dZ2.sum(0)}


def test_mlp_backward_matches_hand_written_two_layer_network():
    rng = np.random.default_rng(3)
    net = symbolic.mlp_backward([2, 3, 2], "tanh", n_samples=2)
    X = rng.normal(size=(2, 2))
    Y = nm.one_hot([0, 1], 2)
    p = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=3),
         "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}
    got, ref = net.gradients(X, Y, p), _manual_two_layer_grads(X, Y, p)
    # P - Y and the sums over samples cancel: entries agree to ~EPS times terms of size ~1
    for k in ref:
        assert_close(got[k], ref[k], rtol=1e-12, atol=100 * EPS, what=k)


def test_mlp_backward_l2_and_regression_against_central_differences():
    rng = np.random.default_rng(4)
    net = symbolic.mlp_backward([2, 2, 1], "sigmoid", task="regression", n_samples=3, l2=0.1)
    X, Y = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    p = {"W1": rng.normal(size=(2, 2)), "b1": rng.normal(size=2),
         "W2": rng.normal(size=(2, 1)), "b2": rng.normal(size=1)}

    def loss(q):
        A1 = nm.sigmoid(X @ q["W1"] + q["b1"])
        out = A1 @ q["W2"] + q["b2"]
        return np.sum((out - Y) ** 2) / 3 + 0.05 * (np.sum(q["W1"] ** 2) + np.sum(q["W2"] ** 2))

    # the loss's terms are of size <= 10 here; smooth, |f'''| well below 100
    assert_gradient_matches_fd(loss, p, net.gradients(X, Y, p), f_scale=10.0, d3=100.0)


def test_messages():
    with pytest.raises(ValueError, match="Unknown activation 'gelu'"):
        symbolic.activation_expr("gelu")
    with pytest.raises(ValueError, match="bce_logits has one output per sample; got k=2"):
        symbolic.loss_expr("bce_logits", 2, 2)
    with pytest.raises(ValueError, match="layer_sizes needs an input and an output size"):
        symbolic.mlp_backward([3])
    with pytest.raises(ValueError, match="Unknown task 'ranking'"):
        symbolic.mlp_backward([2, 2], task="ranking")


@pytest.mark.parametrize("activation", ["identity", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_mlp_backward_every_activation_against_central_differences(activation):
    rng = np.random.default_rng(5)
    net = symbolic.mlp_backward([2, 3, 2], activation, n_samples=2)
    X, labels = rng.normal(size=(2, 2)), np.array([1, 0])
    p = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=3),
         "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}
    f, _ = nm.activations.get_activation(activation)

    def loss(q):
        return nm.softmax_cross_entropy(f(X @ q["W1"] + q["b1"]) @ q["W2"] + q["b2"], labels)[0]

    # an entry of a few 1e-4 carries central-difference round-off of about 1e-10: compare at
    # the bound EPS * (terms of size <= 10) / h rather than relatively (nm.gradcheck)
    assert_gradient_matches_fd(loss, p, net.gradients(X, nm.one_hot(labels, 2), p),
                               f_scale=10.0, d3=100.0)
