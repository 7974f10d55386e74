"""Records of ``scipy.special``: gamma and beta functions, error functions,
the logistic family, ``logsumexp`` and ``softmax``, entropies, the normal
distribution's functions and Bessel functions.

Registered on demand (:mod:`.scipy_hook`): importing this module imports
SciPy. Every rule is written with calls of registered primitives (this
family's own, NumPy's), so the rules are differentiated like any code:
second and higher derivatives follow (``gammaln`` -> ``digamma`` ->
``polygamma(1, .)`` -> ``polygamma(2, .)`` ...). Where a function is a
ufunc, one formula, ``g`` times the partial derivative, is the reverse rule
(summed back to the argument's shape) and the tangent rule (broadcast to
the result's shape), as for NumPy's ufuncs.

Orders of Bessel functions (``v`` of ``iv``, ``ive``, ``jv``; ``n`` of
``yn``), ``polygamma``'s ``n`` and ``multigammaln``'s ``d`` have no rule:
the derivative in a Bessel function's order has no closed form in these
functions, and the others are integers. A gradient that depends on one
raises :class:`NonDifferentiableError`.

Conventions (as JAX's): ``xlogy(0, y)`` and ``xlog1py(0, y)`` are 0 for
every ``y``, so their derivative in ``y`` is 0 where ``x == 0`` (also at
``y == 0``, resp. ``y == -1``); ``entr``'s derivative at 0 is ``-inf``.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Sequence

import numpy as np
import scipy.special

from ..errors import NoRuleError
from .elementwise import broadcast_like, scalar_constant, ub
from .registry import Primitive, define, nondifferentiable
from .runtime_helpers import real_operand

SPECIAL = scipy.special

#: the normal density's constant, log(sqrt(2 pi))
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
SQRT_2PI = math.sqrt(2.0 * math.pi)

#: A partial derivative: ``partial(ans, *arguments)``, every parameter
#: given (defaults filled in); None in its place: no derivative there. A
#: partial that returns None: the derivative is zero.
Partial = Callable[..., Any]


def _signature(spec: str) -> inspect.Signature:
    """The signature a parameter list such as ``"x, loc=0.0"`` spells."""
    namespace: dict[str, Any] = {}
    exec(f"def f({spec}): pass", {}, namespace)  # noqa: S102  (our own text)
    return inspect.signature(namespace["f"])


def _rule(
    signature: inspect.Signature, k: int, partial: Partial, tangent: bool
) -> Callable:
    """The reverse (or tangent) rule for parameter ``k``: ``g`` times the
    partial derivative, summed back to the argument's shape (broadcast to
    the result's). Where every other argument is a scalar, broadcasting
    never enlarged this one, and nothing is summed or broadcast."""

    def rule(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = list(bound.arguments.values())
        d = partial(ans, *values)
        if d is None:
            return None
        out = g * d
        if all(scalar_constant(v) for j, v in enumerate(values) if j != k):
            return out
        return broadcast_like(out, ans) if tangent else ub(out, values[k])

    head = [
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for n in ("t" if tangent else "g", "ans")
    ]
    rule.__signature__ = inspect.Signature(head + list(signature.parameters.values()))
    return rule


def elementwise(
    fn: Any,
    spec: str,
    partials: Sequence[Partial | None],
    *,
    name: str,
    render: tuple,
    hint: str,
    categories: Sequence[str] = ("elementwise",),
    integers: Sequence[str] = (),
) -> Primitive:
    """The record of a function elementwise in broadcast arguments, from
    its partial derivatives (one per parameter of ``spec``, None: no
    derivative in that argument): reverse and tangent rules alike."""
    signature = _signature(spec)
    reverse = [
        None if p is None else _rule(signature, k, p, False)
        for k, p in enumerate(partials)
    ]
    tangent = [
        None if p is None else _rule(signature, k, p, True)
        for k, p in enumerate(partials)
    ]
    return define(
        fn,
        *reverse,
        tangent=tangent,
        categories=categories,
        integers=integers,
        name=name,
        render=render,
        hint=hint,
        signature_of=reverse[0],
    )


def special(attr: str, spec: str, *partials: Partial | None, **options: Any) -> Any:
    """Register ``scipy.special.<attr>`` (see :func:`elementwise`); the
    primitive, to call in other rules."""
    options.setdefault("categories", ("elementwise",))
    return elementwise(
        getattr(SPECIAL, attr),
        spec,
        partials,
        name=f"scipy.special.{attr}",
        render=("call", SPECIAL, (attr,)),
        hint=attr,
        **options,
    )


# ---------------------------------------------------------------------------
# Gamma, beta and their logarithms

polygamma = special(
    "polygamma",
    "n, x",
    None,
    lambda ans, n, x: polygamma(n + 1, x),
    categories=(),  # a Python function of SciPy's, not a ufunc
)
digamma = special("digamma", "x", lambda ans, x: polygamma(1, x))
gammaln = special("gammaln", "x", lambda ans, x: digamma(x))
gamma = special("gamma", "x", lambda ans, x: ans * digamma(x))
rgamma = special("rgamma", "x", lambda ans, x: -ans * digamma(x))
betaln = special(
    "betaln",
    "a, b",
    lambda ans, a, b: digamma(a) - digamma(a + b),
    lambda ans, a, b: digamma(b) - digamma(a + b),
)
beta = special(
    "beta",
    "a, b",
    lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
    lambda ans, a, b: ans * (digamma(b) - digamma(a + b)),
)


def _multigammaln_a(ans: Any, a: Any, d: Any) -> Any:
    # multigammaln(a, d) = d (d - 1) / 4 log(pi) + sum_j gammaln(a - j / 2)
    if not isinstance(d, int):
        raise NoRuleError(
            "scipy.special.multigammaln needs its dimension `d` as a constant "
            "integer in differentiated code",
            hint="pass d as an int written in the source",
        )
    total = digamma(a)
    for j in range(1, d):
        total = total + digamma(a - 0.5 * j)
    return total


multigammaln = special("multigammaln", "a, d", _multigammaln_a, None, categories=())

# ---------------------------------------------------------------------------
# Error functions and the normal distribution


def _gauss(x: Any) -> Any:
    return np.exp(-(x * x))


erf = special("erf", "x", lambda ans, x: TWO_OVER_SQRT_PI * _gauss(x))
erfc = special("erfc", "x", lambda ans, x: -TWO_OVER_SQRT_PI * _gauss(x))
erfinv = special("erfinv", "x", lambda ans, x: SQRT_PI_OVER_2 * np.exp(ans * ans))
erfcinv = special("erfcinv", "x", lambda ans, x: -SQRT_PI_OVER_2 * np.exp(ans * ans))
ndtr = special("ndtr", "x", lambda ans, x: np.exp(-0.5 * x * x - LOG_SQRT_2PI))
# the density over ndtr, written with the logarithms so that it is finite
# far in the left tail (where ndtr underflows)
log_ndtr = special(
    "log_ndtr", "x", lambda ans, x: np.exp(-0.5 * x * x - LOG_SQRT_2PI - ans)
)
ndtri = special("ndtri", "x", lambda ans, x: SQRT_2PI * np.exp(0.5 * ans * ans))

# ---------------------------------------------------------------------------
# The logistic family

expit = special("expit", "x", lambda ans, x: ans * (1.0 - ans))
logit = special("logit", "x", lambda ans, x: 1.0 / (x * (1.0 - x)))
log_expit = special("log_expit", "x", lambda ans, x: expit(-x))

# ---------------------------------------------------------------------------
# x log y and entropies: 0 where x == 0, whatever y is


def _where_x_zero(x: Any, y_at_zero: Any, y: Any) -> Any:
    """``y``, with 1 where ``x == 0`` and ``y == y_at_zero`` (the point
    where the convention, not the formula, gives the value)."""
    return np.where(np.logical_and(x == 0, y == y_at_zero), 1.0, y)


xlogy = special(
    "xlogy",
    "x, y",
    lambda ans, x, y: np.log(y),
    lambda ans, x, y: x / _where_x_zero(x, 0.0, y),
)
xlog1py = special(
    "xlog1py",
    "x, y",
    lambda ans, x, y: np.log1p(y),
    lambda ans, x, y: x / (_where_x_zero(x, -1.0, y) + 1.0),
)
entr = special("entr", "x", lambda ans, x: -np.log(x) - 1.0)

# ---------------------------------------------------------------------------
# Bessel functions: derivatives in x (the order has none here)

# jv is also spelled jn; yn takes integer orders only
jv = special("jv", "v, x", None, lambda ans, v, x: 0.5 * (jv(v - 1, x) - jv(v + 1, x)))
j0 = special("j0", "x", lambda ans, x: -j1(x))
j1 = special("j1", "x", lambda ans, x: 0.5 * (j0(x) - jv(2, x)))
yn = special("yn", "n, x", None, lambda ans, n, x: 0.5 * (yn(n - 1, x) - yn(n + 1, x)))
y0 = special("y0", "x", lambda ans, x: -y1(x))
y1 = special("y1", "x", lambda ans, x: 0.5 * (y0(x) - yn(2, x)))
iv = special("iv", "v, x", None, lambda ans, v, x: 0.5 * (iv(v - 1, x) + iv(v + 1, x)))
# ive(v, x) = iv(v, x) exp(-|x|); of a complex x, exp(-|Re x|), which is
# not holomorphic: no partial derivative gives its adjoint, so refused
ive = special(
    "ive",
    "v, x",
    None,
    lambda ans, v, x: 0.5 * (ive(v - 1, x) + ive(v + 1, x))
    - np.sign(real_operand(x, "scipy.special.ive")) * ans,
)
i0 = special("i0", "x", lambda ans, x: i1(x))
i1 = special("i1", "x", lambda ans, x: 0.5 * (i0(x) + iv(2, x)))

# ---------------------------------------------------------------------------
# logsumexp, softmax, log_softmax: reductions over `axis`
#
# logsumexp(a, b=b) = log(sum(b exp(a))): d/da = b exp(a - ans), d/db =
# exp(a - ans). With return_sign=True, the call is split in two
# (:func:`split_logsumexp`): the logarithm of |sum| (logsumexp_magnitude)
# and the sign of the sum (logsumexp_sign, piecewise constant); d log|S| =
# dS / S = sign * dS / |S|.


def logsumexp_magnitude(a, axis=None, b=None, keepdims=False):
    """log |sum(b exp(a))| over ``axis``: scipy.special.logsumexp(...,
    return_sign=True)[0]."""
    return SPECIAL.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)[0]


def logsumexp_sign(a, axis=None, b=None, keepdims=False):
    """The sign of sum(b exp(a)) over ``axis``: scipy.special.logsumexp(...,
    return_sign=True)[1]."""
    return SPECIAL.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=True)[1]


def _kept(value: Any, axis: Any, keepdims: bool) -> Any:
    """A reduction's result (or its adjoint) with the reduced axes kept."""
    if keepdims or axis is None:
        return value
    return np.expand_dims(value, axis)


