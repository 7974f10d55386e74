"""Calls of the user's own functions inside differentiated code.

A called function is transformed in turn, once per structure of its
arguments and set of differentiated arguments, and cached: a
:class:`SplitFunction` runs its forward half (``forward``: the result and
what its backward reads) and its backward half (``backward``: the adjoints
of its differentiated arguments, given the adjoints of its result).
Recursion works: a function being compiled refers to its own split, which
it completes before it is first called.

Guarantees: every entry is checked against the function's current code
and globals on each forward call (as :mod:`adcompiler.api` does), and a
backward call always runs the backward of the entry whose forward produced
the saved values it is given.
"""

from __future__ import annotations

import os
import threading
import types
import weakref
from typing import Any, Callable

from .codegen import generate_split
from .frontend import dependencies, parse_function, unchanged
from .ir import Graph, tree_leaves
from .lower import Lowering, lower
from .reverse import reverse

_lock = threading.RLock()
_in_progress: set[tuple] = set()
_primal_cache: "weakref.WeakKeyDictionary[types.FunctionType, dict]" = (
    weakref.WeakKeyDictionary()
)
_split_cache: "weakref.WeakKeyDictionary[types.FunctionType, dict]" = (
    weakref.WeakKeyDictionary()
)
_tangent_cache: "weakref.WeakKeyDictionary[types.FunctionType, dict]" = (
    weakref.WeakKeyDictionary()
)
_primal_function_cache: "weakref.WeakKeyDictionary[types.FunctionType, dict]" = (
    weakref.WeakKeyDictionary()
)


def primal(fn: types.FunctionType, structures: tuple) -> Lowering | None:
    """The lowering of ``fn`` for these argument structures (None while it is
    being lowered: a recursive call)."""
    key = (fn, structures)
    with _lock:
        per_fn = _primal_cache.setdefault(fn, {})
        cached = per_fn.get(structures)
        if cached is not None and cached[0] is fn.__code__:
            return cached[1]
        if key in _in_progress:
            return None
        _in_progress.add(key)
        try:
            lowering = lower(parse_function(fn), structures, callee=True)
        finally:
            _in_progress.discard(key)
        per_fn[structures] = (fn.__code__, lowering)
        return lowering


class _SplitEntry:
    def __init__(self, fn, resolved, forward, backward, graph, source):
        self.code = fn.__code__
        self.resolved = resolved
        self.forward = forward
        self.backward = backward
        self.graph = graph
        self.source = source

    def valid_for(self, fn: types.FunctionType) -> bool:
        if fn.__code__ is not self.code:
            return False
        return unchanged(fn, self.resolved)


class SplitFunction:
    """The forward and backward halves of a user function, for one structure
    of its arguments and one set of differentiated argument leaves."""

    def __init__(
        self,
        fn: types.FunctionType,
        structures: tuple,
        active: tuple,
        top: bool = False,
    ):
        self.fn = fn
        self.structures = structures
        self.active = active
        self.top = top  # transformed itself (vjp), not called from transformed code
        self.entry: _SplitEntry | None = None
        self.__name__ = fn.__name__
        # plain functions (stable identity, readable names) for generated code
        self.forward = _named(f"{fn.__name__}_forward", self._forward)
        self.backward = _named(f"{fn.__name__}_backward", self._backward)

    def ensure(self) -> _SplitEntry:
        entry = self.entry
        if entry is not None and entry.valid_for(self.fn):
            return entry
        with _lock:
            if self.entry is None or not self.entry.valid_for(self.fn):
                self.entry = _compile_split(self)
            return self.entry

    def _forward(self, *args: Any) -> tuple[Any, Any]:
        """The function's result, and what its backward needs."""
        entry = self.ensure()
        out, residuals = entry.forward(*args)
        return out, (entry, residuals)

    def _backward(self, saved: Any, *adjoints: Any) -> tuple:
        """The adjoints of the differentiated argument leaves, in order."""
        entry, residuals = saved
        return entry.backward(residuals, *adjoints)

    @property
    def source(self) -> str:
        """The generated forward and backward functions."""
        return self.ensure().source.source


