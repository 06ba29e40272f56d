"""nnmath.autodiff against central differences, PyTorch (float64) and MLP.loss_and_grads.

Every expression is written once, as a function of its leaves and of ``C`` (which turns a
constant NumPy array into the backend's kind), and run on :class:`nnmath.autodiff.Tensor`
and on ``torch.Tensor`` alike. PyTorch is optional: its tests skip when it is missing,
except under ``CI=true``, where CI installs it (torch==2.13.0) and a missing import fails.

Tolerances (CONTRIBUTING.md, "Tolerances"): inputs are standard normal and every expression
is a short composition of bounded or O(1)-Lipschitz steps, so values, gradients and the
intermediate results they are summed from are O(1)-O(1e2). Two float64 evaluations in a
different order (NumPy vs PyTorch kernels, different summation orders) then differ by at
most ~(number of operations ~ 50) * EPS * 1e2 ~ 1e-12 of that scale; ``RTOL = 1e-10`` with
``atol = RTOL * max(1, largest reference entry)`` keeps a margin of ~100 (the largest
difference seen is below 1e-14 of the scale). An ``atol`` is needed because an entry can be
~0 by cancellation (a centred column summed), where a relative error means nothing.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath.autodiff import Tensor, mlp_loss, mlp_loss_and_grads, mse, softmax_cross_entropy
from tests.conftest import EPS, assert_close, assert_gradient_matches_fd, examples, skip_or_fail

try:
    import torch
except ImportError:  # optional dependency
    torch = None

RTOL = 1e-10  # autodiff vs PyTorch, see the module docstring


def _ident(a):
    return a


# -- the expressions ---------------------------------------------------------------------------
# (name, {leaf: shape}, f(C, **leaves), kinks): named cases from the issue; leaves are standard
# normal, moved away from the kink of relu/abs by at least `kinks` (0: smooth) and made positive
# where a log or a fractional power needs it (names starting with "pos").
CASES = [
    ("(3,1)+(1,4)", {"a": (3, 1), "b": (1, 4)}, lambda C, a, b: ((a + b) * b).tanh().sum(), 0),
    ("(4,)+(2,4)", {"a": (4,), "b": (2, 4)},
     lambda C, a, b: ((a + b).sigmoid() * a).mean() + (b - a).sum(), 0),
    ("scalar*tensor", {"s": (), "a": (2, 3)},
     lambda C, s, a: (s * a + 2.5 * a - a * s * s).tanh().sum(), 0),
    ("division", {"a": (3, 2), "b": (2,)},
     lambda C, a, b: (a / (b * b + 0.5) + 1.0 / (a * a + 2.0) - (b / 3.0)).sum(), 0),
    ("pow", {"a": (2, 3), "pos": (3,)},
     lambda C, a, pos: ((a * a + 1.0) ** 1.5 + a**3 - pos**-2 + pos**0.5).sum(), 0),
    ("exp-log", {"a": (3, 3), "pos": (3, 1)},
     lambda C, a, pos: (a.tanh().exp() * pos.log() + (a * a + 1.0).log()).mean(), 0),
    ("sigmoid-tanh", {"a": (4, 2)}, lambda C, a: (a.sigmoid() * (2.0 * a).tanh()).sum(), 0),
    ("relu-abs-away-from-kink", {"a": (3, 4), "b": (4,)},
     lambda C, a, b: (a.relu() * b.abs() + a.abs() * (-b).relu() - b.relu()).sum(), 0.1),
    ("sum-over-axis", {"a": (3, 4)},
     lambda C, a: ((a.sum(axis=0) ** 2).sum() + a.sum(axis=1, keepdims=True).tanh().sum()
                   + a.sum(axis=-1).sigmoid().sum()), 0),
    ("mean", {"a": (2, 5)},
     lambda C, a: (a.mean(axis=1) ** 2).sum() + a.mean(axis=0, keepdims=True).exp().mean()
     + a.mean() ** 2, 0),
    ("matmul-chain", {"X": (5, 3), "W1": (3, 4), "b1": (4,), "W2": (4, 2)},
     lambda C, X, W1, b1, W2: (((X @ W1 + b1).tanh() @ W2).sigmoid() @ W2.T).sum(), 0),
    ("matmul-vectors", {"v": (3,), "M": (3, 4), "w": (4,)},
     lambda C, v, M, w: (v @ M) @ w + (M @ w) @ v + (v @ v) * (M.T @ v).sum(), 0),
    ("constants-on-the-left", {"a": (2, 3)},
     lambda C, a: (C(np.arange(3.0)) * a + C(np.ones((2, 1))) / (a * a + 1.0)
                   - C(np.eye(2)) @ a).sum() + (3.0 - a).mean(), 0),
]


def _leaves(shapes, seed, kink=0.0):
    rng = np.random.default_rng(seed)
    out = {}
    for k, shape in shapes.items():
        x = rng.normal(size=shape)
        if kink:
            x = np.where(x >= 0, x + kink, x - kink)  # |x| >= kink: h never crosses 0
        out[k] = np.abs(x) + 0.5 if k.startswith("pos") else x
    return out


# Random programs: x starts as the (m, n) leaf X and every step keeps its shape (m, n), so
# any step can follow any other; L is one of three leaves of a shape that broadcasts to
# (m, n). Each step is bounded or O(1)-Lipschitz, so no value overflows.
STEPS = {
    "tanh": lambda x, L, E: x.tanh(),
    "sigmoid": lambda x, L, E: x.sigmoid(),
    "exp": lambda x, L, E: x.tanh().exp(),
    "log": lambda x, L, E: (x * x + 1.0).log(),
    "pow": lambda x, L, E: (x * x + 1.0) ** -0.5,
    "radd-rdiv": lambda x, L, E: x / (1.0 + x * x),
    "neg": lambda x, L, E: -x,
    "add": lambda x, L, E: x + L,
    "sub": lambda x, L, E: x - L,
    "mul": lambda x, L, E: x * L,
    "div": lambda x, L, E: x / (L * L + 0.5),
    "rsub-number": lambda x, L, E: E.c - x,
    "rmul-array": lambda x, L, E: E.K * x,
    "rdiv-array": lambda x, L, E: E.K / (x * x + 1.0),
    "matmul": lambda x, L, E: x @ E.Mn,
    "matmul-T": lambda x, L, E: (x.T @ E.Mm).T,
    "centre": lambda x, L, E: x - x.mean(axis=0, keepdims=True),
    "add-colsum": lambda x, L, E: x + 0.3 * x.sum(axis=0),
    "mul-rowmean": lambda x, L, E: x * x.mean(axis=1, keepdims=True).tanh(),
}
KINKED = {"relu": lambda x, L, E: x.relu(), "abs": lambda x, L, E: x.abs()}
FINALS = {
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "squared-colsum": lambda x: (x.sum(axis=0) ** 2).sum(),
    "tanh-rowsum": lambda x: x.sum(axis=1).tanh().mean(),
    "keepdims": lambda x: x.mean(axis=-1, keepdims=True).sum(),
    "gram": lambda x: (x @ x.T).mean(),
}


@st.composite
def programs(draw, smooth):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    broadcastable = [(m, n), (m, 1), (1, n), (n,), ()]
    names = sorted(STEPS) if smooth else sorted(STEPS) + sorted(KINKED)
    return SimpleNamespace(
        shapes={"X": (m, n), "Mn": (n, n), "Mm": (m, m),
                **{f"L{j}": draw(st.sampled_from(broadcastable)) for j in range(3)}},
        K_shape=draw(st.sampled_from(broadcastable)),
        c=draw(st.floats(-3.0, 3.0)),
        steps=draw(st.lists(st.tuples(st.sampled_from(names), st.integers(0, 2)),
                            min_size=1, max_size=6)),
        final=draw(st.sampled_from(sorted(FINALS))),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def _program_case(prog):
    """The program as a case ``(shapes, f(C, **leaves))`` and its constant array K."""
    K = np.random.default_rng([prog.seed, 1]).normal(size=prog.K_shape)
    ops = {**STEPS, **KINKED}

    def f(C, **v):
        E = SimpleNamespace(c=prog.c, K=C(K), Mn=v["Mn"], Mm=v["Mm"])
        x = v["X"]
        for name, j in prog.steps:
            x = ops[name](x, v[f"L{j}"], E)
        return FINALS[prog.final](x)
    return prog.shapes, f


def _autodiff(f, values):
    """Value and gradients of ``f`` with nnmath.autodiff."""
    leaves = {k: Tensor(v) for k, v in values.items()}
    out = f(_ident, **leaves)
    out.backward()
    return out.item(), {k: t.grad for k, t in leaves.items()}


# -- (a) central differences -------------------------------------------------------------------
def _check_fd(f, values):
    _, grads = _autodiff(f, values)
    for k, g in grads.items():
        assert g.shape == values[k].shape, f"grad of {k} has shape {g.shape}"
    # f is O(1)-O(1e2) and its third derivatives are below ~1e3 for these inputs
    assert_gradient_matches_fd(lambda d: _autodiff(f, d)[0], values, grads, f_scale=1e2,
                               d3=1e3, rtol=1e-6, what="autodiff gradient")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("name", "shapes", "f", "kink"), CASES, ids=[c[0] for c in CASES])
def test_named_expressions_match_central_differences(name, shapes, f, kink, seed):
    _check_fd(f, _leaves(shapes, seed, kink))


@settings(max_examples=examples(25))
@given(programs(smooth=True))
def test_random_programs_match_central_differences(prog):
    shapes, f = _program_case(prog)
    _check_fd(f, _leaves(shapes, prog.seed))


# -- (b) PyTorch in float64 --------------------------------------------------------------------
def _torch(f, values):
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in values.items()}
    out = f(torch.from_numpy, **leaves)
    out.backward()
    return out.item(), {k: (np.zeros_like(values[k]) if t.grad is None else t.grad.numpy())
                        for k, t in leaves.items()}


def _check_torch(f, values):
    if torch is None:
        skip_or_fail("PyTorch is not installed (pip install torch==2.13.0)")
    torch.set_num_threads(1)
    value, grads = _autodiff(f, values)
    ref_value, ref_grads = _torch(f, values)
    scale = max(1.0, abs(ref_value), *(np.abs(g).max(initial=0.0) for g in ref_grads.values()))
    assert_close(value, ref_value, rtol=RTOL, atol=RTOL * scale, what="value vs PyTorch")
    for k, g in grads.items():
        assert_close(g, ref_grads[k], rtol=RTOL, atol=RTOL * scale, what=f"d/d{k} vs PyTorch")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("name", "shapes", "f", "kink"), CASES, ids=[c[0] for c in CASES])
def test_named_expressions_match_pytorch(name, shapes, f, kink, seed):
    _check_torch(f, _leaves(shapes, seed, kink))


@settings(max_examples=examples(100))
@given(programs(smooth=False))
def test_random_programs_match_pytorch(prog):
    shapes, f = _program_case(prog)
    _check_torch(f, _leaves(shapes, prog.seed))


# -- (c) the MLP's hand-written backward pass --------------------------------------------------
RTOL_MLP = 1e-11  # both are NumPy in float64; sums over <= 9 samples and 3 layers: ~1e2 EPS


def _net(layer_sizes, activation, task, l2, l1, seed=0):
    rng = np.random.default_rng(seed)
    net = nm.MLP(layer_sizes, activation=activation, task=task, l2=l2, l1=l1)
    net.init_params(random_state=seed)
    n, d, K = 9, layer_sizes[0], layer_sizes[-1]
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, size=n) if task == "classification" else rng.normal(size=(n, K))
    return net, X, y


@pytest.mark.parametrize("layer_sizes", [[3, 5, 4, 3], [2, 3]])
@pytest.mark.parametrize("penalty", [(0.0, 0.0), (0.1, 0.0), (0.05, 0.02)], ids=["none", "l2",
                                                                               "l2+l1"])
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "identity"])
def test_mlp_gradients_equal_loss_and_grads(activation, task, penalty, layer_sizes):
    net, X, y = _net(layer_sizes, activation, task, *penalty)
    loss, grads = mlp_loss_and_grads(net, X, y)
    ref_loss, ref_grads = net.loss_and_grads(X, y)
    assert_close(loss, ref_loss, rtol=RTOL_MLP, atol=RTOL_MLP, what="loss")  # terms are O(1)
    assert set(grads) == set(ref_grads)
    for k, ref in ref_grads.items():
        assert grads[k].shape == ref.shape
        assert_close(grads[k], ref, rtol=RTOL_MLP, atol=RTOL_MLP * np.abs(ref).max(),
                     what=f"autodiff d/d{k} vs MLP.loss_and_grads")


def test_mlp_loss_by_hand_matches_module_docstring_recipe():
    net, X, y = _net([3, 4, 2], "tanh", "classification", 0.1, 0.0)
    P = {k: Tensor(v) for k, v in net.params.items()}
    loss = mlp_loss(P, X, y, activation=net.activation, task=net.task, l2=net.l2)
    loss.backward()
    _, ref = net.loss_and_grads(X, y)
    assert_close(P["W1"].grad, ref["W1"], rtol=RTOL_MLP, atol=RTOL_MLP * np.abs(ref["W1"]).max())
    # arrays instead of Tensors are constants: same value, nothing to differentiate
    const = mlp_loss(net.params, X, y, "tanh", "classification", l2=0.1)
    assert_close(const.item(), net.loss(X, y), rtol=RTOL_MLP, atol=RTOL_MLP)


def test_losses_match_nnmath_losses():
    rng = np.random.default_rng(3)
    Z, labels = rng.normal(size=(6, 4)) * 30, rng.integers(0, 4, size=6)  # large logits too
    t = Tensor(Z)
    out = softmax_cross_entropy(t, labels)
    out.backward()
    ref, ref_grad = nm.softmax_cross_entropy(Z, labels)
    assert_close(out.item(), ref, rtol=RTOL_MLP, atol=RTOL_MLP * 30)
    assert_close(t.grad, ref_grad, rtol=RTOL_MLP, atol=RTOL_MLP * np.abs(ref_grad).max())
    pred, target = Tensor(rng.normal(size=(5, 2))), rng.normal(size=(5, 2))
    out = mse(pred, target)
    out.backward()
    ref, ref_grad = nm.mse(pred.data, target)
    assert_close(out.item(), ref, rtol=RTOL_MLP)
    assert_close(pred.grad, ref_grad, rtol=RTOL_MLP, atol=RTOL_MLP * np.abs(ref_grad).max())


def test_log_sum_exp_trick_survives_huge_logits():
    t = Tensor([[1000.0, 0.0], [-1000.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in exp
        out = softmax_cross_entropy(t, [0, 0])
        out.backward()
    assert_close(out.item(), 500.0, rtol=10 * EPS)  # (0 + 1000) / 2 up to e^-1000
    assert_close(t.grad, [[0.0, 0.0], [-0.5, 0.5]], rtol=10 * EPS, atol=0.0)


# -- engine behaviour --------------------------------------------------------------------------
def test_gradient_is_summed_back_to_each_operand_shape():
    a, b = Tensor(np.ones((3, 1))), Tensor(np.ones((1, 4)))
    (a * b * 2.0).sum().backward()
    # each a entry is used 4 times, each b entry 3 times: small integers, exact
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 8.0))
    np.testing.assert_array_equal(b.grad, np.full((1, 4), 6.0))


def test_leaves_accumulate_and_intermediates_restart():
    x = Tensor([1.0, 2.0])
    y = x * x
    z = y.sum()
    z.backward()
    z.backward()  # a second pass adds to the leaf, as in PyTorch; y starts again from 0
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # 2 * 2x, exact
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    x.zero_grad()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_shared_subexpression_and_long_chain():
    x = Tensor(0.5)
    y = x
    for _ in range(1500):  # a graph far deeper than Python's recursion limit (1000)
        y = y * 1.0 + x * 0.0
    (y * y).backward()  # y = x: d(x^2)/dx = 2x, exactly
    assert x.grad == 1.0


def test_tensor_basics():
    data = np.arange(6).reshape(2, 3)
    t = Tensor(data)
    data[0, 0] = 99  # Tensor copies its data
    assert t.data.dtype == np.float64 and t.data[0, 0] == 0.0
    assert t.shape == (2, 3) and t.T.shape == (3, 2) and t.grad.shape == (2, 3)
    assert isinstance(np.ones(3) + Tensor(np.ones(3)), Tensor)
    assert isinstance(np.float64(2.0) * t, Tensor)
    assert "Tensor(" in repr(t)


# -- (d) errors --------------------------------------------------------------------------------
def test_backward_on_a_non_scalar_says_to_reduce():
    with pytest.raises(ValueError, match=r"scalar.*shape \(2, 3\).*\.sum\(\)"):
        Tensor(np.ones((2, 3))).backward()


@pytest.mark.parametrize("other", ["a", None, {"x": 1}, 1j])
def test_unsupported_operands_are_named(other):
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=type(other).__name__):
        t + other
    with pytest.raises(TypeError, match=type(other).__name__):
        other * t  # Python hands this to Tensor.__rmul__


def test_power_needs_a_constant_exponent():
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="constant real number"):
        t ** Tensor(2.0)
    with pytest.raises(TypeError, match="constant real number"):
        t ** "2"
    with pytest.raises(TypeError):
        2.0 ** t


def test_matmul_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(3, 4\) @ \(5, 2\).*inner sizes"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"1-D or 2-D"):
        Tensor(np.ones((2, 2, 2))) @ np.ones((2, 2))


def test_bad_data_and_helper_arguments():
    with pytest.raises(TypeError, match="array of numbers"):
        Tensor("abc")
    with pytest.raises(TypeError, match="got a Tensor"):
        Tensor(Tensor(1.0))
    with pytest.raises(TypeError, match="2-D Tensor"):
        softmax_cross_entropy(np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="label 3"):
        softmax_cross_entropy(Tensor(np.ones((2, 3))), [0, 3])
    net, X, y = _net([2, 3], "relu", "classification", 0.0, 0.0)
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        mlp_loss(net.params, X, y, activation="swish")
    with pytest.raises(ValueError, match="Unknown task"):
        mlp_loss(net.params, X, y, task="ranking")
    with pytest.raises(ValueError, match="W1, b1, ..., WL, bL"):
        mlp_loss({"W1": net.params["W1"]}, X, y)
    with pytest.raises(ValueError, match=r"shape \(9, 1\) but the network outputs \(9, 3\)"):
        mlp_loss(net.params, X, np.ones((len(X), 1)), task="regression")
    dropout = nm.MLP([2, 3, 2], dropout=0.5)
    dropout.init_params(random_state=0)
    with pytest.raises(ValueError, match="without dropout or batch_norm"):
        mlp_loss_and_grads(dropout, X, y)
