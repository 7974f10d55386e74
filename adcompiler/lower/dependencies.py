"""Dependency recording: what a compilation read from outside the function.

A compiled function is valid while everything its lowering read from
outside is as it was (see :class:`frontend.Dependencies`). The lowering
records it here, in the :class:`State`: each global, closure or builtin
name resolved, with the object it denoted; each attribute chain read from
such an object (``settings.SCALE``, ``Config.scale``, ``model.act``), with
the object it gave; the generated code of each gradient function called,
with how it was obtained; and each user function inlined or called, with
its own record. The function's code and defaults are recorded with them.
:func:`recorded` gives the :class:`~frontend.Dependencies` the cache checks
before each reuse.
"""

from __future__ import annotations

from typing import Any

from ..callables import Lowered
from ..frontend import Dependencies, Derived, is_missing, resolve_global
from .state import State


def resolve(state: State, ident: str) -> Any:
    """The object a non-local name denotes (recorded for the cache)."""
    obj = resolve_global(state.fn, ident)
    if not is_missing(obj):
        state.resolved[ident] = obj
    return obj


def record_attribute(state: State, path: tuple, obj: Any) -> None:
    """``path`` (a name then attribute names), read from the function's
    namespace, gave ``obj`` (recorded for the cache, after what its base
    gave: the check reads the chain as the code did)."""
    key: Any = path[0]
    if key not in state.resolved:
        state.resolved[key] = resolve_global(state.fn, key)
    for index in range(2, len(path)):  # each base, as the chain read it
        base, key = state.resolved[key], path[:index]
        if key not in state.resolved:
            state.resolved[key] = getattr(base, path[index - 1])
    state.resolved[path] = obj


def record_derived(state: State, compute: Any, args: tuple, obj: Any) -> None:
    """``compute(*args)`` gave ``obj``, which the code was compiled from
    (the generated code of a gradient function called here): recompile
    when it gives another."""
    state.resolved[Derived(compute, args)] = obj


def record_inlined(state: State, fn: Any) -> None:
    """``fn``'s body was lowered in place (with ``state.resolved`` its own)."""
    state.callees.append((fn, Dependencies(fn, state.resolved)))


def record_called(state: State, fn: Any, callee: Lowered) -> None:
    """``fn`` is called, and its lowering ``callee`` was read at the call."""
    state.callees.append((fn, callee.dependencies()))


def recorded(state: State) -> Dependencies:
    """What the compilation read from outside (see :class:`frontend.Dependencies`)."""
    return Dependencies(state.fn, state.resolved, state.callees)
