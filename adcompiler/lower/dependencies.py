"""Dependency recording: what a compilation read from outside the function.

A compiled function is valid while the objects its source named are the
same and the functions it inlined or called are unchanged. The lowering
records both here, in the :class:`State`: each global, closure or builtin
name resolved, with the object it denoted, and each user function inlined
or called, with its code and its own dependencies. :func:`recorded` gives
them in the form :func:`frontend.dependencies` defines, which the cache
checks against the function's current globals.
"""

from __future__ import annotations

from typing import Any

from ..callables import Lowered
from ..frontend import dependencies, is_missing, resolve_global
from .state import State


def resolve(state: State, ident: str) -> Any:
    """The object a non-local name denotes (recorded for the cache)."""
    obj = resolve_global(state.fn, ident)
    if not is_missing(obj):
        state.resolved[ident] = obj
    return obj


def record_inlined(state: State, fn: Any) -> None:
    """``fn``'s body was lowered in place (with ``state.resolved`` its own)."""
    state.callees.append((fn, fn.__code__, dependencies(state.resolved)))


def record_called(state: State, fn: Any, callee: Lowered) -> None:
    """``fn`` is called, and its lowering ``callee`` was read at the call."""
    state.callees.append((fn, fn.__code__, callee.dependencies()))


def recorded(state: State) -> tuple:
    """What the compilation read from outside (see :func:`frontend.dependencies`)."""
    return dependencies(state.resolved, state.callees)
