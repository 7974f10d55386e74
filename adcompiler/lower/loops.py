"""Loops: ``for`` and ``while`` as :class:`LoopOp`.

Guarantees: every local a loop's body may change and that is read during
or after the loop is a carried variable of the op (one per leaf of its
tree; its structure may not change from one iteration to the next); a
``break`` or a ``return`` in the body sets a flag the loop exits on after
the iteration; ``for`` over ``range`` iterates it directly, over any other
sequence by index, each item an indexing op with a derivative; a loop's
``else`` runs unless the loop broke.

Example: ``for i in range(n): s = s + x[i]`` becomes a :class:`LoopOp` over
``range(n)`` carrying ``s``, whose body computes ``x[i]`` and the sum and
yields the new ``s``.
"""

from __future__ import annotations

import ast
import builtins
import operator
from typing import Any, Callable, Iterator

from ..ir import Block, LoopOp, Value, tree_values
from .expressions import Expressions
from .flow import ControlFlow, variable_hint, mutated_names, walk_local
from .memory import (
    appended_then_written,
    names_written_through,
    plan_relinks,
    relink,
    unchanged_in_body,
    view_roots,
)
from .names import Names
from .ops import Ops
from .state import BROKE, CONTINUED, MISSING, RETURNED, RETVAL, State
from .statements import Statements


