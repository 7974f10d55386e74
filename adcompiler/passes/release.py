"""Releasing arrays as soon as generated code no longer reads them.

Generated code writes one operation per line, so every intermediate has a
name, and a Python name keeps its array alive until the function returns.
Hand-written NumPy keeps temporaries inside expressions, where they are
freed at once. On large arrays the difference is the speed of the memory
system: a gradient that holds twenty 8 MB arrays touches fresh pages on
every call, where one that frees them reuses the same few.

This pass works on the generated source (before black formats it). In each
generated function, after the top-level statement that reads a local name
for the last time, it adds ``del name``. Only names every path has bound
are released: those a top-level assignment defines before that statement
(a name bound only inside a loop or a branch may be unbound there). Inside
a loop body, the names one iteration binds and reads, and nothing else
does, are released the same way after their last read in the body.
Parameters, names the ``return`` reads, names used inside nested
functions, lambdas or comprehensions, and names that hold only shapes or
numbers (:func:`small_names`: releasing them frees nothing worth a line)
are left alone.

Example::

    exp = np.exp(mul)
    del mul
    y = sin * exp
    del sin
"""

from __future__ import annotations

import ast
import builtins
import operator
from typing import Collection


from .. import runtime
from ..ir import Graph, Op, Value
from .cse import SHAPE_FUNCTIONS
from .scalars import COMPARISONS

_NESTED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


#: Functions whose result is a shape, a rank, a size or a subscript string.
_SHAPE_RESULTS = SHAPE_FUNCTIONS + (builtins.len,)

#: Operations whose result is small when every operand is.
_SMALL_IF_OPERANDS = (
    operator.getitem,
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.neg,
    *COMPARISONS,
    runtime.make_tuple,
)


def small_names(graph: Graph) -> set[str]:
    """Names in ``graph``'s generated code that only ever hold numbers or
    shapes (scalars, ``np.shape`` results, items and arithmetic of those)."""
    small: set[Value] = set()
    every: dict[str, list[Value]] = {}
    for op in graph.walk():
        for value in op.outs:
            every.setdefault(graph.display_name(value), []).append(value)
            if value.scalar:
                small.add(value)
        if isinstance(op, Op):
            fn = op.prim.fn
            if fn in _SHAPE_RESULTS or (
                fn in _SMALL_IF_OPERANDS and all(v in small for v in op.inputs())
            ):
                small.add(op.out)
    return {name for name, values in every.items() if all(v in small for v in values)}


def release_dead_names(source: str, small: Collection[str] = ()) -> str:
    """``source`` with ``del`` statements releasing each generated function's
    locals after their last read (not the ``small`` names); every function
    computes what it did."""
    tree = ast.parse(source)
    lines = source.split("\n")
    inserts: list[tuple[int, str]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            inserts.extend(_function_releases(node, set(small)))
    for after, text in sorted(inserts, reverse=True):
        lines.insert(after, text)
    return "\n".join(lines)


def _names(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _bound(statement: ast.stmt) -> set[str]:
    """Names a simple top-level statement surely binds."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        targets = [statement.target]
    else:
        return set()
    return {
        n.id
        for target in targets
        for n in ast.walk(target)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _function_releases(fn: ast.FunctionDef, small: set[str]) -> list[tuple[int, str]]:
    body = fn.body
    if not body or not isinstance(body[-1], ast.Return):
        return []
    arguments = fn.args
    keep = {
        a.arg
        for a in arguments.posonlyargs
        + arguments.args
        + arguments.kwonlyargs
        + [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    }
    # one walk of each top-level statement, whose names serve every count
    names_of = [_names(statement) for statement in body]
    keep.update(names_of[-1])
    keep.update(small)
    loops = []
    for node in ast.walk(fn):
        if node is not fn and isinstance(node, _NESTED):
            keep.update(_names(node))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            keep.update(node.names)
        elif isinstance(node, (ast.For, ast.While)):
            loops.append(node)
    bound: set[str] = set()
    first_bound: dict[str, int] = {}
    last_read: dict[str, int] = {}
    order: dict[str, int] = {}
    for i, statement in enumerate(body[:-1]):
        for name in names_of[i]:
            last_read[name] = i
            order.setdefault(name, len(order))
        for name in _bound(statement):
            if name not in bound:
                bound.add(name)
                first_bound[name] = i
    releases: dict[int, list[str]] = {}
    for name, i in last_read.items():
        if name in keep or name not in first_bound or first_bound[name] > i:
            continue
        releases.setdefault(i, []).append(name)
    inserts = _deletions(body, releases, order)
    # every name of the function: its statements', then the rest (arguments'
    # defaults and annotations, decorators)
    counts: dict[str, int] = {}
    statements = {id(statement) for statement in body}
    outside = [
        _names(child)
        for child in ast.iter_child_nodes(fn)
        if id(child) not in statements
    ]
    for names in names_of + outside:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    for loop in loops:
        inserts.extend(_loop_releases(loop.body, keep, counts))
    return inserts


def _deletions(
    body: list[ast.stmt], releases: dict[int, list[str]], order: dict[str, int]
) -> list[tuple[int, str]]:
    inserts = []
    for i, names in releases.items():
        statement = body[i]
        indent = " " * statement.col_offset
        names.sort(key=order.__getitem__)
        inserts.append((statement.end_lineno, f"{indent}del {', '.join(names)}"))
    return inserts


def _loop_releases(
    body: list[ast.stmt], keep: set[str], counts: dict[str, int]
) -> list[tuple[int, str]]:
    """``del`` of the names one iteration of a loop body makes and reads, after
    their last read: names every iteration binds first (a top-level
    assignment of the body that does not read them), that appear nowhere
    else in the function (not carried to the next iteration, not read after
    the loop). Without it, each iteration's arrays live on until the next
    iteration rebinds their names: twice the memory hand-written code uses."""
    inside: dict[str, int] = {}
    first_bound: dict[str, int] = {}
    first_read: dict[str, int] = {}
    last_read: dict[str, int] = {}
    order: dict[str, int] = {}
    for i, statement in enumerate(body):
        stored = _bound(statement) if not isinstance(statement, ast.Return) else set()
        for node in ast.walk(statement):
            if not isinstance(node, ast.Name):
                continue
            name = node.id
            inside[name] = inside.get(name, 0) + 1
            order.setdefault(name, len(order))
            if isinstance(node.ctx, ast.Load):
                first_read.setdefault(name, i)
                last_read[name] = i
        for name in stored:
            first_bound.setdefault(name, i)
    releases: dict[int, list[str]] = {}
    for name, i in last_read.items():
        bound_at = first_bound.get(name)
        if (
            name in keep
            or bound_at is None
            or bound_at >= first_read[name]  # read before (or while) bound
            or inside[name] != counts.get(name, 0)  # seen outside the body
            or name in _renamed(body[i])  # it lives on under another name
        ):
            continue
        releases.setdefault(i, []).append(name)
    return _deletions(body, releases, order)


def _renamed(statement: ast.stmt) -> set[str]:
    """Names an assignment hands on as they are (``a, b = c, d``)."""
    if not isinstance(statement, ast.Assign):
        return set()
    value = statement.value
    items = value.elts if isinstance(value, ast.Tuple) else [value]
    return {item.id for item in items if isinstance(item, ast.Name)}
