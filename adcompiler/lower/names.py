"""Name resolution: what a name denotes where it is read.

A local name denotes what the environment binds it to (an operand tree);
any other name is resolved in the function's globals, closure and
builtins, and recorded (see :mod:`.dependencies`) with the object it
denoted. Data (numbers, arrays) become free values of the graph; global
containers are read item by item at the function's start, like a
parameter; anything else (a module, a function, a class) is a
:class:`Static`, a compile-time object. Reading a name an in-place change
made stale, or one unbound on some path, is an error.
"""

from __future__ import annotations

import ast
import numbers
import types
from typing import Any

import numpy as np

from ..errors import UnsupportedSyntaxError
from ..frontend import is_missing
from ..ir import Value, is_literal
from ..trees import (
    LEAF,
    Constant,
    Fixed,
    Node,
    argument_structure,
    keys_of,
    leaves,
    object_tree,
    static_tuple,
    structure,
)
from .. import runtime
from . import dependencies
from .objects import is_user_object
from .ops import Ops
from .state import MISSING, RUNTIME_SEQUENCE, State, Static


class Names:
    """Resolves names and spells compile-time objects as operands.

    Guarantees: :meth:`name` returns an operand tree, a literal or a
    :class:`Static`, never :data:`MISSING`; every non-local name it reads
    is in ``State.resolved``.
    """

    def __init__(self, state: State, ops: Ops):
        self.state = state
        self.ops = ops

    def unpack_tree(self, value: Value, shape: Any, name: str) -> Any:
        """A container argument as a compile-time structure of its leaves."""
        if shape is LEAF:
            return value
        if isinstance(shape, Fixed) and shape.obj is None:  # None: a constant
            return None
        if isinstance(shape, Fixed):  # a function: a constant here
            return Static(shape.obj)
        if isinstance(shape, Constant):  # specialised on its value
            return shape.obj
        if shape == RUNTIME_SEQUENCE:  # a list only known at run time
            value.container = None
            return value
        value.container = True
        items = {}
        names = shape[0].names if isinstance(shape[0], Node) else None
        for key, child in keys_of(shape):
            hint = f"{name}_{key}" if isinstance(key, int) else str(key)
            if names:  # an object's field: p_W for p.W
                hint = f"{name}_{names[key]}"
            if not hint.isidentifier():
                hint = f"{name}_item"
            leaf = self.ops.call_prim(runtime.list_item, (value, key), {}, hint, True)
            leaf.container = False if child is LEAF else True
            items[key] = self.unpack_tree(leaf, child, hint)
        kind = shape[0]
        if kind is dict:
            return items
        if isinstance(kind, Node):  # an object: the tuple of its children
            return object_tree(kind, (items[k] for k in range(len(items))))
        return kind(items[k] for k in range(len(items)))

    def resolve(self, ident: str) -> Any:
        """The object a non-local name denotes (recorded for the cache)."""
        return dependencies.resolve(self.state, ident)

    def name(self, ident: str, node: ast.AST) -> Any:
        """What ``ident`` denotes where ``node`` reads it: its local binding,
        or the global, closure or builtin object (data as a free value, a
        container as a tree read at the function's start, anything else as a
        :class:`Static`). Stale or possibly unbound locals are errors."""
        if ident in self.state.stale:
            target, change, loc, fix = self.state.stale[ident]
            raise self.state.parsed.unsupported(
                f"reading `{ident}` after {change} at line {loc.line}"
                f" (`{target}` may share memory with `{ident}`, and the in-place"
                " change changed both)",
                node,
                fix,
            )
        if ident in self.state.env:
            value = self.state.env[ident]
            if value is MISSING:
                raise self.state.parsed.error(
                    UnsupportedSyntaxError,
                    f"`{ident}` may be used before it is assigned on some path",
                    node,
                    "assign it before the if or loop",
                )
            return value
        obj = self.resolve(ident)
        if is_missing(obj):
            raise self.state.parsed.error(
                UnsupportedSyntaxError,
                f"name `{ident}` is not defined (or used before assignment)",
                node,
            )
        if isinstance(obj, bool) or obj is None:
            return obj
        if is_data(obj):
            return self.state.graph.add_free(ident, obj)
        if static_tuple(obj):
            return obj  # immutable: the cache checks the name gives it still
        if structure(obj, objects=False) is not LEAF:
            # a global or captured list/tuple/dict: read its items at each
            # call, like a parameter's (they may have been replaced since);
            # an object is a Static, its attributes read while compiling
            if ident not in self.state.free_trees:
                free = self.state.graph.add_free(ident, obj)
                with self.state.into(
                    self.state.prologue
                ):  # read once, at the function's start
                    tree = self.unpack_tree(
                        free, argument_structure(obj, objects=False), ident
                    )
                self.state.free_trees[ident] = tree
            return self.state.free_trees[ident]
        return Static(obj, (ident,))

    def static_operand(self, obj: Any, node: ast.AST) -> Any:
        """A compile-time object used as a value: a literal, or a free value
        (modules and functions are refused)."""
        if is_literal(obj):
            return obj
        if isinstance(obj, (list, tuple, dict)) and any(
            is_user_object(leaf) for leaf in leaves(obj)
        ):
            raise self.state.parsed.unsupported(
                f"using a {type(obj).__name__} of objects (not arrays or numbers)"
                " as a value (a loop over it, an item of it at run time)",
                node,
                "call each object by name (self.layer1(x), self.layer2(x)), or "
                "keep the objects' arrays in a list or dict of parameters",
            )
        if isinstance(obj, (types.ModuleType, types.FunctionType)) or callable(obj):
            raise self.state.parsed.unsupported(
                f"using {getattr(obj, '__name__', repr(obj))} as a value",
                node,
                "call it, or pass data (arrays, numbers) instead",
            )
        return self.state.graph.add_free(_hint_of_obj(obj), obj)


def is_data(obj: Any) -> bool:
    """Whether ``obj`` is a number or an array (a free value, not an object)."""
    return isinstance(obj, (numbers.Number, np.ndarray, np.generic))


def _hint_of_obj(obj: Any) -> str:
    """The name hint of a free value."""
    return "const" if not isinstance(obj, np.ndarray) else "array"
