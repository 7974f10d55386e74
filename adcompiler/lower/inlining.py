"""Inlining: function bodies lowered where they are called.

Two kinds of function are compiled into their caller rather than called:
a nested ``def`` or ``lambda`` (:class:`Inline`), whose free names are read
from the enclosing function at the call as Python's closures do; and, when
optimising, a small user function (:func:`_small_body`: a few plain
assignments and one ``return``), lowered with its own names and globals,
its lines marked as its own, and recorded as a dependency of the caller.
A user function that may write into what it is passed
(:func:`writes_arguments`) is always inlined, whatever its body: its
writes into the caller's lists, dicts and arrays then reach the caller's
names (``State.enclosing_envs``), as they do in Python.
"""

from __future__ import annotations

import ast
import inspect
import types
from typing import Any

from ..errors import ADError, UnsupportedSyntaxError
from ..frontend import ParsedFunction, local_names, parse_function
from ..ir import Value, is_literal, tree_values
from ..options import optimizing
from . import dependencies
from .callvalues import Closed, close_over, is_callable
from .expressions import Expressions
from .flow import ControlFlow
from .names import Names
from .objects import ObjectStatic
from .state import FUNCTION_STATE, RETURNED, RETVAL, Inline, State, Static
from .generators import as_list_builder, is_generator_definition
from .statements import is_docstring
from .variadics import bind_nested, keyword_defaults, plain_parameters


