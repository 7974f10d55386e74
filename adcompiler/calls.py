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

import functools
import os
import threading
import types
import weakref
from typing import Any, Callable

from .codegen import generate_split
from .frontend import parse_function, unchanged
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
_checkpoint_cache: "weakref.WeakKeyDictionary[types.FunctionType, dict]" = (
    weakref.WeakKeyDictionary()
)


def primal(fn: types.FunctionType, structures: tuple) -> Lowering | None:
    """The lowering of ``fn`` for these argument structures (None while it is
    being lowered: a recursive call)."""
    key = (fn, structures)
    with _lock:
        per_fn = _primal_cache.setdefault(fn, {})
        cached = per_fn.get(structures)
        if (
            cached is not None
            and cached[0] is fn.__code__
            and unchanged(fn, cached[1].dependencies())
        ):
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


class _Compiled:
    """A user function compiled for one structure of its arguments (and one
    set of differentiated leaves): compiled on first use, checked against the
    function's current code and globals on each use."""

    def __init__(
        self,
        fn: types.FunctionType,
        structures: tuple,
        active: tuple = (),
        top: bool = False,
    ):
        self.fn = fn
        self.structures = structures
        self.active = active
        self.top = (
            top  # transformed itself (vjp, jvp), not called from transformed code
        )
        self.entry: Any = None
        self.__name__ = fn.__name__

    def ensure(self) -> Any:
        entry = self.entry
        if entry is not None and entry.valid_for(self.fn):
            return entry
        with _lock:
            if self.entry is None or not self.entry.valid_for(self.fn):
                self.entry = self._compile()
            return self.entry

    def _compile(self) -> _SplitEntry:
        raise NotImplementedError

    def _lowered(self) -> tuple[Any, Lowering, list]:
        """The function lowered, and its argument leaves marked active."""
        parsed = parse_function(self.fn)
        lowering = lower(parsed, self.structures, callee=not self.top)
        graph = lowering.graph
        trees = [lowering.env_of_param(param) for param in graph.params]
        leaves = [leaf for tree in trees for leaf in _leaf_list(tree)]
        wrt = [
            leaf for leaf, flag in zip(leaves, self.active) if flag and leaf is not None
        ]
        return parsed, lowering, wrt

    @property
    def source(self) -> str:
        """The generated code."""
        return self.ensure().source.source


def _where(parsed: Any, graph: Graph) -> str:
    return f"{os.path.basename(parsed.file)}:{graph.loc.line if graph.loc else 0}"


def _filename(kind: str, fn: types.FunctionType, parsed: Any, graph: Graph) -> str:
    line = graph.loc.line if graph.loc else 0
    return f"<adcompiler: {kind}{fn.__qualname__} from {parsed.file}:{line}>"


def _cached(cache: Any, cls: type, fn: types.FunctionType, *key: Any) -> Any:
    """The cached ``cls(fn, *key)``, compiled now unless it is being compiled
    (a recursive call: it is complete before it is first called)."""
    with _lock:
        found = _made_once(cache, cls, fn, *key)
        in_progress = (cls, fn, key)
        if in_progress not in _in_progress:
            _in_progress.add(in_progress)
            try:
                found.ensure()
            finally:
                _in_progress.discard(in_progress)
        return found


