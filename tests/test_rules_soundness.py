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


def jvp_matches_fd(f, args, tangents, eps=1e-6):
    """Forward mode's J v against a central difference along ``v``."""
    args, tangents = tuple(args), tuple(tangents)
    _, tangent = jvp(f, args, tangents)
    up = f(*(a + eps * t for a, t in zip(args, tangents)))
    down = f(*(a - eps * t for a, t in zip(args, tangents)))
    np.testing.assert_allclose(tangent, (up - down) / (2 * eps), rtol=1e-5, atol=1e-7)


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
    jvp_matches_fd(f, (X23,), (np.arange(6.0).reshape(2, 3) - 2.5,))


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


# ---------------------------------------------------------------------------
# 9. %, np.mod, np.remainder, np.fmod, math.fmod

# points away from the jumps of the quotient, with both signs of x and y
XM = np.array([0.3, 1.7, -2.3, 5.5])
YM = np.array([0.7, -0.45, 0.8, -1.3])


def mod_operator(x, y):
    return np.sum((x % y) ** 2 * x)


def mod_function(x, y):
    return np.sum(np.sin(np.mod(x, y)) * y)


def remainder_function(x, y):
    return np.sum(np.remainder(x * y, y) ** 3)


def fmod_function(x, y):
    return np.sum(np.fmod(x, y) ** 2 * y)


def mod_constant(x, y):
    return np.sum((x % 0.7) * x) + np.sum(y)


@pytest.mark.parametrize(
    "f", [mod_operator, mod_function, remainder_function, fmod_function, mod_constant]
)
@pytest.mark.parametrize("wrt", [0, 1])
def test_remainders_against_fd(f, wrt):
    check_grad(f, XM, YM, wrt=wrt, order=2)


def test_mod_closed_form():
    # d(x % y)/dx = 1, d(x % y)/dy = -floor(x / y); fmod: -trunc(x / y)
    def plain(x, y):
        return np.sum(x % y)

    def truncated(x, y):
        return np.sum(np.fmod(x, y))

    dx, dy = grad(plain, wrt=(0, 1))(XM, YM)
    np.testing.assert_array_equal(dx, np.ones(4))
    np.testing.assert_array_equal(dy, -np.floor(XM / YM))
    dx, dy = grad(truncated, wrt=(0, 1))(XM, YM)
    np.testing.assert_array_equal(dx, np.ones(4))
    np.testing.assert_array_equal(dy, -np.trunc(XM / YM))


def mod_floats(x, y):
    return (x % y) * x + math.fmod(x, y) * y


@pytest.mark.parametrize("x, y", [(1.7, 0.45), (-2.3, 0.8), (5.5, -1.3)])
def test_python_float_remainders(x, y):
    check_grad(mod_floats, x, y, wrt=(0, 1), order=2)


def test_mod_forward_mode():
    v = np.array([0.5, -1.0, 2.0, 0.25])
    for f in (mod_operator, mod_function, fmod_function):
        jvp_matches_fd(f, (XM, YM), (v, v[::-1]))
    jvp_matches_fd(mod_floats, (1.7, 0.45), (0.3, -0.8))


def test_mod_hessian_closed_form():
    # f = sum((x % y)^2): Hessian in x is 2 I (the quotient is constant)
    def square_mod(x):
        return np.sum((x % 0.7) ** 2)

    np.testing.assert_allclose(hessian(square_mod)(XM), 2.0 * np.eye(4))


def formats_a_string(x):
    label = "%.2f" % x[0]
    return np.sum(x**2) + len(label)


def test_string_formatting_is_not_differentiated():
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(grad(formats_a_string)(x), 2 * x)
