"""Optimisers and learning-rate schedules (chapter 7; plain SGD from chapter 4 on).

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
- Nesterov: :math:`v \\leftarrow \\beta v + g,\\ \\theta \\leftarrow \\theta - \\eta (g + \\beta v)`
  (PyTorch's form of the look-ahead step; see :class:`Nesterov`)
- Adam: first and second moment averages with bias correction (Kingma and Ba, 2015).
- AdamW: Adam with decoupled weight decay
  :math:`\\theta \\leftarrow (1 - \\eta\\alpha)\\theta` before the Adam step
  (Loshchilov and Hutter, 2019).

Each rule is the one of ``torch.optim`` with the same hyperparameters (the tests
compare them). A schedule is a function ``step -> multiplier`` applied to the base
learning rate; pass it as ``schedule=``. Two guards against large steps act on
the parameter dicts directly: :func:`clip_grad_norm` (rescale all gradients
together when their global norm is too large) and :func:`clip_weights` (clamp
parameters to ``[-c, c]``). Left out: AdaGrad, Nadam, per-parameter-group settings,
clipping by value.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_int, check_option, check_positive

__all__ = [
    "Optimizer", "SGD", "Momentum", "Nesterov", "RMSProp", "Adam", "AdamW", "OPTIMIZERS",
    "DECAYING_OPTIMIZERS", "ALL_OPTIMIZERS",
    "make_optimizer", "clip_grad_norm", "clip_weights",
    "constant", "step_decay", "exponential_decay", "warmup", "cosine_decay",
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
                            "exponential_decay, warmup or cosine_decay, or any function "
                            "t -> multiplier.")
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
            self._update(k, params[k], np.asarray(grads[k], dtype=np.float64), lr)

    def _update(self, key, param, g, lr):
        """Change ``param`` in place; most rules subtract a step that ignores ``param``."""
        param -= self._delta(key, g, lr)

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

    def _velocity(self, key, g):
        """v <- beta * v + g, in place; the state both momentum rules share."""
        if key not in self._v:
            self._v[key] = np.zeros_like(g)
        v = self._v[key]
        v *= self.beta
        v += g
        return v

    def _delta(self, key, g, lr):
        return lr * self._velocity(key, g)


class Nesterov(Momentum):
    """Nesterov momentum: the gradient step taken from the point momentum leads to.

    The look-ahead form evaluates the gradient at ``theta - lr * beta * v``::

        v <- beta * v + grad f(theta - lr * beta * v);    theta <- theta - lr * v

    Written for the look-ahead point ``phi = theta - lr * beta * v`` instead (the
    parameters this object stores), the same iteration becomes, with
    ``g = grad f(phi)``::

        v <- beta * v + g;    phi <- phi - lr * (g + beta * v)

    which needs the gradient only at the stored parameters. This second form is the
    one of ``torch.optim.SGD(momentum=beta, nesterov=True)`` (dampening 0), and the
    two forms visit the same look-ahead points. Substituting ``beta * v_old =
    v_new - g`` into ``phi_new = theta_new - lr * beta * v_new`` proves it.
    """

    def _delta(self, key, g, lr):
        return lr * (g + self.beta * self._velocity(key, g))


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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Each step first shrinks every parameter, ``theta <- (1 - lr * weight_decay) * theta``
    (``lr`` is the scheduled rate of that step), then takes the Adam step of
    :class:`Adam`, whose gradient does **not** contain the decay. With an L2 penalty
    in the loss instead (``MLP(l2=...)`` with :class:`Adam`), the decay would pass
    through Adam's per-parameter scaling and be weakened where gradients are large.

    The update is the one of ``torch.optim.AdamW`` (same defaults); like it, the decay
    applies to every array passed to :meth:`step`, biases included.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                 schedule=None):
        super().__init__(lr, beta1, beta2, eps, schedule)
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)

    def _update(self, key, param, g, lr):
        param *= 1.0 - lr * self.weight_decay
        param -= self._delta(key, g, lr)


#: The rules that follow the loss's gradient alone: each converges to a minimum of the loss.
OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "rmsprop": RMSProp,
              "adam": Adam}
#: Rules that also regularise: decoupled weight decay pulls the parameters towards 0, so
#: they settle where the decay balances the gradient, not at the loss's minimum.
DECAYING_OPTIMIZERS = {"adamw": AdamW}
#: Every name :func:`make_optimizer` and ``MLP(optimizer=...)`` accept.
ALL_OPTIMIZERS = {**OPTIMIZERS, **DECAYING_OPTIMIZERS}


def make_optimizer(optimizer, lr, schedule=None, **options) -> Optimizer:
    """An optimiser from a name in :data:`ALL_OPTIMIZERS` or a ready-made instance.

    A name gets a fresh object with ``lr`` and ``options`` (such as
    ``weight_decay=0.1`` for ``"adamw"``); an instance is used as it is (its own
    ``lr`` wins) so its settings such as ``beta`` can be chosen.
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    check_option(optimizer, ALL_OPTIMIZERS, "optimizer")
    return ALL_OPTIMIZERS[optimizer](lr=lr, schedule=schedule, **options)


