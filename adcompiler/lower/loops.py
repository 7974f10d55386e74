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

from ..errors import ADError
from ..frontend import parse_function
from ..ir import Block, LoopOp, Value
from .expressions import Expressions
from .flow import ControlFlow, variable_hint, mutated_names, walk_local
from .inlining import writes_arguments
from .memory import (
    appended_then_written,
    changed_through_others,
    plan_relinks,
    relink,
    unchanged_in_body,
)
from .names import Names
from .ops import Ops
from .state import BROKE, CONTINUED, MISSING, RETURNED, RETVAL, Inline, State
from .statements import Statements, user_function_called
from .callvalues import carried_value, local_function, yielded_value
from .unroll import Unrolling


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
        self.unrolling = Unrolling(state, flow, expressions, statements)
        self.statements = statements
        self.names = names
        self.ops = ops

    def stmt_For(self, node: ast.For) -> None:
        """A ``for`` loop (see :meth:`iteration`, :meth:`loop`), or unrolled
        (:class:`.unroll.Unrolling`)."""
        if self.unrolling.any_unrolled(node):
            return
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
        if isinstance(func, ast.Name):  # (a function may be bound to a local name)
            return local_function(self.state, func.id, self.names.resolve)
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
                _ITERATE_HINTS.get(type(value), "iterate over a sequence"),
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
        passed = self.passed_to_user_functions(body_nodes)
        self.flow.materialize(mutated_names(body_nodes) | passed)
        assigned = _assigned_names(body_nodes) | passed
        if kind == "for":
            assigned.update(_target_names(node.target))
        # names a write through another name may change (lower.memory)
        assigned |= changed_through_others(self.state, node, body_nodes)
        # names holding a list or dict the body writes into are carried, and
        # share their carried container (a write through one reaches all)
        held = {
            id(container)
            for name in _written_into(body_nodes) | passed
            for container in _containers(self.state.env.get(name))
        }
        assigned |= self.sharing(held, assigned)
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
        # a list or dict written into -> its carried tree (None: not yet)
        shared: dict[int, Any] = dict.fromkeys(held)
        for name in carried_names:
            initial = outer.get(name, MISSING)
            if name == BROKE:
                initial = False
            if name in (RETURNED, RETVAL) and initial is MISSING:
                initial = False if name == RETURNED else None
            tree = self._carry(initial, name, node, inits, carried, shared)
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
            before_test = dict(env)
            with self.state.into(op.cond):
                self.state.emitter.loc = self.state.parsed.loc(test)
                op.cond.yields = [self.expressions.operand(test)]
            for name, bound in before_test.items():
                if self.state.env.get(name, MISSING) is not bound:
                    # its last run (the one that ends the loop) would be lost
                    raise self.state.parsed.unsupported(
                        f"a write into `{name}` in the condition of a while loop",
                        test,
                        "make the write a statement of the loop's body "
                        "(`while True:` ... `if not ...: break`)",
                    )
        with self.state.into(op.body):
            relink(self.state, relinks)
            if bind is not None:
                self.state.emitter.loc = loc
                bind(target)
            self.flow.block(body_nodes)
            self.check_uncarried(outer, carried_names, node)
            unchanged_in_body(self.state, start, carried_names, node)
            yields = []
            seen: dict[int, tuple] = {}
            for name in carried_names:
                value = yielded_value(self.state, name, node)
                yields.extend(
                    self._carried_leaves(trees[name], value, name, node, seen)
                )
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
        rebuilt: dict[int, Any] = {}
        for name in carried_names:
            self.state.env[name] = _rebuild(trees[name], outs, rebuilt)
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

    def passed_to_user_functions(self, nodes: list[ast.stmt]) -> set[str]:
        """Local names a user function called in these statements may write
        into: those passed to one that writes into its arguments
        (:func:`writes_arguments`), lists and dicts passed to a nested
        function, what a nested function writes into. They are carried (a
        function not seen here that writes into a name the loop does not
        carry is an error, see :meth:`check_uncarried`)."""
        names = set()
        for sub in walk_local(nodes, into_loops=True):
            if not isinstance(sub, ast.Call):
                continue
            args = [
                arg.value if isinstance(arg, ast.Starred) else arg
                for arg in [*sub.args, *(k.value for k in sub.keywords)]
            ]
            args = [arg for arg in args if isinstance(arg, ast.Name)]
            callee = user_function_called(self.state, self.names, sub.func)
            if callee is None:
                continue
            if isinstance(callee, Inline) and isinstance(callee.node, ast.FunctionDef):
                # a nested function writing into its enclosing function's names
                own = {arg.arg for arg in callee.node.args.args}
                names.update(_written_into(callee.node.body) - own)
            if self._writes(callee):
                names.update(arg.id for arg in args)
            elif isinstance(callee, Inline):  # inlined whatever it does
                names.update(
                    arg.id
                    for arg in args
                    if _holds_container(self.state.env.get(arg.id))
                )
        return names

    def _writes(self, callee: Any) -> bool:
        """Whether a user function (or nested one) may write into its arguments."""
        if isinstance(callee, Inline):
            return not isinstance(callee.node, ast.Lambda) and writes_arguments(
                self.state.fn, callee.node
            )
        try:
            return writes_arguments(callee, parse_function(callee).node)
        except ADError:
            return True

    def sharing(self, held: set[int], names: set[str]) -> set[str]:
        """The local names not in ``names`` holding a list or dict in ``held``
        (the ids of those the body writes into: they are carried)."""
        return {
            other
            for other, bound in self.state.env.items()
            if other not in names
            and any(id(container) in held for container in _containers(bound))
        }

    def check_uncarried(
        self, outer: dict[str, Any], carried_names: list[str], node: ast.AST
    ) -> None:
        """No name the loop does not carry was changed by its body (through
        a list or dict it shares, written where the loop could not see)."""
        for name, bound in outer.items():
            if name in carried_names or name.startswith("<"):
                continue
            if self.state.env.get(name, MISSING) is not bound:
                raise self.state.parsed.unsupported(
                    f"changing `{name}` inside the loop where the loop does not "
                    "see it (written by a function it is not passed to, or in "
                    "the loop's condition)",
                    node,
                    f"pass `{name}` by name to the function that writes into it, "
                    "in the loop's body",
                )

    def _carry(
        self,
        initial: Any,
        name: str,
        node: ast.AST,
        inits: list,
        carried: list,
        shared: dict[int, Any],
    ) -> Any:
        """Carried block arguments for a variable's value (one per leaf; a
        list or dict the body writes into, a key of ``shared``, is carried
        once for all the names holding it)."""
        if (
            isinstance(initial, (tuple, list, dict))
            and shared.get(id(initial)) is not None
        ):
            return shared[id(initial)]
        if isinstance(initial, (tuple, list)):
            tree: Any = type(initial)(
                self._carry(item, name, node, inits, carried, shared)
                for item in initial
            )
        elif isinstance(initial, dict):
            tree = {
                key: self._carry(item, name, node, inits, carried, shared)
                for key, item in initial.items()
            }
        else:
            tree = None
        if tree is not None:
            if id(initial) in shared:
                shared[id(initial)] = tree
            return tree
        arg = self.state.graph.new_value(variable_hint(name), user_variable=True)
        inits.append(carried_value(self.state, initial, name, node, None))
        if isinstance(initial, Value):
            arg.container = initial.container
        self.state.origins[arg] = [initial]
        carried.append(arg)
        return arg

    def _carried_leaves(
        self, tree: Any, value: Any, name: str, node: ast.AST, seen: dict
    ) -> list:
        """The values a carried tree is yielded (a list or dict carried for
        several names once: they must still share it, ``seen``)."""
        if isinstance(tree, (tuple, list, dict)):
            if id(tree) in seen:
                other, before = seen[id(tree)]
                if value is not before:
                    raise self.state.parsed.unsupported(
                        f"`{name}` and `{other}` holding the same list or dict "
                        "before the loop and different ones after an iteration",
                        node,
                        f"copy it before the loop (`{name} = {name}[:]` or "
                        f"`{{**{name}}}`)",
                    )
                return []
            seen[id(tree)] = (name, value)
        if isinstance(tree, dict):
            if not isinstance(value, dict) or list(value) != list(tree):
                raise self.state.parsed.unsupported(
                    f"`{name}` changing its keys inside the loop",
                    node,
                    "give the dict all its keys before the loop",
                )
            leaves = []
            for key in tree:
                leaves.extend(
                    self._carried_leaves(tree[key], value[key], name, node, seen)
                )
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
                leaves.extend(
                    self._carried_leaves(sub_tree, sub_value, name, node, seen)
                )
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


