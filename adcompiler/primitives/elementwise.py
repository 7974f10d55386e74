"""Records of elementwise functions: NumPy's ufuncs, Python's operators,
``np.where`` and ``np.clip``, and the elementwise functions without a
derivative (rounding, tests, comparisons, logic).

An elementwise rule is ``g`` times the derivative, elementwise: applied to a
tangent instead of an adjoint it is the forward-mode rule too, so
:func:`unary` and :func:`binary` declare both from one formula. ``None`` in
place of a rule: no derivative for that argument (an error if the gradient
depends on it). A rule that returns None: the derivative is zero.

Conventions at non-differentiable points, the same as JAX:
``abs``, ``sign``: derivative 0 at 0 (for complex operands too: see
:mod:`.complex_numbers` for the convention); ``maximum``/``minimum``/``fmax``/
``fmin``/builtin ``max``/``min``: ties split the adjoint equally; ``max``/
``min`` reductions: the adjoint is shared equally among tied elements;
``clip``: derivative 1 on the closed interval ``[a_min, a_max]``.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..options import optimizing
from .registry import Primitive, define, lookup, nondifferentiable
from .runtime_helpers import broadcast_to_shape, log_base, share_ties, unbroadcast
from .symbolic import Sym

LOG2 = float(np.log(2.0))
LOG10 = float(np.log(10.0))


def ub(g: Any, x: Any) -> Any:
    """Sum ``g`` back to the shape of ``x`` (undo broadcasting)."""
    return unbroadcast(g, np.shape(x))


def broadcast_like(t: Any, ans: Any) -> Any:
    """A tangent broadcast to the shape of the result it is the tangent of."""
    return broadcast_to_shape(t, np.shape(ans))


def scalar_constant(x: Any) -> bool:
    """True for an operand of shape ``()``: a Python number, or a value the
    scalars pass marked (:mod:`adcompiler.passes.scalars`)."""
    if isinstance(x, Sym):
        return x.value.scalar
    return isinstance(x, (int, float)) and not isinstance(x, bool)


#: The old name of :func:`scalar_constant`, which the reverse pass reads.
_scalar_constant = scalar_constant

#: Python's arithmetic operators: scalar results for scalar operands.
_ARITHMETIC = {
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.pow,
    operator.neg,
    operator.pos,
}


def _categories(fn: Any, extra: Sequence[str]) -> tuple[str, ...]:
    """An elementwise function's categories: arithmetic for the operators,
    negation for ``-x``, and what the caller adds."""
    found = ["elementwise", *extra]
    if fn in _ARITHMETIC:
        found.append("arithmetic")
    if fn in (operator.neg, np.negative):
        found.append("negation")
    return tuple(found)


def unary(
    fn: Any, rule: Callable, methods: Sequence[str] = (), **options: Any
) -> Primitive:
    """The record of an elementwise function of one argument: ``rule(g,
    ans, x)``, ``g`` times the derivative, is its reverse and tangent rule."""
    return define(
        fn,
        lambda g, ans, x: rule(g, ans, x),
        tangent=(lambda t, ans, x: rule(t, ans, x),),
        categories=_categories(fn, ()),
        methods=methods,
        **options,
    )


def binary(
    fns: Iterable[Any],
    rule_x: Callable,
    rule_y: Callable,
    hint: str | None = None,
    elementwise: bool = True,
) -> None:
    """The records of elementwise functions of two broadcast arguments.

    Broadcasting against a scalar (a Python number, or a value known to be
    one) never enlarges the other argument, so no unbroadcast is recorded
    for it. ``elementwise=False`` leaves the category off (a function the
    passes must not read as elementwise, such as the builtin ``pow``).
    """

    def for_x(g, ans, x, y):
        d_x = rule_x(g, ans, x, y)
        return d_x if scalar_constant(y) else ub(d_x, x)

    def for_y(g, ans, x, y):
        d_y = rule_y(g, ans, x, y)
        return d_y if scalar_constant(x) else ub(d_y, y)

    def tangent_x(t, ans, x, y):
        t_out = rule_x(t, ans, x, y)
        return t_out if scalar_constant(y) else broadcast_like(t_out, ans)

    def tangent_y(t, ans, x, y):
        t_out = rule_y(t, ans, x, y)
        return t_out if scalar_constant(x) else broadcast_like(t_out, ans)

    for fn in fns:
        define(
            fn,
            for_x,
            for_y,
            tangent=(tangent_x, tangent_y),
            categories=_categories(fn, ()) if elementwise else (),
            hint=hint,
        )


# ---------------------------------------------------------------------------
# One argument

for fn in (operator.neg, np.negative):
    unary(fn, lambda g, ans, x: -g)
for fn in (operator.pos, np.positive):
    unary(fn, lambda g, ans, x: g)
unary(np.exp, lambda g, ans, x: g * ans)
unary(np.exp2, lambda g, ans, x: g * ans * LOG2)
unary(np.expm1, lambda g, ans, x: g * (ans + 1.0))
unary(np.log, lambda g, ans, x: g / x)
unary(np.log2, lambda g, ans, x: g / (x * LOG2))
unary(np.log10, lambda g, ans, x: g / (x * LOG10))
unary(np.log1p, lambda g, ans, x: g / (x + 1.0))
unary(np.sqrt, lambda g, ans, x: g / (2.0 * ans))
unary(np.cbrt, lambda g, ans, x: g / (3.0 * ans * ans))
unary(np.square, lambda g, ans, x: g * 2.0 * x)
unary(np.reciprocal, lambda g, ans, x: -g * ans * ans)
unary(np.fabs, lambda g, ans, x: g * np.sign(x))


def abs_adjoint(g: Any, ans: Any, x: Any) -> Any:
    """The adjoint of ``|x|``: ``g sign(x)`` for a real ``x``; for a complex
    one ``Re(g) conj(x) / |x|`` (autograd's; the real part as ``|x|`` is
    real); 0 at 0, either way (``np.sign(0) == 0``)."""
    return np.real(g) * np.conj(np.sign(x))


def abs_tangent(t: Any, ans: Any, x: Any) -> Any:
    """The tangent of ``|x|``: ``Re(conj(x) t) / |x|``, 0 at 0."""
    return np.real(np.conj(np.sign(x)) * t)


define(
    np.absolute,
    abs_adjoint,
    tangent=(abs_tangent,),
    categories=_categories(np.absolute, ()),
)


def _over_twice_abs(d: Any, x: Any) -> Any:
    """``d / (2 |x|)``, and 0 where ``x`` is 0 (both branches finite)."""
    r = np.abs(x)
    zero = r == 0
    return np.where(zero, 0.0, d / (2.0 * np.where(zero, 1.0, r)))


# sign(x) = x / |x| is piecewise constant for a real x, but not for a
# complex one: its adjoint (g - conj(g) conj(w)**2) / (2|x|), w = sign(x),
# is 0 for a real x and a real g exactly (w * w == 1), and has no real
# part for a complex g (the adjoint of a real value is its real part)
define(
    np.sign,
    lambda g, ans, x: _over_twice_abs(g - np.conj(g) * np.conj(ans * ans), x),
    tangent=(lambda t, ans, x: _over_twice_abs(t - ans * ans * np.conj(t), x),),
    categories=_categories(np.sign, ()),
)
unary(np.sin, lambda g, ans, x: g * np.cos(x))
unary(np.cos, lambda g, ans, x: -g * np.sin(x))
unary(np.tan, lambda g, ans, x: g * (1.0 + ans * ans))
unary(np.arcsin, lambda g, ans, x: g / np.sqrt(1.0 - x * x))
unary(np.arccos, lambda g, ans, x: -g / np.sqrt(1.0 - x * x))
unary(np.arctan, lambda g, ans, x: g / (1.0 + x * x))
unary(np.sinh, lambda g, ans, x: g * np.cosh(x))
unary(np.cosh, lambda g, ans, x: g * np.sinh(x))
unary(np.tanh, lambda g, ans, x: g * (1.0 - ans * ans))
unary(np.arcsinh, lambda g, ans, x: g / np.sqrt(x * x + 1.0))
unary(np.arccosh, lambda g, ans, x: g / np.sqrt(x * x - 1.0))
unary(np.arctanh, lambda g, ans, x: g / (1.0 - x * x))
for fn in (np.deg2rad, np.radians):
    unary(fn, lambda g, ans, x: g * (np.pi / 180.0))
for fn in (np.rad2deg, np.degrees):
    unary(fn, lambda g, ans, x: g * (180.0 / np.pi))

# ---------------------------------------------------------------------------
# Two broadcast arguments

binary((operator.add, np.add), lambda g, ans, x, y: g, lambda g, ans, x, y: g)
binary((operator.sub, np.subtract), lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
binary(
    (operator.mul, np.multiply),
    lambda g, ans, x, y: g * y,
    lambda g, ans, x, y: g * x,
)


def _divide_y(g, ans, x, y):
    # d(x / y)/dy = -x / y² = -ans / y; for a nonzero constant x also
    # -ans² / x, which reads only the result: y need not be stored
    if type(x) in (int, float) and x != 0 and math.isfinite(x) and optimizing():
        d = -g * ans * ans
        return d if x == 1 else d / x
    return -g * ans / y


binary((operator.truediv, np.divide), lambda g, ans, x, y: g / y, _divide_y)


def power_x(g, ans, x, y):
    """The derivative of ``x ** y`` in ``x``, times ``g``."""
    if isinstance(y, (int, float)):
        if y == 0:
            return None  # x ** 0 is 1 everywhere, including x == 0
        if y == 2:
            return g * 2.0 * x
        return g * y * x ** (y - 1)
    # y * x ** (y - 1), but with the exponent 0 where x == 0 and y == 0: the
    # term is then 0 * 1 = 0, the derivative of x ** 0 == 1 (as JAX,
    # autograd and PyTorch), not 0 * inf = nan (or ZeroDivisionError for a
    # Python float). Elsewhere the exponent is exactly y - 1, so derivatives
    # of this rule (second order) are those of y * x ** (y - 1).
    either = lookup(operator.or_)(x != 0, y != 0)
    return g * y * x ** (y - either)


def power_y(g, ans, x, y):
    """The derivative of ``x ** y`` in ``y``, times ``g``."""
    # x ** y * log(x) for x > 0. At x == 0 the rule gives 0, JAX's
    # convention (log(x) read as 0): 0 ** y is 0 for every y > 0, so it does
    # not vary. For x < 0, x ** y is not real around y (no real
    # derivative); the rule gives 0 there too. A complex power (a complex
    # x, or a negative Python float to a fractional power) has the
    # principal log(x) wherever x != 0 (log_base chooses at run time).
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0:
        return g * ans * math.log(x)
    return g * ans * np.log(log_base(x, ans))


def _not_formatting(rule: Callable) -> Callable:
    """``rule``, but no derivative where ``%`` formats a string (``"%f" % x``)."""

    def checked(g, ans, x, y):
        if isinstance(x, (str, bytes)):
            return None
        return rule(g, ans, x, y)

    return checked


# x % y = x - floor(x / y) * y (the sign of y), fmod(x, y) = x - trunc(x / y) * y
# (the sign of x): derivative 1 in x and -quotient in y, wherever the
# quotient does not jump (almost everywhere; at a jump, the one-sided
# derivative of the side the result is on). The quotient is
# piecewise constant, so it carries no derivative itself: second
# derivatives are 0, as for any piecewise linear function.
def _mod_y(g, ans, x, y):
    # floor division is what NumPy and Python pair with their remainder
    return -g * lookup(operator.floordiv)(x, y)


binary(
    (operator.mod, np.mod),
    _not_formatting(lambda g, ans, x, y: g),
    _not_formatting(_mod_y),
)
binary(
    (np.fmod,),
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: -g * np.trunc(x / y),
)
binary((operator.pow, np.power), power_x, power_y, hint="power")
binary((pow,), power_x, power_y, hint="power", elementwise=False)


def _choose(x, y, wins):
    """1 where x wins, 1/2 at ties, 0 elsewhere."""
    return wins + 0.5 * (x == y)


def _winner(g, x, y, wins):
    """``g`` where ``x`` wins, half of it at ties, 0 elsewhere: written as
    ``g * wins``, then the ties' share (none, usually: see share_ties)."""
    return share_ties(g * wins, g, x, y)