class Inliner:
    """Lowers the bodies of inlined functions at their calls.

    Guarantees: the caller's environment, stale names and current function
    (``State.parsed``, ``fn``, ``resolved``, ...) are as they were after
    an inlined call, whether it succeeded or raised; a nested function
    calling itself is refused, a user function calling itself is never
    inlined.
    """

    def __init__(
        self,
        state: State,
        expressions: Expressions,
        flow: ControlFlow,
        names: Names,
    ):
        self.state = state
        self.expressions = expressions
        self.flow = flow
        self.names = names

    def inlinable(self, fn: Any, whole: bool = False) -> tuple | None:
        """``(parsed, assignments, return)`` of ``fn`` when its body is
        compiled in at its call: a small function of plain assignments and
        one final ``return`` (see :func:`_small_body`), not recursive, not
        generated code, with optimisations on; any function that is not
        recursive when ``whole`` (it takes or returns a function known only
        here) or when it takes ``*args`` or ``**kwargs``. Else None: a call
        of its own compiled code."""
        variadic = isinstance(fn, types.FunctionType) and bool(
            fn.__code__.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
        )
        if (
            not isinstance(fn, types.FunctionType)
            or any(fn is outer.fn for outer in self.state.inline_stack)
            or fn.__code__.co_flags & inspect.CO_GENERATOR
            or not variadic
            and (fn.__code__.co_kwonlyargcount or fn.__code__.co_posonlyargcount)
        ):
            return None
        try:
            parsed = parse_function(fn)
        except ADError:
            return None  # the call reports it
        if parsed.generated:
            return None
        if whole or variadic or writes_arguments(fn, parsed.node):
            # its writes into the caller's lists and dicts reach the
            # caller only when its body is lowered here (and *args and
            # **kwargs are bound only here: a tuple and a dict of the call's)
            body = parsed.node.body
            parsed.within = fn.__qualname__
            return (parsed, body[1:] if is_docstring(body[0]) else body, None)
        body = _small_body(parsed.node) if optimizing() else None
        if body is None:
            return None
        parsed.within = fn.__qualname__
        return (parsed, *body)

    def inline_function(
        self,
        parsed: ParsedFunction,
        statements: list,
        returned: ast.Return | None,
        args: tuple,
        kwargs: dict,
        node: ast.AST,
        hint: str | None,
    ) -> Any:
        """A call of a user function (:meth:`inlinable`): its body, lowered
        here with its own names and globals, its lines marked as its own,
        then its final ``return`` (or, when ``returned`` is None, whatever
        its body returned: None if it did not). Its writes into the lists
        and dicts it was passed reach the caller's (``State.enclosing_envs``).
        The compiled code depends on the function's code and globals as it
        does on its own (``State.callees``)."""
        fn = parsed.fn
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise self.state.parsed.error(
                UnsupportedSyntaxError, f"this call of {fn.__qualname__}: {exc}", node
            ) from None
        bound.apply_defaults()
        values = {name: self.spell(v, node) for name, v in bound.arguments.items()}
        # a nested function passed reads the caller's names (paused meanwhile)
        values = {
            key: close_over(
                self.state,
                node,
                v,
                self.state.env,
                None,
                self.state.parsed,
                self.state.fn,
            )
            for key, v in values.items()
        }
        saved = [getattr(self.state, name) for name in FUNCTION_STATE]
        saved_loc = self.state.emitter.loc
        self.state.parsed, self.state.fn, self.state.resolved = parsed, fn, {}
        self.state.env = {**values, RETURNED: False, RETVAL: None}
        self.state.stale = {}
        self.state.inline_stack.append(parsed)
        self.state.enclosing_envs.append(saved[FUNCTION_STATE.index("env")])
        block = self.state.emitter.block
        start = len(block.ops)
        try:
            self.flow.block(statements)
            if returned is not None:
                self.state.emitter.loc = parsed.loc(returned)
                result = self.expressions.expr(returned.value, hint)
            elif self.state.env[RETURNED] is False:
                result = None
            else:
                result = self.state.env[RETVAL]
            result = close_over(
                self.state,
                returned or parsed.node,
                result,
                self.state.env,
                None,
                parsed,
                fn,
            )
            dependencies.record_inlined(self.state, fn)
            if not hint:  # `a, b = f(x)` names the results a and b
                made = {out for op in block.ops[start:] for out in op.outs}
                self.state.unnamed.update(v for v in tree_values(result) if v in made)
        finally:
            self.state.inline_stack.pop()
            self.state.enclosing_envs.pop()
            for name, value in zip(FUNCTION_STATE, saved):
                setattr(self.state, name, value)
            self.state.emitter.loc = saved_loc
        return result

    def inline_call(
        self, inline: "Inline", args: tuple, kwargs: dict, node: ast.AST
    ) -> Any:
        """A nested ``def`` or ``lambda`` called here: its body, inlined.

        Its free names are read from the enclosing function at the call, as
        Python's closures do; its own assignments stay local to it.
        """
        if inline in self.state.inlining:
            raise self.state.parsed.unsupported(
                f"recursion of the nested function {inline.name}",
                node,
                "define it at module level: module-level functions may recurse",
            )
        definition = inline.node
        if is_generator_definition(definition):  # the list of what it yields
            definition = as_list_builder(self.state.parsed, definition)
        params = definition.args
        names = [arg.arg for arg in params.args]
        defaults = list(inline.defaults)  # evaluated where it was defined
        if not plain_parameters(params):  # *args, **kwargs, keyword-only, ...
            values = bind_nested(
                self.state,
                inline.name,
                params,
                defaults,
                keyword_defaults(self.expressions, params),
                args,
                kwargs,
                node,
            )
            names, kwargs = list(values), {}
        else:
            values = dict(zip(names[len(names) - len(defaults) :], defaults))
            values.update(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise self.state.parsed.error(
                    UnsupportedSyntaxError,
                    f"{inline.name}() got an unexpected keyword argument {key!r}",
                    node,
                )
            values[key] = value
        missing = [name for name in names if name not in values]
        if missing:
            raise self.state.parsed.error(
                UnsupportedSyntaxError,
                f"{inline.name}() missing argument(s) {', '.join(missing)}",
                node,
            )
        outer_env, outer_stale = self.state.env, self.state.stale
        # a nested function passed reads the caller's names, not the callee's
        values = {
            key: close_over(self.state, node, v, outer_env, None)
            for key, v in values.items()
        }
        saved = [getattr(self.state, name) for name in FUNCTION_STATE]
        visible = {k: v for k, v in outer_env.items() if not k.startswith("<")}
        if isinstance(inline, Closed):  # returned by the function defining it
            visible = {**({} if inline.parsed else visible), **inline.names}
            if inline.parsed is not None:
                self.state.parsed, self.state.fn = inline.parsed, inline.fn
                self.state.resolved = {}
        self.state.env = {**visible, **values, RETURNED: False, RETVAL: None}
        self.state.stale = dict(outer_stale)
        self.state.inlining.append(inline)
        self.state.enclosing_envs.append(outer_env)
        try:
            if isinstance(definition, ast.Lambda):
                result = self.expressions.value(definition.body)
            else:
                self.flow.block(definition.body)
                if self.state.env[RETURNED] is False:
                    result = None
                else:
                    result = self.state.env[RETVAL]
            own = (
                local_names(definition)
                if isinstance(definition, ast.FunctionDef)
                else set(names)
            )
            result = close_over(self.state, node, result, self.state.env, own)
            if isinstance(inline, Closed) and inline.parsed is not None:
                dependencies.record_inlined(self.state, inline.fn)
        finally:
            self.state.inlining.pop()
            self.state.enclosing_envs.pop()
            for name, value in zip(FUNCTION_STATE, saved):
                setattr(self.state, name, value)
            self.state.env, self.state.stale = outer_env, outer_stale
        return result

    def spell(self, value: Any, node: ast.AST) -> Any:
        """An argument of a user call: values, literals, trees of them (a
        list or dict of values is passed as itself, so that the callee's
        writes into it are the caller's)."""
        if isinstance(value, (tuple, list)):
            items = [self.spell(item, node) for item in value]
            if all(new is old for new, old in zip(items, value)):
                return value
            return type(value)(items)
        if isinstance(value, dict):
            spelled = {key: self.spell(item, node) for key, item in value.items()}
            if all(spelled[key] is item for key, item in value.items()):
                return value
            return spelled
        if isinstance(value, Value) or is_literal(value) or is_callable(value):
            return value
        if isinstance(value, ObjectStatic):  # self of a method
            return value
        if isinstance(value, Static):
            return self.names.static_operand(value.obj, node)
        return self.state.graph.add_free("default", value)


#: The most statements (plain assignments, then a return) of a function
#: inlined at its calls.
INLINE_STATEMENTS = 10


def _small_body(node: ast.FunctionDef) -> tuple[list, ast.Return] | None:
    """``(assignments, return)`` when a function's body (its docstring
    aside) is at most :data:`INLINE_STATEMENTS` assignments to plain names
    then one ``return`` of a value, with no nested function, lambda,
    comprehension, ``:=``, ``global``, ``yield``, ``out=`` or call of a
    method that changes its object (``append``, ``sort``, ...) anywhere:
    code that reads its arguments and changes nothing outside itself."""
    body = node.body[1:] if node.body and is_docstring(node.body[0]) else node.body
    if not body or len(body) > INLINE_STATEMENTS + 1:
        return None
    *statements, returned = body
    if not isinstance(returned, ast.Return) or returned.value is None:
        return None
    for statement in statements:
        if not isinstance(statement, ast.Assign) or not all(
            _plain_target(target) for target in statement.targets
        ):
            return None
    for sub in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(sub, _NOT_INLINED) or (
            isinstance(sub, ast.keyword) and sub.arg == "out"
        ):
            return None
        if isinstance(sub, ast.Call) and _called_name(sub.func) in _CHANGING:
            return None
    return statements, returned


#: Methods and functions that change one of their arguments (a list, an
#: array): a function calling one is called, not inlined, so that changes
#: to its caller's objects are refused as they are for any called function.
_CHANGING = frozenset(
    "append pop extend insert remove clear sort reverse update setdefault "
    "popitem fill put resize itemset partition setflags copyto place putmask "
    "fill_diagonal".split()
)


def _called_name(func: ast.expr) -> str:
    """The name a call's function is spelled with (``f``, ``x.append``: ``append``)."""
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


_NOT_INLINED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.NamedExpr,
    ast.Global,
    ast.Nonlocal,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.Starred,
)