#: What to do instead of iterating over a value of a type.
_ITERATE_HINTS = {
    # a dict bound to a name is unrolled (lower.static_loops)
    dict: "iterate over a sequence; bind a dict to a name first: d = ...; for k in d:"
}


def _rebuild(tree: Any, leaves: Iterator[Value], rebuilt: dict[int, Any]) -> Any:
    """A tree like ``tree`` whose leaves are the next of ``leaves`` (a list
    or dict met again is the one ``rebuilt`` already)."""
    if isinstance(tree, (tuple, list, dict)) and id(tree) in rebuilt:
        return rebuilt[id(tree)]
    if isinstance(tree, dict):
        new: Any = {key: _rebuild(item, leaves, rebuilt) for key, item in tree.items()}
    elif isinstance(tree, (tuple, list)):
        new = type(tree)(_rebuild(item, leaves, rebuilt) for item in tree)
    else:
        return next(leaves)
    rebuilt[id(tree)] = new
    return new


def _containers(tree: Any) -> Iterator[Any]:
    """The lists and dicts of an operand tree, at every depth."""
    if isinstance(tree, (list, dict)):
        yield tree
    if isinstance(tree, (tuple, list)):
        for item in tree:
            yield from _containers(item)
    elif isinstance(tree, dict):
        for item in tree.values():
            yield from _containers(item)


def _holds_container(tree: Any) -> bool:
    """Whether an operand tree holds a list or a dict."""
    return any(True for _ in _containers(tree))


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


def _written_into(nodes: list[ast.stmt]) -> set[str]:
    """Names whose list, dict or array a block may write into: under an item
    or attribute target, ``+=``/``*=`` targets, lists changed by a method."""
    names: set[str] = set()
    for node in walk_local(nodes, into_loops=True):
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            names.update(_target_names(node))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names | mutated_names(nodes)


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
