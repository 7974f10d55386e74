"""The cut between an adjoint graph's forward and backward sweeps.

The reverse pass appends the backward sweep after the forward one, and the
passes before the cut is marked insert and remove ops on both sides. This
pass records where the backward sweep starts, by the ops the reverse pass
made for it: later passes that move ops across the cut
(:mod:`.shapes`, :mod:`.cse`) keep it up to date, code generation comments
it and the split halves are cut there (:mod:`.tape`).
"""

from __future__ import annotations

from ..ir import AdjointGraph


def mark_cut(graph: AdjointGraph, backward: set[int]) -> None:
    """Set ``graph.forward_count`` to the index of the first top-level op
    whose id is in ``backward`` (the ops of the backward sweep), or to the
    number of ops when there is none, and ``graph.backward_start`` to that
    op when there is one."""
    ops = graph.body.ops
    graph.forward_count = next(
        (i for i, op in enumerate(ops) if id(op) in backward), len(ops)
    )
    if graph.forward_count < len(ops):
        graph.backward_start = ops[graph.forward_count]
