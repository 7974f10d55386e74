"""Forward-mode (tangent) rules for the primitives whose reverse rules are
not already tangent rules.

Elementwise functions need nothing here: their reverse rule is ``g`` times
the derivative, elementwise, so :func:`numpy_rules.unary` and ``binary``
register it as the tangent rule too. A function linear in an argument
(``np.sum``, ``reshape``, indexing, ``@`` in each factor) has that function,
applied to the tangent, as its rule (:func:`deflinear`). The rest are below,
one per function: ``rule(t, ans, *args, **kwargs)`` is the tangent of the
result when that argument has tangent ``t`` (a list of tangents, with None
for items without one, for a list argument).
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import runtime
from ..symbolic import Sym, call
from .numpy_rules import _count, _mT, broadcast_like, expand
from .registry import deflinear, defjvp, lookup
from .runtime_rules import einsum_adjoint, zero_adjoint


def _filled(tangents, values):
    """Tangents of list items, zeros of each item's shape where there is none."""
    if isinstance(tangents, Sym) or tangents is None:
        return tangents
    return [zero_adjoint(v) if t is None else t for t, v in zip(tangents, values)]


# ---------------------------------------------------------------------------
# Linear in one argument

for fn, positions in (
    (np.sum, (0,)),
    (np.mean, (0,)),
    (np.cumsum, (0,)),
    (np.trace, (0,)),
    (np.reshape, (0,)),
    (np.ravel, (0,)),
    (np.squeeze, (0,)),
    (np.expand_dims, (0,)),
    (np.atleast_1d, (0,)),
    (np.atleast_2d, (0,)),
    (np.transpose, (0,)),
    (np.swapaxes, (0,)),
    (np.moveaxis, (0,)),
    (np.flip, (0,)),
    (np.broadcast_to, (0,)),
    (np.tile, (0,)),
    (np.repeat, (0,)),
    (operator.getitem, (0,)),
    (np.copy, (0,)),
    (np.asarray, (0,)),
    (np.array, (0,)),
    (np.ndarray.flatten, (0,)),
    (np.ndarray.copy, (0,)),
    (np.full, (1,)),
    (builtins.float, (0,)),
    # bilinear: linear in each factor, the other fixed
    (np.dot, (0, 1)),
    (np.inner, (0, 1)),
    (np.outer, (0, 1)),
    (np.matmul, (0, 1)),
    (operator.matmul, (0, 1)),
    (np.tensordot, (0, 1)),
    # runtime helpers (generated code differentiated again)
    (runtime.unbroadcast, (0,)),
    (runtime.broadcast_to_shape, (0,)),
    (runtime.fit_gradient, (0,)),
    (runtime.unindex, (0,)),
    (runtime.untile, (0,)),
    (runtime.unrepeat, (0,)),
    (runtime.zero_at, (0,)),
    (runtime.split_pieces, (0,)),
    (runtime.join_pieces, (0,)),
    (runtime.pieces_adjoint, (0,)),
    (runtime.sum_items_adjoint, (0,)),
    (runtime.adjoint_item, (0,)),
    (runtime.unindex_list, (0,)),
    (runtime.adjoint_without_last, (0,)),
    (runtime.list_item, (0,)),
    (runtime.saved_items, (0,)),
    (runtime.identity, (0,)),
    (runtime.matmul_transposed, (0, 1)),
    (runtime.transposed_matmul, (0, 1)),
    (runtime.written_items, (0,)),
    (runtime.adjoint_with_last, (0,)),
    (builtins.list, (0,)),
):
    deflinear(fn, *positions)


def _astype(t, ans, a, dtype, copy=True):
    if np.issubdtype(np.dtype(dtype), np.floating):
        return call(np.ndarray.astype, t, dtype)
    return None


defjvp(np.ndarray.astype, _astype)


def _only_shape(t, ans, *args, **kwargs):
    """An argument read only for its shape, type or length: no tangent."""
    return None


# helpers of generated code whose second argument is read for its shape only
for fn in (runtime.fit_gradient, runtime.sum_items_adjoint):
    lookup(fn).jvps = (lookup(fn).jvps[0], _only_shape)
lookup(runtime.pieces_adjoint).jvps = lookup(runtime.pieces_adjoint).jvps[:2] + (
    _only_shape,
)

