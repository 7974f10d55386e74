"""Variadic calls and parameters: ``f(*args)``, ``f(**kw)``, ``def h(*xs, **kw)``.

Local tuples, lists and dicts are compile-time structures, so a starred
argument of one spreads into as many arguments as it has items (a dict,
its keys, as Python iterates it), and ``**d`` into one keyword per key.
The call is then lowered as if written out: :func:`spread_call` rewrites
it into a call whose arguments read the items back from hidden names.

A nested ``def`` or ``lambda`` with ``*args``, ``**kwargs``, keyword-only
or positional-only parameters binds its arguments as Python does
(:func:`bind_nested`): the ``*args`` parameter is a tuple of them, the
``**kwargs`` one a dict.

Example: with ``t = (a, b)``, ``np.add(*t)`` is lowered as
``np.add(<star>[0], <star>[1])``, where ``<star>`` is bound to ``t``.
"""

from __future__ import annotations

import ast
import inspect
import itertools
from contextlib import contextmanager
from typing import Any, Iterator

from ..errors import UnsupportedSyntaxError
from .state import State


def has_spread(node: ast.Call) -> bool:
    """Whether a call has ``*args`` or ``**kwargs`` arguments."""
    return any(isinstance(arg, ast.Starred) for arg in node.args) or any(
        kw.arg is None for kw in node.keywords
    )


@contextmanager
def spread_call(state: State, expressions: Any, node: ast.Call) -> Iterator[ast.Call]:
    """The call ``node`` with its ``*`` and ``**`` arguments spread out.

    Guarantees: each ``*seq`` is a local tuple, list or dict (refused
    otherwise: its length is not known when compiling), each ``**d`` a
    local dict with string keys; they are evaluated once, left to right,
    with the other arguments; while the ``with`` runs, the rewritten call
    reads their items from hidden names, removed after it."""
    hidden: list[str] = []
    args: list[ast.expr] = []
    keywords: list[ast.keyword] = []

    def held(value_node: ast.expr) -> str:
        name = next(
            f"<comprehension spread {n}>"
            for n in itertools.count()
            if f"<comprehension spread {n}>" not in state.env
        )
        state.env[name] = expressions.operand(value_node)
        hidden.append(name)
        return name

    def read(name: str, key: Any, at: ast.AST) -> ast.expr:
        item = ast.Subscript(ast.Name(name, ast.Load()), ast.Constant(key), ast.Load())
        for sub in ast.walk(item):
            ast.copy_location(sub, at)
        return item

    try:
        for arg in node.args:
            if not isinstance(arg, ast.Starred):
                args.append(arg)
                continue
            name = held(arg.value)
            value = state.env[name]
            if isinstance(value, dict):
                args.extend(ast.copy_location(ast.Constant(k), arg) for k in value)
            elif isinstance(value, (tuple, list)):
                args.extend(read(name, k, arg) for k in range(len(value)))
            else:
                raise state.parsed.unsupported(
                    "*args in a call of a value known only at run time "
                    "(its length is not known when compiling)",
                    arg,
                    "spread a tuple or list built in the function or passed "
                    "to it, or pass the arguments one by one",
                )
        for kw in node.keywords:
            if kw.arg is not None:
                keywords.append(kw)
                continue
            name = held(kw.value)
            value = state.env[name]
            if not isinstance(value, dict) or not all(
                isinstance(key, str) for key in value
            ):
                raise state.parsed.unsupported(
                    "**kwargs in a call of something other than a local dict "
                    "with string keys",
                    kw.value,
                    "spread a dict built in the function or passed to it, or "
                    "pass keyword arguments by name",
                )
            for key in value:
                if any(other.arg == key for other in keywords):
                    raise state.parsed.error(
                        UnsupportedSyntaxError,
                        f"this call got multiple values for keyword argument {key!r}",
                        kw.value,
                    )
                keywords.append(ast.keyword(key, read(name, key, kw.value)))
        call = ast.copy_location(ast.Call(node.func, args, keywords), node)
        call.end_lineno, call.end_col_offset = node.end_lineno, node.end_col_offset
        yield call
    finally:
        for name in hidden:
            state.env.pop(name, None)
            state.stale.pop(name, None)


def plain_parameters(params: ast.arguments) -> bool:
    """Whether a nested function's parameters are all plain positional ones."""
    return not (
        params.vararg or params.kwarg or params.kwonlyargs or params.posonlyargs
    )


def bind_nested(
    state: State,
    name: str,
    params: ast.arguments,
    defaults: list[Any],
    kw_defaults: list[Any],
    args: tuple,
    kwargs: dict,
    node: ast.AST,
) -> dict[str, Any]:
    """The local names of a nested function ``name`` called with ``args``
    and ``kwargs``, bound as Python binds them: ``*args`` a tuple of the
    extra positional arguments, ``**kwargs`` a dict of the extra keywords,
    defaults (``defaults`` of the positional parameters, ``kw_defaults``
    of the keyword-only ones, None where there is none) where nothing was
    passed. A call Python would refuse is an error naming the function."""
    kinds = inspect.Parameter
    positional = params.posonlyargs + params.args
    first_default = len(positional) - len(defaults)
    parameters = []
    for index, arg in enumerate(positional):
        kind = (
            kinds.POSITIONAL_ONLY
            if index < len(params.posonlyargs)
            else kinds.POSITIONAL_OR_KEYWORD
        )
        default = (
            defaults[index - first_default] if index >= first_default else kinds.empty
        )
        parameters.append(kinds(arg.arg, kind, default=default))
    if params.vararg:
        parameters.append(kinds(params.vararg.arg, kinds.VAR_POSITIONAL))
    for arg, default in zip(params.kwonlyargs, kw_defaults):
        parameters.append(
            kinds(
                arg.arg,
                kinds.KEYWORD_ONLY,
                default=kinds.empty if default is _NO_DEFAULT else default,
            )
        )
    if params.kwarg:
        parameters.append(kinds(params.kwarg.arg, kinds.VAR_KEYWORD))
    signature = inspect.Signature(parameters)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        spelled = ", ".join(str(p).split("=")[0] for p in parameters)
        raise state.parsed.error(
            UnsupportedSyntaxError,
            f"this call of {name}: {exc}",
            node,
            f"pass the arguments {name}({spelled}) takes",
        ) from None
    bound.apply_defaults()
    return dict(bound.arguments)


#: A keyword-only parameter without a default (``kw_defaults`` holds None).
_NO_DEFAULT = object()


def keyword_defaults(expressions: Any, params: ast.arguments) -> list[Any]:
    """The defaults of a nested function's keyword-only parameters, lowered
    (:data:`_NO_DEFAULT` where there is none)."""
    return [
        _NO_DEFAULT if default is None else expressions.operand(default)
        for default in params.kw_defaults
    ]
