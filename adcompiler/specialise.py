"""Static parameters given by parameters: code specialised on their values.

A rule reads its static parameters (``axis``, ``ord``, ``offset``,
``keepdims``, ``shift``, ...: the ``static=`` of its record) at compile
time. When one is given by a parameter of the function transformed (or a
value computed from parameters only: ``axis - 1``, ``(a, b)``), the
lowering raises :class:`~adcompiler.errors.StaticArgumentNeeded` naming
those parameters. A transformation called with values for them learns
them (:func:`learn`, once per function: every transformation of it, at
every order, shares what was learnt) and compiles again with each such
argument a :class:`~adcompiler.trees.Constant` structure: its value is a
compile-time constant of the lowering, and part of the cache key, so the
same value reuses the code and a new value compiles again, as JAX's
``static_argnums`` does, without being asked.

Guarantees: a parameter is specialised only when it is not differentiated
(not in ``wrt``, no active leaf) and its value is an int, a bool, a string,
None or a (nested) tuple of them (NumPy integers and bools as the Python
ones); otherwise the call raises :class:`UnsupportedSyntaxError` naming the
parameter, the rule and why. Nothing changes for a function none of whose
parameters reaches a static parameter.
"""

from __future__ import annotations

import inspect
import types
import weakref
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import StaticArgumentNeeded, UnsupportedSyntaxError
from .trees import NOT_CONSTANT, Constant, as_constant

#: user function -> names of its parameters its code is specialised on
_LEARNT: "weakref.WeakKeyDictionary[types.FunctionType, frozenset[str]]" = (
    weakref.WeakKeyDictionary()
)


def static_names(fn: Any) -> frozenset[str]:
    """The parameters of ``fn`` learnt to reach a static parameter."""
    try:
        return _LEARNT.get(fn, frozenset())
    except TypeError:  # not weakly referable
        return frozenset()


def specialised(
    fn: Any, names: Sequence[str], structures: tuple, values: tuple
) -> tuple:
    """``structures`` (one per parameter, named ``names``, of a call with
    ``values``) with each learnt parameter holding a constant a
    :class:`Constant` of its value."""
    learnt = static_names(fn)
    if not learnt:
        return structures
    out = list(structures)
    for index, name in enumerate(names):
        if name in learnt and index < len(values) and index < len(out):
            constant = as_constant(values[index])
            if constant is not NOT_CONSTANT:
                out[index] = Constant(constant)
    return tuple(out)


def learn(
    fn: Any,
    exc: StaticArgumentNeeded,
    names: Sequence[str],
    values: tuple,
    differentiated: Iterable[str],
) -> None:
    """Record that ``fn``'s code must be specialised on the parameters
    ``exc`` names, for a call with ``values`` (one per parameter ``names``)
    differentiating the parameters ``differentiated``. Raises ``exc`` when
    there is nothing new to learn (not ``fn``'s parameters, or learnt
    already: another cause), and :class:`UnsupportedSyntaxError` naming the
    parameter when one of them is differentiated or not a constant."""
    params = tuple(exc.params)
    if (
        not params
        or not _same_parameters(exc.function, names)
        or not set(params) <= set(names)
    ):
        raise exc
    learnt = static_names(fn)
    rule, slot = exc.slot
    differentiated = set(differentiated)
    for name in params:
        value = values[list(names).index(name)]
        if as_constant(value) is NOT_CONSTANT:
            raise _refusal(
                exc,
                f"`{slot}` of {rule} is computed from the parameter `{name}`, "
                f"{_kind(value)} here: the code can be specialised only on "
                "an int, a bool, a string, None or a tuple of them",
                f"pass `{name}` as an int (or a tuple of ints), or `{slot}` as "
                "a literal",
            )
        if name in differentiated:
            raise _refusal(
                exc,
                f"`{slot}` of {rule} is computed from the parameter `{name}`, which "
                "is differentiated: a static parameter is a compile-time constant",
                f"leave `{name}` out of wrt, or pass `{slot}` as a literal",
            )
    if set(params) <= learnt:
        raise exc  # specialised on them already: another cause
    _LEARNT[fn] = learnt | set(params)


def _same_parameters(function: Any, names: Sequence[str]) -> bool:
    """Whether ``function`` (the function whose lowering raised) has the
    parameters ``names``: it is the transformed function, or code generated
    from it (a gradient's, which keeps its parameters)."""
    try:
        found = tuple(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return False
    return found == tuple(names)


def _refusal(exc: StaticArgumentNeeded, message: str, hint: str) -> Exception:
    return UnsupportedSyntaxError(
        f"{message} (it is known only at run time; the rule needs it at "
        "compile time)",
        exc.loc,
        hint,
    )


def _kind(value: Any) -> str:
    """How a message names what ``value`` is: ``an array``, ``a float``."""
    if isinstance(value, np.ndarray):
        return "an array"
    noun = type(value).__name__
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
