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
from .elementwise import ub
from .registry import VIEW, define, linear, nondifferentiable
from .runtime_helpers import filled, pieces_adjoint, untile, unrepeat
from .symbolic import Sym, call

define(
    np.reshape,
    lambda g, ans, a, shape, order="C": np.reshape(g, np.shape(a)),
    None,
    tangent=linear(0),
    memory=VIEW,
    integers=("shape",),
    static=("order",),
    methods=("reshape",),
    method_varargs=True,
    categories=("shape",),
)
define(
    np.ravel,
    lambda g, ans, a, order="C": np.reshape(g, np.shape(a)),
    tangent=linear(0),
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

define(
    np.ndarray.flatten,
    lambda g, ans, a, order="C": np.reshape(g, np.shape(a)),
    tangent=linear(0),
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