# ---------------------------------------------------------------------------
# Several arguments, jointly linear

defjvp(
    np.where,
    None,
    lambda t, ans, condition, x, y: broadcast_like(np.where(condition, t, 0.0), ans),
    lambda t, ans, condition, x, y: broadcast_like(np.where(condition, 0.0, t), ans),
)


def _clip_a(t, ans, a, a_min=None, a_max=None):
    inside = t
    if a_min is not None:
        inside = inside * (a >= a_min)
    if a_max is not None:
        inside = inside * (a <= a_max)
    return broadcast_like(inside, ans)


defjvp(
    np.clip,
    _clip_a,
    lambda t, ans, a, a_min=None, a_max=None: broadcast_like(t * (a < a_min), ans),
    lambda t, ans, a, a_min=None, a_max=None: broadcast_like(t * (a > a_max), ans),
)
defjvp(
    np.full_like,
    lambda t, ans, a, fill_value, dtype=None: None,
    lambda t, ans, a, fill_value, dtype=None: np.full_like(a, t),
)
defjvp(
    np.linspace,
    lambda t, ans, start, stop, num=50, endpoint=True: np.linspace(
        t, 0.0 * stop, num, endpoint=endpoint
    ),
    lambda t, ans, start, stop, num=50, endpoint=True: np.linspace(
        0.0 * start, t, num, endpoint=endpoint
    ),
)


def _joined(fn):
    def rule(t, ans, arrays, axis=0):
        if isinstance(arrays, Sym):
            return call(fn, t, axis=axis)
        return call(fn, _filled(t, arrays), axis=axis)

    return rule


defjvp(np.concatenate, _joined(np.concatenate))
defjvp(np.stack, _joined(np.stack))
defjvp(np.hstack, lambda t, ans, tup: np.hstack(_filled(t, tup)))
defjvp(np.vstack, lambda t, ans, tup: np.vstack(_filled(t, tup)))


def _absent(tangent, operand=0.0):
    """No tangent for this operand: None, a literal zero, or a placeholder slot."""
    return (
        tangent is None
        or operand is None
        or (not isinstance(tangent, Sym) and tangent == 0)
    )


def _product_rule(t, operands, product):
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


defjvp(
    np.einsum,
    None,
    lambda t, ans, subscripts, *operands: _product_rule(
        t, operands, lambda *ops: np.einsum(subscripts, *ops)
    ),
)


def _einsum_adjoint_operands(t, ans, spec, k, shape, g, *operands):
    return _product_rule(
        t, operands, lambda *ops: einsum_adjoint(spec, k, shape, g, *ops)
    )


defjvp(
    runtime.einsum_adjoint,
    None,
    None,
    None,
    lambda t, ans, spec, k, shape, g, *operands: einsum_adjoint(
        spec, k, shape, t, *operands
    ),
    _einsum_adjoint_operands,
)


def _items(t, ans, *items):
    return call(runtime.make_list, *_filled(list(t), items))


defjvp(runtime.make_list, _items)
defjvp(
    runtime.make_tuple,
    lambda t, ans, *items: call(runtime.make_tuple, *_filled(list(t), items)),
)
defjvp(
    runtime.add_adjoints,
    lambda t, ans, a, b: t,
    lambda t, ans, a, b: t,
)

# ---------------------------------------------------------------------------
# Lists and arrays changed in place: the tangent changes alike, on a copy
# (a tangent may be shared with another value's)


# the tangent ops run after the append: `sequence` is already the longer list


def _append_sequence(t, ans, sequence, item):
    return call(runtime.list_append, call(builtins.list, t), zero_adjoint(item))


def _append_item(t, ans, sequence, item):
    return call(runtime.last_item_tangent, t, ans)


defjvp(runtime.list_append, _append_sequence, _append_item)
defjvp(
    runtime.list_pop,
    lambda t, ans, sequence: call(runtime.list_pop, call(builtins.list, t)),
)


def _set_array(t, ans, array, index, value):
    return call(runtime.set_item, np.copy(t), index, zero_adjoint(value))


def _set_value(t, ans, array, index, value):
    kept = call(runtime.writes_floats, array)
    return call(runtime.set_item, zero_adjoint(array), index, t * kept)


