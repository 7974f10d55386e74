"""Reading shapes in the forward sweep, so the backward need not keep arrays.

Many rules read an operand only for its shape: the adjoint of ``a + b``
sums ``d`` down to ``np.shape(a)``, the adjoint of ``np.sum(x)`` broadcasts
to ``np.shape(x)``. Asked in the backward sweep, that question keeps the
whole array alive until then, and in a loop saves it on the tape at every
iteration. This pass moves each such query (``np.shape``, ``np.ndim``,
``np.size`` of one array) to just after the array is computed in the
forward sweep; the backward reads the small tuple or int instead, and the
array can be freed (or left off the tape) when nothing else needs it.

Sound because a value's shape never changes after it is computed:
in-place writes keep shapes, and values that may be lists (whose length
``append`` changes) are left alone.

Example: in ``for t in ...: z = xs[t] @ W + b``, the backward's
``np.shape(matmul)`` becomes ``shape = np.shape(matmul)`` in the forward
loop, and the tape saves ``shape`` instead of the ``matmul`` array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import AdjointGraph, Op, ReverseLoopOp, Value, free_reads

#: Queries of an array's shape that may be asked as soon as it exists.
_QUERIES = (np.shape, np.ndim, np.size)


def read_shapes_early(graph: AdjointGraph) -> None:
    """Move backward shape queries of forward values into the forward sweep,
    right after the value's definition (top level, and loops' bodies)."""
    if graph.backward_start is None:
        return
    ops = graph.body.ops
    start = ops.index(graph.backward_start)
    forward, backward = ops[:start], ops[start:]
    forward = _move(forward, [], backward)
    graph.body.ops = forward + backward
    graph.forward_count = len(forward)
    graph.backward_start = backward[0] if backward else None


def _move(forward: list, entry: list[Value], backward: list) -> list:
    """Move the queries of ``backward`` (a list changed in place) about values
    defined by ``forward`` or bound on entry (``entry``), when the backward
    reads those values for nothing else, into ``forward``; return the new
    forward list. Recurses into backward loops."""
    for op in backward:
        if isinstance(op, ReverseLoopOp):
            loop = op.forward
            bound = list(loop.carried)
            if loop.target is not None:
                bound.append(loop.target)
            loop.body.ops = _move(loop.body.ops, bound, op.body.ops)
    defined: dict[Value, int] = {value: -1 for value in entry}
    for position, op in enumerate(forward):
        for value in op.outs:
            defined[value] = position
    queries = [op for op in backward if _queried(op) in defined]
    others = set(free_reads([op for op in backward if op not in queries]))
    moved = [op for op in queries if _queried(op) not in others]
    if not moved:
        return forward
    after: dict[int, list] = {}
    for op in moved:
        position = defined[_queried(op)]
        # listed under the source line of the value it reads
        near = forward[max(position, 0)] if forward else None
        op.loc = getattr(near, "loc", None) or op.loc
        after.setdefault(position, []).append(op)
    backward[:] = [op for op in backward if op not in moved]
    result = list(after.get(-1, []))
    for position, op in enumerate(forward):
        result.append(op)
        result.extend(after.get(position, []))
    return result


def _queried(op: Any) -> Value | None:
    """The array a shape query reads, or None for any other op."""
    if not isinstance(op, Op) or op.prim.fn not in _QUERIES or op.kwargs:
        return None
    if len(op.args) != 1 or not isinstance(op.args[0], Value):
        return None
    value = op.args[0]
    return value if value.container is False else None
