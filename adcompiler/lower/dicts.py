"""Dicts and the builtins over compile-time containers.

A local dict is a compile-time structure: its keys are constants known
when compiling, its values operand trees. So what Python computes from
the keys alone is computed here, and is a constant of the generated code:
``len(d)``, ``k in d``, ``sorted(d)``, ``list(d)``; ``d.keys()``,
``d.values()`` and ``d.items()`` are lists of the keys, values and
``(key, value)`` pairs; ``dict(a=x, b=y)``, ``dict(pairs)``,
``dict(zip(keys, values))``, ``dict(d)`` and ``d.copy()`` build new dicts;
``d.get(k, default)`` is the value or the default; ``d.update(...)``, a
statement, makes ``d`` a new dict wherever it is held, as a write does.
``zip`` and ``enumerate`` of local tuples, lists and dicts are lists of
tuples. A dict comprehension is a loop assigning into a new dict
(:func:`dict_comprehension`), which has constant keys when it loops over
a dict or a list of constants (the loop is unrolled, :mod:`.static_loops`).

What is not known when compiling stays refused with a message: a key
computed at run time, ``dict(...)`` of a value known only at run time.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any

from ..errors import UnsupportedSyntaxError
from ..ir import Value, is_literal
from .state import State

#: What :func:`static_builtin` returns for a call it does not compute.
NOT_STATIC = object()


def _local(value: Any) -> bool:
    """Whether ``value`` is a compile-time tuple, list or dict."""
    return isinstance(value, (tuple, list, dict))


#: The builtins returning an iterator.
_ITERATORS = (builtins.zip, builtins.enumerate, builtins.reversed)


def _key(value: Any) -> bool:
    """Whether ``value`` may be a key of a compile-time dict."""
    return is_literal(value) and not isinstance(value, (list, tuple, dict, slice))


def _items(value: Any) -> list:
    """The items Python iterates in a local container (a dict's keys)."""
    return list(value)


def _runtime_sequence(value: Any) -> bool:
    """Whether ``value`` is a list known only at run time."""
    return isinstance(value, Value) and value.container is not False


def _holds_structure(items: Any) -> bool:
    """Whether a sequence holds tuples, lists, dicts or strings: items a
    list known at run time would not follow (their keys, their parts)."""
    return any(isinstance(item, (tuple, list, dict, str)) for item in items)


def static_builtin(
    state: State,
    fn: Any,
    args: tuple,
    kwargs: dict,
    node: ast.AST,
    hint: str | None = None,
) -> Any:
    """A builtin of compile-time containers computed when compiling, or
    :data:`NOT_STATIC` (the call is then a primitive call, as before).

    Guarantees: the result is a new container (never one of the
    arguments), made of the arguments' items, keys and constants, and is
    what Python would compute from them. ``zip``, ``enumerate`` and
    ``reversed`` are iterators, consumed once: bound to a name (``hint``)
    they are refused."""
    if fn in _ITERATORS and hint is not None and args and _local(args[0]):
        name = fn.__name__
        raise state.parsed.unsupported(
            f"keeping {name}(...) in a variable (an iterator: Python consumes it once)",
            node,
            f"consume it where it is made (for ... in {name}(...)), or keep "
            f"list({name}(...))",
        )
    if fn is builtins.reversed and len(args) == 1 and not kwargs:
        return _reversed(state, args[0], node)
    if fn is builtins.dict:
        return _dict_call(state, args, kwargs, node)
    if kwargs and fn is not builtins.enumerate and fn is not builtins.sorted:
        return NOT_STATIC
    if fn is builtins.len and len(args) == 1 and isinstance(args[0], dict):
        return len(args[0])
    if fn is builtins.zip and args and all(_local(arg) for arg in args):
        return list(zip(*(_items(arg) for arg in args)))
    if fn is builtins.enumerate and len(args) in (1, 2) and _local(args[0]):
        start = args[1] if len(args) == 2 else kwargs.get("start", 0)
        if set(kwargs) - {"start"} or not isinstance(start, int):
            return NOT_STATIC
        return list(enumerate(_items(args[0]), start))
    if fn is builtins.tuple and len(args) == 1 and _runtime_sequence(args[0]):
        raise state.parsed.unsupported(
            "tuple(...) of a list built at run time (a comprehension or "
            "generator expression over an array, a list grown in a loop)",
            node,
            "use list(...), or index the list",
        )
    if len(args) != 1 or not _local(args[0]):
        return NOT_STATIC
    (arg,) = args
    if fn is builtins.sorted and set(kwargs) <= {"reverse"}:
        return _sorted(arg, kwargs.get("reverse", False))
    if fn in (builtins.list, builtins.tuple) and (
        isinstance(arg, dict) or fn is builtins.tuple or _holds_structure(arg)
    ):
        return fn(_items(arg))
    if fn in (builtins.any, builtins.all) and all(
        is_literal(item) and not _local(item) for item in arg
    ):
        return fn(_items(arg))
    return NOT_STATIC


def _reversed(state: State, arg: Any, node: ast.AST) -> Any:
    """``reversed`` outside a ``for``: of a local container, the list of its
    items backwards; of a ``range``, the (non-differentiable) primitive;
    of an array or a list known at run time, refused: the primitive has
    no rule, its items would get no gradient."""
    if _local(arg):
        return list(reversed(_items(arg)))
    op = getattr(arg, "op", None)
    if isinstance(arg, Value) and not (
        op is not None and getattr(op.prim, "fn", None) in (builtins.range,)
    ):
        raise state.parsed.unsupported(
            "reversed(...) of an array or a list known at run time outside a "
            "for loop (no rule follows the items through it)",
            node,
            "index backwards (x[::-1]), or iterate: for v in reversed(xs)",
        )
    return NOT_STATIC


def _sorted(arg: Any, reverse: Any) -> Any:
    """``sorted`` of keys or constants, or of ``(key, value)`` pairs whose
    keys differ (the values are then never compared)."""
    items = _items(arg)
    if not isinstance(reverse, bool):
        return NOT_STATIC
    if all(_key(item) for item in items):
        try:
            return sorted(items, reverse=reverse)
        except TypeError:
            return NOT_STATIC  # Python's TypeError: left to the primitive call
    firsts = [item[0] if isinstance(item, tuple) and item else None for item in items]
    if all(_key(first) for first in firsts) and len(set(firsts)) == len(firsts):
        try:
            order = sorted(range(len(items)), key=firsts.__getitem__, reverse=reverse)
        except TypeError:
            return NOT_STATIC
        return [items[k] for k in order]
    return NOT_STATIC


def _dict_call(state: State, args: tuple, kwargs: dict, node: ast.AST) -> dict:
    """``dict(...)``: of nothing, a local dict, a local sequence of
    ``(key, value)`` pairs with constant keys, then keywords."""
    if len(args) > 1:
        raise state.parsed.error(
            UnsupportedSyntaxError,
            f"dict expected at most 1 argument, got {len(args)}",
            node,
        )
    result: dict = {}
    if args:
        (arg,) = args
        if isinstance(arg, dict):
            result.update(arg)
        elif isinstance(arg, (tuple, list)) and all(
            isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in arg
        ):
            for key, value in arg:
                if not _key(key):
                    raise state.parsed.unsupported(
                        "a dict key computed at run time",
                        node,
                        "use constant keys (strings, numbers)",
                    )
                result[key] = value
        else:
            raise state.parsed.unsupported(
                "dict(...) of something other than a local dict or a local "
                "list of (key, value) pairs",
                node,
                "build the dict from constant keys: dict(a=x), "
                "dict(zip(['a', 'b'], [x, y])), {**d}",
            )
    result.update(kwargs)
    return result


def dict_method(
    state: State,
    base: dict,
    name: str,
    args: tuple,
    kwargs: dict,
    node: ast.Call,
    hint: str | None,
) -> Any:
    """``d.keys()``, ``d.values()``, ``d.items()`` (lists of what they would
    show now), ``d.get(k, default)`` and ``d.copy()`` on a local dict."""
    if name in ("keys", "values", "items") and not args and not kwargs:
        if hint is not None:
            # a view kept in a variable would show later changes of d
            raise state.parsed.unsupported(
                f"keeping the view `.{name}()` of a dict in a variable",
                node,
                f"iterate over d.{name}() where it is made, or keep a copy: "
                f"list(d.{name}())",
            )
        if name == "keys":
            return list(base)
        if name == "values":
            return list(base.values())
        return list(base.items())
    if name == "get" and 1 <= len(args) <= 2 and not kwargs:
        key = args[0]
        if not _key(key):
            raise state.parsed.unsupported(
                "d.get(...) with a key computed at run time",
                node,
                "use a constant key",
            )
        return base.get(key, args[1] if len(args) == 2 else None)
    if name == "copy" and not args and not kwargs:
        return dict(base)
    raise state.parsed.unsupported(
        f"the dict method `.{name}()` here",
        node,
        "supported on local dicts: keys, values, items, get, copy, and "
        "update as a statement",
    )


def membership(
    state: State, left: Any, right: Any, negate: bool, node: ast.AST
) -> bool:
    """``left in right`` (``not in``: ``negate``) for a constant ``left``
    and a local dict (its keys), tuple or list of constants: a constant."""
    if _key(left) and isinstance(right, dict):
        found = left in right
    elif (
        _key(left)
        and isinstance(right, (tuple, list))
        and all(_key(item) for item in right)
    ):
        found = left in right
    else:
        raise state.parsed.unsupported(
            "`in` of a value computed at run time, or in a container of them",
            node,
            "test a constant key of a local dict (`'w' in params`), or compare "
            "values with ==",
        )
    return found is not negate


def updated(statements: Any, call: ast.Call) -> tuple[str, dict, dict] | None:
    """For ``d.update(other, k=v)`` as a statement, on a local dict ``d``:
    ``(name, d, the dict with the other's items)``, which the statements
    bind wherever ``d`` is held (as ``d[k] = v`` does). None when the
    statement is not one."""
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr == "update"
        and isinstance(func.value, ast.Name)
        and all(kw.arg is not None for kw in call.keywords)
    ):
        return None
    current = statements.names.name(func.value.id, func.value)
    if not isinstance(current, dict):
        return None
    expressions = statements.expressions
    args = tuple(expressions.operand(arg) for arg in call.args)
    kwargs = {kw.arg: expressions.operand(kw.value) for kw in call.keywords}
    added = _dict_call(statements.state, args, kwargs, call)
    return func.value.id, current, {**current, **added}


