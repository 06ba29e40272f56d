"""Two-dimensional test surfaces for watching optimisers move (chapter 7, "Optimisers").

A loss of two parameters can be drawn as a contour map, so the path an
optimiser takes is visible. Three classic shapes show three different
difficulties:

- ``"elongated"``: the quadratic :math:`f = (x^2 + 25 y^2)/2`, a narrow valley
  whose curvatures differ 25-fold (condition number 25): plain gradient descent
  zig-zags across it;
- ``"rosenbrock"``: :math:`f = (1 - x)^2 + 100 (y - x^2)^2`, a curved, flat-bottomed
  valley with its minimum at :math:`(1, 1)`;
- ``"saddle"``: :math:`f = (x^2 - y^2)/2 + y^4/4`, a saddle point at the origin
  between two minima at :math:`(0, \\pm 1)`; gradient descent started near the
  ridge lingers there.

:func:`optimizer_path` runs any :mod:`nnmath.optim` optimiser on a surface and
returns the points it visits and the loss at each. When the iterates blow up
it raises :class:`nnmath.TrainingDiverged` or, with ``on_divergence="stop"``,
returns the path up to that point with a message (what a demo shows in place).
Left out: noise in the gradient (the surfaces are deterministic) and
surfaces of more than two parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import TrainingDiverged, as_float_array, check_int, check_option, check_positive
from .optim import make_optimizer

__all__ = ["Surface", "SURFACES", "get_surface", "SurfacePath", "optimizer_path"]


@dataclass(frozen=True)
class Surface:
    """A loss ``f(x, y)`` with its gradient, a plotting window and a starting point.

    ``f`` and ``grad`` work elementwise on arrays of any (equal) shape, so the
    same function draws contours on a grid and evaluates one point.
    """

    name: str
    formula: str  # LaTeX, for titles
    f: callable = field(repr=False)
    grad: callable = field(repr=False)  # (x, y) -> (df/dx, df/dy)
    xlim: tuple
    ylim: tuple
    start: tuple
    minima: tuple  # ((x, y), ...) of the global minima
    min_value: float

    def __call__(self, p):
        """The loss at points ``p`` of shape (2,) or (..., 2)."""
        p = as_float_array(p, "p")
        if p.shape[-1:] != (2,):
            raise ValueError(f"p must have shape (2,) or (..., 2) (points (x, y)), got shape "
                             f"{p.shape}.")
        return self.f(p[..., 0], p[..., 1])

    def gradient(self, p):
        """The gradient at points ``p`` (shape (2,) or (..., 2)), same shape as ``p``."""
        p = as_float_array(p, "p")
        if p.shape[-1:] != (2,):
            raise ValueError(f"p must have shape (2,) or (..., 2) (points (x, y)), got shape "
                             f"{p.shape}.")
        gx, gy = self.grad(p[..., 0], p[..., 1])
        return np.stack([gx, gy], axis=-1)


SURFACES = {
    "elongated": Surface(
        "elongated", r"f = (x^2 + 25 y^2)/2",
        f=lambda x, y: 0.5 * (x * x + 25.0 * y * y),
        grad=lambda x, y: (x, 25.0 * y),
        xlim=(-5.0, 5.0), ylim=(-2.0, 2.0), start=(-4.5, 1.5), minima=((0.0, 0.0),),
        min_value=0.0),
    "rosenbrock": Surface(
        "rosenbrock", r"f = (1-x)^2 + 100(y - x^2)^2",
        f=lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2,
        grad=lambda x, y: (-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)),
        xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), start=(-1.5, 2.0), minima=((1.0, 1.0),),
        min_value=0.0),
    "saddle": Surface(
        "saddle", r"f = (x^2 - y^2)/2 + y^4/4",
        f=lambda x, y: 0.5 * (x * x - y * y) + 0.25 * y ** 4,
        grad=lambda x, y: (x, y ** 3 - y),
        xlim=(-3.0, 3.0), ylim=(-2.0, 2.0), start=(-2.5, 0.01), minima=((0.0, 1.0), (0.0, -1.0)),
        min_value=-0.25),
}


def get_surface(surface) -> Surface:
    """A :class:`Surface` by name (a key of :data:`SURFACES`), or a ``Surface`` as is."""
    if isinstance(surface, Surface):
        return surface
    check_option(surface, SURFACES, "surface")
    return SURFACES[surface]


@dataclass(frozen=True)
class SurfacePath:
    """The result of :func:`optimizer_path`.

    Attributes
    ----------
    points : ndarray (k + 1, 2)
        The start and the point after each of the ``k`` finite steps.
    losses : ndarray (k + 1,)
        The loss at each point.
    diverged_at : int or None
        The step (counted from 1) at which the iterates blew up, or ``None``.
    message : str
        Why it stopped early ('' when it did not).
    """

    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None
    message: str = ""


def optimizer_path(surface, optimizer, steps=100, *, lr=None, start=None,
                   on_divergence="raise", bound=1e6) -> SurfacePath:
    """Run an optimiser on a 2-D surface and record where it goes.

    Parameters
    ----------
    surface : str or Surface
        ``"elongated"``, ``"rosenbrock"``, ``"saddle"`` or a :class:`Surface`.
    optimizer : str or nnmath.optim.Optimizer
        A name (``"sgd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"``; then ``lr`` is
        required) or an instance. An instance keeps its state between calls: pass a
        fresh one, or call its ``reset()``, for a fresh run.
    steps : int
        Number of updates.
    lr : float, optional
        Learning rate when ``optimizer`` is a name.
    start : array_like (2,), optional
        Starting point; the surface's own ``start`` by default.
    on_divergence : {"raise", "stop"}
        What to do when the loss becomes infinite or NaN or the point leaves the
        disc of radius ``bound``: raise :class:`nnmath.TrainingDiverged`, or stop
        and return the path so far with ``diverged_at`` and ``message`` set.
    bound : float
        Radius beyond which the run counts as diverged.

    Returns
    -------
    SurfacePath
    """
    surf = get_surface(surface)
    steps = check_int(steps, "steps", minimum=0)
    check_option(on_divergence, ("raise", "stop"), "on_divergence")
    bound = check_positive(bound, "bound")
    if isinstance(optimizer, str) and lr is None:
        raise ValueError(f"optimizer={optimizer!r} is a name, so lr is needed: pass lr=0.01 "
                         "(for example) or an optimiser instance such as nm.optim.Adam(lr=0.1).")
    opt = make_optimizer(optimizer, lr if lr is not None else 1.0)
    p0 = as_float_array(surf.start if start is None else start, "start", ndim=1)
    if p0.shape != (2,):
        raise ValueError(f"start must be a point (x, y) of shape (2,), got shape {p0.shape}.")
    params = {"p": p0.copy()}
    points = np.empty((steps + 1, 2))
    losses = np.empty(steps + 1)
    points[0], losses[0] = p0, surf.f(*p0)
    with np.errstate(all="ignore"):  # overflow is detected below, not warned about
        for t in range(1, steps + 1):
            lr_now = opt.current_lr
            g = np.array(surf.grad(*params["p"]))
            opt.step(params, {"p": g})
            loss = float(surf.f(*params["p"]))
            norm = float(np.hypot(*params["p"]))
            if not (np.isfinite(loss) and np.isfinite(norm)) or norm > bound:
                what = (f"the loss became {loss}" if not np.isfinite(loss)
                        else f"the point ran off to distance {norm:.3g} from the origin")
                msg = (f"{type(opt).__name__} diverged at step {t} with learning rate "
                       f"{lr_now:g}: {what}. Try a smaller learning rate.")
                if on_divergence == "raise":
                    raise TrainingDiverged(msg)
                return SurfacePath(points[:t].copy(), losses[:t].copy(), t, msg)
            points[t], losses[t] = params["p"], loss
    return SurfacePath(points, losses)
