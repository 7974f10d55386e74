"""Helpers of the rule tests (tests/test_rules_arrays*.py): each case is a
function ``f(*args, C)`` returning ``sum(result * C)``, checked against
central differences with a fixed random weight ``C`` of the result's shape."""

from __future__ import annotations

import zlib

import numpy as np
import pytest


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
