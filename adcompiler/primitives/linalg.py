"""Records of linear algebra: products (``dot``, ``@``, ``tensordot``, ...),
``trace``, ``inv``, ``solve`` and ``det`` (``einsum`` is in :mod:`.arrays`,
``norm`` in :mod:`.norms`).

Products are bilinear: their adjoints are einsums of ``g`` and the other
factor (:func:`runtime.einsum_adjoint`, whose subscripts may depend on ranks
known only at run time), and their tangent in each factor is the product
with that factor replaced by its tangent.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import runtime
from .registry import define, linear
from .runtime_helpers import (
    cofactor,
    einsum_adjoint,
    matmul_transposed,
    transposed_matmul,
    unbroadcast,
)
from .symbolic import Sym, call


def _matrix(x: Any) -> bool:
    """True for an operand known to be a matrix: an array of rank 2 (see
    :mod:`adcompiler.passes.ranks`). Its adjoint then has rank 2 as well."""
    return isinstance(x, Sym) and x.value.ndim == 2


def bilinear(fn: Any, kind: str, methods: tuple[str, ...] = ()) -> None:
    """The record of a product bilinear in (a, b), as an einsum whose
    subscripts depend on ranks. ``matmul`` passes its name instead
    (:func:`runtime.einsum_adjoint` multiplies matrices directly, and works
    the subscripts out otherwise)."""

    def spec(a, b):
        if kind == "matmul":
            return "matmul"
        return call(runtime.bilinear_spec, kind, np.ndim(a), np.ndim(b))

    def of_a(g, ans, a, b):
        if kind == "matmul" and _matrix(a) and _matrix(b):
            return matmul_transposed(g, b)  # g @ b.T: the lecture's "backward: Wᵀ"
        return einsum_adjoint(spec(a, b), 0, np.shape(a), g, None, b)

    def of_b(g, ans, a, b):
        if kind == "matmul" and _matrix(a) and _matrix(b):
            return transposed_matmul(a, g)  # a.T @ g: the lecture's "update: xᵀ"
        return einsum_adjoint(spec(a, b), 1, np.shape(b), g, a, None)

    define(fn, of_a, of_b, tangent=linear(0, 1), methods=methods)


bilinear(np.dot, "dot", methods=("dot",))
bilinear(np.inner, "inner")
for fn in (operator.matmul, np.matmul):
    bilinear(fn, "matmul")
define(
    np.tensordot,
    lambda g, ans, a, b, axes=2: einsum_adjoint(
        call(runtime.bilinear_spec, "tensordot", np.ndim(a), np.ndim(b), axes),
        0,
        np.shape(a),
        g,
        None,
        b,
    ),
    lambda g, ans, a, b, axes=2: einsum_adjoint(
        call(runtime.bilinear_spec, "tensordot", np.ndim(a), np.ndim(b), axes),
        1,
        np.shape(b),
        g,
        a,
        None,
    ),
    tangent=linear(0, 1),
    static=("axes",),
)
define(
    np.outer,
    lambda g, ans, a, b: np.reshape(np.dot(g, np.ravel(b)), np.shape(a)),
    lambda g, ans, a, b: np.reshape(np.dot(np.ravel(a), g), np.shape(b)),
    tangent=linear(0, 1),
)


# np.einsum's record (string and sublist forms): see .arrays


def _trace(g, ans, a, offset=0, axis1=0, axis2=1):
    # g times the (offset) diagonal's indicator, its axes moved back in place;
    # the sizes are runtime values, so np.eye is recorded as an op
    shape = np.shape(a)
    diagonal = call(np.eye, shape[axis1], shape[axis2], offset)
    # (g is a Python float when the trace is the output or scaled by one:
    # expand_dims, not g[..., None, None])
    g = np.expand_dims(g, (-2, -1))
    return np.moveaxis(g * diagonal, (-2, -1), (axis1, axis2))


define(
    np.trace,
    _trace,
    tangent=linear(0),
    static=("offset", "axis1", "axis2"),
    methods=("trace",),
)


def mT(x: Any) -> Any:
    """``x`` with its last two axes swapped (a stack of transposed matrices)."""
    return np.swapaxes(x, -1, -2)


define(
    np.linalg.inv,
    lambda g, ans, a: -mT(ans) @ g @ mT(ans),
    tangent=(lambda t, ans, a: -(ans @ t @ ans),),
    categories=("decomposition",),  # rules of eig, solve call it again
)


# x = solve(a, b) is inv(a) @ b, with the same rule for what b is: a vector
# when b.ndim == 1 (then x may be a stack of vectors, for a stack of a),
# otherwise a stack of matrices; a or b broadcast over the other's batch.
# The rules read b (and x, g) as stacks of columns: with gx those of g,
# gb = solve(a.T, gx) and ga = -gb x.T, each summed back to its argument's
# shape where it was broadcast (matrix products and solves only: no einsum
# whose subscripts depend on ranks, so every order has the same rules).


def _columns(x, b):
    return call(runtime.as_columns, x, b)


def _solve_b_columns(g, a, b):
    return np.linalg.solve(mT(a), _columns(g, b))


def _solve_b(g, ans, a, b):
    gb = call(runtime.from_columns, _solve_b_columns(g, a, b), b)
    return unbroadcast(gb, np.shape(b))


def _solve_a(g, ans, a, b):
    ga = -(_solve_b_columns(g, a, b) @ mT(_columns(ans, b)))
    return unbroadcast(ga, np.shape(a))


# dx = solve(a, db - da @ x), with solve's own reading of b (a vector, or a
# stack of matrices)
def _solve_a_tangent(t, ans, a, b):
    columns = _columns(ans, b)
    return call(runtime.from_columns, -np.linalg.solve(a, t @ columns), b)


define(
    np.linalg.solve,
    _solve_a,
    _solve_b,
    tangent=(_solve_a_tangent, lambda t, ans, a, b: np.linalg.solve(a, t)),
)
# the gradient of det is the cofactor matrix, det(a) inv(a).T where a is
# invertible; runtime.cofactor is defined at singular matrices too (from
# the SVD, no inverse)
define(
    np.linalg.det,
    lambda g, ans, a: np.expand_dims(g, (-2, -1)) * cofactor(a),
    tangent=(lambda t, ans, a: np.sum(cofactor(a) * t, axis=(-2, -1)),),
)


# np.linalg.norm's record (every ord and axis): see .norms
