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
import builtins
import functools
import inspect
import types
from typing import Any

from ..callables import (
    Checkpoint,
    Transformed,
    generated_definition,
    is_compile_time,
    source_function,
    user_function,
)
from ..errors import StaticArgumentNeeded, UnsupportedSyntaxError
from ..ir import CallOp, Value, output_dependence, tree_leaves, tree_map, tree_values
from ..primitives import registry
from ..trees import (
    LEAF,
    NOT_CONSTANT,
    Constant,
    Fixed,
    ObjectTree,
    as_constant,
    operand_shape,
)
from . import callvalues, dependencies, function_operands
from .dicts import NOT_STATIC, static_builtin
from .effects import CASTS, NOT_MINE
from .errortext import library_function
from .expressions import Expressions
from .generators import (
    inline_generator,
    is_generator,
    is_generator_definition,
    refuse_kept,
)
from .inlining import Inliner
from .memory import call_result_views
from .objects import Objects
from .ops import Ops
from .state import RUNTIME_SEQUENCE, Inline, State, Static
from .variadics import has_spread, spread_call


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
        self.objects = Objects(state, expressions, inliner)

    def expr_Call(self, node: ast.Call, hint: str | None) -> Any:
        """A call: of an array's method, ``slice``, a nested or small user
        function (inlined), a user function (a :class:`CallOp`) or a primitive."""
        if has_spread(node) and not _names_only(node.func):
            # f(*args, **kw) of local tuples and dicts, the callee evaluated
            # once (else after the draws', which spread run-time shapes)
            return self._spread(node, hint)
        effects = self.expressions.effects
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.expressions.expr(func.value)
            if isinstance(base, ObjectTree):  # a dataclass's method or field
                callee = self.objects.call_method(base, func.attr, node, hint)
                if not isinstance(callee, Static):
                    return callee
            elif not isinstance(base, Static):
                done = effects.method(base, func.attr, node, hint)
                if done is not NOT_MINE:  # a draw, or str.format
                    return done
                if has_spread(node):
                    return self._spread(node, hint)
                return self.expressions.method_call(base, func.attr, node, hint)
        if not isinstance(func, ast.Attribute) or not isinstance(base, ObjectTree):
            callee = self.expressions.expr(func)
        if isinstance(callee, ObjectTree):  # p(x): its class's __call__
            return self.objects.call_method(callee, "__call__", node, hint)
        if isinstance(callee, type) and callee in CASTS:  # np.float64(...)
            callee = Static(callee)
        if isinstance(callee, Static):
            done = effects.call(callee.obj, node, hint)
            if done is not NOT_MINE:  # a draw, a cast, a type test, f(*t)
                return done
        if has_spread(node):
            return self._spread(node, hint)
        if not isinstance(callee, Static):
            raise self.state.parsed.unsupported(
                "calling a runtime value", node, "call a function by its name"
            )
        made = self.objects.call(callee, node, hint)  # methods, P(...), m(x)
        if made is not NotImplemented:
            return made
        args = tuple(self.expressions.value(arg) for arg in node.args)
        kwargs = {kw.arg: self.expressions.value(kw.value) for kw in node.keywords}
        return self.call(callee, args, kwargs, node, hint)

    def call(
        self, callee: Static, args: tuple, kwargs: dict, node: ast.Call, hint: Any
    ) -> Any:
        """A call of the function ``callee`` denotes, with operand trees
        (functions among them: see :mod:`.callvalues`)."""
        bound = callvalues.unbound(callee)
        if bound is not None:  # a partial: its arguments first
            fn, first, named = bound
            return self.call(fn, first + args, {**named, **kwargs}, node, hint)
        if is_compile_time(callee.obj):  # grad(f): the gradient function
            return callvalues.made_at_compile_time(
                self.state, callee, args, kwargs, node
            )
        if callee.obj is functools.partial:
            return callvalues.partial_of(self.state, args, kwargs, node)
        if callee.obj is builtins.map and not kwargs:
            comprehension = callvalues.map_comprehension(self.state, args, node)
            try:
                return self.expressions.expr(comprehension, hint)
            finally:
                callvalues.drop_hidden(self.state)
        if callee.obj is slice and not kwargs:
            return slice(*args)  # part of an index: a structure, not an op
        if isinstance(callee.obj, Inline):
            if is_generator_definition(callee.obj.node):
                refuse_kept(
                    self.state, f"the generator {callee.obj.name}(...)", node, hint
                )
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
            self.expressions.effects.refuse_in_checkpoint(self.state.calls[-1], node)
            self.state.calls[-1].checkpoint = True
            return out
        if is_generator(target) and registry.lookup(target) is None:
            return inline_generator(
                self.state, self.inliner, target, args, kwargs, node, hint
            )
        if (
            isinstance(target, types.FunctionType)
            and registry.lookup(target) is None
            and not library_function(target)  # NoRuleError at this call
        ) or isinstance(target, Transformed):
            # a nested function or partial made here exists only here: the
            # callee taking one is lowered here, as a whole
            whole = any(map(callvalues.made_here, (*args, *kwargs.values())))
            inlined = self.inliner.inlinable(target, whole)
            if inlined is not None:
                return self.inliner.inline_function(*inlined, args, kwargs, node, hint)
            if whole:
                raise self.state.parsed.unsupported(
                    f"passing a nested function, lambda or partial to "
                    f"{getattr(target, '__qualname__', target)}, which cannot be "
                    "inlined (it recurses, or takes *args, keyword-only or "
                    "positional-only parameters)",
                    node,
                    "pass a module-level function instead",
                )
            return self.user_call(target, args, kwargs, node, hint)
        prim = registry.lookup(callee.obj)
        if function_operands.takes_functions(prim):  # odeint(f, y0, t)
            return function_operands.call(
                self.state, self.ops, prim, args, kwargs, node, hint
            )
        folded = static_builtin(self.state, callee.obj, args, kwargs, node, hint)
        if folded is not NOT_STATIC:  # len(d), sorted(d), dict(...), zip(...)
            return folded
        for arg in (*args, *kwargs.values()):
            if callvalues.holds_callable(arg):  # refused, with its name
                self.inliner.spell(arg, node)
        return self.ops.call_prim(callee.obj, args, kwargs, hint)

    def _specialised(
        self,
        fn: Any,
        exc: StaticArgumentNeeded,
        operands: tuple,
        structures: tuple,
        node: ast.AST,
    ) -> tuple:
        """The structures of a call of ``fn`` whose lowering needs the
        parameters ``exc`` names at compile time: each one passed a constant
        a :class:`Constant` of it (the callee is compiled for that value).
        A run-time operand raises :class:`StaticArgumentNeeded` for the
        caller's own parameters it is computed from (the caller's caller, or
        the transformation, may specialise on them); anything else ``exc``."""
        names = _parameter_names(user_function(fn))
        if not exc.params or _parameter_names(exc.function) != names:
            raise exc
        out = list(structures)
        rule, slot = exc.slot
        for name in exc.params:
            k = names.index(name)
            if isinstance(out[k], Constant):
                raise exc  # compiled for its value already: another cause
            operand = operands[k]
            if any(True for _ in tree_values(operand)):
                raise self.ops.runtime_static(rule, slot, operand, node)
            constant = as_constant(operand)
            if constant is NOT_CONSTANT:
                raise exc
            out[k] = Constant(constant)
        return tuple(out)

    def _spread(self, node: ast.Call, hint: str | None) -> Any:
        """``node`` with its ``*`` and ``**`` arguments spread out (see
        :mod:`.variadics`)."""
        with spread_call(self.state, self.expressions, node) as spread:
            return self.expr_Call(spread, hint)

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
                f"calling {fn.__qualname__}, which takes *args or **kwargs, "
                "where it is not inlined (a recursive or checkpointed call)",
                node,
                "give it named parameters",
            )
        bound.apply_defaults()
        operands = tuple(
            self.inliner.spell(value, node) for value in bound.arguments.values()
        )
        spelled = operands
        structures = tuple(_operand_structure(operand) for operand in operands)
        operands = callvalues.runtime_operand(operands)
        original = fn
        while True:
            fn = original
            if isinstance(fn, Transformed):  # a gradient function: its generated code
                transformed, fn = fn, source_function(fn, structures)
                # compiled again if that function's own dependencies change
                dependencies.record_derived(
                    self.state, source_function, (transformed, structures), fn
                )
            try:
                callee = self.state.sites.lowered(fn, structures)
                break
            except StaticArgumentNeeded as exc:
                structures = self._specialised(original, exc, spelled, structures, node)
        if callee is not None and callvalues.holds_callable(callee.graph.outputs):
            # it returns a function: one known only where its body is lowered
            inlined = self.inliner.inlinable(fn, True)
            if inlined is None:
                raise self.state.parsed.unsupported(
                    f"a call of {fn.__qualname__}, which returns a function and "
                    "cannot be inlined",
                    node,
                    "return the function from a helper without *args, "
                    "keyword-only parameters or recursion",
                )
            return self.inliner.inline_function(*inlined, args, kwargs, node, hint)
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
        if callee is not None:
            op.depends = _dependence(callee, operands)
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


