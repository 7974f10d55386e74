"""Records of the runtime helpers that generated code calls.

With these, generated code stays inside the subset adcompiler accepts: every
helper is a primitive whose derivatives are known, so generated code can be
differentiated again. The names bound here are the helpers as primitives;
the other families' rules call them.

Memory: the lists' and arrays' in-place helpers (``list_append``,
``set_item``) return their argument itself, and ``list_item`` an item of
its list, as declared. The others are declared NEW, as the compiler has
always treated them, although some may return their argument or a view of
it (``identity``, ``unbroadcast`` when nothing was broadcast,
``fit_gradient``, ``broadcast_to_shape``): they are applied to adjoints and
tangents, which generated code changes in place only through ``add_into``,
``subtract_into`` and ``add_at``, and lowering rewrites those into plain
sums before differentiating generated code again. Declaring them VIEW would
change which copies and restores higher-order derivatives make.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import runtime
from .registry import (
    ITSELF,
    REVERSE_ONLY,
    SAME_AS_REVERSE,
    define,
    linear,
    nondifferentiable,
)
from .symbolic import Sym, call


def _only_shape(g, ans, *args, **kwargs):
    """An argument read only for its shape, type or length: no derivative."""
    return None


#: Helpers only generated code calls, rewritten before it is differentiated
#: again (see the in-place sums below): no tangent is ever asked for.
_GENERATED_ONLY = REVERSE_ONLY + ": only generated code calls it, never differentiated"

nondifferentiable(runtime.seed_adjoint, hint="seed")
zero_adjoint = nondifferentiable(
    runtime.zero_adjoint, hint="zero", categories=("elementwise", "metadata")
)
writes_floats = nondifferentiable(
    runtime.writes_floats, hint="kept", categories=("shape query", "metadata")
)
zero_of_kind = nondifferentiable(
    runtime.zero_of_kind, hint="kind", categories=("shape query", "metadata")
)
not_changed_in_place = nondifferentiable(runtime.not_changed_in_place, hint="checked")
not_changed_in_place.effect = True
not_an_array = nondifferentiable(runtime.not_an_array, hint="checked")
not_an_array.effect = True
not_reading_what_it_writes = nondifferentiable(
    runtime.not_reading_what_it_writes, hint="checked"
)
not_reading_what_it_writes.effect = True
written_items = define(
    runtime.written_items,
    lambda G, ans, g, index: unindex(G, np.shape(g), index),
    _only_shape,
    tangent=linear(0),
    hint="written",
)
nondifferentiable(runtime.stop_gradient, hint="constant", categories=("elementwise",))
identity = define(
    runtime.identity,
    lambda g, ans, x: g,
    tangent=linear(0),
    render=("name",),
    hint="value",
    categories=("elementwise",),
)
# share_ties adds half of g at ties: linear in d and g, flat in x and y;
# elementwise, so the same rules give its tangents
share_ties = define(
    runtime.share_ties,
    lambda G, ans, d, g, x, y: G,
    lambda G, ans, d, g, x, y: G * (0.5 * (x == y)),
    lambda G, ans, d, g, x, y: None,
    lambda G, ans, d, g, x, y: None,
    tangent=SAME_AS_REVERSE,
    hint="shared",
)

# matrix products with one factor transposed (the adjoints of a @ b)
matmul_transposed = define(
    runtime.matmul_transposed,
    lambda g, ans, a, b: g @ b,
    lambda g, ans, a, b: transposed_matmul(g, a),
    tangent=linear(0, 1),
    render=("matmul_transposed",),
    hint="matmul",
)
transposed_matmul = define(
    runtime.transposed_matmul,
    lambda g, ans, a, b: matmul_transposed(b, g),
    lambda g, ans, a, b: a @ g,
    tangent=linear(0, 1),
    render=("transposed_matmul",),
    hint="matmul",
)
list_copy = define(
    builtins.list,
    lambda g, ans, x: g,
    tangent=linear(0),
    hint="copied",
    container=True,
)
last_item_tangent = define(
    runtime.last_item_tangent,
    lambda g, ans, t, appended: adjoint_item(g, -1),
    _only_shape,
    tangent=linear(0),  # tangent code calls it; jvp of jvp differentiates it
    hint="tangent",
    container=True,
)
nondifferentiable(runtime.bilinear_spec, hint="spec", categories=("shape query",))
nondifferentiable(runtime.piece_index, hint="piece")


def _others_last(a, axis):
    """``a`` with the reduced ``axis`` (None: every axis; an int or a tuple)
    moved last and flattened into one, and a function putting an array of
    that layout back into ``a``'s."""
    if axis is None:
        return np.ravel(a), lambda r: np.reshape(r, np.shape(a))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    last = tuple(range(-len(axes), 0))  # negative: no rank needed
    moved = np.moveaxis(a, axes, last)
    if len(axes) == 1:
        return moved, lambda r: np.moveaxis(r, last, axes)
    kept = np.shape(moved)[: -len(axes)]
    flat = np.reshape(moved, kept + (-1,))
    return flat, lambda r: np.moveaxis(np.reshape(r, np.shape(moved)), last, axes)


