"""Making primitives' records: the functions that declare them.

A *primitive* is a Python callable (a NumPy function, a ``math`` function, a
builtin, an operator, a runtime helper or a user function) that the compiler
does not look inside. Each has, at most, one reverse rule per positional
parameter: ``rule(g, ans, *args, **kwargs)`` returns the adjoint of that
argument given the adjoint ``g`` of the result ``ans``. ``None`` in place of a
rule means "this argument has no derivative": a value the gradient depends on
flowing into it is an error, never a silent zero.

Each primitive's record (:mod:`.record`, which also holds the registry and
its queries) is made here: :func:`define` declares a whole record at once,
as the built-in families do; :func:`defvjp`, :func:`defjvp` and
:func:`nondifferentiable` are the public API for users' rules.

Rules are written in plain NumPy. The compiler calls them once, at compile
time, with symbolic values (:mod:`adcompiler.primitives.symbolic`), so the adjoint code a
rule describes becomes graph ops that go through the same passes and code
generator as the user's code.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import math
import operator
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ArgumentError
from ..tracebacks import checked_arguments

from .record import (  # noqa: F401  (lookup, registered: the registry's API)
    CHANGES,
    INTEGER_PARAMETERS,
    ITSELF,
    NEW,
    REVERSE_ONLY,
    VIEW,
    Primitive,
    Render,
    add,
    lookup,
    public_name,
    registered,
)

#: Names for results of functions named like Python's builtins (a variable
#: called `sum` in generated code would hide the builtin from readers).
_HINTS = {
    "sum": "total",
    "max": "largest",
    "amax": "largest",
    "min": "smallest",
    "amin": "smallest",
    "abs": "magnitude",
    "round": "rounded",
    "len": "length",
    "range": "indices",
    "pow": "power",
    "float": "as_float",
    "int": "as_int",
    "bool": "as_bool",
    "reversed": "backwards",
}


def _locate(fn: Any) -> tuple[Render, str]:
    """Where generated code finds ``fn``: a namespace root and an attribute
    path (``np.sin``; a ufunc of SciPy is called as the object itself, and
    named by its public name, ``scipy.special.gammaln``)."""
    name = getattr(fn, "__name__", None)
    if getattr(np, name or "", None) is fn:
        return ("call", np, (name,)), f"np.{name}"
    if isinstance(fn, np.ufunc) and public_name(fn) is None:
        return ("call", np, (name,)), f"np.{name}"
    public = public_name(fn)
    if public is not None:
        return ("call", fn, ()), public
    for sub in ("linalg", "fft"):
        module = getattr(np, sub)
        if getattr(module, name or "", None) is fn:
            return ("call", np, (sub, name)), f"np.{sub}.{name}"
    if getattr(math, name or "", None) is fn:
        return ("call", math, (name,)), f"math.{name}"
    if getattr(builtins, name or "", None) is fn:
        return ("call", fn, ()), name
    return ("call", fn, ()), name or "f"


_OPERATOR_RENDER: dict[Any, Render] = {
    operator.add: ("binop", ast.Add()),
    operator.sub: ("binop", ast.Sub()),
    operator.mul: ("binop", ast.Mult()),
    operator.truediv: ("binop", ast.Div()),
    operator.floordiv: ("binop", ast.FloorDiv()),
    operator.mod: ("binop", ast.Mod()),
    operator.pow: ("binop", ast.Pow()),
    operator.matmul: ("binop", ast.MatMult()),
    operator.and_: ("binop", ast.BitAnd()),
    operator.or_: ("binop", ast.BitOr()),
    operator.xor: ("binop", ast.BitXor()),
    operator.neg: ("unaryop", ast.USub()),
    operator.pos: ("unaryop", ast.UAdd()),
    operator.not_: ("unaryop", ast.Not()),
    operator.invert: ("unaryop", ast.Invert()),
    operator.lt: ("compare", ast.Lt()),
    operator.le: ("compare", ast.LtE()),
    operator.gt: ("compare", ast.Gt()),
    operator.ge: ("compare", ast.GtE()),
    operator.eq: ("compare", ast.Eq()),
    operator.ne: ("compare", ast.NotEq()),
    operator.getitem: ("subscript",),
}


def _spells_parameters(rule: Callable | None) -> bool:
    """Whether a rule names the primitive's parameters (not ``*args``)."""
    if rule is None:
        return False
    params = list(inspect.signature(rule).parameters.values())[2:]
    return bool(params) and params[0].kind is not inspect.Parameter.VAR_POSITIONAL


