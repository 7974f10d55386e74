"""Records of reductions: sums, means, products, extrema, variances and
cumulative sums, and the index-valued ``argmax``/``argmin``/``argsort``.

A reduction's adjoint broadcasts ``g`` back over the reduced axes
(:func:`expand`); its tangent reduces the argument's tangent alike. Ties in
``max``/``min`` share the adjoint equally.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import runtime
from .registry import define, linear, nondifferentiable
from .symbolic import call


def expand(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Broadcast the adjoint of a reduction of ``x`` over ``axis`` back to x."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def count(x: Any, ans: Any) -> Any:
    """Elements per reduced result: size of x over size of the result."""
    return np.size(x) / np.size(ans)


#: The parameters of reductions that must be constants. Their rules spell
#: NumPy's parameters in NumPy's order, ``out`` included, so a call passing
#: them by position binds each to its name (``out`` must be None: the
#: lowering refuses another).
REDUCTION = ("axis", "dtype", "keepdims", "ddof")

define(
    np.sum,
    lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False: expand(
        g, a, axis, keepdims
    ),
    tangent=linear(0),
    static=REDUCTION,
    methods=("sum",),
    categories=("reduction",),
)
define(
    np.mean,
    lambda g, ans, a, axis=None, dtype=None, out=None, keepdims=False: expand(
        g / count(a, ans), a, axis, keepdims
    ),
    tangent=linear(0),
    static=REDUCTION,
    methods=("mean",),
    categories=("reduction",),
)


def _prod(g, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    # the product of the other elements, exact where a has zeros
    return expand(g, a, axis, keepdims) * call(runtime.prod_others, a, axis)


def _prod_tangent(t, ans, a, axis=None, dtype=None, out=None, keepdims=False):
    others = call(runtime.prod_others, a, axis)
    return np.sum(t * others, axis=axis, keepdims=keepdims)


define(
    np.prod,
    _prod,
    tangent=(_prod_tangent,),
    static=REDUCTION,
    methods=("prod",),
    categories=("reduction",),
)


def extremum(
    g: Any, ans: Any, a: Any, axis: Any = None, out: Any = None, keepdims=False
):
    """The adjoint of a max or min of ``a``: ``g`` shared among the tied
    elements that are the result (``out`` is NumPy's, always None here)."""
    chosen = a == expand(ans, a, axis, keepdims)
    share = chosen / np.sum(chosen, axis=axis, keepdims=True)
    return expand(g, a, axis, keepdims) * share


def extremum_tangent(
    t: Any, ans: Any, a: Any, axis: Any = None, out: Any = None, keepdims=False
):
    """The tangent of a max or min of ``a``: the mean tangent of the tied
    elements that are the result."""
    chosen = a == expand(ans, a, axis, keepdims)
    share = chosen / np.sum(chosen, axis=axis, keepdims=True)
    return np.sum(t * share, axis=axis, keepdims=keepdims)


for fn, method in ((np.max, "max"), (np.amax, None), (np.min, "min"), (np.amin, None)):
    define(
        fn,
        extremum,
        tangent=(extremum_tangent,),
        static=REDUCTION,
        methods=(method,) if method else (),
        categories=("reduction",),
    )


def _var(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    # the variance of complex values is the mean of |a - mean|**2, real: the
    # real part of g (a complex adjoint of a real value), conj of centred
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return (
        expand(np.real(g), a, axis, keepdims)
        * np.conj(centred)
        * (2.0 / (count(a, ans) - ddof))
    )


def over_twice_std(d: Any, ans: Any) -> Any:
    """``d / (2 std)``, and 0 where the standard deviation ``ans`` is 0.

    std = sqrt(var) is not differentiable where var is 0 (one element, or
    all equal): the convention there is derivative 0, the kink convention
    of ``abs`` (README). Both ``where`` keep the unused branch finite, so
    second derivatives are not nan either."""
    zero = ans == 0
    return np.where(zero, 0.0, d / (2.0 * np.where(zero, 1.0, ans)))


def _std(g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d_var = over_twice_std(g, ans)
    return _var(d_var, ans * ans, a, axis, dtype, None, ddof, keepdims)


def _var_tangent(t, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return np.real(np.sum(np.conj(centred) * t, axis=axis, keepdims=keepdims)) * (
        2.0 / (count(a, ans) - ddof)
    )


def _std_tangent(t, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    t_var = _var_tangent(t, ans * ans, a, axis, dtype, None, ddof, keepdims)
    return over_twice_std(t_var, ans)


define(
    np.var,
    _var,
    tangent=(_var_tangent,),
    static=REDUCTION,
    methods=("var",),
    categories=("reduction",),
)
define(
    np.std,
    _std,
    tangent=(_std_tangent,),
    static=REDUCTION,
    methods=("std",),
    categories=("reduction",),
)


def _cumsum(g, ans, a, axis=None, dtype=None, out=None):
    if axis is None:
        reverse = np.flip(np.cumsum(np.flip(g)))
        return np.reshape(reverse, np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


define(
    np.cumsum,
    _cumsum,
    tangent=linear(0),
    static=("axis", "dtype"),
    methods=("cumsum",),
)

# indices: no derivative
for fn in (np.argmax, np.argmin, np.argsort):
    nondifferentiable(fn, methods=(fn.__name__,))
