"""Calls of higher-order primitives: a function as an operand.

A primitive whose record lists parameters in ``functions`` (see
:mod:`adcompiler.primitives.higher_order`: ``scipy.integrate.odeint``'s
``func``) takes there a function known at compile time: a module-level
``def`` or ``lambda``, a closure made outside the differentiated code, or
such a function passed as a parameter (code is compiled for that very
function). It becomes a free value of the graph, so the generated
code passes the function object itself::

    ys = odeint(decay, y0, t, args=(k,))
    # generated:  ys = scipy.integrate.odeint(decay, y0, t, args=(k,))

Guarantees: after this module, a function reaches a primitive only at a
parameter its record declares, as a free value holding a real function.
A ``lambda`` written in the call is lifted (:mod:`.lambda_lifting`): a
real function, the local values it reads appended to ``args``. Refused,
with the function's name, ``file:line`` and a hint: a nested ``def``, a
partial made in the code, or a lambda that cannot be lifted (they exist
only while compiling); a runtime value or anything but a
Python function (a ``functools.partial`` object, a method, a builtin) at such
a parameter; a function at any other parameter. A
primitive whose results are a ``split_result``'s fields (``solve_ivp``'s
``sol.t`` and ``sol.y``) gives an object node of that class, so the code
reads ``sol.y`` and any other field is refused.
"""

from __future__ import annotations

import ast
import types
from typing import Any

from ..errors import ArgumentError
from ..primitives.registry import Primitive
from . import lambda_lifting
from .callvalues import describe, holds_callable, is_callable, made_here
from .ops import Ops
from .state import State


def takes_functions(prim: Primitive | None) -> bool:
    """Whether ``prim`` is a higher-order primitive (see the module's docstring)."""
    return prim is not None and bool(prim.functions)


def _positional_names(prim: Primitive) -> list[str]:
    if prim.signature is None:
        return []
    return [
        param.name
        for param in prim.signature.parameters.values()
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD)
    ]


def _function_constant(
    state: State, prim: Primitive, name: str, operand: Any, node: ast.AST
) -> tuple[Any, tuple]:
    """The free value holding the function passed as ``name``, and the
    values to pass after the call's ``args`` (those of a lambda lifted)."""
    if not is_callable(operand):
        raise state.parsed.unsupported(
            f"`{name}` of {prim.name} given a runtime value, not a function "
            "known while compiling",
            node,
            "pass the function itself (a def, a lambda, a closure made outside "
            "the differentiated function), by name",
        )
    if made_here(operand):
        lifted = lambda_lifting.lift(state, operand)
        if lifted is not None:
            fn, extra = lifted
            return state.graph.add_free(fn.__name__, fn), extra
        raise state.parsed.unsupported(
            f"`{name}` of {prim.name} given `{describe(operand)}`, a nested "
            "function, lambda or partial made in the differentiated code (it "
            "exists only while compiling; the solver calls it at run time)",
            node,
            "define it at module level (or make the closure outside the "
            "differentiated function) and pass its runtime values in args=(...); "
            "a lambda reading only parameters, locals holding numbers or arrays, "
            "and globals is accepted",
        )
    obj = operand.obj
    if not isinstance(obj, types.FunctionType):  # what the rules differentiate
        raise state.parsed.unsupported(
            f"`{name}` of {prim.name} given {describe(operand)}, which is not a "
            "Python function (a partial, a method, a builtin or a ufunc)",
            node,
            "pass a def or a lambda defined outside the differentiated code, "
            "with the values bound in args=(...)",
        )
    hint = getattr(obj, "__name__", "")
    return state.graph.add_free(hint if hint.isidentifier() else name, obj), ()


def _with_extra_args(
    state: State,
    prim: Primitive,
    names: list[str],
    args: list,
    kwargs: dict,
    extra: tuple,
    node: ast.AST,
) -> None:
    """Append ``extra`` to the call's ``args`` operand (in place)."""
    position = names.index("args") if "args" in names else len(args)
    if position < len(args):
        given, put = args[position], lambda tree: args.__setitem__(position, tree)
    else:
        given, put = kwargs.get("args"), lambda tree: kwargs.__setitem__("args", tree)
    if given is not None and not isinstance(given, tuple):
        raise state.parsed.unsupported(
            f"a lambda reading local names as the vector field of {prim.name} "
            "with `args` that is not a tuple written in the call",
            node,
            "write args=(a, b) in the call, or define the field at module level",
        )
    put(tuple(given or ()) + extra)


def call(
    state: State,
    ops: Ops,
    prim: Primitive,
    args: tuple,
    kwargs: dict,
    node: ast.AST,
    hint: str | None,
) -> Any:
    """The call of the higher-order primitive ``prim``, its function
    operands free values (see the module's docstring)."""
    names = _positional_names(prim)
    args, kwargs = list(args), dict(kwargs)
    extra: tuple = ()
    for k, operand in enumerate(args):
        name = names[k] if k < len(names) else f"argument {k}"
        if name in prim.functions:
            args[k], extra = _function_constant(state, prim, name, operand, node)
    for name, operand in list(kwargs.items()):
        if name in prim.functions:
            kwargs[name], extra = _function_constant(state, prim, name, operand, node)
    if extra:
        _with_extra_args(state, prim, names, args, kwargs, extra, node)
    for operand in (*args, *kwargs.values()):
        if holds_callable(operand):
            raise state.parsed.unsupported(
                f"a function passed to {prim.name} where it takes none "
                f"(it takes one as {', '.join(sorted(prim.functions))})",
                node,
                "pass data (arrays, numbers) there",
            )
    try:  # a split record's items come back as its split_result (ops)
        return ops.call_prim(prim.fn, tuple(args), kwargs, hint)
    except ArgumentError as exc:  # the record's own checks (a method not tested)
        raise state.parsed.unsupported(exc.message, node, exc.hint) from None
