"""Static parameters (``axis``, ``ord``, ``offset``, ``keepdims``, ``shift``,
...) given by a parameter of the differentiated function (issue #17).

The compiled derivative is specialised on the argument's value (a
compile-time constant, part of the cache key): the same value reuses the
code, a new value compiles again; a parameter in ``wrt``, or holding a
float or an array, is refused with :class:`UnsupportedSyntaxError`.
Gradients are compared with central finite differences at orders 1 and 2
(``check_grad(..., order=2)``: gradient, forward against reverse,
Hessian-vector products against differences of the gradient), the dense
Hessian and ``jacobian`` with differences of the gradient, and a third
derivative with differences of a second one.
"""

from __future__ import annotations

import numpy as np
import pytest

import adcompiler
from adcompiler import check_grad, grad, hessian, jacobian, jvp, value_and_grad, vjp
from adcompiler.errors import UnsupportedSyntaxError
from adcompiler.pipeline import _products
from support.differences import fd_jacobian

_RNG = np.random.default_rng(1717)


def arr(*shape):
    return _RNG.normal(size=shape)


# -- the functions ---------------------------------------------------------


def sum_axis(x, axis):
    return np.sum(np.sin(x), axis=axis).sum() + np.sum(np.sin(x) ** 2, axis=axis)[0]


def norm_ord(x, ord=2):
    return np.linalg.norm(x, ord=ord, axis=0)


def norm_plain(x, ord=2):
    """The issue's spelling: no axis (a vector norm of a vector, a matrix
    norm of a matrix; the rank is known at every order)."""
    return np.linalg.norm(x, ord=ord)


def norm_matrix(x, ord):
    return np.linalg.norm(np.sin(x), ord=ord)


def trace_offset(x, k):
    return np.trace(np.sin(x) * x, offset=k)


def roll_shift(x, shift):
    return np.sum(np.roll(x, shift) * np.arange(x.size) * np.cos(x))


def keep(x, k):
    m = np.mean(np.exp(0.3 * x), axis=1, keepdims=k)
    return np.sum(m * np.sin(m))


def computed_axis(x, n):
    return np.sum(np.max(np.sin(x), axis=n - 1) ** 2)


def tuple_axes(x, axes):
    return np.sum(np.sum(x**2, axis=axes) ** 2)


def default_axis(x, axis=0):
    return np.sum(np.cumsum(np.sin(x), axis=axis) ** 2)


def mode_string(x, mode):
    return np.sum(np.pad(x, 2, mode=mode) ** 3)


def two_statics(x, axis, ord):
    return np.sum(np.linalg.norm(x, ord=ord, axis=axis) ** 2)


CASES = [
    pytest.param(sum_axis, (arr(3, 4), 1), id="sum-axis1"),
    pytest.param(sum_axis, (arr(3, 4), 0), id="sum-axis0"),
    pytest.param(norm_ord, (arr(5), 3), id="norm-ord3"),
    pytest.param(norm_matrix, (arr(3, 4), "fro"), id="norm-fro"),
    pytest.param(norm_matrix, (arr(3, 4), "nuc"), id="norm-nuc"),
    pytest.param(norm_ord, (arr(5),), id="norm-default"),
    pytest.param(norm_plain, (arr(5),), id="norm-no-axis-default"),
    pytest.param(
        norm_plain, (arr(3, 4) + 2.0 * np.eye(3, 4), -2), id="norm-no-axis-m2"
    ),
    pytest.param(trace_offset, (arr(4, 4), 1), id="trace-offset1"),
    pytest.param(trace_offset, (arr(4, 5), -2), id="trace-offset-2"),
    pytest.param(roll_shift, (arr(6), 2), id="roll-2"),
    pytest.param(roll_shift, (arr(6), np.int64(-1)), id="roll-np-int"),
    pytest.param(keep, (arr(3, 4), True), id="keepdims-true"),
    pytest.param(keep, (arr(3, 4), False), id="keepdims-false"),
    pytest.param(computed_axis, (arr(3, 4), 2), id="axis-computed"),
    pytest.param(tuple_axes, (arr(2, 3, 4), (0, 2)), id="axes-tuple"),
    pytest.param(default_axis, (arr(3, 4),), id="default-axis"),
    pytest.param(default_axis, (arr(3, 4), 1), id="default-overridden"),
    pytest.param(mode_string, (arr(4), "reflect"), id="pad-mode-reflect"),
    pytest.param(mode_string, (arr(4), "edge"), id="pad-mode-edge"),
    pytest.param(two_statics, (arr(3, 4), 1, 3), id="two-statics"),
]


