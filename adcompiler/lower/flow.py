"""Control flow: blocks, ``if``, jumps, ``x if c else y``, ``and``/``or``.

Guarantees: a branch becomes a structured op (:class:`IfOp`) whose
variables are explicit: every local that one branch may change is an
output of the op. Jumps become flags: ``return`` sets ``<returned>`` and
``<retval>``, ``break`` sets ``<broke>``, ``continue`` sets
``<continued>``, and the statements after a statement that may have jumped
run under ``if not <flag>``. A condition known at compile time keeps only
its branch. Loops are :mod:`.loops`, which builds on this.

:class:`ControlFlow` is an object beside the statements and expressions,
not a part of them: it holds the shared :class:`State` and the parts it
hands the statements and expressions inside a branch to.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Iterator

from .. import runtime
from ..ir import Block, IfOp, Value, is_literal, tree_values
from ..primitives import registry
from .expressions import Expressions
from .memory import plan_relinks, relink
from .ops import Ops
from .callvalues import is_callable, refuse_chosen_at_run_time, same_function
from .state import BROKE, CONTINUED, FLAGS, MISSING, RETURNED, RETVAL, State
from .statements import Statements, replace_everywhere


def _same(a: Any, b: Any) -> bool:
    """Whether two environment entries are the same (values by identity)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return a is b
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b))
        )
    return type(a) is type(b) and a == b


def _packable(tree: Any) -> bool:
    """A tuple or list whose leaves are values or constants (no dicts,
    objects or functions), holding at least one value."""

    def plain(item: Any) -> bool:
        if isinstance(item, (tuple, list)):
            return all(plain(x) for x in item)
        return isinstance(item, Value) or is_literal(item)

    return (
        isinstance(tree, (tuple, list))
        and plain(tree)
        and any(True for _ in tree_values(tree))
    )