class Loops:
    """Lowers ``for`` and ``while`` loops (see the module's docstring).

    Blocks, branches (a loop's ``else``) and the lists a body grows are
    the control flow's (:class:`ControlFlow`), which it is given.
    """

    def __init__(
        self,
        state: State,
        flow: ControlFlow,
        expressions: Expressions,
        statements: Statements,
        names: Names,
        ops: Ops,
    ):
        self.state = state
        self.flow = flow
        self.expressions = expressions
        self.statements = statements
        self.names = names
        self.ops = ops

    def stmt_For(self, node: ast.For) -> None:
        """A ``for`` loop (see :meth:`iteration` and :meth:`loop`)."""
        iterable, bind = self.iteration(node.iter, node.target)
        self.loop(node, "for", iterable, bind, None)

    def stmt_While(self, node: ast.While) -> None:
        """A ``while`` loop (see :meth:`loop`)."""
        self.loop(node, "while", None, None, node.test)

    def iteration(self, iter_node: ast.expr, target: ast.expr) -> tuple[Any, Callable]:
        """What a ``for`` iterates over, and how to bind its target each time.

        ``range`` (and ``reversed(range)``) is iterated directly; any other
        sequence (arrays, lists, ``enumerate``, ``zip``, ``reversed``) by
        index, so each item is an indexing op with a derivative.
        """
        call = iter_node if isinstance(iter_node, ast.Call) else None
        callee = self._callee(call)
        if callee is builtins.range:
            return self._direct(iter_node, target)
        if callee is builtins.reversed and len(call.args) == 1:
            inner = call.args[0]
            if (
                self._callee(inner if isinstance(inner, ast.Call) else None)
                is builtins.range
            ):
                return self._direct(iter_node, target)
            length, item = self.indexed(self.reversible(call))
            indices = self.ops.call_prim(
                builtins.range, (length,), {}, "indices", False
            )
            iterable = self.ops.call_prim(
                builtins.reversed, (indices,), {}, "indices", False
            )
            return iterable, lambda index: self.statements.assign(target, item(index))
        length, item = self.indexed(iter_node)
        iterable = self.ops.call_prim(builtins.range, (length,), {}, "indices", False)
        return iterable, lambda index: self.statements.assign(target, item(index))

    def indexed(self, node: ast.expr) -> tuple[Any, Callable[[Value], Any]]:
        """What a ``for`` iterates over as a length and the item at an index.

        ``enumerate`` (with a ``start``), ``zip`` and ``reversed`` nest in any
        order over sequences (arrays, lists, ranges): the item of each is
        made of the items of what it wraps, so each array item is still an
        indexing op with a derivative.
        """
        call = node if isinstance(node, ast.Call) else None
        callee = self._callee(call)
        if callee is builtins.enumerate and call.args and len(call.args) <= 2:
            start = call.args[1] if len(call.args) == 2 else None
            for keyword in call.keywords:
                if keyword.arg != "start" or start is not None:
                    raise self.state.parsed.unsupported(
                        "this call of enumerate", call, "write enumerate(seq, start)"
                    )
                start = keyword.value
            offset = 0 if start is None else self.expressions.operand(start)
            length, inner = self.indexed(call.args[0])

            def enumerated(index: Value) -> tuple:
                count = index
                if not (isinstance(offset, int) and offset == 0):
                    count = self.ops.call_prim(
                        operator.add, (index, offset), {}, "count", False
                    )
                return (count, inner(index))

            return length, enumerated
        if callee is builtins.zip and call.args and not call.keywords:
            parts = [self.indexed(arg) for arg in call.args]
            length = parts[0][0]
            if len(parts) > 1:
                length = self.ops.call_prim(
                    builtins.min, tuple(part[0] for part in parts), {}, "length", False
                )
            return length, lambda index: tuple(item(index) for _, item in parts)
        if callee is builtins.reversed and len(call.args) == 1 and not call.keywords:
            length, inner = self.indexed(self.reversible(call))

            def backwards(index: Value) -> Any:
                last = self.ops.call_prim(operator.sub, (length, 1), {}, "last", False)
                position = self.ops.call_prim(
                    operator.sub, (last, index), {}, "position", False
                )
                return inner(position)

            return length, backwards
        sequence = self.sequence(node)
        length = self.ops.call_prim(builtins.len, (sequence,), {}, "length", False)
        return length, lambda index: self.expressions.item(sequence, index)

    def reversible(self, call: ast.Call) -> ast.expr:
        """The argument of ``reversed(arg)``, refused where Python refuses it
        (``enumerate``, ``zip`` and ``reversed`` objects are not reversible)."""
        inner = call.args[0]
        callee = self._callee(inner if isinstance(inner, ast.Call) else None)
        if callee in (builtins.enumerate, builtins.zip, builtins.reversed):
            name = callee.__name__
            raise self.state.parsed.unsupported(
                f"reversed({name}(...)) (Python raises TypeError: `{name}` "
                "objects are not reversible)",
                call,
                (
                    "put reversed inside: enumerate(reversed(x)), zip(reversed(x), y)"
                    if name != "reversed"
                    else "iterate the sequence itself"
                ),
            )
        return inner

    def _direct(self, iter_node: ast.expr, target: ast.expr) -> tuple[Any, Callable]:
        """A range is iterated as it is; its index is the user's loop variable."""

        def bind(index: Value) -> None:
            if isinstance(target, ast.Name):
                self.state.graph.rename(index, target.id, user_variable=True)
            self.statements.assign(target, index)

        return self.expressions.operand(iter_node), bind

    def _callee(self, call: ast.Call | None) -> Any:
        if call is None:
            return None
        func = call.func
        if isinstance(func, ast.Name) and func.id not in self.state.env:
            return self.names.resolve(func.id)
        return None

    def sequence(self, node: ast.expr) -> Any:
        """A sequence to iterate by index: a runtime value."""
        value = self.expressions.operand(node)
        if isinstance(value, (tuple, list)):
            return self.expressions.runtime_list(value, node)
        if not isinstance(value, Value):
            raise self.state.parsed.unsupported(
                f"iterating over {type(value).__name__}",
                node,
                "iterate over a sequence",
            )
        return value

    def loop(
        self,
        node: ast.For | ast.While,
        kind: str,
        iterable: Any,
        bind: Callable[[Value], None] | None,
        test: ast.expr | None,
    ) -> None:
        """A :class:`LoopOp` for a ``for`` (over ``iterable``, its target bound
        by ``bind``) or a ``while`` (on ``test``), with its ``else``: see the
        module's docstring."""
        loc = self.state.parsed.loc(node)
        self.state.emitter.loc = loc
        body_nodes = node.body
        self.flow.materialize(mutated_names(body_nodes))
        assigned = _assigned_names(body_nodes)
        if kind == "for":
            assigned.update(_target_names(node.target))
        # names a write through another name may change (lower.memory)
        assigned |= {
            name
            for name in names_written_through(
                body_nodes,
                node.target if kind == "for" else None,
                node.iter if kind == "for" else None,
            )
            if any(True for _ in tree_values(self.state.env.get(name)))
        } | view_roots(self.state, body_nodes)
        flags = []
        if _contains(body_nodes, ast.Break, into_loops=False):
            flags.append(BROKE)
        if _contains(body_nodes, ast.Return, into_loops=True):
            flags += [RETURNED, RETVAL]
        carried_names = [
            name
            for name in sorted(assigned)
            if name in self.state.env or self.read_outside(name, node)
        ] + flags
        outer = self.state.env
        outer_stale = dict(self.state.stale)
        inits = []
        carried: list[Value] = []
        trees: dict[str, Any] = {}
        env = dict(outer)
        for name in carried_names:
            initial = outer.get(name, MISSING)
            if name == BROKE:
                initial = False
            if name in (RETURNED, RETVAL) and initial is MISSING:
                initial = False if name == RETURNED else None
            tree = self._carry(initial, name, node, inits, carried)
            trees[name] = tree
            env[name] = tree
        # an iteration only starts if no jump ended the loop: the flags are
        # false at its start (their carried values matter after the loop)
        env[CONTINUED] = False
        env[BROKE] = False
        if RETURNED in carried_names:
            env[RETURNED] = False
        target = self.state.graph.new_value("index")
        op = LoopOp(
            kind,
            iterable,
            target if kind == "for" else None,
            inits,
            carried,
            None,
            Block(),
            [],
            loc,
        )
        # views of carried arrays stay their views (lower.memory)
        relinks = plan_relinks(self.state, outer, carried_names, body_nodes)
        self.state.env = env
        start = dict(env)
        writes, appends = len(self.state.writes), len(self.state.appends)
        if kind == "while":
            op.cond = Block()
            with self.state.into(op.cond):
                self.state.emitter.loc = self.state.parsed.loc(test)
                op.cond.yields = [self.expressions.operand(test)]
        with self.state.into(op.body):
            relink(self.state, relinks)
            if bind is not None:
                self.state.emitter.loc = loc
                bind(target)
            self.flow.block(body_nodes)
            unchanged_in_body(self.state, start, carried_names, node)
            yields = []
            for name in carried_names:
                value = self.state.env.get(name, MISSING)
                yields.extend(self._carried_leaves(trees[name], value, name, node))
            op.body.yields = yields
            appended_then_written(self.state, writes, appends, carried, yields)
            self.state.emitter.loc = loc
            exits = [self.state.env.get(flag, False) for flag in (BROKE, RETURNED)]
            exits = [flag for flag in exits if flag is not False]
            if exits:
                exit_flag = exits[0]
                for flag in exits[1:]:
                    exit_flag = self.ops.call_prim(
                        operator.or_, (exit_flag, flag), {}, "exit", False
                    )
                op.exit = exit_flag
        stale_inside = self.state.stale
        self.state.env = dict(outer)
        self.state.stale = {**outer_stale, **stale_inside}
        for value, new in zip(carried, op.body.yields):
            self.state.origins[value].append(new)
            if isinstance(new, Value) and new.container != value.container:
                value.container = None
            out = Value(value.name, "op")
            self.state.graph.reuses[out] = (
                value  # a loop's result is its carried variable
            )
            out.container = value.container
            self.state.origins[out] = [value]
            op.outs.append(out)
        outs = iter(op.outs)
        for name in carried_names:
            self.state.env[name] = _rebuild(trees[name], outs)
        self.state.emitter.block.ops.append(op)
        relink(self.state, relinks)
        broke = self.state.env.get(BROKE, False)
        for flag in (BROKE, CONTINUED):
            self.state.env.pop(flag, None)
            if flag in outer:
                self.state.env[flag] = outer[flag]
        if node.orelse:
            self.state.emitter.loc = self.state.parsed.loc(node.orelse[0])
            self.flow.branch(
                broke,
                lambda: None,
                lambda: self.flow.block(node.orelse),
                node.orelse[0],
            )

    def _carry(
        self, initial: Any, name: str, node: ast.AST, inits: list, carried: list
    ) -> Any:
        """Carried block arguments for a variable's value (one per leaf)."""
        if isinstance(initial, (tuple, list)):
            return type(initial)(
                self._carry(item, name, node, inits, carried) for item in initial
            )
        if isinstance(initial, dict):
            return {
                key: self._carry(item, name, node, inits, carried)
                for key, item in initial.items()
            }
        arg = self.state.graph.new_value(variable_hint(name), user_variable=True)
        inits.append(None if initial is MISSING else initial)
        if isinstance(initial, Value):
            arg.container = initial.container
        self.state.origins[arg] = [initial]
        carried.append(arg)
        return arg

    def _carried_leaves(self, tree: Any, value: Any, name: str, node: ast.AST) -> list:
        if isinstance(tree, dict):
            if not isinstance(value, dict) or list(value) != list(tree):
                raise self.state.parsed.unsupported(
                    f"`{name}` changing its keys inside the loop",
                    node,
                    "give the dict all its keys before the loop",
                )
            leaves = []
            for key in tree:
                leaves.extend(self._carried_leaves(tree[key], value[key], name, node))
            return leaves
        if isinstance(tree, (tuple, list)):
            if (
                not isinstance(value, (tuple, list))
                or type(value) is not type(tree)
                or len(value) != len(tree)
            ):
                raise self.state.parsed.unsupported(
                    f"`{name}` changing its structure inside the loop",
                    node,
                    "keep the same tuple/list structure in every iteration "
                    "(to grow a list, start from a list and append to it)",
                )
            leaves = []
            for sub_tree, sub_value in zip(tree, value):
                leaves.extend(self._carried_leaves(sub_tree, sub_value, name, node))
            return leaves
        if isinstance(value, (tuple, list, dict)):
            raise self.state.parsed.unsupported(
                f"`{name}` changing its structure inside the loop",
                node,
                "give it its final structure before the loop",
            )
        return [None if value is MISSING else value]

    def read_outside(self, name: str, loop: ast.AST) -> bool:
        """Whether ``name`` is read anywhere in the function outside ``loop``."""
        for load in self.state.loads.get(name, ()):
            if not _inside(load, loop):
                return True
        return False


