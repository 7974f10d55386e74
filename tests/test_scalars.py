"""The scalars pass: gradients compiled for float arguments skip the
unbroadcasts (and the tape entries only they read), and give the same
gradients as the general code compiled for 0-d arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adcompiler import grad
from adcompiler.testing import numerical_grad


def loop_sin(x, a):
    s = 0.0
    for i in range(30):
        s = s + math.sin(x * a + s * 0.01)
    return s


def loop_np_sin(x, a):
    s = 0.0
    for i in range(30):
        s = s + np.sin(x * a + s * 0.01) * i
    return s


def becomes_array(x, v):
    # s starts as a float and turns into an array in the loop
    s = 0.0
    for i in range(3):
        s = s + x * v
    return np.sum(s * x)


def branch_array(x, v):
    if x > 0.0:
        t = x * 2.0
    else:
        t = v * x
    return np.sum(t * x + v)


def scalar_times_array(x, v):
    return np.sum(np.tanh(x * v) * x)


@pytest.mark.parametrize(
    "fn, stored",
    [(loop_sin, "tape.append(add)"), (loop_np_sin, "tape.append((i, add))")],
)
def test_float_arguments_skip_unbroadcast(fn, stored):
    g = grad(fn, wrt=(0, 1))
    expected = numerical_grad(fn, 0.3, 0.7, wrt=(0, 1))
    got = g(0.3, 0.7)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert "unbroadcast" not in g.source
    assert "np.shape" not in g.source
    # only what the backward multiplies by is stored per iteration
    assert stored in g.source


@pytest.mark.parametrize("fn", [loop_sin, loop_np_sin])
def test_zero_d_arrays_take_the_general_path_and_agree(fn):
    g = grad(fn, wrt=(0, 1))
    for_floats = g(0.3, 0.7)
    for_arrays = g(np.array(0.3), np.array(0.7))
    assert "unbroadcast" in g.source  # the entry of the last call
    np.testing.assert_allclose(for_arrays, for_floats, rtol=1e-12)


def test_same_function_float_then_array():
    g = grad(scalar_times_array, wrt=(0, 1))
    v = np.array([0.5, -1.0, 2.0])
    first = g(0.4, v)
    expected = numerical_grad(scalar_times_array, 0.4, v, wrt=(0, 1))
    np.testing.assert_allclose(first[0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(first[1], expected[1], rtol=1e-6)
    # now x an array too: a separate compilation, unbroadcast needed for x
    x = np.array([0.4, 0.1, -0.3])
    second = g(x, v)
    expected = numerical_grad(scalar_times_array, x, v, wrt=(0, 1))
    np.testing.assert_allclose(second[0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(second[1], expected[1], rtol=1e-6)


def test_loop_carried_value_that_becomes_an_array_is_not_a_scalar():
    g = grad(becomes_array, wrt=(0, 1))
    v = np.array([0.5, -1.0, 2.0])
    got = g(0.4, v)
    expected = numerical_grad(becomes_array, 0.4, v, wrt=(0, 1))
    assert np.shape(got[0]) == ()
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    assert "unbroadcast" in g.source


@pytest.mark.parametrize("x", [0.4, -0.4])
def test_if_with_an_array_branch_is_not_a_scalar(x):
    g = grad(branch_array, wrt=(0, 1))
    v = np.array([0.5, -1.0, 2.0])
    got = g(x, v)
    expected = numerical_grad(branch_array, x, v, wrt=(0, 1))
    assert np.shape(got[0]) == ()
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)


def test_int_and_float64_arguments_are_scalars():
    g = grad(loop_sin, wrt=1)
    expected = numerical_grad(loop_sin, 2.0, 0.7, wrt=1)
    np.testing.assert_allclose(g(2, 0.7), expected, rtol=1e-6)
    assert "unbroadcast" not in g.source
    got = g(np.float64(2.0), np.float64(0.7))
    assert isinstance(got, np.float64)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert "unbroadcast" not in g.source


STEP = 0.005


def euler_with_a_global_step(k, x):
    for i in range(20):
        x = x + STEP * (-k * x * x)
    return x


def euler_with_a_default_step(k, x, h=0.005):
    for i in range(20):
        x = x + h * (-k * x * x)
    return x


def _euler_reference(k, x, h):
    for i in range(20):
        x = x + h * (-k * x * x)
    return x


@pytest.mark.parametrize("fn", [euler_with_a_global_step, euler_with_a_default_step])
def test_a_number_read_from_a_global_or_a_default_is_a_scalar(fn):
    # a float module constant or default used to make every value of the
    # loop unknown in shape: np.shape and unbroadcast at each step
    g = grad(fn, wrt=(0, 1))
    got = g(0.7, 1.3)
    assert "unbroadcast" not in g.source and "np.shape" not in g.source
    expected = numerical_grad(
        lambda k, x: _euler_reference(k, x, 0.005), 0.7, 1.3, wrt=(0, 1)
    )
    np.testing.assert_allclose(got, expected, rtol=1e-7)


def summed_euler(k, x):
    return np.sum(euler_with_a_global_step(k, x))


def test_a_global_number_that_becomes_an_array_compiles_again(monkeypatch):
    g = grad(summed_euler, wrt=(0, 1))
    g(0.7, 1.3)
    steps = np.array([0.005, 0.01])
    monkeypatch.setitem(euler_with_a_global_step.__globals__, "STEP", steps)
    expected = numerical_grad(
        lambda k, x: np.sum(_euler_reference(k, x, steps)), 0.7, 1.3, wrt=(0, 1)
    )
    np.testing.assert_allclose(g(0.7, 1.3), expected, rtol=1e-7)


def test_a_default_that_becomes_an_array_compiles_again():
    def f(k, x, h=0.005):
        for i in range(5):
            x = x + h * (-k * x * x)
        return np.sum(x)

    g = grad(f, wrt=(0, 1))
    g(0.7, 1.3)
    f.__defaults__ = (np.array([0.005, 0.02]),)
    expected = numerical_grad(lambda k, x: f(k, x), 0.7, 1.3, wrt=(0, 1))
    np.testing.assert_allclose(g(0.7, 1.3), expected, rtol=1e-7)
