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
from .memory import appended_then_written, names_written_through, unchanged_in_body
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
            sequence = self.sequence(inner)
            length = self.ops.call_prim(builtins.len, (sequence,), {}, "length", False)
            indices = self.ops.call_prim(
                builtins.range, (length,), {}, "indices", False
            )
            iterable = self.ops.call_prim(
                builtins.reversed, (indices,), {}, "indices", False
            )
            return iterable, lambda index: self.statements.assign(
                target, self.expressions.item(sequence, index)
            )
        if callee is builtins.enumerate and len(call.args) == 1 and not call.keywords:
            sequence = self.sequence(call.args[0])
            length = self.ops.call_prim(builtins.len, (sequence,), {}, "length", False)
            iterable = self.ops.call_prim(
                builtins.range, (length,), {}, "indices", False
            )
            return iterable, lambda index: self.statements.assign(
                target, (index, self.expressions.item(sequence, index))
            )
        if callee is builtins.zip and call.args and not call.keywords:
            sequences = [self.sequence(arg) for arg in call.args]
            lengths = [
                self.ops.call_prim(builtins.len, (s,), {}, "length", False)
                for s in sequences
            ]
            length = (
                lengths[0]
                if len(lengths) == 1
                else self.ops.call_prim(
                    builtins.min, tuple(lengths), {}, "length", False
                )
            )
            iterable = self.ops.call_prim(
                builtins.range, (length,), {}, "indices", False
            )
            return iterable, lambda index: self.statements.assign(
                target, tuple(self.expressions.item(s, index) for s in sequences)
            )
        sequence = self.sequence(iter_node)
        length = self.ops.call_prim(builtins.len, (sequence,), {}, "length", False)
        iterable = self.ops.call_prim(builtins.range, (length,), {}, "indices", False)
        return iterable, lambda index: self.statements.assign(
            target, self.expressions.item(sequence, index)
        )

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
        }
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
        self.state.env = env
        start = dict(env)
        writes, appends = len(self.state.writes), len(self.state.appends)
        if kind == "while":
            op.cond = Block()
            with self.state.into(op.cond):
                self.state.emitter.loc = self.state.parsed.loc(test)
                op.cond.yields = [self.expressions.operand(test)]
        with self.state.into(op.body):
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
    """The names a ``for`` target binds."""
    return {
        node.id
        for node in ast.walk(target)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def _assigned_names(nodes: list[ast.stmt]) -> set[str]:
    """Names a block may bind or change (assignments, loop targets, mutation)."""
    names: set[str] = set()
    for node in walk_local(nodes, into_loops=True):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                base = target
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name) and base is not target:
                    names.add(base.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr in ("append", "extend", "insert", "pop")
        ):
            names.add(node.func.value.id)
    return names
