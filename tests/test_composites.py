"""The composite rewrite (adcompiler.passes.fused): each pattern is found
where it is written, the gradient through it equals central finite
differences, and programs that almost match are left to the rules and are
still right."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

import adcompiler
from adcompiler.options import optimizations
from adcompiler.passes import fused

RNG = np.random.default_rng(7)


@pytest.fixture
def matched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the composites whose backward runs, in order."""
    found: list[str] = []
    for composite in fused.COMPOSITES:
        cls = type(composite)
        original = cls.backward

        def spy(self, match, step, original=original) -> None:
            found.append(self.name)
            original(self, match, step)

        monkeypatch.setattr(cls, "backward", spy)
    return found


def _central_differences(f: Callable, args: list, k: int, eps: float = 1e-6):
    x = np.array(args[k], dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        high = f(*args[:k], up, *args[k + 1 :])
        low = f(*args[:k], down, *args[k + 1 :])
        grad[i] = (high - low) / (2 * eps)
    return grad


def _check_gradient(f: Callable, args: list) -> None:
    wrt = tuple(range(len(args)))
    grads = adcompiler.grad(f, wrt=wrt)(*args)
    for k, got in enumerate(grads):
        want = _central_differences(f, args, k)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


# Each function is compiled by one test only: the spy sees its compilation.


def logistic(z, w):
    s = 1 / (1 + np.exp(-z))
    return np.sum(s * w)


def logistic_sum_reversed(z):
    return np.sum(np.sin(1.0 / (np.exp(-z) + 1.0)))


def doubled_product(x):
    return np.sum(x * x)


def doubled_sum(x):
    return np.sum(x + x)


def negated_square(x):
    return np.sum(np.sin(-x * x))


def negated_square_reversed(x):
    m = -x
    return np.sum(np.cos(x * m)) + np.sum(m)


def exp_factor(x, y):
    return np.sum(np.sin(x) * np.exp(y * x))


def exp_factor_scalar(x):
    return np.sum(np.cos(3.0 * np.exp(x)))


def same_operands(x):
    return np.sum(np.sin(x * x))


def same_operands_sum(x):
    return np.sum(np.cos(x + x))


def logistic_in_loop(z, w):
    h = z
    for _ in range(3):
        h = 1 / (1 + np.exp(-(h * w)))
    return np.sum(h)


def log_softmax(z, w):
    shifted = z - np.max(z, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return np.sum(logp * w)


def softmax_columns(z, w):
    shifted = z - np.max(z, axis=0, keepdims=True)
    e = np.exp(shifted)
    return np.sum(np.sin(e / np.sum(e, axis=0, keepdims=True)) * w)


def softmax_whole(z):
    shifted = z - np.max(z)
    e = np.exp(shifted)
    return np.sum(np.cos(e / np.sum(e)))


@pytest.mark.parametrize(
    "f, names",
    [
        (log_softmax, ["shift-invariant max"]),
        (softmax_columns, ["shift-invariant max"]),
        (softmax_whole, ["shift-invariant max"]),
        (logistic, ["logistic"]),
        (logistic_sum_reversed, ["logistic"]),
        (doubled_product, ["doubled under a sum"]),
        (doubled_sum, ["doubled under a sum"]),
        (negated_square, ["negated square"]),
        (negated_square_reversed, ["negated square"]),
        (exp_factor, ["exponential factor"]),
        (exp_factor_scalar, ["exponential factor"]),
        (same_operands, ["same operands"]),
        (same_operands_sum, ["same operands"]),
        (logistic_in_loop, ["logistic"]),
    ],
    ids=lambda p: p.__name__ if callable(p) else None,
)
def test_composite_is_found_and_its_gradient_is_right(
    f: Callable, names: list[str], matched: list[str]
) -> None:
    args = [RNG.normal(size=(3, 4)) for _ in range(f.__code__.co_argcount)]
    _check_gradient(f, args)
    assert matched == names


def logistic_numerator_two(z):
    return np.sum(2 / (1 + np.exp(-z)))


def logistic_inner_read_again(z):
    e = np.exp(-z)
    s = 1 / (1 + e)
    return np.sum(s) + np.sum(e)


def logistic_without_negation(z):
    return np.sum(1 / (1 + np.exp(z)))


def negated_other_operand(x, y):
    return np.sum(np.sin(-x * y))


def exp_read_again(x):
    e = np.exp(x)
    return np.sum(np.sin(x) * e) + np.sum(e)


def different_operands(x, y):
    return np.sum(np.sin(x * y))


def product_not_under_sum(x):
    return np.sum(np.sin(x - x))


def shifted_exp_summed(z):
    shifted = z - np.max(z, axis=1, keepdims=True)
    return np.sum(np.exp(shifted))


def shift_summed_along_another_axis(z):
    shifted = z - np.max(z, axis=1, keepdims=True)
    return np.sum(shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True)))


def log_sum_exp_read_again(z):
    shifted = z - np.max(z, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return np.sum(shifted - lse) + np.sum(lse)


def shifted_read_again(z):
    shifted = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(shifted)
    return np.sum(np.log(e / np.sum(e, axis=1, keepdims=True))) + np.sum(shifted)


@pytest.mark.parametrize(
    "f",
    [
        shifted_exp_summed,
        shift_summed_along_another_axis,
        log_sum_exp_read_again,
        shifted_read_again,
        logistic_numerator_two,
        logistic_inner_read_again,
        logistic_without_negation,
        negated_other_operand,
        exp_read_again,
        different_operands,
        product_not_under_sum,
    ],
    ids=lambda f: f.__name__,
)
def test_near_miss_is_not_fused_and_still_right(
    f: Callable, matched: list[str]
) -> None:
    args = [RNG.normal(size=(3, 4)) for _ in range(f.__code__.co_argcount)]
    if f is different_operands:
        args[1] = args[0].copy()  # equal contents, different values
    _check_gradient(f, args)
    assert matched == []


def test_no_composite_without_optimisations(matched: list[str]) -> None:
    args = [RNG.normal(size=(3, 4))]
    with optimizations(False):
        _check_gradient(logistic_then_square, args)
    assert matched == []
    _check_gradient(logistic_then_square, args)  # compiled again, optimised
    assert "logistic" in matched


def logistic_then_square(z):
    s = 1 / (1 + np.exp(-z))
    return np.sum(s * s)
