"""Dropout, batch normalisation, clipping, AdamW, Nesterov and the cosine schedule against PyTorch.

PyTorch (float64, one thread) is the independent reference: ``torch.nn.BatchNorm1d`` in training
and evaluation mode, autograd through a network with a given dropout mask,
``torch.nn.utils.clip_grad_norm_``, ``torch.optim.AdamW``, ``torch.optim.SGD(nesterov=True)`` and
``torch.optim.lr_scheduler.CosineAnnealingLR``. As in ``test_appendix_torch.py`` these tests skip
when torch is missing, except under ``CI=true`` where CI installs it and a missing import fails.

Tolerance: ``RTOL = 1e-10`` relative to the largest entry of each array (an ``atol`` of
``RTOL * max|reference|``: entries near 0, e.g. a bias gradient that batch normalisation makes
zero up to round-off, carry only the absolute round-off of the sums that produce them). Both sides
compute the same formulas in a different order; round-off is ~ (batch size) * eps ~ 1e-14 for one
forward/backward, growing by a modest factor over the few training steps compared here (Adam
divides by sqrt(v), which amplifies round-off where v is small), so 1e-10 keeps a margin of more
than 1000x on every machine.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nnmath as nm
from nnmath import layers
from tests.conftest import skip_or_fail

try:
    import torch
except ImportError:  # optional dependency
    torch = None

RTOL = 1e-10
WORST: dict[str, float] = {}  # comparison -> largest scaled difference seen (printed with -s)


@pytest.fixture(autouse=True)
def _require_torch():
    if torch is None:
        skip_or_fail("PyTorch is not installed (pip install torch==2.13.0)")
    torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope="module")
def _report_worst():
    yield
    if WORST:
        print("\nworst difference / max|reference| against PyTorch:")
        for what, value in sorted(WORST.items()):
            print(f"  {what:<40s} {value:.1e}")


def _np(a):
    return np.asarray(a.detach().numpy() if torch.is_tensor(a) else a, dtype=float)


def check(mine, reference, what, group=None, scale=None):
    """``|mine - reference| <= RTOL * (|reference| + scale)``; records the worst ratio.

    ``scale`` defaults to ``max|reference|``; pass the size of the terms a result is computed
    from where it can be much smaller than they are (cancellation).
    """
    mine, reference = np.asarray(mine, dtype=float), _np(reference)
    scale = max(float(np.abs(reference).max()) if scale is None else scale, 1e-300)
    ratio = float(np.abs(mine - reference).max()) / scale
    key = group or what
    WORST[key] = max(WORST.get(key, 0.0), ratio)
    try:
        np.testing.assert_allclose(mine, reference, rtol=RTOL, atol=RTOL * scale)
    except AssertionError:
        pytest.fail(f"{what} differs from PyTorch (rtol={RTOL}, scaled atol)\n  mine:      "
                    f"{mine!r}\n  reference: {reference!r}")


def T(a):
    return torch.from_numpy(np.array(a, dtype=np.float64))


# -- batch normalisation alone: nnmath.layers against torch.nn.BatchNorm1d ---------------------
@pytest.mark.parametrize(("m", "h", "seed"), [(2, 3, 0), (8, 5, 1), (32, 16, 2), (5, 1, 3)])
def test_batch_norm_layer_matches_batchnorm1d(m, h, seed):
    rng = np.random.default_rng(seed)
    gamma, beta = rng.normal(size=h), rng.normal(size=h)
    bn = torch.nn.BatchNorm1d(h, dtype=torch.float64)  # eps 1e-5, momentum 0.1
    with torch.no_grad():
        bn.weight.copy_(T(gamma))
        bn.bias.copy_(T(beta))
    running_mean, running_var = np.zeros(h), np.ones(h)
    for step in range(4):  # a few training-mode batches, each of another scale and offset
        Z = rng.normal(loc=rng.normal(size=h), scale=rng.uniform(0.1, 5.0, size=h), size=(m, h))
        G = rng.normal(size=(m, h))  # upstream gradient dL/d out, L = sum(G * out)
        out, cache = layers.batch_norm_forward(Z, gamma, beta)
        dZ, dgamma, dbeta = layers.batch_norm_backward(G, cache)
        layers.update_running_stats(running_mean, running_var, cache, m)

        bn.train()
        bn.zero_grad()
        Zt = T(Z).requires_grad_(True)
        out_t = bn(Zt)
        (out_t * T(G)).sum().backward()
        check(out, out_t, f"BN forward (step {step})", "batch norm: forward output")
        # dZ = (m dZhat - sum(dZhat) - Zhat sum(dZhat Zhat)) / (m sigma) cancels: with m = 2
        # the output hardly depends on Z at all. Its round-off is relative to the terms,
        # max|dZhat / sigma|, not to the (small) result.
        check(dZ, Zt.grad, f"BN dZ (step {step})", "batch norm: input gradient dZ",
              scale=float(np.abs(G * gamma / cache["sigma"]).max()))
        check(dgamma, bn.weight.grad, f"BN dgamma (step {step})", "batch norm: dgamma")
        check(dbeta, bn.bias.grad, f"BN dbeta (step {step})", "batch norm: dbeta")
        check(running_mean, bn.running_mean, f"running mean (step {step})",
              "batch norm: running mean")
        check(running_var, bn.running_var, f"running var (step {step})",
              "batch norm: running var (unbiased)")
    bn.eval()
    Z = rng.normal(size=(3, h))
    with torch.no_grad():
        ref = bn(T(Z))
    check(layers.batch_norm_eval(Z, gamma, beta, running_mean, running_var), ref,
          "BN eval output", "batch norm: eval output")


# -- whole networks: nm.MLP against an nn.Sequential with the same weights ----------------------
_ACTS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU",
         "identity": "Identity"}


class _Masked(torch.nn.Module if torch is not None else object):
    """Multiplies by a given dropout mask (a fixed-mask dropout layer)."""

    def __init__(self):
        super().__init__()
        self.mask = None

    def forward(self, a):
        return a if self.mask is None else a * self.mask


def _torch_net(net):
    """``nn.Sequential``: Linear [-> BatchNorm1d] -> activation [-> mask] per hidden layer.

    Before a BatchNorm1d the Linear has no bias (the usual PyTorch idiom): the normalisation
    cancels any shift, so ``nm.MLP`` gives that bias the exact gradient 0 in training mode and it
    stays at its initial 0 (checked by the tests).
    """
    nn = torch.nn
    mods, sizes = [], list(net.layer_sizes)
    L = len(sizes) - 1
    for l in range(1, L + 1):
        has_bias = not (net.batch_norm and l < L)
        lin = nn.Linear(sizes[l - 1], sizes[l], bias=has_bias, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(T(net.params[f"W{l}"].T))  # torch stores (out, in)
            if has_bias:
                lin.bias.copy_(T(net.params[f"b{l}"]))
            else:
                assert not np.any(net.params[f"b{l}"]), "a bias before batch norm must be 0"
        mods.append(lin)
        if l < L:
            if net.batch_norm:
                bn = nn.BatchNorm1d(sizes[l], dtype=torch.float64)
                with torch.no_grad():
                    bn.weight.copy_(T(net.params[f"gamma{l}"]))
                    bn.bias.copy_(T(net.params[f"beta{l}"]))
                    bn.running_mean.copy_(T(net.running_stats_[f"mean{l}"]))
                    bn.running_var.copy_(T(net.running_stats_[f"var{l}"]))
                mods.append(bn)
            mods += [getattr(nn, _ACTS[net.activation])(), _Masked()]
    return nn.Sequential(*mods)


def _of_type(model, kind):
    return [m for m in model if isinstance(m, kind)]


def _torch_loss(model, net, X, y):
    out = model(T(X))
    if net.task == "classification":
        loss = torch.nn.functional.cross_entropy(out, torch.from_numpy(np.asarray(y)))
    else:
        loss = ((out - T(np.reshape(y, (len(y), -1)))) ** 2).sum() / len(y)
    for lin in _of_type(model, torch.nn.Linear):
        loss = loss + 0.5 * net.l2 * (lin.weight ** 2).sum()
    return out, loss


def _torch_grads(model):
    grads = {}
    for l, lin in enumerate(_of_type(model, torch.nn.Linear), start=1):
        grads[f"W{l}"] = lin.weight.grad.numpy().T
        if lin.bias is not None:
            grads[f"b{l}"] = lin.bias.grad.numpy()
    for l, bn in enumerate(_of_type(model, torch.nn.BatchNorm1d), start=1):
        grads[f"gamma{l}"], grads[f"beta{l}"] = bn.weight.grad.numpy(), bn.bias.grad.numpy()
    return grads


def _data(task, n, d, K, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 3 + 1
    y = rng.integers(0, K, size=n) if task == "classification" else rng.normal(size=(n, K))
    return X, y


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "identity"])
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(("sizes", "batch_norm", "dropout", "seed"), [
    ([3, 6, 2], True, 0.0, 0), ([4, 8, 5, 3], True, 0.3, 1), ([4, 7, 5, 3], False, 0.5, 2),
    ([2, 5, 2], True, 0.2, 3)])
def test_mlp_loss_and_gradients_match_autograd(activation, task, sizes, batch_norm, dropout,
                                               seed):
    net = nm.MLP(sizes, activation=activation, task=task, l2=0.01, init="xavier",
                 batch_norm=batch_norm, dropout=dropout, random_state=seed).init_params()
    rng = np.random.default_rng(seed + 10)
    L = len(sizes) - 1
    moved = [f"gamma{l}" for l in range(1, L)] + [f"beta{l}" for l in range(1, L)] + [f"b{L}"]
    if not batch_norm:  # the biases before batch norm stay 0, as in the torch net (no bias)
        moved += [f"b{l}" for l in range(1, L)]
    for k in moved:  # away from their initial values (1 and 0)
        if k in net.params:
            net.params[k] = net.params[k] + 0.3 * rng.normal(size=net.params[k].shape)
    X, y = _data(task, 17, sizes[0], sizes[-1], seed)
    out, cache = net.forward(X, return_cache=True, training=True, rng=seed)
    loss, grads = net.loss_and_grads(X, y, rng=seed)  # the same seed: the same masks
    model = _torch_net(net)
    for l, masked in enumerate(_of_type(model, _Masked), start=1):
        masked.mask = T(cache[f"D{l}"]) if dropout else None
    model.train()
    out_t, loss_t = _torch_loss(model, net, X, y)
    loss_t.backward()
    check(out, out_t, "training-mode output", "MLP (BN/dropout): training-mode output")
    check(loss, loss_t.item(), "loss", "MLP (BN/dropout): loss")
    ref = _torch_grads(model)
    for k in set(grads) - set(ref):  # the biases before batch norm: exactly 0 by the maths
        assert k[0] == "b" and batch_norm
        np.testing.assert_array_equal(grads[k], 0.0)
    for k in ref:
        check(grads[k], ref[k], f"d{k}", "MLP (BN/dropout): gradients")


@pytest.mark.parametrize(("optimizer", "seed"), [("sgd", 0), ("adam", 1), ("adamw", 2),
                                                 ("nesterov", 3)])
def test_mlp_batch_norm_training_running_stats_and_eval_match_torch(optimizer, seed):
    X, y = nm.data.make_spiral(n_samples=90, n_classes=3, random_state=seed)
    net = nm.MLP([2, 8, 6, 3], activation="tanh", batch_norm=True, optimizer=optimizer, lr=0.05,
                 epochs=3, batch_size=16, l2=1e-3, random_state=seed).init_params()
    model = _torch_net(net)
    params = list(model.parameters())
    opt_t = {"sgd": lambda: torch.optim.SGD(params, lr=0.05),
             "adam": lambda: torch.optim.Adam(params, lr=0.05),
             "adamw": lambda: torch.optim.AdamW(params, lr=0.05),  # weight_decay 0.01 both
             "nesterov": lambda: torch.optim.SGD(params, lr=0.05, momentum=0.9,
                                                 nesterov=True)}[optimizer]()
    rng_t = copy.deepcopy(net._rng)  # the stream fit shuffles with, from here on
    net.fit(X, y)
    model.train()
    for _ in range(3):  # 3 epochs of 6 batches (the last one of 10 samples)
        for idx in nm.training.minibatches(len(y), 16, rng_t):
            opt_t.zero_grad()
            _torch_loss(model, net, X[idx], y[idx])[1].backward()
            opt_t.step()
    for l, lin in enumerate(_of_type(model, torch.nn.Linear), start=1):
        check(net.params[f"W{l}"], lin.weight.detach().numpy().T, f"W{l}",
              "MLP fit with BN: parameters")
        if lin.bias is None:  # before batch norm: gradient exactly 0, so it stays 0
            np.testing.assert_array_equal(net.params[f"b{l}"], 0.0)
        else:
            check(net.params[f"b{l}"], lin.bias, f"b{l}", "MLP fit with BN: parameters")
    for l, bn in enumerate(_of_type(model, torch.nn.BatchNorm1d), start=1):
        check(net.params[f"gamma{l}"], bn.weight, f"gamma{l}", "MLP fit with BN: parameters")
        check(net.params[f"beta{l}"], bn.bias, f"beta{l}", "MLP fit with BN: parameters")
        check(net.running_stats_[f"mean{l}"], bn.running_mean, f"running mean{l}",
              "MLP fit with BN: running statistics")
        check(net.running_stats_[f"var{l}"], bn.running_var, f"running var{l}",
              "MLP fit with BN: running statistics")
    model.eval()
    with torch.no_grad():
        ref = model(T(X))
    check(net.forward(X), ref, "eval-mode forward", "MLP fit with BN: eval forward / predict")
    check(net.predict_proba(X[:1]), torch.softmax(ref[:1], dim=1), "predict_proba of one row",
          "MLP fit with BN: eval forward / predict")


# -- gradient clipping and weight clipping ------------------------------------------------------
@pytest.mark.parametrize("max_norm", [1e-3, 0.5, 3.0, 1e3])
@pytest.mark.parametrize("seed", [0, 1])
def test_clip_grad_norm_matches_torch(max_norm, seed):
    rng = np.random.default_rng(seed)
    shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}
    grads = {k: rng.normal(size=s) for k, s in shapes.items()}
    tensors = [T(g).requires_grad_(True) for g in grads.values()]
    for t, g in zip(tensors, grads.values(), strict=True):
        t.grad = T(g)
    before = {k: g.copy() for k, g in grads.items()}
    total = nm.optim.clip_grad_norm(grads, max_norm)
    total_t = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    check(total, total_t.item(), "total norm", "clip_grad_norm: total norm")
    for (k, g), t in zip(grads.items(), tensors, strict=True):
        check(g, t.grad, f"clipped {k}", "clip_grad_norm: clipped gradients")
    if max_norm >= 1e3:  # far below the threshold: untouched, bit for bit
        for k in grads:
            np.testing.assert_array_equal(grads[k], before[k])


def test_clip_weights_matches_clamp():
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(5, 4)), "b1": rng.normal(size=4)}
    tensors = {k: T(v) for k, v in params.items()}
    nm.optim.clip_weights(params, 0.7)
    for k, t in tensors.items():
        t.clamp_(-0.7, 0.7)
        np.testing.assert_array_equal(params[k], t.numpy())  # clamping is exact


# -- optimisers and the cosine schedule -------------------------------------------------------
def _quadratic_run(opt_np, make_opt_t, steps=25, seed=0, schedule_t=None):
    """Both optimisers on the same random quadratic-plus-quartic loss, from the same start."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(5, 5))
    A = A @ A.T / 5 + np.eye(5)
    theta0 = {"W": rng.normal(size=(5, 3)), "b": rng.normal(size=3)}

    def grad(p):  # of 0.5 tr(W^T A W) + 0.25 sum(W^4) + 0.5 |b - 1|^2
        return {"W": A @ p["W"] + p["W"] ** 3, "b": p["b"] - 1.0}

    params = {k: v.copy() for k, v in theta0.items()}
    tensors = {k: T(v).requires_grad_(True) for k, v in theta0.items()}
    opt_t = make_opt_t(list(tensors.values()))
    sched = schedule_t(opt_t) if schedule_t else None
    for _ in range(steps):
        opt_np.step(params, grad(params))
        g = grad({k: v.detach().numpy() for k, v in tensors.items()})
        for k, t in tensors.items():
            t.grad = T(g[k])
        opt_t.step()
        if sched:
            sched.step()
    return params, tensors


