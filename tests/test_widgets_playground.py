"""Tests of the chapter 6 MLP playground (nnmath.widgets.playground), driven from code."""

import numpy as np
import pytest

import nnmath as nm
import nnmath.widgets
from nnmath.widgets import _problems as problems
from nnmath.widgets.playground import MLPPlayground

EPS = np.finfo(float).eps


@pytest.fixture(scope="module")
def pg():
    return nm.widgets.mlp_playground()


def test_returns_demo_with_all_controls(pg):
    assert isinstance(pg, nm.widgets.Demo) and isinstance(pg, MLPPlayground)
    assert set(pg.controls) == {
        "dataset", "noise", "train_ratio", "batch_size", "seed", "features", "hidden_layers",
        "units", "activation", "lr", "optimizer", "regularization", "reg_rate", "dropout",
        "batch_norm", "show", "backprop_from", "show_test", "discretize", "epochs"}
    assert tuple(pg.controls["dataset"].options) == problems.PROBLEMS
    assert set(problems.CLASSIFICATION) == {"circles", "xor", "gaussians", "spiral", "moons"}
    assert set(problems.REGRESSION) == {"plane", "gaussian mixture"}
    assert pg.controls["hidden_layers"].max == 6 and pg.controls["units"].max == 8
    assert pg.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert pg.message.value == ""
    assert "epoch 60" in pg.readout.value


def test_default_learns_circles(pg):
    pg.set(dataset="circles", hidden_layers=2, activation="tanh", epochs=60)
    assert pg.result["epochs"] == 60
    assert pg.result["test_acc"] >= 0.9


def test_epoch_slider_reuses_the_run_and_matches_a_fresh_fit(pg):
    pg.set(dataset="moons", epochs=30, batch_size=20, optimizer="adam", lr=0.03,
           regularization="L2", reg_rate=0.001, hidden_layers=1, units=4, train_ratio=0.5)
    run = pg._run
    pg.set(epochs=10)
    assert pg._run is run and pg.result["epochs"] == 10
    # the snapshot after 10 epochs equals an MLP trained for 10 epochs from the same start
    Xtr, ytr, Xte, yte = run["data"]
    ref = nm.MLP([2, 4, 2], activation="tanh", lr=0.03, batch_size=20, l2=0.001,
                 init="xavier", epochs=10, random_state=0).fit(Xtr, ytr)
    for k, v in ref.params.items():
        np.testing.assert_allclose(run["snapshots"][10]["params"][k], v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pg.result["test_loss"], ref.loss(Xte, yte, include_penalty=False),
                               rtol=1e-12)
    np.testing.assert_allclose(pg.result["test_acc"], ref.score(Xte, yte))
    pg.set(regularization="none")


def test_regularisation_dropout_and_batch_norm_reach_the_model(pg):
    pg.set(dataset="gaussians", regularization="L1", reg_rate=0.01, epochs=5)
    assert pg._run["model"].l1 == 0.01 and pg._run["model"].l2 == 0.0
    pg.set(regularization="none", dropout=0.2, batch_norm=True)
    m = pg._run["model"]
    assert m.l1 == 0.0 and m.l2 == 0.0 and m.dropout == 0.2 and m.batch_norm
    assert pg.message.value == "" and pg.result["epochs"] == 5
    pg.set(batch_size=1)  # batch norm divides by a batch's spread: needs 2 points or more
    assert "at least 2 points" in pg.message.value and "Traceback" not in pg.message.value
    pg.set(batch_size=20, dropout=0.0, batch_norm=False)
    assert pg.message.value == ""


def test_no_hidden_layer_cannot_do_xor(pg):
    pg.set(dataset="xor", hidden_layers=0, regularization="none", epochs=60)
    assert pg.result["train_acc"] < 0.8
    pg.set(hidden_layers=2, activation="tanh")
    assert pg.result["train_acc"] > 0.9


def test_features_make_hidden_layers_unnecessary(pg):
    """x1^2 and x2^2 alone separate the circles, x1 x2 alone separates XOR: no hidden layer."""
    pg.set(dataset="circles", features=("x1^2", "x2^2"), hidden_layers=0, epochs=60)
    assert pg.state["model"].layer_sizes == [2, 2] and pg.result["train_acc"] > 0.95
    Xtr = pg.state["data"][0]
    Ptr = pg.state["run"]["points"][0]
    np.testing.assert_array_equal(Xtr, Ptr ** 2)  # squares are exact
    pg.set(dataset="xor", features=("x1x2",))
    assert pg.result["train_acc"] > 0.95
    pg.set(features=())  # nothing switched on: a message, no traceback
    assert "at least one feature" in pg.message.value and pg.state is None
    pg.set(features=("x1", "x2"), hidden_layers=2)
    assert pg.message.value == ""


