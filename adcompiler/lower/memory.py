"""The memory model: which values may share storage, and what a write changes.

Arrays in Python may share memory (views, in-place changes, a value that
is one of two branches' or a loop's), and a write through one name changes
what the others read. Generated code rebinds names instead, so the
lowering must know, for a value being written, every value whose memory
it may be. :class:`MemoryModel` answers that from the graph (the ops that
return their first argument's memory, declared by the primitives), the
merges of control flow (``State.origins``) and what calls of user
functions may return (``State.call_views``, from :func:`call_result_views`); and it
marks the names a write made stale (``State.stale``), so that reading one
is an error rather than a silent difference from Python.
"""

from __future__ import annotations

import ast
from typing import Any, Iterator

from ..callables import Lowered
from ..ir import Value, tree_values
from ..primitives.record import shares_first_argument
from .. import runtime
from .state import State


class MemoryModel:
    """Questions about shared memory, and the bookkeeping of writes.

    Guarantees: :meth:`is_fresh` is true only of arrays the function made
    and nobody else sees; :meth:`memory_sources` over-approximates (it may
    name a value that does not share memory, never miss one that does,
    and says when memory not known here may be involved).
    """

    def __init__(self, state: State):
        self.state = state

    def _memory_walk(
        self, value: Value, into_lists: bool = True
    ) -> Iterator[tuple[Value, bool]]:
        """``value`` and the values whose memory it may share, through views
        (operations returning their first argument's memory), in-place
        changes, both branches of an ``if`` and loop-carried variables, each
        once, with whether its memory is just that of others (``origins``).
        Without ``into_lists``, an item of a list is not followed to the list."""
        seen: set[Value] = set()
        pending = [value]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self.state.origins:
                yield current, True
                pending.extend(
                    v for v in self.state.origins[current] if isinstance(v, Value)
                )
                continue
            yield current, False
            # a call's result may be (a view of) some of its arguments
            pending.extend(self.state.call_views.get(current, ()))
            op = current.op
            if op is not None and shares_first_argument(op.prim.fn) and op.args:
                if isinstance(op.args[0], Value) and (
                    into_lists or op.prim.fn is not runtime.list_item
                ):
                    pending.append(op.args[0])

    def is_fresh(self, value: Value) -> bool:
        """Whether ``value`` is an array this call made and no caller sees."""
        for current, merged in self._memory_walk(value):
            op = current.op
            if merged:
                continue
            if op is None:
                return False  # a parameter or a global
            if shares_first_argument(op.prim.fn):
                if not (op.args and isinstance(op.args[0], Value)):
                    return False
        return True

    def may_be_argument(self, value: Value) -> bool:
        """Whether ``value`` may be (a view of) one of the function's arguments."""
        return any(v.kind == "param" for v, _ in self._memory_walk(value))

    def memory_sources(self, value: Value) -> tuple[set[Value], bool]:
        """The values whose memory ``value`` may be (see :meth:`_memory_walk`),
        and whether it may also be memory not known here (a call's result,
        an item of a list built at run time)."""
        sources: set[Value] = set()
        unknown = False
        for current, merged in self._memory_walk(value, into_lists=False):
            sources.add(current)
            op = current.op
            if merged:
                continue
            if op is None:
                unknown |= current.kind == "op"
            elif op.prim.fn is runtime.list_item:
                unknown = True
        return sources, unknown

    def check_no_alias(
        self,
        name: str,
        value: Any,
        node: ast.AST,
        change: str,
        fix: str,
        items_unchanged: bool = False,
    ) -> None:
        """Track names that ``name op= ...`` may have changed in place.

        Generated code rebinds ``name`` to a new value. That is what Python
        does for numbers, but for arrays ``+=`` writes into memory that
        other names (aliases, views) may share. Reading such a name later
        would see a different value in Python than in generated code, so
        it is an error (raised by :meth:`Names.name`), never a silent difference.
        """
        if not isinstance(value, Value):
            return
        # every memory the changed value may be: through views, in-place
        # changes, both branches of an if (w = x if c else v), loop-carried
        # variables
        changed, _ = self.memory_sources(value)
        for other, bound in self.state.env.items():
            if other != name and any(
                not changed.isdisjoint(self.memory_sources(leaf)[0])
                # growing or shrinking a list leaves its items as they were
                and not (items_unchanged and leaf.container is not True)
                for leaf in tree_values(bound)
            ):
                self.state.stale[other] = (
                    name,
                    change,
                    self.state.parsed.loc(node),
                    fix,
                )

    def changed_static(
        self, name: str, container: Any, node: ast.AST, what: str | None = None
    ) -> None:
        """Other names bound to the same local list or dict now see stale
        contents (``what`` changed them: ``the change of `name``` by default)."""
        for other, bound in self.state.env.items():
            if other != name and bound is container:
                self.state.stale[other] = (
                    name,
                    what or f"the change of `{name}`",
                    self.state.parsed.loc(node),
                    f"copy it first: `{name} = {type(container).__name__}({other})`",
                )

    def refuse_changing_arguments(self, name: str, value: Value, node: ast.AST) -> None:
        """A called function may not change its caller's arrays or lists.

        The function being differentiated changes a copy of its own
        arguments instead (its caller never sees a change); a function it
        calls would have to change the caller's object, which adcompiler
        does not follow, so that is refused.
        """
        if self.state.callee and self.may_be_argument(value):
            raise self.state.parsed.unsupported(
                f"changing `{name}`, an argument, in a function called from "
                "differentiated code (the caller would see the change)",
                node,
                f"copy it first (`{name} = {name}.copy()`) and return the result",
            )


def call_result_views(
    callee: Lowered | None, inner: Any, arguments: list[list]
) -> list:
    """The argument values a call's result may share memory with: those
    passed for the parameters the callee's result ``inner`` may be a view
    of, or every argument when the callee cannot tell (a recursive call,
    not lowered yet, or a result from a call it cannot follow or a list
    built at run time)."""
    sources, unknown = (set(), True) if callee is None else callee.memory_sources(inner)
    if unknown:
        return [value for leaves in arguments for value in leaves]
    return [
        value
        for param, leaves in zip(callee.graph.params, arguments)
        if param in sources
        for value in leaves
    ]
