"""Records of NumPy's array functions: rolls, diagonals, triangles, flips,
rotations, appends, splits and stacks, padding, selections, grids,
Kronecker and cross products, differences and gradients, sorts,
``take_along_axis``, ``nan_to_num``, ``sinc``, ``cumprod``, ``trapezoid``,
``interp``, ``convolve``/``correlate``, ``polyval`` and ``einsum``.

Every rule is written with registered primitives (the functions here, and
the helpers of :mod:`.array_helpers`, each registered with the rules of its
transpose), so its own derivatives are known and any order works. Linear
functions have the function itself applied to the tangent as tangent rule.

Conventions where a function is not differentiable: ``sort`` and
``partition`` at ties give each tied output the adjoint of the element the
(stable) sort placed there; ``interp`` at a knot takes the slope of the
segment to its right, and is flat outside ``[xp[0], xp[-1]]``;
``nan_to_num`` has derivative 0 where it replaced a value.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..errors import NoRuleError
from . import array_helpers as helpers
from .elementwise import broadcast_like, ub
from .registry import (
    VIEW,
    define,
    linear,
    lookup,
    nondifferentiable,
)
from .shapes import pieces
from .runtime_helpers import (
    _only_shape,
    adjoint_item,
    einsum_adjoint,
    filled,
    join_pieces,
    product_rule,
    shapes_of,
    zero_adjoint,
)
from .symbolic import Sym, call


def _ndim(x: Any) -> int | None:
    """The rank of ``x`` when it is known at compile time, else None."""
    if isinstance(x, Sym):
        return x.value.ndim
    return np.ndim(x)


# ---------------------------------------------------------------------------
# Rearrangements: views and copies of the argument's elements


def _negated(shift: Any) -> Any:
    if isinstance(shift, (tuple, list)):
        return tuple(-s for s in shift)
    return -shift


define(
    np.roll,
    lambda g, ans, a, shift, axis=None: np.roll(g, _negated(shift), axis),
    tangent=linear(0),
    static=("shift", "axis"),
)


def _triangle(fn: Any):
    def rule(g, ans, m, k=0):
        return lookup(fn)(g, k)

    return rule


def _flipped(fn: Any):
    def rule(g, ans, m):
        return lookup(fn)(g)

    return rule


for fn in (np.tril, np.triu):
    define(fn, _triangle(fn), tangent=linear(0), static=("k",))
for fn in (np.flipud, np.fliplr):
    define(fn, _flipped(fn), tangent=linear(0), memory=VIEW, categories=("shape",))
define(
    np.rot90,
    lambda g, ans, m, k=1, axes=(0, 1): np.rot90(g, -k, axes),
    tangent=linear(0),
    memory=VIEW,
    static=("k", "axes"),
    categories=("shape",),
)
undiagonal = define(
    helpers.undiagonal,
    lambda G, ans, g, shape, offset=0, axis1=0, axis2=1: np.diagonal(
        G, offset, axis1, axis2
    ),
    _only_shape,
    tangent=linear(0),
    static=("offset", "axis1", "axis2"),
    hint="undiagonal",
)
define(
    np.diagonal,
    lambda g, ans, a, offset=0, axis1=0, axis2=1: undiagonal(
        g, np.shape(a), offset, axis1, axis2
    ),
    tangent=linear(0),
    memory=VIEW,  # a read-only view
    static=("offset", "axis1", "axis2"),
    methods=("diagonal",),
)
diag_adjoint = define(
    helpers.diag_adjoint,
    lambda G, ans, g, shape, k=0: np.diag(G, k),
    _only_shape,
    tangent=linear(0),
    static=("k",),
    hint="undiag",
)
define(
    np.diag,
    lambda g, ans, v, k=0: diag_adjoint(g, np.shape(v), k),
    tangent=linear(0),
    memory=VIEW,  # of a matrix: its diagonal, a read-only view
    static=("k",),
)
rollaxis_back = define(
    helpers.rollaxis_back,
    lambda G, ans, g, ndim, axis, start=0: np.rollaxis(G, axis, start),
    _only_shape,
    tangent=linear(0),
    static=("axis", "start"),
    hint="unrolled",
)
define(
    np.rollaxis,
    lambda g, ans, a, axis, start=0: rollaxis_back(g, np.ndim(a), axis, start),
    tangent=linear(0),
    memory=VIEW,
    static=("axis", "start"),
    categories=("shape",),
)

# ---------------------------------------------------------------------------
# Joining and splitting


def _append_part(g, arr, values, axis, k):
    """The adjoint of ``arr`` (k 0) or ``values`` (k 1) of ``np.append``:
    its piece of the concatenation (of the flattened pair for axis None)."""
    if axis is None:
        pair = [np.ravel(arr), np.ravel(values)]
        part = pieces("concatenate")(g, None, pair, 0)[k]
    else:
        part = pieces("concatenate")(g, None, [arr, values], axis)[k]
    return np.reshape(part, np.shape((arr, values)[k]))


define(
    np.append,
    lambda g, ans, arr, values, axis=None: _append_part(g, arr, values, axis, 0),
    lambda g, ans, arr, values, axis=None: _append_part(g, arr, values, axis, 1),
    tangent=(
        lambda t, ans, arr, values, axis=None: np.append(
            t, zero_adjoint(values), axis=axis
        ),
        lambda t, ans, arr, values, axis=None: np.append(
            zero_adjoint(arr), t, axis=axis
        ),
    ),
    static=("axis",),
)


def _split(kind: str):
    def rule(g, ans, ary, indices_or_sections, axis=0):
        return join_pieces(g, kind, shapes_of(ans), axis)

    return rule


for fn in (np.split, np.array_split):
    define(
        fn,
        _split("concatenate"),
        tangent=linear(0),
        memory=VIEW,  # a list of views
        static=("indices_or_sections", "axis"),
        container=True,
    )


def _split_along(kind: str, axis: int):
    def rule(g, ans, ary, indices_or_sections):
        return join_pieces(g, kind, shapes_of(ans), axis)

    return rule


for fn, kind, axis in (
    (np.hsplit, "hstack", 0),
    (np.vsplit, "vstack", 0),
    (np.dsplit, "concatenate", 2),
):
    define(
        fn,
        _split_along(kind, axis),
        tangent=linear(0),
        memory=VIEW,
        static=("indices_or_sections",),
        container=True,
    )

stack_split = define(
    helpers.stack_split,
    lambda G, ans, g, kind, shapes: call(helpers.stack_join, G, kind, shapes),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    static=("kind",),
    hint="pieces",
    container=True,
)
define(
    helpers.stack_join,
    lambda G, ans, parts, kind, shapes: stack_split(G, kind, shapes),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    static=("kind",),
    hint="joined",
)


def _stacked(kind: str, fn: Any):
    def rule(g, ans, tup):
        if isinstance(tup, Sym):  # a list known only at run time
            return stack_split(g, kind, shapes_of(tup))
        parts = stack_split(g, kind, [np.shape(x) for x in tup])
        return [adjoint_item(parts, k) for k in range(len(tup))]

    def tangent(t, ans, tup):
        return call(fn, t if isinstance(tup, Sym) else filled(t, tup))

    return rule, tangent


_STACKS = [(np.column_stack, "column_stack"), (np.dstack, "dstack")]
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:
    _STACKS.append((np.row_stack, "row_stack"))  # deprecated in NumPy 2
for fn, kind in _STACKS:
    rule, tangent = _stacked(kind, fn)
    define(fn, rule, tangent=(tangent,))

# ---------------------------------------------------------------------------
# Padding, selecting, grids


def _pad_options(mode, kwargs):
    if mode not in helpers.PAD_MODES:
        raise NoRuleError(
            f"np.pad with mode={mode!r} has no derivative rule",
            hint="use mode 'constant', 'edge', 'reflect', 'symmetric' or 'wrap'",
        )
    if (
        mode in ("reflect", "symmetric")
        and kwargs.get("reflect_type", "even") != "even"
    ):
        raise NoRuleError(
            "np.pad with reflect_type='odd' has no derivative rule",
            hint="use reflect_type='even' (the default)",
        )
    return {"reflect_type": "even"} if mode in ("reflect", "symmetric") else {}


unpad = define(
    helpers.unpad,
    lambda G, ans, g, shape, pad_width, mode="constant", **kw: call(
        helpers.repad, G, pad_width, mode, **kw
    ),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    static=("pad_width", "mode", "reflect_type"),
    hint="unpadded",
)
define(
    helpers.repad,
    lambda G, ans, g, pad_width, mode="constant", **kw: unpad(
        G, np.shape(g), pad_width, mode, **kw
    ),
    _only_shape,
    tangent=linear(0),
    static=("pad_width", "mode", "reflect_type"),
    hint="padded",
)


def _pad(g, ans, array, pad_width, mode="constant", constant_values=0, **kwargs):
    options = _pad_options(mode, kwargs)
    return unpad(g, np.shape(array), pad_width, mode, **options)


def _pad_tangent(t, ans, array, pad_width, mode="constant", constant_values=0, **kw):
    options = _pad_options(mode, kw)
    return call(helpers.repad, t, pad_width, mode, **options)


define(
    np.pad,
    _pad,
    tangent=(_pad_tangent,),
    static=("pad_width", "mode", "constant_values", "reflect_type"),
)

selected = define(
    helpers.selected,
    lambda G, ans, g, condlist, k: ub(call(helpers.selected, G, condlist, k), g),
    tangent=linear(0),
    integers=("condlist",),
    static=("k",),
)


def _listed(choicelist: Any, fn: str) -> None:
    if isinstance(choicelist, Sym):
        raise NoRuleError(
            f"{fn} with a choicelist known only at run time has no derivative rule",
            hint="write choicelist as a list in the call: np.select(conds, [a, b])",
        )


def _select_choices(g, ans, condlist, choicelist, default=0):
    _listed(choicelist, "np.select")
    return [ub(selected(g, condlist, k), c) for k, c in enumerate(choicelist)]


def _select_choices_tangent(t, ans, condlist, choicelist, default=0):
    _listed(choicelist, "np.select")
    return broadcast_like(np.select(condlist, filled(t, choicelist), 0.0), ans)


define(
    np.select,
    None,
    _select_choices,
    lambda g, ans, condlist, choicelist, default=0: ub(
        selected(g, condlist, -1), default
    ),
    tangent=(
        None,
        _select_choices_tangent,
        lambda t, ans, condlist, choicelist, default=0: selected(
            broadcast_like(t, ans), condlist, -1
        ),
    ),
    # piecewise constant in the conditions (as np.where)
    integers=("condlist",),
)


def _grid_axis(k: int, n: int, indexing: str) -> int:
    if indexing == "xy" and n >= 2 and k < 2:
        return 1 - k
    return k


def _meshgrid(g, ans, *xi, indexing="xy", sparse=False, copy=True):
    n = len(xi)
    adjoints = []
    for k, x in enumerate(xi):
        axis = _grid_axis(k, n, indexing)
        others = tuple(d for d in range(n) if d != axis)
        part = np.broadcast_to(adjoint_item(g, k), np.shape(ans[k]))
        adjoints.append(np.reshape(np.sum(part, axis=others), np.shape(x)))
    return adjoints


def _meshgrid_tangent(t, ans, *xi, indexing="xy", sparse=False, copy=True):
    return call(np.meshgrid, *filled(list(t), xi), indexing=indexing, sparse=sparse)


define(
    np.meshgrid,
    _meshgrid,
    tangent=(_meshgrid_tangent,),
    static=("indexing", "sparse", "copy"),
    container=True,
)

# ---------------------------------------------------------------------------
# Products


kron_adjoint = define(
    helpers.kron_adjoint,
    lambda G, ans, g, other, shape, which: (
        np.kron(G, other) if which == 0 else np.kron(other, G)
    ),
    lambda G, ans, g, other, shape, which: call(
        helpers.kron_adjoint, g, G, np.shape(other), 1 - which
    ),
    _only_shape,
    tangent=(
        lambda t, ans, g, other, shape, which: call(
            helpers.kron_adjoint, t, other, shape, which
        ),
        lambda t, ans, g, other, shape, which: call(
            helpers.kron_adjoint, g, t, shape, which
        ),
        _only_shape,
    ),
    static=("which",),
    hint="unkron",
)
define(
    np.kron,
    lambda g, ans, a, b: kron_adjoint(g, b, np.shape(a), 0),
    lambda g, ans, a, b: kron_adjoint(g, a, np.shape(b), 1),
    tangent=linear(0, 1),
)


three_vectors = nondifferentiable(helpers.three_vectors, hint="checked")
three_vectors.effect = True  # a check: kept though its result is unused


def _cross_axes(a, b, axisa, axisb, axisc, axis):
    if axis is not None:
        axisa = axisb = axisc = axis
    call(helpers.three_vectors, a, b, axisa, axisb)
    return axisa, axisb, axisc


def _cross_a(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    axisa, axisb, axisc = _cross_axes(a, b, axisa, axisb, axisc, axis)
    # <g, a x b> = <a, b x g>
    return ub(np.cross(b, g, axisa=axisb, axisb=axisc, axisc=axisa), a)


def _cross_b(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    axisa, axisb, axisc = _cross_axes(a, b, axisa, axisb, axisc, axis)
    # <g, a x b> = <b, g x a>
    return ub(np.cross(g, a, axisa=axisc, axisb=axisa, axisc=axisb), b)


define(
    np.cross,
    _cross_a,
    _cross_b,
    tangent=linear(0, 1),
    static=("axisa", "axisb", "axisc", "axis"),
)

# convolve(a, v, mode) = einsum("kij,i,j->k", T, a, v) with T of 0s and 1s
# (correlate(a, v) is convolve(a, conj(v)[::-1]))


def _tensor(a, v, mode):
    return call(helpers.convolution_tensor, np.size(a), np.size(v), mode)


def _convolution(kind: str):
    def reverse_v(v):
        # correlate conjugates v (for complex arrays): it is antilinear in
        # v, so its adjoint and tangent in v are conjugated too
        return np.flip(np.conj(v)) if kind == "correlate" else v

    def of_a(g, ans, a, v, mode="full"):
        return np.einsum("kij,k,j->i", _tensor(a, v, mode), g, reverse_v(v))

    def of_v(g, ans, a, v, mode="full"):
        return reverse_v(np.einsum("kij,k,i->j", _tensor(a, v, mode), g, a))

    def tangent_a(t, ans, a, v, mode="full"):
        return np.einsum("kij,i,j->k", _tensor(a, v, mode), t, reverse_v(v))

    def tangent_v(t, ans, a, v, mode="full"):
        return np.einsum("kij,i,j->k", _tensor(a, v, mode), a, reverse_v(t))

    return of_a, of_v, tangent_a, tangent_v


nondifferentiable(helpers.convolution_tensor, hint="tensor")
for fn, kind, default in ((np.convolve, "convolve", "full"),):
    of_a, of_v, tangent_a, tangent_v = _convolution(kind)
    define(fn, of_a, of_v, tangent=(tangent_a, tangent_v), static=("mode",))


def _correlate_rules():
    of_a, of_v, tangent_a, tangent_v = _convolution("correlate")
    return (
        lambda g, ans, a, v, mode="valid": of_a(g, ans, a, v, mode),
        lambda g, ans, a, v, mode="valid": of_v(g, ans, a, v, mode),
        lambda t, ans, a, v, mode="valid": tangent_a(t, ans, a, v, mode),
        lambda t, ans, a, v, mode="valid": tangent_v(t, ans, a, v, mode),
    )


_ca, _cv, _cta, _ctv = _correlate_rules()
define(np.correlate, _ca, _cv, tangent=(_cta, _ctv), static=("mode",))


def _poly_derivative(p):
    p = call(np.asarray, p)
    n = np.shape(p)[0]
    return p[:-1] * call(np.arange, n - 1, 0, -1)


def _polyval_p(g, ans, p, x):
    p = call(np.asarray, p)
    n = np.shape(p)[0]
    powers = np.power(np.expand_dims(x, -1), call(np.arange, n - 1, -1, -1))
    return np.ravel(g) @ np.reshape(powers, (-1, n))


define(
    np.polyval,
    _polyval_p,
    lambda g, ans, p, x: ub(g * np.polyval(_poly_derivative(p), x), x),
    tangent=(
        lambda t, ans, p, x: broadcast_like(np.polyval(t, x), ans),
        lambda t, ans, p, x: t * np.polyval(_poly_derivative(p), x),
    ),
)


# ---------------------------------------------------------------------------
# Differences, gradients, integrals


def _diff_back(g, n, axis):
    for _ in range(n):
        g = -np.diff(g, axis=axis, prepend=0.0, append=0.0)
    return g


def _diff_a(g, ans, a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    full = _diff_back(g, n, axis)
    if prepend is np._NoValue and append is np._NoValue:
        return full
    joined = [a]
    if prepend is not np._NoValue:
        joined.insert(0, _extension(prepend, a, axis))
    if append is not np._NoValue:
        joined.append(_extension(append, a, axis))
    start = 1 if prepend is not np._NoValue else 0
    return pieces("concatenate")(full, None, joined, axis)[start]


def _extension(value, a, axis):
    """``prepend`` or ``append`` of np.diff as the array it joins to ``a``."""
    if _ndim(value) == 0:
        shape = call(helpers.extension_shape, np.shape(a), axis)
        return call(np.broadcast_to, value, shape)
    return value


def _diff_tangent(t, ans, a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    kwargs = {}
    if prepend is not np._NoValue:
        kwargs["prepend"] = zero_adjoint(_extension(prepend, a, axis))
    if append is not np._NoValue:
        kwargs["append"] = zero_adjoint(_extension(append, a, axis))
    return np.diff(t, n, axis, **kwargs)


# prepend and append have no rule: an error if the gradient depends on them
define(
    np.diff,
    _diff_a,
    None,
    None,
    None,
    None,
    tangent=(_diff_tangent, None, None, None, None),
    integers=("n", "axis"),
    static=("n", "axis"),
)
nondifferentiable(helpers.extension_shape, hint="shape")


def _along_axis_matrix(g, ans, m, x, axis):
    # bilinear in m and x: g and x along the axis, contracted over the others
    # (m is a constant weight matrix at first order; transformed again, one
    # saved beside arrays may be marked active)
    g_rows = np.moveaxis(g, axis, 0)
    x_rows = np.moveaxis(x, axis, 0)
    g_rows = np.reshape(g_rows, (np.shape(g_rows)[0], -1))
    x_rows = np.reshape(x_rows, (np.shape(x_rows)[0], -1))
    return g_rows @ np.transpose(x_rows)


along_axis = define(
    helpers.along_axis,
    _along_axis_matrix,
    lambda g, ans, m, x, axis: call(helpers.along_axis, np.transpose(m), g, axis),
    tangent=(
        lambda t, ans, m, x, axis: call(helpers.along_axis, t, x, axis),
        lambda t, ans, m, x, axis: call(helpers.along_axis, m, t, axis),
    ),
    static=("axis",),
    hint="applied",
)
nondifferentiable(helpers.gradient_matrix, hint="weights")


def _fixed_spacings(varargs) -> None:
    for spacing in varargs:
        if isinstance(spacing, Sym) and spacing.value.kind != "free":
            raise NoRuleError(
                "np.gradient with spacings computed in the function has no "
                "derivative rule (none in the spacings)",
                hint="pass the spacings as constants (literals, globals, closures)",
            )


gradient_adjoint = define(
    helpers.gradient_adjoint,
    lambda G, ans, g, shape, spacings, axis, edge_order: np.gradient(
        G, *spacings, axis=axis, edge_order=edge_order
    ),
    _only_shape,
    None,
    tangent=linear(0),
    static=("axis", "edge_order"),
    hint="ungradient",
)


def _gradient(g, ans, f, *varargs, axis=None, edge_order=1):
    _fixed_spacings(varargs)
    adjoint = gradient_adjoint(g, np.shape(f), list(varargs), axis, edge_order)
    return [adjoint] + [None] * len(varargs)


def _gradient_tangent(t, ans, f, *varargs, axis=None, edge_order=1):
    _fixed_spacings(varargs)
    return np.gradient(t[0], *varargs, axis=axis, edge_order=edge_order)


# np.gradient(f, *varargs): one rule for all positional arguments (f, then
# the spacings, constants: no derivative)
define(
    np.gradient,
    lambda g, ans, *args, axis=None, edge_order=1: _gradient(
        g, ans, *args, axis=axis, edge_order=edge_order
    ),
    tangent=(
        lambda t, ans, *args, axis=None, edge_order=1: _gradient_tangent(
            t, ans, *args, axis=axis, edge_order=edge_order
        ),
    ),
    static=("axis", "edge_order"),
    container=None,  # one array, or a tuple of them
)

edge_sums = define(
    helpers.edge_sums,
    lambda G, ans, d: G[..., :-1] + G[..., 1:],
    tangent=linear(0),
    hint="weights",
)


spacings = define(
    helpers.spacings,
    lambda G, ans, x, y, axis: call(helpers.unspacings, G, x, y, axis),
    _only_shape,
    tangent=linear(0),
    static=("axis",),
    hint="steps",
)
define(
    helpers.unspacings,
    lambda G, ans, g, x, y, axis: np.broadcast_to(spacings(G, y, axis), np.shape(g)),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    static=("axis",),
    hint="unsteps",
)


def _steps(x, dx, y, axis):
    """The steps of the trapezoid rule, along the last axis."""
    if x is None:
        return dx * np.ones_like(np.moveaxis(y, axis, -1)[..., 1:])
    return spacings(x, y, axis)


def _trapezoid_y(g, ans, y, x=None, dx=1.0, axis=-1):
    weights = 0.5 * edge_sums(_steps(x, dx, y, axis))
    moved = np.expand_dims(g, -1) * weights
    return ub(np.moveaxis(moved, -1, axis), y)


def _midpoints(y, axis):
    moved = np.moveaxis(y, axis, -1)
    return 0.5 * (moved[..., 1:] + moved[..., :-1])


def _trapezoid_x(g, ans, y, x=None, dx=1.0, axis=-1):
    # sum(steps * midpoints) along the last axis: linear in the steps
    pair = _midpoints(y, axis) * np.expand_dims(g, -1)
    return call(helpers.unspacings, pair, x, y, axis)


def _trapezoid_y_tangent(t, ans, y, x=None, dx=1.0, axis=-1):
    weights = 0.5 * edge_sums(_steps(x, dx, y, axis))
    return np.sum(np.moveaxis(t, axis, -1) * weights, axis=-1)


def _trapezoid_x_tangent(t, ans, y, x=None, dx=1.0, axis=-1):
    return np.sum(spacings(t, y, axis) * _midpoints(y, axis), axis=-1)


for name in ("trapezoid", "trapz"):
    fn = getattr(np, name, None)
    if fn is not None:
        define(
            fn,
            _trapezoid_y,
            _trapezoid_x,
            tangent=(_trapezoid_y_tangent, _trapezoid_x_tangent),
            static=("dx", "axis"),
        )

# ---------------------------------------------------------------------------
# Sorting and selecting along an axis

put_along = define(
    helpers.put_along,
    lambda G, ans, g, indices, axis, shape: np.take_along_axis(G, indices, axis),
    _only_shape,
    _only_shape,
    _only_shape,
    tangent=linear(0),
    hint="put",
)
define(
    np.take_along_axis,
    lambda g, ans, arr, indices, axis=-1: put_along(g, indices, axis, np.shape(arr)),
    None,
    tangent=linear(0),
    integers=("indices",),
    static=("axis",),
)
nondifferentiable(np.argpartition)
nondifferentiable(helpers.source_positions, hint="positions")


def _sort_order(a, axis):
    return np.argsort(a, axis=axis, kind="stable")


def _sort(g, ans, a, axis=-1, kind=None, order=None, *, stable=None):
    return put_along(g, _sort_order(a, axis), axis, np.shape(a))


def _sort_tangent(t, ans, a, axis=-1, kind=None, order=None, *, stable=None):
    return np.take_along_axis(t, _sort_order(a, axis), axis)


define(
    np.sort,
    _sort,
    tangent=(_sort_tangent,),
    static=("axis", "kind", "order", "stable"),
)


def _positions(a, ans, axis):
    return call(helpers.source_positions, a, ans, axis)


define(
    np.partition,
    lambda g, ans, a, kth, axis=-1, kind="introselect", order=None: put_along(
        g, _positions(a, ans, axis), axis, np.shape(a)
    ),
    None,
    tangent=(
        lambda t, ans, a, kth, axis=-1, kind="introselect", order=None: (
            np.take_along_axis(t, _positions(a, ans, axis), axis)
        ),
        None,
    ),
    integers=("kth",),
    static=("axis", "kind", "order"),
)

# ---------------------------------------------------------------------------
# Elementwise


def _finite_parts(g: Any, x: Any) -> Any:
    """``g`` where ``x`` is finite, 0 elsewhere; of a complex ``x``, part by
    part (NumPy replaces a non-finite real or imaginary part alone):
    ``Re(g) [Re x finite] + i Im(g) [Im x finite]``, written with
    ``(g ± conj(g)) / 2`` so that a real ``g`` stays real."""
    real_part = (g + np.conj(g)) * 0.5
    imaginary_part = (g - np.conj(g)) * 0.5
    return real_part * np.isfinite(np.real(x)) + imaginary_part * np.isfinite(
        np.imag(x)
    )


define(
    np.nan_to_num,
    lambda g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None: _finite_parts(g, x),
    tangent="same as reverse",
    static=("copy", "nan", "posinf", "neginf"),
    categories=("elementwise",),
)
sinc_derivative = define(
    helpers.sinc_derivative,
    lambda g, ans, x, n: g * call(helpers.sinc_derivative, x, n + 1),
    _only_shape,
    tangent="same as reverse",
    static=("n",),
    hint="d_sinc",
)
define(
    np.sinc,
    lambda g, ans, x: g * sinc_derivative(x, 1),
    tangent="same as reverse",
    categories=("elementwise",),
)


# cumprod(a)[i] = prod(a[:i+1]): its derivative in a[k] is the product of
# a[j] for j <= i, j != k (i >= k), which is the cumulative product of a
# with a[k] replaced by 1: no division, so exact where a has zeros


def _others(a, axis):
    """``C[..., k, i]``: prod of a[j] for j <= i, j != k, along ``axis``
    moved last (with the mask i >= k applied), and the moved axis."""
    if axis is None:
        a, axis = np.ravel(a), 0
    moved = np.moveaxis(a, axis, -1)
    n = np.shape(moved)[-1]
    eye = call(np.eye, n)
    replaced = np.expand_dims(moved, -2) * (1.0 - eye) + eye
    later = np.triu(call(np.ones, (n, n)))
    return np.cumprod(replaced, axis=-1) * later, axis


def _cumprod(g, ans, a, axis=None, dtype=None, out=None):
    others, moved_axis = _others(a, axis)
    g_moved = np.expand_dims(np.moveaxis(g, moved_axis, -1), -2)
    d = np.moveaxis(np.sum(others * g_moved, axis=-1), -1, moved_axis)
    return d if axis is not None else np.reshape(d, np.shape(a))


def _cumprod_tangent(t, ans, a, axis=None, dtype=None, out=None):
    others, moved_axis = _others(a, axis)
    t = np.ravel(t) if axis is None else t
    t_moved = np.expand_dims(np.moveaxis(t, moved_axis, -1), -1)
    return np.moveaxis(np.sum(others * t_moved, axis=-2), -1, moved_axis)


define(
    np.cumprod,
    _cumprod,
    tangent=(_cumprod_tangent,),
    static=("axis", "dtype"),
    methods=("cumprod",),
)


# ---------------------------------------------------------------------------
# interp: linear in fp; in x, the slope of the segment x is in

interp_weights = define(
    helpers.interp_weights,
    lambda G, ans, x, xp, slope, left=None, right=None: (
        None
        if slope
        else np.sum(G * call(helpers.interp_weights, x, xp, 1, left, right), axis=-1)
    ),
    None,
    tangent=(
        lambda t, ans, x, xp, slope, left=None, right=None: (
            None
            if slope
            else call(helpers.interp_weights, x, xp, 1, left, right)
            * np.expand_dims(t, -1)
        ),
        None,
    ),
    static=("slope", "left", "right"),
    hint="weights",
)


def _interp_check(period):
    if period is not None:
        raise NoRuleError(
            "np.interp with period= has no derivative rule",
            hint="reduce x into one period first (np.mod), then interpolate",
        )


def _interp_x(g, ans, x, xp, fp, left=None, right=None, period=None):
    _interp_check(period)
    slopes = np.sum(interp_weights(x, xp, 1, left, right) * fp, axis=-1)
    return g * slopes


def _interp_fp(g, ans, x, xp, fp, left=None, right=None, period=None):
    _interp_check(period)
    weights = interp_weights(x, xp, 0, left, right)
    n = np.shape(fp)[0]
    return np.ravel(g) @ np.reshape(weights, (-1, n))


define(
    np.interp,
    _interp_x,
    None,
    _interp_fp,
    tangent=(
        lambda t, ans, x, xp, fp, left=None, right=None, period=None: _interp_x(
            t, ans, x, xp, fp, left, right, period
        ),
        None,
        lambda t, ans, x, xp, fp, left=None, right=None, period=None: np.sum(
            interp_weights(x, xp, 0, left, right) * t, axis=-1
        ),
    ),
    static=("left", "right", "period"),
)


# ---------------------------------------------------------------------------
# einsum: subscripts as a string, or operands interleaved with sublists


_LETTERS = string.ascii_letters


def _sublist_terms(sublist: Any) -> str:
    terms = ""
    for label in sublist:
        if isinstance(label, Sym):
            raise NoRuleError(
                "np.einsum's sublists must be lists of ints written in the call "
                "(a list from a variable is read at run time)",
                hint="np.einsum(a, [0, 1], b, [1, 2], [0, 2])",
            )
        if label is Ellipsis:
            terms += "..."
        elif isinstance(label, int) and 0 <= label < len(_LETTERS):
            terms += _LETTERS[label]
        else:
            raise NoRuleError(
                f"np.einsum with the sublist label {label!r} has no derivative rule",
                hint="label axes with ints 0..51 (or ...)",
            )
    return terms


def einsum_parts(first: Any, rest: tuple) -> tuple[str, list, list[int]]:
    """``(subscripts, operands, positions)`` of an einsum call: the string
    form as it is; the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``
    with its subscripts spelled as a string, and where each operand was
    among the arguments (``first`` is position 0)."""
    if isinstance(first, str):
        return first, list(rest), [k + 1 for k in range(len(rest))]
    args = [first, *rest]
    operands = args[0::2][: len(args) // 2]
    sublists = args[1::2]
    for sublist in sublists:
        if isinstance(sublist, Sym) or not isinstance(sublist, (list, tuple)):
            raise NoRuleError(
                "np.einsum's sublists must be lists of ints written in the call",
                hint="np.einsum(a, [0, 1], b, [1, 2], [0, 2])",
            )
    inputs = [_sublist_terms(s) for s in sublists[: len(operands)]]
    if len(args) % 2:
        output = _sublist_terms(args[-1])
    else:
        counts = {}
        for term in inputs:
            for c in term.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        ellipsis = "..." if any("..." in term for term in inputs) else ""
        output = ellipsis + "".join(
            sorted((c for c, k in counts.items() if k == 1), key=_LETTERS.index)
        )
    return ",".join(inputs) + "->" + output, operands, list(range(0, len(args) - 1, 2))


def _einsum_adjoints(g, ans, subscripts, *operands, optimize=False):
    spec, values, positions = einsum_parts(subscripts, operands)
    adjoints: list = [None] * (len(operands) + 1)
    for k, (value, position) in enumerate(zip(values, positions)):
        others = list(values)
        others[k] = None
        adjoints[position] = einsum_adjoint(spec, k, np.shape(value), g, *others)
    return adjoints


def _einsum_tangent(t_all, ans, spec, values, positions):
    tangents = [t_all[p] if p < len(t_all) else None for p in positions]
    return product_rule(tangents, values, lambda *ops: np.einsum(spec, *ops))


def _einsum_first_tangent(t, ans, subscripts, *operands, optimize=False):
    spec, values, positions = einsum_parts(subscripts, operands)
    ops = list(values)
    ops[0] = t
    return np.einsum(spec, *ops)


def _einsum_rest_tangent(t, ans, subscripts, *operands, optimize=False):
    spec, values, positions = einsum_parts(subscripts, operands)
    t_all = [None, *t]
    return _einsum_tangent(t_all, ans, spec, values, positions)


define(
    np.einsum,
    lambda g, ans, subscripts, *operands, optimize=False: _einsum_adjoints(
        g, ans, subscripts, *operands, optimize=optimize
    )[0],
    lambda g, ans, subscripts, *operands, optimize=False: _einsum_adjoints(
        g, ans, subscripts, *operands, optimize=optimize
    )[1:],
    tangent=(_einsum_first_tangent, _einsum_rest_tangent),
    static=("optimize",),
)
