"""Reverse-mode automatic differentiation on NumPy arrays (chapter 6, "Automatic differentiation").

A :class:`Tensor` wraps a float64 array. Every operation on tensors returns a new
tensor that remembers its inputs and a small function that applies the operation's
*local* chain rule: given ``out.grad`` (dL/d out) it adds dL/d input to each
input's ``.grad``. :meth:`Tensor.backward` then runs those functions from the loss
back to the leaves, which is backpropagation for any expression, not only for an MLP.
The MLP chapter teaches it and uses it to check :meth:`nnmath.MLP.loss_and_grads`::

    P = {k: Tensor(v) for k, v in net.params.items()}
    loss = mlp_loss(P, X, y, activation=net.activation, task=net.task, l2=net.l2)
    loss.backward()  # P["W1"].grad now holds dL/dW1

Covered: ``+ - * /`` (also with numbers and arrays on either side), ``@`` on 1-D and
2-D operands, ``**`` by a constant number, unary minus, ``.T``, ``.sum`` and
``.mean`` (over all entries or one axis), ``exp``, ``log``, ``abs``, ``tanh``,
``relu``, ``leaky_relu``, ``sigmoid``, and NumPy broadcasting: an operand that was
broadcast gets its gradient summed back to its own shape. Built from these:
:func:`softmax_cross_entropy`, :func:`mse`, :func:`mlp_loss`.

Left out: indexing, reshaping, higher-order derivatives (the backward pass is plain
NumPy, not itself recorded), gradients of non-scalar outputs, in-place operations,
GPUs. PyTorch's autograd is the same idea at scale (appendix "From NumPy to PyTorch").
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array, check_labels, check_option, check_positive, check_X

__all__ = ["Tensor", "softmax_cross_entropy", "mse", "mlp_loss", "mlp_loss_and_grads"]


def _unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: a value broadcast along an axis was used once per
    position there, so its gradient is the sum over those uses."""
    while grad.ndim > len(shape):  # axes NumPy prepended
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:  # axes NumPy stretched from 1
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """A float64 array (``data``, copied from ``Tensor(data)``) with a gradient ``grad``.

    ``grad`` has the shape of ``data`` and holds dL/d data after ``L.backward()``. It
    starts at zero; for leaves (tensors you made yourself) it accumulates over calls
    to ``backward``, as in PyTorch (:meth:`zero_grad` resets it).
    """

    # Make NumPy hand `array + tensor`, `array @ tensor`, ... to Tensor's reflected methods.
    __array_ufunc__ = None

    def __init__(self, data, _children=(), _op=""):
        if isinstance(data, Tensor):
            raise TypeError("Tensor(data) needs an array of numbers, got a Tensor. Use the "
                            "tensor itself, or Tensor(t.data) for a copy cut off from its graph.")
        self.data = np.array(as_float_array(data, "data", allow_nonfinite=True))  # a copy
        self.grad = np.zeros_like(self.data)
        self._backward = lambda: None  # adds this node's local chain rule into its inputs
        self._prev = tuple(_children)
        self._op = _op  # the operation that made it, for printing the graph

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)

    def __repr__(self):
        return f"Tensor({self.data!r}, grad={self.grad!r})"

    def item(self):
        """The value of a one-element tensor as a Python float."""
        return float(self.data.item())

    def zero_grad(self):
        """Reset ``.grad`` to zeros (leaves accumulate over ``backward`` calls)."""
        self.grad = np.zeros_like(self.data)

    @staticmethod
    def _wrap(other, op):
        """``other`` as a Tensor; numbers and arrays become constants."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (numbers.Real, np.ndarray, list, tuple)):
            return Tensor(other)
        raise TypeError(f"unsupported operand for Tensor {op}: {type(other).__name__} "
                        f"{other!r}. Expected a Tensor, a real number or a NumPy array of "
                        "numbers.")

    # -- binary operations: z = x (op) y, with g = dL/dz -----------------------------------
    def __add__(self, other):
        other = self._wrap(other, "+")
        out = Tensor(self.data + other.data, (self, other), "+")

        def _backward():  # dz/dx = 1, dz/dy = 1
            self.grad += _unbroadcast(out.grad, self.shape)
            other.grad += _unbroadcast(out.grad, other.shape)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other, "*")
        out = Tensor(self.data * other.data, (self, other), "*")

        def _backward():  # dz/dx = y, dz/dy = x
            self.grad += _unbroadcast(other.data * out.grad, self.shape)
            other.grad += _unbroadcast(self.data * out.grad, other.shape)
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = self._wrap(other, "/")
        out = Tensor(self.data / other.data, (self, other), "/")

        def _backward():  # dz/dx = 1 / y, dz/dy = -x / y^2
            self.grad += _unbroadcast(out.grad / other.data, self.shape)
            other.grad += _unbroadcast(-out.grad * self.data / other.data**2, other.shape)
        out._backward = _backward
        return out

    def __matmul__(self, other):
        other = self._wrap(other, "@")
        a, b = self.data, other.data
        if a.ndim not in (1, 2) or b.ndim not in (1, 2) or a.shape[-1] != b.shape[0]:
            raise ValueError(f"cannot multiply shapes {a.shape} @ {b.shape}: @ needs 1-D or 2-D "
                             "operands whose inner sizes match (columns of the left = rows of "
                             "the right). Transpose one of them (.T) or check the layer sizes.")
        out = Tensor(a @ b, (self, other), "@")

        def _backward():  # Z = A B:  dL/dA = G B^T,  dL/dB = A^T G
            A = a.reshape(1, -1) if a.ndim == 1 else a  # a vector is a 1-row / 1-column matrix
            B = b.reshape(-1, 1) if b.ndim == 1 else b
            G = out.grad.reshape(A.shape[0], B.shape[1])
            self.grad += (G @ B.T).reshape(a.shape)
            other.grad += (A.T @ G).reshape(b.shape)
        out._backward = _backward
        return out

    def __pow__(self, k):
        if isinstance(k, Tensor) or not isinstance(k, numbers.Real):
            raise TypeError(f"Tensor ** k needs a constant real number k, got "
                            f"{type(k).__name__}. For a variable exponent write "
                            "(k * x.log()).exp().")
        k = float(k)
        out = Tensor(self.data**k, (self,), f"**{k:g}")

        def _backward():  # dz/dx = k x^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    # built from the operations above, so they need no chain rule of their own
    __radd__, __rmul__ = __add__, __mul__  # y + x = x + y, y * x = x * y

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._wrap(other, "-"))

    def __rsub__(self, other):
        return self._wrap(other, "-") - self

    def __rtruediv__(self, other):
        return self._wrap(other, "/") / self

    def __rmatmul__(self, other):
        return self._wrap(other, "@") @ self

    # -- shape operations ------------------------------------------------------------------
    @property
    def T(self):
        """Transpose; the gradient is transposed back."""
        out = Tensor(self.data.T, (self,), "T")

        def _backward():
            self.grad += out.grad.T
        out._backward = _backward
        return out

    def _reduce(self, axis, keepdims, scale, op):
        out = Tensor(self.data.sum(axis=axis, keepdims=keepdims) * scale, (self,), op)

        def _backward():  # each summed entry has dz/dx = scale (1 for sum, 1/count for mean)
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(g * scale, self.shape)
        out._backward = _backward
        return out

    def sum(self, axis=None, keepdims=False):
        """Sum over all entries (``axis=None``) or one axis; dz/dx = 1 for every entry."""
        return self._reduce(axis, keepdims, 1.0, "sum")

    def mean(self, axis=None, keepdims=False):
        """Mean over all entries or one axis; dz/dx = 1/count for every entry."""
        count = self.data.size if axis is None else self.data.shape[axis]
        return self._reduce(axis, keepdims, 1.0 / count, "mean")

    # -- elementwise functions z = f(x): dL/dx = f'(x) * dL/dz -------------------------------
    def _unary(self, z, dz_dx, op):
        out = Tensor(z, (self,), op)

        def _backward():
            self.grad += dz_dx * out.grad
        out._backward = _backward
        return out

    def exp(self):
        z = np.exp(self.data)
        return self._unary(z, z, "exp")  # exp'(x) = exp(x)

    def log(self):
        return self._unary(np.log(self.data), 1.0 / self.data, "log")  # log'(x) = 1/x

    def abs(self):
        x = self.data  # |x|' = sign(x), 0 at x = 0 as in PyTorch
        return self._unary(np.abs(x), np.sign(x), "abs")

    def tanh(self):
        z = np.tanh(self.data)
        return self._unary(z, 1.0 - z * z, "tanh")  # tanh'(x) = 1 - tanh(x)^2

    def sigmoid(self):
        e = np.exp(-np.abs(self.data))  # in (0, 1]: cannot overflow
        z = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self._unary(z, z * (1.0 - z), "sigmoid")  # sigma' = sigma (1 - sigma)

    def relu(self):
        x = self.data  # relu'(x) = 1 for x > 0, else 0 (0 at the kink, as in PyTorch)
        return self._unary(np.maximum(x, 0.0), (x > 0) * 1.0, "relu")

    def leaky_relu(self, slope=0.01):
        x = self.data  # leaky_relu'(x) = 1 for x > 0, else slope
        return self._unary(np.where(x > 0, x, slope * x), np.where(x > 0, 1.0, slope), "leaky")

    # -- backpropagation -------------------------------------------------------------------
    def backward(self):
        """Fill ``.grad`` of every tensor this scalar was computed from with dL/d tensor."""
        if self.data.size != 1:
            raise ValueError(f"backward() needs a scalar (one-element) tensor, like a loss; got "
                             f"shape {self.shape}. Reduce it first, e.g. with .sum() or .mean().")
        # Phase 1: order the graph so that every node comes after all of its inputs
        # (depth-first post-order, with an explicit stack so long chains cannot hit
        # Python's recursion limit).
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        # Phase 2: chain rule from the output back. dL/dL = 1; each node, visited after
        # every node that uses it, adds its contribution to its inputs' .grad.
        for node in order:
            if node._prev:  # intermediate results start each pass from zero; leaves accumulate
                node.grad = np.zeros_like(node.data)
        self.grad += 1.0
        for node in reversed(order):
            node._backward()


# -- losses and the MLP built from the primitives ------------------------------------------
def softmax_cross_entropy(logits, labels):
    """Mean softmax cross-entropy of ``logits`` (n, K) for integer ``labels`` (n,).

    ``log sum_k exp(z_k) - z_y`` with the log-sum-exp trick: the row maximum is
    subtracted as a *constant*. The loss does not change under that shift, so its
    gradient is still exact while ``exp`` can no longer overflow.
    """
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        shape = np.shape(logits.data if isinstance(logits, Tensor) else logits)
        raise TypeError("logits must be a 2-D Tensor of shape (n_samples, n_classes), got "
                        f"{type(logits).__name__} of shape {shape}.")
    n, K = logits.shape
    y = check_labels(labels, K, "labels")
    if y.shape[0] != n:
        raise ValueError(f"logits have {n} rows but labels has {y.shape[0]} entries; "
                         "each sample needs one label.")
    z = logits - logits.data.max(axis=1, keepdims=True)  # a plain array: no gradient through it
    Y = np.eye(K)[y]  # one-hot rows pick z_y without indexing
    return ((z.exp().sum(axis=1)).log() - (z * Y).sum(axis=1)).mean()


def mse(pred, targets):
    """Mean over samples of the squared error summed over outputs, as :func:`nnmath.mse`."""
    return ((pred - targets) ** 2).sum() / pred.shape[0]


_ACTIVATIONS = {"relu": Tensor.relu, "tanh": Tensor.tanh, "sigmoid": Tensor.sigmoid,
                "leaky_relu": Tensor.leaky_relu, "identity": lambda A: A}


def mlp_loss(params, X, y, activation="relu", task="classification", l2=0.0, l1=0.0):
    """The loss of :class:`nnmath.MLP` (same arguments) as a scalar Tensor.

    ``params`` maps ``W1`` (d, h1), ``b1`` (h1,), ..., ``WL``, ``bL`` to Tensors, whose
    ``.grad`` ``backward()`` fills (plain arrays count as constants); ``X`` is (n, d),
    ``y`` integer labels (n,) or targets (n,) / (n, K). The penalties
    ``(l2/2) sum W**2 + l1 sum |W|`` apply to the weights, not the biases.
    """
    f = _ACTIVATIONS[check_option(activation, _ACTIVATIONS, "activation")]
    check_option(task, ("classification", "regression"), "task")
    l2, l1 = check_positive(l2, "l2", allow_zero=True), check_positive(l1, "l1", allow_zero=True)
    L = sum(1 for k in params if k.startswith("W"))
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(params) != expected:
        raise ValueError(f"params must hold exactly W1, b1, ..., WL, bL; got keys "
                         f"{sorted(params)}. Batch normalisation and dropout are not covered here.")
    P = {k: v if isinstance(v, Tensor) else Tensor(v) for k, v in params.items()}
    X = check_X(X)
    A = Tensor(X)
    for l in range(1, L + 1):
        Z = A @ P[f"W{l}"] + P[f"b{l}"]  # (n, fan_out)
        A = Z if l == L else f(Z)
    n = X.shape[0]
    if task == "classification":
        loss = softmax_cross_entropy(A, y)
    else:
        Y = as_float_array(y, "y", ndim=(1, 2))
        Y = Y.reshape(Y.shape[0], -1)
        if Y.shape != A.shape:
            raise ValueError(f"y has shape {Y.shape} but the network outputs {A.shape} "
                             f"for {n} samples; they must match.")
        loss = mse(A, Y)
    for l in range(1, L + 1):
        if l2:
            loss = loss + (l2 / 2) * (P[f"W{l}"] ** 2).sum()
        if l1:
            loss = loss + l1 * P[f"W{l}"].abs().sum()
    return loss


def mlp_loss_and_grads(net, X, y):
    """``(loss, grads)`` of an :class:`nnmath.MLP` by automatic differentiation.

    The same contract as ``net.loss_and_grads(X, y)`` for networks without dropout
    or batch normalisation: the hand-written backward pass and this one must agree.
    """
    if getattr(net, "dropout", 0) or getattr(net, "batch_norm", False) or net.params is None:
        raise ValueError("mlp_loss_and_grads needs an MLP with parameters (call init_params "
                         "or fit first) and without dropout or batch_norm.")
    P = {k: Tensor(v) for k, v in net.params.items()}
    loss = mlp_loss(P, X, y, net.activation, net.task, net.l2, net.l1)
    loss.backward()
    return loss.item(), {k: P[k].grad for k in P}