def _prod_others_pairs(a):
    """For ``a`` of shape ``(..., n)``: ``(P, off)`` with ``P[..., i, j]``
    the product of ``a[..., l]`` for ``l`` not ``i`` nor ``j`` when ``i !=
    j``, and ``off`` the mask ``i != j``. ``P`` is ``prod_others`` of ``a``
    with entry ``i`` replaced by 1 (row ``i``): no division, so exact where
    ``a`` has zeros, and made of primitives with rules, so every order of
    derivative of ``np.prod`` stays inside this family."""
    n = np.shape(a)[-1]
    eye = call(np.eye, n)
    off = 1.0 - eye
    replaced = np.expand_dims(a, -2) * off + eye
    return call(runtime.prod_others, replaced, -1), off


def _prod_others_adjoint(G, ans, a, axis=None):
    # d others[i] / d a[j] = prod of a[l], l not i nor j (i != j), 0 at i == j
    flat, back = _others_last(a, axis)
    G_flat, _ = _others_last(G, axis)
    pairs, off = _prod_others_pairs(flat)
    return back(np.sum(np.expand_dims(G_flat, -1) * off * pairs, axis=-2))


def _prod_others_tangent(t, ans, a, axis=None):
    flat, back = _others_last(a, axis)
    t_flat, _ = _others_last(t, axis)
    pairs, off = _prod_others_pairs(flat)
    return back(np.sum(np.expand_dims(t_flat, -2) * off * pairs, axis=-1))


# prod_others is the derivative of np.prod; its derivatives are products of
# all elements but two, again prod_others (of a larger array): every order
define(
    runtime.prod_others,
    _prod_others_adjoint,
    None,
    tangent=(_prod_others_tangent, None),
    static=("axis",),
    integers=("axis",),
    hint="others",
)

# the cofactor matrix is the gradient of det; its derivative is det's Hessian
# applied to a direction (symmetric: the same map is its adjoint), linear in
# that direction. Higher derivatives are det's derivatives of higher order,
# symmetric in all their directions: cofactor_derivative(a, *es), whose
# rules are itself with one more direction, so every order of det stays here.
cofactor = define(
    runtime.cofactor,
    lambda g, ans, a: call(runtime.cofactor_tangent, a, g),
    tangent=(lambda t, ans, a: call(runtime.cofactor_tangent, a, t),),
)
define(
    runtime.cofactor_tangent,
    lambda g, ans, a, e: call(runtime.cofactor_derivative, a, e, g),
    lambda g, ans, a, e: call(runtime.cofactor_tangent, a, g),
    tangent=(
        lambda t, ans, a, e: call(runtime.cofactor_derivative, a, e, t),
        lambda t, ans, a, e: call(runtime.cofactor_tangent, a, t),
    ),
)


def _cofactor_derivative_of_directions(g, ans, a, *es):
    # linear in each direction; the adjoint of one is the map itself with
    # that direction replaced by g (symmetry)
    return [
        call(runtime.cofactor_derivative, a, *es[:k], *es[k + 1 :], g)
        for k in range(len(es))
    ]


define(
    runtime.cofactor_derivative,
    lambda g, ans, a, *es: call(runtime.cofactor_derivative, a, *es, g),
    _cofactor_derivative_of_directions,
    tangent=(
        lambda t, ans, a, *es: call(runtime.cofactor_derivative, a, *es, t),
        lambda t, ans, a, *es: product_rule(
            t, es, lambda *ops: call(runtime.cofactor_derivative, a, *ops)
        ),
    ),
    hint="cofactor",
)