@pytest.mark.parametrize("f, args", CASES)
def test_gradient_and_second_order(f, args):
    check_grad(f, *args, wrt=0, order=2)


@pytest.mark.parametrize("f, args", CASES[:8])
def test_hessian_and_jacobian(f, args):
    x, rest = args[0], args[1:]

    def gradient_at(y):
        return grad(f)(y, *rest)

    expected = fd_jacobian(gradient_at, x)
    np.testing.assert_allclose(hessian(f)(x, *rest), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        jacobian(grad(f))(x, *rest), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        jacobian(f)(x, *rest), fd_jacobian(lambda y: f(y, *rest), x), rtol=1e-6
    )


def test_jvp_and_vjp():
    x, t = arr(3, 4), arr(3, 4)
    value, tangent = jvp(sum_axis, (x, 1), (t, 0))
    expected = (sum_axis(x + 1e-6 * t, 1) - sum_axis(x - 1e-6 * t, 1)) / 2e-6
    assert np.isclose(value, sum_axis(x, 1))
    assert np.isclose(tangent, expected, rtol=1e-6)
    value, pullback = vjp(trace_offset, x, 1)
    assert np.isclose(value, trace_offset(x, 1))
    np.testing.assert_allclose(
        pullback(1.0)[0], grad(trace_offset)(x, 1), rtol=1e-12, atol=1e-14
    )
    assert pullback(1.0)[1] is None
    # keyword arguments of jvp's function are its defaults: specialised too
    v, g = value_and_grad(default_axis)(x, axis=1)
    np.testing.assert_allclose(
        g, fd_jacobian(lambda y: default_axis(y, axis=1), x), rtol=1e-6
    )


_W = np.linspace(-1.0, 1.0, 5)


def rolled_curve(t, shift):
    v = np.sin(t * np.linspace(0.5, 1.5, 5))
    return np.sum(np.roll(v, shift) * _W) + np.linalg.norm(v * t, ord=shift + 1, axis=0)


def test_third_order():
    """grad(grad(grad(f))) of a scalar, specialised at each order, against
    central differences of the second derivative."""
    t = 0.7
    second = grad(grad(rolled_curve))
    third = grad(second)
    for shift in (1, 2):
        expected = fd_jacobian(lambda s: second(s, shift), t, eps=1e-5)
        assert np.isclose(third(t, shift), expected, rtol=1e-5, atol=1e-7)
        assert np.isclose(
            second(t, shift),
            fd_jacobian(lambda s: grad(rolled_curve)(s, shift), t),
            rtol=1e-6,
        )


# -- the cache ---------------------------------------------------------------


def _grad_requests(fn):
    return [r for r in _products.get(fn, {}) if r.kind == "grad"]


def test_same_value_reuses_new_value_compiles():
    def f(x, axis):
        return np.sum(np.sum(np.sin(x), axis=axis) ** 2)

    g = grad(f)
    x = arr(3, 4)
    first = g(x, 1)
    count = len(_grad_requests(f))
    assert count == 2  # the plain request that learnt `axis`, and axis=1
    np.testing.assert_allclose(g(x, 1), first)
    g(x + 1.0, 1)
    assert len(_grad_requests(f)) == count  # same value: no new compilation
    second = g(x, 0)
    assert len(_grad_requests(f)) == count + 1  # a new value compiles again
    np.testing.assert_allclose(second, fd_jacobian(lambda y: f(y, 0), x), rtol=1e-6)
    g(x, axis=0)
    g(x, np.int64(0))
    assert len(_grad_requests(f)) == count + 1  # keyword and NumPy int: the same
    assert "axis=0" in g.source or "axis = 0" in g.source or "0" in g.source
    # another transformation of f knows `axis` already: one request
    jvp(f, (x, 1), (x, 0))
    assert len([r for r in _products[f] if r.kind == "tangent"]) == 1


def test_a_default_changed_compiles_again():
    def f(x, axis=0):
        return np.sum(np.cumsum(x, axis=axis) ** 2)

    g = grad(f)
    x = arr(3, 4)
    np.testing.assert_allclose(g(x), fd_jacobian(f, x), rtol=1e-6)
    f.__defaults__ = (1,)
    np.testing.assert_allclose(g(x), fd_jacobian(f, x), rtol=1e-6)