binary(
    (np.maximum,),
    lambda g, ans, x, y: _winner(g, x, y, x > y),
    lambda g, ans, x, y: _winner(g, y, x, y > x),
)
binary(
    (np.minimum,),
    lambda g, ans, x, y: _winner(g, x, y, x < y),
    lambda g, ans, x, y: _winner(g, y, x, y < x),
)
# fmax/fmin ignore NaN: the non-NaN argument gets the whole adjoint.
binary(
    (np.fmax,),
    lambda g, ans, x, y: g * np.where(np.isnan(y), 1.0, _choose(x, y, x > y)),
    lambda g, ans, x, y: g * np.where(np.isnan(x), 1.0, _choose(y, x, y > x)),
)
binary(
    (np.fmin,),
    lambda g, ans, x, y: g * np.where(np.isnan(y), 1.0, _choose(x, y, x < y)),
    lambda g, ans, x, y: g * np.where(np.isnan(x), 1.0, _choose(y, x, y < x)),
)
binary(
    (np.arctan2,),
    lambda g, ans, x, y: g * y / (x * x + y * y),
    lambda g, ans, x, y: -g * x / (x * x + y * y),
)
binary(
    (np.hypot,),
    lambda g, ans, x, y: g * x / ans,
    lambda g, ans, x, y: g * y / ans,
)
binary(
    (np.logaddexp,),
    lambda g, ans, x, y: g * np.exp(x - ans),
    lambda g, ans, x, y: g * np.exp(y - ans),
)
binary(
    (np.logaddexp2,),
    lambda g, ans, x, y: g * np.exp2(x - ans),
    lambda g, ans, x, y: g * np.exp2(y - ans),
)