def _index_join_pieces(g, ans, kind, *pieces):
    shapes = [np.shape(piece) for piece in pieces]
    return [
        (
            call(runtime.index_join_piece, g, kind, shapes, k)
            if isinstance(p, Sym)
            else None
        )
        for k, p in enumerate(pieces)
    ]


# np.r_[...] and np.c_[...] join their pieces along one axis (the lowering
# spells them index_join): linear in each piece
index_join = define(
    runtime.index_join,
    _only_shape,  # the kind, "r_" or "c_"
    _index_join_pieces,
    tangent=(
        _only_shape,  # the kind
        lambda t, ans, kind, *pieces: call(
            runtime.index_join, kind, *filled(t, pieces)
        ),
    ),
    hint="joined",
)
index_join_piece = define(
    runtime.index_join_piece,
    lambda G, ans, g, kind, shapes, k: call(
        runtime.index_join_unpiece, G, kind, shapes, k
    ),
    _only_shape,
    _only_shape,
    _only_shape,
    tangent=linear(0),
    hint="piece",
)
index_join_unpiece = define(
    runtime.index_join_unpiece,
    lambda G, ans, part, kind, shapes, k: call(
        runtime.index_join_piece, G, kind, shapes, k
    ),
    _only_shape,
    _only_shape,
    _only_shape,
    tangent=linear(0),
    hint="unpiece",
)

# unbroadcast sums over broadcast axes; its adjoint broadcasts back.
unbroadcast = define(
    runtime.unbroadcast,
    lambda g, ans, adjoint, shape: np.broadcast_to(g, np.shape(adjoint)),
    _only_shape,
    tangent=linear(0),
)

broadcast_to_shape = define(
    runtime.broadcast_to_shape,
    lambda g, ans, t, shape: unbroadcast(g, np.shape(t)),
    _only_shape,
    tangent=linear(0),
    hint="broadcast",
)


# Complex values (docs/subset.md, "Complex numbers"): the adjoint of a real
# value is its real part, so the real part taken of a complex adjoint of a
# real value is linear and its own adjoint; the other two check or choose.
real_like = define(
    runtime.real_like,
    lambda g, ans, adjoint, like: real_like(g, like),
    _only_shape,  # read for its dtype only
    tangent=linear(0),
    hint="real",
)
real_operand = define(
    runtime.real_operand,
    lambda g, ans, x, what: g,
    None,
    tangent=linear(0),
    hint="checked",
)
log_defined = nondifferentiable(
    runtime.log_defined, hint="defined", categories=("elementwise",)
)
log_base = define(
    runtime.log_base,
    lambda g, ans, x, power: g * log_defined(x, power),
    _only_shape,  # read for its dtype only
    tangent=(lambda t, ans, x, power: t * log_defined(x, power), _only_shape),
    hint="base",
)

# fit_gradient converts type and dtype, and takes the real part of the
# adjoint of a real argument: on values, the identity or the real part
fit_gradient = define(
    runtime.fit_gradient,
    lambda g, ans, adjoint, x: unbroadcast(real_like(g, x), np.shape(adjoint)),
    _only_shape,
    tangent=linear(0),  # x is read for its shape and dtype only
    hint="grad",
)

# unindex scatters into zeros; its adjoint gathers.
unindex = define(
    runtime.unindex,
    lambda g, ans, adjoint, shape, index: g[index],
    _only_shape,
    _only_shape,
    tangent=linear(0),
)


# In-place sums and sums of pieces: only generated code calls them, and
# lowering rewrites them into plain sums before differentiating it again
# (lower.call_prim), so no rule is ever asked for; one would be an error
# naming the helper.
add_into = define(
    runtime.add_into,
    None,
    tangent=_GENERATED_ONLY,
    categories=("elementwise",),
    hint="total",
    signature_of=lambda g, ans, acc, c: None,
)
subtract_into = define(
    runtime.subtract_into,
    None,
    tangent=_GENERATED_ONLY,
    categories=("elementwise",),
    hint="total",
    signature_of=lambda g, ans, acc, c: None,
)
add_at = define(
    runtime.add_at,
    None,
    tangent=_GENERATED_ONLY,
    hint="total",
    signature_of=lambda g, ans, acc, part, shape, index: None,
)
assemble = define(
    runtime.assemble,
    None,
    tangent=_GENERATED_ONLY,
    integers=("shape",),
    hint="total",
    signature_of=lambda g, ans, shape, *pieces: None,
)
concatenate_tiles = define(
    runtime.concatenate_tiles,
    None,
    tangent=_GENERATED_ONLY,
    integers=("shape",),
    hint="total",
    signature_of=lambda g, ans, shape, axis, cuts, *parts: None,
)


