"""The one pipeline: a user function and a request in, compiled code out,
through one cache.

Every compiled form of a function goes through :func:`product`: the
gradient :func:`adcompiler.grad` runs, the forward and backward halves
:func:`adcompiler.vjp` and differentiated callers run (``split``), the
forward-mode version (``tangent``), a function as generated code runs it
without derivatives (``primal``), a checkpointed call's halves, and a
callee's lowering read at its call sites (``lowering``). Each kind runs the
same stages in the same order (parse, lower, mark scalars and ranks when
optimising, differentiate, the passes, generate), so the same function
gives the same forward code whichever transformation asked for it.

Guarantees: a product is made once per ``(function, request)``; the
request holds everything the result depends on besides the function and
the objects its source names (argument structures, scalar and rank
knowledge, the differentiated leaves, the options), and the compiled code
is checked against everything its compilation read from outside the
function (:class:`~adcompiler.frontend.Dependencies`: code, defaults,
names, attribute chains, callees) whenever it runs, so a rebound global, a
changed module attribute or an edited ``__code__`` compiles again instead
of running stale code. Compilation is serialised by one lock; a recursive
call refers to the product being compiled, which is complete before it is
first called. A backward call always runs the backward of the entry whose
forward produced the saved values it is given.
"""

from __future__ import annotations

import os
import threading
import types
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

from .callables import Transformed, label_half
from .codegen import generate, generate_function, generate_split
from .errors import OutputError
from .forward import tangent_graph
from .frontend import Dependencies, ParsedFunction, parse_function
from . import runtime
from .ir import Block, CallOp, Graph, defined_in, tree_leaves, walk
from .lower import Lowering, lower
from .options import optimizations, optimizing
from .passes.schedule import Facts, run_passes
from .reverse import reverse

#: The kinds of compiled product a request may ask for.
KINDS = ("grad", "split", "tangent", "primal", "checkpoint", "lowering")


@dataclass(frozen=True)
class Request:
    """What to compile a function into, and everything besides the function
    that the result depends on (it is the cache key).

    ``structures``: each parameter's structure (:func:`trees.structure`).
    ``active``: for ``grad``, the indices of the differentiated parameters;
    for ``split``, ``tangent`` and ``checkpoint``, one flag per argument
    leaf. ``scalars`` and ``ranks``: per parameter, whether it is a Python
    or NumPy scalar and its rank when it is an array (what the call key
    knows; empty when nothing is known, as at a call inside differentiated
    code). ``top``: the function is transformed itself (``grad``, ``vjp``,
    ``jvp``), not called from differentiated code. ``title``: how the
    generated docstring names what is computed (``grad`` only).
    ``optimize``: the optional optimisations run (:mod:`adcompiler.options`).
    """

    kind: str
    structures: tuple
    active: tuple = ()
    scalars: tuple = ()
    ranks: tuple = ()
    has_aux: bool = False
    top: bool = False
    title: str = ""
    optimize: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown request kind {self.kind!r}")


@dataclass
class Entry:
    """One compilation of a function: the code made, and what it was made
    from and against."""

    code: types.CodeType
    #: what the compilation read from outside the function (its code,
    #: defaults, names, attribute chains, callees): checked before each reuse
    resolved: Dependencies
    #: the function's graph, as lowered (and marked)
    graph: Graph
    #: the graph the code was generated from (adjoint, tangent or primal)
    result: Graph
    generated: Any
    return_loc: Any = None
    #: ``split``: which leaves of the result have an adjoint parameter
    seed_mask: list = field(default_factory=list)
    #: ``grad``: functions computing what a call returns, by selection
    adapters: dict = field(default_factory=dict)
    #: ``lowering``: the callee's lowering
    lowering: Lowering | None = None
    #: ``split``: whether the backward changes what the forward saved (None:
    #: not known yet, see :func:`backward_changes_saved`)
    consumes: bool | None = None

    def valid_for(self, fn: types.FunctionType) -> bool:
        """Whether everything this was compiled from is as it was: ``fn``'s
        code and defaults, and every name, attribute chain and callee its
        compilation read (:class:`~adcompiler.frontend.Dependencies`)."""
        return self.resolved.holds(fn)


_lock = threading.RLock()
_in_progress: set[tuple] = set()
_products: "weakref.WeakKeyDictionary[types.FunctionType, dict]" = (
    weakref.WeakKeyDictionary()
)


