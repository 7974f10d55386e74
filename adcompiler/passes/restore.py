"""Undoing in-place changes in the backward sweep, where it is needed.

Generated code changes arrays in place (``y[i] = v``) and grows lists
(``hs.append(h)``) like the user's code does. The backward of such a change
restores what it overwrote (``restore_items``), so the backward of earlier
statements and of earlier loop iterations reads the array as it was when
they ran. A restore costs a copy of the overwritten items in the forward
sweep, so this pass keeps only the restores that some backward read needs:
one of an older version of the same memory. Inside a loop every version is
older than the next iteration's, so there the restore stays whenever the
backward reads the array at all.

Example: ``H = np.zeros((T, n)); for t ...: H[t] = h`` followed by
``np.sum(H ** 2)``: the backward reads only the final ``H``, and nothing is
saved or restored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..primitives.record import category, lookup, shares_first_argument
from ..ir import (
    Block,
    Graph,
    IfOp,
    LoopOp,
    Op,
    ReverseLoopOp,
    Value,
    blocks,
    defined_in,
    tree_map,
    tree_values,
    walk,
)


def _shares_first_argument(op: Op) -> bool:
    return shares_first_argument(op.prim.fn) or op.prim.render[0] in (
        "setitem",
        "inplace_method",
    )


class _Classes:
    """Union-find of values that may share memory."""

    def __init__(self) -> None:
        self.parent: dict[Value, Value] = {}

    def find(self, value: Value) -> Value:
        root = value
        while self.parent.get(root, root) is not root:
            root = self.parent[root]
        self.parent[value] = root
        return root

    def union(self, a: Any, b: Any) -> None:
        if isinstance(a, Value) and isinstance(b, Value):
            self.parent[self.find(a)] = self.find(b)


def _memory_classes(graph: Graph) -> _Classes:
    classes = _Classes()
    for op in graph.walk():
        if isinstance(op, Op) and op.args and _shares_first_argument(op):
            classes.union(op.args[0], op.out)
        elif isinstance(op, LoopOp):
            for k, carried in enumerate(op.carried):
                classes.union(op.inits[k], carried)
                classes.union(op.body.yields[k], carried)
                classes.union(op.outs[k], carried)
        elif isinstance(op, IfOp):
            for k, out in enumerate(op.outs):
                classes.union(op.then.yields[k], out)
                classes.union(op.orelse.yields[k], out)
    return classes


def _backward_reads(graph: Graph, backward: set[int]) -> set[Value]:
    reads: set[Value] = set(tree_values(graph.outputs))
    for op in graph.body.ops:
        if id(op) in backward:
            _reads(op, reads)
    # what a call's forward half saved may be its arguments themselves (or
    # views of them): its backward half reads them, as they were at the call
    calls = {split.saved: op for op, split in graph.ad.calls.items()}
    for saved in [v for v in reads if v in calls]:
        reads.update(tree_values(calls[saved].args))
    return reads


#: Functions that read only an array's shape, dtype or length, which an
#: in-place change of its items does not alter.
_METADATA = category("metadata")


def _reads(top: Any, reads: set[Value]) -> None:
    """Add the values ``top`` and the ops of its regions read for their
    contents (not restores, not shape or length queries)."""
    for op in walk(Block([top])):
        if isinstance(op, Op) and (
            op.prim.fn is runtime.restore_items or op.prim.fn in _METADATA
        ):
            continue
        reads.update(op.inputs())
        if isinstance(op, ReverseLoopOp):
            reads.update(op.record.saved)
        for region in op.regions:
            reads.update(tree_values(region.yields))


def _newer(graph: Graph, start: Value) -> set[Value]:
    """Values that are ``start`` or come from it later, outside any loop."""
    newer = {start}
    changed = True
    ops = list(graph.walk())
    while changed:
        changed = False
        for op in ops:
            found: list[Value] = []
            if isinstance(op, Op) and op.args and _shares_first_argument(op):
                if op.args[0] in newer:
                    found.append(op.out)
            elif isinstance(op, (IfOp, LoopOp)):
                blocks = op.regions if isinstance(op, IfOp) else (op.body,)
                for block in blocks:
                    for k, y in enumerate(block.yields):
                        if isinstance(y, Value) and y in newer:
                            found.append(op.outs[k])
            for value in found:
                if value not in newer:
                    newer.add(value)
                    changed = True
    return newer


def _enclosing_loops(block: Block, target: Op, path: list) -> list | None:
    for op in block.ops:
        if op is target:
            return path
        for region in op.regions:
            inner = path + [op] if isinstance(op, LoopOp) else path
            found = _enclosing_loops(region, target, inner)
            if found is not None:
                return found
    return None


def prune_restores(
    graph: Graph, restores: list[tuple[Op, Op, Op]], backward: set[int]
) -> None:
    """Drop the restores no backward read needs; refuse changes that cannot be undone.

    ``restores`` holds ``(change, save, restore)`` ops the reverse pass made;
    ``backward`` the ids of the top-level ops of the backward sweep.
    """
    classes = _memory_classes(graph)
    reads = _backward_reads(graph, backward)
    restored = {change for change, _, _ in restores}
    keep: set[Op] = set()
    changes = [
        op
        for op in graph.walk()
        if isinstance(op, Op) and op.prim.fn is runtime.set_item
    ]
    for change in changes:
        loops = _enclosing_loops(graph.body, change, [])
        newer = _newer(graph, change.out)
        if loops:
            inside = defined_in(loops[0].body) | set(loops[0].carried)
            newer = {v for v in newer if v not in inside}
        root = classes.find(change.out)
        needed = any(
            classes.find(v) is root and v not in newer
            for v in reads
            if v.kind != "free"
        )
        if not needed:
            continue
        if change not in restored:
            raise UnsupportedSyntaxError(
                "an array changed in place by a loop the gradient does not go "
                "through, while the gradient needs it as it was before",
                change.loc,
                "copy the array before changing it (y = y.copy())",
            )
        keep.add(change)
    dropped = {
        id(op)
        for change, save, restore in restores
        if change not in keep
        for op in (save, restore)
    }
    _remove(graph.body, dropped)


def _remove(top: Block, dropped: set[int]) -> None:
    for block in blocks(top):
        block.ops = [op for op in block.ops if id(op) not in dropped]


def keep_returned_values(graph: Graph) -> None:
    """Return a copy, made at the end of the forward sweep, of each array of
    the function's value (its output, its ``has_aux`` values) whose memory
    the backward sweep restores in place: the backward would otherwise
    change an array the caller holds, after ``grad`` returned it or while
    ``vjp``'s pullback runs. Needs the cut (``graph.forward_count``)."""
    classes = _memory_classes(graph)
    restored = {
        classes.find(op.args[0])
        for op in graph.walk()
        if isinstance(op, Op)
        and op.prim.fn is runtime.restore_items
        and isinstance(op.args[0], Value)
    }
    if not restored:
        return
    value, gradients = graph.outputs
    copy = lookup(np.copy)

    def keep(leaf: Any) -> Any:
        if not (
            isinstance(leaf, Value)
            and leaf.container is False
            and classes.find(leaf) in restored
        ):
            return leaf
        kept = graph.new_value("value")
        op = Op(copy, (leaf,), {}, kept, None)
        kept.op = op
        graph.body.ops.insert(graph.forward_count, op)
        graph.forward_count += 1
        return kept

    graph.outputs = (tree_map(keep, value), gradients)