class SplitFunction(_Compiled):
    """The forward and backward halves of a user function, for one structure
    of its arguments and one set of differentiated argument leaves."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        # plain functions (stable identity, readable names) for generated
        # code; called at every loop step, so each is one frame, not three.
        # forward: the function's result, and what its backward needs;
        # backward: the adjoints of the differentiated argument leaves
        split, fn = self, self.fn

        def forward(*args: Any) -> tuple[Any, Any]:
            entry = split.entry
            if entry is None or not entry.valid_for(fn):
                entry = split.ensure()
            out, residuals = entry.forward(*args)
            return out, (entry, residuals)

        def backward(saved: Any, *adjoints: Any) -> tuple:
            entry, residuals = saved
            return entry.backward(residuals, *adjoints)

        self.forward = _label(forward, f"{fn.__name__}_forward", self, "_forward")
        self.backward = _label(backward, f"{fn.__name__}_backward", self, "_backward")

    def _compile(self) -> _SplitEntry:
        parsed, lowering, wrt = self._lowered()
        graph: Graph = lowering.graph
        result = reverse(graph, wrt, lowering.return_loc, split=True)
        generated = generate_split(
            result,
            _filename("split of ", self.fn, parsed, graph),
            f"{self.fn.__qualname__}, from {_where(parsed, graph)}",
            (result.root_name(self.forward), result.root_name(self.backward)),
        )
        entry = _SplitEntry(
            self.fn,
            lowering.dependencies(),
            generated.forward,
            generated.backward,
            result,
            generated,
        )
        # which leaves of the result have an adjoint parameter (not constants)
        entry.seed_mask = [leaf is not None for leaf in tree_leaves(result.seeds)]
        return entry


def split(
    fn: types.FunctionType, structures: tuple, active: tuple, top: bool = False
) -> SplitFunction:
    """The (cached) split of ``fn`` differentiating the argument leaves marked
    in ``active`` (one flag per leaf of the arguments, in order). ``top``: it
    is transformed itself, rather than called from differentiated code."""
    return _cached(_split_cache, SplitFunction, fn, structures, active, top)


def _leaf_list(tree: Any) -> list:
    """Leaves of a parameter tree, constants as None (not differentiable)."""
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaf_list(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaf_list(item)]
    return [tree if tree is not None and hasattr(tree, "name") else None]


class TangentFunction(_Compiled):
    """A user function's forward-mode version, for one structure of its
    arguments and one set of argument leaves with tangents:
    ``call(*args, *tangents) -> (value, tangent of value)``."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.call = _named(f"{self.fn.__name__}_jvp", self._call)

    def _call(self, *args: Any) -> Any:
        return self.ensure().forward(*args)

    def _compile(self) -> _SplitEntry:
        from .codegen import generate_function
        from .forward import tangent_graph

        parsed, lowering, wrt = self._lowered()
        graph = lowering.graph
        result = tangent_graph(graph, wrt)
        generated = generate_function(
            result,
            result.root_name(self.call),
            list(result.params) + list(result.tangent_params),
            f"Value of {self.fn.__qualname__} and its tangent (forward mode), "
            f"from {_where(parsed, graph)}.",
            _filename("jvp of ", self.fn, parsed, graph),
        )
        return _SplitEntry(
            self.fn,
            lowering.dependencies(),
            generated.fn,
            None,
            result,
            generated,
        )


def tangent_function(
    fn: types.FunctionType, structures: tuple, active: tuple, top: bool = False
) -> Callable:
    """The (cached) forward-mode version of ``fn`` (see :class:`TangentFunction`).
    ``top``: it is transformed itself, rather than called from transformed code."""
    return _cached(_tangent_cache, TangentFunction, fn, structures, active, top).call


def tangent_source(fn: types.FunctionType, structures: tuple, active: tuple) -> str:
    """The generated code :func:`tangent_function` runs (for ``top``)."""
    return _cached(_tangent_cache, TangentFunction, fn, structures, active, True).source


