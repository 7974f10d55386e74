"""Which values are scalars: Python or NumPy numbers, of shape ``()``.

A gradient compiled for float arguments knows their shape. Arithmetic on
scalars, ``math`` functions and NumPy ufuncs of scalars give scalars, and a
loop variable over a ``range`` is an int. Rules of broadcasting operations
read :attr:`Value.scalar`: an operand of shape ``()`` never enlarges the
other, so its partner's adjoint needs no ``unbroadcast`` (and the backward
no ``np.shape`` of stored values, so the tape shrinks too).

The marking is conservative: a value is a scalar only when every way of
reaching it gives one (both branches of an ``if``, every iteration of a
loop). A reduction of a whole array (``np.sum(x)``) is a NumPy scalar.
Anything else — calls, indexing, reductions along axes — is left unknown.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, Sequence

import numpy as np

from ..ir import Block, Graph, IfOp, LoopOp, Op, Value
from ..primitives.record import category

#: Arithmetic, pure: a scalar when all operands are (and the same result
#: for the same operands, see :mod:`.cse`).
ARITHMETIC = category("arithmetic")

#: Negation, as an operator and as a ufunc.
NEGATIONS = category("negation")

#: Comparisons and ``not``: a bool, or an array of bools.
COMPARISONS = category("comparison")

#: Operations whose result is always a scalar (or the call fails).
_ALWAYS = {builtins.float, builtins.int}

#: Reductions: of a whole array (one argument, no axis), a NumPy scalar.
#: (The NaN-ignoring ones have no built-in records; a user's may add them.)
REDUCTIONS = category("reduction")
REDUCTIONS |= {np.nansum, np.nanmean, np.nanmax, np.nanmin}


def mark_scalars(graph: Graph, scalars: Sequence[bool]) -> None:
    """Set ``scalar`` on the graph's values known to be scalars, given which
    parameters are (``scalars[i]`` for ``graph.params[i]``)."""
    for param, is_scalar in zip(graph.params, scalars):
        if isinstance(param, Value) and is_scalar:
            param.scalar = True
    for free in graph.free:
        # a global, closure or attribute holding a number: the compiled code
        # holds only while it is an equal number of the same type
        # (frontend.Dependencies), so it is a scalar
        if type(free.obj) in _NUMBERS:
            free.scalar = True
    _block(graph.body)


#: the types of the numbers a value known to be a scalar may hold
_NUMBERS = (int, float, bool, np.float64)


def _known(operand: Any) -> bool:
    if isinstance(operand, Value):
        return operand.scalar
    return type(operand) in _NUMBERS


def _result_is_scalar(op: Op) -> bool:
    fn = op.prim.fn
    if op.kwargs:
        return False
    if fn in _ALWAYS or (fn in REDUCTIONS and len(op.args) == 1):
        return True
    if getattr(fn, "__module__", None) == "math" and fn not in (math.frexp, math.modf):
        return all(_known(arg) for arg in op.args)
    if fn in ARITHMETIC or (isinstance(fn, np.ufunc) and fn.nout == 1):
        return all(_known(arg) for arg in op.args)
    return False


def iterates_range(iterable: Any) -> bool:
    if not isinstance(iterable, Value) or iterable.op is None:
        return False
    op = iterable.op
    if not isinstance(op, Op):
        return False
    if op.prim.fn is builtins.range:
        return True
    return op.prim.fn is builtins.reversed and iterates_range(op.args[0])


def _block(block: Block) -> None:
    for op in block.ops:
        if isinstance(op, Op):
            if isinstance(op.out, Value) and _result_is_scalar(op):
                op.out.scalar = True
        elif isinstance(op, IfOp):
            _block(op.then)
            _block(op.orelse)
            for out, a, b in zip(op.outs, op.then.yields, op.orelse.yields):
                out.scalar = _known(a) and _known(b)
        elif isinstance(op, LoopOp):
            _loop(op)


def _loop(loop: LoopOp) -> None:
    if loop.kind == "for" and loop.target is not None:
        loop.target.scalar = iterates_range(loop.iterable)
    # optimistic start: a carried value is a scalar if it starts as one;
    # demote those whose value after an iteration is not, until stable
    assume = [_known(init) for init in loop.inits]
    while True:
        for value, flag in zip(loop.carried, assume):
            value.scalar = flag
        for region in loop.regions:
            _clear(region)
            _block(region)
        after = [flag and _known(y) for flag, y in zip(assume, loop.body.yields)]
        if after == assume:
            break
        assume = after
    for out, flag in zip(loop.outs, assume):
        out.scalar = flag


def _clear(block: Block) -> None:
    for op in block.ops:
        if isinstance(op, Op) and isinstance(op.out, Value):
            op.out.scalar = False
        elif isinstance(op, (IfOp, LoopOp)):
            for out in op.outs:
                out.scalar = False
            for region in op.regions:
                _clear(region)
