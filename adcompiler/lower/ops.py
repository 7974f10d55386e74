"""Primitive calls: how the lowering records an op.

Every operation the lowering emits goes through :meth:`Ops.call_prim`: it
finds the registered primitive (or fails with an error naming the function
and the line), checks the call against the primitive's signature and its
static parameters, folds calls whose arguments are all constants, and
rewrites the in-place sums of generated code into plain ones before it is
differentiated again.
"""

from __future__ import annotations

import ast
import operator
import types
from typing import Any

import numpy as np

from ..errors import ADError, NoRuleError, StaticArgumentNeeded
from ..ir import is_literal, tree_values
from ..trees import Node, object_tree
from ..primitives import registry
from ..primitives.registry import Primitive
from .. import runtime
from .errortext import library_function, static_name
from .statics import compile_time_statics, parameter_sources
from .state import State


class Ops:
    """Records calls of primitives into the block being lowered.

    Guarantees: the result of :meth:`call_prim` is a graph value made by
    one op of a registered primitive, or a Python constant (a folded call),
    or, for the sums of generated code, the values of the ops it was
    rewritten into.
    """

    def __init__(self, state: State):
        self.state = state

    def call_prim(
        self,
        fn: Any,
        args: tuple,
        kwargs: dict,
        hint: str | None = None,
        user_variable: bool = True,
    ) -> Any:
        """Record a call of a registered primitive, after checking its arguments.

        Generated code differentiated again writes its sums plainly: an
        in-place ``add_into``/``subtract_into``/``add_at`` would overwrite values the outer
        backward sweep reads (the outer compiler makes its own in-place sums),
        and ``assemble`` (``concatenate_tiles``) is its pieces' ``unindex``
        added up.
        """
        if fn is runtime.add_into and not kwargs:
            fn = operator.add
        elif fn is runtime.subtract_into and not kwargs:
            fn = operator.sub
        elif fn is runtime.add_at and not kwargs and len(args) == 4:
            acc, part, shape, index = args
            scattered = self.call_prim(runtime.unindex, (part, shape, index), {})
            return self.call_prim(operator.add, (acc, scattered), {}, hint)
        elif fn in (runtime.assemble, runtime.concatenate_tiles) and not kwargs:
            if fn is runtime.assemble:
                shape, *pieces = args
            else:
                shape, axis, cuts, *parts = args
                pieces = runtime.tile_pieces(axis, cuts, parts)
            if pieces and all(
                isinstance(piece, tuple) and len(piece) == 2 for piece in pieces
            ):
                total = None
                for index, part in pieces:
                    scattered = self.call_prim(
                        runtime.unindex, (part, shape, index), {}
                    )
                    total = (
                        scattered
                        if total is None
                        else self.call_prim(operator.add, (total, scattered), {})
                    )
                return total
        elif fn is np.array and kwargs.get("copy", True) is not True and args:
            # np.array(a, copy=False) may be a itself: np.asarray says so
            fn = np.asarray
        node = self.state.current_node
        prim = registry.lookup(fn)
        if prim is None:
            raise self._no_rule(fn, node)
        args, kwargs = compile_time_statics(prim, args, kwargs)
        self._check_arguments(prim, args, kwargs, node)
        parts = self._split(prim, args, kwargs, node)
        if parts is not None:  # a tuple of results, one primitive call each
            items = tuple(self.call_prim(f, a, k, hint) for f, a, k in parts)
            named = prim.split_result
            if named is None:
                return items
            return object_tree(
                Node(named, tuple(named._fields), (), "namedtuple"), items
            )
        if not prim.impure and not any(True for _ in tree_values((args, kwargs))):
            result = prim.fn(*args, **kwargs)
            if (is_literal(result) and not isinstance(result, list)) or isinstance(
                result, np.generic
            ):
                return result.item() if isinstance(result, np.generic) else result
        if hint and user_variable:
            return self.state.emitter.op(prim, args, kwargs, hint, user_variable=True)
        return self.state.emitter.op(prim, args, kwargs)

    def _split(self, prim: Primitive, args: tuple, kwargs: dict, node) -> Any:
        """The calls of a primitive returning a tuple, one per item (None:
        one call); a refusal (an option without rules) names the call."""
        if prim.split is None:
            return None
        try:
            return prim.split(*args, **kwargs)
        except ADError as exc:
            if exc.loc is not None:
                raise
            raise self.state.parsed.error(
                type(exc), exc.message, node, exc.hint
            ) from None

    def _check_arguments(
        self, prim: Primitive, args: tuple, kwargs: dict, node
    ) -> None:
        if prim.signature is None:
            return
        try:
            bound = prim.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.state.parsed.unsupported(
                f"this call of {prim.name} ({exc})",
                node,
                f"{prim.name} accepts {prim.signature} in differentiated code",
            ) from None
        if "out" in prim.signature.parameters and not (
            bound.arguments.get("out") is None
        ):
            # a write into another array, which no rule follows
            raise self.state.parsed.unsupported(
                f"`out=` of {prim.name}",
                node,
                f"assign the result instead (y = {prim.name}(...)), or write it "
                "into the array with y[...] = ...",
            )
        for name in prim.static:
            if name in bound.arguments and any(
                True for _ in tree_values(bound.arguments[name])
            ):
                raise self.runtime_static(prim.name, name, bound.arguments[name], node)

    def runtime_static(self, rule: str, name: str, value: Any, node) -> Exception:
        """The error for a run-time value as static parameter ``name`` of
        ``rule`` (a primitive's name, or a callee's slot): a
        :class:`StaticArgumentNeeded` naming the parameters of the function
        lowered it was computed from, when it was computed from parameters
        only (the transformation may specialise on their values)."""
        state = self.state
        params: tuple = ()
        blocks = [state.graph.body, state.prologue, *state.open_blocks]
        found = parameter_sources(
            value, state.graph.params, blocks + [state.emitter.block]
        )
        if found:
            top = state.inline_stack[0].node.args
            names = [
                a.arg
                for a in (
                    *top.posonlyargs,
                    *top.args,
                    *([top.vararg] if top.vararg else []),
                    *top.kwonlyargs,
                    *([top.kwarg] if top.kwarg else []),
                )
            ]
            params = tuple(names[index] for index in found)
        which = f"the parameter `{params[0]}`" if len(params) == 1 else "a parameter"
        exc = state.parsed.error(
            StaticArgumentNeeded,
            f"a runtime value as `{name}` of {rule} ({which}, or a value "
            "computed from one, is known only at run time; the rules need it "
            "at compile time) is not supported in differentiated code",
            node,
            f"pass `{name}` as a constant: a literal, a global or closure "
            "variable (def make(axis): def f(x): ...), or a parameter of the "
            "function transformed holding an int, a string, a bool, None or a "
            "tuple of them, not in wrt",
        )
        exc.params = params
        exc.function = state.inline_stack[0].fn
        exc.slot = (rule, name)
        return exc

    def _no_rule(self, fn: Any, node: ast.AST) -> Exception:
        name = static_name(fn)
        if isinstance(fn, types.FunctionType) and not library_function(fn):
            return self.state.parsed.error(
                NoRuleError,
                f"call to the Python function {name}, which has no derivative rule",
                node,
                "inline its body into the differentiated function",
            )
        return self.state.parsed.error(
            NoRuleError,
            f"{name} has no derivative rule",
            node,
            "use a supported function (docs/numpy-coverage.md lists them), or "
            "give it a rule with adcompiler.defvjp",
        )