class Product:
    """A function compiled for one request: compiled when first needed,
    checked against the function's current code and globals on each use.

    Its callables (``forward``, ``backward``, ``call``) keep their identity
    across recompilations: generated code binds them by name.
    """

    def __init__(self, fn: types.FunctionType, request: Request):
        # weakly: the cache is keyed by ``fn`` and must not keep it alive
        self._fn = weakref.ref(fn)
        self.request = request
        self.entry: Entry | None = None
        self.__name__ = fn.__name__
        kind, product = request.kind, self
        if kind == "split":

            def forward(*args: Any) -> tuple[Any, Any]:
                entry = product.entry
                if entry is None or not entry.valid_for(product.fn):
                    entry = product.ensure()
                out, residuals = entry.generated.forward(*args)
                return out, (entry, residuals)

            def backward(saved: Any, *adjoints: Any) -> tuple:
                entry, residuals = saved
                return entry.generated.backward(residuals, *adjoints)

            # one frame each: they are called at every loop step
            self.forward = label_half(
                forward, f"{fn.__name__}_forward", self, "forward"
            )
            self.backward = label_half(
                backward, f"{fn.__name__}_backward", self, "backward"
            )
        elif kind in ("tangent", "primal"):

            def call(*args: Any) -> Any:
                entry = product.entry
                if entry is None or not entry.valid_for(product.fn):
                    entry = product.ensure()
                return entry.generated.fn(*args)

            name = f"{fn.__name__}_jvp" if kind == "tangent" else fn.__name__
            self.call = label_half(call, name, self, "fn")
        elif kind == "checkpoint":
            structures, active = request.structures, request.active
            optimize = request.optimize
            self.split = compiled(
                fn, Request("split", structures, active, optimize=optimize)
            )
            self.run = product_of(
                fn, Request("primal", structures, optimize=optimize)
            ).call
            # transformed again (higher derivatives), a checkpointed call is an
            # ordinary one: its halves stand for the split's, which save everything
            split, run = self.split, self.run

            def checkpoint_forward(*args: Any) -> tuple[Any, tuple]:
                return run(*args), args

            def checkpoint_backward(saved: tuple, *adjoints: Any) -> tuple:
                _, residuals = split.forward(*saved)
                return split.backward(residuals, *adjoints)

            self.forward = label_half(
                checkpoint_forward,
                f"{fn.__name__}_checkpoint_forward",
                self.split,
                "forward",
            )
            self.backward = label_half(
                checkpoint_backward,
                f"{fn.__name__}_checkpoint_backward",
                self.split,
                "backward",
            )

    @property
    def fn(self) -> types.FunctionType:
        """The function compiled (alive while anything can call this)."""
        return self._fn()

    def ensure(self) -> Entry:
        """The current entry, compiled again if ``fn`` changed since (for a
        checkpointed call, that of the split it recomputes)."""
        if self.request.kind == "checkpoint":
            return self.split.ensure()
        entry = self.entry
        if entry is not None and entry.valid_for(self.fn):
            return entry
        with _lock:
            if self.entry is None or not self.entry.valid_for(self.fn):
                self.entry = _compile(self.fn, self.request)
            return self.entry

    @property
    def source(self) -> str:
        """The generated code."""
        return self.ensure().generated.source


def product_of(fn: types.FunctionType, request: Request) -> Product:
    """The one product of ``fn`` for ``request``, made now if there is none
    (not compiled here)."""
    with _lock:
        per_fn = _products.setdefault(fn, {})
        found = per_fn.get(request)
        if found is None:
            found = Product(fn, request)
            per_fn[request] = found
        return found


def compiled(fn: types.FunctionType, request: Request) -> Product:
    """The product of ``fn`` for ``request``, compiled now unless it is being
    compiled (a recursive call: it is complete before it is first called)."""
    with _lock:
        found = product_of(fn, request)
        key = (fn, request)
        if key not in _in_progress:
            _in_progress.add(key)
            try:
                found.ensure()
            finally:
                _in_progress.discard(key)
        return found


def lowered(fn: types.FunctionType, structures: tuple) -> Lowering | None:
    """``fn`` lowered as a callee for these argument structures (None while
    it is being lowered: a recursive call)."""
    request = Request("lowering", structures, optimize=optimizing())
    with _lock:
        found = product_of(fn, request)
        entry = found.entry
        if entry is not None and entry.valid_for(fn):
            return entry.lowering
        if (fn, request) in _in_progress:
            return None
        return compiled(fn, request).entry.lowering


# -- the stages ----------------------------------------------------------