@pytest.mark.parametrize(("lr", "wd", "betas", "eps"), [(0.01, 0.01, (0.9, 0.999), 1e-8),
                                                        (0.05, 0.3, (0.8, 0.99), 1e-6),
                                                        (0.1, 0.0, (0.9, 0.999), 1e-8)])
def test_adamw_matches_torch(lr, wd, betas, eps):
    opt = nm.AdamW(lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, weight_decay=wd)
    params, tensors = _quadratic_run(
        opt, lambda p: torch.optim.AdamW(p, lr=lr, betas=betas, eps=eps, weight_decay=wd))
    for k in params:
        check(params[k], tensors[k], f"AdamW {k}", "AdamW: parameters after 25 steps")


@pytest.mark.parametrize(("lr", "beta"), [(0.01, 0.9), (0.05, 0.5), (0.002, 0.99)])
def test_nesterov_matches_torch_sgd_nesterov(lr, beta):
    params, tensors = _quadratic_run(
        nm.Nesterov(lr=lr, beta=beta),
        lambda p: torch.optim.SGD(p, lr=lr, momentum=beta, nesterov=True))
    for k in params:
        check(params[k], tensors[k], f"Nesterov {k}", "Nesterov: parameters after 25 steps")


@pytest.mark.parametrize("total", [1, 7, 40])
@pytest.mark.parametrize("final", [0.0, 0.1])
def test_cosine_decay_equals_cosine_annealing_lr(total, final):
    ours = nm.optim.cosine_decay(total, final)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=final)
    ref = []
    for _ in range(total + 1):  # t = 0..total; afterwards torch climbs back up, we stay
        ref.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    # torch updates the rate recursively (a product of ratios of 1 + cos), accumulating an
    # absolute round-off of a few eps per step: compare with atol ~ 10 * total * eps
    mine = [ours(t) for t in range(total + 1)]
    np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=10 * (total + 1) * 2.2e-16)
    WORST["cosine_decay: multipliers"] = max(WORST.get("cosine_decay: multipliers", 0.0),
                                             float(np.max(np.abs(np.subtract(mine, ref)))))