class ControlFlow:
    """Lowers blocks, ``if``, jumps, ``x if c else y`` and ``and``/``or``.

    Guarantees: see the module's docstring; the environment after an ``if``
    binds each name to its value on every path (a merged value
    where the paths differ, :data:`MISSING` where one path leaves it unbound).
    """

    def __init__(
        self,
        state: State,
        expressions: Expressions,
        statements: Statements,
        ops: Ops,
    ):
        self.state = state
        self.expressions = expressions
        self.statements = statements
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
        """An ``if``: its branch when the condition is known, else an :class:`IfOp`."""
        self.materialize(mutated_names(node.body + node.orelse))
        cond = self.expressions.operand(node.test)
        # views of arrays stay their views after the merge (lower.memory)
        names = [k for k, v in self.state.env.items() if isinstance(v, Value)]
        relinks = plan_relinks(
            self.state, self.state.env, names, node.body + node.orelse
        )
        self.branch(
            cond, lambda: self.block(node.body), lambda: self.block(node.orelse), node
        )
        relink(self.state, relinks)

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
        # in an inlined function, a write may rebind its callers' names too
        # (:func:`.memory.reach_callers`): they are branched and merged alike
        outer = self.state.enclosing_envs
        outer_before = [dict(env) for env in outer]
        outer_after = []
        for block, fn in ((op.then, then), (op.orelse, orelse)):
            self.state.env = dict(before)
            self.state.stale = dict(stale_before)
            for env, snapshot in zip(outer, outer_before):
                env.clear()
                env.update(snapshot)
            with self.state.into(block):
                fn()
            envs.append(self.state.env)
            outer_after.append([dict(env) for env in outer])
            stales.update(self.state.stale)
        self.state.env = dict(before)
        self.state.stale = stales
        self.state.emitter.loc = loc
        merged: dict[tuple[int, int], Any] = {}
        self._merge_envs(op, self.state.env, envs[0], envs[1], node, merged)
        for k, env in enumerate(outer):
            env.clear()
            env.update(outer_before[k])
            self._merge_envs(
                op, env, outer_after[0][k], outer_after[1][k], node, merged
            )
        self.state.graph.coalesce_if(op)
        self.state.emitter.block.ops.append(op)

    def _merge_envs(
        self,
        op: IfOp,
        env: dict[str, Any],
        left_env: dict[str, Any],
        right_env: dict[str, Any],
        node: ast.AST,
        merged: dict[tuple[int, int], Any],
    ) -> None:
        """Bind in ``env`` each name of the branches' environments to its
        value after the ``if`` (see :meth:`_merge`)."""
        for name in dict.fromkeys(list(left_env) + list(right_env)):
            left = left_env.get(name, MISSING)
            right = right_env.get(name, MISSING)
            env[name] = (
                left
                if _same(left, right)
                else self._merge(op, name, left, right, node, merged)
            )

    def _merge(
        self,
        op: IfOp,
        name: str,
        left: Any,
        right: Any,
        node: ast.AST,
        merged: dict[tuple[int, int], Any],
    ) -> Any:
        """The value of ``name`` after the branches: ``left`` after one,
        ``right`` after the other. A pair of lists or dicts merged once
        (``merged``) gives one container, so names sharing a list or dict
        on both paths share it after the ``if``."""
        if _same(left, right) or same_function(left, right):
            return left
        if is_callable(left) or is_callable(right):
            raise refuse_chosen_at_run_time(self.state, name, left, right, node)
        key = (id(left), id(right))
        if isinstance(left, (tuple, list, dict)) and key in merged:
            return merged[key]
        if (
            isinstance(left, (tuple, list))
            and isinstance(right, (tuple, list))
            and type(left) is type(right)
            and len(left) == len(right)
        ):
            items = [
                self._merge(op, name, a, b, node, merged) for a, b in zip(left, right)
            ]
            merged[key] = type(left)(items)
            return merged[key]
        if (
            isinstance(left, dict)
            and isinstance(right, dict)
            and list(left) == list(right)
        ):
            merged[key] = {
                k: self._merge(op, name, left[k], right[k], node, merged) for k in left
            }
            return merged[key]
        if left is None and _packable(right):  # None or a tuple: Optional
            right = self._packed(op.orelse, right)
        elif right is None and _packable(left):
            left = self._packed(op.then, left)
        if isinstance(left, (tuple, list, dict)) or isinstance(
            right, (tuple, list, dict)
        ):
            raise self.state.parsed.unsupported(
                f"`{name}` holding different structures after the two branches",
                node,
                "give it the same tuple/list structure on both paths",
            )
        out = self.state.graph.new_value(variable_hint(name), user_variable=True)
        kinds = {v.container if isinstance(v, Value) else False for v in (left, right)}
        out.container = kinds.pop() if len(kinds) == 1 else None
        self.state.origins[out] = [left, right]
        op.then.yields.append(None if left is MISSING else left)
        op.orelse.yields.append(None if right is MISSING else right)
        op.outs.append(out)
        return out

    def _packed(self, block: Block, tree: Any) -> Any:
        """``tree`` (a tuple or list of values, constants and such trees) as
        one runtime container, built at the end of ``block``: a name that is
        None after one branch and a tuple after the other (the saved values
        of a recursive call, in generated code) is one value that is either
        at run time, so ``x is None`` and unpacking stay runtime reads."""
        if not isinstance(tree, (tuple, list)):
            return tree
        items = tuple(self._packed(block, item) for item in tree)
        fn = runtime.make_tuple if isinstance(tree, tuple) else runtime.make_list
        emitter = self.state.emitter
        outer, emitter.block = emitter.block, block
        try:
            return emitter.op(registry.lookup(fn), items, {})
        finally:
            emitter.block = outer

    def expr_IfExp(self, node: ast.IfExp, hint: str | None) -> Any:
        """``a if c else b``: a branch whose output is the chosen value."""
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
        # first: lowering it may replace self.state.env (a function stays
        # one: both branches giving the same function is that function)
        value = self.expressions.value(node)
        self.state.env[key] = value

    def expr_BoolOp(self, node: ast.BoolOp, hint: str | None) -> Any:
        """``and``/``or``: each further operand evaluated only on the path
        where Python would evaluate it; the result is the operand that decided."""
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
        """``return``: sets the returned flag and value."""
        if self.state.return_loc is None:
            self.state.return_loc = self.state.parsed.loc(node)
        value = (
            self.expressions.expr(node.value, "out") if node.value is not None else None
        )
        self.state.env[RETVAL] = value
        self.state.env[RETURNED] = True

    def stmt_Break(self, node: ast.Break) -> None:
        """``break``: sets the broke flag."""
        self.state.env[BROKE] = True

    def stmt_Continue(self, node: ast.Continue) -> None:
        """``continue``: sets the continued flag."""
        self.state.env[CONTINUED] = True

    def materialize(self, names: set[str]) -> None:
        """Make local lists that a loop or branch will grow runtime values
        (every other name and local container holding the same list then
        holds the same runtime value, so that a change is seen by all)."""
        for name in sorted(names):
            value = self.state.env.get(name)
            if isinstance(value, list):
                made = self.expressions.runtime_list(value, None, variable_hint(name))
                replace_everywhere(
                    self.state, name, value, made, None, f"growing `{name}`"
                )


_HINTS = {
    RETVAL: "out",
    RETURNED: "returned",
    BROKE: "broke",
    CONTINUED: "continued",
    "<ifexp>": "choice",
    "<boolop>": "either",
}


def variable_hint(name: str) -> str:
    """A Python name for a variable (hidden ones, like flags, included)."""
    for prefix, hint in (
        ("<comprehension", "items"),
        ("<ifexp", "choice"),
        ("<boolop", "either"),
    ):
        if name.startswith(prefix):
            return hint
    return _HINTS.get(name, name)


def walk_local(nodes: list[ast.stmt], into_loops: bool) -> Iterator[ast.AST]:
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


def mutated_names(nodes: list[ast.stmt]) -> set[str]:
    """Names of lists these statements may grow or shrink (methods that
    change a list, ``+=`` and ``*=``)."""
    names = set()
    for node in walk_local(nodes, into_loops=True):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr in ("append", "extend", "insert", "pop")
        ):
            names.add(node.func.value.id)
        elif (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.op, (ast.Add, ast.Mult))
        ):
            names.add(node.target.id)
    return names
