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
    Block,
    Graph,
    IfOp,
    LoopOp,
    ReverseLoopOp,
    Value,
    defined_in,
    free_inputs,
)


def assign_tapes(graph: Graph) -> None:
    """Set ``saved`` and ``tape`` (or ``counter``) of every differentiated loop."""
    backward_loops = [op for op in graph.walk() if isinstance(op, ReverseLoopOp)]
    for backward in reversed(backward_loops):  # inner loops first
        forward = backward.forward
        local = defined_in(forward.body) | set(forward.carried)
        if forward.target is not None:
            local.add(forward.target)
        # values sharing a name (one array changed in place) are one object:
        # code generation saves each name once
        forward.saved = [v for v in free_inputs(backward) if v in local]
        if forward.saved:
            forward.tape = graph.new_value("tape")
            for value in forward.saved:
                export(forward.body, value)
        else:
            forward.counter = graph.new_value("iterations")


def export(block: Block, value: Value) -> bool:
    """Mark ``value`` exported by every ``if`` between ``block`` and its definition."""
    for op in block.ops:
        if (
            value in op.outs
            or getattr(op, "saved", None) is value  # a call's saved values
            or getattr(op, "tape", None) is value  # a nested loop's tape
            or getattr(op, "counter", None) is value
        ):
            return True
        if isinstance(op, IfOp):
            for region in op.regions:
                if export(region, value):
                    if value not in op.exports:
                        op.exports.append(value)
                    return True
        elif isinstance(op, LoopOp) and value in defined_in(op.body):
            raise AssertionError(f"a loop's backward read {value!r} of a nested loop")
    return False
