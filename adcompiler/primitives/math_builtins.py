"""Records of the ``math`` module's functions and Python's builtins.

These run on Python floats, so their rules use ``math`` functions too
(called through their primitives) and the generated code stays in fast
scalar arithmetic. Each rule of a one-variable function is ``g`` times a
partial derivative, so it is its tangent rule too. Tie conventions are those
of :mod:`.elementwise`.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .elementwise import abs_adjoint, abs_tangent, broadcast_like, power_x, power_y, ub
from .registry import SAME_AS_REVERSE, define, linear, lookup, nondifferentiable
from .runtime_helpers import sum_items_adjoint
from .symbolic import call


class _Traced:
    """``m.cos(x)`` records a call of the primitive ``math.cos``."""

    def __getattr__(self, name):
        return lookup(getattr(math, name))


m = _Traced()
LN2 = math.log(2.0)
LN10 = math.log(10.0)

for name, rule in {
    "sin": lambda g, ans, x: g * m.cos(x),
    "cos": lambda g, ans, x: -g * m.sin(x),
    "tan": lambda g, ans, x: g * (1.0 + ans * ans),
    "asin": lambda g, ans, x: g / m.sqrt(1.0 - x * x),
    "acos": lambda g, ans, x: -g / m.sqrt(1.0 - x * x),
    "atan": lambda g, ans, x: g / (1.0 + x * x),
    "exp": lambda g, ans, x: g * ans,
    "expm1": lambda g, ans, x: g * (ans + 1.0),
    "log1p": lambda g, ans, x: g / (x + 1.0),
    "log2": lambda g, ans, x: g / (x * LN2),
    "log10": lambda g, ans, x: g / (x * LN10),
    "sqrt": lambda g, ans, x: g / (2.0 * ans),
    "sinh": lambda g, ans, x: g * m.cosh(x),
    "cosh": lambda g, ans, x: g * m.sinh(x),
    "tanh": lambda g, ans, x: g * (1.0 - ans * ans),
    # g * bool, not a difference of bools: NumPy bools do not subtract
    "fabs": lambda g, ans, x: g * (x > 0) - g * (x < 0),
}.items():
    define(getattr(math, name), rule, tangent=SAME_AS_REVERSE)


def _log_x(g, ans, x, base=None):
    if base is None:
        return g / x
    return g / (x * m.log(base))


def _log_base(g, ans, x, base=None):
    return -g * ans / (base * m.log(base))


define(math.log, _log_x, _log_base, tangent=SAME_AS_REVERSE)
define(
    math.atan2,
    lambda g, ans, y, x: g * x / (x * x + y * y),
    lambda g, ans, y, x: -g * y / (x * x + y * y),
    tangent=SAME_AS_REVERSE,
)


def _hypot(g, ans, *coordinates):
    """math.hypot of any number of coordinates (Python 3.8+)."""
    return [g * x / ans for x in coordinates]


def _hypot_tangent(t, ans, *coordinates):
    total = None
    for tk, x in zip(t, coordinates):
        if tk is not None:
            term = tk * x / ans
            total = term if total is None else total + term
    return total


define(math.hypot, _hypot, tangent=(_hypot_tangent,))
define(math.pow, power_x, power_y, tangent=SAME_AS_REVERSE)
# fmod(x, y) = x - trunc(x / y) * y: see the remainders in .elementwise
define(
    math.fmod,
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: -g * m.trunc(x / y),
    tangent=SAME_AS_REVERSE,
)

# ---------------------------------------------------------------------------
# Builtins

define(
    builtins.abs,
    abs_adjoint,
    tangent=(abs_tangent,),
    categories=("arithmetic",),
)
define(builtins.float, lambda g, ans, x: g, tangent=linear(0))


def _extremes(g, ans, *args):
    """Builtin max/min over arguments, one list or one array: ties share equally."""
    if len(args) == 1:
        if isinstance(args[0], (list, tuple)):
            return [_extremes(g, ans, *args[0])]
        # one array: max(x) is over its first axis
        chosen = args[0] == ans
        return [g * chosen / np.sum(chosen, axis=0)]
    # as floats: NumPy bools add as a logical or, and would miscount ties
    as_float = lookup(builtins.float)
    chosen = [as_float(x == ans) for x in args]
    count = builtins.sum(chosen)
    return [g * c / count for c in chosen]


def _extremes_tangent(t, ans, *args):
    if len(args) == 1:
        if isinstance(args[0], (list, tuple)):
            return _extremes_tangent(t[0], ans, *args[0])
        chosen = args[0] == ans  # one array: over its first axis
        return np.sum(t[0] * chosen, axis=0) / np.sum(chosen, axis=0)
    as_float = lookup(builtins.float)
    chosen = [as_float(x == ans) for x in args]
    count = builtins.sum(chosen)
    total = None
    for tk, c in zip(t, chosen):
        if tk is None:
            continue
        term = tk * c / count
        total = term if total is None else total + term
    return total


define(builtins.max, _extremes, tangent=(_extremes_tangent,))
define(builtins.min, _extremes, tangent=(_extremes_tangent,))


def _sum(g, ans, iterable, start=0):
    if isinstance(iterable, (list, tuple)):
        return [ub(g, x) for x in iterable]
    return sum_items_adjoint(g, iterable)  # a list or an array, known at run time


def _sum_start(g, ans, iterable, start=0):
    return ub(g, start)


def _sum_tangent(t, ans, iterable, start=0):
    if isinstance(iterable, (list, tuple)):
        present = [tk for tk in t if tk is not None]
        total = present[0]
        for tk in present[1:]:
            total = total + tk
        return broadcast_like(total, ans)
    return call(builtins.sum, t)


define(
    builtins.sum,
    _sum,
    _sum_start,
    tangent=(
        _sum_tangent,
        lambda t, ans, iterable, start=0: broadcast_like(t, ans),
    ),
)

nondifferentiable(builtins.len, categories=("metadata",))
for fn in (
    builtins.any,  # of a generator expression's items, say
    builtins.all,
    builtins.int,
    builtins.bool,
    builtins.round,
    builtins.range,
    builtins.reversed,
):
    nondifferentiable(fn)
for name in ("floor", "ceil", "trunc", "isfinite", "isnan", "isinf"):
    nondifferentiable(getattr(math, name))