def test_regression_uses_squared_error(pg):
    pg.set(dataset="plane", epochs=30, hidden_layers=1, units=4)
    s = pg.state
    assert s["run"]["task"] == "regression" and s["model"].layer_sizes == [2, 4, 1]
    Xtr, ytr, Xte, yte = s["data"]
    pred = s["model"].predict(Xte)
    np.testing.assert_allclose(pg.result["test_loss"], np.mean((pred - yte) ** 2), rtol=1e-10)
    assert pg.result["test_acc"] > 0.8  # R^2 of a plane
    assert "squared error" in pg.readout.value and "R\u00b2" in pg.readout.value
    pg.set(dataset="gaussian mixture", epochs=5)
    assert pg.message.value == "" and pg.state["run"]["task"] == "regression"
    pg.set(dataset="circles", hidden_layers=2, units=6)


def test_problems_fill_the_square():
    for name in problems.PROBLEMS:
        X, y = problems.make_problem(name, 400, noise=0.0, random_state=1)
        assert X.shape == (400, 2) and 1.5 < np.abs(X).max() < 4.5, name
    X, y = problems.make_problem("plane", 50, noise=0.0, random_state=1)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 6, rtol=1e-15, atol=1e-16)


def test_regenerate_draws_new_data(pg):
    pg.set(dataset="moons", epochs=3)
    before = pg.state["run"]["points"][0].copy()
    pg.controls["seed"].click()  # as from the browser
    assert pg.values["seed"] == 1 and not np.array_equal(before, pg.state["run"]["points"][0])


def test_diagram_has_a_map_per_neuron_and_a_line_per_weight(pg):
    pg.set(dataset="circles", features=("x1", "x2", "sin x1"), hidden_layers=2, units=5,
           epochs=10, seed=0)
    model = pg.state["model"]
    assert len(pg._net.tiles) == 3 + 5 + 5 + 1
    assert len(pg._lines.get_segments()) == 3 * 5 + 5 * 5 + 5 * 1
    # widths are 0.25 + 3.75 |w| / max |w|; the output's weight is W3[:, 1] - W3[:, 0]
    P = model.params
    w = np.concatenate([P["W1"].ravel(), P["W2"].ravel(), P["W3"][:, 1] - P["W3"][:, 0]])
    np.testing.assert_allclose(pg._lines.get_linewidths(), 0.25 + 3.75 * np.abs(w)
                               / np.abs(w).max(), rtol=1e-12)
    colours = pg._lines.get_edgecolors()[:, :3]
    assert np.all((colours[:, 0] > 0.5) == (w >= 0))  # orange positive, blue negative


def test_selected_neuron_map_and_discretize(pg):
    pg.set(show="layer 2, unit 3", discretize=False, epochs=10)
    model = pg.state["model"]
    xx, yy, inputs = pg.state["run"]["fine"]
    _, cache = model.forward(inputs, return_cache=True)
    np.testing.assert_array_equal(np.asarray(pg._map.get_array()),
                                  cache["A2"][:, 2].reshape(xx.shape))
    pg.set(discretize=True)
    assert set(np.unique(np.asarray(pg._map.get_array()))) <= {0.0, 1.0}
    pg.set(show_test=False)
    assert not pg._test_points.get_visible()
    pg.set(show="layer 5, unit 1")  # not in this network: the output, and a note
    assert "no neuron" in pg.message.value
    pg.set(show="output", discretize=False, show_test=True)


def test_divergence_is_shown_in_place(pg):
    pg.set(dataset="circles", hidden_layers=3, units=6, activation="identity", optimizer="sgd",
           lr=10.0, batch_size=10, epochs=60, features=("x1", "x2"))
    assert "Training diverged at step" in pg.message.value
    assert "smaller learning rate" in pg.message.value
    assert pg.result["epochs"] < 60
    pg.set(activation="tanh", optimizer="adam", lr=0.03, hidden_layers=2, batch_size=20)
    assert "diverged" not in pg.message.value and pg.result["epochs"] > 0


