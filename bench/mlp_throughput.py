"""Part 1: training throughput of ``nm.MLP`` against references, in the same run.

The task: digits (8x8 images, 64 features, 10 classes), standardised, a fixed
stratified 75/25 split; the network 64-64-10 with ReLU; Adam with learning
rate 1e-3; mini-batches of 32, reshuffled every epoch; a fixed number of
epochs; one thread. Every implementation trains the same network on the same
data:

- ``nnmath``: ``nm.MLP(...).fit``, the library the book teaches;
- ``numpy (minimal)``: :func:`numpy_minimal_fit` below, the same maths written as
  one tight loop with no checks and no dictionaries: the yardstick;
- ``scikit-learn``: ``MLPClassifier`` with the same settings;
- ``torch float32`` / ``torch float64``: PyTorch on the CPU, when it is installed;
- ``matmul floor``: only the five matrix products of forward + backward per
  batch, on preallocated arrays. No implementation can be faster than this.

Implementations are run round-robin (one repeat of each, then the next repeat)
so that a burst of load on the machine hits all of them alike; each repeat uses
a different seed. Times are per epoch, medians over the repeats.

Run alone with ``python bench/mlp_throughput.py [--quick] [--profile]``;
``--profile`` prints a pyinstrument profile of ``nm.MLP.fit``.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass

if __name__ == "__main__":  # pin the thread pools before numpy is imported
    from common import pin_one_thread
    pin_one_thread()

import numpy as np
from common import Section, Table, median, ms, timed

LAYERS = [64, 64, 10]


@dataclass(frozen=True)
class Config:
    epochs: int = 40
    batch_size: int = 32
    lr: float = 1e-3
    repeats: int = 7


@dataclass(frozen=True)
class Data:
    Xtr: np.ndarray
    Xte: np.ndarray
    ytr: np.ndarray
    yte: np.ndarray


def load_digits() -> Data:
    """Digits, stratified 75/25 split (seed 0), standardised with the training statistics."""
    import nnmath as nm

    X, y, _ = nm.data.load_dataset("digits")
    Xtr, Xte, ytr, yte = nm.data.train_test_split(X, y, test_size=0.25, stratify=True,
                                                  random_state=0)
    scaler = nm.data.StandardScaler().fit(Xtr)
    return Data(scaler.transform(Xtr), scaler.transform(Xte), ytr.astype(np.int64),
                yte.astype(np.int64))


# -- the implementations: each returns (Times of the training, test accuracy) -----------
def run_nnmath(data: Data, cfg: Config, seed: int):
    import nnmath as nm

    model = nm.MLP(LAYERS, activation="relu", task="classification", lr=cfg.lr,
                   epochs=cfg.epochs, batch_size=cfg.batch_size, optimizer="adam", l2=0.0,
                   random_state=seed)
    times, _ = timed(model.fit, data.Xtr, data.ytr)
    return times, model.score(data.Xte, data.yte)


def numpy_minimal_fit(X, y, epochs, batch_size, lr, seed, hidden=64, beta1=0.9, beta2=0.999,
                      eps=1e-8):
    """The same network, loss and Adam as ``nm.MLP``, as plainly as NumPy allows.

    He-normal weights, zero biases; per batch: forward, mean softmax cross-entropy,
    backward, one Adam step on each of W1, b1, W2, b2 (updated in place).
    Returns the parameters and the per-epoch mean training loss.
    """
    rng = np.random.default_rng(seed)
    n, d = X.shape
    k = int(y.max()) + 1
    W1 = rng.normal(0.0, np.sqrt(2.0 / d), (d, hidden))
    W2 = rng.normal(0.0, np.sqrt(2.0 / hidden), (hidden, k))
    b1, b2 = np.zeros(hidden), np.zeros(k)
    params = [W1, b1, W2, b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t, history = 0, []
    for _ in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb, yb, nb = X[idx], y[idx], idx.size
            rows = np.arange(nb)
            z1 = xb @ W1 + b1
            a1 = np.maximum(z1, 0.0)
            z2 = a1 @ W2 + b2
            z2 -= z2.max(axis=1, keepdims=True)
            e = np.exp(z2)
            s = e.sum(axis=1, keepdims=True)
            total += float(np.sum(np.log(s[:, 0]) - z2[rows, yb]))
            dz2 = e / s
            dz2[rows, yb] -= 1.0
            dz2 /= nb
            da1 = dz2 @ W2.T
            da1[z1 <= 0.0] = 0.0
            grads = [xb.T @ da1, da1.sum(axis=0), a1.T @ dz2, dz2.sum(axis=0)]
            t += 1
            c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
            for p, g, mi, vi in zip(params, grads, m, v, strict=True):
                mi *= beta1
                mi += (1.0 - beta1) * g
                vi *= beta2
                vi += (1.0 - beta2) * (g * g)
                p -= lr * (mi / c1) / (np.sqrt(vi / c2) + eps)
        history.append(total / n)
    return params, history


def run_numpy_minimal(data: Data, cfg: Config, seed: int):
    times, (params, _) = timed(numpy_minimal_fit, data.Xtr, data.ytr, cfg.epochs,
                                 cfg.batch_size, cfg.lr, seed)
    W1, b1, W2, b2 = params
    pred = (np.maximum(data.Xte @ W1 + b1, 0.0) @ W2 + b2).argmax(axis=1)
    return times, float(np.mean(pred == data.yte))


def run_sklearn(data: Data, cfg: Config, seed: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(LAYERS[1],), activation="relu", solver="adam",
                          learning_rate_init=cfg.lr, batch_size=cfg.batch_size, alpha=0.0,
                          max_iter=cfg.epochs, tol=0.0, n_iter_no_change=10**9, shuffle=True,
                          early_stopping=False, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it runs all epochs on purpose
        times, _ = timed(model.fit, data.Xtr, data.ytr)
    if model.n_iter_ != cfg.epochs:
        raise RuntimeError(f"scikit-learn stopped after {model.n_iter_} of {cfg.epochs} epochs")
    return times, float(model.score(data.Xte, data.yte))


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def make_run_torch(dtype_name: str):
    def run_torch(data: Data, cfg: Config, seed: int):
        import torch

        torch.set_num_threads(1)
        dtype = getattr(torch, dtype_name)
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        Xtr = torch.as_tensor(data.Xtr, dtype=dtype)
        ytr = torch.as_tensor(data.ytr, dtype=torch.long)
        model = torch.nn.Sequential(torch.nn.Linear(LAYERS[0], LAYERS[1]), torch.nn.ReLU(),
                                    torch.nn.Linear(LAYERS[1], LAYERS[2])).to(dtype)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        n = Xtr.shape[0]

        def fit():
            for _ in range(cfg.epochs):
                order = torch.randperm(n, generator=gen)
                for start in range(0, n, cfg.batch_size):
                    idx = order[start:start + cfg.batch_size]
                    opt.zero_grad()
                    loss = loss_fn(model(Xtr[idx]), ytr[idx])
                    loss.backward()
                    opt.step()

        times, _ = timed(fit)
        with torch.no_grad():
            pred = model(torch.as_tensor(data.Xte, dtype=dtype)).argmax(dim=1).numpy()
        return times, float(np.mean(pred == data.yte))

    return run_torch


def run_matmul_floor(data: Data, cfg: Config, seed: int):
    """Only the five matrix products of forward + backward per batch, into preallocated arrays."""
    rng = np.random.default_rng(seed)
    n, d = data.Xtr.shape
    h, k = LAYERS[1], LAYERS[2]
    W1, W2 = rng.normal(size=(d, h)), rng.normal(size=(h, k))
    gW1, gW2 = np.empty((d, h)), np.empty((h, k))
    buffers = {}
    for start in range(0, n, cfg.batch_size):
        nb = min(cfg.batch_size, n - start)
        if nb not in buffers:  # (xb, z1, a1, z2, dz2, da1)
            buffers[nb] = (rng.normal(size=(nb, d)), np.empty((nb, h)), rng.normal(size=(nb, h)),
                           np.empty((nb, k)), rng.normal(size=(nb, k)), np.empty((nb, h)))
    sizes = [min(cfg.batch_size, n - s) for s in range(0, n, cfg.batch_size)]

    def epochs():
        for _ in range(cfg.epochs):
            for nb in sizes:
                xb, z1, a1, z2, dz2, da1 = buffers[nb]
                np.matmul(xb, W1, out=z1)        # forward, layer 1
                np.matmul(a1, W2, out=z2)        # forward, layer 2
                np.matmul(a1.T, dz2, out=gW2)    # dW2
                np.matmul(dz2, W2.T, out=da1)    # dA1
                np.matmul(xb.T, da1, out=gW1)    # dW1

    times, _ = timed(epochs)
    return times, None


# -- the benchmark ------------------------------------------------------------------------
def implementations() -> dict:
    impls = {"nnmath": run_nnmath, "numpy (minimal)": run_numpy_minimal,
             "scikit-learn": run_sklearn}
    if torch_available():
        impls["torch float32"] = make_run_torch("float32")
        impls["torch float64"] = make_run_torch("float64")
    impls["matmul floor"] = run_matmul_floor
    return impls


def measure(cfg: Config, data: Data | None = None) -> dict:
    """``{name: {"epoch": [s/epoch...], "cpu": [CPU s/epoch...], "acc": [...]}}``, round-robin."""
    data = data or load_digits()
    impls = implementations()
    warm = Config(epochs=1, batch_size=cfg.batch_size, lr=cfg.lr, repeats=1)
    for run in impls.values():  # first calls pay for imports and caches
        run(data, warm, 0)
    results = {name: {"epoch": [], "cpu": [], "acc": []} for name in impls}
    for seed in range(cfg.repeats):
        for name, run in impls.items():
            times, acc = run(data, cfg, seed)
            results[name]["epoch"].append(times.wall / cfg.epochs)
            results[name]["cpu"].append(times.cpu / cfg.epochs)
            results[name]["acc"].append(acc)
    return results


def run(quick: bool = False) -> Section:
    from threadpoolctl import threadpool_limits

    cfg = Config(repeats=3) if quick else Config()
    data = load_digits()
    with threadpool_limits(limits=1):
        results = measure(cfg, data)
    base = median(results["numpy (minimal)"]["epoch"])
    n_batches = -(-data.Xtr.shape[0] // cfg.batch_size)

    section = Section("MLP training throughput")
    table = Table(["implementation", "time / epoch", "CPU / epoch", "samples / s",
                   "vs numpy (minimal)", "test accuracy (median, min-max)"],
                  caption=(f"digits: {data.Xtr.shape[0]} train / {data.Xte.shape[0]} test, "
                           f"64-64-10 ReLU, Adam lr {cfg.lr:g}, batch {cfg.batch_size} "
                           f"({n_batches} updates per epoch), {cfg.epochs} epochs, 1 thread; "
                           f"median of {cfg.repeats} repeats (seeds 0-{cfg.repeats - 1})"))
    for name, r in results.items():
        t = median(r["epoch"])
        accs = [a for a in r["acc"] if a is not None]
        acc = (f"{median(accs):.3f} ({min(accs):.3f}-{max(accs):.3f})" if accs else "-")
        table.add(name, ms(t), ms(median(r["cpu"])), f"{data.Xtr.shape[0] / t:,.0f}",
                  f"{t / base:.2f}x", acc)
    section.tables.append(table)

    nn = median(results["nnmath"]["epoch"])
    nn_acc = median(results["nnmath"]["acc"])
    cpu_ratio = median(results["nnmath"]["cpu"]) / median(results["numpy (minimal)"]["cpu"])
    section.target("nnmath <= 1.25x the minimal NumPy loop",
                   f"{nn / base:.2f}x (CPU time: {cpu_ratio:.2f}x)", nn <= 1.25 * base)
    sk = median(results["scikit-learn"]["epoch"])
    section.target("nnmath faster than scikit-learn", f"{nn / sk:.2f}x sklearn's time", nn < sk)
    for name in ("torch float32", "torch float64"):
        if name in results:
            tt = median(results[name]["epoch"])
            section.target(f"nnmath faster than {name}", f"{nn / tt:.2f}x its time", nn < tt)
        else:
            section.target(f"nnmath faster than {name}", "PyTorch not installed", None)
    section.target("nnmath test accuracy >= 0.97", f"{nn_acc:.3f} (median)", nn_acc >= 0.97)
    if not torch_available():
        section.notes.append("PyTorch is not installed in .venv (it is not in requirements.txt),"
                             " so its rows are left out.")
    section.notes.append(same_work_note(data, cfg))
    section.notes.append("'matmul floor' times only the five matrix products of forward and "
                         "backward per batch; the gap to it is Python and elementwise work.")
    return section


def same_work_note(data: Data, cfg: Config) -> str:
    """Check that nnmath and the minimal loop do the same work: compare their loss curves."""
    import nnmath as nm

    short = Config(epochs=3, batch_size=cfg.batch_size, lr=cfg.lr)
    model = nm.MLP(LAYERS, lr=short.lr, epochs=short.epochs, batch_size=short.batch_size,
                   optimizer="adam", random_state=0).fit(data.Xtr, data.ytr)
    _, history = numpy_minimal_fit(data.Xtr, data.ytr, short.epochs, short.batch_size,
                                   short.lr, 0)
    diff = float(np.max(np.abs(np.array(model.loss_history_) - history) / np.abs(history)))
    if diff < 1e-9:
        return (f"Same work: with seed 0, nnmath and the minimal loop draw the same weights and "
                f"batches, and their per-epoch losses agree to a relative {diff:.1e}.")
    return (f"The minimal loop's losses differ from nnmath's by up to a relative {diff:.1e} "
            "(different random streams), so the runs are alike but not identical.")


def profile_nnmath(cfg: Config) -> str:
    """A pyinstrument profile of ``nm.MLP.fit`` (text), for finding hot paths."""
    from pyinstrument import Profiler

    data = load_digits()
    run_nnmath(data, Config(epochs=1), 0)
    profiler = Profiler(interval=0.0001)
    with profiler:
        for seed in range(3):
            run_nnmath(data, cfg, seed)
    return profiler.output_text(unicode=False, color=False, show_all=False)


if __name__ == "__main__":
    import argparse

    from common import render

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile nm.MLP.fit and exit")
    args = parser.parse_args()
    if args.profile:
        print(profile_nnmath(Config()))
        sys.exit(0)
    print(render([run(args.quick)], [f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"],
                 markdown=False))
