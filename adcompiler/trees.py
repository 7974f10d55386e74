"""Structures of nested lists, tuples and dicts (parameter trees).

A compiled gradient is specialised on the *structure* of each argument: a
plain value (an array, a number) or a list, tuple or dict of them, nested.
Inside the function the containers are compile-time structures whose
leaves are values, and a gradient has its argument's structure.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Hashable

import numpy as np

#: The structure of a value that is not a container.
LEAF = None


def structure(obj: Any) -> Hashable:
    """A hashable description of ``obj``'s nesting (None for a leaf)."""
    kind = type(obj)
    if kind is list or kind is tuple:
        return (kind, tuple(structure(item) for item in obj))
    if kind is dict:
        return (dict, tuple((key, structure(item)) for key, item in obj.items()))
    return LEAF


def keys_of(shape: Hashable) -> list[tuple[Any, Hashable]]:
    """The (key, child structure) pairs of a container structure."""
    kind, children = shape
    if kind is dict:
        return list(children)
    return list(enumerate(children))


def describe(shape: Hashable) -> str:
    """Short text for a structure, for messages: ``dict(W, b)``, ``list[3]``."""
    if shape is LEAF:
        return "value"
    kind, children = shape
    if kind is dict:
        return "dict(" + ", ".join(str(key) for key, _ in children) + ")"
    return f"{kind.__name__}[{len(children)}]"


def leaves(obj: Any) -> list[Any]:
    """The leaves of a nested list, tuple or dict, in order."""
    kind = type(obj)
    if kind is list or kind is tuple:
        return [leaf for item in obj for leaf in leaves(item)]
    if kind is dict:
        return [leaf for item in obj.values() for leaf in leaves(item)]
    return [obj]


class Fixed:
    """The structure of an argument that is a function (``np.tanh``, a
    user function, a ``functools.partial``, a gradient function): code is
    compiled for that very function, a compile-time constant inside, so
    the function is part of the structure, by identity (a bound method by
    its function and object: each attribute read makes a new one). It is
    never differentiated."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def _identity(self) -> tuple:
        obj = self.obj
        if isinstance(obj, types.MethodType):
            return (id(obj.__func__), id(obj.__self__))
        return (id(obj),)

    def __eq__(self, other: object) -> bool:
        return type(other) is Fixed and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return f"Fixed({getattr(self.obj, '__qualname__', self.obj)!r})"


def is_function(obj: Any) -> bool:
    """Whether ``obj`` is a function passed as a value (a :class:`Fixed`
    structure): a Python or builtin function, a ufunc, a partial, a bound
    method, or anything adcompiler made of a function (gradients,
    checkpoints). Classes and other callable objects are not."""
    return isinstance(obj, _FUNCTIONS) or (
        callable(obj)
        and not isinstance(obj, type)
        and hasattr(obj, "__wrapped__")
        and type(obj).__module__.startswith("adcompiler")
    )


_FUNCTIONS = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
    np.ufunc,
)


def argument_structure(obj: Any) -> Hashable:
    """:func:`structure`, with each function in ``obj`` a :class:`Fixed`
    (what a call key and a callee's specialisation know of an argument)."""
    if is_function(obj):
        return Fixed(obj)
    kind = type(obj)
    if kind is list or kind is tuple:
        return (kind, tuple(argument_structure(item) for item in obj))
    if kind is dict:
        return (dict, tuple((k, argument_structure(v)) for k, v in obj.items()))
    return LEAF