def _compile(fn: types.FunctionType, request: Request) -> Entry:
    """Run the pipeline for ``fn`` and ``request``: parse, lower, mark what
    the call key knows (when optimising), then the request's transformation
    and code generation. Every stage runs under the request's options (the
    cache key's), whatever the setting of the caller that triggered the
    compilation: a callee compiled lazily, during a call made under another
    setting, still gets the code its key names."""
    with optimizations(request.optimize):
        parsed = parse_function(fn)
        lowering = lower(parsed, request.structures, not request.top, CALL_SITES)
        graph = lowering.graph
        facts = Facts(scalars=request.scalars, ranks=request.ranks)
        run_passes(graph, "lowered", facts, request.optimize)
        return _TRANSFORMS[request.kind](fn, request, parsed, lowering)


def _gradient(
    fn: types.FunctionType, request: Request, parsed: ParsedFunction, lowering: Lowering
) -> Entry:
    graph = lowering.graph
    wrt_values = [graph.params[i] for i in request.active]
    wrt_trees = [lowering.env_of_param(v) for v in wrt_values]
    return_loc = lowering.return_loc
    if request.has_aux and not (
        isinstance(graph.outputs, tuple) and len(graph.outputs) == 2
    ):
        raise OutputError(
            f"has_aux=True needs {fn.__qualname__} to return a pair (value, aux)",
            return_loc,
        )
    adjoint = reverse(graph, wrt_trees, return_loc, CALL_SITES, has_aux=request.has_aux)
    names = ", ".join(v.name for v in wrt_values)
    where = "generated code" if parsed.file.startswith("<") else _where(parsed, graph)
    generated = generate(
        adjoint,
        parsed.node.args,
        defaults(fn),
        adjoint.namer.claim(f"grad_{graph.name}"),
        f"{request.title} with respect to {names}.\n\n"
        f"    Generated by adcompiler from {where}.\n    ",
        f"<adcompiler: grad of {fn.__qualname__} wrt {names} from {parsed.file}:"
        f"{_line(graph)}>",
    )
    return Entry(
        fn.__code__,
        lowering.dependencies(),
        graph,
        adjoint,
        generated,
        return_loc=return_loc,
    )


def _active_leaves(lowering: Lowering, active: tuple) -> list:
    """The argument leaves marked in ``active``, one flag per leaf."""
    graph = lowering.graph
    trees = [lowering.env_of_param(param) for param in graph.params]
    leaves = [leaf for tree in trees for leaf in _leaf_list(tree)]
    return [leaf for leaf, flag in zip(leaves, active) if flag and leaf is not None]


def _split(
    fn: types.FunctionType, request: Request, parsed: ParsedFunction, lowering: Lowering
) -> Entry:
    graph = lowering.graph
    wrt = _active_leaves(lowering, request.active)
    result = reverse(graph, wrt, lowering.return_loc, CALL_SITES, split=True)
    product = product_of(fn, request)
    generated = generate_split(
        result,
        _filename("split of ", fn, parsed, graph),
        f"{fn.__qualname__}, from {_where(parsed, graph)}",
        (result.root_name(product.forward), result.root_name(product.backward)),
    )
    entry = Entry(fn.__code__, lowering.dependencies(), graph, result, generated)
    entry.seed_mask = [leaf is not None for leaf in tree_leaves(result.seeds)]
    return entry


def _tangent(
    fn: types.FunctionType, request: Request, parsed: ParsedFunction, lowering: Lowering
) -> Entry:
    graph = lowering.graph
    wrt = _active_leaves(lowering, request.active)
    result = tangent_graph(graph, wrt, CALL_SITES)
    generated = generate_function(
        result,
        result.root_name(product_of(fn, request).call),
        list(result.params) + list(result.tangent_params),
        f"Value of {fn.__qualname__} and its tangent (forward mode), "
        f"from {_where(parsed, graph)}.",
        _filename("jvp of ", fn, parsed, graph),
    )
    return Entry(fn.__code__, lowering.dependencies(), graph, result, generated)


def _primal(
    fn: types.FunctionType, request: Request, parsed: ParsedFunction, lowering: Lowering
) -> Entry:
    graph = lowering.graph
    generated = generate_function(
        graph,
        graph.root_name(product_of(fn, request).call),
        list(graph.params),
        f"{fn.__qualname__} as generated code runs it, from {_where(parsed, graph)}.",
        _filename("", fn, parsed, graph),
    )
    return Entry(fn.__code__, lowering.dependencies(), graph, graph, generated)


def _lowering(
    fn: types.FunctionType, request: Request, parsed: ParsedFunction, lowering: Lowering
) -> Entry:
    graph = lowering.graph
    entry = Entry(fn.__code__, lowering.dependencies(), graph, graph, None)
    entry.lowering = lowering
    return entry


_TRANSFORMS: dict[str, Callable[..., Entry]] = {
    "grad": _gradient,
    "split": _split,
    "tangent": _tangent,
    "primal": _primal,
    "lowering": _lowering,
}


