"""Unrolling a ``for`` over a dict, or over local containers holding keys.

A local dict's keys are constants known when compiling, so a loop over a
dict (``for k in d``, ``d.keys()``, ``d.values()``, ``d.items()``,
``sorted(d)``, ...), or over a local list or tuple holding dicts, strings
or other constants (``for layer in layers: layer["W"] ...``), has as many
passes as known items, each a different key: it is unrolled, the body
lowered once per item with the target bound to it, so that ``d[k]`` is an
item of the compile-time dict.

The passes follow Python's iteration: each item is read when its pass
starts (a value the body wrote at a later key is seen there), the dict or
list iterated is the object the loop started with (rebinding its name
does not change the passes), and a body that adds or removes keys of the
dict, or changes the length of the list, is refused (Python raises
``RuntimeError: dictionary changed size during iteration``, or iterates
a list for as long as it grows). ``break``, ``continue`` and ``return``
end a pass as in any block: the rest of the pass, and the passes after a
break or return, run guarded by the flag (:class:`.flow.ControlFlow`); a
loop's ``else`` runs unless it broke.

Example: with ``p = {"a": x, "b": y}``, ``for k, v in p.items(): s = s +
np.sum(v)`` is lowered as ``s = s + np.sum(x)`` then ``s = s + np.sum(y)``.
"""

from __future__ import annotations

import ast
import builtins
import itertools
from typing import Any

from ..ir import Value
from ..trees import LEAF, structure
from .dicts import NOT_STATIC, static_builtin
from .expressions import Expressions
from .flow import ControlFlow
from .names import Names
from .state import BROKE, CONTINUED, FLAGS, MISSING, State, Static
from .statements import Statements

#: Builtins of one container :meth:`StaticLoops.pure` computes.
_CONTAINER_BUILTINS = (
    builtins.sorted,
    builtins.list,
    builtins.tuple,
    builtins.reversed,
    builtins.zip,
    builtins.enumerate,
    builtins.dict,
)


class _Source:
    """The items of a local dict or sequence, read at each pass.

    The container is held under a hidden name, so that a write into it
    (which makes a new compile-time container wherever the old one is
    held, :func:`.statements.replace_everywhere`) is seen by the passes."""

    def __init__(self, state: State, container: Any, kind: str, node: ast.AST):
        self.state = state
        self.kind = kind  # "keys", "values", "items" of a dict; "items" of a list
        self.node = node
        self.name = _hidden(state.env, "<comprehension iterated")
        self.is_dict = isinstance(container, dict)
        self.keys = list(container) if self.is_dict else None
        self.count = len(container)
        self.structured = self.is_dict or _holds_keys(container)
        state.env[self.name] = container

    def check(self, loop: ast.AST) -> Any:
        """The container now; refused when its keys or length changed."""
        current = self.state.env.get(self.name, MISSING)
        if self.is_dict:
            if not isinstance(current, dict) or list(current) != self.keys:
                raise self.state.parsed.unsupported(
                    "adding or removing keys of a dict in a for loop over it "
                    "(Python raises RuntimeError: dictionary changed size "
                    "during iteration)",
                    loop,
                    "loop over a copy of the keys (`for k in list(d):`), or "
                    "build a new dict",
                )
        elif not isinstance(current, (tuple, list)) or len(current) != self.count:
            raise self.state.parsed.unsupported(
                "changing the length of a list in a for loop over it",
                loop,
                "loop over a copy (`list(...)`) or by index",
            )
        return current

    def item(self, position: int, loop: ast.AST) -> Any:
        """The item of the pass ``position``, as the container is now."""
        current = self.check(loop)
        if not self.is_dict:
            return current[position]
        key = self.keys[position]
        if self.kind == "keys":
            return key
        if self.kind == "values":
            return current[key]
        return (key, current[key])

    def release(self) -> None:
        """Forget the hidden name."""
        self.state.env.pop(self.name, None)
        self.state.stale.pop(self.name, None)

    def sources(self) -> list["_Source"]:
        return [self]


