"""Accumulate adjoints in place.

When a value is used several times, its adjoint is a sum of contributions:
``d_z = d_z + unindex(d_piece, shape, index)``. Each ``+`` allocates a new
array, and each ``unindex`` a whole array of zeros for one slice. Where the
running total is an array nothing else can see, the sum can be written into
it instead::

    d_z = add_at(d_z, d_piece, shape, index)   # d_z[index] += d_piece
    d_x = add_into(d_x, mul_3)                 # d_x += mul_3
    d_x = subtract_into(d_x, d_neg)            # d_x -= d_neg (for + -d_neg)

The total may be overwritten when it is *fresh* and *private*:

* fresh: produced in the same block by an operation that always returns a
  new array (arithmetic, a ufunc, ``unindex``, ``zero_adjoint``, or an
  accumulation already made in place), or by ``unbroadcast`` of such an
  array (which returns its input when shapes agree);
* private: this sum is its last reader, anywhere in the graph: every other
  read is by an earlier operation of the same block whose result is new
  memory (``d_y = d_add * 3.0``, then ``d_x = d_add - d_neg`` may write
  into ``d_add``). A value read again later, read by a view, a call or a
  nested block, stored in a list, yielded by a branch, or carried by a
  loop is never overwritten.

A backward loop's running total (``d_W = d_W + contribution`` at every
iteration, from ``zero_adjoint(W)`` before the loop) is written in place
when no one else sees it: the zeros are read only by the loop, and in each
iteration the total only by its sum, the sum only by the next iteration.

A total built only from pieces (an ``unindex``, then ``add_at`` calls, each read
only by the next) is built in one step instead, once every piece is
computed: ``d_z = assemble(shape, (index, d_piece), ...)``. Pieces that tile
an axis (an LSTM's four gates read from one ``z``) are concatenated, other
disjoint ones written into zeros: no array of zeros added to piece by piece.
When the slices visibly follow one another along one axis (``z[:, :H]``,
``z[:, H:m]``, ``z[:, m:]``: each cut one value ending a slice and starting
the next), ``concatenate_tiles(shape, axis, cuts, *parts)`` is written
instead, and only the cuts are checked at run time.

The runtime helpers still check the type, shape, writability and dtype of
the total and fall back to the plain sum, so numbers, broadcast views and
dtype promotions give what ``+`` gives. Gradients are unchanged: only which
buffer holds them.
"""

from __future__ import annotations

import operator
from collections import Counter
from typing import Any

import numpy as np

from .. import runtime
from ..ir import Graph, Op, ReverseLoopOp, Value, blocks, tree_values, used_list
from ..primitives.registry import lookup

#: Operations whose result is always a new object (an array they allocate,
#: or an immutable number).
_FRESH = {
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.neg,
    runtime.unindex,
    runtime.zero_adjoint,
    runtime.add_into,
    runtime.subtract_into,
    runtime.add_at,
}


def accumulate_in_place(graph: Graph, accumulations: set[int]) -> None:
    """Rewrite the sums ``accumulations`` (ids of ``operator.add`` ops the
    reverse pass made to add adjoint contributions, or ``operator.sub`` ones
    for contributions that are negations) to write into their first operand
    where it is fresh and private (see the module docstring)."""
    uses = Counter(used_list(graph))
    add_into = lookup(runtime.add_into)
    subtract_into = lookup(runtime.subtract_into)
    add_at = lookup(runtime.add_at)
    carried = _private_accumulators(graph, uses)
    for block in blocks(graph.body):
        made: dict[Value, Op] = {}
        #: reads so far, by ops of this block whose results are new memory
        read_before: Counter = Counter()
        for op in block.ops:
            if not isinstance(op, Op):
                continue
            made[op.out] = op
            if id(op) in accumulations and not op.kwargs and len(op.args) == 2:
                total, contribution = op.args
                private = carried.get(total) is op.out or (  # a loop's total
                    _fresh(total, made, uses) and uses[total] == 1 + read_before[total]
                )
                if private and contribution is not total:
                    source = made.get(contribution)
                    if op.prim.fn is operator.sub:
                        op.prim = subtract_into
                    elif (
                        isinstance(contribution, Value)
                        and source is not None
                        and source.prim.fn is runtime.unindex
                        and uses[contribution] == 1
                        and not source.kwargs
                    ):
                        part, shape, index = source.args
                        op.prim = add_at
                        op.args = (total, part, shape, index)
                        uses[part] += 1
                        uses[contribution] -= 1
                    else:
                        op.prim = add_into
            read_before.update(_reads_into_new(op))