# ---------------------------------------------------------------------------
# Selections: linear in the selected arguments (not read as elementwise by
# the passes: their arguments broadcast three ways)

define(
    np.where,
    None,
    lambda g, ans, condition, x, y: ub(np.where(condition, g, 0.0), x),
    lambda g, ans, condition, x, y: ub(np.where(condition, 0.0, g), y),
    tangent=(
        None,
        lambda t, ans, condition, x, y: broadcast_like(
            np.where(condition, t, 0.0), ans
        ),
        lambda t, ans, condition, x, y: broadcast_like(
            np.where(condition, 0.0, t), ans
        ),
    ),
    # piecewise constant in the condition (its derivative is zero): a
    # condition computed from differentiated values, or read from a tape
    # shared with them, contributes nothing instead of raising
    integers=("condition",),
)


def _inside(d, a, a_min, a_max):
    """``d`` where ``a_min <= a <= a_max`` (either bound may be None), else 0."""
    if a_min is not None:
        d = d * (a >= a_min)
    if a_max is not None:
        d = d * (a <= a_max)
    return d


define(
    np.clip,
    lambda g, ans, a, a_min=None, a_max=None: ub(_inside(g, a, a_min, a_max), a),
    lambda g, ans, a, a_min=None, a_max=None: ub(g * (a < a_min), a_min),
    lambda g, ans, a, a_min=None, a_max=None: ub(g * (a > a_max), a_max),
    tangent=(
        lambda t, ans, a, a_min=None, a_max=None: broadcast_like(
            _inside(t, a, a_min, a_max), ans
        ),
        lambda t, ans, a, a_min=None, a_max=None: broadcast_like(t * (a < a_min), ans),
        lambda t, ans, a, a_min=None, a_max=None: broadcast_like(t * (a > a_max), ans),
    ),
    methods=("clip",),
)

# ---------------------------------------------------------------------------
# No derivative: integer-valued and boolean results

for fn in (np.round, np.around):
    nondifferentiable(fn, methods=("round",) if fn is np.round else ())
for fn in (
    np.floor,
    np.ceil,
    np.rint,
    np.trunc,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.floor_divide,
    operator.floordiv,
):
    nondifferentiable(fn, categories=("elementwise",))
# comparisons and `not`: a bool, or an array of bools; == and != compare
# lists too, and `not` is of anything, so those are not elementwise
for fn in (operator.lt, operator.le, operator.gt, operator.ge):
    nondifferentiable(fn, categories=("comparison", "elementwise"))
for fn in (operator.eq, operator.ne, operator.not_):
    nondifferentiable(fn, categories=("comparison",))
for fn in (operator.and_, operator.or_, operator.xor, operator.invert):
    nondifferentiable(fn)