class _Enumerated:
    """``enumerate(source, start)``: the count, then the item."""

    def __init__(self, inner: Any, start: int):
        self.inner = inner
        self.start = start
        self.count = inner.count
        self.structured = inner.structured

    def item(self, position: int, loop: ast.AST) -> Any:
        return (self.start + position, self.inner.item(position, loop))

    def sources(self) -> list[_Source]:
        return self.inner.sources()


class _Zipped:
    """``zip(a, b, ...)``: a tuple of their items, as long as the shortest."""

    def __init__(self, parts: list):
        self.parts = parts
        self.count = min(part.count for part in parts)
        self.structured = any(part.structured for part in parts)

    def item(self, position: int, loop: ast.AST) -> Any:
        return tuple(part.item(position, loop) for part in self.parts)

    def sources(self) -> list[_Source]:
        return [source for part in self.parts for source in part.sources()]


class StaticLoops:
    """Decides whether a ``for`` iterates over known keys, and unrolls it."""

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
        self.names: Names = expressions.names

    def unrolled(self, node: ast.For) -> bool:
        """Unroll ``node`` when it iterates over a local dict, or over local
        containers holding dicts, strings or other keys (see the module's
        docstring); returns whether it did. Whatever is not unrolled is
        lowered as a loop, as before (deciding emits no op)."""
        made: list[_Source] = []
        try:
            source = self.source(node.iter, made)
            # a dict comprehension's loops give keys: unrolled over constants too
            keys = getattr(node, "gives_keys", False)
            if source is None or not (source.structured or keys):
                return False
            self.unroll(node, source)
            return True
        finally:
            for held in made:
                held.release()

    def source(self, node: ast.expr, made: list) -> Any:
        """The items ``node`` iterates, read pass by pass, or None."""
        if isinstance(node, ast.Call):
            callee = self._builtin(node.func)
            if callee is builtins.enumerate and 1 <= len(node.args) <= 2:
                start_node = node.args[1] if len(node.args) == 2 else None
                for keyword in node.keywords:
                    if keyword.arg != "start" or start_node is not None:
                        return None
                    start_node = keyword.value
                start = 0
                if start_node is not None:
                    start = self.pure(start_node)
                if not isinstance(start, int) or isinstance(start, bool):
                    return None
                inner = self.source(node.args[0], made)
                return None if inner is None else _Enumerated(inner, start)
            if callee is builtins.zip and node.args and not node.keywords:
                parts = [self.source(arg, made) for arg in node.args]
                return None if None in parts else _Zipped(parts)
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("keys", "values", "items")
                and not node.args
                and not node.keywords
            ):
                base = self.pure(func.value)
                if isinstance(base, dict):
                    made.append(_Source(self.state, base, func.attr, node))
                    return made[-1]
                return None
        value = self.pure(node)
        if isinstance(value, (dict, tuple, list)):
            made.append(_Source(self.state, value, "keys", node))
            return made[-1]
        return None

    def pure(self, node: ast.expr) -> Any:
        """What ``node`` denotes when that needs no op: a constant, a local
        name (a global container), a constant item of one, a display of
        them, a builtin of them (``sorted(d)``, ``list(zip(a, b))``); else
        :data:`NOT_STATIC`."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.state.stale:
                return NOT_STATIC
            if node.id in self.state.env:
                value = self.state.env[node.id]
                return (
                    NOT_STATIC
                    if value is MISSING or isinstance(value, Static)
                    else value
                )
            obj = self.names.resolve(node.id)
            if structure(obj) is LEAF:
                return NOT_STATIC
            return self.names.name(node.id, node)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            base = self.pure(node.value)
            key = node.slice.value
            if isinstance(base, dict) and _hashable(key) and key in base:
                return base[key]
            if (
                isinstance(base, (tuple, list))
                and isinstance(key, int)
                and -len(base) <= key < len(base)
            ):
                return base[key]
            return NOT_STATIC
        if isinstance(node, (ast.List, ast.Tuple)):
            if any(isinstance(elt, ast.Starred) for elt in node.elts):
                return NOT_STATIC
            items = [self.pure(elt) for elt in node.elts]
            if any(item is NOT_STATIC for item in items):
                return NOT_STATIC
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Call):
            return self._pure_call(node)
        return NOT_STATIC

    def _pure_call(self, node: ast.Call) -> Any:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("keys", "values", "items")
            and not node.args
            and not node.keywords
        ):
            base = self.pure(func.value)
            if not isinstance(base, dict):
                return NOT_STATIC
            return list(getattr(base, func.attr)())
        callee = self._builtin(func)
        if callee is builtins.range and not node.keywords:
            bounds = [self.pure(arg) for arg in node.args]
            if all(type(bound) is int for bound in bounds) and len(bounds) in (1, 2, 3):
                return list(range(*bounds))  # constants: a dict comprehension's keys
            return NOT_STATIC
        if callee not in _CONTAINER_BUILTINS or any(
            isinstance(arg, ast.Starred) for arg in node.args
        ):
            return NOT_STATIC
        args = [self.pure(arg) for arg in node.args]
        kwargs = {kw.arg: self.pure(kw.value) for kw in node.keywords}
        if None in kwargs or any(
            v is NOT_STATIC or isinstance(v, Value)  # known at run time
            for v in [*args, *kwargs.values()]
        ):
            return NOT_STATIC
        return static_builtin(self.state, callee, tuple(args), kwargs, node)

    def _builtin(self, func: ast.expr) -> Any:
        """The builtin a call's function names (None for anything else)."""
        if not isinstance(func, ast.Name) or func.id in self.state.env:
            return None
        obj = self.names.resolve(func.id)
        return obj if obj in _CONTAINER_BUILTINS or obj is builtins.range else None

    def unroll(self, node: ast.For, source: Any) -> None:
        """The passes of ``node`` over ``source`` (see the module's
        docstring), then its ``else`` unless it broke or returned."""
        saved = {flag: self.state.env.get(flag, MISSING) for flag in (BROKE, CONTINUED)}
        self.state.env[BROKE] = False
        self.state.env[CONTINUED] = False
        try:
            self._passes(node, source, 0)
            if node.orelse:
                jumped = self.flow.jumped()
                if jumped is False:
                    self.flow.block(node.orelse)
                elif jumped is not True:
                    self.flow.branch(
                        jumped,
                        lambda: None,
                        lambda: self.flow.unjumped(node.orelse),
                        node,
                    )
        finally:
            for flag, value in saved.items():
                if value is MISSING:
                    self.state.env.pop(flag, None)
                else:
                    self.state.env[flag] = value

    def _passes(self, node: ast.For, source: Any, position: int) -> None:
        """The pass ``position`` and the ones after it (guarded by the
        jump flags when a pass may have broken or returned)."""
        if position == source.count:
            for held in source.sources():
                held.check(node)  # a change in the last pass
            return
        self.state.emitter.loc = self.state.parsed.loc(node)
        self.statements.assign(node.target, source.item(position, node))
        self.flow.block(node.body)
        self.state.env[CONTINUED] = False
        jumped = self.flow.jumped()
        if jumped is True:
            return
        if jumped is False:
            self._passes(node, source, position + 1)
            return

        def rest() -> None:
            for flag in FLAGS:
                if flag in self.state.env:
                    self.state.env[flag] = False
            self._passes(node, source, position + 1)

        self.flow.branch(jumped, lambda: None, rest, node)


def _hidden(env: dict, prefix: str) -> str:
    """A hidden name ``prefix N>`` not bound in ``env`` (the lowest ``N``:
    the same program gets the same names)."""
    for number in itertools.count():
        name = f"{prefix} {number}>"
        if name not in env:
            return name
    raise AssertionError("unreachable")


def _hashable(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _holds_keys(items: Any) -> bool:
    """Whether a local sequence holds dicts, strings, None or other
    non-numeric constants at any depth: items a loop over a list known at
    run time could not use as keys."""
    for item in items:
        if isinstance(item, dict) or isinstance(item, (str, bytes)) or item is None:
            return True
        if isinstance(item, (tuple, list)) and _holds_keys(item):
            return True
    return False
