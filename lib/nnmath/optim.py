"""Optimisers and learning-rate schedules (chapter 6; plain SGD from chapter 3 on).

An optimiser is a small object with one rule, ``step(params, grads)``, that
updates a dict of parameter arrays **in place** from a dict of gradients with
the same keys. Its state (velocities, running averages) is kept per key, so
one optimiser serves a linear model (``{"w", "b"}``) and an MLP
(``{"W1", "b1", ...}``) alike.

Update rules, with :math:`g` the gradient and :math:`\\eta` the learning rate:

- SGD: :math:`\\theta \\leftarrow \\theta - \\eta g`
- Momentum: :math:`v \\leftarrow \\beta v + g,\\ \\theta \\leftarrow \\theta - \\eta v`
- RMSProp: :math:`s \\leftarrow \\rho s + (1-\\rho) g^2,\\
  \\theta \\leftarrow \\theta - \\eta g / (\\sqrt{s} + \\epsilon)`
- Adam: first and second moment averages with bias correction (Kingma and Ba, 2015).

A schedule is a function ``step -> multiplier`` applied to the base learning
rate; pass it as ``schedule=``. Left out: Nesterov momentum, AdamW, gradient
clipping by norm.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_option, check_positive

__all__ = [
    "Optimizer", "SGD", "Momentum", "RMSProp", "Adam", "OPTIMIZERS", "make_optimizer",
    "constant", "step_decay", "exponential_decay", "warmup",
]


def _check_fraction(value, name: str) -> float:
    """A decay rate such as ``beta``: a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1), got {type(value).__name__} "
                        f"{value!r}.")
    value = float(value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}. Typical values are 0.9 "
                         "or 0.99; 1 or more would let old gradients grow without bound.")
    return value


class Optimizer:
    """Base class: holds the learning rate, the schedule and the step count ``t``."""

    def __init__(self, lr=0.01, schedule=None):
        self.lr = check_positive(lr, "lr")
        if schedule is not None and not callable(schedule):
            raise TypeError(f"schedule must be a function of the step number, got "
                            f"{type(schedule).__name__}. Use one of nnmath.optim.step_decay, "
                            "exponential_decay or warmup, or any function t -> multiplier.")
        self.schedule = schedule
        self.t = 0

    def reset(self) -> None:
        """Forget the step count and all running averages (start afresh)."""
        self.t = 0
        for name, value in vars(self).items():
            if name.startswith("_") and isinstance(value, dict):
                value.clear()

    @property
    def current_lr(self) -> float:
        """The learning rate used by the next step."""
        return self.lr * (self.schedule(self.t) if self.schedule else 1.0)

    def step(self, params: dict, grads: dict) -> None:
        """Update ``params`` in place from ``grads`` (same keys and shapes)."""
        missing = set(params) ^ set(grads)
        if missing:
            raise ValueError(f"params and grads must have the same keys; these differ: "
                             f"{sorted(missing)}. Pass the gradients computed for these very "
                             "parameters (e.g. from loss_and_grads).")
        lr = self.current_lr
        if not np.isfinite(lr) or lr < 0:
            raise ValueError(f"The schedule gave the multiplier {lr / self.lr!r} at step "
                             f"{self.t}; it must be a finite number >= 0.")
        for k in params:
            if not isinstance(params[k], np.ndarray) or params[k].dtype.kind != "f":
                raise TypeError(f"params[{k!r}] must be a float NumPy array (it is updated in "
                                f"place), got {type(params[k]).__name__}. Convert it with "
                                "np.asarray(value, dtype=float).")
            if np.shape(grads[k]) != np.shape(params[k]):
                raise ValueError(f"grads[{k!r}] has shape {np.shape(grads[k])} but params[{k!r}] "
                                 f"has shape {np.shape(params[k])}; they must match.")
        self.t += 1
        for k in params:
            params[k] -= self._delta(k, np.asarray(grads[k], dtype=np.float64), lr)

    def _delta(self, key, g, lr):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                         if not k.startswith("_") and k != "t")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Plain (stochastic) gradient descent: step against the gradient."""

    def _delta(self, key, g, lr):
        return lr * g


class Momentum(Optimizer):
    """Gradient descent with momentum (heavy ball): a velocity accumulates gradients."""

    def __init__(self, lr=0.01, beta=0.9, schedule=None):
        super().__init__(lr, schedule)
        self.beta = _check_fraction(beta, "beta")
        self._v = {}

    def _delta(self, key, g, lr):
        if key not in self._v:
            self._v[key] = np.zeros_like(g)
        v = self._v[key]
        v *= self.beta
        v += g
        return lr * v


class RMSProp(Optimizer):
    """Divide each step by a running root-mean-square of that parameter's gradients."""

    def __init__(self, lr=0.001, rho=0.9, eps=1e-8, schedule=None):
        super().__init__(lr, schedule)
        self.rho = _check_fraction(rho, "rho")
        self.eps = check_positive(eps, "eps")
        self._s = {}

    def _delta(self, key, g, lr):
        if key not in self._s:
            self._s[key] = np.zeros_like(g)
        s = self._s[key]
        s *= self.rho
        s += (1 - self.rho) * (g * g)
        return lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSProp scaling, both bias-corrected."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, schedule=None):
        super().__init__(lr, schedule)
        self.beta1 = _check_fraction(beta1, "beta1")
        self.beta2 = _check_fraction(beta2, "beta2")
        self.eps = check_positive(eps, "eps")
        self._m, self._v = {}, {}

    def _delta(self, key, g, lr):
        if key not in self._m:
            self._m[key], self._v[key] = np.zeros_like(g), np.zeros_like(g)
        m, v = self._m[key], self._v[key]
        # the running averages are updated in place: no new arrays per step for them
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * (g * g)
        t = self.t  # already incremented: 1 on the first step
        m_hat = m / (1 - self.beta1 ** t)
        v_hat = v / (1 - self.beta2 ** t)
        return lr * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(optimizer, lr, schedule=None) -> Optimizer:
    """An optimiser from a name in :data:`OPTIMIZERS` or a ready-made instance.

    A name gets a fresh object with ``lr``; an instance is used as it is (its own
    ``lr`` wins) so its settings such as ``beta`` can be chosen.
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    check_option(optimizer, OPTIMIZERS, "optimizer")
    return OPTIMIZERS[optimizer](lr=lr, schedule=schedule)


# -- learning-rate schedules: step number (from 0) -> multiplier of the base rate ----------
def constant():
    """Multiplier 1 at every step."""
    return lambda t: 1.0


def step_decay(every: int, factor: float = 0.5):
    """Multiply the rate by ``factor`` every ``every`` steps: ``factor ** (t // every)``."""
    every = check_int(every, "every")
    check_positive(factor, "factor")
    return lambda t: factor ** (t // every)


def exponential_decay(rate: float):
    """Multiplier ``exp(-rate * t)``."""
    check_positive(rate, "rate", allow_zero=True)
    return lambda t: float(np.exp(-rate * t))


def warmup(steps: int, then=None):
    """Rise linearly from ``1/steps`` to 1 over ``steps`` steps, then follow ``then``."""
    steps = check_int(steps, "steps")
    if then is not None and not callable(then):
        raise TypeError(f"then must be a schedule (a function of the step number), got "
                        f"{type(then).__name__}.")
    after = then or constant()
    return lambda t: (t + 1) / steps if t < steps else after(t - steps)
