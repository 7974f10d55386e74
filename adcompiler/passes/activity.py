"""Activity analysis: which values carry a derivative.

A value is *active* when it depends on a ``wrt`` parameter through
differentiable primitives (it is *varied*) and the output depends on it
through differentiable primitives (it is *useful*). Only active values get
adjoints. Results of non-differentiable primitives (shapes, comparisons,
``argmax``, ``floor``) are never varied. Through control flow, an ``if``
output is varied when a branch yields a varied value, and a loop-carried
variable when its initial value or any iteration's new value is; both
analyses iterate to a fixed point, so dependence carried around a loop is
found however many iterations it takes to appear.

Example: in ``y = x * n; return np.sum(y) + x.shape[0]`` with respect to
``x``, the active values are ``x``, ``y`` and the sum; ``x.shape`` and its
element are not.
"""

from __future__ import annotations

from typing import Iterable

from ..ir import CallOp, Graph, IfOp, LoopOp, Op, Value, tree_values


def _varied_step(ops: list, varied: set[Value]) -> bool:
    changed = False

    def mark(value: Value) -> None:
        nonlocal changed
        if value not in varied:
            varied.add(value)
            changed = True

    for op in ops:
        if isinstance(op, Op):
            if op.prim.differentiable and any(v in varied for v in op.inputs()):
                mark(op.out)
        elif isinstance(op, IfOp):
            for k, out in enumerate(op.outs):
                yields = (op.then.yields[k], op.orelse.yields[k])
                if any(v in varied for v in tree_values(yields)):
                    mark(out)
        elif isinstance(op, LoopOp):
            for k, carried in enumerate(op.carried):
                sources = (op.inits[k], op.body.yields[k])
                if any(v in varied for v in tree_values(sources)):
                    mark(carried)
                    mark(op.outs[k])
        elif isinstance(op, CallOp):
            if any(v in varied for v in op.inputs()):
                for out in op.outs:
                    mark(out)
    return changed


def _useful_step(ops: list, useful: set[Value]) -> bool:
    changed = False

    def mark(values: Iterable[Value]) -> None:
        nonlocal changed
        for value in values:
            if value not in useful:
                useful.add(value)
                changed = True

    for op in reversed(ops):
        if isinstance(op, Op):
            if op.out in useful and op.prim.differentiable:
                mark(op.inputs())
        elif isinstance(op, IfOp):
            for k, out in enumerate(op.outs):
                if out in useful:
                    mark(tree_values((op.then.yields[k], op.orelse.yields[k])))
        elif isinstance(op, LoopOp):
            for k, carried in enumerate(op.carried):
                if op.outs[k] in useful or carried in useful:
                    mark([carried])
                    mark(tree_values((op.inits[k], op.body.yields[k])))
        elif isinstance(op, CallOp):
            if any(out in useful for out in op.outs):
                mark(op.inputs())
    return changed


def varied_values(graph: Graph, wrt: Iterable[Value]) -> set[Value]:
    """The values that depend on ``wrt`` through differentiable primitives."""
    ops = list(graph.walk())
    varied: set[Value] = set(wrt)
    while _varied_step(ops, varied):
        pass
    return varied


def active_values(graph: Graph, wrt: Iterable[Value]) -> set[Value]:
    """The values that are both varied by ``wrt`` and useful to the output."""
    ops = list(graph.walk())
    varied: set[Value] = set(wrt)
    while _varied_step(ops, varied):
        pass
    useful: set[Value] = set(tree_values(graph.outputs))
    while _useful_step(ops, useful):
        pass
    return varied & useful