# -- guards against large steps: in place on a dict of arrays --------------------------------
def _check_array_dict(arrays, name):
    if not isinstance(arrays, dict):
        raise TypeError(f"{name} must be a dict of NumPy arrays such as the one returned by "
                        f"loss_and_grads, got {type(arrays).__name__}.")
    for k, v in arrays.items():
        if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
            raise TypeError(f"{name}[{k!r}] must be a float NumPy array (it is changed in "
                            f"place), got {type(v).__name__}. Convert it with "
                            "np.asarray(value, dtype=float).")


def _clip_grad_norm(grads, max_norm):
    total = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return total


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Rescale all gradients together, in place, to a global L2 norm of at most ``max_norm``.

    The norm is taken over every entry of every array,
    ``total = sqrt(sum_k sum(grads[k]**2))``. When ``max_norm / (total + 1e-6) < 1``
    every array is multiplied by that factor, which keeps the direction of the whole
    gradient and makes its norm just below ``max_norm``; otherwise nothing changes.
    These are the semantics of ``torch.nn.utils.clip_grad_norm_`` (the ``1e-6`` too).

    Parameters
    ----------
    grads : dict of str -> ndarray (float)
        Gradients, e.g. from ``MLP.loss_and_grads``; changed in place.
    max_norm : float > 0

    Returns
    -------
    float
        The global norm **before** clipping (handy to log).
    """
    _check_array_dict(grads, "grads")
    max_norm = check_positive(max_norm, "max_norm")
    return _clip_grad_norm(grads, max_norm)


def clip_weights(params: dict, c: float, which: str = "all") -> int:
    """Clamp parameters into ``[-c, c]``, in place (weight clipping).

    Parameters
    ----------
    params : dict of str -> ndarray (float)
        Changed in place.
    c : float > 0
    which : {"all", "weights"}
        ``"all"`` (default) clips every array, biases included, as the clipping in
        the source articles and in PyTorch code that clamps every
        ``model.parameters()`` does. ``"weights"`` clips only the weight matrices,
        the keys starting with ``"W"`` or ``"w"``.

    Returns
    -------
    int
        How many entries were outside ``[-c, c]`` and have been moved to its edge.
    """
    _check_array_dict(params, "params")
    c = check_positive(c, "c")
    check_option(which, ("all", "weights"), "which")
    n_clipped = 0
    for k, v in params.items():
        if which == "all" or k[:1] in ("W", "w"):
            n_clipped += int(np.count_nonzero(np.abs(v) > c))
            np.clip(v, -c, c, out=v)
    return n_clipped


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


def cosine_decay(total_steps: int, final: float = 0.0):
    """Half a cosine from 1 down to ``final`` over ``total_steps`` steps, then ``final``.

    Multiplier ``final + (1 - final) * (1 + cos(pi * t / total_steps)) / 2`` for
    ``t <= total_steps``: the multipliers of ``torch.optim.lr_scheduler.CosineAnnealingLR``
    with ``T_max=total_steps`` and ``eta_min=final * lr``. After ``total_steps`` it stays
    at ``final`` (as Keras's ``CosineDecay``), where PyTorch's would climb back up the
    cosine.
    """
    total_steps = check_int(total_steps, "total_steps")
    final = check_positive(final, "final", allow_zero=True)
    if final > 1:
        raise ValueError(f"final must be in [0, 1] (a fraction of the base rate), got {final!r}.")
    def multiplier(t):
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * min(t, total_steps)
                                                              / total_steps))
    return multiplier
