"""Scalar arithmetic that does not change inside a loop, computed once before it.

A loop body that reads a step size from a module constant or a default,
``x = x + 0.5 * dt * k1``, computes ``0.5 * dt`` at every iteration, and
reverse mode tapes it at every iteration for the backward loop. When every
operand of such an op is defined outside the loop (a parameter that is not
carried, a global, a constant, or an op already hoisted) its result is the
same at every iteration: the op moves before the loop, where it runs once
and the backward loop reads it by name.

Only arithmetic on values known to be scalars (:mod:`.scalars`) moves, and
only what cannot raise or change anything: ``+``, ``-``, ``*``, negation,
division by a nonzero number written in the code, a power with a
non-negative integer exponent written in the code. So a loop that runs no
iteration computes one number nobody reads, and nothing else changes. Ops in
a ``while`` loop's condition and inside branches stay where they are.
"""

from __future__ import annotations

import operator
from typing import Any

from ..ir import Block, Graph, IfOp, LoopOp, Op, Value, defined_in
from .cse import substitute

_ALWAYS_DEFINED = {operator.add, operator.sub, operator.mul, operator.neg}


def _moves(op: Any, inside: set[Value]) -> bool:
    """Whether ``op`` is scalar arithmetic, safe to run before the loop,
    none of whose operands is defined in the loop (``inside``)."""
    if not isinstance(op, Op) or op.kwargs or not isinstance(op.out, Value):
        return False
    if not op.out.scalar:
        return False
    fn = op.prim.fn
    if fn is operator.truediv and len(op.args) == 2:
        divisor = op.args[1]
        if isinstance(divisor, Value) or type(divisor) not in (int, float):
            return False
        if divisor == 0:
            return False
    elif fn is operator.pow and len(op.args) == 2:
        exponent = op.args[1]
        if type(exponent) is not int or exponent < 0:
            return False
    elif fn not in _ALWAYS_DEFINED:
        return False
    for arg in op.args:
        if isinstance(arg, Value):
            if arg in inside or not arg.scalar:
                return False
        elif type(arg) not in (int, float, bool):
            return False
    return True


def _loop(loop: LoopOp) -> list[Op]:
    """Take the invariant scalar ops out of ``loop``'s body; return them in
    their order."""
    inside = defined_in(loop.body) | set(loop.carried)
    if loop.target is not None:
        inside.add(loop.target)
    if loop.cond is not None:
        inside |= defined_in(loop.cond)
    hoisted: list[Op] = []
    kept: list[Any] = []
    for op in loop.body.ops:
        if _moves(op, inside):
            hoisted.append(op)
            inside.discard(op.out)
        else:
            kept.append(op)
    loop.body.ops = kept
    return hoisted


def _operand_key(arg: Any) -> Any:
    """What an operand stands for: a global or closure read by its name and
    object (each read is a value of its own), a number by type and value."""
    if isinstance(arg, Value):
        return ("free", arg.name, id(arg.obj)) if arg.kind == "free" else arg
    return (type(arg), arg)


def _block(block: Block, replaced: dict[Value, Value]) -> None:
    ops: list[Any] = []
    for op in block.ops:
        if isinstance(op, LoopOp):
            _block(op.body, replaced)  # inner loops first: theirs may move on
            seen: dict[tuple, Value] = {}
            for moved in _loop(op):
                args = tuple(replaced.get(a, a) for a in moved.args)
                key = (moved.prim.fn, tuple(_operand_key(a) for a in args))
                if key in seen:  # `0.5 * dt` written in several places
                    replaced[moved.out] = seen[key]
                    continue
                seen[key] = moved.out
                ops.append(moved)
        elif isinstance(op, IfOp):
            _block(op.then, replaced)
            _block(op.orelse, replaced)
        ops.append(op)
    block.ops = ops


def hoist_invariant_scalars(graph: Graph) -> None:
    """Move loop-invariant scalar arithmetic before its loop, once for
    repeats of the same operation (see the module docstring); values are
    unchanged."""
    replaced: dict[Value, Value] = {}
    _block(graph.body, replaced)
    if replaced:
        substitute(graph, replaced)
