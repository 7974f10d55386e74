"""Statements: assignments, in-place changes, list mutation, ``del``.

A statement changes the environment: an assignment binds names to operand
trees (unpacking tuples, naming a call's results after their targets),
``x[i] = v`` and ``x += v`` make a new version of an array (on a copy
unless the array is provably the function's own, see :mod:`.memory`),
``append`` and ``pop`` a new version of a list. Control-flow statements
(``if``, loops, jumps) are handed to control flow, and a nested ``def``
binds its name to be inlined where it is called.
"""

from __future__ import annotations

import ast
import itertools
import operator
import types
from typing import Any

from ..errors import UnsupportedSyntaxError
from ..ir import Value, is_literal
from ..primitives import registry
from .. import runtime
from . import dicts
from .errortext import describe, hint_for, statement_text
from .expressions import Expressions, holds_dict
from .memory import MemoryModel, reach_callers, replaced_trees
from .names import Names
from .ops import Ops
from .objects import check_sequence, refuse_attribute_write
from .state import Inline, State, Static
from .writes import Writes

#: numbers the values a tuple assignment keeps waiting (see assign_in_turn)
_WAITING = itertools.count()


class Statements:
    """Lowers statements (see the module's docstring).

    Guarantees: a statement the subset lacks raises an error naming it and
    its line; a write into an array or a list never changes memory a caller
    or another live name sees without that name being marked stale.
    """

    def __init__(
        self,
        state: State,
        expressions: Expressions,
        names: Names,
        memory: MemoryModel,
        ops: Ops,
    ):
        self.state = state
        self.expressions = expressions
        self.names = names
        self.memory = memory
        self.ops = ops
        #: writes into arrays (``y[i] = v``, ``x op= v``)
        self.writes = Writes(state, expressions, names, memory, ops, self)
        #: the parts that lower ``if``, jumps and loops (see :meth:`connect`)
        self.flow: Any = None
        self.loops: Any = None

    def connect(self, flow: Any, loops: Any) -> None:
        """The parts above this one that lower control flow: ``flow`` the
        ``if``, ``break``, ``continue`` and ``return`` statements, ``loops``
        the ``for`` and ``while`` loops."""
        self.flow = flow
        self.loops = loops

    def stmt(self, node: ast.stmt) -> None:
        """Lower one statement (the emitter's location is its line)."""
        self.state.emitter.loc = self.state.parsed.loc(node)
        name = "stmt_" + type(node).__name__
        method = (
            getattr(self, name, None)
            or getattr(self.flow, name, None)
            or getattr(self.loops, name, None)
            or getattr(self.expressions.effects, name, None)  # assert
        )
        if method is not None:
            method(node)
        elif isinstance(node, ast.Assign):
            target = node.targets[-1]
            if (
                isinstance(target, (ast.Tuple, ast.List))
                and isinstance(node.value, (ast.Tuple, ast.List))
                and len(target.elts) == len(node.value.elts)
                and not any(isinstance(e, ast.Starred) for e in node.value.elts)
            ):
                # a, b = x, y: each new value named after its target
                value: Any = tuple(
                    self.expressions.value(elt, target_hint(name))
                    for elt, name in zip(node.value.elts, target.elts)
                )
            else:
                value = self.expressions.expr(node.value, target_hint(target))
            for target in node.targets:
                self.assign(target, value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            value = self.expressions.expr(node.value, target_hint(node.target))
            self.assign(node.target, value)
        elif isinstance(node, ast.AugAssign):
            self.writes.augassign(node)
        elif isinstance(node, ast.Pass):
            pass
        else:
            raise self.state.parsed.unsupported(describe(node), node, hint_for(node))

    def assign(self, target: ast.expr, value: Any) -> None:
        """Bind ``target`` (a name, a tuple of targets, a subscript) to ``value``."""
        if isinstance(target, ast.Name):
            self.state.env[target.id] = value
            self.state.stale.pop(target.id, None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            starred = [i for i, elt in enumerate(elts) if isinstance(elt, ast.Starred)]
            if starred:
                # a, *rest, b = ...: rest is a list of the middle items
                items = unpack_starred(self.state, value, len(elts), starred[0], target)
                elts = [
                    elt.value if isinstance(elt, ast.Starred) else elt for elt in elts
                ]
            else:
                items = self.unpack(value, len(elts), target)
            if any(isinstance(elt, ast.Subscript) for elt in elts):
                self.assign_in_turn(elts, items)
                return
            for elt, item in zip(elts, items):
                if (
                    isinstance(elt, ast.Name)
                    and isinstance(item, Value)
                    and item in self.state.unnamed
                ):
                    # `a, b = f(x)`: the call's results take the names a, b
                    self.state.graph.rename(item, elt.id, user_variable=True)
                    self.state.unnamed.discard(item)
                self.assign(elt, item)
        elif isinstance(target, ast.Subscript):
            self.assign_item(target, value)
        elif isinstance(target, ast.Attribute):  # obj.attr = ...
            raise refuse_attribute_write(self.state, target)
        else:
            raise self.state.parsed.unsupported(
                f"assignment to {describe(target)}", target, "assign to a local name"
            )

    def assign_in_turn(self, targets: list[ast.expr], items: list[Any]) -> None:
        """``a[i], a[j] = u, v``: the targets in turn, each item as the writes
        before it left it (``u`` and ``v`` may be views of ``a``: Python's
        ``y[0], y[1] = y[1], y[0]`` gives two equal rows). The items wait
        under hidden names, so that the memory model rebinds them."""
        # (nested targets wait beside the outer ones: names of their own)
        first = next(_WAITING)
        hidden = [f"<item {first}.{k}>" for k in range(len(items))]
        self.state.env.update(zip(hidden, items))
        try:
            for name, elt in zip(hidden, targets):
                item = self.names.name(name, elt)
                del self.state.env[name]
                self.assign(elt, item)
        finally:
            for name in hidden:
                self.state.env.pop(name, None)
                self.state.stale.pop(name, None)

    def assign_item(self, target: ast.Subscript, value: Any) -> None:
        """``name[index] = value``: a new version of ``name``; ``a[i][j] =
        value`` writes into the container item or the view ``a[i]``."""
        nested = isinstance(target.value, ast.Subscript) and _local_base(target.value)
        if isinstance(target.value, ast.Attribute):  # obj.attr[i] = ...
            raise refuse_attribute_write(self.state, target)
        if not isinstance(target.value, ast.Name) and not nested:
            raise self.state.parsed.unsupported(
                "assignment to a subscript of an expression",
                target,
                "assign to a subscript of a local name",
            )
        if nested:
            name = ast.unparse(target.value)
            container = self.expressions.operand(target.value)
        else:
            name = target.value.id
            container = self.names.name(name, target.value)
        index = self.expressions.index(target.slice)
        if isinstance(container, (dict, list)):
            # a list or dict (held by a container, when nested): changed
            # wherever it is held
            replace_everywhere(
                self.state,
                name,
                container,
                self._with_item(container, index, value, target),
                target,
                f"`{name}[...] = ...`",
            )
            if nested:
                self.state.env.pop(name, None)
            return
        # an array: a write into it, which every name for it sees
        self.writes.set_item(name, container, index, value, target, bind=not nested)

    def _with_item(
        self, container: dict | list, index: Any, value: Any, target: ast.AST
    ) -> dict | list:
        """A copy of ``container`` with ``value`` at ``index``: a constant key
        of a dict, an int index of a list (one known only at run time is
        refused)."""
        if isinstance(container, dict):
            if not is_literal(index) or isinstance(index, (list, tuple)):
                raise self.state.parsed.unsupported(
                    "a dict key computed at run time", target, "use a constant key"
                )
            return {**container, index: value}
        if not isinstance(index, int):
            raise self.state.parsed.unsupported(
                "assigning to a local list at a runtime index",
                target,
                "build a new list, or use an array",
            )
        changed = list(container)
        changed[index] = value
        return changed

    def unpack(self, value: Any, count: int, node: ast.AST) -> list[Any]:
        """``count`` items of a tuple, list or runtime value (an error otherwise)."""
        check_sequence(self.state, value, node, "unpacking")
        if isinstance(value, (tuple, list)):
            if len(value) != count:
                raise self.state.parsed.error(
                    UnsupportedSyntaxError,
                    f"cannot unpack {len(value)} values into {count} names",
                    node,
                )
            return list(value)
        if isinstance(value, Value):
            return [self.expressions.item(value, i) for i in range(count)]
        raise self.state.parsed.unsupported(
            f"unpacking {type(value).__name__}", node, "unpack a tuple or an array"
        )

    def sequence_augassign(
        self, node: ast.AugAssign, name: str, current: Any, op: Any, right: Any
    ) -> None:
        """``name += items`` and ``name *= n`` on a list or a tuple, as Python
        does them: a list is extended or repeated in place (every name and
        container holding it sees the change), a tuple is rebound to a new
        tuple (its other names keep the old one). A list built at run time
        is extended by appending each item; what cannot be followed exactly
        (a list extended by a value known only at run time, repeated in
        place at run time, or a value that may or may not be a list) is
        refused."""
        statement = f"`{statement_text(self.state.parsed.loc(node))}`"
        if isinstance(current, tuple):
            self.state.env[name] = self.expressions.sequence_arithmetic(
                op, current, right, node
            )
            return
        if isinstance(current, list):
            self._not_an_argument_list(name, current, f"{statement} on", node)
            if op is operator.add:
                if not isinstance(right, (list, tuple)):
                    raise self.state.parsed.unsupported(
                        f"{statement}: extending the list `{name}` by a value "
                        "known only at run time",
                        node,
                        "add a list display (`+= [a, b]`), or append in a loop",
                    )
                changed = list(current) + list(right)
            else:
                if not isinstance(right, int) or isinstance(right, bool):
                    raise self.state.parsed.unsupported(
                        f"{statement}: repeating the list `{name}` a number of "
                        "times known only at run time",
                        node,
                        "repeat it a constant number of times",
                    )
                changed = list(current) * right
            replace_everywhere(self.state, name, current, changed, node, statement)
            return
        if current.container is None:
            raise self.state.parsed.unsupported(
                f"{statement} on `{name}`, which may be a list or an array "
                "(Python would extend or repeat a list, add or multiply an array)",
                node,
                f"make `{name}` an array (np.asarray) or a list (list(...)) first",
            )
        # a list built at run time
        if op is not operator.add or not isinstance(right, (list, tuple)):
            raise self.state.parsed.unsupported(
                f"{statement} on the list `{name}`, built at run time, "
                + (
                    "by a value known only at run time"
                    if op is operator.add
                    else "repeated in place"
                ),
                node,
                (
                    f"append its items one by one (`{name}.append(v)`)"
                    if op is operator.add
                    else f"repeat it before it is built at run time (`{name} *= n` "
                    "outside the loop or branch)"
                ),
            )
        for item in right:
            self.append_value(name, self.state.env[name], item, node, statement)

    def stmt_Delete(self, node: ast.Delete) -> None:
        """``del a, b`` at the function's top level (or anywhere in generated
        code): the names are unbound (generated code releases arrays this
        way, and is differentiated again for higher derivatives)."""
        if (
            self.state.emitter.block is not self.state.graph.body
            and not self.state.parsed.generated
        ):
            # generated code deletes, in a loop body, only names the same
            # iteration made and nothing reads again (passes.release)
            raise self.state.parsed.unsupported(
                "del inside a loop or branch",
                node,
                "delete names at the function's top level, or rebind them",
            )
        for target in node.targets:
            if not isinstance(target, ast.Name):
                raise self.state.parsed.unsupported(
                    f"del of {describe(target)}",
                    target,
                    "only local names can be deleted; build a new array instead",
                )
            if target.id not in self.state.env:
                raise self.state.parsed.unsupported(
                    f"del of `{target.id}`, which is not a local variable",
                    target,
                    "delete only names the function has assigned",
                )
            del self.state.env[target.id]
            self.state.stale.pop(target.id, None)

    def stmt_Expr(self, node: ast.Expr) -> None:
        """An expression statement: ``xs.append(v)``, ``xs.pop()`` or a docstring."""
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.attr == "append"
            and len(call.args) == 1
            and not call.keywords
        ):
            self.append(call.func.value.id, call.args[0], node)
            return
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.attr == "pop"
            and not call.args
            and not call.keywords
        ):
            self.pop(call.func.value.id, node)
            return
        if is_docstring(node):
            return
        update = dicts.updated(self, call) if isinstance(call, ast.Call) else None
        if update is not None:  # d.update(...): a write, seen wherever d is
            replace_everywhere(self.state, *update, node, f"`{update[0]}.update()`")
            return
        if isinstance(call, ast.Call) and user_function_called(
            self.state, self.names, call.func
        ):
            # a helper called for what it does to its arguments
            self.expressions.expr(call)
            return
        if self.expressions.effects.statement(node):  # print(...), logging, ...
            return
        raise self.state.parsed.unsupported(
            "an expression statement",
            node,
            "only assignments, list.append(...) and return are evaluated",
        )

    def pop(self, name: str, node: ast.AST) -> None:
        """``name.pop()`` as a statement: the list without its last item."""
        sequence = self.names.name(name, node)
        if isinstance(sequence, list):
            self.state.env[name] = sequence[:-1]
            return
        if not isinstance(sequence, Value):
            raise self.state.parsed.unsupported(
                f"pop on {type(sequence).__name__} `{name}`", node, "pop from a list"
            )
        self.memory.check_no_alias(
            name,
            sequence,
            node,
            f"`{name}.pop()`",
            f"copy the list first: `{name} = list(...)`",
            items_unchanged=True,
        )
        self.state.env[name] = self.ops.call_prim(
            runtime.list_pop, (sequence,), {}, None, False
        )

    def append(self, name: str, item_node: ast.expr, node: ast.AST) -> None:
        """``name.append(item)``: a new version of the list ``name``."""
        sequence = self.names.name(name, node)
        item = self.expressions.operand(item_node)
        self.append_value(
            name, sequence, item, node, f"`{name}.append(...)`", ast.unparse(item_node)
        )

    def append_value(
        self,
        name: str,
        sequence: Any,
        item: Any,
        node: ast.AST,
        change: str,
        item_text: str | None = None,
    ) -> None:
        """``item`` appended to the list ``sequence`` bound to ``name`` (by
        ``change``, the statement named in errors; ``item_text``: how the
        item is written there)."""
        if isinstance(item, Value) and item.container is not True:
            # a loop checks that it does not change it in place afterwards
            self.state.appends.append((item, name, item_text, node, self.state.parsed))
        if isinstance(sequence, list):
            self._not_an_argument_list(name, sequence, "appending to", node)
            replace_everywhere(
                self.state, name, sequence, sequence + [item], node, change
            )
            return
        if not isinstance(sequence, Value):
            raise self.state.parsed.unsupported(
                f"appending to {type(sequence).__name__} `{name}`",
                node,
                "append to a list",
            )
        if holds_dict(item):
            raise self.state.parsed.unsupported(
                "appending a dict to a list",
                node,
                "append a tuple instead: acts.append((h, z))",
            )
        if not self.memory.is_fresh(sequence) and not self.state.parsed.generated:
            # (generated code restores a tape its forward half popped)
            self.memory.refuse_changing_arguments(name, sequence, node)
        self.memory.check_no_alias(
            name,
            sequence,
            node,
            change,
            f"copy the list first: `{name} = list(...)`",
            items_unchanged=True,
        )
        self.state.env[name] = self.ops.call_prim(
            runtime.list_append, (sequence, item), {}, None, False
        )
        reach_callers(
            self.state, self.memory, name, sequence, self.state.env[name], node, True
        )

    def _not_an_argument_list(
        self, name: str, sequence: list, change: str, node: ast.AST
    ) -> None:
        """Refuse ``change`` of the list ``name`` when it is an argument of a
        function called from differentiated code: its caller would see it."""
        if self.state.callee and id(sequence) in self.state.argument_lists:
            raise self.state.parsed.unsupported(
                f"{change} `{name}`, an argument, in a function called "
                "from differentiated code (the caller would see the change)",
                node,
                f"build a new list and return it (`{name} = {name} + [...]`)",
            )

    def stmt_FunctionDef(self, node: ast.FunctionDef) -> None:
        """A nested ``def``: its name denotes it, to be inlined at its calls."""
        if node.decorator_list:
            raise self.state.parsed.unsupported(
                "a decorated nested function", node, "define it without decorators"
            )
        defaults = tuple(self.expressions.value(d) for d in node.args.defaults)
        self.state.env[node.name] = Static(Inline(node, node.name, defaults))


