"""nnmath: the small NumPy library behind *The Mathematics of Neural Networks*.

Import it as ``import nnmath as nm``. Rows are samples everywhere: ``X`` has
shape ``(n_samples, n_features)`` and a dense layer computes ``X @ W + b`` with
``W`` of shape ``(fan_in, fan_out)``.

Modules, one concept each:

- :mod:`nnmath.activations` - activations and their derivatives (chapter 2)
- :mod:`nnmath.losses` - losses with their gradients (chapters 2-6)
- :mod:`nnmath.probability` - likelihoods, maximum likelihood, entropy and KL (probability chapter)
- :mod:`nnmath.optim` - optimisers, schedules, gradient and weight clipping (chapter 7)
- :mod:`nnmath.layers` - dropout and batch normalisation (chapter 7)
- :mod:`nnmath.finite_diff` - central differences and gradient checking (chapter 2)
- :mod:`nnmath.symbolic` - sympy derivations used as references (chapters 2, 5, 6)
- :mod:`nnmath.data` - synthetic and shipped data sets, splits, scaling
- :mod:`nnmath.plotting` - figures and the HTML frame player
- :mod:`nnmath.widgets` - the interactive demos
- :mod:`nnmath.exercises` - self-checks for the exercises
"""

from . import activations, data, exercises, finite_diff, init, losses, optim, plotting, training
from ._validation import NotFittedError, TrainingDiverged
from .activations import (
    leaky_relu,
    leaky_relu_grad,
    log_sigmoid,
    log_softmax,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_backward,
    softmax_jacobian,
    tanh,
    tanh_grad,
)
from .finite_diff import gradcheck, numerical_gradient, relative_error
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    mse,
    one_hot,
    softmax_cross_entropy,
)
from .optim import SGD, Adam, AdamW, Momentum, Nesterov, RMSProp

# Chapter modules register their public names below (one import line each).
# isort: split
from . import calculus, linalg  # chapters 1-2
from .mlp import MLP  # chapter 6

# isort: split
from . import features, metrics  # chapters 4-5
from .linear import LinearRegression  # chapter 4
from .logistic import LogisticRegression  # chapter 5

# isort: split
from . import layers, surfaces  # chapter 7

# isort: split
from . import probability  # the probability chapter
from .probability import (
    bernoulli_log_likelihood,
    bernoulli_mle,
    cross_entropy,
    entropy,
    gaussian_log_likelihood,
    gaussian_mle,
    kl_divergence,
)

# isort: split
from . import autodiff  # chapter 6 (automatic differentiation)

__version__ = "0.1.0"


def __getattr__(name):
    # nm.widgets imports ipywidgets; load it on first use so `import nnmath` stays light.
    if name == "widgets":
        import importlib

        return importlib.import_module(".widgets", __name__)
    raise AttributeError(f"module 'nnmath' has no attribute {name!r}")
