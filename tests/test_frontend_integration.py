"""Constructs of issue #16 combined, as the front-end fuzz profile found them
refused after the parts landed: NumPy's Python functions as values
(``map(np.sum, ...)``, ``red=np.mean``), and ``None`` passed to a helper
compiled apart (``act is not None`` known in the callee). Every gradient
is checked against central finite differences."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.testing import numerical_grad

X = np.array([0.3, -1.2, 0.5])


def mapped_numpy_function(x):
    return sum(map(np.sum, [x + 0.3, x, np.cos(x)]))


def apply(g, x):
    return g(x)


def numpy_function_default(x, red=np.mean):
    return apply(red, x**2) + red(np.sin(x))


def optional_bias(w, b=None):
    return np.sum(w**2) if b is None else np.sum(w * b)


def compiled_apart(v, act=None):
    # a loop and a branch: not a small body, so compiled apart, for None
    if act is not None and callable(act):
        v = act(v)
    for _ in range(2):
        v = v * 1.5
    return v


def calls_with_and_without(x):
    return np.sum(compiled_apart(x)) + np.sum(compiled_apart(x, np.tanh))


@pytest.mark.parametrize(
    "f",
    [
        mapped_numpy_function,
        numpy_function_default,
        optional_bias,
        calls_with_and_without,
    ],
    ids=lambda f: f.__name__,
)
def test_combined_constructs_match_finite_differences(f):
    np.testing.assert_allclose(
        ad.grad(f)(X), numerical_grad(f, X), rtol=1e-6, atol=1e-8
    )


def test_none_and_an_array_are_compiled_apart():
    g = ad.grad(optional_bias)
    np.testing.assert_allclose(g(X), 2 * X)
    b = np.array([1.0, 2.0, -3.0])
    np.testing.assert_allclose(g(X, b), b)  # b given: another call key
    np.testing.assert_allclose(g(X, None), 2 * X)


def test_a_function_default_is_part_of_the_call_key():
    g = ad.grad(numpy_function_default)
    np.testing.assert_allclose(g(X), numerical_grad(numpy_function_default, X))
    np.testing.assert_allclose(
        g(X, np.sum), numerical_grad(numpy_function_default, X, np.sum)
    )


def logs_through_get_logger(x):
    logging.getLogger(__name__).debug("sum %.3f", np.sum(x))
    logging.getLogger("adcompiler.tests.model").info("step")
    return np.sum(np.sin(x))


def test_a_logger_got_by_name_logs_once_in_the_forward_sweep(caplog):
    with caplog.at_level(logging.DEBUG):
        gradient = ad.grad(logs_through_get_logger)(X)
    np.testing.assert_allclose(gradient, np.cos(X), rtol=1e-12)
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert messages == [
        (__name__, f"sum {np.sum(X):.3f}"),
        ("adcompiler.tests.model", "step"),
    ]