def test_plain_int_parameters_are_not_specialised():
    def f(x, n):
        return np.sum(x**2) * n

    g = grad(f)
    g(arr(3), 2)
    g(arr(3), 3)
    assert len(_grad_requests(f)) == 1


# -- what is refused ---------------------------------------------------------


def test_a_differentiated_parameter_is_refused():
    def f(x, axis):
        return np.sum(np.sum(x, axis=axis) ** 2)

    with pytest.raises(UnsupportedSyntaxError, match="differentiated") as info:
        grad(f, wrt=(0, 1))(arr(3, 4), 1)
    assert "`axis` of np.sum" in str(info.value)


def test_a_float_parameter_is_refused():
    def f(x, p):
        return np.linalg.norm(x, ord=p, axis=0)

    with pytest.raises(UnsupportedSyntaxError, match="a float here"):
        grad(f)(arr(4), 3.0)
    with pytest.raises(UnsupportedSyntaxError, match="a float here"):
        jvp(f, (arr(4), 3.0), (arr(4), 0.0))


def test_an_array_parameter_is_refused():
    def f(x, k):
        return np.sum(np.roll(x, k) ** 2)

    with pytest.raises(UnsupportedSyntaxError, match="`k`, an array here"):
        grad(f)(arr(4), np.array([1]))


def test_a_value_computed_from_an_array_is_refused():
    def f(x):
        return np.sum(np.roll(x, (x > 0).sum()) ** 2)

    with pytest.raises(
        UnsupportedSyntaxError,
        match="`shift` of np.roll is computed from the parameter `x`, an array",
    ):
        grad(f)(arr(4))


# -- through user functions compiled apart -----------------------------------


def summed(x, axis):
    """Not inlined (a loop): compiled apart, for each constant it is passed."""
    s = 0.0
    for i in range(2):
        s = s + np.sum(np.sin(x) * (i + 1.0), axis=axis) ** 2
    return s


def calls_with_a_literal(x):
    return np.sum(summed(x, 1)) + np.sum(summed(x, (0, 1)))


def calls_with_its_parameter(x, axis):
    return np.sum(summed(x, axis))


def test_a_callee_is_compiled_for_the_constant_it_is_passed():
    x = arr(3, 4)
    check_grad(calls_with_a_literal, x, order=2)
    check_grad(calls_with_its_parameter, x, 0, order=2)
    check_grad(calls_with_its_parameter, x, 1, order=2)
    value, tangent = jvp(calls_with_its_parameter, (x, 1), (x, 0))
    expected = fd_jacobian(lambda y: calls_with_its_parameter(y, 1), x)
    assert np.isclose(tangent, np.sum(expected * x), rtol=1e-6)


def test_a_callee_passed_a_value_of_the_array_is_refused():
    def f(x):
        return np.sum(summed(x, int(x.shape[0] > 10) + (x > 0).sum() * 0))

    with pytest.raises(UnsupportedSyntaxError, match="`axis`"):
        grad(f)(arr(3, 4))


def test_a_float_after_an_int_is_refused_naming_it():
    def f(x, k):
        return np.sum(np.roll(x, k) ** 2 * np.arange(4.0))

    g = grad(f)
    g(arr(4), 1)
    with pytest.raises(UnsupportedSyntaxError, match="`k`, a float here"):
        g(arr(4), 1.0)


def test_hvp_and_source():
    x, v = arr(3, 4), arr(3, 4)
    got = adcompiler.hvp(sum_axis)(x, 1, v)
    expected = np.tensordot(hessian(sum_axis)(x, 1), v, axes=2)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    g = grad(sum_axis)
    g(x, 0)
    assert "axis=0" in g.source


@pytest.mark.parametrize("transform", ["hessian", "jacobian_of_grad"])
def test_a_second_order_first_learns_its_statics(transform):
    # no grad call before: the gradient that hessian differentiates is
    # compiled while the outer transformation is, and the static `o` is
    # learnt there (it escaped as StaticArgumentNeeded)
    def f(x, o=2):
        return np.linalg.norm(np.sin(x), ord=o)

    x = arr(5)
    first = hessian(f) if transform == "hessian" else jacobian(grad(f))
    got = first(x)  # before any other call of f
    expected = fd_jacobian(lambda y: grad(f)(y), x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
