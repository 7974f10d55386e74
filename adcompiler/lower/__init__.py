"""Python AST → SSA graph: the lowering, and its entry point :func:`lower`.

Guarantees: after lowering, every operand is a graph value or a Python
constant that generated code can spell as a literal; every call resolved to
a registered primitive (or failed with an error naming the function and the
line); local tuples and lists are compile-time structures whose elements are
values; every global, closure or builtin name the function read is recorded
(:meth:`Lowering.dependencies`) with the object it denoted, so a cache entry
can be checked against the function's current globals.

The lowering is split along its seams, each a module importing only the
ones before it: :mod:`.state` (the shared state, one object per function),
:mod:`.errortext`, :mod:`.dependencies` (what was read from outside),
:mod:`.memory` (which values may share storage, what a write changes),
:mod:`.ops` (primitive calls), :mod:`.names` (name resolution),
:mod:`.expressions` (with the operator, attribute and method tables),
:mod:`.writes` (writes into arrays), :mod:`.statements`, :mod:`.flow`
(blocks, branches, jumps), :mod:`.loops`,
:mod:`.inlining` and :mod:`.calls` (call sites). :class:`Lowering` builds
the parts over one :class:`State` and connects the lower ones to the
higher ones they hand nodes to.
"""

from __future__ import annotations

import ast
from typing import Any

from ..callables import CallSites
from ..errors import UnsupportedSyntaxError
from ..frontend import Dependencies, ParsedFunction
from ..ir import Graph, Value
from ..trees import LEAF
from . import dependencies
from .calls import UserCalls
from .callvalues import holds_callable

# the spelling tables and the inlining test, as tools and tests import them
from .expressions import (  # noqa: F401
    _ATTRIBUTES,
    _METHOD_FUNCTIONS,
    _TRUE_METHODS,
    _VARARG_METHODS,
)
from .expressions import Expressions
from .flow import ControlFlow
from .inlining import INLINE_STATEMENTS, Inliner
from .loops import Loops
from .inlining import _small_body  # noqa: F401
from .memory import MemoryModel
from .names import Names
from .ops import Ops
from .state import (
    MISSING,
    RETURNED,
    RETVAL,
    RUNTIME_SEQUENCE,
    Inline,
    State,
    Static,
)
from .effects import Effects
from .statements import Statements, is_docstring

__all__ = [
    "INLINE_STATEMENTS",
    "Inline",
    "Lowering",
    "MISSING",
    "RETURNED",
    "RETVAL",
    "RUNTIME_SEQUENCE",
    "State",
    "Static",
    "lower",
]


class Lowering:
    """Lowers one parsed function into a :class:`Graph`.

    After :meth:`run`, what the pipeline and the call sites of the function
    read: :attr:`graph`, :attr:`return_loc`, :meth:`env_of_param`,
    :meth:`dependencies` and :meth:`memory_sources` (the
    :class:`callables.Lowered` protocol).
    """

    def __init__(
        self,
        parsed: ParsedFunction,
        structures: tuple,
        callee: bool,
        sites: CallSites,
    ):
        self.state = State.start(parsed, structures, callee, sites)
        state = self.state
        self.ops = Ops(state)
        self.memory = MemoryModel(state)
        self.names = Names(state, self.ops)
        self.expressions = Expressions(state, self.names, self.ops)
        self.statements = Statements(
            state, self.expressions, self.names, self.memory, self.ops
        )
        self.flow = ControlFlow(state, self.expressions, self.statements, self.ops)
        self.loops = Loops(
            state, self.flow, self.expressions, self.statements, self.names, self.ops
        )
        self.inliner = Inliner(state, self.expressions, self.flow, self.names)
        self.user_calls = UserCalls(state, self.expressions, self.inliner, self.ops)
        self.expressions.connect(self.statements, self.flow, self.user_calls)
        self.expressions.effects = Effects(state, self.expressions, self.ops)
        self.statements.connect(self.flow, self.loops)

    @property
    def graph(self) -> Graph:
        """The graph lowered (complete after :meth:`run`)."""
        return self.state.graph

    @property
    def return_loc(self) -> Any:
        """Where the function first returns."""
        return self.state.return_loc

    # -- entry ------------------------------------------------------------
    def run(self) -> Graph:
        """Lower the function's parameters and body; the graph's outputs are
        what it returns (an error if it never returns a value)."""
        state = self.state
        node = state.parsed.node
        self._parameters(node.args)
        body = node.body
        if body and is_docstring(body[0]):
            body = body[1:]
        state.env[RETURNED] = False
        state.env[RETVAL] = None
        self.flow.block(body)
        if state.env[RETURNED] is False:
            raise state.parsed.error(
                UnsupportedSyntaxError,
                "the function never returns a value",
                node,
                "return the scalar to differentiate",
            )
        state.graph.outputs = state.env[RETVAL]
        if not state.callee and holds_callable(state.graph.outputs):
            raise UnsupportedSyntaxError(
                "returning a function from the function transformed is not "
                "supported in differentiated code",
                state.return_loc or state.parsed.loc(node),
                "return arrays and numbers; call the function before returning",
            )
        state.graph.body.ops[:0] = state.prologue.ops
        return state.graph

    def _parameters(self, args: ast.arguments) -> None:
        state = self.state
        # in the order of the signature (the call binds *args to a tuple,
        # **kwargs to a dict: each one parameter, of that structure)
        params = [
            *args.posonlyargs,
            *args.args,
            *([args.vararg] if args.vararg else []),
            *args.kwonlyargs,
            *([args.kwarg] if args.kwarg else []),
        ]
        for index, arg in enumerate(params):
            value = state.graph.add_param(arg.arg)
            shape = state.structures[index] if index < len(state.structures) else LEAF
            state.emitter.loc = state.parsed.loc(arg)
            state.env[arg.arg] = self.names.unpack_tree(value, shape, arg.arg)
            state.param_trees[value] = state.env[arg.arg]
            state.argument_lists |= _list_ids(state.env[arg.arg])

    def dependencies(self) -> Dependencies:
        """What the compilation read from outside (see :class:`frontend.Dependencies`)."""
        return dependencies.recorded(self.state)

    def env_of_param(self, param: Value) -> Any:
        """A parameter as the function sees it: the value, or its tree of leaves."""
        return self.state.param_trees[param]

    def memory_sources(self, value: Value) -> tuple[set[Value], bool]:
        """The values whose memory ``value`` may be, and whether it may be
        memory not known here (see :meth:`MemoryModel.memory_sources`)."""
        return self.memory.memory_sources(value)


def _list_ids(tree: Any) -> set[int]:
    """The ids of the (compile-time) lists in a parameter tree."""
    found: set[int] = set()
    if isinstance(tree, list):
        found.add(id(tree))
    if isinstance(tree, (list, tuple)):
        for item in tree:
            found |= _list_ids(item)
    elif isinstance(tree, dict):
        for item in tree.values():
            found |= _list_ids(item)
    return found


def lower(
    parsed: ParsedFunction, structures: tuple, callee: bool, sites: CallSites
) -> Lowering:
    """Lower a parsed function; the graph is ``result.graph``.

    ``structures`` gives each parameter's :func:`trees.structure` (a leaf
    where it is missing): container arguments become compile-time trees.
    ``callee``: the function is called from differentiated code. ``sites``:
    the pipeline's compiled forms of the user functions it calls.
    """
    lowering = Lowering(parsed, structures, callee, sites)
    lowering.run()
    return lowering