def _einsum_adjoint_of_g(G, ans, spec, k, shape, g, *operands):
    # the transpose of "operand k -> einsum" is that map itself
    ops = list(operands)
    ops[k] = G
    if not isinstance(spec, str):  # subscripts known only at run time
        return einsum_of(spec, *ops)
    if spec == "matmul":
        return ops[0] @ ops[1]
    return np.einsum(spec, *ops)


def _einsum_adjoint_of_operands(G, ans, spec, k, shape, g, *operands):
    adjoints = []
    for j, operand in enumerate(operands):
        if j == k or operand is None:
            adjoints.append(None)
            continue
        ops = list(operands)
        ops[k] = G
        ops[j] = None
        adjoints.append(einsum_adjoint(spec, j, np.shape(operand), g, *ops))
    return adjoints


def _absent(tangent, operand=0.0):
    """No tangent for this operand: None, a literal zero, or a placeholder slot."""
    return (
        tangent is None
        or operand is None
        or (not isinstance(tangent, Sym) and tangent == 0)
    )


def product_rule(t, operands, product):
    """The tangent of ``product(*operands)``, linear in each operand: the sum,
    over operands with a tangent, of the product with that operand replaced
    by its tangent."""
    total = None
    for k, tk in enumerate(t):
        if _absent(tk, operands[k]):
            continue
        ops = list(operands)
        ops[k] = tk
        term = product(*ops)
        total = term if total is None else total + term
    return total


def _einsum_adjoint_tangent_operands(t, ans, spec, k, shape, g, *operands):
    return product_rule(
        t, operands, lambda *ops: einsum_adjoint(spec, k, shape, g, *ops)
    )


# einsum_adjoint is multilinear in g and the operands: its own rules are
# einsums again, so every order of derivative stays inside this family.
einsum_adjoint = define(
    runtime.einsum_adjoint,
    _only_shape,
    _only_shape,
    _only_shape,
    _einsum_adjoint_of_g,
    _einsum_adjoint_of_operands,
    tangent=(
        _only_shape,
        _only_shape,
        _only_shape,  # a shape saved beside arrays may be marked active
        lambda t, ans, spec, k, shape, g, *operands: einsum_adjoint(
            spec, k, shape, t, *operands
        ),
        _einsum_adjoint_tangent_operands,
    ),
    static=("k",),
)


def _einsum_of_operands(G, ans, spec, *operands):
    adjoints = []
    for j, operand in enumerate(operands):
        ops = list(operands)
        ops[j] = None
        adjoints.append(einsum_adjoint(spec, j, np.shape(operand), G, *ops))
    return adjoints


# np.einsum with runtime subscripts: its adjoints are einsum_adjoint's, which
# takes runtime subscripts too, and its tangent is the product rule
einsum_of = define(
    runtime.einsum_of,
    _only_shape,
    _einsum_of_operands,
    tangent=(
        _only_shape,
        lambda t, ans, spec, *operands: product_rule(
            t, operands, lambda *ops: einsum_of(spec, *ops)
        ),
    ),
    hint="einsum",
)
untile = define(
    runtime.untile,
    lambda g, ans, adjoint, shape, reps: np.tile(g, reps),
    _only_shape,
    _only_shape,
    tangent=linear(0),
)
unrepeat = define(
    runtime.unrepeat,
    lambda g, ans, adjoint, shape, repeats, axis=None: np.repeat(g, repeats, axis),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    static=("axis",),
)

# ---------------------------------------------------------------------------
# Lists and tuples


def filled(tangents, values):
    """Tangents of list items, zeros of each item's shape where there is none."""
    if isinstance(tangents, Sym) or tangents is None:
        return tangents
    return [zero_adjoint(v) if t is None else t for t, v in zip(tangents, values)]


