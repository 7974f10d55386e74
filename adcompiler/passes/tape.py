"""Loop tapes: what each forward loop saves for its backward loop.

For every loop that has a backward loop, the values defined in an
iteration (the carried variables at the iteration's start, the loop
target, the body's results) that the backward body reads are saved once
per iteration, as one tuple appended to a list (the *tape*); the backward
loop unpacks them, latest first. Values defined outside the loop are read
directly and never saved. A loop with nothing to save counts its
iterations instead. A saved value defined inside an ``if`` of the body is
*exported* by that ``if``: the other branch sets it to None, so the tuple
can always be built.

Example: ``for t in range(T): h = np.tanh(h @ W)`` saves the carried ``h``
(read by the backward of ``@``) and the new ``h`` (read by the backward of
``tanh``); ``W`` is read directly.
"""

from __future__ import annotations

from ..ir import (
    AdjointGraph,
    AdjointState,
    Block,
    IfOp,
    LoopOp,
    ReverseLoopOp,
    Value,
    defined_in,
    free_inputs,
    free_reads,
    tree_values,
)


def assign_tapes(graph: AdjointGraph) -> None:
    """Fill the :class:`LoopTape` of every differentiated loop (its
    ``saved``, ``covered``, ``read_outs`` and ``tape`` or ``counter``),
    which the adjoint program keeps beside the loop, and the exports of the
    ``if`` ops that define a saved value; no op changes."""
    ad = graph.ad
    backward_loops = [op for op in graph.walk() if isinstance(op, ReverseLoopOp)]
    for backward in reversed(backward_loops):  # inner loops first
        forward = backward.forward
        record = backward.record
        local = defined_in(forward.body, ad) | set(forward.carried)
        if forward.target is not None:
            local.add(forward.target)
        # A variable the loop changes in place (a list it appends to, an
        # array it writes into) is one object under one name: the backward
        # loop reads it under that name, put back step by step by the
        # restores, so it is not saved (saved references would all point at
        # the same object, whose later contents differ from the saved time).
        in_place = {
            graph.display_name(carried)
            for carried, new in zip(forward.carried, forward.body.yields)
            if isinstance(new, Value)
            and graph.display_name(new) == graph.display_name(carried)
        }
        # values sharing a name (one array changed in place) are one object:
        # code generation saves each name once
        level = level_values(forward.body, ad) | set(forward.carried)
        if forward.target is not None:
            level.add(forward.target)
        by_name = {graph.display_name(v): v for v in level}
        saved = []
        covered = []
        for v in free_inputs(backward, ad):
            if v not in local:
                continue
            if graph.display_name(v) in in_place:
                covered.append(v)
                continue
            if v not in level:
                # a value of a nested loop changed in place: saved under its
                # name, through the value that holds it at this level
                covered.append(v)
                v = by_name[graph.display_name(v)]
            saved.append(v)
        record.saved = saved
        # read by name, not saved: what the enclosing code sees the backward
        # loop read is the loop's result under that name
        record.covered = covered
        record.read_outs = [
            out
            for carried, out in zip(forward.carried, forward.outs)
            if graph.display_name(carried) in in_place
        ]
        if record.saved:
            record.tape = graph.new_value("tape")
            for value in record.saved:
                export(forward.body, value, ad)
        else:
            record.counter = graph.new_value("iterations")


def level_values(block: Block, ad: AdjointState | None = None) -> set[Value]:
    """Values a loop body defines outside its nested loops' bodies (with
    the tapes, counters and call residuals ``ad`` has its ops define)."""
    values: set[Value] = set()
    for op in block.ops:
        values.update(op.outs)
        if ad is not None:
            values.update(ad.defs(op))
        if isinstance(op, IfOp):
            for region in op.regions:
                values |= level_values(region, ad)
    return values


def export(block: Block, value: Value, ad: AdjointState) -> bool:
    """Mark ``value`` exported (``ad.exports``) by every ``if`` between
    ``block`` and its definition."""
    for op in block.ops:
        if value in op.outs or value in ad.defs(op):
            return True
        if isinstance(op, IfOp):
            for region in op.regions:
                if export(region, value, ad):
                    exports = ad.exports.setdefault(op, [])
                    if value not in exports:
                        exports.append(value)
                    return True
        elif isinstance(op, LoopOp) and value in defined_in(op.body, ad):
            raise AssertionError(
                f"a loop's backward read {value!r} ({value.op.prim.name if value.op else None}) of a nested loop"
            )
    return False


def choose_residuals(graph: AdjointGraph) -> None:
    """Set ``graph.residuals``: what the forward half of a split saves for
    its backward half, each value once by name, in the order the backward
    first reads them (then the gradients it returns), and export each
    through the ``if`` ops that define it so that it exists whichever
    branch ran. A value of a loop that changed it in place is saved under
    its name, through the value holding it at the function's level."""
    forward_ops = Block(graph.body.ops[: graph.forward_count])
    backward_ops = graph.body.ops[graph.forward_count :]
    _, gradients = graph.outputs
    forward_defined = set(graph.params) | defined_in(forward_ops, graph.ad)
    saved_by_name: dict[str, Value] = {}
    for value in free_reads(backward_ops, graph.ad) + list(tree_values(gradients)):
        if value in forward_defined:
            saved_by_name.setdefault(graph.display_name(value), value)
    level = {graph.display_name(v): v for v in level_values(forward_ops, graph.ad)}
    level.update({graph.display_name(p): p for p in graph.params})
    graph.residuals = [level.get(name, v) for name, v in saved_by_name.items()]
    for value in graph.residuals:
        export(forward_ops, value, graph.ad)
