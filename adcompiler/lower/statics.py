"""Static parameters (``axis``, ``ord``, ``offset``, ``keepdims``, ...)
given by globals and closure variables.

A rule reads its static parameters as Python objects at compile time. A
global or closure variable holding a number, a string, None or a bool is a
*free value* of the graph; the compiled code is kept only while the name
still gives an equal object (:class:`frontend.Dependencies` checks it
before each reuse), so its object may stand for it: it is passed to the
rule as a constant. A parameter of the function, or a value computed from
one, is still a run-time value, which :class:`.ops.Ops` refuses there
naming the parameters it was computed from (:func:`parameter_sources`):
a transformation called with values for them compiles again, specialised
on those values (:mod:`adcompiler.specialise`), each then a constant.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ir import Value, tree_map, tree_values, walk
from ..primitives.registry import Primitive


def _atom(obj: Any) -> bool:
    return obj is None or isinstance(obj, (str, bool, numbers.Number))


def _constant(leaf: Any) -> Any:
    if isinstance(leaf, Value) and leaf.kind == "free" and _atom(leaf.obj):
        obj = leaf.obj
        return obj.item() if isinstance(obj, np.generic) else obj
    return leaf


def compile_time_statics(prim: Primitive, args: tuple, kwargs: dict) -> tuple:
    """``(args, kwargs)`` with each free value of an atom (a global or
    closure variable holding a number, string, None or bool) inside a
    static parameter of ``prim`` replaced by its object."""
    if not prim.static or prim.signature is None:
        return args, kwargs
    names = []
    for param in prim.signature.parameters.values():
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            break  # *args and keyword-only parameters are not positions
        names.append(param.name)
    args = list(args)
    for k, arg in enumerate(args):
        if k < len(names) and names[k] in prim.static:
            args[k] = tree_map(_constant, arg)
    kwargs = {
        name: tree_map(_constant, value) if name in prim.static else value
        for name, value in kwargs.items()
    }
    return tuple(args), kwargs


def parameter_sources(tree: Any, params: list, blocks: list) -> tuple[int, ...]:
    """The positions in ``params`` (a graph's parameters) of the parameters
    the values of ``tree`` are computed from, following the ops of
    ``blocks``; ``()`` when they depend on anything else too (a global
    array, a loop variable, an op not found)."""
    position = {id(p): k for k, p in enumerate(params)}
    made_by: dict[int, Any] = {}
    for block in blocks:
        for op in walk(block):
            for out in op.defs():
                made_by.setdefault(id(out), op)
    found: set[int] = set()
    seen: set[int] = set()
    pending = list(tree_values(tree))
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if value.kind == "param":
            if id(value) not in position:
                return ()
            found.add(position[id(value)])
            continue
        op = made_by.get(id(value))
        if value.kind != "op" or op is None:
            return ()
        sources = [src for defined, src in op.flows() if value in defined]
        if not sources:
            return ()
        for src in sources:
            pending.extend(src)
    return tuple(sorted(found))
