"""Python names: a loop's carried variable takes its initial value's name.

When a loop's initial value is a temporary that nothing but the loop reads,
the carried variable can live in the same Python name, and the copy before
the loop disappears.

Example: ``H = np.zeros((T, n)); for t ...: H[t] = h`` generates
``H = np.zeros(...)`` and the loop writes ``H[t] = h``, with no ``H_2 = H``.
"""

from __future__ import annotations

from collections import Counter

from ..ir import Graph, LoopOp, Value, used_list


def share_loop_names(graph: Graph) -> None:
    """Let carried variables reuse the names of initial values read only by their loop.

    Uses are counted per Python name: an initial value that shares its name
    with another value (an ``if``'s result and the value its branch computed
    for it) keeps it when that other value is read too, or the loop would
    overwrite what the backward sweep reads."""
    used = used_list(graph)
    uses = Counter(graph.storage(v) for v in used)
    for op in graph.walk():
        if not isinstance(op, LoopOp):
            continue
        for init, carried in zip(op.inits, op.carried):
            if (
                isinstance(init, Value)
                and init.kind == "op"  # not a parameter's or a global's name
                and uses[graph.storage(init)] == 1
                and carried not in graph.reuses
            ):
                graph.reuses[carried] = init
                # the names merged: count their reads together from now on
                uses = Counter(graph.storage(v) for v in used)
