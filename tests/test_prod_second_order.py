"""Second derivatives of ``np.prod`` (found missing by the coverage fuzz
profile, docs/fuzzing.md): ``prod_others``, its derivative, has rules now
(again ``prod_others``, of a larger array: exact where the array has
zeros), checked against central differences of the gradient, and a third
order against its closed form."""

from __future__ import annotations

import numpy as np
import pytest

from adcompiler import check_grad, grad, hessian
from support.differences import fd_jacobian

_RNG = np.random.default_rng(31)


def all_of(x):
    return np.prod(x)


def along_rows(x):
    return np.sum(np.prod(np.sin(x) + 0.5, axis=-1) ** 2)


def along_both(x):
    return np.sum(np.prod(x, axis=(0, 1), keepdims=True) * x)


def method(x):
    return np.sum(np.cos(x.prod(axis=0)))


@pytest.mark.parametrize("f", [all_of, along_rows, along_both, method])
@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_second_order(f, shape):
    if f is along_both and len(shape) == 1:
        pytest.skip("two axes")
    x = _RNG.normal(size=shape)
    check_grad(f, x, order=2)


@pytest.mark.parametrize("f", [all_of, along_rows, method])
def test_hessian_with_zeros(f):
    x = np.array([[0.0, 1.2, -0.7, 0.4], [0.5, 0.0, 0.0, 1.1], [0.3, -0.8, 0.9, 0.0]])
    np.testing.assert_allclose(
        hessian(f)(x), fd_jacobian(grad(f), x), rtol=1e-6, atol=1e-7
    )


def test_third_order():
    def f(s):
        return np.prod(np.array([s, s, s]) * np.array([1.0, 2.0, 3.0]))

    # f(s) = 6 s**3: closed forms of its second and third derivatives
    assert np.isclose(grad(grad(f))(0.7), 36.0 * 0.7)
    assert np.isclose(grad(grad(grad(f)))(0.7), 36.0)
