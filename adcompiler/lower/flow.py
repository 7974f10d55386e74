"""Control flow: ``if``, loops, ``break``, ``continue``, ``return``.

Guarantees: control flow becomes structured ops (:class:`IfOp`,
:class:`LoopOp`) whose variables are explicit: every local that one branch
or one iteration may change is an output of the op, every value a loop
carries from one iteration to the next is a carried variable. Jumps become
flags: ``return`` sets ``<returned>`` and ``<retval>``, ``break`` sets
``<broke>``, ``continue`` sets ``<continued>``, and the statements after a
statement that may have jumped run under ``if not <flag>``; a loop whose
body may break or return stops after the iteration in which the flag was
set. A condition known at compile time keeps only its branch.

Example: ``for i in range(n): s = s + x[i]`` becomes a :class:`LoopOp` over
``range(n)`` carrying ``s``, whose body computes ``x[i]`` and the sum and
yields the new ``s``.

:class:`ControlFlow` is an object beside the statements and expressions,
not a part of them: it holds the shared :class:`State` and the parts it
hands the statements and expressions inside a branch or a loop to.
"""

from __future__ import annotations

import ast
import builtins
import operator
from typing import Any, Callable, Iterator

from ..ir import Block, IfOp, LoopOp, Value
from .expressions import Expressions
from .names import Names
from .ops import Ops
from .state import BROKE, CONTINUED, FLAGS, MISSING, RETURNED, RETVAL, State
from .statements import Statements


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Value) or isinstance(b, Value):
        return a is b
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b))
        )
    return type(a) is type(b) and a == b


class ControlFlow:
    """Lowers ``if``, loops, jumps, ``x if c else y`` and ``and``/``or``.

    Guarantees: see the module's docstring; the environment after an ``if``
    or a loop binds each name to its value on every path (a merged value
    where the paths differ, :data:`MISSING` where one path leaves it unbound).
    """

    def __init__(
        self,
        state: State,
        expressions: Expressions,
        statements: Statements,
        names: Names,
        ops: Ops,
    ):
        self.state = state
        self.expressions = expressions
        self.statements = statements
        self.names = names
        self.ops = ops

    def block(self, stmts: list[ast.stmt]) -> None:
        """Lower statements; after one that may jump, the rest runs guarded."""
        for index, stmt in enumerate(stmts):
            self.statements.stmt(stmt)
            jumped = self.jumped()
            if jumped is True:
                return
            if jumped is not False:
                rest = stmts[index + 1 :]
                if rest:
                    self.state.emitter.loc = self.state.parsed.loc(rest[0])
                    self.branch(
                        jumped, lambda: None, lambda: self.unjumped(rest), rest[0]
                    )
                return

    def unjumped(self, stmts: list[ast.stmt]) -> None:
        """Lower statements on the path where no jump happened."""
        for flag in FLAGS:
            if flag in self.state.env:
                self.state.env[flag] = False
        self.block(stmts)

    def jumped(self) -> Any:
        """True, False, or a runtime bool: whether a jump may have happened."""
        flags = [self.state.env.get(flag, False) for flag in FLAGS]
        if any(flag is True for flag in flags):
            return True
        dynamic = [flag for flag in flags if flag is not False]
        if not dynamic:
            return False
        result = dynamic[0]
        for flag in dynamic[1:]:
            result = self.ops.call_prim(
                operator.or_, (result, flag), {}, "jumped", False
            )
        return result

    def stmt_If(self, node: ast.If) -> None:
        self.materialize(_mutated_names(node.body + node.orelse))
        cond = self.expressions.operand(node.test)
        self.branch(
            cond, lambda: self.block(node.body), lambda: self.block(node.orelse), node
        )

    def branch(
        self,
        cond: Any,
        then: Callable[[], None],
        orelse: Callable[[], None],
        node: ast.AST,
    ) -> None:
        """Run ``then`` or ``orelse`` on a copy of the environment and merge."""
        if not isinstance(cond, Value):
            (then if cond else orelse)()
            return
        loc = self.state.parsed.loc(node)
        before = dict(self.state.env)
        stale_before = dict(self.state.stale)
        op = IfOp(cond, Block(), Block(), [], loc)
        envs = []
        stales = {}
        for block, fn in ((op.then, then), (op.orelse, orelse)):
            self.state.env = dict(before)
            self.state.stale = dict(stale_before)
            with self.state.into(block):
                fn()
            envs.append(self.state.env)
            stales.update(self.state.stale)
        self.state.env = dict(before)
        self.state.stale = stales
        self.state.emitter.loc = loc
        names = list(dict.fromkeys(list(envs[0]) + list(envs[1])))
        for name in names:
            left = envs[0].get(name, MISSING)
            right = envs[1].get(name, MISSING)
            if _same(left, right):
                self.state.env[name] = left
                continue
            self.state.env[name] = self._merge(op, name, left, right, node)
        self.state.graph.coalesce_if(op)
        self.state.emitter.block.ops.append(op)

    def _merge(self, op: IfOp, name: str, left: Any, right: Any, node: ast.AST) -> Any:
        if _same(left, right):
            return left
        if (
            isinstance(left, (tuple, list))
            and isinstance(right, (tuple, list))
            and type(left) is type(right)
            and len(left) == len(right)
        ):
            merged = [self._merge(op, name, a, b, node) for a, b in zip(left, right)]
            return type(left)(merged)
        if (
            isinstance(left, dict)
            and isinstance(right, dict)
            and list(left) == list(right)
        ):
            return {k: self._merge(op, name, left[k], right[k], node) for k in left}
        if isinstance(left, (tuple, list, dict)) or isinstance(
            right, (tuple, list, dict)
        ):
            raise self.state.parsed.unsupported(
                f"`{name}` holding different structures after the two branches",
                node,
                "give it the same tuple/list structure on both paths",
            )
        out = self.state.graph.new_value(_hint(name), user_variable=True)
        kinds = {v.container if isinstance(v, Value) else False for v in (left, right)}
        out.container = kinds.pop() if len(kinds) == 1 else None
        self.state.origins[out] = [left, right]
        op.then.yields.append(None if left is MISSING else left)
        op.orelse.yields.append(None if right is MISSING else right)
        op.outs.append(out)
        return out

    def expr_IfExp(self, node: ast.IfExp, hint: str | None) -> Any:
        cond = self.expressions.operand(node.test)
        key = f"<ifexp {id(node)}>"  # one per expression: they may nest
        self.branch(
            cond,
            lambda: self._bind(key, node.body),
            lambda: self._bind(key, node.orelse),
            node,
        )
        return self.state.env.pop(key)

    def _bind(self, key: str, node: ast.expr) -> None:
        value = self.expressions.operand(
            node
        )  # first: lowering it may replace self.state.env
        self.state.env[key] = value

    def expr_BoolOp(self, node: ast.BoolOp, hint: str | None) -> Any:
        key = f"<boolop {id(node)}>"
        result = self.expressions.operand(node.values[0])
        for value_node in node.values[1:]:
            current = result

            def keep(current: Any = current) -> None:
                self.state.env[key] = current

            def evaluate(value_node: ast.expr = value_node) -> None:
                self._bind(key, value_node)

            if isinstance(node.op, ast.And):
                self.branch(current, evaluate, keep, node)
            else:
                self.branch(current, keep, evaluate, node)
            result = self.state.env.pop(key)
        return result

    def stmt_Return(self, node: ast.Return) -> None:
        if self.state.return_loc is None:
            self.state.return_loc = self.state.parsed.loc(node)
        value = (
            self.expressions.expr(node.value, "out") if node.value is not None else None
        )
        self.state.env[RETVAL] = value
        self.state.env[RETURNED] = True

    def stmt_Break(self, node: ast.Break) -> None:
        self.state.env[BROKE] = True

    def stmt_Continue(self, node: ast.Continue) -> None:
        self.state.env[CONTINUED] = True

    def stmt_For(self, node: ast.For) -> None:
        iterable, bind = self.iteration(node.iter, node.target)
        self.loop(node, "for", iterable, bind, None)

    def stmt_While(self, node: ast.While) -> None:
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
        loc = self.state.parsed.loc(node)
        self.state.emitter.loc = loc
        body_nodes = node.body
        self.materialize(_mutated_names(body_nodes))
        assigned = _assigned_names(body_nodes)
        if kind == "for":
            assigned.update(_target_names(node.target))
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
        if kind == "while":
            op.cond = Block()
            with self.state.into(op.cond):
                self.state.emitter.loc = self.state.parsed.loc(test)
                op.cond.yields = [self.expressions.operand(test)]
        with self.state.into(op.body):
            if bind is not None:
                self.state.emitter.loc = loc
                bind(target)
            self.block(body_nodes)
            yields = []
            for name in carried_names:
                value = self.state.env.get(name, MISSING)
                yields.extend(self._carried_leaves(trees[name], value, name, node))
            op.body.yields = yields
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
            self.branch(
                broke, lambda: None, lambda: self.block(node.orelse), node.orelse[0]
            )

    def materialize(self, names: set[str]) -> None:
        """Make local lists that a loop or branch will grow runtime values."""
        for name in sorted(names):
            value = self.state.env.get(name)
            if isinstance(value, list):
                self.state.env[name] = self.expressions.runtime_list(value, None, name)

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
        arg = self.state.graph.new_value(_hint(name), user_variable=True)
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
    if isinstance(tree, dict):
        return {key: _rebuild(item, leaves) for key, item in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_rebuild(item, leaves) for item in tree)
    return next(leaves)