adjoint_item = define(
    runtime.adjoint_item,
    lambda G, ans, g, index: unindex_like(G, g, index),
    _only_shape,
    tangent=linear(0),
    container=None,
)
unindex_item = define(
    runtime.unindex_item,
    lambda G, ans, g, sequence, index, length=None: adjoint_item(G, index),
    _only_shape,
    _only_shape,
    _only_shape,
    tangent=linear(0),
    hint="unindex",
    container=None,
)
unindex_like = define(
    runtime.unindex_like,
    lambda G, ans, g, adjoint, index: adjoint_item(G, index),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    hint="unindex",
    container=None,
)
unindex_list = define(
    runtime.unindex_list,
    lambda G, ans, g, length, index: adjoint_item(G, index),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    container=True,
)
adjoint_without_last = define(
    runtime.adjoint_without_last,
    lambda G, ans, g: adjoint_with_last(G),
    tangent=linear(0),
    container=True,
)
add_adjoints = define(
    runtime.add_adjoints,
    lambda G, ans, a, b: G,
    lambda G, ans, a, b: G,
    tangent=(lambda t, ans, a, b: t, lambda t, ans, a, b: t),
    hint="total",
    container=None,
)
shapes_of = nondifferentiable(
    runtime.shapes_of, hint="shapes", categories=("metadata",)
)
split_pieces = define(
    runtime.split_pieces,
    lambda G, ans, g, kind, shapes, axis=0: join_pieces(G, kind, shapes, axis),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    static=("kind",),
    hint="pieces",
    container=True,  # a list: its adjoints add item by item (add_adjoints)
)
join_pieces = define(
    runtime.join_pieces,
    lambda G, ans, pieces, kind, shapes, axis=0: split_pieces(G, kind, shapes, axis),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    static=("kind",),
)
pieces_adjoint = define(
    runtime.pieces_adjoint,
    lambda G, ans, g, kind, arrays, axis=0: join_pieces(
        G, kind, shapes_of(arrays), axis
    ),
    _only_shape,
    _only_shape,
    tangent=linear(0),  # arrays are read for their shapes only
    static=("kind",),
    hint="pieces",
    container=None,  # a list for a list, an array for an array
)
sum_items_adjoint = define(
    runtime.sum_items_adjoint,
    lambda G, ans, g, items: sum_(G),
    _only_shape,
    tangent=linear(0),  # items are read for their shapes only
    hint="items",
    container=None,  # a list for a list, an array for an array
)
make_list = define(
    runtime.make_list,
    lambda g, ans, *items: [adjoint_item(g, k) for k in range(len(items))],
    tangent=(lambda t, ans, *items: call(runtime.make_list, *filled(list(t), items)),),
    render=("list",),
    hint="items",
    container=True,
)
make_tuple = define(
    runtime.make_tuple,
    lambda g, ans, *items: [adjoint_item(g, k) for k in range(len(items))],
    tangent=(lambda t, ans, *items: call(runtime.make_tuple, *filled(list(t), items)),),
    render=("tuple",),
    hint="items",
    container=True,
)
list_item = define(
    runtime.list_item,
    lambda g, ans, sequence, index, length=None: call(
        runtime.unindex_item, g, sequence, index, length
    ),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    memory=ITSELF,  # an item of the list, not a copy
    render=("subscript",),
    hint="item",
    container=None,
)


# the tangent ops run after the append: `sequence` is already the longer
# list; the tangent changes alike, on a copy (a tangent may be shared with
# another value's)
def _append_sequence(t, ans, sequence, item):
    return call(runtime.list_append, call(builtins.list, t), zero_adjoint(item))


def _append_item(t, ans, sequence, item):
    return call(runtime.last_item_tangent, t, ans)


list_append = define(
    runtime.list_append,
    lambda g, ans, sequence, item: adjoint_without_last(g),
    lambda g, ans, sequence, item: adjoint_item(g, -1),
    tangent=(_append_sequence, _append_item),
    memory=ITSELF,  # the list, changed in place
    render=("inplace_method", "append"),
    container=True,
    effect=True,  # also what restores a list in the backward sweep
)
adjoint_with_last = define(
    runtime.adjoint_with_last,
    lambda G, ans, g: adjoint_without_last(G),
    tangent=linear(0),
    container=True,
)
list_pop = define(
    runtime.list_pop,
    lambda g, ans, sequence: adjoint_with_last(g),
    tangent=(lambda t, ans, sequence: call(runtime.list_pop, call(builtins.list, t)),),
    render=("inplace_method", "pop"),
    container=True,
    effect=True,  # also what restores a list in the backward sweep
)


def len_(x):
    return call(builtins.len, x)


def sum_(items):
    return call(builtins.sum, items)


# ---------------------------------------------------------------------------
# Arrays changed in place: the tangent changes alike, on a copy


