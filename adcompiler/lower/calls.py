"""Call sites: calls of functions in the lowered code.

A call is routed here: a method of an array goes to the expressions'
method table, ``slice(...)`` stays a structure, a nested function or a
small user function is inlined (:mod:`.inlining`), a checkpointed or any
other user function becomes a :class:`CallOp` whose callee the pipeline
compiles in turn (its lowering tells the call site its result's structure
and which arguments it may share memory with), and anything else is a
primitive call.
"""

from __future__ import annotations

import ast
import inspect
import types
from typing import Any

from ..callables import (
    Checkpoint,
    Transformed,
    generated_definition,
    source_function,
    user_function,
)
from ..errors import UnsupportedSyntaxError
from ..ir import CallOp, Value, tree_map, tree_values
from ..primitives import registry
from ..primitives.scipy_hook import scipy_name
from ..trees import LEAF
from . import dependencies
from .expressions import Expressions
from .inlining import Inliner
from .memory import call_result_views
from .ops import Ops
from .state import RUNTIME_SEQUENCE, Inline, State, Static


class UserCalls:
    """Lowers calls (see the module's docstring).

    Guarantees: a call of a user function that is not inlined is one
    :class:`CallOp` in ``State.calls``, whose results carry the callee's
    container kinds and, in ``State.call_views``, the arguments they may
    share memory with; the callee's lowering is a dependency of the caller.
    """

    def __init__(
        self, state: State, expressions: Expressions, inliner: Inliner, ops: Ops
    ):
        self.state = state
        self.expressions = expressions
        self.inliner = inliner
        self.ops = ops

    def expr_Call(self, node: ast.Call, hint: str | None) -> Any:
        """A call: of an array's method, ``slice``, a nested or small user
        function (inlined), a user function (a :class:`CallOp`) or a primitive."""
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.state.parsed.unsupported(
                    "*args in a call", arg, "pass the arguments one by one"
                )
        for kw in node.keywords:
            if kw.arg is None:
                raise self.state.parsed.unsupported(
                    "**kwargs in a call", kw.value, "pass keyword arguments by name"
                )
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.expressions.expr(func.value)
            if not isinstance(base, Static):
                return self.expressions.method_call(base, func.attr, node, hint)
        callee = self.expressions.expr(func)
        if not isinstance(callee, Static):
            raise self.state.parsed.unsupported(
                "calling a runtime value", node, "call a function by its name"
            )
        args = tuple(self.expressions.operand(arg) for arg in node.args)
        kwargs = {kw.arg: self.expressions.operand(kw.value) for kw in node.keywords}
        if callee.obj is slice and not kwargs:
            return slice(*args)  # part of an index: a structure, not an op
        if isinstance(callee.obj, Inline):
            return self.inliner.inline_call(callee.obj, args, kwargs, node)
        target = callee.obj
        definition = generated_definition(target)
        if definition is not None:  # generated code, transformed again
            dependencies.record_derived(
                self.state, generated_definition, (target,), definition
            )
            target = definition
        if isinstance(target, Checkpoint):
            out = self.user_call(target.__wrapped__, args, kwargs, node, hint)
            self.state.calls[-1].checkpoint = True
            return out
        if (
            isinstance(target, types.FunctionType)
            and registry.lookup(target) is None
            and scipy_name(target) is None  # SciPy's source is not read: no rule
        ) or isinstance(target, Transformed):
            inlined = self.inliner.inlinable(target)
            if inlined is not None:
                return self.inliner.inline_function(*inlined, args, kwargs, node, hint)
            return self.user_call(target, args, kwargs, node, hint)
        return self.ops.call_prim(callee.obj, args, kwargs, hint)

    def user_call(
        self,
        fn: types.FunctionType,
        args: tuple,
        kwargs: dict,
        node: ast.AST,
        hint: str | None,
    ) -> Any:
        """A call of a user function: an op whose callee is transformed in turn."""
        try:
            bound = inspect.signature(user_function(fn)).bind(*args, **kwargs)
        except TypeError as exc:
            raise self.state.parsed.error(
                UnsupportedSyntaxError, f"this call of {fn.__qualname__}: {exc}", node
            ) from None
        if user_function(fn).__code__.co_flags & (
            inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
        ):
            raise self.state.parsed.unsupported(
                f"calling {fn.__qualname__}, which takes *args or **kwargs",
                node,
                "give it named parameters",
            )
        bound.apply_defaults()
        operands = tuple(
            self.inliner.spell(value, node) for value in bound.arguments.values()
        )
        structures = tuple(_operand_structure(operand) for operand in operands)
        if isinstance(fn, Transformed):  # a gradient function: its generated code
            transformed, fn = fn, source_function(fn, structures)
            # compiled again if that function's own dependencies change
            dependencies.record_derived(
                self.state, source_function, (transformed, structures), fn
            )
        callee = self.state.sites.lowered(fn, structures)
        if callee is not None:  # its result's structure and views are used here
            dependencies.record_called(self.state, fn, callee)
        if callee is None:  # a recursive call: its result is one value
            out_tree: Any = self.state.graph.new_value(hint or fn.__name__, bool(hint))
        else:
            out_tree = tree_map(
                lambda leaf: (
                    self.state.graph.new_value(hint or fn.__name__, bool(hint))
                    if isinstance(leaf, Value)
                    else leaf
                ),
                callee.graph.outputs,
            )
        # without a derivative, the call runs the callee compiled as it is
        # (never the original: the two must not disagree)
        op = CallOp(
            self.state.sites.primal(fn, structures),
            operands,
            out_tree,
            list(tree_values(out_tree)),
            self.state.emitter.loc,
            callee=fn,
            structures=structures,
        )
        arguments = [list(tree_values(operand)) for operand in operands]
        if callee is None:
            op.outs[0].container = None
            self.state.call_views[op.outs[0]] = call_result_views(None, None, arguments)
        else:  # each result is a list where the callee's is
            for out, inner in zip(op.outs, tree_values(callee.graph.outputs)):
                out.container = inner.container
                self.state.call_views[out] = call_result_views(callee, inner, arguments)
        if not hint:
            self.state.unnamed.update(op.outs)
        self.state.graph.root_name(op.fn)
        self.state.emitter.block.ops.append(op)
        self.state.calls.append(op)
        return out_tree


def _operand_structure(operand: Any) -> Any:
    """:func:`trees.structure` of a call's operand tree, where a value that
    may be a list at run time is a :data:`RUNTIME_SEQUENCE`."""
    if isinstance(operand, Value):
        return LEAF if operand.container is False else RUNTIME_SEQUENCE
    if isinstance(operand, (list, tuple)):
        return (type(operand), tuple(_operand_structure(item) for item in operand))
    if isinstance(operand, dict):
        return (dict, tuple((k, _operand_structure(v)) for k, v in operand.items()))
    return LEAF