_HINTS = {
    RETVAL: "out",
    RETURNED: "returned",
    BROKE: "broke",
    CONTINUED: "continued",
    "<ifexp>": "choice",
    "<boolop>": "either",
}


def _hint(name: str) -> str:
    """A Python name for a variable (hidden ones, like flags, included)."""
    for prefix, hint in (
        ("<comprehension", "items"),
        ("<ifexp", "choice"),
        ("<boolop", "either"),
    ):
        if name.startswith(prefix):
            return hint
    return _HINTS.get(name, name)


def _inside(node: ast.AST, container: ast.AST) -> bool:
    start = (container.lineno, container.col_offset)
    end = (container.end_lineno, container.end_col_offset)
    here = (node.lineno, node.col_offset)
    return start <= here <= end


def _walk_local(nodes: list[ast.stmt], into_loops: bool) -> Iterator[ast.AST]:
    """Nodes of these statements, not entering nested scopes (or loops)."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(
                child, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)
            ):
                continue
            if not into_loops and isinstance(child, (ast.For, ast.While)):
                continue
            stack.append(child)


def _contains(nodes: list[ast.stmt], kind: type, into_loops: bool) -> bool:
    return any(isinstance(node, kind) for node in _walk_local(nodes, into_loops))


def _target_names(target: ast.expr) -> set[str]:
    return {
        node.id
        for node in ast.walk(target)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def _mutated_names(nodes: list[ast.stmt]) -> set[str]:
    """Names of lists these statements append to."""
    return {
        node.func.value.id
        for node in _walk_local(nodes, into_loops=True)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.attr in ("append", "extend", "insert", "pop")
    }


def _assigned_names(nodes: list[ast.stmt]) -> set[str]:
    """Names a block may bind or change (assignments, loop targets, mutation)."""
    names: set[str] = set()
    for node in _walk_local(nodes, into_loops=True):
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
