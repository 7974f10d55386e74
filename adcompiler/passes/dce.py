"""Dead code elimination.

Removes every primitive op, at any depth, whose result nothing reads: not
the graph's outputs, not another op, not a region's yields, a loop's exit
flag or the values a loop saves for the backward sweep. Primitives are
pure, so this never changes a result; those with an effect (a write in
place, a random draw, a print) are kept whatever reads them. Structured
ops (``if``, loops) stay.

Example: ``t = np.exp(x); u = np.sin(x); return t`` keeps only ``t``.
"""

from __future__ import annotations

from ..ir import Block, Graph, Op, Value, blocks, used_list


def used_values(graph: Graph) -> set[Value]:
    """Every value read anywhere in the graph, outputs included."""
    return set(used_list(graph))


def eliminate_dead_code(graph: Graph) -> None:
    """Drop ops whose results are not needed, in place, until none is left."""
    while True:
        used = used_values(graph)
        if not _sweep(graph.body, used):
            break
    used = used_values(graph)
    graph.free = [v for v in graph.free if v in used]


def _sweep(top: Block, used: set[Value]) -> bool:
    removed = False
    for block in blocks(top):
        kept = [
            op
            for op in block.ops
            if not (
                isinstance(op, Op)
                and op.out not in used
                and not op.prim.effect
                and not op.prim.impure
            )
        ]
        removed |= len(kept) < len(block.ops)
        block.ops = kept
    return removed