def user_function_called(state: State, names: Names, func: ast.expr) -> Any:
    """The nested (:class:`Inline`) or module-level function of the user's
    that ``func`` (a name, or a module's attribute) denotes; None for
    anything else (a primitive, a value)."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id in state.env:
            return None
        module = names.resolve(func.value.id)
        if not isinstance(module, types.ModuleType):
            return None
        target = getattr(module, func.attr, None)
    elif isinstance(func, ast.Name):
        bound = state.env.get(func.id)
        if bound is not None:
            inline = isinstance(bound, Static) and isinstance(bound.obj, Inline)
            return bound.obj if inline else None
        target = names.resolve(func.id)
    else:
        return None
    if isinstance(target, types.FunctionType) and registry.lookup(target) is None:
        return target
    return None


def replace_everywhere(
    state: State, name: str, old: Any, new: Any, node: ast.AST | None, statement: str
) -> None:
    """A local list or dict changed in place: every name bound to it,
    and every local container holding it, now holds ``new`` instead
    (containers holding it are rebuilt once each, so that names sharing
    them still share them). A global's, changed by the statement
    ``node``, is refused: the global would change."""
    for global_name, tree in state.free_trees.items():
        if node is not None and _holds(tree, old):
            raise state.parsed.unsupported(
                f"{statement} changes `{global_name}`, a global or closure "
                "variable (adcompiler does not change the caller's objects)",
                node,
                "copy it first: "
                + (
                    f"`{name} = {{**{name}}}`"
                    if isinstance(old, dict)
                    else f"`{name} = {name}[:]`"
                ),
            )
    if state.callee and node is not None:
        for param, tree in state.param_trees.items():
            if _holds(tree, old):
                raise state.parsed.unsupported(
                    f"{statement} changes `{param.name}`, an argument, in a "
                    "function called from differentiated code (the caller "
                    "would see the change)",
                    node,
                    "build a new list or dict and return it",
                )
    rebuilt: dict[int, Any] = {id(old): new}
    for env in [*state.enclosing_envs, state.env]:
        for other, bound in list(env.items()):
            env[other] = replaced_trees(bound, rebuilt)
    state.env[name] = new


def unpack_starred(
    state: State, value: Any, count: int, star: int, node: ast.AST
) -> list[Any]:
    """The items for ``count`` targets, the one at ``star`` starred: it
    takes the middle items, as a list (a tuple or list known when
    compiling; a runtime value is refused, its length being unknown)."""
    if not isinstance(value, (tuple, list)):
        raise state.parsed.unsupported(
            "starred assignment from a value known only at run time",
            node,
            "unpack each element by index",
        )
    after = count - star - 1
    if len(value) < count - 1:
        raise state.parsed.error(
            UnsupportedSyntaxError,
            f"not enough values to unpack (expected at least {count - 1}, "
            f"got {len(value)})",
            node,
        )
    items = list(value)
    middle = items[star : len(items) - after]
    return items[:star] + [middle] + items[len(items) - after :]


def _local_base(node: ast.expr) -> bool:
    """Whether ``node`` is ``name[k]...[k]``, subscripts of a local name."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name)


def target_hint(target: ast.expr) -> str | None:
    """The name a new value is named after: the target's, if it is a name."""
    return target.id if isinstance(target, ast.Name) else None


def is_docstring(stmt: ast.stmt) -> bool:
    """Whether a statement is a string constant (a docstring)."""
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _holds(tree: Any, obj: Any) -> bool:
    """Whether ``obj`` is ``tree`` or one of its containers (by identity)."""
    if tree is obj:
        return True
    if isinstance(tree, (tuple, list)):
        return any(_holds(item, obj) for item in tree)
    if isinstance(tree, dict):
        return any(_holds(item, obj) for item in tree.values())
    return False
