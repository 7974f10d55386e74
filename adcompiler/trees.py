"""Structures of nested lists, tuples and dicts (parameter trees).

A compiled gradient is specialised on the *structure* of each argument: a
plain value (an array, a number) or a list, tuple or dict of them, nested.
Inside the function the containers are compile-time structures whose
leaves are values, and a gradient has its argument's structure.
"""

from __future__ import annotations

from typing import Any, Hashable

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
