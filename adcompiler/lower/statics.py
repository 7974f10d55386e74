"""Static parameters (``axis``, ``ord``, ``offset``, ``keepdims``, ...)
given by globals and closure variables.

A rule reads its static parameters as Python objects at compile time. A
global or closure variable holding a number, a string, None or a bool is a
*free value* of the graph; the compiled code is kept only while the name
still gives an equal object (:class:`frontend.Dependencies` checks it
before each reuse), so its object may stand for it: it is passed to the
rule as a constant. A parameter of the function, or a value computed from
one, is still a run-time value, which :class:`.ops.Ops` refuses there.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ir import Value, tree_map
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
