"""The lowering's shared state: the seam every other part stands on.

One :class:`State` per function lowered holds everything the parts of the
lowering (names, expressions, statements, control flow, inlining, call
sites, the memory model) read and change: the graph being built, the
environment of local names, the names that in-place changes made stale,
what was read from outside, the calls made. The parts hold no state of
their own, so replacing an attribute here (as control flow does with
``env`` for each branch, and inlining with the callee's ``parsed``,
``env``, ``stale``, ...) is seen by all of them at once.

Also here: the hidden names of the environment (the jump flags), the
marker of a name unbound on some path, and the compile-time objects a name
may denote (:class:`Static`, :class:`Inline`).
"""

from __future__ import annotations

import ast
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..callables import CallSites
from ..frontend import ParsedFunction, local_names
from ..ir import Block, Graph, Namer, Value
from ..primitives.symbolic import Emitter

#: Hidden names of the environment: whether (and what) the function
#: returned, whether the loop being lowered broke or continued.
RETURNED = "<returned>"
RETVAL = "<retval>"
BROKE = "<broke>"
CONTINUED = "<continued>"
FLAGS = (RETURNED, BROKE, CONTINUED)

#: The structure of an argument that is a list built at run time: its
#: length is not known when the callee is compiled.
RUNTIME_SEQUENCE = "runtime sequence"


class _Missing:
    """A name with no binding on some path (Python would raise NameError)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


class Inline:
    """A nested ``def`` or ``lambda``: inlined where it is called;
    ``defaults``, its default values, evaluated where it was defined (as
    Python does)."""

    __slots__ = ("node", "name", "defaults")

    def __init__(self, node: ast.AST, name: str, defaults: tuple = ()):
        self.node = node
        self.name = name
        self.defaults = defaults


class Static:
    """A compile-time object: a module, a function, a class; ``path``, the
    name and attributes it was read by from the function's namespace
    (``("settings", "model")``), or None for a local definition."""

    __slots__ = ("obj", "path")

    def __init__(self, obj: Any, path: tuple | None = None):
        self.obj = obj
        self.path = path


@dataclass(eq=False)
class State:
    """Everything the lowering of one function knows while it runs.

    Guarantees: :meth:`start` gives a state whose graph has no parameter
    and no op yet, whose environment is empty, and whose ``loads`` lists
    every read of a local name in the function (control flow asks which
    names are read after a loop). The attributes listed in
    :data:`FUNCTION_STATE` belong to the function whose body is being
    lowered; inlining a user function replaces them while its body is
    lowered and puts them back after.
    """

    parsed: ParsedFunction
    #: the function is called from differentiated code
    callee: bool
    #: how calls of user functions reach their compiled forms
    sites: CallSites
    #: each parameter's structure (:func:`trees.structure`)
    structures: tuple
    graph: Graph
    emitter: Emitter
    fn: Any
    #: parameters -> the function's view of them (a value, or a tree)
    param_trees: dict[Value, Any] = field(default_factory=dict)
    #: ids of the (compile-time) lists passed in
    argument_lists: set[int] = field(default_factory=set)
    #: the expression being lowered (errors of a primitive call name it)
    current_node: ast.AST | None = None
    #: the calls of user functions made, in order
    calls: list = field(default_factory=list)
    #: results named after nothing yet (``a, b = f(x)`` names them)
    unnamed: set = field(default_factory=set)
    #: globals and closure variables that are containers, as trees
    free_trees: dict[str, Any] = field(default_factory=dict)
    #: ops run at the function's start (reads of global containers)
    prologue: Block = field(default_factory=Block)
    #: the nested functions being inlined, innermost last
    inlining: list = field(default_factory=list)
    #: the function lowered, then the user functions being inlined into
    #: it, innermost last
    inline_stack: list[ParsedFunction] = field(default_factory=list)
    #: local names -> operand trees (or :class:`Static`, :data:`MISSING`)
    env: dict[str, Any] = field(default_factory=dict)
    #: the environments of the functions an inlined call was made from,
    #: innermost last (a write into a list or dict they hold reaches them)
    enclosing_envs: list[dict[str, Any]] = field(default_factory=list)
    #: global, closure and builtin names read -> the objects they denoted;
    #: attribute chains read from them (``("settings", "SCALE")``) -> what
    #: they gave (see :mod:`.dependencies`)
    resolved: dict[str | tuple, Any] = field(default_factory=dict)
    #: functions inlined here or called from here, whose code, defaults and
    #: globals the compiled code relies on: ``(fn, Dependencies)`` each
    callees: list[tuple] = field(default_factory=list)
    #: where the function first returns
    return_loc: Any = None
    #: names an in-place change may have changed -> ``(changed name,
    #: what changed it, where, how to fix it)``; reading one is an error
    stale: dict[str, tuple] = field(default_factory=dict)
    #: local name -> its reads in the function
    loads: dict[str, list[ast.Name]] = field(default_factory=dict)
    #: values of loop-carried variables and if outputs -> the values
    #: they may be (for the memory model)
    origins: dict[Value, list[Any]] = field(default_factory=dict)
    #: results of calls of user functions -> the argument values whose
    #: memory they may share (see :func:`memory.call_result_views`)
    call_views: dict[Value, list[Value]] = field(default_factory=dict)
    #: results of ``a op= v`` on a value that may be an array -> that value
    #: (Python changed its memory; generated code made a new array)
    versions: dict[Value, Value] = field(default_factory=dict)
    #: the writes lowered so far: ``(memory written, what, where)``, and
    #: the appends: ``(memory of the item, list name, where)`` (a loop
    #: checks the ones of its body, :func:`memory.appended_then_written`)
    writes: list[tuple] = field(default_factory=list)
    appends: list[tuple] = field(default_factory=list)
    #: the blocks being lowered into (:meth:`into`), outermost first: with
    #: the graph's body and the prologue, every op emitted so far is in one
    open_blocks: list = field(default_factory=list)

    @classmethod
    def start(
        cls,
        parsed: ParsedFunction,
        structures: tuple,
        callee: bool,
        sites: CallSites,
    ) -> "State":
        """The state before lowering ``parsed``."""
        node = parsed.node
        graph = Graph(node.name, Namer(local_names(node)), parsed.loc(node))
        state = cls(
            parsed=parsed,
            callee=callee,
            sites=sites,
            structures=structures,
            graph=graph,
            emitter=Emitter(graph, graph.body),
            fn=parsed.fn,
            current_node=node,
            inline_stack=[parsed],
        )
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                state.loads.setdefault(sub.id, []).append(sub)
        return state

    @contextmanager
    def into(self, block: Block) -> Iterator[None]:
        """New ops go into ``block`` for the duration of the ``with``."""
        saved = self.emitter.block
        self.emitter.block = block
        self.open_blocks.append(block)
        try:
            yield
        finally:
            self.open_blocks.pop()
            self.emitter.block = saved


#: What inlining a user function sets for the function it inlines and puts
#: back after it.
FUNCTION_STATE = (
    "parsed",
    "fn",
    "env",
    "stale",
    "resolved",
    "current_node",
    "return_loc",
)
