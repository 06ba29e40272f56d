"""Play / Step / Reset of the training demos (issue 11), driven from code.

``step()`` continues training from the state on screen, so k frames from the start must give
what a synchronous update with the epochs control at k gives (and what the library's own
``fit`` gives): the same operations in the same order. Play runs frames from an asyncio task;
here it runs in ``asyncio.run``, as it would in a kernel's event loop.
"""

import asyncio

import numpy as np
import pytest

import nnmath as nm
from nnmath.widgets import maths, optimizers, playground, regression

TRAINING = {
    "gradient_descent_demo": maths.gradient_descent_demo,
    "linear_regression_demo": regression.linear_regression_demo,
    "logistic_regression_demo": regression.logistic_regression_demo,
    "optimizer_comparison_demo": optimizers.optimizer_comparison_demo,
    "mlp_playground": playground.mlp_playground,
}


def fingerprint(name, state):
    """The numbers that define a training state: parameters and loss history."""
    if name == "gradient_descent_demo":
        return [state[3].points, state[3].losses]
    if name == "linear_regression_demo":
        return [np.array([state["w"], state["b"]]), state["hist"]]
    if name == "logistic_regression_demo":
        m = state["model"]
        return [m.coef_, np.array([m.intercept_]), m.loss_history_]
    if name == "optimizer_comparison_demo":
        return [a for path, _ in state[1].values() for a in (path.points, path.losses)]
    return [*state["model"].params.values(), state["train"], state["test"]]


