"""The error contract: every call of the public API either gives the right
result or raises an ``ADError`` subclass whose message names the construct.

Each case of issue 15's "also crashes" list, and the public API swept with
wrong inputs. Results are compared with central finite differences in
float64 (computed here, independently of adcompiler) or with Python's own
value.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import adcompiler
from adcompiler import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

X = np.array([0.3, -0.7, 1.2])


def fd_jacobian(fun: Callable[[Any], Any], x: Any, eps: float = 1e-6) -> Any:
    """Central differences of ``fun`` at ``x`` (float64), of shape
    ``out.shape + x.shape``; a float for a float ``x`` and scalar ``fun``."""
    if isinstance(x, float):
        h = eps * max(1.0, abs(x))
        return (np.asarray(fun(x + h)) - np.asarray(fun(x - h))) / (2.0 * h)
    x = np.array(x, dtype=np.float64)
    out = np.asarray(fun(x.copy()), dtype=np.float64)
    jac = np.zeros(out.shape + x.shape)
    for i in np.ndindex(x.shape):
        h = eps * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        jac[(...,) + i] = (np.asarray(fun(up)) - np.asarray(fun(down))) / (2.0 * h)
    return jac


def fd_hessian(fun: Callable[[Any], Any], x: Any) -> Any:
    """Central differences of central differences (float64)."""
    return fd_jacobian(lambda v: fd_jacobian(fun, v, 1e-4), x, 1e-4)


def assert_close(actual: Any, expected: Any, rtol: float = 1e-5) -> None:
    """Same structure (tuples, lists, dicts) and close leaves."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys()
        for key in expected:
            assert_close(actual[key], expected[key], rtol)
        return
    if isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol)
        return
    assert np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-6)


# ---------------------------------------------------------------------------
# item: `y[()] = ...` and `y[...] = ...` on a 0-d array


def zero_d_set(x):
    y = np.zeros(())
    y[()] = x * 2.0
    return y * x


def zero_d_add(x):
    y = np.zeros(())
    y[()] += x
    return y * x


def zero_d_ellipsis(x):
    y = np.array(0.0)
    y[...] = x**2
    return y * 1.0


ZERO_D = [zero_d_set, zero_d_add, zero_d_ellipsis]


@pytest.mark.parametrize("f", ZERO_D, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [1.5, np.array(1.5)], ids=["float", "0-d"])
def test_zero_d_item_assignment(f, x):
    assert_close(np.asarray(grad(f)(x)), fd_jacobian(f, x))
    value, tangent = jvp(f, (x,), (np.ones_like(x),))
    assert np.isclose(value, f(x))
    assert np.isclose(tangent, fd_jacobian(f, x))
    assert np.isclose(hessian(f)(x), fd_hessian(f, x), rtol=1e-5)