def _plain_target(target: ast.expr) -> bool:
    """Whether an assignment target is a name or a tuple of names."""
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(isinstance(elt, ast.Name) for elt in target.elts)
    return False


#: Methods that change the list or dict they are called on.
_CHANGING_CONTAINER = frozenset(
    "append pop extend insert remove clear sort reverse update setdefault "
    "popitem".split()
)


def writes_arguments(
    fn: types.FunctionType, node: ast.FunctionDef, seen: frozenset = frozenset()
) -> bool:
    """Whether ``fn`` (defined by ``node``) may write into what its
    parameters hold: an item or attribute of a parameter (or of a name
    bound to one, or to an item of one) assigned or deleted, ``+=`` or
    ``*=`` on a parameter, a method changing a list or dict called on one,
    or one passed to a module-level function that writes into its own."""
    derived = {arg.arg for arg in node.args.args + node.args.posonlyargs}
    for _ in range(3):  # names bound to parameters or to their items
        for sub in ast.walk(node):
            if isinstance(sub, ast.Assign) and _base_name(sub.value) in derived:
                derived |= {t.id for t in sub.targets if isinstance(t, ast.Name)}
            elif isinstance(sub, ast.For) and _base_name(sub.iter) in derived:
                derived |= {
                    t.id for t in ast.walk(sub.target) if isinstance(t, ast.Name)
                }
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Subscript, ast.Attribute)) and isinstance(
            sub.ctx, (ast.Store, ast.Del)
        ):
            if _base_name(sub) in derived:
                return True
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            if sub.target.id in derived and isinstance(sub.op, (ast.Add, ast.Mult)):
                return True
        elif isinstance(sub, ast.Call):
            func = sub.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _CHANGING_CONTAINER
                and _base_name(func.value) in derived
            ):
                return True
            passed = [
                arg
                for arg in [*sub.args, *(k.value for k in sub.keywords)]
                if _base_name(arg) in derived
            ]
            if passed and isinstance(func, ast.Name):
                callee = fn.__globals__.get(func.id)
                if (
                    isinstance(callee, types.FunctionType)
                    and callee not in seen
                    and callee is not fn
                ):
                    try:
                        inner = parse_function(callee)
                    except ADError:
                        continue
                    if writes_arguments(callee, inner.node, seen | {fn}):
                        return True
    return False


def _base_name(node: ast.expr) -> str | None:
    """The name under a chain of items and attributes (``p["w"][0]``: ``p``)."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
