"""nnmath against PyTorch in float64 (appendix "From NumPy to PyTorch").

PyTorch's autograd is an independent reference for the hand-written backward pass of
:class:`nnmath.MLP`, and ``torch.optim`` for the optimisers and schedules. PyTorch is not a
requirement of the book: these tests skip when it is missing, except under ``CI=true``, where
CI installs it and a missing import is a failure.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnmath as nm
from tests.conftest import EPS, assert_close, skip_or_fail

try:
    import torch
except ImportError:  # optional dependency
    torch = None

# float64 round-off relative to the largest entry of each array: sums of <= 23 samples times
# a few layers' terms, ~1e2 EPS at worst, so 1e-12 (4500 EPS) leaves a margin > 10
RTOL = 1e-12


@pytest.fixture(autouse=True)
def _require_torch():
    if torch is None:
        skip_or_fail("PyTorch is not installed (pip install torch==2.13.0)")
    torch.set_num_threads(1)


def _torch_mlp(net):
    """An nn.Sequential with the architecture and the current weights of ``net``."""
    nn = torch.nn
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
           "leaky_relu": nn.LeakyReLU, "identity": nn.Identity}[net.activation]
    layers = []
    sizes = list(net.layer_sizes)
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        lin = nn.Linear(fan_in, fan_out, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(net.params[f"W{l}"].T))  # (out, in)
            lin.bias.copy_(torch.from_numpy(net.params[f"b{l}"]))
        layers += [lin, act()]
    return nn.Sequential(*layers[:-1])


def _linears(model):
    return [m for m in model if isinstance(m, torch.nn.Linear)]


def _torch_loss(model, net, X, y):
    out = model(torch.from_numpy(X))
    if net.task == "classification":
        loss = torch.nn.functional.cross_entropy(out, torch.from_numpy(y))
    else:
        target = torch.from_numpy(np.asarray(y, dtype=float).reshape(len(y), -1))
        loss = ((out - target) ** 2).sum() / len(y)
    for layer in _linears(model):
        loss = loss + 0.5 * net.l2 * (layer.weight ** 2).sum() + net.l1 * layer.weight.abs().sum()
    return out, loss


def _assert_scaled(mine, reference, what):
    reference = np.asarray(reference)
    assert_close(mine, reference, rtol=RTOL, atol=RTOL * max(np.abs(reference).max(), 1e-300),
                 what=what)


def _data(task, n, d, K, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, size=n) if task == "classification" else rng.normal(size=(n, K))
    return X, y


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "identity"])
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(("sizes", "seed"), [([3, 5, 2], 0), ([4, 8, 6, 3], 1), ([2, 1], 2)])
def test_forward_loss_and_gradients_match_autograd(activation, task, sizes, seed):
    net = nm.MLP(sizes, activation=activation, task=task, l2=0.01, l1=0.003,
                 init="xavier", random_state=seed).init_params()
    X, y = _data(task, 23, sizes[0], sizes[-1], seed)
    loss, grads = net.loss_and_grads(X, y)
    model = _torch_mlp(net)
    out, loss_t = _torch_loss(model, net, X, y)
    loss_t.backward()
    _assert_scaled(net.forward(X), out.detach().numpy(), "forward")
    _assert_scaled(loss, loss_t.item(), "loss")
    for l, layer in enumerate(_linears(model), start=1):
        _assert_scaled(grads[f"W{l}"], layer.weight.grad.numpy().T, f"dW{l}")
        _assert_scaled(grads[f"b{l}"], layer.bias.grad.numpy(), f"db{l}")


def _optimizer_pair(name, lr):
    if name == "sgd":
        return nm.SGD(lr=lr), lambda p: torch.optim.SGD(p, lr=lr)
    if name == "momentum":
        return nm.Momentum(lr=lr, beta=0.8), lambda p: torch.optim.SGD(p, lr=lr, momentum=0.8)
    if name == "rmsprop":
        return (nm.RMSProp(lr=lr, rho=0.9, eps=1e-8),
                lambda p: torch.optim.RMSprop(p, lr=lr, alpha=0.9, eps=1e-8))
    return (nm.Adam(lr=lr, beta1=0.9, beta2=0.999, eps=1e-8),
            lambda p: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.999), eps=1e-8))


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("seed", [0, 1])
def test_minibatch_training_steps_match_torch_optim(name, seed):
    X, y = nm.data.make_spiral(n_samples=90, n_classes=3, random_state=seed)
    net = nm.MLP([2, 8, 3], activation="tanh", l2=1e-3, random_state=seed).init_params()
    model = _torch_mlp(net)
    opt_np, make_torch_opt = _optimizer_pair(name, lr=0.05)
    opt_t = make_torch_opt(model.parameters())
    rng_np, rng_t = np.random.default_rng(seed), np.random.default_rng(seed)
    for _ in range(4):  # epochs of batches of 16: 24 updates
        for idx in nm.training.minibatches(len(y), 16, rng_np):
            opt_np.step(net.params, net.loss_and_grads(X[idx], y[idx])[1])
        for idx in nm.training.minibatches(len(y), 16, rng_t):
            opt_t.zero_grad()
            _torch_loss(model, net, X[idx], y[idx])[1].backward()
            opt_t.step()
    for l, layer in enumerate(_linears(model), start=1):
        # after 24 steps the gap is still pure round-off (measured ~1e-16 of the weights' scale)
        _assert_scaled(net.params[f"W{l}"], layer.weight.detach().numpy().T, f"W{l}")
        _assert_scaled(net.params[f"b{l}"], layer.bias.detach().numpy(), f"b{l}")


def _torch_factors(make_scheduler, n_steps):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = make_scheduler(opt)
    factors = []
    for _ in range(n_steps):
        factors.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return factors


@pytest.mark.parametrize("steps", [1, 3, 10])
def test_warmup_equals_linear_lr(steps):
    ours = nm.optim.warmup(steps)
    ref = _torch_factors(
        lambda o: torch.optim.lr_scheduler.LinearLR(o, 1 / steps, 1.0, max(steps - 1, 1)), 25)
    assert_close([ours(t) for t in range(25)], ref, rtol=1e-12, what="warmup multipliers")


@pytest.mark.parametrize(("every", "factor"), [(1, 0.9), (4, 0.5), (7, 0.1)])
def test_step_decay_equals_step_lr(every, factor):
    ours = nm.optim.step_decay(every, factor)
    ref = _torch_factors(lambda o: torch.optim.lr_scheduler.StepLR(o, every, gamma=factor), 30)
    assert_close([ours(t) for t in range(30)], ref, rtol=1e-12, what="step decay multipliers")


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.3])
def test_exponential_decay_equals_exponential_lr(rate):
    ours = nm.optim.exponential_decay(rate)
    ref = _torch_factors(
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=float(np.exp(-rate))), 30)
    assert_close([ours(t) for t in range(30)], ref, rtol=1e-12, what="exponential multipliers")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_activations_and_losses_match_torch(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=20, size=(15, 4))
    zt = torch.from_numpy(z)
    F = torch.nn.functional
    pairs = {
        "sigmoid": (nm.sigmoid(z), torch.sigmoid(zt)),
        "tanh": (nm.tanh(z), torch.tanh(zt)),
        "relu": (nm.relu(z), torch.relu(zt)),
        "leaky_relu": (nm.leaky_relu(z), F.leaky_relu(zt)),
        "softmax": (nm.softmax(z), torch.softmax(zt, dim=1)),
        "log_softmax": (nm.log_softmax(z), torch.log_softmax(zt, dim=1)),
        "log_sigmoid": (nm.log_sigmoid(z), F.logsigmoid(zt)),
    }
    for name, (mine, ref) in pairs.items():
        # log_softmax and log_sigmoid of a dominant entry are tiny (log(1 + 1e-10)) and carry
        # an ABSOLUTE error of ~EPS times the size of the shifted logits; the others are
        # accurate to a few EPS relative (z - max rounds to EPS |z|: rtol 1e-12 is > 10x that)
        atol = 10 * EPS * (1 + np.abs(z).max()) if name.startswith("log") else 1e-300
        assert_close(mine, ref.numpy(), rtol=1e-12, atol=atol, what=name)
    labels = rng.integers(0, 4, size=15)
    y01 = rng.integers(0, 2, size=(15, 4)).astype(float)
    target = rng.normal(size=(15, 4))
    losses = {
        "softmax_cross_entropy": (nm.softmax_cross_entropy(z, labels)[0],
                                  F.cross_entropy(zt, torch.from_numpy(labels))),
        "bce_with_logits": (nm.binary_cross_entropy_with_logits(z, y01)[0] / 4,
                            F.binary_cross_entropy_with_logits(zt, torch.from_numpy(y01))),
        # nm.mse sums over the 4 outputs; torch's mean runs over all 60 entries
        "mse": (nm.mse(z, target)[0] / 4, F.mse_loss(zt, torch.from_numpy(target))),
    }
    for name, (mine, ref) in losses.items():
        assert_close(mine, ref.item(), rtol=1e-12, what=name)
