"""Tests of nnmath.optim: each update rule against an independent hand-written reference."""

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


# Reference implementations written from the update equations, one array at a time.
def ref_sgd(theta, gs, lr):
    for g in gs:
        theta = theta - lr * g
    return theta


def ref_momentum(theta, gs, lr, beta):
    v = np.zeros_like(theta)
    for g in gs:
        v = beta * v + g
        theta = theta - lr * v
    return theta


def ref_rmsprop(theta, gs, lr, rho, eps):
    s = np.zeros_like(theta)
    for g in gs:
        s = rho * s + (1 - rho) * g ** 2
        theta = theta - lr * g / (np.sqrt(s) + eps)
    return theta


def ref_adam(theta, gs, lr, b1, b2, eps):
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(gs, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return theta


CASES = [
    (lambda: nm.SGD(lr=0.1), lambda th, gs: ref_sgd(th, gs, 0.1)),
    (lambda: nm.Momentum(lr=0.05, beta=0.8), lambda th, gs: ref_momentum(th, gs, 0.05, 0.8)),
    (lambda: nm.RMSProp(lr=0.01, rho=0.95, eps=1e-6),
     lambda th, gs: ref_rmsprop(th, gs, 0.01, 0.95, 1e-6)),
    (lambda: nm.Adam(lr=0.02, beta1=0.85, beta2=0.99, eps=1e-7),
     lambda th, gs: ref_adam(th, gs, 0.02, 0.85, 0.99, 1e-7)),
]


@pytest.mark.parametrize("make, ref", CASES, ids=["sgd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("shape", [(3,), (4, 2), (2, 3, 5)])
@pytest.mark.parametrize("seed", [0, 1])
def test_update_rules_match_reference(make, ref, shape, seed):
    params, rng = _problem(shape, seed)
    start = {k: v.copy() for k, v in params.items()}
    gs = _grads_sequence(params, rng, 7)
    opt = make()
    for g in gs:
        opt.step(params, g)
    assert opt.t == 7
    for k in params:
        # each of the 7 steps rounds theta - update (~EPS |theta|) and the update itself; an
        # entry that ends near 0 only keeps that absolute accuracy
        atol = 10 * len(gs) * EPS * (np.abs(start[k]).max() + 1.0)
        np.testing.assert_allclose(params[k], ref(start[k], [g[k] for g in gs]),
                                   rtol=1e-12, atol=atol)


def test_adam_first_step_is_lr_times_sign():
    # With bias correction the first step is lr * g / (|g| + eps): about lr * sign(g).
    params = {"w": np.array([1.0, -2.0, 3.0])}
    g = np.array([1e-3, -5.0, 40.0])
    nm.Adam(lr=0.1, eps=1e-12).step(params, {"w": g.copy()})
    np.testing.assert_allclose(params["w"], [1.0 - 0.1, -2.0 + 0.1, 3.0 - 0.1], rtol=1e-8)


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_minimises_a_quadratic(name):
    # f(w) = |w - c|^2 / 2 has gradient w - c; every optimiser must reach c.
    c = np.array([1.0, -2.0, 0.5])
    params = {"w": np.zeros(3)}
    opt = optim.make_optimizer(name, lr=0.05, schedule=optim.exponential_decay(0.002))
    for _ in range(2000):
        opt.step(params, {"w": params["w"] - c})
    np.testing.assert_allclose(params["w"], c, atol=1e-3)


@settings(max_examples=examples(30), deadline=None)
@given(lr=st.floats(1e-4, 1.0), beta=st.floats(0.0, 0.99), g=st.floats(-1e3, 1e3))
def test_momentum_with_constant_gradient_is_geometric_sum(lr, beta, g):
    # v_t = g (1 + beta + ... + beta^(t-1)) = g (1 - beta^t) / (1 - beta)
    params = {"w": np.zeros(1)}
    opt = nm.Momentum(lr=lr, beta=beta)
    total = 0.0
    for t in range(1, 6):
        opt.step(params, {"w": np.array([g])})
        total += lr * g * (1 - beta ** t) / (1 - beta)
    # 1 - beta^t loses up to EPS / (1 - beta) <= 100 EPS relative for beta <= 0.99; rtol 1e-9
    # is far above; atol for g ~ 0 (subnormal g underflows to 0 on either side)
    np.testing.assert_allclose(params["w"], [-total], rtol=1e-9, atol=1e-12)


def test_schedule_multiplies_the_rate_and_reset_clears_state():
    params = {"w": np.zeros(1)}
    opt = nm.SGD(lr=1.0, schedule=optim.step_decay(2, 0.5))
    seen = []
    for _ in range(5):
        seen.append(opt.current_lr)
        opt.step(params, {"w": np.ones(1)})
    np.testing.assert_allclose(seen, [1, 1, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(params["w"], [-3.25])
    adam = nm.Adam(lr=0.1)
    adam.step(params, {"w": np.ones(1)})
    adam.reset()
    assert adam.t == 0 and adam._m == {} and adam._v == {}


@pytest.mark.parametrize("t", [0, 1, 5, 17, 100])
def test_schedules_closed_forms(t):
    assert optim.constant()(t) == 1.0
    assert optim.step_decay(10, 0.3)(t) == pytest.approx(0.3 ** (t // 10))
    assert optim.exponential_decay(0.05)(t) == pytest.approx(np.exp(-0.05 * t))
    w = optim.warmup(10, optim.exponential_decay(0.1))(t)
    assert w == pytest.approx((t + 1) / 10 if t < 10 else np.exp(-0.1 * (t - 10)))


def test_make_optimizer_names_and_instances():
    opt = optim.make_optimizer("momentum", lr=0.3)
    assert isinstance(opt, nm.Momentum) and opt.lr == 0.3
    mine = nm.Adam(lr=0.01)
    assert optim.make_optimizer(mine, lr=5.0) is mine
    assert "Adam(lr=0.01" in repr(mine)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: nm.SGD(lr=0), ValueError, "lr must be a finite number > 0"),
    (lambda: nm.SGD(lr="big"), TypeError, "lr must be a number"),
    (lambda: nm.SGD(schedule=3), TypeError, "schedule must be a function"),
    (lambda: nm.Momentum(beta=1.0), ValueError, r"beta must be in \[0, 1\)"),
    (lambda: nm.Momentum(beta="x"), TypeError, "beta must be a number"),
    (lambda: nm.RMSProp(rho=-0.1), ValueError, r"rho must be in \[0, 1\)"),
    (lambda: nm.RMSProp(eps=0), ValueError, "eps must be a finite number > 0"),
    (lambda: nm.Adam(beta2=1.5), ValueError, r"beta2 must be in \[0, 1\)"),
    (lambda: optim.make_optimizer("adagrad", 0.1), ValueError, "Unknown optimizer 'adagrad'"),
    (lambda: optim.step_decay(0), ValueError, "every must be an integer >= 1"),
    (lambda: optim.step_decay(5, factor=-1), ValueError, "factor must be a finite number > 0"),
    (lambda: optim.exponential_decay(-0.1), ValueError, "rate must be a finite number >= 0"),
    (lambda: optim.warmup(3, then=2), TypeError, "then must be a schedule"),
])
def test_constructor_messages(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_step_messages():
    opt = nm.SGD(lr=0.1)
    with pytest.raises(ValueError, match="same keys; these differ: \\['b'\\]"):
        opt.step({"w": np.zeros(2), "b": np.zeros(1)}, {"w": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads\['w'\] has shape \(3,\) but params\['w'\]"):
        opt.step({"w": np.zeros(2)}, {"w": np.zeros(3)})
    with pytest.raises(TypeError, match=r"params\['w'\] must be a float NumPy array"):
        opt.step({"w": [0.0, 0.0]}, {"w": np.zeros(2)})
    with pytest.raises(TypeError, match="float NumPy array"):
        opt.step({"w": np.zeros(2, dtype=int)}, {"w": np.zeros(2)})
    assert opt.t == 0  # a rejected step does not count
    bad = nm.SGD(lr=0.1, schedule=lambda t: -1.0)
    with pytest.raises(ValueError, match="The schedule gave the multiplier -1.0 at step 0"):
        bad.step({"w": np.zeros(2)}, {"w": np.zeros(2)})