def _set_array(t, ans, array, index, value):
    return call(runtime.set_item, np.copy(t), index, zero_adjoint(value))


def _set_value(t, ans, array, index, value):
    kept = call(runtime.writes_floats, array)
    # a real array keeps real parts
    written = call(runtime.real_like, t, call(runtime.zero_of_kind, array))
    return call(runtime.set_item, zero_adjoint(array), index, written * kept)


zero_at = define(
    runtime.zero_at,
    lambda G, ans, g, index: zero_at(G, index),
    _only_shape,  # an index: no derivative (it may share a tape with floats)
    tangent=linear(0),
)
set_item = define(
    runtime.set_item,
    lambda g, ans, array, index, value: zero_at(g, index),
    _only_shape,
    lambda g, ans, array, index, value: unbroadcast(
        real_like(written_items(g, index), zero_of_kind(array)) * writes_floats(array),
        np.shape(value),
    ),
    tangent=(_set_array, _only_shape, _set_value),
    memory=ITSELF,  # the array, changed in place
    render=("setitem",),
    hint="changed",
)
saved_items = define(
    runtime.saved_items,
    lambda g, ans, array, index: unindex(g, np.shape(array), index),
    _only_shape,
    tangent=linear(0),
    hint="overwritten",
)
restore_items = nondifferentiable(runtime.restore_items, render=("setitem",))
restore_items.effect = True
restore_list = nondifferentiable(runtime.restore_list, hint="restored")
restore_list.effect = True

# solve's tangent rule reads its right-hand side as columns (see linalg;
# scipy_linalg's reverse rules too, so both are differentiated again):
# linear in x, b only gives its rank
as_columns = define(
    runtime.as_columns,
    lambda g, ans, x, b: from_columns(g, b),
    _only_shape,
    tangent=linear(0),  # tangent code calls it; jvp of jvp differentiates it
    hint="columns",
)
from_columns = define(
    runtime.from_columns,
    lambda g, ans, y, b: as_columns(g, b),
    _only_shape,
    tangent=linear(0),
    hint="vectors",
)


# ---------------------------------------------------------------------------
# Writes through views and aliases (see adcompiler.lower.memory): what an
# array holds after a view of it, or another name of it, was changed

nondifferentiable(runtime.element_positions, hint="positions")
nondifferentiable(runtime.is_view_of, hint="shared", categories=("metadata",))


def write_through_(parent, shared, positions, value):
    return call(runtime.write_through, parent, shared, positions, value)


def written_part(g, shared, positions):
    return call(runtime.written_part, g, shared, positions)


define(
    runtime.write_through,
    lambda g, ans, parent, shared, positions, value: write_through_(
        g, shared, positions, 0.0
    ),
    _only_shape,
    _only_shape,
    lambda g, ans, parent, shared, positions, value: unbroadcast(
        written_part(g, shared, positions), np.shape(value)
    ),
    tangent=(
        lambda t, ans, parent, shared, positions, value: write_through_(
            t, shared, positions, 0.0
        ),
        _only_shape,
        _only_shape,
        lambda t, ans, parent, shared, positions, value: write_through_(
            zero_adjoint(parent), shared, positions, t
        ),
    ),
    hint="written",
)
define(
    runtime.written_part,
    lambda G, ans, g, shared, positions: write_through_(
        zero_adjoint(g), shared, positions, G
    ),
    _only_shape,
    _only_shape,
    tangent=linear(0),
    hint="part",
)
part_if = define(
    runtime.part_if,
    lambda G, ans, g, flag: call(runtime.part_if, G, flag),
    _only_shape,
    tangent=linear(0),
    hint="part",
)
part_unless = define(
    runtime.part_unless,
    lambda G, ans, g, flag: call(runtime.part_unless, G, flag),
    _only_shape,
    tangent=linear(0),
    hint="part",
)
define(
    runtime.after_write,
    lambda g, ans, seen, kept, shared: call(runtime.part_if, g, shared),
    lambda g, ans, seen, kept, shared: call(runtime.part_unless, g, shared),
    _only_shape,
    tangent=(
        lambda t, ans, seen, kept, shared: call(runtime.part_if, t, shared),
        lambda t, ans, seen, kept, shared: call(runtime.part_unless, t, shared),
        _only_shape,
    ),
    # ``seen`` (memory shared with what was written) when the write reached
    # it; else ``kept``, a copy or a number nothing else writes into
    memory=ITSELF,
    hint="seen",
)
