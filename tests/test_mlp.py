"""Tests of nnmath.mlp.MLP: gradients against central differences and sympy, training, checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath import activations as act
from nnmath import symbolic
from nnmath.mlp import _KERNELS
from tests.conftest import EPS, assert_gradient_matches_fd, examples, fd_atol

ACTS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]


def _data(layer_sizes, task, n=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, layer_sizes[0]))
    if task == "classification":
        y = rng.integers(0, layer_sizes[-1], size=n)
    else:
        y = rng.normal(size=(n, layer_sizes[-1]))
    return X, y


def _model(layer_sizes, act_name, task, seed=0, **kw):
    model = nm.MLP(layer_sizes, activation=act_name, task=task, init="xavier",
                   random_state=seed, **kw).init_params()
    # nonzero biases: with zero ones a ReLU pre-activation can sit exactly on the kink at 0,
    # where one-sided differences disagree and a finite-difference check fails legitimately
    rng = np.random.default_rng(seed + 100)
    for k in model.params:
        if k.startswith("b"):
            model.params[k] = 0.1 * rng.normal(size=model.params[k].shape)
    return model


def _fd_scale(model, X, y, loss):
    """Size of the terms behind the loss: its round-off is ~EPS times this (see fd_atol)."""
    out = model.forward(X)
    return out.size * (1.0 + abs(loss) + np.abs(out).max())


def _loss_at(model, X, y):
    def f(params):
        saved = model.params
        model.params = params
        try:
            return model.loss(X, y)
        finally:
            model.params = saved
    return f


# -- the kernels used in the training loop agree with nnmath.activations ---------------------
@pytest.mark.parametrize("name", ACTS)
def test_kernels_match_activations(name):
    z = np.linspace(-30, 30, 603).reshape(3, -1)
    f, f_grad = _KERNELS[name]
    ref_f, ref_grad = act.ACTIVATIONS[name]
    # the same operations in the same order on |z| <= 30 (no exp floor reached): equal to the
    # last bit, so 1e-15 (~5 EPS) only allows for a libm that differs between two calls
    np.testing.assert_allclose(f(z), ref_f(z), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(f_grad(z, f(z)), ref_grad(z), rtol=1e-12, atol=1e-15)


# -- gradients against central differences ----------------------------------------------------
ARCHS = [[3, 2], [3, 4, 2], [2, 5, 3, 3], [4, 3, 4, 3, 2]]  # depths 1-4


@pytest.mark.parametrize("layer_sizes", ARCHS)
@pytest.mark.parametrize("act_name", ACTS)
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_gradients_match_central_differences(layer_sizes, act_name, task):
    X, y = _data(layer_sizes, task, seed=len(layer_sizes))
    model = _model(layer_sizes, act_name, task, seed=1, l2=0.1)
    loss, grads = model.loss_and_grads(X, y)
    assert set(grads) == set(model.params)
    for k in grads:
        assert grads[k].shape == model.params[k].shape
    # central differences are accurate to EPS * (size of the loss's terms) / h absolute: a
    # relative test alone would flag the tiny gradients of deep sigmoid nets (the vanishing
    # gradients of the chapter). Third derivatives of these small nets are far below 100.
    num = nm.numerical_gradient(_loss_at(model, X, y), model.params, h=1e-6)
    atol = fd_atol(_fd_scale(model, X, y, loss), d3=100.0)
    for k in grads:
        np.testing.assert_allclose(grads[k], num[k], rtol=1e-6, atol=atol,
                                   err_msg=f"mine vs central differences for {k}")
    # the same forward pass and loss code on both sides (the loss includes l2 > 0, not near 0)
    np.testing.assert_allclose(loss, model.loss(X, y), rtol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l1_gradient_away_from_zero(seed):
    X, y = _data([3, 4, 3], "classification", seed=seed)
    model = _model([3, 4, 3], "tanh", "classification", seed=seed, l1=0.05, l2=0.02)
    loss, grads = model.loss_and_grads(X, y)
    assert min(np.abs(model.params[k]).min() for k in ("W1", "W2")) > 1e-4  # no kink nearby
    assert_gradient_matches_fd(_loss_at(model, X, y), model.params, grads,
                               f_scale=_fd_scale(model, X, y, loss), h=1e-7, d3=100.0)
    plain = nm.MLP([3, 4, 3], activation="tanh")
    plain.params = model.params
    penalty = 0.05 * sum(np.abs(model.params[k]).sum() for k in ("W1", "W2")) + \
        0.01 * sum((model.params[k] ** 2).sum() for k in ("W1", "W2"))
    np.testing.assert_allclose(loss, plain.loss(X, y) + penalty, rtol=1e-13)


# -- gradients against sympy ------------------------------------------------------------------
SYMPY_CASES = [([2, 2], "tanh", "classification", 0.0),
               ([2, 3, 2], "sigmoid", "classification", 0.1),
               ([2, 2, 2], "relu", "regression", 0.0),
               ([2, 2, 1], "tanh", "regression", 0.3),
               ([2, 2, 2], "leaky_relu", "classification", 0.05),
               ([2, 2, 2, 2], "tanh", "classification", 0.0),
               ([3, 2, 2], "identity", "regression", 0.0)]


@pytest.mark.parametrize(("layer_sizes", "act_name", "task", "l2"), SYMPY_CASES)
def test_gradients_match_sympy(layer_sizes, act_name, task, l2):
    n = 3
    sym = symbolic.mlp_backward(layer_sizes, act_name, task, n_samples=n, l2=l2)
    X, y = _data(layer_sizes, task, n=n, seed=7)
    model = _model(layer_sizes, act_name, task, seed=3, l2=l2)
    Y = nm.one_hot(y, layer_sizes[-1]) if task == "classification" else y
    ref = sym.gradients(X, Y, model.params)
    _, grads = model.loss_and_grads(X, y)
    # sympy's lambdified expressions sum and cancel terms in another order: entries agree to
    # ~EPS times the size of those terms (~10 here) absolute, 2e-15; atol 1e-13 is 45x that
    for k in model.params:
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-10, atol=1e-13,
                                   err_msg=f"mine vs sympy for {k}")


# -- hypothesis over shapes -------------------------------------------------------------------
@settings(max_examples=examples(25), deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       n=st.integers(1, 6), seed=st.integers(0, 2 ** 16),
       task=st.sampled_from(["classification", "regression"]),
       act_name=st.sampled_from(["tanh", "sigmoid"]))
def test_shapes_and_gradients_any_architecture(sizes, n, seed, task, act_name):
    X, y = _data(sizes, task, n=n, seed=seed)
    model = _model(sizes, act_name, task, seed=seed)
    out, cache = model.forward(X, return_cache=True)
    assert out.shape == (n, sizes[-1])
    for l in range(1, len(sizes)):
        assert cache[f"Z{l}"].shape == cache[f"A{l}"].shape == (n, sizes[l])
    loss, grads = model.loss_and_grads(X, y)
    assert np.isfinite(loss)
    # round-off in central differences is EPS * (size of the loss's terms) / h: an absolute
    # floor for the tiny gradients behind a width-1 bottleneck, relative agreement elsewhere
    num = nm.numerical_gradient(_loss_at(model, X, y), model.params, h=1e-6)
    atol = fd_atol(_fd_scale(model, X, y, loss), d3=100.0)
    for k in grads:
        np.testing.assert_allclose(grads[k], num[k], rtol=1e-6, atol=atol,
                                   err_msg=f"mine vs central differences for {k}")


def test_forward_matches_explicit_formula():
    X, _ = _data([3, 4, 2], "classification")
    model = _model([3, 4, 2], "tanh", "classification")
    p = model.params
    H = np.tanh(X @ p["W1"] + p["b1"])
    expected = H @ p["W2"] + p["b2"]
    # a sum of 4 + 1 products per entry, which can cancel: ~EPS times the terms, absolute
    atol = 10 * 5 * EPS * (np.abs(H) @ np.abs(p["W2"]) + np.abs(p["b2"])).max()
    np.testing.assert_allclose(model.forward(X), expected, rtol=1e-14, atol=atol)
    # softmax and the loss move by ~2 atol (relative) when the logits move by atol
    np.testing.assert_allclose(model.predict_proba(X), nm.softmax(expected), rtol=1e-13)
    loss, _ = nm.softmax_cross_entropy(expected, [0, 1, 0, 1, 1])
    np.testing.assert_allclose(model.loss(X, [0, 1, 0, 1, 1]), loss, rtol=1e-13)


# -- training ---------------------------------------------------------------------------------
def test_xor_solved():
    X, y = nm.data.xor_truth_table()
    model = nm.MLP([2, 4, 2], activation="tanh", lr=0.05, epochs=300, batch_size=None,
                   random_state=0).fit(X, y)
    assert model.score(X, y) == 1.0
    assert model.loss_history_[-1] < 0.05


def test_no_hidden_layer_cannot_solve_xor():
    X, y = nm.data.xor_truth_table()
    model = nm.MLP([2, 2], lr=0.05, epochs=300, batch_size=None, random_state=0).fit(X, y)
    assert model.score(X, y) <= 0.75
    np.testing.assert_allclose(model.loss_history_[-1], np.log(2), rtol=1e-3)


def test_deterministic_with_random_state():
    X, y = nm.data.make_moons(80, random_state=0)
    a = nm.MLP([2, 8, 2], epochs=5, batch_size=16, random_state=3).fit(X, y)
    b = nm.MLP([2, 8, 2], epochs=5, batch_size=16, random_state=3).fit(X, y)
    c = nm.MLP([2, 8, 2], epochs=5, batch_size=16, random_state=4).fit(X, y)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.allclose(a.params["W1"], c.params["W1"])
    assert a.loss_history_ == b.loss_history_


def test_histories_and_partial_fit():
    X, y = nm.data.make_circles(60, random_state=1)
    model = nm.MLP([2, 6, 2], epochs=4, batch_size=20, random_state=0)
    model.fit(X, y, validation_data=(X[:10], y[:10]))
    assert len(model.loss_history_) == len(model.val_loss_history_) == model.n_iter_ == 4
    assert model.t_ == 4 * 3
    model.partial_fit(X, y, epochs=2)
    assert model.n_iter_ == 6 and len(model.loss_history_) == 6
    # the last validation loss is the model's loss on the validation data at that time
    other = nm.MLP([2, 6, 2], epochs=4, batch_size=20, random_state=0)
    other.fit(X, y, validation_data=(X[:10], y[:10]))
    np.testing.assert_allclose(other.val_loss_history_[-1], other.loss(X[:10], y[:10]),
                               rtol=1e-12)


def test_one_sgd_step_by_hand():
    X, y = _data([3, 4, 2], "classification", n=6)
    model = nm.MLP([3, 4, 2], optimizer="sgd", lr=0.1, epochs=1, batch_size=None,
                   random_state=0).init_params()
    before = {k: v.copy() for k, v in model.params.items()}
    _, grads = model.loss_and_grads(X, y)
    model.fit(X, y)
    for k in before:
        # W - 0.1 g can cancel: its rounding error is EPS * (|W| + 0.1 |g|), absolute
        np.testing.assert_allclose(model.params[k], before[k] - 0.1 * grads[k], rtol=1e-13,
                                   atol=10 * EPS * (np.abs(before[k]).max()
                                                    + 0.1 * np.abs(grads[k]).max()))


def test_regression_fits_a_smooth_function_and_score_matches_sklearn():
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(128, 1))
    y = np.sin(X[:, 0])
    model = nm.MLP([1, 16, 1], activation="tanh", task="regression", lr=0.02, epochs=150,
                   random_state=0).fit(X, y)
    assert model.predict(X).shape == (128,)
    score = model.score(X, y)
    np.testing.assert_allclose(score, r2_score(y, model.predict(X)), rtol=1e-12)
    assert score > 0.99
    Y2 = np.column_stack([y, 2 * y])
    m2 = nm.MLP([1, 8, 2], task="regression", epochs=3, random_state=0).fit(X, Y2)
    # R^2 = 1 - SS_res / SS_tot can be near 0 (-0.22 here): the error is absolute, ~EPS times
    # 1 + |SS_res / SS_tot|
    r2 = r2_score(Y2, m2.predict(X))
    np.testing.assert_allclose(m2.score(X, Y2), r2, rtol=1e-12, atol=1e-13 * (2 + abs(r2)))


def test_digits_quick():
    X, y, _ = nm.data.load_dataset("digits")
    Xtr, Xte, ytr, yte = nm.data.train_test_split(X / 16.0, y, test_size=0.25, stratify=True,
                                                  random_state=0)
    model = nm.MLP([64, 64, 10], lr=1e-3, epochs=30, batch_size=32, random_state=0)
    model.fit(Xtr, ytr)
    assert model.score(Xte, yte) >= 0.95


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_every_optimizer_lowers_the_loss(name):
    X, y = nm.data.make_blobs(100, centers=3, random_state=0)
    model = nm.MLP([2, 8, 3], optimizer=name, lr=0.01, epochs=10, random_state=0).fit(X, y)
    assert model.loss_history_[-1] < model.loss_history_[0]


def test_optimizer_instance_and_callable_init():
    X, y = nm.data.make_blobs(50, random_state=0)
    opt = nm.Momentum(lr=0.05, beta=0.5)
    model = nm.MLP([2, 3, 2], optimizer=opt, init=lambda i, o, rng: np.full((i, o), 0.1),
                   epochs=2, random_state=0).init_params()
    np.testing.assert_array_equal(model.params["W1"], np.full((2, 3), 0.1))
    model.fit(X, y)
    assert model.optimizer_ is opt and opt.t == model.t_


@pytest.mark.parametrize("init", ["he", "xavier", "normal", "uniform", "zeros"])
def test_named_initialisers(init):
    model = nm.MLP([5, 7, 3], init=init, random_state=0).init_params()
    assert model.params["W1"].shape == (5, 7) and model.params["b2"].shape == (3,)
    np.testing.assert_array_equal(model.params["b1"], 0.0)


# -- errors -----------------------------------------------------------------------------------
def test_divergence_raises_training_diverged():
    X, y = nm.data.make_blobs(64, random_state=0)
    model = nm.MLP([2, 16, 2], optimizer="sgd", lr=1e6, epochs=50, random_state=0,
                   task="classification")
    with pytest.raises(nm.TrainingDiverged, match=r"step \d+.*smaller learning rate"):
        model.fit(X * 100, y)


def test_regression_divergence():
    X = np.linspace(-50, 50, 40).reshape(-1, 1)
    model = nm.MLP([1, 8, 1], task="regression", optimizer="sgd", lr=10.0, epochs=50,
                   random_state=0)
    with pytest.raises(nm.TrainingDiverged, match="diverged at step"):
        model.fit(X, X[:, 0] ** 2)


def test_predict_before_fit():
    model = nm.MLP([2, 3, 2])
    assert model.params is None
    for method in (model.predict, model.predict_proba, model.forward):
        with pytest.raises(nm.NotFittedError, match="no parameters yet"):
            method(np.zeros((1, 2)))


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"layer_sizes": []}, ValueError, "at least an input and an output"),
    ({"layer_sizes": [3]}, ValueError, "at least an input and an output"),
    ({"layer_sizes": [2, 0, 2]}, ValueError, "at least 1 unit"),
    ({"layer_sizes": [2, 2.5, 2]}, TypeError, "must hold integers"),
    ({"layer_sizes": "2-3-2"}, TypeError, "list of ints"),
    ({"activation": "swish"}, ValueError, "Unknown activation 'swish'"),
    ({"task": "ranking"}, ValueError, "Unknown task 'ranking'"),
    ({"optimizer": "adagrad"}, ValueError, "Unknown optimizer 'adagrad'"),
    ({"init": "orthogonal"}, ValueError, "Unknown init 'orthogonal'"),
    ({"lr": -1.0}, ValueError, "lr must be a finite number > 0"),
    ({"l2": -0.1}, ValueError, "l2 must be a finite number >= 0"),
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
    ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
])
def test_bad_hyperparameters(kwargs, exc, match):
    kw = {"layer_sizes": [2, 3, 2], **kwargs}
    X, y = nm.data.make_blobs(10, random_state=0)
    model = nm.MLP(**kw)  # __init__ only stores
    with pytest.raises(exc, match=match):
        model.fit(X, y)


@pytest.mark.parametrize(("X", "y", "exc", "match"), [
    (np.zeros((4, 3)), [0, 1, 0, 1], ValueError, "X has 3 features but this MLP expects 2"),
    (np.zeros(4), [0, 1, 0, 1], ValueError, "Expected 2D array for X"),
    (np.zeros((4, 2)), [0, 1, 2, 1], ValueError, "holds label 2 but the model has 2 classes"),
    (np.zeros((4, 2)), [0, -1, 0, 1], ValueError, "negative label"),
    (np.zeros((4, 2)), [0, 0.5, 0, 1], ValueError, "integer class labels"),
    (np.zeros((4, 2)), [0, 1, 0], ValueError, "different numbers of samples"),
    (np.array([[0.0, np.nan]] * 4), [0, 1, 0, 1], ValueError, "NaN or infinite"),
    (np.zeros((4, 2)), [0, 1, np.nan, 1], ValueError, "NaN or infinite"),
    ("data", [0, 1], TypeError, "array of numbers"),
])
def test_bad_data(X, y, exc, match):
    with pytest.raises(exc, match=match):
        nm.MLP([2, 3, 2]).fit(X, y)


def test_bad_regression_targets_and_validation_data():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="2 target column"):
        nm.MLP([2, 3, 1], task="regression").fit(X, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="only defined for task='classification'"):
        nm.MLP([2, 3, 1], task="regression", epochs=1).fit(X, np.zeros(4)).predict_proba(X)
    with pytest.raises(TypeError, match="pair"):
        nm.MLP([2, 3, 2]).fit(X, [0, 1, 0, 1], validation_data=X)
    with pytest.raises(ValueError, match="init returned weights of shape"):
        nm.MLP([2, 3, 2], init=lambda i, o, rng: np.zeros((o, i))).init_params()
