"""Dead code elimination.

Removes every op whose result neither reaches the graph's outputs nor is
read by a kept op. Primitives are pure, so this never changes a result.

Example: ``t = np.exp(x); u = np.sin(x); return t`` keeps only ``t``.
"""

from __future__ import annotations

from ..ir import Block, Graph, Value, tree_values


def eliminate_dead_code(graph: Graph) -> None:
    """Drop ops whose results are not needed, in place."""
    live: set[Value] = set(tree_values(graph.outputs))
    _sweep(graph.body, live)
    used = {v for op in graph.walk() for v in op.inputs()} | live
    graph.free = [v for v in graph.free if v in used]


def _sweep(block: Block, live: set[Value]) -> None:
    kept = []
    for op in reversed(block.ops):
        if op.out in live or op.regions:
            live.update(op.inputs())
            for region in op.regions:
                _sweep(region, live)
            kept.append(op)
    block.ops = kept[::-1]