def _dependence(callee: Any, operands: tuple) -> tuple | None:
    """For each result of a call of ``callee``, the positions of the
    argument leaves it depends on differentiably (its lowered graph's
    :func:`output_dependence`), when the graph's parameters are the leaves
    one for one; None otherwise (every result from every argument)."""
    leaves = list(tree_leaves(operands))
    params = callee.graph.params
    if len(params) != len(leaves):
        return None
    return tuple(tuple(sorted(d)) for d in output_dependence(callee.graph))


def _parameter_names(fn: Any) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _operand_structure(operand: Any) -> Any:
    """:func:`trees.structure` of a call's operand tree, where a value that
    may be a list at run time is a :data:`RUNTIME_SEQUENCE`."""
    if isinstance(operand, Value):
        return LEAF if operand.container is False else RUNTIME_SEQUENCE
    if callvalues.is_callable(operand):
        return callvalues.structure_of(operand)
    if operand is None:  # compiled for None: `x is None` known in the callee
        return Fixed(None)
    if isinstance(operand, ObjectTree):
        return operand_shape(operand, _operand_structure)
    if isinstance(operand, (list, tuple)):
        return (type(operand), tuple(_operand_structure(item) for item in operand))
    if isinstance(operand, dict):
        return (dict, tuple((k, _operand_structure(v)) for k, v in operand.items()))
    return LEAF


def _names_only(func: ast.expr) -> bool:
    """Whether evaluating the callee ``func`` only reads names
    (``f``, ``rng.normal``, ``np.random.randn``): evaluating it twice is
    evaluating it once."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name)
