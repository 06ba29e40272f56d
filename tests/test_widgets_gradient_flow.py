"""Tests of the gradient-flow demo of "Training deep networks", driven from code (no browser)."""

import numpy as np
import pytest

from nnmath.widgets import gradient_flow as gf

ACT = {"relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float)),
       "tanh": (np.tanh, lambda z, a: 1.0 - a ** 2),
       "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda z, a: a * (1.0 - a))}


@pytest.fixture(scope="module")
def demo():
    return gf.gradient_flow_demo()


def _reference(depth, activation, init, g, seed=0):
    """||dW_l||_F and std(Z_l) by an independent NumPy forward and backward pass."""
    rng = np.random.default_rng(seed)
    sizes = [gf.WIDTH] * depth + [gf.N_CLASSES]
    Ws = [gf.scaled_init(init, g)(a, b, rng) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    f, df = ACT[activation]
    As, Zs, A = [gf.X], [], gf.X
    for l, W in enumerate(Ws, start=1):
        Z = A @ W
        Zs.append(Z)
        A = Z if l == depth else f(Z)
        As.append(A)
    P = np.exp(A - A.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dZ = (P - np.eye(gf.N_CLASSES)[gf.Y]) / len(gf.Y)     # mean softmax cross-entropy
    norms = np.zeros(depth)
    for l in range(depth, 0, -1):
        norms[l - 1] = np.linalg.norm(As[l - 1].T @ dZ)
        if l > 1:
            dZ = (dZ @ Ws[l - 1].T) * df(Zs[l - 2], As[l - 1])
    return norms, np.array([Z.std() for Z in Zs])


def test_public_function_is_exported():
    import nnmath.widgets as w
    assert w.gradient_flow_demo is gf.gradient_flow_demo


@pytest.mark.parametrize("depth, activation, init, g", [
    (2, "relu", "He", 1.0), (20, "relu", "Xavier", 1.5), (12, "tanh", "Xavier", 2.0),
    (30, "sigmoid", "He", 0.5)])
def test_profile_matches_an_independent_backward_pass(demo, depth, activation, init, g):
    demo.set(depth=depth, activation=activation, init=init, g=g, batch_norm=False, clip=False)
    s = demo.state
    norms, z_std = _reference(depth, activation, init, demo.values["g"])
    # depth matrix products in a row: round-off ~ depth * width * eps relative, with margin
    np.testing.assert_allclose(s["grad_norms"], norms, rtol=1e-9)
    np.testing.assert_allclose(s["z_std"], z_std, rtol=1e-9)
    np.testing.assert_allclose(demo._grad_line.get_ydata(), norms, rtol=1e-9)
    assert demo.message.value == ""


def test_relu_forward_scale_is_exactly_g_to_the_l(demo):
    # relu(g z) = g relu(z) for g > 0 and the biases start at 0: Z_l scales by g^l exactly
    # (up to round-off), whatever the depth
    base = gf.gradient_profile(15, "relu", "He", 1.0)["z_std"]
    for g in (0.5, 2.0):
        scaled = gf.gradient_profile(15, "relu", "He", g)["z_std"]
        np.testing.assert_allclose(scaled / base, g ** np.arange(1, 16), rtol=1e-10)


def test_sigmoid_vanishes_and_batch_norm_restores(demo):
    plain = gf.gradient_profile(20, "sigmoid", "Xavier", 1.0)["grad_norms"]
    bn = gf.gradient_profile(20, "sigmoid", "Xavier", 1.0, batch_norm=True)["grad_norms"]
    assert plain[0] / plain[-1] < 1e-6            # sigmoid' <= 1/4: vanishing
    assert 1e-2 < bn[0] / bn[-1] < 1e2            # steady with batch normalisation


def test_clipping_scales_every_layer_alike(demo):
    demo.set(depth=20, activation="relu", init="He", g=2.0, batch_norm=False, clip=True)
    s = demo.state
    assert s["total"] > 1e3 and demo._clip_line.get_visible()
    factor = s["clipped"] / s["grad_norms"]
    np.testing.assert_allclose(factor, 1.0 / (s["total"] + 1e-6), rtol=1e-9)
    assert np.sqrt(np.sum(s["clipped"] ** 2)) <= 1.0      # W's only; biases share the norm
    demo.set(clip=False)
    assert not demo._clip_line.get_visible()


def test_errors_and_underflow_are_shown_in_place(demo):
    with pytest.raises(ArithmeticError, match="overflowed"):
        gf.gradient_profile(40, "relu", "He", 1e8)
    msg = demo._render(dict(demo.values, depth=40, activation="relu", g=1e8))
    assert "overflowed" in msg and "&#9888;" in msg and "Traceback" not in msg
    msg = demo._render(dict(demo.values, depth=40, activation="relu", g=1e-12, clip=False))
    assert "exactly 0" in msg and "&#9888;" not in msg
    demo.set(depth=20, g=1.0)
    assert demo.message.value == ""


def test_static_twin(demo):
    frames = demo.twin_frames()
    assert 12 <= len(frames) <= 30
    html = demo.static_twin()
    assert html.count("data:image/png;base64,") == len(frames) + 1
    assert "&#9888;" not in html
    assert "text/html" in demo._repr_mimebundle_()
    assert len(demo.timings) > 0