def _lse_rules(signed: bool) -> tuple:
    """The rules for a, b (reverse, then tangent) of logsumexp or its magnitude."""

    def factor(ans, a, axis, b, keepdims):
        # exp(a - ans), times the sign of the sum for the magnitude
        w = np.exp(a - _kept(ans, axis, keepdims))
        if signed:
            w = w * _kept(sign_of(a, axis, b, keepdims), axis, keepdims)
        return w

    def for_a(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
        _signless(return_sign)
        w = factor(ans, a, axis, b, keepdims)
        d = _kept(g, axis, keepdims) * (w if b is None else w * b)
        return ub(d, a)

    def for_b(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
        _signless(return_sign)
        return ub(_kept(g, axis, keepdims) * factor(ans, a, axis, b, keepdims), b)

    def tangent_a(t, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
        w = factor(ans, a, axis, b, keepdims)
        return np.sum(t * (w if b is None else w * b), axis=axis, keepdims=keepdims)

    def tangent_b(t, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
        w = factor(ans, a, axis, b, keepdims)
        return np.sum(t * w, axis=axis, keepdims=keepdims)

    return for_a, for_b, tangent_a, tangent_b


def _signless(return_sign: Any) -> None:
    if return_sign is not False:  # split_logsumexp made it two calls
        raise NoRuleError(
            "internal error: scipy.special.logsumexp(..., return_sign=True) "
            "reached its rules without being split"
        )


def split_logsumexp(
    a, axis=None, b=None, keepdims=False, return_sign=False
) -> list | None:
    """A call with return_sign=True as two calls, (magnitude, sign); None
    for any other call."""
    if return_sign is not True:
        return None
    kwargs = {"axis": axis, "b": b, "keepdims": keepdims}
    return [(logsumexp_magnitude, (a,), kwargs), (logsumexp_sign, (a,), kwargs)]


# piecewise constant: never carries a derivative
sign_of = nondifferentiable(logsumexp_sign, hint="sign")
_a, _b, _ta, _tb = _lse_rules(True)
define(
    logsumexp_magnitude,
    _a,
    None,
    _b,
    None,
    tangent=(_ta, None, _tb, None),
    integers=("axis",),
    static=("axis", "keepdims"),
    hint="logsumexp",
)
_a, _b, _ta, _tb = _lse_rules(False)
logsumexp = define(
    SPECIAL.logsumexp,
    _a,
    None,
    _b,
    None,
    None,
    tangent=(_ta, None, _tb, None, None),
    integers=("axis",),
    static=("axis", "keepdims", "return_sign"),
    name="scipy.special.logsumexp",
    render=("call", SPECIAL, ("logsumexp",)),
    hint="logsumexp",
)
logsumexp.split = split_logsumexp


def _sum_over(x: Any, axis: Any) -> Any:
    return np.sum(x, axis=axis, keepdims=True)


# the Jacobian of softmax, diag(s) - s s^T, is symmetric: the same formula
# is the reverse and the tangent rule
softmax = define(
    SPECIAL.softmax,
    lambda g, ans, x, axis=None: ans * (g - _sum_over(g * ans, axis)),
    None,
    tangent=(lambda t, ans, x, axis=None: ans * (t - _sum_over(t * ans, axis)), None),
    integers=("axis",),
    static=("axis",),
    name="scipy.special.softmax",
    render=("call", SPECIAL, ("softmax",)),
    hint="softmax",
)
log_softmax = define(
    SPECIAL.log_softmax,
    lambda g, ans, x, axis=None: g - np.exp(ans) * _sum_over(g, axis),
    None,
    tangent=(
        lambda t, ans, x, axis=None: t - _sum_over(np.exp(ans) * t, axis),
        None,
    ),
    integers=("axis",),
    static=("axis",),
    name="scipy.special.log_softmax",
    render=("call", SPECIAL, ("log_softmax",)),
    hint="log_softmax",
)
