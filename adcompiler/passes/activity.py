"""Activity analysis: which values carry a derivative.

A value is *active* when it depends on a ``wrt`` parameter through
differentiable primitives (it is *varied*) and the output depends on it
through differentiable primitives (it is *useful*). Only active values get
adjoints. Results of non-differentiable primitives (shapes, comparisons,
``argmax``, ``floor``) are never varied.

Example: in ``y = x * n; return np.sum(y) + x.shape[0]`` with respect to
``x``, the active values are ``x``, ``y`` and the sum; ``x.shape`` and its
element are not.
"""

from __future__ import annotations

from typing import Iterable

from ..ir import Graph, Value, tree_values


def active_values(graph: Graph, wrt: Iterable[Value]) -> set[Value]:
    """The values that are both varied by ``wrt`` and useful to the output."""
    varied: set[Value] = set(wrt)
    ops = list(graph.walk())
    for op in ops:
        if op.prim.differentiable and any(v in varied for v in op.inputs()):
            varied.add(op.out)
    useful: set[Value] = set(tree_values(graph.outputs))
    for op in reversed(ops):
        if op.out in useful and op.prim.differentiable:
            useful.update(op.inputs())
    return varied & useful
