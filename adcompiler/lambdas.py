"""Lambdas as functions to transform: ``grad(lambda w: loss(w, X, y))``.

A lambda has no source of its own: it is an expression somewhere in a
line. :func:`parse_lambda` finds it in its file (the whole file parsed, so
a lambda on a continuation line is found too), tells it apart from the
other lambdas of its line by where its code's instructions are
(``co_positions``), and makes it the ``def`` the rest of the pipeline
reads: ``def lambda_(params): return <body>``.

Guarantees: the ``ParsedFunction`` returned is of exactly the lambda given
(the one whose span holds every position its code object records, the
innermost if several do, with its parameter names); its locations are the
lambda's real ``file:line:col``; a lambda that cannot be told apart from
another, or whose file cannot be read, raises
:class:`SourceUnavailableError` saying so.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import types

from .errors import SourceUnavailableError

#: The name of a lambda's ``def`` (``<lambda>`` is no identifier).
LAMBDA_NAME = "lambda_"

#: parsed files by ``(file, source)``: the lambdas of one file are read from one parse
_PARSED: dict[tuple[str, str], ast.Module | None] = {}


def _module(file: str, source: str) -> ast.Module | None:
    key = (file, source)
    if key not in _PARSED:
        if len(_PARSED) >= 64:
            _PARSED.clear()
        try:
            _PARSED[key] = ast.parse(source)
        except (SyntaxError, ValueError):
            _PARSED[key] = None
    return _PARSED[key]


_LAMBDAS: dict[int, tuple[ast.Module, dict[int, list[ast.Lambda]]]] = {}


def _lambdas_at(module: ast.Module) -> dict[int, list[ast.Lambda]]:
    """The lambdas of a parsed module, by first line (one walk per module:
    a file of many lambdas is not walked once per lambda)."""
    found = _LAMBDAS.get(id(module))
    if found is None or found[0] is not module:
        if len(_LAMBDAS) >= 64:
            _LAMBDAS.clear()
        lines: dict[int, list[ast.Lambda]] = {}
        for node in ast.walk(module):
            if isinstance(node, ast.Lambda):
                lines.setdefault(node.lineno, []).append(node)
        found = _LAMBDAS[id(module)] = (module, lines)
    return found[1]


def _span(code: types.CodeType) -> tuple[tuple, tuple] | None:
    """The first and last ``(line, col)`` of the instructions of ``code``
    that have a position (None when none has, as before Python 3.11)."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return None
    starts, ends = [], []
    for line, end_line, col, end_col in positions():
        if None in (line, end_line, col, end_col) or (line, col) == (end_line, end_col):
            continue  # no position (or an empty one: the frame's set-up)
        starts.append((line, col))
        ends.append((end_line, end_col))
    if not starts:
        return None
    return min(starts), max(ends)


def _holds(node: ast.Lambda, span: tuple[tuple, tuple]) -> bool:
    """Whether ``node``'s source span holds ``span``."""
    start, end = span
    return (node.lineno, node.col_offset) <= start and end <= (
        node.end_lineno,
        node.end_col_offset,
    )


def _params(node: ast.Lambda) -> list[str]:
    """The parameter names of a lambda, in its code's ``co_varnames`` order."""
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def _code_params(code: types.CodeType) -> list[str]:
    """The parameter names of a code object."""
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & inspect.CO_VARARGS)
    count += bool(code.co_flags & inspect.CO_VARKEYWORDS)
    return list(code.co_varnames[:count])


def find_lambda(fn: types.FunctionType) -> tuple[ast.Lambda, list[str]]:
    """The ``Lambda`` node of ``fn`` in its file, and the file's lines."""
    code = fn.__code__
    file = code.co_filename
    linecache.checkcache(file)
    lines = linecache.getlines(file, fn.__globals__)
    where = f"{file}:{code.co_firstlineno}"
    if not lines:
        raise SourceUnavailableError(
            f"cannot read the source of the lambda at {where}",
            hint="define the function in a file (functions typed at the "
            "interactive prompt have no source to read)",
        )
    module = _module(file, "".join(lines))
    if module is None:
        raise SourceUnavailableError(
            f"cannot parse the file of the lambda at {where}",
            hint="define it with def",
        )
    params = _code_params(code)
    candidates = [
        node
        for node in _lambdas_at(module).get(code.co_firstlineno, ())
        if _params(node) == params
    ]
    span = _span(code)
    if span is not None:
        candidates = [node for node in candidates if _holds(node, span)]
        # a lambda inside another: the outer one's span holds it too
        candidates = [
            node
            for node in candidates
            if not any(
                _holds(node, _node_span(other))
                for other in candidates
                if other is not node
            )
        ]
    if len(candidates) != 1:
        found = "no lambda" if not candidates else f"{len(candidates)} lambdas"
        raise SourceUnavailableError(
            f"cannot tell which lambda of {where} this is ({found} there "
            f"take the parameters ({', '.join(params)}))",
            hint="put it on a line of its own, or define it with def",
        )
    return candidates[0], lines


def _node_span(node: ast.Lambda) -> tuple[tuple, tuple]:
    return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)


def lambda_definition(node: ast.Lambda) -> ast.FunctionDef:
    """``def lambda_(<node's parameters>): return <node's body>``, at the
    lambda's place in its file."""
    returned = ast.Return(node.body)
    ast.copy_location(returned, node.body)
    definition = ast.FunctionDef(
        name=LAMBDA_NAME,
        args=node.args,
        body=[returned],
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    if "type_params" in ast.FunctionDef._fields:  # Python >= 3.12
        definition.type_params = []
    return ast.copy_location(definition, node)