def test_model_is_an_independent_trained_mlp(pg):
    pg.set(dataset="circles", features=("x1", "x2", "x1^2"), epochs=20)
    m = pg.model
    assert isinstance(m, nm.MLP) and m.layer_sizes[0] == 3
    X = np.array([[0.0, 0.0], [2.5, 0.0]])
    assert m.predict(pg.features(X)).tolist() == [1, 0]  # inner circle is class 1
    m.params["W1"][:] = 0.0
    assert np.abs(pg.state["model"].params["W1"]).max() > 0  # a copy
    pg.set(features=("x1", "x2"))


def test_backprop_view_shows_the_last_update():
    """With full-batch SGD the last update is w <- w - lr * dW on the whole training set."""
    d = nm.widgets.mlp_playground()
    d.set(optimizer="sgd", lr=0.1, batch_size=None, epochs=5, show="layer 1, unit 2",
          backprop_from=1)
    run = d.state["run"]
    last = run["snapshots"][5]["last"]
    # independent: the gradient at epoch 4's weights on the whole training set
    before = nm.MLP([2, 6, 6, 2], activation="tanh", init="xavier")
    before.params = {k: v.copy() for k, v in run["snapshots"][4]["params"].items()}
    _, grads = before.loss_and_grads(*run["data"][:2])
    # the sums over the batch run in another order (the shuffle): round-off only
    np.testing.assert_allclose(last["grads"]["W1"], grads["W1"], rtol=1e-9, atol=1e-15)
    w_now, w_before = run["snapshots"][5]["params"]["W1"][0, 1], last["before"]["W1"][0, 1]
    assert abs((w_now - w_before) + 0.1 * grads["W1"][0, 1]) <= 8 * EPS * max(abs(w_now), 1)
    text = d.backprop.value
    assert "Last update (number 5" in text and f"{grads['W1'][0, 1]:.4g}" in text
    assert "upstream gradient" in text and "local derivative" in text
    # the factors for one point multiply to that point's gradient (central differences)
    x, y = run["data"][0][:1], run["data"][1][:1]
    m = d.state["model"]
    h = 1e-6
    W = m.params["W1"]
    w0 = W[0, 1]
    W[0, 1] = w0 + h
    up = m.loss(x, y)
    W[0, 1] = w0 - h
    down = m.loss(x, y)
    W[0, 1] = w0
    fd = (up - down) / (2 * h)
    _, g1 = m.loss_and_grads(x, y, training=False)
    np.testing.assert_allclose(g1["W1"][0, 1], fd, rtol=1e-5, atol=1e-9)
    assert f"{g1['W1'][0, 1]:.4g}" in text
    d.set(show="x\u2081")
    assert "select a hidden unit" in d.backprop.value
    d.set(backprop_from=0)
    assert d.backprop.value == ""


def test_bring_your_own_data():
    X, y = nm.data.make_moons(120, noise=0.1, random_state=3)
    d = nm.widgets.mlp_playground(X, y)
    assert d.values["dataset"] == "your data" and d.message.value == ""
    assert d.state["run"]["task"] == "classification" and d.result["test_acc"] > 0.8
    d.set(dataset="spiral")  # the built-in problems stay selectable
    assert d.message.value == ""
    r = nm.widgets.mlp_playground(X, np.sin(X[:, 0]))  # float targets: regression
    assert r.state["run"]["task"] == "regression" and r.model.layer_sizes[-1] == 1


@pytest.mark.parametrize("X, y, error, words", [
    (np.zeros((10, 3)), np.zeros(10), ValueError, "exactly 2 columns"),
    (np.zeros((10, 2)), np.zeros(9), ValueError, "10 rows but y has 9"),
    (np.zeros((10, 2)), np.arange(10) % 3, ValueError, "two classes labelled 0 and 1"),
    (np.zeros((10, 2)), np.zeros(10), ValueError, "only the label 0"),
    (np.zeros((10, 2)), None, TypeError, "needs both X and y"),
    ("data", np.zeros(10), TypeError, "X"),
])
def test_bad_user_data_is_explained(X, y, error, words):
    with pytest.raises(error, match=words):
        nm.widgets.mlp_playground(X, y)


def test_bad_control_name(pg):
    with pytest.raises(ValueError, match="Unknown control"):
        pg.set(depth=3)


def test_twin_frames_are_the_spiral_forming(pg):
    frames = pg.twin_frames()
    assert 12 <= len(frames) <= 30 and all(f[1]["dataset"] == "spiral" for f in frames)
    runs = pg.twin_runs()
    names = " ".join(name for name, _ in runs)
    for problem in ("spiral", "circles", "XOR", "Gaussians", "moons", "plane",
                    "Gaussian mixture", "diverging", "overfitting"):
        assert problem in names
