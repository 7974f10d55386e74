"""Rules that used to be silently wrong (issue 15, items 8-12, 15 and two
crashes): each reproducer is checked against central finite differences in
float64, a closed form, or Python's own value, in reverse mode, forward mode
(``jvp``) and to second order (Hessian-vector products) where a derivative
exists; where the issue says refuse, the call must raise an ``ADError``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import adcompiler
from adcompiler import ADError, check_grad, grad, hessian, jvp
from adcompiler.testing import numerical_grad


def jvp_matches_fd(f, x, v, eps=1e-6):
    """Forward mode's J v against a central difference along ``v``."""
    _, tangent = jvp(f, (x,), (v,))
    h = eps
    expected = (f(x + h * v) - f(x - h * v)) / (2 * h)
    np.testing.assert_allclose(tangent, expected, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------
# 8. reshape, ravel and flatten with order=


W6 = np.arange(6.0)
W32 = np.arange(6.0).reshape(3, 2) * 0.5 - 1.0


def reshape_f_method(x):
    return np.sum(x.reshape(3, 2, order="F") * np.arange(6.0).reshape(3, 2))


def reshape_f_function(x):
    return np.sum(np.sin(np.reshape(x, (3, 2), "F")) * W32)


def reshape_c(x):
    return np.sum(np.reshape(x, (3, 2), order="C") ** 3 * W32)


def ravel_f(x):
    return np.sum(np.ravel(x, order="F") ** 2 * W6)


def ravel_f_method(x):
    return np.sum(np.exp(x.ravel("F")) * W6)


def flatten_f(x):
    return np.sum(x.flatten(order="F") ** 3 * W6)


def flatten_f_positional(x):
    return np.sum(np.cos(x.flatten("F")) * W6)


X23 = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.7]])


def test_reshape_order_f_reproducer():
    # the reproducer of the issue: sum(reshape(x, F) * w) is linear, with
    # gradient w read back in Fortran order
    expected = np.reshape(np.arange(6.0).reshape(3, 2), (2, 3), order="F")
    np.testing.assert_array_equal(grad(reshape_f_method)(X23), expected)
    np.testing.assert_allclose(
        grad(reshape_f_method)(X23), numerical_grad(reshape_f_method, X23)
    )


@pytest.mark.parametrize(
    "f",
    [
        reshape_f_method,
        reshape_f_function,
        reshape_c,
        ravel_f,
        ravel_f_method,
        flatten_f,
        flatten_f_positional,
    ],
)
def test_order_in_every_mode(f):
    check_grad(f, X23, order=2)  # reverse vs FD, forward vs reverse, HVP vs FD
    jvp_matches_fd(f, X23, np.arange(6.0).reshape(2, 3) - 2.5)


def reshape_a(x):
    return np.sum(x.reshape(3, 2, order="A") * W32)


def ravel_k(x):
    return np.sum(np.ravel(x, order="K") * W6)


def flatten_a(x):
    return np.sum(x.flatten("A") * W6)


@pytest.mark.parametrize("f", [reshape_a, ravel_k, flatten_a])
def test_layout_orders_refused(f):
    with pytest.raises(ADError, match="order"):
        grad(f)(X23)
    with pytest.raises(ADError, match="order"):
        jvp(f, (X23,), (np.ones((2, 3)),))