def test_adamw_with_cosine_schedule_matches_torch():
    opt = nm.AdamW(lr=0.05, weight_decay=0.1, schedule=nm.optim.cosine_decay(20, 0.05))
    params, tensors = _quadratic_run(
        opt, lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1), steps=20,
        schedule_t=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 20, eta_min=0.0025))
    for k in params:  # 20 steps: past T_max torch's rate would climb back up, ours stays
        check(params[k], tensors[k], f"AdamW+cosine {k}", "AdamW + cosine schedule")


def test_mlp_with_adamw_and_clipping_matches_torch_loop():
    X, y = nm.data.make_moons(64, noise=0.2, random_state=0)
    net = nm.MLP([2, 8, 2], activation="tanh", optimizer="adamw", lr=0.05, weight_decay=0.2,
                 clip_grad_norm=0.5, epochs=4, batch_size=16, random_state=0).init_params()
    model = _torch_net(net)
    opt_t = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.2)
    rng_t = copy.deepcopy(net._rng)
    net.fit(X, y)
    for _ in range(4):
        for idx in nm.training.minibatches(len(y), 16, rng_t):
            opt_t.zero_grad()
            _torch_loss(model, net, X[idx], y[idx])[1].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt_t.step()
    for l, lin in enumerate(_of_type(model, torch.nn.Linear), start=1):
        check(net.params[f"W{l}"], lin.weight.detach().numpy().T, f"W{l}",
              "MLP(adamw, clip_grad_norm) fit: parameters")
        check(net.params[f"b{l}"], lin.bias, f"b{l}", "MLP(adamw, clip_grad_norm) fit: parameters")
