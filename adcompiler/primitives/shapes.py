"""Records of shape functions and views: reshaping, transposing, flipping,
broadcasting, tiling and joining arrays, and the shape queries.

Each adjoint puts ``g`` back in the argument's shape; each is linear, so its
tangent is the function applied to the tangent. A function whose result may
be a view of its argument declares ``memory=VIEW``: after ``y[i] = v`` or
``y += v`` every value sharing ``y``'s memory has changed too, and the
compiler follows views to keep in-place changes honest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import runtime
from ..errors import NoRuleError
from .elementwise import ub
from .registry import VIEW, define, linear, lookup, nondifferentiable
from .runtime_helpers import filled, pieces_adjoint, untile, unrepeat
from .symbolic import Sym, call


def index_order(order: Any, name: str) -> str:
    """``order`` of a reshape, ravel or flatten as "C" or "F", the index
    orders whose adjoint is the same reshape back. "A" and "K" read the
    argument's memory layout, known only at run time: refused."""
    if order is None:
        return "C"
    if order in ("C", "F"):
        return order
    raise NoRuleError(
        f"{name} with order={order!r} has no derivative rule: the order it "
        "reads elements in depends on the argument's memory layout",
        hint='pass order="C" or order="F"',
    )


def _reshape(g, ans, a, shape, order="C"):
    return np.reshape(g, np.shape(a), order=index_order(order, "reshape"))


def _reshape_tangent(t, ans, a, shape, order="C"):
    return np.reshape(t, np.shape(ans), order=index_order(order, "reshape"))


define(
    np.reshape,
    _reshape,
    None,
    tangent=(_reshape_tangent, None),
    memory=VIEW,
    integers=("shape",),
    static=("order",),
    methods=("reshape",),
    method_varargs=True,
    categories=("shape",),
)


def _ravel(g, ans, a, order="C"):
    return np.reshape(g, np.shape(a), order=index_order(order, "ravel"))


def _ravel_tangent(t, ans, a, order="C"):
    return np.ravel(t, order=index_order(order, "ravel"))


define(
    np.ravel,
    _ravel,
    tangent=(_ravel_tangent,),
    memory=VIEW,
    static=("order",),
    methods=("ravel",),
    categories=("shape",),
)
define(
    np.squeeze,
    lambda g, ans, a, axis=None: np.reshape(g, np.shape(a)),
    tangent=linear(0),
    memory=VIEW,
    static=("axis",),
    methods=("squeeze",),
    categories=("shape",),
)
define(
    np.expand_dims,
    lambda g, ans, a, axis: np.reshape(g, np.shape(a)),
    tangent=linear(0),
    memory=VIEW,
    static=("axis",),
    categories=("shape",),
)
for fn in (np.atleast_1d, np.atleast_2d):
    define(
        fn,
        lambda g, ans, a: np.reshape(g, np.shape(a)),
        tangent=linear(0),
        memory=VIEW,
        categories=("shape",),
    )
# a view of a with shape (1, n, 1) for a vector, (m, n, 1) for a matrix
define(
    np.atleast_3d,
    lambda g, ans, a: np.reshape(g, np.shape(a)),
    tangent=linear(0),
    memory=VIEW,
    categories=("shape",),
)


def _transpose(g, ans, a, axes=None):
    if axes is None:
        return np.transpose(g)
    n = len(axes)
    inverse = tuple(int(i) for i in np.argsort([axis % n for axis in axes]))
    return np.transpose(g, inverse)


define(
    np.transpose,
    _transpose,
    tangent=linear(0),
    memory=VIEW,
    static=("axes",),
    methods=("transpose",),
    method_varargs=True,
    attributes=("T",),
    categories=("shape",),
)
define(
    np.swapaxes,
    lambda g, ans, a, axis1, axis2: np.swapaxes(g, axis1, axis2),
    tangent=linear(0),
    memory=VIEW,
    static=("axis1", "axis2"),
    methods=("swapaxes",),
    categories=("shape",),
)
define(
    np.moveaxis,
    lambda g, ans, a, source, destination: np.moveaxis(g, destination, source),
    tangent=linear(0),
    memory=VIEW,
    static=("source", "destination"),
    categories=("shape",),
)
define(
    np.flip,
    lambda g, ans, m, axis=None: np.flip(g, axis),
    tangent=linear(0),
    memory=VIEW,
    static=("axis",),
    categories=("shape",),
)
define(
    np.broadcast_to,
    lambda g, ans, array, shape: ub(g, array),
    None,
    tangent=linear(0),
    memory=VIEW,
    integers=("shape",),
    categories=("shape",),
)

# ---------------------------------------------------------------------------
# Copies in another shape: new memory


def _flatten(g, ans, a, order="C"):
    return np.reshape(g, np.shape(a), order=index_order(order, "flatten"))


def _flatten_tangent(t, ans, a, order="C"):
    flatten = lookup(np.ndarray.flatten)
    return flatten(t, order=index_order(order, "flatten"))


define(
    np.ndarray.flatten,
    _flatten,
    tangent=(_flatten_tangent,),
    render=("method", "flatten"),
    methods=("flatten",),
)
define(
    np.tile,
    lambda g, ans, A, reps: untile(g, np.shape(A), reps),
    None,
    tangent=linear(0),
    integers=("reps",),
)
define(
    np.repeat,
    lambda g, ans, a, repeats, axis=None: unrepeat(g, np.shape(a), repeats, axis),
    None,
    tangent=linear(0),
    integers=("repeats",),
    static=("axis",),
    methods=("repeat",),
)


def pieces(kind: str):
    """The reverse rule of a function joining a list of arrays into one."""

    def rule(g, ans, arrays, axis=0):
        if isinstance(arrays, Sym):  # a list, tuple or array known at run time
            return pieces_adjoint(g, kind, arrays, axis)
        shapes = [np.shape(x) for x in arrays]
        return [
            np.reshape(g[call(runtime.piece_index, kind, shapes, axis, i)], np.shape(x))
            for i, x in enumerate(arrays)
        ]

    return rule


def _joined(fn: Any, with_axis: bool = True):
    """The tangent rule of a function joining a list of arrays into one: the
    same function of their tangents (zeros where an item has none). A list
    built at run time (a symbol) is passed on whole, never iterated."""

    def rule(t, ans, arrays, axis=0):
        tangents = t if isinstance(arrays, Sym) else filled(t, arrays)
        if with_axis:
            return call(fn, tangents, axis=axis)
        return call(fn, tangents)

    return rule


define(
    np.concatenate,
    pieces("concatenate"),
    tangent=(_joined(np.concatenate),),
    static=("axis",),
)
define(np.stack, pieces("stack"), tangent=(_joined(np.stack),), static=("axis",))
define(
    np.hstack,
    lambda g, ans, tup: pieces("hstack")(g, ans, tup, 0),
    tangent=(_joined(np.hstack, with_axis=False),),
)
define(
    np.vstack,
    lambda g, ans, tup: pieces("vstack")(g, ans, tup, 0),
    tangent=(_joined(np.vstack, with_axis=False),),
)

# ---------------------------------------------------------------------------
# Shape queries: no derivative

for fn, attribute in (
    (np.shape, "shape"),
    (np.ndim, "ndim"),
    (np.size, "size"),
    (np.result_type, "dtype"),
):
    nondifferentiable(
        fn, attributes=(attribute,), categories=("shape query", "metadata")
    )
nondifferentiable(np.broadcast_shapes)
