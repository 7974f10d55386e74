"""Unrolling a ``for`` over a local list or tuple whose items it changes
in place through its variable (``for a in lst: a += 1.0``).

Python binds the variable to each item itself, so such a write changes the
item's array, which every name and container holding it sees. Lowered as a
loop, the variable is one value for all the items, and the memory model
cannot say which array a write changed; unrolled, each pass binds it to the
item, and the write is followed exactly (:mod:`.memory`).
"""

from __future__ import annotations

import ast
from .expressions import Expressions
from .flow import ControlFlow
from .state import State
from .statements import Statements


class Unrolling:
    """Decides whether a ``for`` is unrolled, and lowers it so."""

    def __init__(
        self,
        state: State,
        flow: ControlFlow,
        expressions: Expressions,
        statements: Statements,
    ):
        self.state = state
        self.flow = flow
        self.expressions = expressions
        self.statements = statements

    def over_objects(self, node: ast.For) -> bool:
        """``for layer in self.layers``: unrolled over the objects (see
        :meth:`.objects.Objects.unrolled_loop`). Returns whether it was."""
        objects = self.expressions.user_calls.objects
        return objects.unrolled_loop(node, self.flow, self.statements)

    def unrolled(self, node: ast.For) -> bool:
        """``for a in items: a += v`` (or ``a[...] = v``) over a local list or
        tuple known when compiling: ``a`` is each item itself, so the write
        changes the item's array, seen by every name and container holding
        it (Python's semantics). The body is lowered once per item, with
        ``a`` bound to the item; loops that break, continue or return, or
        that have an ``else``, are lowered as loops. Returns whether it was
        unrolled."""
        target = node.target
        named = isinstance(node.iter, ast.Name)
        if not (
            isinstance(target, ast.Name)
            and not node.orelse
            and (
                named
                and isinstance(self.state.env.get(node.iter.id), (list, tuple))
                or isinstance(node.iter, (ast.List, ast.Tuple))
                and not any(isinstance(e, ast.Starred) for e in node.iter.elts)
            )
        ):
            return False
        if not _writes_through(node.body, target.id) or _jumps(node.body):
            return False
        display = None if named else self.expressions.operand(node.iter)
        count = len(self.state.env[node.iter.id] if named else display)
        for position in range(count + 1):
            # a named list as the last pass left it (a write rebuilds it;
            # one growing or shrinking would change the passes Python makes)
            items = self.state.env.get(node.iter.id) if named else display
            if not isinstance(items, (list, tuple)) or len(items) != count:
                raise self.state.parsed.unsupported(
                    f"`{node.iter.id}` changing its length in a for loop over it",
                    node,
                    "loop over a copy (`list(...)`) or by index",
                )
            if position < count:
                self.statements.assign(target, items[position])
                self.flow.block(node.body)
        return True


def _writes_through(body: list[ast.stmt], name: str) -> bool:
    """Whether ``body`` changes ``name``'s array in place: ``name op= v``,
    ``name[i] op= v`` or ``name[i] = v``."""

    def through(target: ast.expr) -> bool:
        return (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id == name
        )

    for stmt in body:
        for inner in ast.walk(stmt):
            if isinstance(inner, ast.AugAssign) and (
                isinstance(inner.target, ast.Name)
                and inner.target.id == name
                or through(inner.target)
            ):
                return True
            if isinstance(inner, ast.Assign) and any(map(through, inner.targets)):
                return True
    return False


def _jumps(body: list[ast.stmt]) -> bool:
    """Whether ``body`` may leave a pass early (``break``, ``continue``,
    ``return``)."""
    return any(
        isinstance(inner, (ast.Break, ast.Continue, ast.Return))
        for stmt in body
        for inner in ast.walk(stmt)
    )
