"""A ``lambda`` of the differentiated code made a real function, for a
higher-order primitive (:mod:`.function_operands`) to call at run time.

A lambda written in the differentiated code exists only while compiling
(it is inlined where it is called). An ODE solver calls its vector field
at run time, so ``odeint(lambda y, t: -k * y, y0, t)`` gets the lambda
*lifted*: a module-level function of the lambda's parameters followed by
the local names it reads, whose values are passed after the call's own
``args``, so they are differentiated like any argument::

    ys = odeint(lambda y, t: -k * y, y0, t)
    # generated:  ys = odeint(lambda_line_7, y0, t, args=(k,))
    # lambda_line_7 is:  def lambda_line_7(y, t, k): return -k * y

Guarantees: the lifted function computes what the lambda computes, with
the same globals (the user function's module), source that adcompiler
reads, and one parameter per local name the lambda reads. Only a lambda
without defaults, ``*args``, keyword-only parameters, nested lambdas or
comprehensions, whose local names hold numbers or arrays (values, not
functions, lists or objects) and whose other names are the module's
globals or builtins, is lifted; for anything else :func:`lift` gives None
and the caller refuses the function, naming it.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import types
from typing import Any

from ..ir import Value, is_literal
from .state import Inline, State, Static


def _free_names(node: ast.Lambda) -> list[str] | None:
    """The names the lambda's body reads that are not its parameters, in
    order of first use; None for a lambda :func:`lift` does not take."""
    arguments = node.args
    if (
        arguments.vararg
        or arguments.kwarg
        or arguments.kwonlyargs
        or arguments.posonlyargs
        or arguments.defaults
    ):
        return None
    for sub in ast.walk(node.body):
        if isinstance(sub, (ast.Lambda, ast.comprehension, ast.NamedExpr)):
            return None
    params = {arg.arg for arg in arguments.args}
    names: list[str] = []
    for sub in ast.walk(node.body):
        if isinstance(sub, ast.Name) and sub.id not in params and sub.id not in names:
            names.append(sub.id)
    return names


def _is_number_or_array(value: Any) -> bool:
    if isinstance(value, Value):
        return value.container is False
    return is_literal(value) and not isinstance(value, (tuple, list, str))


def lift(state: State, operand: Static) -> tuple[types.FunctionType, tuple] | None:
    """``(function, values)``: the lambda ``operand`` as a function taking
    the values of the local names it reads after its own parameters; None
    when it cannot be lifted (see the module's docstring)."""
    inline = operand.obj
    if type(inline) is not Inline or not isinstance(inline.node, ast.Lambda):
        return None
    node = inline.node
    free = _free_names(node)
    if free is None:
        return None
    user_globals = state.parsed.fn.__globals__
    captured = []
    for ident in free:
        if ident in state.env:
            value = state.env[ident]
            if not _is_number_or_array(value):
                return None
            captured.append((ident, value))
        elif ident not in user_globals and not hasattr(builtins, ident):
            return None  # a closure variable of the user's function
    line = state.parsed.loc(node).line
    name = f"lambda_line_{line}"
    params = [arg.arg for arg in node.args.args] + [ident for ident, _ in captured]
    source = f"def {name}({', '.join(params)}):\n    return {ast.unparse(node.body)}\n"
    filename = f"<adcompiler: the lambda of {state.parsed.file}:{line}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = compile(source, filename, "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    return types.FunctionType(code, user_globals, name), tuple(
        value for _, value in captured
    )