def _rebuild(tree: Any, leaves: Iterator[Value]) -> Any:
    """A tree like ``tree`` whose leaves are the next of ``leaves``."""
    if isinstance(tree, dict):
        return {key: _rebuild(item, leaves) for key, item in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_rebuild(item, leaves) for item in tree)
    return next(leaves)


def _inside(node: ast.AST, container: ast.AST) -> bool:
    """Whether ``node`` lies within ``container`` in the source."""
    start = (container.lineno, container.col_offset)
    end = (container.end_lineno, container.end_col_offset)
    here = (node.lineno, node.col_offset)
    return start <= here <= end


def _contains(nodes: list[ast.stmt], kind: type, into_loops: bool) -> bool:
    """Whether any of the statements contains a ``kind`` node."""
    return any(isinstance(node, kind) for node in walk_local(nodes, into_loops))


def _target_names(target: ast.expr) -> set[str]:
    """The names whose storage a target writes: the names it binds and the
    names under each item, slice or attribute it assigns into, at any depth
    of tuple, list and starred targets (``y[0], (s, *d["a"]) = ...``)."""
    names: set[str] = set()
    for node in ast.walk(target):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            base = node.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
    return names


def _assigned_names(nodes: list[ast.stmt]) -> set[str]:
    """Names a block may bind or change: every name a target writes (see
    :func:`_target_names`: assignments, augmented assignments, loop and
    ``with`` targets, ``del``) and lists changed by their methods."""
    names: set[str] = set()
    for node in walk_local(nodes, into_loops=True):
        if isinstance(node, (ast.Name, ast.Subscript, ast.Attribute)):
            names.update(_target_names(node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr in ("append", "extend", "insert", "pop")
        ):
            names.add(node.func.value.id)
    return names
