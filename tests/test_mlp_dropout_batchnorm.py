"""Dropout and batch normalisation in nnmath.layers and nnmath.MLP (chapter 7).

References: central differences (float64) for every gradient, including ``gamma{l}`` and
``beta{l}``, with the dropout masks held fixed; the defining statistics of each layer
(E[dropout(a)] = a, zero mean and unit variance after normalisation); running statistics
recomputed by a plain NumPy loop. PyTorch comparisons live in ``test_torch_reference.py``.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath import layers
from tests.conftest import EPS, fd_atol

ACTS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]


def _data(sizes, task, n=9, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0])) * 2 + 0.5
    y = rng.integers(0, sizes[-1], size=n) if task == "classification" else \
        rng.normal(size=(n, sizes[-1]))
    return X, y


def _model(sizes, act, task, seed=0, **kw):
    """A model at a generic point: biases, gamma and beta moved away from 0 and 1.

    Nonzero offsets keep ReLU inputs off the kink at 0, where one-sided differences disagree.
    """
    model = nm.MLP(sizes, activation=act, task=task, init="xavier", random_state=seed,
                   **kw).init_params()
    rng = np.random.default_rng(seed + 100)
    for k in model.params:
        if k[0] != "W":
            model.params[k] = model.params[k] + 0.2 * rng.normal(size=model.params[k].shape)
    return model


def _loss_at(model, X, y, **kw):
    def f(params):
        saved = model.params
        model.params = params
        try:
            return model.loss(X, y, **kw)
        finally:
            model.params = saved
    return f


def _assert_matches_central_differences(model, X, y, grads, loss, **kw):
    num = nm.numerical_gradient(_loss_at(model, X, y, **kw), model.params, h=1e-6)
    assert set(num) == set(grads)
    # the loss is ~1 and built from O(10) terms of that size: each evaluation has an absolute
    # round-off ~ eps * max(1, loss) * 10, divided by 2h; fd_atol adds a truncation term
    atol = fd_atol(10 * max(1.0, loss))
    for k in grads:
        assert grads[k].shape == model.params[k].shape
        np.testing.assert_allclose(grads[k], num[k], rtol=1e-6, atol=atol,
                                   err_msg=f"mine vs central differences for {k}")


# -- dropout --------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_mask_values_and_rate(p):
    D = layers.dropout_mask((400, 50), p, random_state=0)
    kept = D != 0
    np.testing.assert_array_equal(D[kept], 1.0 / (1.0 - p))  # the very same division
    # the fraction dropped is Binomial(N, p) / N: within 5 standard deviations
    N = D.size
    assert abs((N - kept.sum()) / N - p) <= 5 * np.sqrt(p * (1 - p) / N)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_preserves_the_expectation(p):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 4))
    n_masks = 20000
    total = np.zeros_like(a)
    for _ in range(n_masks):
        out, D = layers.dropout(a, p, rng)
        np.testing.assert_array_equal(out, a * D)
        total += out
    mean = total / n_masks
    # each entry of dropout(a) is a * D with Var(D) = p / (1 - p): the mean over n masks has
    # standard deviation |a| sqrt(p / ((1 - p) n)); 5 of them bound it on any seed in practice
    sd = np.abs(a) * np.sqrt(p / ((1 - p) * n_masks))
    assert np.all(np.abs(mean - a) <= 5 * sd + 1e-12), np.max(np.abs(mean - a) / sd)


@pytest.mark.parametrize("sizes", [[3, 5, 2], [4, 6, 5, 3]])
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("p", [0.3, 0.7])
def test_dropout_gradients_with_a_fixed_mask_match_central_differences(sizes, act, task, p):
    X, y = _data(sizes, task, seed=len(sizes))
    model = _model(sizes, act, task, seed=2, dropout=p, l2=0.05)
    loss, grads = model.loss_and_grads(X, y, rng=11)  # masks from the seed 11 ...
    # ... and the loss of the same masked network at nearby parameters: the same seed
    np.testing.assert_allclose(loss, model.loss(X, y, training=True, rng=11), rtol=1e-14)
    _assert_matches_central_differences(model, X, y, grads, loss, training=True, rng=11)


def test_dropout_masks_are_in_the_cache_and_fed_forward():
    X, _ = _data([3, 6, 5, 2], "classification")
    model = _model([3, 6, 5, 2], "tanh", "classification", dropout=0.5)
    out, cache = model.forward(X, return_cache=True, training=True, rng=3)
    P = model.params
    for l in (1, 2):
        assert set(np.unique(cache[f"D{l}"])) <= {0.0, 2.0}
    A1 = np.tanh(X @ P["W1"] + P["b1"]) * cache["D1"]
    A2 = np.tanh(A1 @ P["W2"] + P["b2"]) * cache["D2"]
    np.testing.assert_allclose(out, A2 @ P["W3"] + P["b3"], rtol=1e-12, atol=1e-15)
    # the same seed draws the same masks; evaluation mode draws none
    np.testing.assert_array_equal(model.forward(X, training=True, rng=3), out)
    assert "D1" not in model.forward(X, return_cache=True)[1]


def test_forward_and_predict_are_deterministic_without_dropout():
    X, y = nm.data.make_moons(120, noise=0.2, random_state=0)
    model = nm.MLP([2, 16, 16, 2], dropout=0.5, epochs=5, random_state=0).fit(X, y)
    P = model.params
    relu = lambda z: np.maximum(z, 0.0)  # noqa: E731
    expected = relu(relu(X @ P["W1"] + P["b1"]) @ P["W2"] + P["b2"]) @ P["W3"] + P["b3"]
    for _ in range(2):  # no masks and no 1/(1-p) scaling at prediction time
        np.testing.assert_allclose(model.forward(X), expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(model.predict(X), expected.argmax(axis=1))
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))
    np.testing.assert_allclose(model.loss(X, y), model.loss_and_grads(X, y, training=False)[0],
                               rtol=1e-14)


def test_dropout_zero_is_the_plain_network():
    X, y = nm.data.make_moons(100, random_state=1)
    plain = nm.MLP([2, 8, 8, 2], epochs=6, batch_size=16, random_state=3).fit(X, y)
    zero = nm.MLP([2, 8, 8, 2], epochs=6, batch_size=16, random_state=3, dropout=0.0).fit(X, y)
    # p = 0 draws no masks, so the shuffling stream and every update are bit for bit the same
    for k in plain.params:
        np.testing.assert_array_equal(zero.params[k], plain.params[k])
    assert zero.loss_history_ == plain.loss_history_
    dropped = nm.MLP([2, 8, 8, 2], epochs=6, batch_size=16, random_state=3, dropout=0.3).fit(X, y)
    assert not np.allclose(dropped.params["W1"], plain.params["W1"])
    again = nm.MLP([2, 8, 8, 2], epochs=6, batch_size=16, random_state=3, dropout=0.3).fit(X, y)
    for k in dropped.params:  # the masks come from random_state: reproducible
        np.testing.assert_array_equal(again.params[k], dropped.params[k])


def test_dropout_training_loss_and_a_step_by_hand():
    X, y = _data([3, 6, 2], "classification", n=12)
    model = nm.MLP([3, 6, 2], optimizer="sgd", lr=0.1, epochs=1, batch_size=None, dropout=0.5,
                   random_state=0).init_params()
    before = {k: v.copy() for k, v in model.params.items()}
    import copy
    rng = copy.deepcopy(model._rng)  # fit draws the full-batch masks from this stream
    loss, grads = model.loss_and_grads(X, y, rng=rng)
    model.fit(X, y)
    np.testing.assert_allclose(model.loss_history_[0], loss, rtol=1e-14)
    for k in before:
        np.testing.assert_allclose(model.params[k], before[k] - 0.1 * grads[k], rtol=1e-13,
                                   atol=1e-16)


# -- batch normalisation: the layer ----------------------------------------------------------
@pytest.mark.parametrize(("m", "h", "seed"), [(2, 3, 0), (7, 4, 1), (64, 5, 2)])
def test_batch_norm_output_statistics(m, h, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(loc=rng.normal(size=h) * 10, scale=rng.uniform(0.01, 100, size=h), size=(m, h))
    out, cache = layers.batch_norm_forward(Z, np.ones(h), np.zeros(h))
    var = Z.var(axis=0)  # biased, as used for the normalisation
    # mean 0 up to round-off of a sum of m terms of size ~1; variance var / (var + eps)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=10 * m * EPS)
    np.testing.assert_allclose(out.var(axis=0), var / (var + layers.BN_EPS), rtol=100 * m * EPS)
    np.testing.assert_allclose(cache["mean"], Z.mean(axis=0), rtol=1e-13, atol=1e-13)
    gamma, beta = rng.normal(size=h), rng.normal(size=h)
    out2, _ = layers.batch_norm_forward(Z, gamma, beta)
    np.testing.assert_allclose(out2, gamma * out + beta, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(("m", "h", "seed"), [(2, 2, 0), (5, 3, 1), (16, 4, 2)])
def test_batch_norm_backward_matches_central_differences(m, h, seed):
    rng = np.random.default_rng(seed)
    Z, G = rng.normal(size=(m, h)) * 3, rng.normal(size=(m, h))
    gamma, beta = rng.normal(size=h), rng.normal(size=h)
    _, cache = layers.batch_norm_forward(Z, gamma, beta)
    dZ, dgamma, dbeta = layers.batch_norm_backward(G, cache)

    def f(p):  # the scalar sum(G * out): its gradient is the backward pass of G
        return float(np.sum(G * layers.batch_norm_forward(p["Z"], p["gamma"], p["beta"])[0]))

    num = nm.numerical_gradient(f, {"Z": Z, "gamma": gamma, "beta": beta}, h=1e-6)
    atol = fd_atol(np.abs(G).sum() * (np.abs(gamma).max() + np.abs(beta).max() + 1))
    for mine, ref, name in ((dZ, num["Z"], "dZ"), (dgamma, num["gamma"], "dgamma"),
                            (dbeta, num["beta"], "dbeta")):
        np.testing.assert_allclose(mine, ref, rtol=1e-6, atol=atol, err_msg=name)
    # every column of dZ sums to 0: shifting a feature of the whole batch changes nothing (up
    # to the round-off of the terms of the formula, of size |G gamma / sigma|)
    terms = np.abs(G * gamma / cache["sigma"]).max()
    np.testing.assert_allclose(dZ.sum(axis=0), 0.0, atol=100 * m * EPS * terms)


def test_running_stats_update_and_eval_formula():
    rng = np.random.default_rng(0)
    mean, var = np.zeros(3), np.ones(3)
    ref_mean, ref_var = np.zeros(3), np.ones(3)
    for _ in range(5):
        Z = rng.normal(size=(6, 3)) * 2 + 1
        _, cache = layers.batch_norm_forward(Z, np.ones(3), np.zeros(3))
        layers.update_running_stats(mean, var, cache, 6)
        ref_mean = 0.9 * ref_mean + 0.1 * Z.mean(axis=0)
        ref_var = 0.9 * ref_var + 0.1 * Z.var(axis=0, ddof=1)  # unbiased, as PyTorch
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-13)
    np.testing.assert_allclose(var, ref_var, rtol=1e-13)
    Z = rng.normal(size=(4, 3))
    np.testing.assert_allclose(layers.batch_norm_eval(Z, 2 * np.ones(3), np.ones(3), mean, var),
                               2 * (Z - mean) / np.sqrt(var + 1e-5) + 1, rtol=1e-13)


# -- batch normalisation in the MLP -----------------------------------------------------------
def test_batch_norm_parameters():
    model = nm.MLP([3, 5, 4, 2], batch_norm=True, random_state=0).init_params()
    assert set(model.params) == {"W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2",
                                 "W3", "b3"}
    np.testing.assert_array_equal(model.params["gamma2"], np.ones(4))
    np.testing.assert_array_equal(model.params["beta1"], np.zeros(5))
    np.testing.assert_array_equal(model.running_stats_["mean1"], np.zeros(5))
    np.testing.assert_array_equal(model.running_stats_["var2"], np.ones(4))
    assert set(nm.MLP([3, 2], batch_norm=True).init_params().params) == {"W1", "b1"}
    plain = nm.MLP([3, 5, 4, 2], random_state=0).init_params()  # same weights without BN
    np.testing.assert_array_equal(plain.params["W2"], model.params["W2"])


@pytest.mark.parametrize("sizes", [[3, 5, 2], [2, 4, 5, 3], [4, 3, 4, 3, 2]])
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_batch_norm_gradients_match_central_differences(sizes, act, task):
    X, y = _data(sizes, task, seed=len(sizes))
    model = _model(sizes, act, task, seed=1, batch_norm=True, l2=0.1)
    loss, grads = model.loss_and_grads(X, y)  # training mode: batch statistics
    np.testing.assert_allclose(loss, model.loss(X, y, training=True), rtol=1e-14)
    _assert_matches_central_differences(model, X, y, grads, loss, training=True)
    for l in range(1, len(sizes) - 1):  # Zl - mu cancels any shift: the bias has no effect
        np.testing.assert_array_equal(grads[f"b{l}"], 0.0)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_batch_norm_with_dropout_gradients(act):
    X, y = _data([3, 6, 5, 2], "classification", n=11)
    model = _model([3, 6, 5, 2], act, "classification", seed=4, batch_norm=True, dropout=0.4)
    loss, grads = model.loss_and_grads(X, y, rng=5)
    _assert_matches_central_differences(model, X, y, grads, loss, training=True, rng=5)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_batch_norm_eval_mode_gradients(task):
    X, y = _data([3, 5, 4, 2], task)
    model = _model([3, 5, 4, 2], "tanh", task, seed=3, batch_norm=True)
    model.running_stats_ = {"mean1": np.full(5, 0.3), "var1": np.full(5, 2.0),
                            "mean2": np.full(4, -0.1), "var2": np.full(4, 0.5)}
    loss, grads = model.loss_and_grads(X, y, training=False)
    np.testing.assert_allclose(loss, model.loss(X, y), rtol=1e-14)
    _assert_matches_central_differences(model, X, y, grads, loss)


def test_batch_norm_running_stats_follow_a_plain_loop_and_predict_uses_them():
    X, y = nm.data.make_blobs(40, centers=3, random_state=0)
    kw = dict(activation="tanh", optimizer="sgd", lr=0.1, batch_size=None, batch_norm=True,
              random_state=0)
    model = nm.MLP([2, 6, 3], epochs=5, **kw).fit(X, y)
    # the same 5 full-batch steps by hand: loss_and_grads, SGD, and the running averages
    # recomputed from Z1 with NumPy (mean, unbiased variance), momentum 0.1
    ref = nm.MLP([2, 6, 3], epochs=0, **kw).init_params()
    mean, var = np.zeros(6), np.ones(6)
    for _ in range(5):
        Z1 = X @ ref.params["W1"] + ref.params["b1"]
        mean = 0.9 * mean + 0.1 * Z1.mean(axis=0)
        var = 0.9 * var + 0.1 * Z1.var(axis=0, ddof=1)
        _, grads = ref.loss_and_grads(X, y)
        for k in ref.params:
            ref.params[k] -= 0.1 * grads[k]
    np.testing.assert_allclose(model.running_stats_["mean1"], mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.running_stats_["var1"], var, rtol=1e-12)
    for k in ref.params:
        np.testing.assert_allclose(model.params[k], ref.params[k], rtol=1e-12, atol=1e-14)
    # prediction: the running statistics, one row at a time gives the same as the batch
    P = model.params
    Zhat = (X @ P["W1"] + P["b1"] - mean) / np.sqrt(var + 1e-5)
    expected = np.tanh(P["gamma1"] * Zhat + P["beta1"]) @ P["W2"] + P["b2"]
    np.testing.assert_allclose(model.forward(X), expected, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(model.forward(X[:1]), expected[:1], rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(model.predict(X), expected.argmax(axis=1))
    # the training-mode output (batch statistics) is another function
    assert not np.allclose(model.forward(X, training=True), expected)


def test_batch_norm_trains_and_validation_uses_eval_mode():
    X, y = nm.data.make_moons(200, noise=0.1, random_state=0)
    model = nm.MLP([2, 16, 16, 2], batch_norm=True, lr=0.01, epochs=40, batch_size=32,
                   random_state=0)
    model.fit(X, y, validation_data=(X[:50], y[:50]))
    assert model.score(X, y) >= 0.95
    np.testing.assert_allclose(model.val_loss_history_[-1], model.loss(X[:50], y[:50]),
                               rtol=1e-12)


def test_batch_norm_needs_two_samples_per_batch():
    X, y = nm.data.make_blobs(33, random_state=0)
    with pytest.raises(ValueError, match="leave a batch of 1. Choose another batch_size"):
        nm.MLP([2, 4, 2], batch_norm=True, batch_size=32).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 samples"):
        nm.MLP([2, 4, 2], batch_norm=True, batch_size=1).fit(X, y)
    model = nm.MLP([2, 4, 2], batch_norm=True, batch_size=11, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="needs at least 2 samples per batch"):
        model.loss_and_grads(X[:1], y[:1])
    assert model.predict(X[:1]).shape == (1,)  # evaluation mode: fine for one row
    with pytest.raises(ValueError, match="needs at least 2 samples"):
        layers.batch_norm_forward(np.zeros((1, 3)), np.ones(3), np.zeros(3))


def test_l2_does_not_penalise_gamma_or_beta():
    X, y = _data([3, 5, 2], "classification")
    model = _model([3, 5, 2], "tanh", "classification", batch_norm=True, l2=0.3)
    plain = _model([3, 5, 2], "tanh", "classification", batch_norm=True)
    penalty = 0.15 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2"))
    np.testing.assert_allclose(model.loss(X, y), plain.loss(X, y) + penalty, rtol=1e-13)


# -- input checks ---------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"dropout": 1.0}, ValueError, r"dropout must be in \[0, 1\), got 1.0"),
    ({"dropout": -0.1}, ValueError, r"dropout must be in \[0, 1\)"),
    ({"dropout": "half"}, TypeError, "dropout must be a number"),
    ({"batch_norm": "yes"}, TypeError, "batch_norm must be True or False"),
])
def test_bad_options(kwargs, exc, match):
    X, y = nm.data.make_blobs(10, random_state=0)
    with pytest.raises(exc, match=match):
        nm.MLP([2, 3, 2], **kwargs).fit(X, y)


def test_params_that_do_not_match_the_settings():
    X, y = nm.data.make_blobs(10, random_state=0)
    model = nm.MLP([2, 3, 2], random_state=0).init_params()
    model.batch_norm = True
    with pytest.raises(ValueError, match=r"needs \['W1', 'W2', 'b1', 'b2', 'beta1', 'gamma1'\]"
                                         ".*Call init_params"):
        model.loss_and_grads(X, y)
    with pytest.raises(ValueError, match="Call init_params"):
        model.fit(X, y)
    model.init_params()
    assert "gamma1" in model.params


def test_layer_function_messages():
    with pytest.raises(ValueError, match=r"gamma has shape \(2,\) but Z has 3 features"):
        layers.batch_norm_forward(np.zeros((4, 3)), np.ones(2), np.zeros(3))
    _, cache = layers.batch_norm_forward(np.eye(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3\) but the forward pass"):
        layers.batch_norm_backward(np.zeros((2, 3)), cache)
    with pytest.raises(TypeError, match="cache must be the dict returned by batch_norm_forward"):
        layers.batch_norm_backward(np.zeros((3, 3)), None)
    with pytest.raises(TypeError, match="running_mean must be a float NumPy array"):
        layers.update_running_stats([0.0] * 3, np.ones(3), cache, 3)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        layers.dropout(np.ones(3), 1.5)
