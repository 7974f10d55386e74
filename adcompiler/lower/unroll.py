"""Unrolling a ``for`` whose passes share memory that a loop cannot follow,
or that calls a different function on each pass.

These loops are unrolled, when the passes are known when compiling:

- a ``for`` over a local list or tuple that changes its items in place
  through its variable (``for a in lst: a += 1.0``). Python binds the
  variable to each item itself, so such a write changes the item's array,
  which every name and container holding it sees. Lowered as a loop, the
  variable is one value for all the items, and the memory model cannot say
  which array a write changed;
- a ``for`` over a constant ``range`` (or a local list or tuple) that
  appends an array to a list and writes into that array in place, the same
  array on every pass (``buf[:] = x * i; out.append(buf)``): every item
  appended is that one array, holding the last value written. Lowered as a
  loop, each item would be the value of its own pass (such loops are
  refused, :func:`.memory.appended_then_written`).

- a ``for`` over a local list or tuple that holds functions
  (``for f in (np.sin, np.cos):``): each pass calls its own; or whose
  items are themselves lists, tuples or dicts (``for u in [w, (a, b)]``, a
  tree-flattening helper): as a loop, the variable would be one value for
  items of different structures.

Unrolled, each pass binds the variable to its item or number, and every
write is followed exactly (:mod:`.memory`), as in straight-line code.
"""

from __future__ import annotations

import ast
from .callvalues import holds_callable
from .expressions import Expressions
from .flow import ControlFlow
from .state import State, Static
from .static_loops import StaticLoops
from .statements import Statements

#: The most passes an appending loop is unrolled into (more are refused as
#: such loops are, by :func:`.memory.appended_then_written`).
MAX_APPENDING_PASSES = 64


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
        #: loops over dicts and over lists of keys (:mod:`.static_loops`)
        self.static = StaticLoops(state, flow, expressions, statements)

    def over_objects(self, node: ast.For) -> bool:
        """``for layer in self.layers``: unrolled over the objects (see
        :meth:`.objects.Objects.unrolled_loop`). Returns whether it was."""
        objects = self.expressions.user_calls.objects
        return objects.unrolled_loop(node, self.flow, self.statements)

    def any_unrolled(self, node: ast.For) -> bool:
        """Whether ``node`` was unrolled: by :meth:`unrolled`, as a loop over a
        dict or keys (:mod:`.static_loops`), or over objects."""
        return (
            self.unrolled(node) or self.static.unrolled(node) or self.over_objects(node)
        )

    def unrolled(self, node: ast.For) -> bool:
        """``for a in items: a += v`` (or ``a[...] = v``) over a local list or
        tuple known when compiling: ``a`` is each item itself, so the write
        changes the item's array, seen by every name and container holding
        it (Python's semantics); the same for a body that appends an array
        it writes into (see the module's docstring), over such a list or a
        constant ``range``. The body is lowered once per item, with
        ``a`` bound to the item; loops that break, continue or return, or
        that have an ``else``, are lowered as loops. Returns whether it was
        unrolled."""
        if self._appending_range(node):
            return True
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
        if _jumps(node.body):
            return False
        display = None
        if not (_writes_through(node.body, target.id) or _appends_written(node.body)):
            # functions, or items of different structures: each pass binds
            # its own (evaluated here only when naming no more than values,
            # so that a loop lowered as a loop evaluates it once)
            if not (named or all(map(_plain, node.iter.elts))):
                return False
            display = None if named else self.expressions.operand(node.iter)
            items = self.state.env[node.iter.id] if named else display
            if not (holds_callable(items) or _holds_structures(items)):
                return False
        elif not named:
            display = self.expressions.operand(node.iter)
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

    def _appending_range(self, node: ast.For) -> bool:
        """``for i in range(...)`` with constant bounds, whose body appends an
        array to a list and writes into that same array in place (see the
        module's docstring): unrolled into at most
        :data:`MAX_APPENDING_PASSES` passes, ``i`` bound to each number."""
        if not (
            isinstance(node.target, ast.Name)
            and not node.orelse
            and isinstance(node.iter, ast.Call)
            and isinstance(node.iter.func, ast.Name)
            and not node.iter.keywords
            and 1 <= len(node.iter.args) <= 3
            and _appends_written(node.body)
            and not _jumps(node.body)
        ):
            return False
        callee = self.expressions.expr(node.iter.func)
        if not (isinstance(callee, Static) and callee.obj is range):
            return False
        bounds = [self._constant_int(arg) for arg in node.iter.args]
        if any(bound is None for bound in bounds):
            return False
        passes = range(*bounds)
        if len(passes) > MAX_APPENDING_PASSES:
            return False
        for number in passes:
            self.statements.assign(node.target, number)
            self.flow.block(node.body)
        return True

    def _constant_int(self, node: ast.expr) -> int | None:
        """The int ``node`` denotes when compiling (a literal, or a name bound
        to an int), or None."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self._constant_int(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ast.Constant):
            value = node.value
        elif isinstance(node, ast.Name) and node.id in self.state.env:
            value = self.state.env[node.id]
        else:
            return None
        return value if type(value) is int else None


def _appends_written(body: list[ast.stmt]) -> bool:
    """Whether ``body`` appends a name to a list (``out.append(buf)``,
    ``out += [buf]``, ``out = out + [buf]``, ``out.extend([buf])``) and
    writes into that name's array in place, without binding the name
    anew in ``body`` (a new array on each pass is a new item)."""
    appended = {
        item.id
        for stmt in body
        for inner in ast.walk(stmt)
        for item in _items_added(inner)
        if isinstance(item, ast.Name)
    }
    rebound = {
        target.id
        for stmt in body
        for inner in ast.walk(stmt)
        if isinstance(inner, ast.Assign)
        for target in inner.targets
        if isinstance(target, ast.Name)
    }
    return any(_writes_through(body, name) for name in appended - rebound)


def _items_added(node: ast.AST) -> list[ast.expr]:
    """The expressions ``node`` puts into a list as items: the argument of
    ``.append``/``.insert``, the items of a list or tuple display added by
    ``+``, ``+=`` or ``.extend``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "append" and len(node.args) == 1:
            return [node.args[0]]
        if node.func.attr == "insert" and len(node.args) == 2:
            return [node.args[1]]
        if node.func.attr == "extend" and len(node.args) == 1:
            return _display_items(node.args[0])
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        return _display_items(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _display_items(node.left) + _display_items(node.right)
    return []


def _display_items(node: ast.expr) -> list[ast.expr]:
    """The items of a list or tuple display, or none."""
    return list(node.elts) if isinstance(node, (ast.List, ast.Tuple)) else []


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


def _plain(node: ast.expr) -> bool:
    """Whether evaluating ``node`` only names values: a name, an attribute,
    a constant, a lambda, or a tuple or list display of those."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(map(_plain, node.elts))
    return isinstance(node, (ast.Name, ast.Attribute, ast.Constant, ast.Lambda))


def _holds_structures(items: list | tuple) -> bool:
    """Whether some item is itself a local list, tuple or dict: as a loop,
    the variable would be one value for items of different structures
    (``for u in [w, (a, b)]``, a tree-flattening helper), which Python
    binds to each item as it is."""
    return any(isinstance(item, (list, tuple, dict)) for item in items)


def _jumps(body: list[ast.stmt]) -> bool:
    """Whether ``body`` may leave a pass early (``break``, ``continue``,
    ``return``)."""
    return any(
        isinstance(inner, (ast.Break, ast.Continue, ast.Return))
        for stmt in body
        for inner in ast.walk(stmt)
    )