class PrimalFunction(_Compiled):
    """A user function compiled as it is (no derivative), with the semantics
    of generated code: a call site that needs no derivative calls this, not
    the original, so the two never disagree (the original would, say, write
    into its caller's arrays)."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.call = _named(self.fn.__name__, self._call)

    def _call(self, *args: Any) -> Any:
        return self.ensure().forward(*args)

    def _compile(self) -> _SplitEntry:
        from .codegen import generate_function

        parsed, lowering, _ = self._lowered()
        graph = lowering.graph
        generated = generate_function(
            graph,
            graph.root_name(self.call),
            list(graph.params),
            f"{self.fn.__qualname__} as generated code runs it, "
            f"from {_where(parsed, graph)}.",
            _filename("", self.fn, parsed, graph),
        )
        return _SplitEntry(
            self.fn,
            lowering.dependencies(),
            generated.fn,
            None,
            graph,
            generated,
        )


def primal_function(fn: types.FunctionType, structures: tuple) -> Callable:
    """The (cached) :class:`PrimalFunction` of ``fn``, as a plain callable.

    Compiled at its first call (it may be the function being compiled)."""
    return _made_once(_primal_function_cache, PrimalFunction, fn, structures).call


def _made_once(cache: Any, make: Callable, fn: types.FunctionType, *key: Any) -> Any:
    """``make(fn, *key)``, made once per ``fn`` and ``key`` and kept in
    ``cache`` (not compiled here)."""
    with _lock:
        per_fn = cache.setdefault(fn, {})
        found = per_fn.get(key)
        if found is None:
            found = make(fn, *key)
            per_fn[key] = found
        return found


def _named(name: str, method: Callable, stands_for: Any = None) -> Callable:
    """A plain function ``name`` calling ``method``, for generated code.

    When code that calls it is transformed again, the generated definition
    behind it (which has source, see :func:`generated_definition`) is what
    gets transformed: that of ``method``'s own half, or of the half
    ``stands_for`` names as ``(owner, "_forward" or "_backward")``."""

    def call(*args: Any) -> Any:
        return method(*args)

    owner, half = stands_for or (method.__self__, method.__name__)
    return _label(call, name, owner, half)


def _label(call: Callable, name: str, owner: Any, half: str) -> Callable:
    """``call`` named ``name``, standing for ``owner``'s ``half``."""
    call.__name__ = call.__qualname__ = name
    call.__self__ = owner  # type: ignore[attr-defined]
    call.__adcompiler_half__ = half  # type: ignore[attr-defined]
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


class Checkpoint:
    """``checkpoint(fn)``: ``fn`` itself when called, but differentiated
    code that calls it stores only its arguments, and recomputes what its
    backward needs in the backward sweep (less memory, one more forward
    evaluation of ``fn``)."""

    def __init__(self, fn: types.FunctionType):
        if not isinstance(fn, types.FunctionType):
            raise TypeError(
                f"checkpoint takes a Python function, not {type(fn).__name__}"
            )
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"checkpoint({self.__wrapped__.__qualname__})"  # type: ignore


class CheckpointedSplit:
    """The halves generated code calls for a call of ``checkpoint(fn)``.

    ``forward(*args) -> (result, args)`` runs ``fn`` as compiled, saving
    nothing of its intermediates; ``backward(args, *adjoints)`` runs the
    forward half of ``fn``'s split again on the saved arguments, then its
    backward half: the same adjoints as without the checkpoint."""

    def __init__(self, fn: types.FunctionType, structures: tuple, active: tuple):
        self.split = split(fn, structures, active)
        self.run = primal_function(fn, structures)
        # transformed again (higher derivatives), a checkpointed call is an
        # ordinary one: its halves stand for the split's, which save everything
        self.forward = _named(
            f"{fn.__name__}_checkpoint_forward",
            self._forward,
            (self.split, "_forward"),
        )
        self.backward = _named(
            f"{fn.__name__}_checkpoint_backward",
            self._backward,
            (self.split, "_backward"),
        )

    def _forward(self, *args: Any) -> tuple[Any, tuple]:
        return self.run(*args), args

    def _backward(self, saved: tuple, *adjoints: Any) -> tuple:
        _, residuals = self.split.forward(*saved)
        return self.split.backward(residuals, *adjoints)


def checkpointed(
    fn: types.FunctionType, structures: tuple, active: tuple
) -> CheckpointedSplit:
    """The (cached) halves of a checkpointed call of ``fn``."""
    return _made_once(_checkpoint_cache, CheckpointedSplit, fn, structures, active)
