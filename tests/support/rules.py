"""Helpers of the rule tests (tests/test_rules_arrays*.py,
tests/test_rules_scipy_linalg.py): each case is a function ``f(*args, C)``
returning ``sum(result * C)``, checked against central differences with a
fixed random weight ``C`` of the result's shape (:func:`run`)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from adcompiler import check_grad, grad, hessian, jvp


class _Found(Exception):
    def __init__(self, shape):
        self.shape = shape


class _ShapeProbe:
    """Stands for ``C`` in a plain call: ``result * C`` reports result's shape."""

    __array_ufunc__ = None  # make ndarray and NumPy scalars defer to __rmul__

    def __rmul__(self, other):
        raise _Found(np.shape(other))

    __mul__ = __rmul__


def weight_for(f, *args):
    """A fixed random weight with the shape of the array ``f`` multiplies by C."""
    try:
        f(*args, _ShapeProbe())
    except _Found as found:
        rng = np.random.default_rng(zlib.crc32(f.__name__.encode()))
        return rng.normal(size=found.shape)
    raise AssertionError(f"{f.__name__} never multiplies by C")


def case(f, *args, wrt=0, **tol):
    """A parametrize entry: ``f(*args, C)`` checked against finite differences."""
    return pytest.param(f, args, wrt, tol, id=f.__name__)


def numerical_jvp(f, args, tangents, eps=1e-6):
    """Central differences of ``f`` in the direction ``tangents`` (None:
    that argument held fixed)."""
    up = [a + eps * t if t is not None else a for a, t in zip(args, tangents)]
    down = [a - eps * t if t is not None else a for a, t in zip(args, tangents)]
    return (f(*up) - f(*down)) / (2 * eps)


def check_jvp(f, args, wrt, rtol=1e-5, atol=1e-7):
    """``jvp`` of ``f`` in a random direction of the ``wrt`` arguments
    against central differences of ``f``."""
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = np.random.default_rng(7)
    tangents = [
        rng.normal(size=np.shape(a)) if k in indices else np.zeros(np.shape(a))
        for k, a in enumerate(args)
    ]
    tangents = [
        float(t) if np.ndim(a) == 0 and isinstance(a, float) else t
        for t, a in zip(tangents, args)
    ]
    value, t_out = jvp(f, tuple(args), tuple(tangents))
    numeric = numerical_jvp(
        f, args, [t if k in indices else None for k, t in enumerate(tangents)]
    )
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t_out, numeric, rtol=rtol, atol=atol)


def run(f, args, wrt, tol):
    """A :func:`case`: ``check_grad(..., order=2)`` and :func:`check_jvp`
    of ``f(*args, C)``."""
    C = weight_for(f, *args)
    full = (*args, C)
    check_grad(f, *full, wrt=wrt, order=2, **tol)
    check_jvp(f, full, wrt, **{k: v for k, v in tol.items() if k in ("rtol", "atol")})


def check_hessian(f, x, rtol=1e-4, atol=1e-6, eps=1e-5):
    """The dense Hessian of ``f`` at ``x`` (forward over reverse) against
    central differences of its gradient."""
    h = hessian(f)(x)
    g = grad(f)
    numeric = np.zeros(np.shape(x) * 2)
    for i in np.ndindex(np.shape(x)):
        e = np.zeros(np.shape(x))
        e[i] = eps
        numeric[(Ellipsis,) + i] = (g(x + e) - g(x - e)) / (2 * eps)
    numeric = np.moveaxis(numeric.reshape(np.shape(x) + (-1,)), -1, 0).reshape(
        np.shape(x) * 2
    )
    np.testing.assert_allclose(h, numeric, rtol=rtol, atol=atol)
