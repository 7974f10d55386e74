"""Rules for the runtime helpers that generated code calls.

With these, generated code stays inside the subset adcompiler accepts: every
helper is a primitive whose derivative is known. The names bound here are
the helpers as primitives; the other rule tables call them.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import runtime
from ..symbolic import call
from .registry import defvjp, nondifferentiable


def _only_shape(g, ans, *args, **kwargs):
    """An argument read only for its shape, type or length: no derivative."""
    return None


nondifferentiable(runtime.seed_adjoint, hint="seed")
zero_adjoint = nondifferentiable(runtime.zero_adjoint, hint="zero")
writes_floats = nondifferentiable(runtime.writes_floats, hint="kept")
not_changed_in_place = nondifferentiable(runtime.not_changed_in_place, hint="checked")
not_changed_in_place.effect = True
not_reading_what_it_writes = nondifferentiable(
    runtime.not_reading_what_it_writes, hint="checked"
)
not_reading_what_it_writes.effect = True
written_items = defvjp(
    runtime.written_items,
    lambda G, ans, g, index: unindex(G, np.shape(g), index),
    _only_shape,
    hint="written",
)
nondifferentiable(runtime.stop_gradient, hint="constant")
identity = defvjp(runtime.identity, lambda g, ans, x: g, render=("name",), hint="value")
# share_ties adds half of g at ties: linear in d and g, flat in x and y;
# elementwise, so the same rules give its tangents
share_ties = defvjp(
    runtime.share_ties,
    lambda G, ans, d, g, x, y: G,
    lambda G, ans, d, g, x, y: G * (0.5 * (x == y)),
    lambda G, ans, d, g, x, y: None,
    lambda G, ans, d, g, x, y: None,
    hint="shared",
)
share_ties.jvps = share_ties.vjps

# matrix products with one factor transposed (the adjoints of a @ b)
matmul_transposed = defvjp(
    runtime.matmul_transposed,
    lambda g, ans, a, b: g @ b,
    lambda g, ans, a, b: transposed_matmul(g, a),
    render=("matmul_transposed",),
    hint="matmul",
)
transposed_matmul = defvjp(
    runtime.transposed_matmul,
    lambda g, ans, a, b: matmul_transposed(b, g),
    lambda g, ans, a, b: a @ g,
    render=("transposed_matmul",),
    hint="matmul",
)
list_copy = defvjp(builtins.list, lambda g, ans, x: g, hint="copied")
last_item_tangent = defvjp(
    runtime.last_item_tangent,
    lambda g, ans, t, appended: adjoint_item(g, -1),
    _only_shape,
    hint="tangent",
)
last_item_tangent.container = True
list_copy.container = True
nondifferentiable(runtime.bilinear_spec, hint="spec")
nondifferentiable(runtime.piece_index, hint="piece")
# second derivatives of np.prod would need this one's: none yet, so asking
# for them is an error naming prod_others
defvjp(runtime.prod_others, None, signature_of=lambda g, ans, a, axis=None: None)

# unbroadcast sums over broadcast axes; its adjoint broadcasts back.
unbroadcast = defvjp(
    runtime.unbroadcast,
    lambda g, ans, adjoint, shape: np.broadcast_to(g, np.shape(adjoint)),
    _only_shape,
)

broadcast_to_shape = defvjp(
    runtime.broadcast_to_shape,
    lambda g, ans, t, shape: unbroadcast(g, np.shape(t)),
    _only_shape,
    hint="broadcast",
)


# fit_gradient only converts type and dtype: the identity on values.
fit_gradient = defvjp(
    runtime.fit_gradient,
    lambda g, ans, adjoint, x: unbroadcast(g, np.shape(adjoint)),
    _only_shape,
    hint="grad",
)

# unindex scatters into zeros; its adjoint gathers.
unindex = defvjp(
    runtime.unindex,
    lambda g, ans, adjoint, shape, index: g[index],
    _only_shape,
    _only_shape,
)


# In-place sums and sums of pieces: only generated code calls them, and
# lowering rewrites them into plain sums before differentiating it again
# (lower.call_prim), so no rule is ever asked for; one would be an error
# naming the helper.
add_into = defvjp(
    runtime.add_into, None, hint="total", signature_of=lambda g, ans, acc, c: None
)
subtract_into = defvjp(
    runtime.subtract_into,
    None,
    hint="total",
    signature_of=lambda g, ans, acc, c: None,
)
add_at = defvjp(
    runtime.add_at,
    None,
    hint="total",
    signature_of=lambda g, ans, acc, part, shape, index: None,
)
assemble = defvjp(
    runtime.assemble,
    None,
    hint="total",
    signature_of=lambda g, ans, shape, *pieces: None,
)
concatenate_tiles = defvjp(
    runtime.concatenate_tiles,
    None,
    hint="total",
    signature_of=lambda g, ans, shape, axis, cuts, *parts: None,
)


def _einsum_adjoint_of_g(G, ans, spec, k, shape, g, *operands):
    # the transpose of "operand k -> einsum" is that map itself
    ops = list(operands)
    ops[k] = G
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


# einsum_adjoint is multilinear in g and the operands: its own rules are
# einsums again, so every order of derivative stays inside this family.
einsum_adjoint = defvjp(
    runtime.einsum_adjoint,
    _only_shape,
    _only_shape,
    _only_shape,
    _einsum_adjoint_of_g,
    _einsum_adjoint_of_operands,
    static=("k",),
)
untile = defvjp(
    runtime.untile,
    lambda g, ans, adjoint, shape, reps: np.tile(g, reps),
    _only_shape,
    _only_shape,
)
unrepeat = defvjp(
    runtime.unrepeat,
    lambda g, ans, adjoint, shape, repeats, axis=None: np.repeat(g, repeats, axis),
    _only_shape,
    _only_shape,
    static=("axis",),
)

# ---------------------------------------------------------------------------
# Lists and tuples

adjoint_item = defvjp(
    runtime.adjoint_item,
    lambda G, ans, g, index: unindex_list(G, len_(g), index),
    _only_shape,
)
unindex_list = defvjp(
    runtime.unindex_list,
    lambda G, ans, g, length, index: adjoint_item(G, index),
    _only_shape,
    _only_shape,
)
adjoint_without_last = defvjp(
    runtime.adjoint_without_last,
    lambda G, ans, g: adjoint_with_last(G),
)
add_adjoints = defvjp(
    runtime.add_adjoints,
    lambda G, ans, a, b: G,
    lambda G, ans, a, b: G,
    hint="total",
)
shapes_of = nondifferentiable(runtime.shapes_of, hint="shapes")
split_pieces = defvjp(
    runtime.split_pieces,
    lambda G, ans, g, kind, shapes, axis=0: join_pieces(G, kind, shapes, axis),
    _only_shape,
    _only_shape,
    static=("kind",),
    hint="pieces",
)
join_pieces = defvjp(
    runtime.join_pieces,
    lambda G, ans, pieces, kind, shapes, axis=0: split_pieces(G, kind, shapes, axis),
    _only_shape,
    _only_shape,
    static=("kind",),
)
pieces_adjoint = defvjp(
    runtime.pieces_adjoint,
    lambda G, ans, g, kind, arrays, axis=0: join_pieces(
        G, kind, shapes_of(arrays), axis
    ),
    _only_shape,
    _only_shape,
    static=("kind",),
    hint="pieces",
)
sum_items_adjoint = defvjp(
    runtime.sum_items_adjoint,
    lambda G, ans, g, items: sum_(G),
    _only_shape,
    hint="items",
)
make_list = defvjp(
    runtime.make_list,
    lambda g, ans, *items: [adjoint_item(g, k) for k in range(len(items))],
    render=("list",),
    hint="items",
)
make_tuple = defvjp(
    runtime.make_tuple,
    lambda g, ans, *items: [adjoint_item(g, k) for k in range(len(items))],
    render=("tuple",),
    hint="items",
)
list_item = defvjp(
    runtime.list_item,
    lambda g, ans, sequence, index, length=None: unindex_list(
        g, len_(sequence) if length is None else length, index
    ),
    _only_shape,
    _only_shape,
    render=("subscript",),
    hint="item",
)
list_append = defvjp(
    runtime.list_append,
    lambda g, ans, sequence, item: adjoint_without_last(g),
    lambda g, ans, sequence, item: adjoint_item(g, -1),
    render=("inplace_method", "append"),
)
adjoint_with_last = defvjp(
    runtime.adjoint_with_last, lambda G, ans, g: adjoint_without_last(G)
)
list_pop = defvjp(
    runtime.list_pop,
    lambda g, ans, sequence: adjoint_with_last(g),
    render=("inplace_method", "pop"),
)
list_pop.effect = True  # also what restores a list in the backward sweep
list_append.effect = True  # likewise
for _prim in (
    make_list,
    make_tuple,
    list_append,
    list_pop,
    adjoint_without_last,
    adjoint_with_last,
):
    _prim.container = True
for _prim in (list_item, adjoint_item, add_adjoints):
    _prim.container = None


def len_(x):
    return call(builtins.len, x)


def sum_(items):
    return call(builtins.sum, items)


# ---------------------------------------------------------------------------
# Arrays changed in place

zero_at = defvjp(runtime.zero_at, lambda G, ans, g, index: zero_at(G, index), None)
set_item = defvjp(
    runtime.set_item,
    lambda g, ans, array, index, value: zero_at(g, index),
    _only_shape,
    lambda g, ans, array, index, value: unbroadcast(
        written_items(g, index) * writes_floats(array), np.shape(value)
    ),
    render=("setitem",),
    hint="changed",
)
saved_items = defvjp(
    runtime.saved_items,
    lambda g, ans, array, index: unindex(g, np.shape(array), index),
    _only_shape,
    hint="overwritten",
)
restore_items = nondifferentiable(runtime.restore_items, render=("setitem",))
restore_items.effect = True

as_columns = defvjp(
    runtime.as_columns,
    lambda g, ans, x, b: from_columns(g, b),
    _only_shape,
    hint="columns",
)
from_columns = defvjp(
    runtime.from_columns,
    lambda g, ans, y, b: as_columns(g, b),
    _only_shape,
    hint="vectors",
)
