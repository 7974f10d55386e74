"""Common subexpressions and loop-invariant code, for shape computations.

Rules read shapes, ranks and einsum subscripts (``np.shape(x)``,
``np.ndim(W)``, ``bilinear_spec(...)``), often the same ones several times,
and inside backward loops again at every iteration. This pass computes each
once: an op of these pure, cheap-to-keep functions that repeats an earlier
one with the same operands (in the same block or an enclosing one) is
dropped and its uses read the earlier result; one inside a loop whose
operands come from outside the loop moves before the loop.

Only functions of an array's shape, rank or dtype take part: in-place
changes never alter those, so reusing their results is always sound.

Example: two ``np.ndim(W)`` in one backward loop body become one
``ndim = np.ndim(W)`` before the loop.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import runtime
from .scalars import ARITHMETIC
from ..primitives.record import category
from ..ir import (
    AdjointGraph,
    Block,
    CallOp,
    Graph,
    LoopOp,
    Op,
    ReverseLoopOp,
    Value,
    defined_in,
    tree_map,
)

#: Pure functions of shapes, ranks and dtypes.
SHAPE_FUNCTIONS = tuple(category("shape query"))


#: Pure, costly functions of arrays (the items of ``np.linalg.svd``, ...):
#: each rule of one item computes the others again
_DECOMPOSITIONS = frozenset(category("decomposition"))


#: Operations that write into an array or list (besides ``effect`` ones).
_WRITES = {
    runtime.set_item,
    runtime.restore_items,
    runtime.list_append,
    runtime.list_pop,
    runtime.restore_list,
    runtime.add_into,
    runtime.subtract_into,
    runtime.add_at,
}


def _key(op: Op) -> Any:
    def operand(leaf: Any) -> Any:
        return (
            ("value", id(leaf)) if isinstance(leaf, Value) else ("constant", repr(leaf))
        )

    return (
        id(op.prim.fn),
        repr(tree_map(operand, op.args)),
        repr(tree_map(operand, op.kwargs)),
    )


def _shape_op(op: Any) -> bool:
    return isinstance(op, Op) and op.prim.fn in SHAPE_FUNCTIONS


def share_shape_computations(graph: AdjointGraph) -> None:
    """Hoist loop-invariant shape computations, then drop repeated ones.

    The cut between forward and backward sweeps (``forward_count``,
    ``backward_start``) still falls between the same remaining ops."""
    start = graph.backward_start
    backward = graph.body.ops[graph.body.ops.index(start) :] if start else []
    _hoist(graph.body)
    replaced: dict[Value, Value] = {}
    _deduplicate(graph.body, {}, replaced)
    if replaced:
        substitute(graph, replaced)
    if start is not None:
        kept = {id(op) for op in graph.body.ops}
        graph.backward_start = next((op for op in backward if id(op) in kept), None)
        graph.forward_count = (
            graph.body.ops.index(graph.backward_start)
            if graph.backward_start is not None
            else len(graph.body.ops)
        )


def _hoist(block: Block) -> None:
    ops = []
    for op in block.ops:
        for region in op.regions:
            _hoist(region)
        if isinstance(op, (LoopOp, ReverseLoopOp)):
            body = op.body
            # what changes from one iteration to the next
            inside = defined_in(Block([op]))
            if isinstance(op, ReverseLoopOp):  # reads each iteration's values
                inside |= defined_in(Block([op.forward]))
            moved = [
                inner
                for inner in body.ops
                if _shape_op(inner) and not any(v in inside for v in inner.inputs())
            ]
            if moved:
                body.ops = [inner for inner in body.ops if inner not in moved]
                ops.extend(moved)
        ops.append(op)
    block.ops = ops


def _deduplicate(block: Block, seen: dict, replaced: dict[Value, Value]) -> None:
    _share(block, seen, replaced, _shape_op)


def _replace(tree: Any, replaced: dict[Value, Value]) -> Any:
    return tree_map(
        lambda leaf: replaced.get(leaf, leaf) if isinstance(leaf, Value) else leaf, tree
    )


def substitute(graph: Graph, replaced: dict[Value, Value]) -> None:
    """Make every read of a dropped value read the value it repeated."""
    for op in graph.walk():
        op.replace_inputs(lambda value: replaced.get(value, value))
    graph.outputs = _replace(graph.outputs, replaced)


def share_repeated_arithmetic(graph: Graph) -> None:
    """Compute each arithmetic operation or ufunc once per block (and the
    blocks nested in it): a repeat of an earlier one with the same operands
    reads the earlier result (``np.exp(x)`` written twice; a rule's
    ``1.0 - y`` the forward already computed; a rule's ``svd_u(a, False)``,
    a decomposition the forward already did).

    Only in graphs that change no array in place (no subscript
    assignment, append or other operation with an effect, no call of a user
    function, which might): an array is one
    object under many names (a loop's first iteration, a view), so a
    change under one name would reach the shared result. Values whose
    Python name holds anything else (``graph.reuses``) and lists or tuples
    never take part: for the rest, equal operands guarantee equal results,
    and the earlier result can still be read where the repeat was."""
    if any(
        isinstance(op, CallOp)
        or (isinstance(op, Op) and (op.prim.effect or op.prim.fn in _WRITES))
        for op in graph.walk()
    ):
        return
    changing = set(graph.reuses) | set(graph.reuses.values())
    replaced: dict[Value, Value] = {}
    _share(
        graph.body,
        {},
        replaced,
        lambda op: _pure(op, changing) and op.out not in changing,
    )
    if replaced:
        substitute(graph, replaced)


def _pure(op: Any, changing: set[Value]) -> bool:
    if not isinstance(op, Op) or op.kwargs or op.out.container is not False:
        return False
    fn = op.prim.fn
    ufunc = isinstance(fn, np.ufunc) and fn.nout == 1 and fn.signature is None
    if fn not in ARITHMETIC and not ufunc and fn not in _DECOMPOSITIONS:
        return False
    return all(
        v.container is False and v not in changing and v.kind != "free"
        for v in op.inputs()
    )


def _share(
    block: Block, seen: dict, replaced: dict[Value, Value], shared: Callable
) -> None:
    """Drop the ops ``shared(op)`` accepts that repeat an earlier one of this
    block or an enclosing one; record what their results become."""
    seen = dict(seen)
    kept = []
    for op in block.ops:
        if shared(op):
            op.replace_inputs(lambda value: replaced.get(value, value))
            key = _key(op)
            if key in seen:
                replaced[op.out] = seen[key]
                continue
            seen[key] = op.out
        for region in op.regions:
            _share(region, seen, replaced, shared)
        kept.append(op)
    block.ops = kept
