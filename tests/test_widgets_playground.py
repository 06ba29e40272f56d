"""Tests of the chapter 6 MLP playground (nnmath.widgets.playground), driven from code."""

import numpy as np
import pytest

import nnmath as nm
import nnmath.widgets
from nnmath.widgets.playground import MLPPlayground


@pytest.fixture(scope="module")
def pg():
    return nm.widgets.mlp_playground()


def test_returns_demo_with_all_controls(pg):
    assert isinstance(pg, nm.widgets.Demo) and isinstance(pg, MLPPlayground)
    assert set(pg.controls) == {"dataset", "noise", "train_ratio", "batch_size", "hidden_layers",
                                "units", "activation", "lr", "optimizer", "regularization",
                                "reg_rate", "epochs"}
    assert set(pg.controls["dataset"].options) == set(nm.data.DATASETS_2D)
    assert pg.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert pg.message.value == ""


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
        np.testing.assert_allclose(run["snapshots"][10][k], v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pg.result["test_loss"], ref.loss(Xte, yte, include_penalty=False),
                               rtol=1e-12)
    np.testing.assert_allclose(pg.result["test_acc"], ref.score(Xte, yte))


def test_regularisation_options_reach_the_model(pg):
    pg.set(dataset="blobs", regularization="L1", reg_rate=0.01, epochs=5)
    assert pg._run["model"].l1 == 0.01 and pg._run["model"].l2 == 0.0
    pg.set(regularization="none")
    assert pg._run["model"].l1 == 0.0 and pg._run["model"].l2 == 0.0


def test_no_hidden_layer_cannot_do_xor(pg):
    pg.set(dataset="xor", hidden_layers=0, regularization="none", epochs=60)
    assert pg.result["train_acc"] < 0.8
    pg.set(hidden_layers=2, activation="tanh")
    assert pg.result["train_acc"] > 0.9


def test_divergence_is_shown_in_place(pg):
    pg.set(dataset="circles", hidden_layers=3, units=6, activation="identity", optimizer="sgd",
           lr=10.0, batch_size=10, epochs=60)
    assert "Training diverged at step" in pg.message.value
    assert "smaller learning rate" in pg.message.value
    assert pg.result["epochs"] < 60
    pg.set(activation="tanh", optimizer="adam", lr=0.03)
    assert "diverged" not in pg.message.value and pg.result["epochs"] > 0


def test_step_cap_is_announced(pg):
    pg.set(batch_size=1, epochs=100, train_ratio=0.5, hidden_layers=2)
    assert "updates per change" in pg.message.value
    assert pg.result["epochs"] == pg.max_layer_updates // 3 // 100  # 100 updates per epoch


def test_static_twin_is_the_spiral_forming():
    demo = nm.widgets.mlp_playground()
    frames = demo.twin_frames()
    assert 12 <= len(frames) <= 30
    assert all(f[1]["dataset"] == "spiral" for f in frames)
    html = demo.static_twin()
    assert html.count("data:image/png;base64,") == len(frames) + 1  # + the first shown
    assert "epoch 110" in html
    assert demo.result["epochs"] == 60  # the live settings are restored afterwards


def test_bad_control_name(pg):
    with pytest.raises(ValueError, match="Unknown control"):
        pg.set(depth=3)