def _line(graph: Graph) -> int:
    return graph.loc.line if graph.loc else 0


def _where(parsed: ParsedFunction, graph: Graph) -> str:
    return f"{os.path.basename(parsed.file)}:{_line(graph)}"


def _filename(
    kind: str, fn: types.FunctionType, parsed: ParsedFunction, graph: Graph
) -> str:
    return f"<adcompiler: {kind}{fn.__qualname__} from {parsed.file}:{_line(graph)}>"


def _leaf_list(tree: Any) -> list:
    """Leaves of a parameter tree, constants as None (not differentiable)."""
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaf_list(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaf_list(item)]
    return [tree if tree is not None and hasattr(tree, "name") else None]


def defaults(fn: types.FunctionType) -> dict[str, Any]:
    """``fn``'s parameters with default values, and those values."""
    code = fn.__code__
    names = code.co_varnames[: code.co_argcount]
    found = dict(zip(names[::-1], (fn.__defaults__ or ())[::-1]))
    found.update(fn.__kwdefaults__ or {})
    return found


#: Runtime helpers that write into their first argument.
_WRITES_FIRST = (runtime.add_into, runtime.subtract_into, runtime.add_at)
#: Runtime helpers that change a list or an array in place, whatever it is.
_CHANGES = (
    runtime.list_append,
    runtime.list_pop,
    runtime.set_item,
    runtime.restore_items,
)


def backward_changes_saved(entry: Entry, seen: set | None = None) -> bool:
    """Whether running the backward half of a ``split`` entry may change what
    its forward half saved: it undoes the forward's in-place writes and
    list appends (to read each value as it was), or accumulates into a
    saved array, or calls a backward half that does. Conservative: any
    other call, and any in-place op the compiler does not know as pure,
    counts as a change. A pullback called again needs fresh residuals then
    (see :class:`adcompiler.api.Pullback`)."""
    if entry.consumes is not None:
        return entry.consumes
    seen = set() if seen is None else seen
    seen.add(id(entry))
    graph = entry.result
    ops = graph.body.ops
    saved = defined_in(Block(ops[: graph.forward_count])) | set(graph.params)
    consumes = False
    for op in walk(Block(ops[graph.forward_count :])):
        if isinstance(op, CallOp):
            product = getattr(op.fn, "__adcompiler_product__", None)
            if getattr(op.fn, "__adcompiler_half__", None) != "backward":
                consumes = True
            elif product.entry is None:
                consumes = True
            elif id(product.entry) not in seen:
                consumes = backward_changes_saved(product.entry, seen)
        elif hasattr(op, "prim"):
            fn = op.prim.fn
            if fn in _CHANGES or op.prim.render[0] in ("setitem", "inplace_method"):
                consumes = True
            elif fn in _WRITES_FIRST and op.args and op.args[0] in saved:
                consumes = True
        if consumes:
            break
    entry.consumes = consumes
    return consumes


def _knowing(kind: str, structures: tuple, active: tuple, known: tuple) -> Request:
    """The request of a callee's ``kind`` compiled knowing ``known``, the
    ``(scalars, ranks)`` its caller knows of the arguments."""
    scalars, ranks = known
    return Request(kind, structures, active, scalars, ranks, optimize=optimizing())


class _CallSites:
    """The pipeline's :class:`~adcompiler.callables.CallSites`: what lowering
    and differentiation ask for when code calls a user function."""

    def lowered(self, fn: types.FunctionType, structures: tuple) -> Lowering | None:
        return lowered(fn, structures)

    def primal(self, fn: types.FunctionType, structures: tuple) -> Callable:
        return product_of(fn, Request("primal", structures, optimize=optimizing())).call

    def split(
        self,
        fn: types.FunctionType,
        structures: tuple,
        active: tuple,
        known: tuple = ((), ()),
    ) -> Any:
        return compiled(fn, _knowing("split", structures, active, known))

    def checkpointed(
        self, fn: types.FunctionType, structures: tuple, active: tuple
    ) -> Any:
        return product_of(
            fn, Request("checkpoint", structures, active, optimize=optimizing())
        )

    def tangent(
        self,
        fn: types.FunctionType,
        structures: tuple,
        active: tuple,
        known: tuple = ((), ()),
    ) -> Callable:
        return compiled(fn, _knowing("tangent", structures, active, known)).call


#: The call sites every compilation is lowered and differentiated with.
CALL_SITES = _CallSites()


def check_signature(fn: Any) -> None:
    """Raise the error lowering gives for ``fn`` if it cannot be compiled at
    all (no source), before any call."""
    if not isinstance(fn, (types.FunctionType, Transformed)):
        parse_function(fn)  # raises the right error