def assert_same(name, a, b):
    # The same operations in the same order on the same numbers: agreement to a few
    # roundings (the losses are O(1e-2..10), the parameters O(1)); atol for values near 0.
    for x, y in zip(fingerprint(name, a), fingerprint(name, b), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


def run_play(demo, timeout=60.0, pause_after=None):
    """Play in an event loop until it stops by itself (or pause after ``pause_after`` s)."""
    async def scenario():
        task = demo.play()
        assert demo.playing and demo.play_button.value and demo.play_button.description == "Pause"
        if pause_after is not None:
            await asyncio.sleep(pause_after)
            demo.pause()
            await asyncio.sleep(0)  # let the cancellation land
            return task
        await asyncio.wait_for(task, timeout)
        return task
    return asyncio.run(scenario())


@pytest.fixture(scope="module", params=list(TRAINING))
def trained(request):
    return request.param, TRAINING[request.param]()


def test_only_training_demos_have_a_player():
    for factory in TRAINING.values():
        d = factory()
        assert d.trains and d.play_button in d.children[2].children
    d = maths.matrix_transform_demo()
    assert not d.trains and not hasattr(d, "play_button")
    with pytest.raises(TypeError, match="does not train, so it has no step"):
        d.step()


def test_step_changes_state_and_figure(trained):
    name, d = trained
    d.reset()
    assert d.progress(d.state) == 0 and d.values[d.progress_control] == 0
    image = bytes(d.image.value)
    start = [a.copy() for a in fingerprint(name, d.state)]
    assert d.step()
    n = d.steps_per_frame
    assert d.progress(d.state) == n and d.values[d.progress_control] == n  # the control follows
    assert bytes(d.image.value) != image
    assert any(a.shape != b.shape or not np.array_equal(a, b)
               for a, b in zip(start, fingerprint(name, d.state), strict=True))
    assert d.message.value == "" and f"{n} of" in d.status.value
    assert len(d.frame_timings) >= 1


def test_frames_continue_training(trained):
    """Two frames from the start = the synchronous update at 2 frames' epochs; after them,
    two more frames = the update at 4 frames' epochs (nothing is re-initialised)."""
    name, d = trained
    d.reset()
    d.step()
    d.step()
    two = d.state
    ref = TRAINING[name]()
    ref.set(**{d.progress_control: 2 * d.steps_per_frame})
    assert_same(name, two, ref.state)
    d.step()
    d.step()
    ref.set(**{d.progress_control: 4 * d.steps_per_frame})
    assert_same(name, d.state, ref.state)


def test_reset_returns_to_the_start(trained):
    name, d = trained
    d.reset()
    start = [a.copy() for a in fingerprint(name, d.state)]
    for _ in range(3):
        d.step()
    d.reset()
    assert d.progress(d.state) == 0 and d.values[d.progress_control] == 0
    for a, b in zip(start, fingerprint(name, d.state), strict=True):
        np.testing.assert_array_equal(a, b)  # the start is not computed: it is the initial value


@pytest.mark.parametrize("batch_size", [None, 3])
def test_linear_frames_equal_library_fit(batch_size):
    d = regression.linear_regression_demo()
    d.set(batch_size=batch_size, lr=0.01, epochs=0)
    for _ in range(7):
        d.step()
    ref = nm.LinearRegression(lr=0.01, epochs=7, batch_size=batch_size, random_state=0).fit(
        d._x[:, None], d.state["y"])
    np.testing.assert_allclose([d.state["w"], d.state["b"]], [ref.coef_[0], ref.intercept_],
                               rtol=1e-12)
    np.testing.assert_allclose(d.state["hist"], ref.loss_history_, rtol=1e-12)


def test_logistic_frames_equal_library_fit():
    d = regression.logistic_regression_demo()
    d.reset()
    for _ in range(5):
        d.step()
    s = d.state
    ref = nm.LogisticRegression(lr=d.values["lr"], epochs=10, l2=d.values["l2"]).fit(
        s["X"], s["y"])
    np.testing.assert_allclose(s["model"].coef_, ref.coef_, rtol=1e-12)
    np.testing.assert_allclose(s["model"].loss_history_, ref.loss_history_, rtol=1e-12)


def test_mlp_frames_equal_library_fit():
    d = playground.mlp_playground()
    d.reset()
    for _ in range(4):
        d.step()
    Xtr, ytr, _, _ = d.state["data"]
    ref = nm.MLP([2, 6, 6, 2], activation="tanh", lr=0.03, batch_size=20, optimizer="adam",
                 init="xavier", epochs=4, random_state=0).fit(Xtr, ytr)
    for k, v in ref.params.items():
        np.testing.assert_allclose(d.state["model"].params[k], v, rtol=1e-12, atol=1e-15)
    assert d.result["epochs"] == 4


def test_no_per_change_cap_and_play_continues():
    """A control change trains to the epoch asked for (no cap), and Play continues from it."""
    d = playground.mlp_playground()
    d.set(batch_size=1, epochs=12)  # 100 updates per epoch: 1200 updates in one change
    assert d.result["epochs"] == 12 and d.message.value == ""
    assert d.state["run"]["model"].t_ == 1200
    d.step()
    d.step()
    assert d.result["epochs"] == 14 and d.message.value == ""


def test_control_change_recomputes_and_play_continues_from_it():
    d = regression.linear_regression_demo()
    d.reset()
    for _ in range(3):
        d.step()
    d.controls["lr"].value = 0.02  # as from the browser: synchronous recompute at 3 epochs
    ref = regression.linear_regression_demo()
    ref.set(lr=0.02, epochs=3)
    assert_same("linear_regression_demo", d.state, ref.state)
    d.step()
    ref.set(epochs=4)
    assert_same("linear_regression_demo", d.state, ref.state)


def test_play_runs_frames_and_pause_stops_the_timer():
    d = playground.mlp_playground()
    d.reset()
    d.frame_interval = 0.0
    task = run_play(d, pause_after=0.5)
    assert task.cancelled() and not d.playing
    assert d.play_button.value is False and d.play_button.description == "Play"
    done = d.progress(d.state)
    assert 0 < done < 300 and "paused" in d.status.value
    frames = len(d.frame_timings)

    async def idle():
        await asyncio.sleep(0.3)
    asyncio.run(idle())
    assert d.progress(d.state) == done and len(d.frame_timings) == frames  # no more frames


def test_play_stops_at_the_maximum_and_restarts_from_the_start():
    d = maths.gradient_descent_demo()
    d.set(surface="elongated bowl", lr=0.01, steps=195)
    d.frame_interval = 0.0
    run_play(d)
    assert not d.playing and d.progress(d.state) == 200
    assert "reached the maximum of 200 steps" in d.status.value
    assert not d.step()  # nothing beyond the maximum
    d.steps_per_frame = 50
    run_play(d)  # Play at the end starts again from 0
    assert d.progress(d.state) == 200 and len(d.state[3].losses) == 201


def test_play_stops_when_converged():
    d = maths.gradient_descent_demo()
    d.set(surface="round bowl", lr=1.0, steps=0)  # lr = 1/curvature: the minimum in one step
    assert not d.step()
    assert d.progress(d.state) == 1 and "converged" in d.status.value


def test_divergence_during_play_is_a_message_and_stops():
    d = regression.linear_regression_demo()
    d.set(lr=10.0, epochs=0)
    d.frame_interval = 0.0
    run_play(d)
    msg = d.message.value
    assert "Training diverged at step" in msg and "smaller learning rate" in msg
    assert "Traceback" not in msg and not d.playing and d.play_button.value is False
    assert 0 < d.values["epochs"] < 100  # stopped where it blew up, the figure as before
    assert not d.step()  # nothing to continue from until Reset or a control change
    d.reset()
    assert d.message.value != "" and d.state is not None  # the above-bound note


def test_divergence_during_play_keeps_the_last_good_frame():
    """The MLP playground and gradient descent show the divergence as a note and the last
    finite epoch (as a control change does), and Play stops."""
    d = playground.mlp_playground()
    d.set(dataset="circles", hidden_layers=3, units=6, activation="identity", optimizer="sgd",
          lr=10.0, batch_size=10, epochs=0)
    d.frame_interval = 0.0
    run_play(d)
    assert "Training diverged at step" in d.message.value and not d.playing
    assert "diverged" in d.status.value and d.result["epochs"] < 300
    g = maths.gradient_descent_demo()
    g.set(surface="elongated bowl", lr=3.0, steps=0)
    g.frame_interval = 0.0
    run_play(g)
    assert "Training diverged at step" in g.message.value and "diverged" in g.status.value
    assert g.progress(g.state) < 200


def test_optimizer_divergence_step_is_counted_from_the_start():
    d = optimizers.optimizer_comparison_demo(lr_scale=3.0, steps=5)
    ref = optimizers.optimizer_comparison_demo(lr_scale=3.0, steps=100)
    while d.progress(d.state) < 100:
        d.step()
    assert d.message.value == ref.message.value and "SGD diverged at step" in d.message.value


def test_play_needs_an_event_loop():
    d = regression.logistic_regression_demo()
    with pytest.raises(RuntimeError):
        d.play()
    d.play_button.value = True  # a click without a running loop: a message, no traceback
    assert d.play_button.value is False and "Play needs a running event loop" in d.message.value


def test_static_twin_leaves_the_trained_state():
    d = playground.mlp_playground()
    d.reset()
    for _ in range(3):
        d.step()
    state = d.state
    html = d.static_twin()
    assert "epoch 110" in html and d.state is state and d.values["epochs"] == 3
    d.step()
    assert d.result["epochs"] == 4