def split(
    fn: types.FunctionType, structures: tuple, active: tuple, top: bool = False
) -> SplitFunction:
    """The (cached) split of ``fn`` differentiating the argument leaves marked
    in ``active`` (one flag per leaf of the arguments, in order). ``top``: it
    is transformed itself, rather than called from differentiated code."""
    with _lock:
        per_fn = _split_cache.setdefault(fn, {})
        key = (structures, active, top)
        found = per_fn.get(key)
        if found is None:
            found = SplitFunction(fn, structures, active, top)
            per_fn[key] = found
        key_in_progress = ("split", fn, structures, active)
        if key_in_progress not in _in_progress:
            _in_progress.add(key_in_progress)
            try:
                found.ensure()
            finally:
                _in_progress.discard(key_in_progress)
        return found


def _compile_split(split_fn: SplitFunction) -> _SplitEntry:
    fn = split_fn.fn
    parsed = parse_function(fn)
    lowering = lower(parsed, split_fn.structures, callee=not split_fn.top)
    graph: Graph = lowering.graph
    trees = [lowering.env_of_param(param) for param in graph.params]
    leaves = [leaf for tree in trees for leaf in _leaf_list(tree)]
    wrt = [
        leaf for leaf, flag in zip(leaves, split_fn.active) if flag and leaf is not None
    ]
    result = reverse(graph, wrt, lowering.return_loc, split=True)
    where = f"{os.path.basename(parsed.file)}:{graph.loc.line if graph.loc else 0}"
    generated = generate_split(
        result,
        f"<adcompiler: split of {fn.__qualname__} from {parsed.file}:"
        f"{graph.loc.line if graph.loc else 0}>",
        f"{fn.__qualname__}, from {where}",
        (
            result.root_name(split_fn.forward),
            result.root_name(split_fn.backward),
        ),
    )
    entry = _SplitEntry(
        fn,
        dependencies(lowering.resolved),
        generated.forward,
        generated.backward,
        result,
        generated,
    )
    # which leaves of the result have an adjoint parameter (values, not constants)
    entry.seed_mask = [leaf is not None for leaf in tree_leaves(result.seeds)]
    return entry


def _leaf_list(tree: Any) -> list:
    """Leaves of a parameter tree, constants as None (not differentiable)."""
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaf_list(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaf_list(item)]
    return [tree if tree is not None and hasattr(tree, "name") else None]


class TangentFunction:
    """A user function's forward-mode version, for one structure of its
    arguments and one set of argument leaves with tangents:
    ``call(*args, *tangents) -> (value, tangent of value)``."""

    def __init__(
        self,
        fn: types.FunctionType,
        structures: tuple,
        active: tuple,
        top: bool = False,
    ):
        self.fn = fn
        self.structures = structures
        self.active = active
        self.top = top
        self.entry: Any = None
        self.call = _named(f"{fn.__name__}_jvp", self._call)

    def ensure(self) -> Any:
        entry = self.entry
        if entry is not None and entry.valid_for(self.fn):
            return entry
        with _lock:
            if self.entry is None or not self.entry.valid_for(self.fn):
                self.entry = _compile_tangent(self)
            return self.entry

    def _call(self, *args: Any) -> Any:
        return self.ensure().forward(*args)

    @property
    def source(self) -> str:
        return self.ensure().source.source


def tangent_function(
    fn: types.FunctionType, structures: tuple, active: tuple, top: bool = False
) -> Callable:
    """The (cached) forward-mode version of ``fn`` (see :class:`TangentFunction`).
    ``top``: it is transformed itself, rather than called from transformed code."""
    with _lock:
        per_fn = _tangent_cache.setdefault(fn, {})
        key = (structures, active, top)
        found = per_fn.get(key)
        if found is None:
            found = TangentFunction(fn, structures, active, top)
            per_fn[key] = found
        key_in_progress = ("tangent", fn, structures, active)
        if key_in_progress not in _in_progress:
            _in_progress.add(key_in_progress)
            try:
                found.ensure()
            finally:
                _in_progress.discard(key_in_progress)
        return found.call