def assemble_pieces(graph: Graph) -> None:
    """Replace each chain ``t1 = unindex(g1, shape, i1)``, ``t2 = add_at(t1,
    g2, shape, i2)``, ... of one block, each total read only by the next
    link, by ``assemble(shape, (i1, g1), (i2, g2), ...)`` where its last link
    was (all pieces are computed by then)."""
    uses = Counter(used_list(graph))
    assemble = lookup(runtime.assemble)
    concatenate = lookup(runtime.concatenate_tiles)
    for block in blocks(graph.body):
        chains: dict[Value, tuple[Any, list, list]] = {}
        for op in block.ops:
            if not isinstance(op, Op) or op.kwargs:
                continue
            if op.prim.fn is runtime.unindex and len(op.args) == 3:
                piece, shape, index = op.args
                chains[op.out] = (shape, [(index, piece)], [op])
            elif op.prim.fn is runtime.add_at and len(op.args) == 4:
                total, piece, shape, index = op.args
                chain = chains.pop(total, None)
                if chain is not None and uses[total] == 1 and _same(chain[0], shape):
                    pieces, links = chain[1] + [(index, piece)], chain[2] + [op]
                    chains[op.out] = (shape, pieces, links)
        replaced: set[int] = set()
        for shape, pieces, links in chains.values():
            if len(links) < 2:
                continue
            last = links[-1]
            tiling = _tiling(pieces)
            if tiling is None:
                last.prim = assemble
                last.args = (shape, *pieces)
            else:
                axis, cuts, parts = tiling
                last.prim = concatenate
                last.args = (shape, axis, cuts, *parts)
            replaced.update(id(link) for link in links[:-1])
        if replaced:
            block.ops = [op for op in block.ops if id(op) not in replaced]


def _tiling(pieces: list) -> tuple[int, tuple, list] | None:
    """``(axis, cuts, parts)`` when the pieces' indices are, in some order,
    ``[:c1]``, ``[c1:c2]``, ..., ``[ck:]`` along one axis and whole along
    the others, each cut one value (or number) ending a slice and starting
    the next: ``z[:, :H]``, ``z[:, H:m]``, ``z[:, m:]``. ``parts`` are the
    pieces' adjoints in that order. The cuts are checked when the code
    runs (:func:`runtime.concatenate_tiles`); else None."""
    axis = None
    spans = []
    for index, part in pieces:
        parts = index if isinstance(index, tuple) else (index,)
        narrowed = [k for k, p in enumerate(parts) if not _whole(p)]
        if not all(isinstance(p, slice) for p in parts) or len(narrowed) != 1:
            return None
        k = narrowed[0]
        bound = parts[k]
        if bound.step is not None or (axis is not None and k != axis):
            return None
        axis = k
        spans.append((bound.start, bound.stop, part))
    ordered, start = [], None
    while spans:
        following = [s for s in spans if _same_bound(s[0], start)]
        if len(following) != 1:
            return None
        ordered.append(following[0])
        spans.remove(following[0])
        start = following[0][1]
        if start is None:
            break
    if spans or start is not None or len(ordered) < 2:
        return None
    cuts = tuple(stop for _, stop, _ in ordered[:-1])
    return axis, cuts, [part for _, _, part in ordered]


def _whole(part: Any) -> bool:
    return (
        isinstance(part, slice)
        and part.start is None
        and part.stop is None
        and part.step is None
    )


def _same_bound(bound: Any, other: Any) -> bool:
    """Whether two slice bounds are the same value, or equal integers (a
    start of 0 is the start of the axis)."""
    if other is None:
        return bound is None or (type(bound) is int and bound == 0)
    if isinstance(bound, Value) or isinstance(other, Value):
        return bound is other
    return type(bound) is int and type(other) is int and bound == other


def _same(shape: Any, other: Any) -> bool:
    """Whether two shape operands are one value, or ``np.shape`` of one."""
    if shape is other:
        return True
    ops = [getattr(v, "op", None) for v in (shape, other)]
    return all(
        isinstance(op, Op) and op.prim.fn is np.shape and not op.kwargs for op in ops
    ) and (ops[0].args[0] is ops[1].args[0])


def _private_accumulators(graph: Graph, uses: Counter) -> dict[Value, Value]:
    """``{carried: new}`` for the adjoint totals backward loops carry that
    nothing else can see: the loop starts from a fresh array read nowhere
    else (``zero_adjoint``), each iteration reads the total only to add to
    it, and yields the sum, read only by the loop."""
    private = {}
    for op in graph.walk():
        if not isinstance(op, ReverseLoopOp):
            continue
        for init, value, new in zip(op.inits, op.carried, op.body.yields):
            if not (isinstance(init, Value) and isinstance(new, Value)):
                continue
            source = init.op
            if (
                isinstance(source, Op)
                and source.prim.fn in _FRESH
                and not source.kwargs
                and init.container is False
                and uses[init] == 1
                and uses[value] == 1
                and uses[new] == 1
            ):
                private[value] = new
    return private


def _reads_into_new(op: Op) -> list[Value]:
    """The values ``op`` reads, when its result is new memory (so writing
    into one of them later cannot change what it made); else none."""
    return list(tree_values(op.args)) if _makes_new(op) else []


def _makes_new(op: Op) -> bool:
    """Whether ``op`` always returns a new object (see :data:`_FRESH`)."""
    fn = op.prim.fn
    return not op.kwargs and (
        fn in _FRESH or (isinstance(fn, np.ufunc) and fn.nout == 1)
    )


def _fresh(value: Any, made: dict[Value, Op], uses: Counter) -> bool:
    if not isinstance(value, Value) or value.container is not False:
        return False
    op = made.get(value)
    if op is None or op.kwargs:
        return False
    if _makes_new(op):
        return True
    if op.prim.fn is runtime.unbroadcast:
        inner = op.args[0]
        return uses[inner] == 1 and _fresh(inner, made, uses)
    return False
