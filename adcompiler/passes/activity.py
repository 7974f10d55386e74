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

from ..ir import Graph, Value, carries_derivative, tree_values


def _varied_step(ops: list, varied: set[Value]) -> bool:
    changed = False
    for op in ops:
        if not carries_derivative(op):
            continue
        for defined, sources in op.flows():
            if any(v in varied for v in sources):
                for value in defined:
                    if value not in varied:
                        varied.add(value)
                        changed = True
    return changed


def _useful_step(ops: list, useful: set[Value]) -> bool:
    changed = False
    for op in reversed(ops):
        if not carries_derivative(op):
            continue
        for defined, sources in op.flows():
            if any(v in useful for v in defined):
                for value in defined + sources:
                    if value not in useful:
                        useful.add(value)
                        changed = True
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