def _register(
    fn: Any,
    vjps: Sequence[Callable | None] | None,
    static: Sequence[str],
    name: str | None,
    render: Render | None,
    hint: str | None,
    signature_of: Callable | None = None,
) -> Primitive:
    located, default_name = _locate(fn)
    if fn in _OPERATOR_RENDER:
        located, default_name = _OPERATOR_RENDER[fn], fn.__name__
    signature = None
    if vjps is not None:
        first = next((rule for rule in vjps if _spells_parameters(rule)), None)
        if first is None:
            first = next((rule for rule in vjps if rule is not None), signature_of)
        if first is not None:
            params = list(inspect.signature(first).parameters.values())[2:]
            signature = inspect.Signature(params)
    default_hint = (name or default_name).split(".")[-1]
    prim = Primitive(
        fn,
        name or default_name,
        render or located,
        vjps,
        static,
        signature,
        hint or _HINTS.get(default_hint),
    )
    return add(prim)


def _named_integers(prim: Primitive) -> frozenset[str]:
    """The parameters without a rule named like integers (INTEGER_PARAMETERS)."""
    if prim.vjps is None or prim.signature is None:
        return frozenset()
    names = list(prim.signature.parameters)[: len(prim.vjps)]
    return frozenset(
        n
        for n, rule in zip(names, prim.vjps)
        if rule is None and n in INTEGER_PARAMETERS
    )


def _check_rules(what: str, fn: Any, rules: Sequence[Any]) -> None:
    """Raise :class:`ArgumentError` unless ``fn`` is callable and each rule
    is a callable or None."""
    if not callable(fn):
        raise ArgumentError(
            f"{what} takes the function to give rules to, not "
            f"{type(fn).__name__} {fn!r:.40}",
            hint=f"{what}(fn, rule_for_arg0, rule_for_arg1, ...)",
        )
    for k, rule in enumerate(rules):
        if rule is not None and not callable(rule):
            raise ArgumentError(
                f"{what}: the rule for argument {k} of "
                f"{getattr(fn, '__qualname__', fn)!r} is "
                f"{type(rule).__name__} {rule!r:.40}, not a function or None",
                hint="a rule is a function of (g, ans, *args); None for an "
                "argument without a derivative",
            )


@checked_arguments
def defvjp(
    fn: Any,
    *rules: Callable | None,
    static: Sequence[str] = (),
    name: str | None = None,
    render: Render | None = None,
    hint: str | None = None,
    signature_of: Callable | None = None,
    integers: Sequence[str] | None = None,
) -> Primitive:
    """Make ``fn`` a primitive with one reverse rule per positional parameter.

    Each rule is ``rule(g, ans, *args, **kwargs)`` and returns the adjoint of
    its argument (a tree of the argument's structure for a list argument).
    The first rule's signature, less ``g`` and ``ans``, is the signature calls
    are checked against: an argument it does not accept is an error. Names
    in ``static`` must be compile-time constants at every call. Where every
    rule is None, ``signature_of`` is a function with the signature to use.
    ``integers`` names parameters (with None rules) that only hold integers;
    by default, those named like shapes and axes (``shape``, ``axis``,
    ``reps``, ... see INTEGER_PARAMETERS).
    """
    _check_rules("defvjp", fn, rules)
    prim = _register(fn, rules, static, name, render, hint, signature_of)
    prim.integers = _named_integers(prim) if integers is None else frozenset(integers)
    return prim


@checked_arguments
def nondifferentiable(
    fn: Any,
    name: str | None = None,
    render: Render | None = None,
    hint: str | None = None,
    *,
    methods: Sequence[str] = (),
    attributes: Sequence[str] = (),
    categories: Sequence[str] = (),
    memory: str = NEW,
) -> Primitive:
    """Make ``fn`` a primitive whose result carries no derivative (shapes,
    masks, ...), with the spellings and categories of its record."""
    _check_rules("nondifferentiable", fn, ())
    prim = _register(fn, None, (), name, render, hint)
    prim.methods = tuple(methods)
    prim.attributes = tuple(attributes)
    prim.categories = frozenset(categories)
    prim.memory = memory
    return prim


class Linear:
    """The tangent rules of a primitive linear in the arguments at
    ``positions`` (the others fixed): each is the primitive applied to the
    tangent; the other arguments (shapes, sizes, indices) carry none."""

    def __init__(self, *positions: int):
        self.positions = positions


