"""Gradients compiled per rank of their array arguments
(adcompiler.passes.ranks): products of matrices get their adjoints as
``g @ W.T`` and ``h.T @ g``, arrays' shapes are read as attributes, and
values whose rank is not certain keep the general code. Every gradient is
checked against central differences or a closed form."""

from __future__ import annotations

import numpy as np
import pytest

import adcompiler
from adcompiler import grad, hessian
from adcompiler.testing import check_grad
from support.modules import uncompiled

RNG = np.random.default_rng(5)


def rnn(W, U, xs):
    h = np.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U)
    return np.sum(h * h)


def test_products_of_matrices_have_the_lectures_adjoints():
    W, U = RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(3, 4)) * 0.5
    xs = RNG.normal(size=(5, 2, 3))
    g = grad(rnn, wrt=(0, 1))
    g(W, U, xs)
    code = g.source
    assert "@ W.T" in code and "h.T @" in code and ".T @ d_" in code
    assert "einsum_adjoint" not in code
    assert "np.shape(" not in code  # every shape read here is an array's
    check_grad(rnn, W, U, xs, wrt=(0, 1))


def affine(X, w):
    return np.sum(np.tanh(X @ w))


@pytest.mark.parametrize("w_shape", [(3,), (3, 2)])
def test_a_vector_factor_keeps_the_general_adjoint(w_shape):
    X, w = RNG.normal(size=(4, 3)), RNG.normal(size=w_shape)
    g = grad(affine, wrt=(0, 1))
    g(X, w)
    assert ("einsum_adjoint" in g.source) == (len(w_shape) == 1)
    check_grad(affine, X, w, wrt=(0, 1))


def batched(A, B):
    return np.sum(np.sin(A @ B))


def test_a_stack_of_matrices_keeps_the_general_adjoint():
    A, B = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 5))
    g = grad(batched, wrt=(0, 1))
    g(A, B)
    assert "einsum_adjoint" in g.source
    check_grad(batched, A, B, wrt=(0, 1))


def test_each_rank_gets_its_own_code():
    g = grad(affine, wrt=1)
    X = RNG.normal(size=(4, 3))
    for w in (RNG.normal(size=3), RNG.normal(size=(3, 2)), RNG.normal(size=3)):
        expected = X.T @ (1 - np.tanh(X @ w) ** 2)
        np.testing.assert_allclose(g(X, w), expected, rtol=1e-12)


def grows(x, W):
    h = x
    for _ in range(2):
        h = h @ W + np.ones((2, 1))  # rank 1, then rank 2: not one rank
    return np.sum(h * h)


def test_a_loop_whose_rank_changes_keeps_the_general_code():
    x, W = RNG.normal(size=3), RNG.normal(size=(3, 3))
    g = grad(grows, wrt=(0, 1))
    g(x, W)
    assert "einsum_adjoint" in g.source
    check_grad(grows, x, W, wrt=(0, 1))


def branches(x, W, flag):
    if flag:
        h = x @ W
    else:
        h = x[0] @ W
    return np.sum(np.cos(h @ W))


@pytest.mark.parametrize("flag", [True, False])
def test_branches_of_different_ranks_keep_the_general_code(flag):
    x, W = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3))
    g = grad(branches, wrt=(0, 1))
    g(x, W, flag)
    assert "einsum_adjoint" in g.source  # h @ W: h has rank 2 or 1
    check_grad(branches, x, W, flag, wrt=(0, 1))


ROWS = np.array([[0, 1], [2, 3]])  # xs[ROWS] has rank 3


def picked(xs, W):
    return np.sum(np.tanh(xs[ROWS] @ W))


def test_indexing_by_an_array_is_not_counted_as_an_integer():
    xs, W = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2))
    g = grad(picked, wrt=(0, 1))
    g(xs, W)
    assert "einsum_adjoint" in g.source
    check_grad(picked, xs, W, wrt=(0, 1))


def two_layers(W1, W2, x):
    return np.sum(np.tanh(np.tanh(x @ W1) @ W2))


def test_second_derivatives_through_transposed_products():
    W1, W2 = RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(3, 2)) * 0.5
    x = RNG.normal(size=(4, 3))
    g = grad(two_layers)
    g(W1, W2, x)
    assert "@ W2.T" in g.source
    check_grad(two_layers, W1, W2, x, order=2)
    H = hessian(two_layers_flat)(W1.ravel(), W2, x)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-12)


def two_layers_flat(w1, W2, x):
    return two_layers(np.reshape(w1, (3, 3)), W2, x)


def test_optimised_and_unoptimised_gradients_agree():
    W, U = RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(3, 4)) * 0.5
    xs = RNG.normal(size=(5, 2, 3))
    fast = grad(rnn, wrt=(0, 1))(W, U, xs)
    with adcompiler.options.optimizations(False):
        unoptimised = grad(uncompiled(rnn), wrt=(0, 1))
        plain = unoptimised(W, U, xs)
    assert "einsum_adjoint" in unoptimised.source  # compiled apart, no ranks
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def _ranks_of(f, *args):
    """The ranks the marking gives each value of f's lowered graph, by
    name of the function called."""
    from adcompiler.ir import Op
    from adcompiler.passes import ranks as R

    seen = {}
    original = R._Marker.result_rank

    def spy(self, op: Op):
        out = original(self, op)
        seen.setdefault(getattr(op.prim.fn, "__name__", str(op.prim.fn)), out)
        return out

    R._Marker.result_rank = spy
    try:
        grad(f)(*args)
    finally:
        R._Marker.result_rank = original
    return seen


def constructed(s, v):
    a = np.array([s, 2.0 * s])
    b = np.stack([a, v])
    c = np.concatenate([a, v])
    d = np.reshape(c, (2, 2))
    e = np.outer(a, v)
    f = np.atleast_2d(a)
    return np.sum(b * d * e * f) + np.sum(np.ravel(d) * c) + np.sum(np.diag(a))


def test_constructors_joins_and_reshapes_have_their_ranks():
    v = RNG.normal(size=2)
    ranks = _ranks_of(constructed, 0.7, v)
    assert ranks["array"] == 1 and ranks["stack"] == 2
    assert ranks["concatenate"] == 1 and ranks["reshape"] == 2
    assert ranks["outer"] == 2 and ranks["atleast_2d"] == 2
    assert ranks["ravel"] == 1 and ranks["diag"] == 2
    check_grad(constructed, 0.7, v, wrt=(0, 1))
    check_grad(constructed, 0.7, v, wrt=(0, 1), order=2)


def test_a_norm_of_ord_2_of_a_built_vector_knows_it_is_a_vector():
    # the vector and the matrix 2-norm differ: the rule needs the rank,
    # which np.array of two numbers gives
    def f(s):
        return np.linalg.norm(np.array([s, 2.0 * s, 1.0]), ord=2)

    s = 0.7
    assert grad(f)(s) == pytest.approx(5 * s / np.sqrt(5 * s * s + 1), rel=1e-12)
    check_grad(f, s, order=2)