def dict_comprehension(expressions: Any, node: ast.DictComp) -> dict:
    """``{k: v for ... in ... if ...}`` as a loop assigning ``v`` at ``k``
    into a new dict (the keys must be known when compiling: the loops are
    unrolled over dicts, local lists and tuples, and ranges of constants)."""
    state = expressions.state
    key = f"<comprehension {id(node)}>"
    names = set()
    for generator in node.generators:
        if generator.is_async:
            raise state.parsed.unsupported("async comprehensions", node, "")
        names |= {
            sub.id for sub in ast.walk(generator.target) if isinstance(sub, ast.Name)
        }
    saved = {name: state.env.get(name) for name in names}
    state.env[key] = {}
    store = ast.Subscript(ast.Name(key, ast.Load()), node.key, ast.Store())
    body: ast.stmt = ast.Assign([store], node.value)
    for generator in reversed(node.generators):
        for condition in reversed(generator.ifs):
            body = ast.If(condition, [body], [])
        body = ast.For(generator.target, generator.iter, [body], [])
        body.gives_keys = True  # unrolled over constants: see .static_loops
    for sub in ast.walk(body):
        if not hasattr(sub, "lineno"):
            ast.copy_location(sub, node)
        if isinstance(sub, ast.stmt):
            sub.end_lineno, sub.end_col_offset = node.end_lineno, node.end_col_offset
    try:
        expressions.statements.stmt(body)
        result = state.env.pop(key)
    finally:
        state.env.pop(key, None)
        for name, value in saved.items():
            if value is None:
                state.env.pop(name, None)
            else:
                state.env[name] = value
    return result


#: The comparison operators :func:`membership` computes.
MEMBERSHIP = {ast.In: False, ast.NotIn: True}