def linear(*positions: int) -> Linear:
    """Tangent rules for :func:`define`: linear in the arguments at ``positions``."""
    return Linear(*positions)


#: Tangent rules for :func:`define`: the reverse rules, which are ``g``
#: times partial derivatives (elementwise functions).
SAME_AS_REVERSE = "same as reverse"


def define(
    fn: Any,
    *reverse: Callable | None,
    tangent: Sequence[Callable | None] | Linear | str,
    memory: str = NEW,
    memory_argument: int = 0,
    integers: Sequence[str] = (),
    methods: Sequence[str] = (),
    method_varargs: bool = False,
    attributes: Sequence[str] = (),
    categories: Sequence[str] = (),
    static: Sequence[str] = (),
    name: str | None = None,
    render: Render | None = None,
    hint: str | None = None,
    signature_of: Callable | None = None,
    container: bool | None = False,
    effect: bool = False,
    functions: Sequence[str] = (),
    split_result: type | None = None,
) -> Primitive:
    """Register the whole record of primitive ``fn`` at once.

    ``reverse``: one reverse rule per positional parameter (as
    :func:`defvjp`). ``tangent``: one tangent rule per parameter (as
    :func:`defjvp`), :func:`linear` positions, :data:`SAME_AS_REVERSE`, or
    :data:`REVERSE_ONLY` with a reason after it (``REVERSE_ONLY + ": ..."``).
    The other fields are those of :class:`Primitive`; each is declared here
    or has its default (new memory, no integer parameters, no spellings, no
    categories), never elsewhere.
    """
    if isinstance(tangent, str) and tangent != SAME_AS_REVERSE:
        if not tangent.startswith(REVERSE_ONLY):
            raise ValueError(f"unknown tangent mark {tangent!r}")
    prim = _register(fn, reverse, static, name, render, hint, signature_of)
    prim.memory = memory
    prim.memory_argument = memory_argument
    prim.integers = frozenset(integers)
    prim.methods = tuple(methods)
    prim.method_varargs = method_varargs
    prim.attributes = tuple(attributes)
    prim.categories = frozenset(categories)
    prim.container = container
    prim.effect = effect
    prim.functions = frozenset(functions)
    prim.split_result = split_result
    if isinstance(tangent, Linear):
        deflinear(fn, *tangent.positions)
    elif tangent == SAME_AS_REVERSE:
        prim.jvps = prim.vjps
    elif isinstance(tangent, str):
        prim.reverse_only = tangent
    else:
        prim.jvps = tuple(tangent)
    return prim


@checked_arguments
def defjvp(fn: Any, *rules: Callable | None) -> Primitive:
    """Give primitive ``fn`` one tangent rule per positional parameter.

    Each rule is ``rule(t, ans, *args, **kwargs)``: the tangent of the
    result when argument k has tangent ``t`` and the others have none (of
    the result's shape). The tangent of the result is the sum over the
    arguments that have tangents. ``None``: no tangent rule for that
    argument (an error if a tangent flows into it).
    """
    _check_rules("defjvp", fn, rules)
    prim = lookup(fn)
    if prim is None:
        raise ArgumentError(
            f"{fn!r} is not a primitive: register its reverse rules first",
            hint="adcompiler.defvjp(fn, ...) before adcompiler.defjvp(fn, ...)",
        )
    prim.jvps = tuple(rules)
    CHANGES.count += 1  # compiled code using the record compiles again
    return prim


def deflinear(fn: Any, *positions: int) -> Primitive:
    """``fn`` is linear in each argument at ``positions`` (the others fixed):
    its tangent rule for that argument is ``fn`` applied to the tangent. The
    other arguments (shapes, sizes, indices) carry no tangent."""
    prim = lookup(fn)
    count = len(prim.signature.parameters) if prim.signature else max(positions) + 1
    # the other arguments are shapes, sizes, indices: no tangent flows there
    rules: list = [_no_tangent] * count
    for k in positions:
        rules[k] = _apply_to_tangent(fn, k)
    prim.jvps = tuple(rules)
    CHANGES.count += 1
    return prim


def _no_tangent(t: Any, ans: Any, *args: Any, **kwargs: Any) -> None:
    return None


def _apply_to_tangent(fn: Any, k: int) -> Callable:
    def rule(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        args = list(args)
        args[k] = t
        return lookup(fn)(*args, **kwargs)

    return rule
