"""Calls of the user's own functions: helpers, modules, recursion, closures."""

import math

import numpy as np
import pytest

from adcompiler import check_grad, grad
from adcompiler.options import optimizations
from support import model
from support.modules import uncompiled

RNG = np.random.default_rng(21)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=(6, 2))
W1 = RNG.normal(size=(3, 4))
B1 = RNG.normal(size=4) * 0.1
W2 = RNG.normal(size=(4, 2))


def test_three_levels_of_helpers_across_two_modules():
    check_grad(model.loss, X, Y, W1, B1, W2, wrt=(0, 2, 3, 4))


def test_small_callees_are_inlined_and_their_lines_marked():
    g = grad(model.loss, wrt="W1")
    g(X, Y, W1, B1, W2)
    source = g.source
    assert "_forward(" not in source and "_backward(" not in source
    for callee, file in (
        ("network", "model"),
        ("dense", "layers"),
        ("penalty", "model"),
    ):
        assert f" in {callee} ({file}.py): " in source


def test_each_callee_is_transformed_and_shown_without_inlining():
    with optimizations(False):
        g = grad(uncompiled(model.loss), wrt="W1")
        g(X, Y, W1, B1, W2)
    source = g.source
    assert "network_forward(" in source and "network_backward(" in source
    assert "penalty_forward(" in source
    assert " in network (" not in source


def scale(x, factor=2.0, *, shift=0.0):
    return x * factor + shift


def keywords_and_defaults(x, s):
    return np.sum(scale(x) * scale(x, 3.0) + scale(x, factor=s, shift=1.0) ** 2)


def test_positional_keyword_and_default_arguments():
    check_grad(keywords_and_defaults, X, 0.7, wrt=(0, 1))


def split_pair(x):
    return np.sin(x), np.cos(x)


def uses_tuple_results(x):
    s, c = split_pair(x)
    return np.sum(s * c) + np.sum(split_pair(x)[0])


def test_helper_returning_a_tuple():
    check_grad(uses_tuple_results, X)
    # inlined: the results take the names they are unpacked into
    source = grad(uses_tuple_results).source
    assert "s = np.sin(x)" in source and "c = np.cos(x)" in source


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_recursion_with_depth_from_an_argument(n):
    check_grad(power, 1.3, n)
    assert grad(power)(1.3, n) == pytest.approx(n * 1.3 ** max(n - 1, 0), rel=1e-12)


def tree_sum(xs, lo, hi):
    if hi - lo == 1:
        return np.sin(xs[lo])
    mid = (lo + hi) // 2
    return tree_sum(xs, lo, mid) * tree_sum(xs, mid, hi)


def test_recursion_splitting_in_two():
    xs = RNG.normal(size=7)
    check_grad(tree_sum, xs, 0, 7)


def even(x, n):
    if n == 0:
        return x
    return odd(x * 1.1, n - 1)


def odd(x, n):
    return even(math.sin(x), n)


def test_mutual_recursion():
    check_grad(even, 0.4, 4)


def nested_def_and_lambda(x, w):
    offset = 0.5

    def layer(v, k=2.0):
        return np.tanh(v * w + offset) * k

    square = lambda v: v * v  # noqa: E731
    return np.sum(square(layer(x)) + layer(x, k=3.0))


def test_nested_def_and_lambda_see_the_enclosing_variables():
    check_grad(nested_def_and_lambda, X, 0.3, wrt=(0, 1))


def make_loss(target, weight):
    def loss(x):
        return weight * np.sum((x - target) ** 2)

    return loss


def test_free_variables_of_an_enclosing_function():
    f = make_loss(Y[0], 2.5)
    check_grad(f, X[0, :2].copy())


def helper_in_loop(h, W):
    return np.tanh(h @ W)


def loop_calling_helper(x, W):
    h = x
    for t in range(3):
        h = helper_in_loop(h, W)
    return np.sum(h)


def test_helper_called_in_a_loop():
    check_grad(loop_calling_helper, X[:, :3], W1[:, :3].copy(), wrt=(0, 1))


def helper_with_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sum(np.sin(x * (i + 1)))
    return s


def calls_helper_with_loop(x):
    return helper_with_loop(x, 3) * helper_with_loop(x * 2.0, 2)


def test_helper_containing_a_loop():
    check_grad(calls_helper_with_loop, X[0])


KNOT_STEPS = np.array([0.5, 0.7, 0.4, 0.9])


def _warped_and_knots(x):
    return np.sin(x), np.cumsum(KNOT_STEPS)


def test_a_call_result_depends_only_on_the_arguments_it_is_made_of():
    # the knots a (not inlined) call returns are made of a constant: they
    # carry no derivative, so np.interp's xp, which has no rule, is fine
    # (a call's results were all taken to depend on all its arguments);
    # forward mode and reverse mode, and a third order through the halves
    # of the second (generated code called, not inlined)
    from adcompiler import checkpoint

    def f(x):
        s, xp = checkpoint(_warped_and_knots)(x)
        return np.sum(np.interp(s + 1.0, xp, KNOT_STEPS * KNOT_STEPS))

    x = np.array([0.2, 0.5, 0.9])
    check_grad(f, x)

    def g(s):
        xp = np.cumsum(KNOT_STEPS)
        return np.sum(np.sin(np.interp(s * np.ones(3), xp, KNOT_STEPS**2)))

    third = grad(grad(grad(g)))(1.3)
    eps = 1e-4
    second = grad(grad(g))
    assert third == pytest.approx(
        (second(1.3 + eps) - second(1.3 - eps)) / (2 * eps), rel=1e-5
    )
