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


# ---------------------------------------------------------------------------
# item: enumerate, zip and reversed nested in any order


def enum_reversed(x):
    s = 0.0
    for i, v in enumerate(reversed(x)):
        s = s + (i + 1) * v**2
    return s


def zip_of_enumerate(x):
    s = 0.0
    for (i, a), b in zip(enumerate(x), x[::-1]):
        s = s + (i + 1) * a * b
    return s


def enumerate_of_zip(x):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, x**2)):
        s = s + (i + 2) * a * b
    return s


def enumerate_from(x):
    s = 0.0
    for i, v in enumerate(x, start=2):
        s = s + i * v**2
    return s


def zip_reversed(x):
    s = 0.0
    for a, b in zip(reversed(x), x):
        s = s + a * b**2
    return s


def enumerate_reversed_range(x):
    s = 0.0
    for k, i in enumerate(reversed(range(1, 3))):
        s = s + k * x[i] ** 2 + i * x[i]
    return s


def zip_range_and_lists(x):
    s = 0.0
    for i, v, w in zip(range(5), [x[0], x[1]], reversed([x[2], x[1], x[0]])):
        s = s + (i + 1) * v * w
    return s


def enumerate_of_enumerate(x):
    s = 0.0
    for i, (j, v) in enumerate(enumerate(x, 1)):
        s = s + i * j * v**2
    return s


def reversed_grown_list(x):
    out = []
    for v in x:
        out.append(v * 2.0)
    s = 0.0
    for i, v in enumerate(reversed(out)):
        s = s + i * v**3
    return s


def comprehension_enumerate_reversed(x):
    return sum([i * v**3 for i, v in enumerate(reversed(x))])


NESTINGS = [
    enum_reversed,
    zip_of_enumerate,
    enumerate_of_zip,
    enumerate_from,
    zip_reversed,
    enumerate_reversed_range,
    zip_range_and_lists,
    enumerate_of_enumerate,
    reversed_grown_list,
    comprehension_enumerate_reversed,
]


@pytest.mark.parametrize("f", NESTINGS, ids=lambda f: f.__name__)
def test_iterator_nestings(f):
    value, gradient = value_and_grad(f)(X)
    assert np.isclose(value, f(X))
    assert_close(gradient, fd_jacobian(f, X))
    assert np.isclose(jvp(f, (X,), (np.ones(3),))[1], np.sum(fd_jacobian(f, X)))
    assert_close(hessian(f)(X), fd_hessian(f, X))


def reversed_enumerate(x):
    s = 0.0
    for i, v in reversed(enumerate(x)):
        s = s + v
    return s


def reversed_reversed(x):
    s = 0.0
    for v in zip(reversed(reversed(x)), x):
        s = s + v[0]
    return s


@pytest.mark.parametrize(
    "f, construct",
    [
        (reversed_enumerate, "reversed(enumerate(...))"),
        (reversed_reversed, "reversed(reversed(...))"),
    ],
    ids=["reversed_enumerate", "reversed_reversed"],
)
def test_not_reversible_as_in_python(f, construct):
    with pytest.raises(TypeError):
        f(X)  # Python refuses it too
    with pytest.raises(adcompiler.UnsupportedSyntaxError) as info:
        grad(f)(X)
    message = str(info.value)
    assert construct in message and "not reversible" in message
    assert f"{__file__}:" in message


# ---------------------------------------------------------------------------
# item: second derivatives through loops and filtered comprehensions; a
# pullback called more than once


def cubic_loop(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] ** 3 * x[(i + 1) % 3]
    return s


def filtered_cubes(x):
    return sum([v**3 for v in x if v > 0])


def filtered_pairs(x):
    ys = [v * x[0] for v in x if v < 1.0]
    return sum([a * b for a, b in zip(ys, reversed(ys))])


def filtered_stack(x):
    ys = [np.sin(v) * v for v in x if v > -0.5]
    return np.sum(np.stack(ys) ** 2)


def filtered_rows(x):
    rows = []
    for i in range(2):
        row = []
        for j in range(3):
            if x[j] > -0.5 or i == 1:
                row.append(x[j] * (i + 1))
        rows.append(row)
    return sum([sum(r) ** 2 for r in rows])


SECOND_ORDER = [
    cubic_loop,
    filtered_cubes,
    filtered_pairs,
    filtered_stack,
    filtered_rows,
]
SECOND_ORDER_FORMS = {
    "hessian": lambda f, x: hessian(f)(x),
    "jacobian_rev_of_grad": lambda f, x: jacobian(grad(f))(x),
    "jacobian_fwd_of_grad": lambda f, x: jacobian(grad(f), mode="fwd")(x),
    "hvp": lambda f, x: np.array([hvp(f)(x, e) for e in np.eye(x.size)]),
}


@pytest.mark.parametrize("form", SECOND_ORDER_FORMS)
@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "x", [X, np.array([1.3, 0.2, -0.4]), np.array([-0.3, 0.8, 0.6])], ids=str
)
def test_second_order_through_loops_and_filters(f, form, x):
    assert_close(SECOND_ORDER_FORMS[form](f, x), fd_hessian(f, x))


def writes_in_place(x):
    y = x * 1.0
    y[0] = y[1] * y[0]
    z = y * 2.0
    y[1] = y[0] ** 2
    return y * z


def grows_a_list(x):
    out = []
    for v in x:
        out.append(v**2)
    return out[0] * out[2] + x


@pytest.mark.parametrize("f", [writes_in_place, grows_a_list], ids=lambda f: f.__name__)
def test_pullback_called_again(f):
    """The backward undoes the forward's in-place writes; a second call of
    the pullback must not see them undone (it was silently wrong)."""
    jac = fd_jacobian(f, X)
    _, pullback = vjp(f, X)
    for cotangent in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 0.0])):
        for _ in range(2):
            (got,) = pullback(cotangent)
            assert_close(got, cotangent @ jac)
    assert_close(jacobian(f)(X), jac)
