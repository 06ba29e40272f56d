"""Nesterov, AdamW, cosine_decay, clip_grad_norm, clip_weights (nnmath.optim) and MLP options.

References: update rules written from the equations one array at a time, the look-ahead form of
Nesterov's method (a different algorithm that must visit the same points), closed forms, and
NumPy's norm. PyTorch comparisons live in ``test_torch_reference.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath import optim
from tests.conftest import EPS, examples


def _problem(shape, seed):
    rng = np.random.default_rng(seed)
    return {"W": rng.normal(size=shape), "b": rng.normal(size=shape[-1:])}, rng


def _grads_sequence(params, rng, n):
    return [{k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(n)]


def ref_nesterov(theta, gs, lr, beta):
    """PyTorch's form: buf = beta * buf + g; theta -= lr * (g + beta * buf)."""
    buf = np.zeros_like(theta)
    for g in gs:
        buf = beta * buf + g
        theta = theta - lr * (g + beta * buf)
    return theta


def ref_adamw(theta, gs, lr, b1, b2, eps, wd, multipliers=None):
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(gs, start=1):
        eta = lr * (multipliers[t - 1] if multipliers else 1.0)
        theta = theta * (1 - eta * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        theta = theta - eta * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return theta


# -- update rules against references --------------------------------------------------------
@pytest.mark.parametrize("shape", [(3,), (4, 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_nesterov_and_adamw_match_references(shape, seed):
    params, rng = _problem(shape, seed)
    start = {k: v.copy() for k, v in params.items()}
    gs = _grads_sequence(params, rng, 9)
    nesterov, adamw = {k: v.copy() for k, v in params.items()}, params
    sched = optim.cosine_decay(9, 0.1)
    opt_n = nm.Nesterov(lr=0.05, beta=0.8)
    opt_a = nm.AdamW(lr=0.02, beta1=0.85, beta2=0.99, eps=1e-7, weight_decay=0.3, schedule=sched)
    for g in gs:
        opt_n.step(nesterov, g)
        opt_a.step(adamw, g)
    mult = [sched(t) for t in range(9)]
    for k in start:
        ks = [g[k] for g in gs]
        # 9 steps of O(1) operations on O(1) numbers: round-off ~ 100 eps
        np.testing.assert_allclose(nesterov[k], ref_nesterov(start[k], ks, 0.05, 0.8),
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(adamw[k], ref_adamw(start[k], ks, 0.02, 0.85, 0.99, 1e-7, 0.3,
                                                       mult), rtol=1e-12, atol=1e-14)


def test_nesterov_visits_the_look_ahead_points():
    # Look-ahead form on f(x) = x^T A x / 2 + sum(x^4) / 4: the gradient at theta - lr beta u.
    # Its look-ahead points phi_t = theta_t - lr beta u_t must be the iterates of nm.Nesterov.
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    A = A @ A.T / 4 + np.eye(4)

    def grad(x):
        return A @ x + x ** 3

    lr, beta = 0.05, 0.9
    theta, u = rng.normal(size=4), np.zeros(4)
    params = {"x": theta.copy()}  # phi_0 = theta_0 since u_0 = 0
    opt = nm.Nesterov(lr=lr, beta=beta)
    for _ in range(30):
        u = beta * u + grad(theta - lr * beta * u)
        theta = theta - lr * u
        opt.step(params, {"x": grad(params["x"])})
        np.testing.assert_allclose(params["x"], theta - lr * beta * u, rtol=1e-11, atol=1e-13)


def test_adamw_without_decay_is_adam_and_decay_alone_is_geometric():
    params, rng = _problem((3, 2), 0)
    a, b = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
    adam, adamw = nm.Adam(lr=0.01), nm.AdamW(lr=0.01, weight_decay=0.0)
    for g in _grads_sequence(params, rng, 5):
        adam.step(a, g)
        adamw.step(b, g)
    for k in a:  # multiplying by 1 - 0 = 1 is exact: the same numbers bit for bit
        np.testing.assert_array_equal(b[k], a[k])
    # with zero gradients Adam's step is 0 / (0 + eps) = 0: only the decay acts
    p = {"w": np.array([1.0, -3.0])}
    opt = nm.AdamW(lr=0.1, weight_decay=0.5)
    for _ in range(20):
        opt.step(p, {"w": np.zeros(2)})
    np.testing.assert_allclose(p["w"], np.array([1.0, -3.0]) * 0.95 ** 20, rtol=100 * EPS)


def test_nesterov_minimises_a_quadratic():
    c = np.array([1.0, -2.0, 0.5])
    params = {"w": np.zeros(3)}
    opt = optim.make_optimizer("nesterov", lr=0.05)
    for _ in range(500):
        opt.step(params, {"w": params["w"] - c})
    np.testing.assert_allclose(params["w"], c, atol=1e-8)


def test_adamw_settles_where_the_decay_balances_the_gradient():
    # On f(w) = |w - c|^2 / 2 with decay wd, AdamW does not reach c: as the rate decays its
    # fixed point moves to where the Adam step equals the decay, between 0 and c.
    c = np.array([1.0, -2.0, 0.5])
    params = {"w": np.zeros(3)}
    opt = nm.AdamW(lr=0.05, weight_decay=0.5, schedule=optim.exponential_decay(0.002))
    for _ in range(2000):
        opt.step(params, {"w": params["w"] - c})
    assert np.all(np.abs(params["w"]) < np.abs(c)) and np.all(np.sign(params["w"]) == np.sign(c))
    assert "adamw" not in optim.OPTIMIZERS and "adamw" in optim.ALL_OPTIMIZERS


# -- schedules --------------------------------------------------------------------------------
@pytest.mark.parametrize("final", [0.0, 0.05, 1.0])
def test_cosine_decay_closed_form(final):
    f = optim.cosine_decay(10, final)
    values = np.array([f(t) for t in range(15)])
    expected = final + (1 - final) * (1 + np.cos(np.pi * np.minimum(np.arange(15), 10) / 10)) / 2
    np.testing.assert_allclose(values, expected, rtol=1e-15, atol=4 * EPS)
    np.testing.assert_allclose(values[0], 1.0, rtol=2 * EPS)
    assert values[10] == final and all(v == final for v in values[10:])  # cos(pi) = -1 exactly
    assert np.all(np.diff(values) <= 0)
    np.testing.assert_allclose(values[5], (1 + final) / 2, rtol=4 * EPS)


def test_cosine_decay_drives_an_optimiser():
    opt = nm.SGD(lr=0.2, schedule=optim.cosine_decay(4))
    p, seen = {"w": np.zeros(1)}, []
    for _ in range(6):
        seen.append(opt.current_lr)
        opt.step(p, {"w": np.ones(1)})
    np.testing.assert_allclose(seen, 0.2 * np.array([1, (1 + np.sqrt(0.5)) / 2, 0.5,
                                                     (1 - np.sqrt(0.5)) / 2, 0, 0]),
                               rtol=1e-14, atol=1e-16)


# -- clipping -----------------------------------------------------------------------------------
@settings(max_examples=examples(30), deadline=None)
@given(seed=st.integers(0, 2 ** 16), max_norm=st.floats(1e-3, 1e3),
       scale=st.floats(1e-3, 1e3))
def test_clip_grad_norm_properties(seed, max_norm, scale):
    rng = np.random.default_rng(seed)
    grads = {"W1": rng.normal(size=(3, 4)) * scale, "b1": rng.normal(size=4) * scale,
             "W2": rng.normal(size=(4, 2)) * scale}
    before = {k: v.copy() for k, v in grads.items()}
    arrays = dict(grads)
    flat = np.concatenate([v.ravel() for v in before.values()])
    total = optim.clip_grad_norm(grads, max_norm)
    np.testing.assert_allclose(total, np.linalg.norm(flat), rtol=10 * flat.size * EPS)
    assert all(grads[k] is arrays[k] for k in grads)  # in place
    factor = max_norm / (total + 1e-6)
    after = np.linalg.norm(np.concatenate([v.ravel() for v in grads.values()]))
    if factor < 1:  # one common factor: same direction, norm max_norm * total / (total + 1e-6)
        for k in grads:
            np.testing.assert_allclose(grads[k], before[k] * factor, rtol=4 * EPS)
        np.testing.assert_allclose(after, max_norm * total / (total + 1e-6),
                                   rtol=10 * flat.size * EPS)
    else:
        for k in grads:
            np.testing.assert_array_equal(grads[k], before[k])


def test_clip_weights():
    params = {"W1": np.array([[-3.0, 0.5], [2.0, -0.1]]), "b1": np.array([5.0, -0.2])}
    W_before = params["W1"]
    assert optim.clip_weights(params, 1.0) == 3
    assert params["W1"] is W_before  # in place
    np.testing.assert_array_equal(params["W1"], [[-1.0, 0.5], [1.0, -0.1]])
    np.testing.assert_array_equal(params["b1"], [1.0, -0.2])
    params = {"W1": np.array([2.0, -2.0]), "b1": np.array([2.0]), "w": np.array([-4.0])}
    assert optim.clip_weights(params, 0.5, which="weights") == 3
    np.testing.assert_array_equal(params["b1"], [2.0])  # biases untouched
    np.testing.assert_array_equal(params["w"], [-0.5])


# -- the MLP options ------------------------------------------------------------------------
def test_mlp_optimizer_names_and_weight_decay():
    X, y = nm.data.make_blobs(60, centers=3, random_state=0)
    for name, cls in (("nesterov", nm.Nesterov), ("adamw", nm.AdamW)):
        model = nm.MLP([2, 8, 3], optimizer=name, lr=0.01, epochs=10, random_state=0).fit(X, y)
        assert type(model.optimizer_) is cls
        assert model.loss_history_[-1] < model.loss_history_[0]
    model = nm.MLP([2, 8, 3], optimizer="adamw", weight_decay=0.25, epochs=1).fit(X, y)
    assert model.optimizer_.weight_decay == 0.25
    assert nm.MLP([2, 8, 3], optimizer="adamw", epochs=1).fit(X, y).optimizer_.weight_decay == 0.01


def test_mlp_adamw_step_by_hand():
    X, y = nm.data.make_blobs(20, random_state=1)
    model = nm.MLP([2, 4, 2], optimizer="adamw", lr=0.1, weight_decay=0.2, l2=0.01, epochs=1,
                   batch_size=None, random_state=0).init_params()
    before = {k: v.copy() for k, v in model.params.items()}
    _, grads = model.loss_and_grads(X, y)  # includes the L2 penalty's gradient l2 * W
    model.fit(X, y)
    for k in before:  # first Adam step: m_hat / sqrt(v_hat) = g / |g|
        step = 0.1 * grads[k] / (np.abs(grads[k]) + 1e-8)
        np.testing.assert_allclose(model.params[k], before[k] * (1 - 0.1 * 0.2) - step,
                                   rtol=1e-12, atol=1e-15)


def test_mlp_clip_grad_norm_step_by_hand():
    X, y = nm.data.make_blobs(30, random_state=2)
    model = nm.MLP([2, 5, 2], optimizer="sgd", lr=0.5, epochs=1, batch_size=None,
                   clip_grad_norm=0.01, random_state=0).init_params()
    before = {k: v.copy() for k, v in model.params.items()}
    _, grads = model.loss_and_grads(X, y)
    total = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
    assert total > 0.01  # so the clipping acts
    model.fit(X, y)
    for k in before:
        np.testing.assert_allclose(model.params[k],
                                   before[k] - 0.5 * grads[k] * 0.01 / (total + 1e-6),
                                   rtol=1e-12, atol=1e-15)


# -- input checks ---------------------------------------------------------------------------
@pytest.mark.parametrize("call, exc, match", [
    (lambda: nm.AdamW(weight_decay=-1), ValueError, "weight_decay must be a finite number >= 0"),
    (lambda: nm.Nesterov(beta=1.0), ValueError, r"beta must be in \[0, 1\)"),
    (lambda: optim.cosine_decay(0), ValueError, "total_steps must be an integer >= 1"),
    (lambda: optim.cosine_decay(10, final=2.0), ValueError, r"final must be in \[0, 1\]"),
    (lambda: optim.clip_grad_norm({"w": np.ones(2)}, 0), ValueError,
     "max_norm must be a finite number > 0"),
    (lambda: optim.clip_grad_norm([np.ones(2)], 1.0), TypeError, "grads must be a dict"),
    (lambda: optim.clip_grad_norm({"w": [1.0, 2.0]}, 1.0), TypeError,
     r"grads\['w'\] must be a float NumPy array"),
    (lambda: optim.clip_weights({"w": np.ones(2, dtype=int)}, 1.0), TypeError,
     r"params\['w'\] must be a float NumPy array"),
    (lambda: optim.clip_weights({"w": np.ones(2)}, -1.0), ValueError,
     "c must be a finite number > 0"),
    (lambda: optim.clip_weights({"w": np.ones(2)}, 1.0, which="biases"), ValueError,
     "Unknown which 'biases'"),
    (lambda: optim.make_optimizer("nadam", 0.1), ValueError, "Unknown optimizer 'nadam'.*'adamw'"),
])
def test_messages(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"optimizer": "adam", "weight_decay": 0.1}, ValueError,
     "weight_decay is the decoupled decay of optimizer='adamw'.*l2="),
    ({"optimizer": "adamw", "weight_decay": -0.1}, ValueError, "weight_decay must be a finite"),
    ({"clip_grad_norm": 0.0}, ValueError, "clip_grad_norm must be a finite number > 0"),
    ({"clip_grad_norm": "1"}, TypeError, "clip_grad_norm must be a number"),
])
def test_mlp_bad_training_options(kwargs, exc, match):
    X, y = nm.data.make_blobs(10, random_state=0)
    with pytest.raises(exc, match=match):
        nm.MLP([2, 3, 2], **kwargs).fit(X, y)