def _compile_tangent(tangent: TangentFunction) -> _SplitEntry:
    from .codegen import generate_function
    from .forward import tangent_graph

    fn = tangent.fn
    parsed = parse_function(fn)
    lowering = lower(parsed, tangent.structures, callee=not tangent.top)
    graph = lowering.graph
    trees = [lowering.env_of_param(param) for param in graph.params]
    leaves = [leaf for tree in trees for leaf in _leaf_list(tree)]
    wrt = [
        leaf for leaf, flag in zip(leaves, tangent.active) if flag and leaf is not None
    ]
    result = tangent_graph(graph, wrt)
    where = f"{os.path.basename(parsed.file)}:{graph.loc.line if graph.loc else 0}"
    name = result.root_name(tangent.call)
    generated = generate_function(
        result,
        name,
        list(result.params) + list(result.tangent_params),
        f"Value of {fn.__qualname__} and its tangent (forward mode), from {where}.",
        f"<adcompiler: jvp of {fn.__qualname__} from {parsed.file}:"
        f"{graph.loc.line if graph.loc else 0}>",
    )
    return _SplitEntry(
        fn, dependencies(lowering.resolved), generated.fn, None, result, generated
    )


class PrimalFunction:
    """A user function compiled as it is (no derivative), with the semantics
    of generated code: a call site that needs no derivative calls this, not
    the original, so the two never disagree (the original would, say, write
    into its caller's arrays)."""

    def __init__(self, fn: types.FunctionType, structures: tuple):
        self.fn = fn
        self.structures = structures
        self.entry: Any = None
        self.call = _named(fn.__name__, self._call)

    def ensure(self) -> Any:
        entry = self.entry
        if entry is not None and entry.valid_for(self.fn):
            return entry
        with _lock:
            if self.entry is None or not self.entry.valid_for(self.fn):
                self.entry = _compile_primal(self)
            return self.entry

    def _call(self, *args: Any) -> Any:
        return self.ensure().forward(*args)


def primal_function(fn: types.FunctionType, structures: tuple) -> Callable:
    """The (cached) :class:`PrimalFunction` of ``fn``, as a plain callable."""
    with _lock:
        per_fn = _primal_function_cache.setdefault(fn, {})
        found = per_fn.get(structures)
        if found is None:
            found = PrimalFunction(fn, structures)
            per_fn[structures] = found
        return found.call


def _compile_primal(primal_fn: PrimalFunction) -> _SplitEntry:
    from .codegen import generate_function

    fn = primal_fn.fn
    parsed = parse_function(fn)
    lowering = lower(parsed, primal_fn.structures, callee=True)
    graph = lowering.graph
    where = f"{os.path.basename(parsed.file)}:{graph.loc.line if graph.loc else 0}"
    name = graph.root_name(primal_fn.call)
    generated = generate_function(
        graph,
        name,
        list(graph.params),
        f"{fn.__qualname__} as generated code runs it, from {where}.",
        f"<adcompiler: {fn.__qualname__} from {parsed.file}:"
        f"{graph.loc.line if graph.loc else 0}>",
    )
    return _SplitEntry(
        fn, dependencies(lowering.resolved), generated.fn, None, graph, generated
    )


def _named(name: str, method: Callable) -> Callable:
    def call(*args: Any) -> Any:
        return method(*args)

    call.__name__ = call.__qualname__ = name
    # for code that calls this and is transformed again: the generated
    # definition behind it, which has source (see generated_definition)
    call.__self__ = method.__self__  # type: ignore[attr-defined]
    call.__adcompiler_half__ = method.__name__  # type: ignore[attr-defined]
    return call


def generated_definition(fn: Any) -> types.FunctionType | None:
    """For the forward/backward/tangent halves generated code calls, the
    generated Python definition they run (None for anything else)."""
    half = getattr(fn, "__adcompiler_half__", None)
    if half is None:
        return None
    owner = fn.__self__
    entry = owner.ensure()
    return entry.forward if half in ("_forward", "_call") else entry.backward