defjvp(runtime.set_item, _set_array, None, _set_value)

# ---------------------------------------------------------------------------
# Nonlinear, not elementwise


def _prod(t, ans, a, axis=None, dtype=None, keepdims=False):
    others = call(runtime.prod_others, a, axis)
    return np.sum(t * others, axis=axis, keepdims=keepdims)


defjvp(np.prod, _prod)


def _extremum(t, ans, a, axis=None, keepdims=False):
    chosen = a == expand(ans, a, axis, keepdims)
    share = chosen / np.sum(chosen, axis=axis, keepdims=True)
    return np.sum(t * share, axis=axis, keepdims=keepdims)


for fn in (np.max, np.amax, np.min, np.amin):
    defjvp(fn, _extremum)


def _var(t, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return np.sum(centred * t, axis=axis, keepdims=keepdims) * (
        2.0 / (_count(a, ans) - ddof)
    )


def _std(t, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    return _var(t, ans * ans, a, axis, dtype, ddof, keepdims) / (2.0 * ans)


defjvp(np.var, _var)
defjvp(np.std, _std)


def _norm(t, ans, x, ord=None, axis=None, keepdims=False):
    if ord in (None, "fro", 2) and (ord != 2 or axis is not None):
        return np.sum(x * t, axis=axis, keepdims=keepdims) / ans
    if ord == 1 and axis is not None:
        return np.sum(np.sign(x) * t, axis=axis, keepdims=keepdims)
    if ord == np.inf and axis is not None:
        return _extremum(np.sign(x) * t, ans, np.abs(x), axis, keepdims)
    from ..errors import NoRuleError

    raise NoRuleError(
        f"np.linalg.norm with ord={ord!r} and axis={axis!r} has no tangent rule",
        hint="use ord=None, or ord=1, 2 or np.inf with an axis",
    )


defjvp(np.linalg.norm, _norm)
defjvp(np.linalg.inv, lambda t, ans, a: -(ans @ t @ ans))
defjvp(
    np.linalg.det,
    lambda t, ans, a: ans * np.sum(np.linalg.inv(a) * _mT(t), axis=(-2, -1)),
)


# x = solve(a, b): dx = solve(a, db - da @ x), with solve's own reading of b
# (a vector, or a stack of matrices)
def _solve_a(t, ans, a, b):
    columns = call(runtime.as_columns, ans, b)
    return call(runtime.from_columns, -np.linalg.solve(a, t @ columns), b)


defjvp(np.linalg.solve, _solve_a, lambda t, ans, a, b: np.linalg.solve(a, t))


# ---------------------------------------------------------------------------
# math on Python floats, and builtins


def _extremes(t, ans, *args):
    if len(args) == 1:
        if isinstance(args[0], (list, tuple)):
            return _extremes(t[0], ans, *args[0])
        chosen = args[0] == ans  # one array: over its first axis
        return np.sum(t[0] * chosen, axis=0) / np.sum(chosen, axis=0)
    as_float = lookup(builtins.float)
    chosen = [as_float(x == ans) for x in args]
    count = builtins.sum(chosen)
    total = None
    for tk, c in zip(t, chosen):
        if tk is None:
            continue
        term = tk * c / count
        total = term if total is None else total + term
    return total


defjvp(builtins.max, _extremes)
defjvp(builtins.min, _extremes)


def _sum(t, ans, iterable, start=0):
    if isinstance(iterable, (list, tuple)):
        present = [tk for tk in t if tk is not None]
        total = present[0]
        for tk in present[1:]:
            total = total + tk
        return broadcast_like(total, ans)
    return call(builtins.sum, t)


defjvp(builtins.sum, _sum, lambda t, ans, iterable, start=0: broadcast_like(t, ans))


def _hypot(t, ans, *coordinates):
    total = None
    for tk, x in zip(t, coordinates):
        if tk is not None:
            term = tk * x / ans
            total = term if total is None else total + term
    return total


defjvp(math.hypot, _hypot)

# each rule of these is g times a partial derivative: a tangent rule too
for fn in [getattr(math, name) for name in dir(math)] + [builtins.abs]:
    prim = lookup(fn)
    if prim is not None and prim.differentiable and prim.jvps is None:
        prim.jvps = prim.vjps
