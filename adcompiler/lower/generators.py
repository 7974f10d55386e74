"""Generator functions, consumed where they are called.

A generator function (a ``def`` with ``yield``, module-level or nested)
called in differentiated code, its result consumed there (by ``sum``,
``list``, ``zip``, ``max``, a ``for`` or a comprehension), is the list of
what it yields: its body is inlined with each ``yield v`` appending ``v``
to a new list, ``yield from it`` appending each item of ``it``, and a
``return`` ending it (:func:`as_list_builder`). Python runs a generator
lazily and the consumer may stop early; here it runs to its end first,
which gives the same items when it ends by itself.

Refused, with a message: ``yield`` used as a value (``x = yield v``, a
value sent in), a ``while True:`` loop the generator never leaves (an
infinite generator), a generator kept in a variable (consumed once in
Python, a list here), a generator calling itself.

Example: ``def pairs(xs): for x in xs: yield x * 2`` called as
``sum(pairs(vs))`` is lowered as ``items = []``, ``for x in vs:
items.append(x * 2)``, ``sum(items)``.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
import types
from typing import Any

from ..frontend import ParsedFunction, parse_function
from .state import State

#: The hidden name of the list a generator's body appends to.
ITEMS = "<comprehension generated>"


def is_generator(fn: Any) -> bool:
    """Whether ``fn`` is a generator function (its body yields)."""
    return isinstance(fn, types.FunctionType) and bool(
        fn.__code__.co_flags & inspect.CO_GENERATOR
    )


def is_generator_definition(node: ast.AST) -> bool:
    """Whether a nested ``def`` yields (in its own body, not a nested one's)."""
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(sub, (ast.Yield, ast.YieldFrom)) for sub in _own_nodes(node.body)
    )


def _own_nodes(nodes: list[ast.AST]) -> list[ast.AST]:
    """The nodes of ``nodes``, not descending into nested functions and classes."""
    found: list[ast.AST] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        ):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def refuse_kept(state: State, what: str, node: ast.AST, hint: str | None) -> None:
    """Refuse a generator (or generator expression) bound to a name: Python
    consumes it once, the list it is here could be read twice."""
    if hint is not None:
        raise state.parsed.unsupported(
            f"keeping {what} in a variable (Python consumes it once)",
            node,
            "consume it where it is made: sum(...), list(...), "
            "for v in ..., or keep list(...) of it",
        )


def as_list_builder(
    parsed: ParsedFunction, definition: ast.FunctionDef
) -> ast.FunctionDef:
    """A copy of the generator ``definition`` (in the source of ``parsed``)
    that returns the list of what it yields (see the module's docstring);
    refused constructs raise, placed in that source."""
    new = copy.deepcopy(definition)
    for sub in _own_nodes(new.body):
        if isinstance(sub, (ast.Yield, ast.YieldFrom)) and not _is_statement(
            sub, new.body
        ):
            raise parsed.unsupported(
                "yield used as a value (a value sent into the generator)",
                sub,
                "yield as a statement (`yield v`), and pass values as arguments",
            )
        if isinstance(sub, ast.While) and _forever(sub):
            raise parsed.unsupported(
                "an infinite generator (a `while True:` loop it never leaves)",
                sub,
                "give the loop an end (a condition, a break or a return), "
                "or yield from a range",
            )
    new.body = _rewritten(new.body)
    start = ast.Assign([ast.Name(ITEMS, ast.Store())], ast.List([], ast.Load()))
    end = ast.Return(ast.Name(ITEMS, ast.Load()))
    _place(start, definition.body[0])
    _place(end, definition.body[-1])
    new.body = [start, *new.body, end]
    return new


def _is_statement(node: ast.AST, body: list[ast.stmt]) -> bool:
    """Whether a yield is the whole of an expression statement."""
    return any(
        isinstance(stmt, ast.Expr) and stmt.value is node for stmt in _own_nodes(body)
    )


def _forever(loop: ast.While) -> bool:
    """A ``while`` whose test is a true constant and whose body never leaves it."""
    if not (isinstance(loop.test, ast.Constant) and loop.test.value):
        return False
    for sub in _own_nodes(loop.body):
        if isinstance(sub, ast.Return):
            return False
        if isinstance(sub, ast.Break) and not _in_inner_loop(sub, loop.body):
            return False
    return True


def _in_inner_loop(target: ast.AST, body: list[ast.stmt]) -> bool:
    """Whether ``target`` lies in a loop nested in ``body``."""
    for stmt in _own_nodes(body):
        if isinstance(stmt, (ast.For, ast.While)) and any(
            sub is target for sub in _own_nodes(stmt.body + stmt.orelse)
        ):
            return True
    return False


def _rewritten(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` with ``yield v`` as an append, ``yield from it`` as a loop of
    appends and ``return`` as the return of the list (in place, at every
    depth but nested functions)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Yield):
            value = stmt.value.value or ast.Constant(None)
            out.append(_place(_append(value), stmt))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.YieldFrom):
            item = f"<comprehension yielded {stmt.lineno}:{stmt.col_offset}>"
            loop = ast.For(
                ast.Name(item, ast.Store()),
                stmt.value.value,
                [_append(ast.Name(item, ast.Load()))],
                [],
            )
            out.append(_place(loop, stmt))
        elif isinstance(stmt, ast.Return):
            out.append(_place(ast.Return(ast.Name(ITEMS, ast.Load())), stmt))
        else:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and not isinstance(
                    stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                ):
                    setattr(stmt, field, _rewritten(inner))
            out.append(stmt)
    return out


def _append(value: ast.expr) -> ast.stmt:
    call = ast.Call(
        ast.Attribute(ast.Name(ITEMS, ast.Load()), "append", ast.Load()), [value], []
    )
    return ast.Expr(call)


def _place(new: ast.AST, old: ast.AST) -> ast.AST:
    """``new`` and its parts placed at ``old`` (where they have no place)."""
    for sub in ast.walk(new):
        if not hasattr(sub, "lineno") or sub.lineno is None:
            ast.copy_location(sub, old)
            if hasattr(old, "end_lineno"):
                sub.end_lineno = old.end_lineno
                sub.end_col_offset = old.end_col_offset
    return new


def inline_generator(
    state: State,
    inliner: Any,
    fn: types.FunctionType,
    args: tuple,
    kwargs: dict,
    node: ast.AST,
    hint: str | None,
) -> Any:
    """A call of the module-level generator function ``fn``: the list of
    what it yields, its body inlined (see the module's docstring)."""
    refuse_kept(state, f"the generator {fn.__qualname__}(...)", node, hint)
    if any(fn is outer.fn for outer in state.inline_stack):
        raise state.parsed.unsupported(
            f"the generator {fn.__qualname__} calling itself",
            node,
            "write the recursion as a loop",
        )
    parsed = parse_function(fn)
    definition = as_list_builder(parsed, parsed.node)
    parsed = dataclasses.replace(parsed, node=definition, within=fn.__qualname__)
    return inliner.inline_function(
        parsed, definition.body, None, args, kwargs, node, None
    )
