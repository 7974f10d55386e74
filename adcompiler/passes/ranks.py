"""Which values are NumPy arrays of a known rank (number of dimensions).

A gradient is compiled for each rank of its array arguments (an
``ndarray`` of ``ndim`` 2 and one of ``ndim`` 1 get separate code), so the
ranks of the parameters are known, and many others follow from them:
NumPy arithmetic and ufuncs give the largest rank of their operands, ``@``
of two matrices a matrix, ``np.zeros((n, m))`` a matrix, ``xs[t]`` for an
integer ``t`` one rank less than ``xs``. Rules read :attr:`Value.ndim`:
the adjoints of ``a @ b`` for two matrices are ``g @ b.T`` and
``a.T @ g``, written directly instead of through the general
:func:`runtime.einsum_adjoint`; and a value of rank one or more is an
``ndarray``, so its shape is read as ``a.shape``.

The marking is conservative, as :mod:`.scalars` is: a rank is known only
when every way of reaching the value gives it (both branches of an
``if``, every iteration of a loop). Calls of user functions, indexing by
anything but integers and slices, reshapes and the rest are left unknown.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from ..ir import Block, Graph, IfOp, LoopOp, Op, Value
from .scalars import ARITHMETIC, REDUCTIONS, iterates_range

_MATMUL = (operator.matmul, np.matmul)
_FILLED = (np.zeros, np.ones, np.empty)
_FILLED_LIKE = (np.zeros_like, np.ones_like, np.empty_like)


def mark_ranks(graph: Graph, ranks: Sequence[int | None]) -> None:
    """Set ``ndim`` on the graph's values of known rank, given the ranks of
    the parameters (``ranks[i]`` for ``graph.params[i]``, None: unknown)."""
    for param, known in zip(graph.params, ranks):
        if isinstance(param, Value):
            param.ndim = known
    _Marker().block(graph.body)


def call_facts(operands: Sequence[Any]) -> tuple[tuple, tuple]:
    """``(scalars, ranks)`` of the operands of a call (one per parameter):
    what the caller knows of each, for compiling the callee's halves or its
    tangent with that knowledge (a rule that needs an operand's rank, such
    as ``np.linalg.norm``'s with ``ord=2`` and no axis, then has it)."""
    if not any(isinstance(operand, Value) for operand in operands):
        return (), ()
    scalars = tuple(
        isinstance(operand, Value) and operand.scalar for operand in operands
    )
    ranks = tuple(
        operand.ndim if isinstance(operand, Value) else None for operand in operands
    )
    return scalars, ranks


def rank(operand: Any) -> int | None:
    """The rank of an operand, None when unknown."""
    if isinstance(operand, Value):
        if operand.ndim is not None:
            return operand.ndim
        return 0 if operand.scalar else None
    if type(operand) in (int, float, bool, complex, np.float64):
        return 0
    return None


class _Marker:
    """One marking: it knows which loop variables are integers (a ``for``
    over a ``range``), the indices that take a dimension away."""

    def __init__(self) -> None:
        self.integers: set[Value] = set()

    def is_integer(self, operand: Any) -> bool:
        if isinstance(operand, Value):
            return operand in self.integers
        return type(operand) is int

    def result_rank(self, op: Op) -> int | None:
        fn = op.prim.fn
        args, kwargs = op.args, op.kwargs
        if fn in _MATMUL and not kwargs and len(args) == 2:
            a, b = rank(args[0]), rank(args[1])
            if a is None or b is None or a == 0 or b == 0:
                return None
            if a == 1 and b == 1:
                return 0
            return b - 1 if a == 1 else a - 1 if b == 1 else max(a, b)
        if (fn in ARITHMETIC or (isinstance(fn, np.ufunc) and fn.nout == 1)) and (
            not kwargs
        ):
            ranks = [rank(arg) for arg in args]
            if args and all(r is not None for r in ranks):
                return max(ranks)
            return None
        if fn in _FILLED and len(args) == 1 and set(kwargs) <= {"dtype"}:
            shape = args[0]
            if isinstance(shape, tuple):
                return len(shape)
            return 1 if self.is_integer(shape) else None
        if fn in _FILLED_LIKE and len(args) == 1 and set(kwargs) <= {"dtype"}:
            return rank(args[0])
        if fn is np.transpose and len(args) == 1 and not kwargs:
            return rank(args[0])
        if fn is operator.getitem and len(args) == 2 and not kwargs:
            return self.indexed_rank(rank(args[0]), args[1])
        if fn in REDUCTIONS and len(args) == 1 and set(kwargs) <= {"axis", "keepdims"}:
            return _reduced_rank(rank(args[0]), kwargs)
        return _shaped_rank(fn, args, kwargs)

    def indexed_rank(self, array: int | None, index: Any) -> int | None:
        """The rank of ``array[index]`` for integers and slices, else None."""
        if array is None:
            return None
        parts = index if isinstance(index, tuple) else (index,)
        if len(parts) > array:
            return None
        dropped = 0
        for part in parts:
            if self.is_integer(part):
                dropped += 1
            elif not isinstance(part, slice):
                return None  # None, Ellipsis, arrays, masks: not counted here
        return array - dropped

    def block(self, block: Block) -> None:
        for op in block.ops:
            if isinstance(op, Op):
                if isinstance(op.out, Value):
                    op.out.ndim = self.result_rank(op)
            elif isinstance(op, IfOp):
                self.block(op.then)
                self.block(op.orelse)
                for out, a, b in zip(op.outs, op.then.yields, op.orelse.yields):
                    ra, rb = rank(a), rank(b)
                    out.ndim = ra if ra is not None and ra == rb else None
            elif isinstance(op, LoopOp):
                self.loop(op)

    def loop(self, loop: LoopOp) -> None:
        if loop.kind == "for" and loop.target is not None:
            if iterates_range(loop.iterable):
                self.integers.add(loop.target)
        # optimistic start: a carried value keeps the rank it starts with; those
        # whose rank after an iteration differs become unknown, until stable
        assume = [rank(init) for init in loop.inits]
        while True:
            for value, r in zip(loop.carried, assume):
                value.ndim = r
            for region in loop.regions:
                self.block(region)
            after = [
                r if r is not None and rank(y) == r else None
                for r, y in zip(assume, loop.body.yields)
            ]
            if after == assume:
                break
            assume = after
        for out, r in zip(loop.outs, assume):
            out.ndim = r


def _items_rank(items: Any) -> int | None:
    """The rank every item of a list or tuple of operands has (None when
    one is unknown, they differ, or an item is itself a list)."""
    if not isinstance(items, (list, tuple)) or not items:
        return None
    ranks = {rank(item) for item in items}
    if len(ranks) != 1 or None in ranks:
        return None
    return ranks.pop()


#: functions of one array whose result has a fixed rank, or the rank of
#: their operand raised to at least a number (``np.atleast_2d``)
_FIXED = {np.ravel: 1, np.outer: 2}
_AT_LEAST = {np.asarray: 0, np.atleast_1d: 1, np.atleast_2d: 2, np.atleast_3d: 3}


def _shaped_rank(fn: Any, args: tuple, kwargs: dict) -> int | None:
    """The rank of what the array constructors, joins and reshapes give."""
    if fn in _FIXED and args and not kwargs:
        return _FIXED[fn]
    if fn in _AT_LEAST and len(args) == 1 and not kwargs:
        r = rank(args[0])
        return None if r is None else max(r, _AT_LEAST[fn])
    if fn is np.array and len(args) == 1 and set(kwargs) <= {"dtype"}:
        if isinstance(args[0], (list, tuple)):
            r = _items_rank(args[0])
            return None if r is None else r + 1
        return rank(args[0])
    if fn is np.stack and len(args) == 1 and set(kwargs) <= {"axis"}:
        r = _items_rank(args[0])
        return None if r is None else r + 1
    if fn is np.concatenate and len(args) == 1 and set(kwargs) <= {"axis"}:
        r = _items_rank(args[0])
        return r if r is not None and r >= 1 else None
    if fn is np.reshape and len(args) == 2 and not kwargs:
        shape = args[1]
        if isinstance(shape, tuple):
            return len(shape)
        return 1 if type(shape) is int else None
    if fn is np.diag and len(args) == 1 and not kwargs:
        return {1: 2, 2: 1}.get(rank(args[0]))
    return None


def _reduced_rank(array: int | None, kwargs: dict) -> int | None:
    if array is None:
        return None
    keepdims = kwargs.get("keepdims", False)
    axis = kwargs.get("axis")
    if type(keepdims) is not bool:
        return None
    if keepdims:
        return array
    if axis is None:
        return 0
    if type(axis) is int:
        return array - 1 if array >= 1 else None
    if isinstance(axis, tuple) and all(type(a) is int for a in axis):
        return array - len(set(axis)) if len(axis) <= array else None
    return None
