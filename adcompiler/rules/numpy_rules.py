"""Reverse rules for NumPy and Python's operators.

One entry per function, ``rule(g, ans, *args, **kwargs)`` per positional
argument, written in plain NumPy (the compiler records them symbolically).
``None`` in place of a rule: no derivative for that argument (an error if
the gradient depends on it). A rule that returns None: the derivative is
zero (the result does not depend on the argument's values).

Conventions at non-differentiable points, the same as JAX:
``abs``, ``sign``: derivative 0 at 0; ``maximum``/``minimum``/``fmax``/
``fmin``/builtin ``max``/``min``: ties split the adjoint equally; ``max``/
``min`` reductions: the adjoint is shared equally among tied elements;
``clip``: derivative 1 on the closed interval ``[a_min, a_max]``.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .registry import defvjp, nondifferentiable
from .runtime_rules import (
    broadcast_to_shape,
    einsum_adjoint,
    matmul_transposed,
    pieces_adjoint,
    share_ties,
    transposed_matmul,
    unbroadcast,
    unindex,
    unrepeat,
    untile,
)
from .. import runtime
from ..options import optimizing
from ..passes.scalars import COMPARISONS
from ..symbolic import Sym, call

LOG2 = float(np.log(2.0))
LOG10 = float(np.log(10.0))


def ub(g, x):
    """Sum ``g`` back to the shape of ``x`` (undo broadcasting)."""
    return unbroadcast(g, np.shape(x))


def broadcast_like(t, ans):
    """A tangent broadcast to the shape of the result it is the tangent of."""
    return broadcast_to_shape(t, np.shape(ans))


def _scalar_constant(x):
    """True for an operand of shape ``()``: a Python number, or a value the
    scalars pass marked (:mod:`adcompiler.passes.scalars`)."""
    if isinstance(x, Sym):
        return x.value.scalar
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def unary(fn, rule, **options):
    """An elementwise function of one argument: ``rule(g, ans, x)``.

    The rule is ``g`` times the derivative, elementwise: applied to a
    tangent instead of an adjoint it is also the forward-mode rule.
    """
    prim = defvjp(fn, lambda g, ans, x: rule(g, ans, x), **options)
    prim.jvps = (lambda t, ans, x: rule(t, ans, x),)


def binary(fns, rule_x, rule_y, hint=None):
    """An elementwise function of two broadcast arguments.

    Broadcasting against a scalar (a Python number, or a value known to be
    one) never enlarges the other argument, so no unbroadcast is recorded
    for it.
    """

    def for_x(g, ans, x, y):
        d_x = rule_x(g, ans, x, y)
        return d_x if _scalar_constant(y) else ub(d_x, x)

    def for_y(g, ans, x, y):
        d_y = rule_y(g, ans, x, y)
        return d_y if _scalar_constant(x) else ub(d_y, y)

    def tangent_x(t, ans, x, y):
        t_out = rule_x(t, ans, x, y)
        return t_out if _scalar_constant(y) else broadcast_like(t_out, ans)

    def tangent_y(t, ans, x, y):
        t_out = rule_y(t, ans, x, y)
        return t_out if _scalar_constant(x) else broadcast_like(t_out, ans)

    for fn in fns:
        prim = defvjp(fn, for_x, for_y, hint=hint)
        prim.jvps = (tangent_x, tangent_y)


# ---------------------------------------------------------------------------
# Elementwise, one argument

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
for fn in (np.absolute, np.fabs):
    unary(fn, lambda g, ans, x: g * np.sign(x))
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
# Elementwise, two broadcast arguments

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


def _power_x(g, ans, x, y):
    if isinstance(y, (int, float)):
        if y == 0:
            return None  # x ** 0 is 1 everywhere, including x == 0
        if y == 2:
            return g * 2.0 * x
        return g * y * x ** (y - 1)
    return g * y * x ** (y - 1.0)


def _power_y(g, ans, x, y):
    # log(x) is only real for x > 0; elsewhere x ** y does not vary with y
    # (x == 0) or has no real derivative, and the rule gives 0 there.
    return g * ans * np.log(np.where(x > 0, x, 1.0))


binary((operator.pow, np.power, pow), _power_x, _power_y, hint="power")


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

defvjp(
    np.where,
    None,
    lambda g, ans, condition, x, y: ub(np.where(condition, g, 0.0), x),
    lambda g, ans, condition, x, y: ub(np.where(condition, 0.0, g), y),
)


def _clip_a(g, ans, a, a_min=None, a_max=None):
    inside = g
    if a_min is not None:
        inside = inside * (a >= a_min)
    if a_max is not None:
        inside = inside * (a <= a_max)
    return ub(inside, a)


defvjp(
    np.clip,
    _clip_a,
    lambda g, ans, a, a_min=None, a_max=None: ub(g * (a < a_min), a_min),
    lambda g, ans, a, a_min=None, a_max=None: ub(g * (a > a_max), a_max),
)

# ---------------------------------------------------------------------------
# Reductions


def expand(g, x, axis, keepdims):
    """Broadcast the adjoint of a reduction of ``x`` over ``axis`` back to x."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def _count(x, ans):
    """Elements per reduced result: size of x over size of the result."""
    return np.size(x) / np.size(ans)


REDUCTION = ("axis", "dtype", "keepdims", "ddof")

defvjp(
    np.sum,
    lambda g, ans, a, axis=None, dtype=None, keepdims=False: expand(
        g, a, axis, keepdims
    ),
    static=REDUCTION,
)
defvjp(
    np.mean,
    lambda g, ans, a, axis=None, dtype=None, keepdims=False: expand(
        g / _count(a, ans), a, axis, keepdims
    ),
    static=REDUCTION,
)


def _prod(g, ans, a, axis=None, dtype=None, keepdims=False):
    # the product of the other elements, exact where a has zeros
    return expand(g, a, axis, keepdims) * call(runtime.prod_others, a, axis)


defvjp(np.prod, _prod, static=REDUCTION)


def _extremum(g, ans, a, axis=None, keepdims=False):
    chosen = a == expand(ans, a, axis, keepdims)
    share = chosen / np.sum(chosen, axis=axis, keepdims=True)
    return expand(g, a, axis, keepdims) * share


for fn in (np.max, np.amax, np.min, np.amin):
    defvjp(fn, _extremum, static=REDUCTION)


def _var(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    centred = a - np.mean(a, axis=axis, keepdims=True)
    return expand(g, a, axis, keepdims) * centred * (2.0 / (_count(a, ans) - ddof))


def _std(g, ans, a, axis=None, dtype=None, ddof=0, keepdims=False):
    return _var(g / (2.0 * ans), ans * ans, a, axis, dtype, ddof, keepdims)


defvjp(np.var, _var, static=REDUCTION)
defvjp(np.std, _std, static=REDUCTION)


def _norm(g, ans, x, ord=None, axis=None, keepdims=False):
    # with an int axis, a vector norm along it; with a pair of axes (or none,
    # for a matrix), ord 1, 2 and inf are matrix norms: no rule for those
    vector_axis = isinstance(axis, int) or (
        isinstance(axis, (tuple, list)) and len(axis) == 1
    )
    if ord in (None, "fro") or (ord == 2 and vector_axis):
        return expand(g / ans, x, axis, keepdims) * x
    if ord == 1 and vector_axis:
        return expand(g, x, axis, keepdims) * np.sign(x)
    if ord == np.inf and vector_axis:
        return _extremum(g, ans, np.abs(x), axis, keepdims) * np.sign(x)
    from ..errors import NoRuleError

    raise NoRuleError(
        f"np.linalg.norm with ord={ord!r} and axis={axis!r} has no derivative rule",
        hint="use ord=None (2-norm of a vector, Frobenius of a matrix), "
        "or ord=1, 2 or np.inf with an axis",
    )


defvjp(np.linalg.norm, _norm, static=("ord", "axis", "keepdims"))


def _cumsum(g, ans, a, axis=None, dtype=None):
    if axis is None:
        reverse = np.flip(np.cumsum(np.flip(g)))
        return np.reshape(reverse, np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


defvjp(np.cumsum, _cumsum, static=("axis", "dtype"))

# ---------------------------------------------------------------------------
# Linear algebra


def bilinear(fn, kind, static=()):
    """A product bilinear in (a, b), as an einsum whose subscripts depend on
    ranks. ``matmul`` passes its name instead (:func:`runtime.einsum_adjoint`
    multiplies matrices directly, and works the subscripts out otherwise)."""

    def spec(a, b):
        if kind == "matmul":
            return "matmul"
        return call(runtime.bilinear_spec, kind, np.ndim(a), np.ndim(b))

    def of_a(g, ans, a, b):
        if kind == "matmul" and _matrix(a) and _matrix(b):
            return matmul_transposed(g, b)  # g @ b.T: the lecture's "backward: Wᵀ"
        return einsum_adjoint(spec(a, b), 0, np.shape(a), g, None, b)

    def of_b(g, ans, a, b):
        if kind == "matmul" and _matrix(a) and _matrix(b):
            return transposed_matmul(a, g)  # a.T @ g: the lecture's "update: xᵀ"
        return einsum_adjoint(spec(a, b), 1, np.shape(b), g, a, None)

    defvjp(fn, of_a, of_b, static=static)


def _matrix(x):
    """True for an operand known to be a matrix: an array of rank 2 (see
    :mod:`adcompiler.passes.ranks`). Its adjoint then has rank 2 as well."""
    return isinstance(x, Sym) and x.value.ndim == 2


bilinear(np.dot, "dot")
bilinear(np.inner, "inner")
for fn in (operator.matmul, np.matmul):
    bilinear(fn, "matmul")
defvjp(
    np.tensordot,
    lambda g, ans, a, b, axes=2: einsum_adjoint(
        call(runtime.bilinear_spec, "tensordot", np.ndim(a), np.ndim(b), axes),
        0,
        np.shape(a),
        g,
        None,
        b,
    ),
    lambda g, ans, a, b, axes=2: einsum_adjoint(
        call(runtime.bilinear_spec, "tensordot", np.ndim(a), np.ndim(b), axes),
        1,
        np.shape(b),
        g,
        a,
        None,
    ),
    static=("axes",),
)
defvjp(
    np.outer,
    lambda g, ans, a, b: np.reshape(np.dot(g, np.ravel(b)), np.shape(a)),
    lambda g, ans, a, b: np.reshape(np.dot(np.ravel(a), g), np.shape(b)),
)


def _einsum_operands(g, ans, subscripts, *operands):
    adjoints = []
    for k, operand in enumerate(operands):
        others = list(operands)
        others[k] = None
        adjoints.append(einsum_adjoint(subscripts, k, np.shape(operand), g, *others))
    return adjoints


defvjp(np.einsum, None, _einsum_operands, static=("subscripts",))


def _trace(g, ans, a, offset=0, axis1=0, axis2=1):
    # g times the (offset) diagonal's indicator, its axes moved back in place;
    # the sizes are runtime values, so np.eye is recorded as an op
    shape = np.shape(a)
    diagonal = call(np.eye, shape[axis1], shape[axis2], offset)
    # (g is a Python float when the trace is the output or scaled by one:
    # expand_dims, not g[..., None, None])
    g = np.expand_dims(g, (-2, -1))
    return np.moveaxis(g * diagonal, (-2, -1), (axis1, axis2))


defvjp(np.trace, _trace, static=("offset", "axis1", "axis2"))

defvjp(np.linalg.inv, lambda g, ans, a: -_mT(ans) @ g @ _mT(ans))


def _mT(x):
    return np.swapaxes(x, -1, -2)


# x = solve(a, b) is inv(a) @ b, with the same rule for what b is: a vector
# when b.ndim == 1 (then x may be a stack of vectors, for a stack of a),
# otherwise a stack of matrices; a or b broadcast over the other's batch.
# Only b's rank tells these apart, so the adjoints go through matmul's
# (einsum) rule, whose subscripts are computed from the ranks at run time.


def _solve_spec(a, b):
    return call(runtime.bilinear_spec, "matmul", np.ndim(a), np.ndim(b))


def _solve_b(g, ans, a, b):
    return einsum_adjoint(_solve_spec(a, b), 1, np.shape(b), g, np.linalg.inv(a), None)


def _solve_a(g, ans, a, b):
    # the adjoint of inv(a) in inv(a) @ b, then inv's rule
    a_inv = np.linalg.inv(a)
    d_inv = einsum_adjoint(_solve_spec(a, b), 0, np.shape(a), g, None, b)
    return -_mT(a_inv) @ d_inv @ _mT(a_inv)


defvjp(np.linalg.solve, _solve_a, _solve_b)
defvjp(
    np.linalg.det, lambda g, ans, a: (g * ans)[..., None, None] * _mT(np.linalg.inv(a))
)

# ---------------------------------------------------------------------------
# Shapes: each adjoint puts g back in the argument's shape

defvjp(
    np.reshape,
    lambda g, ans, a, shape, order="C": np.reshape(g, np.shape(a)),
    None,
    static=("order",),
)
defvjp(
    np.ravel,
    lambda g, ans, a, order="C": np.reshape(g, np.shape(a)),
    static=("order",),
)
defvjp(
    np.squeeze,
    lambda g, ans, a, axis=None: np.reshape(g, np.shape(a)),
    static=("axis",),
)
defvjp(
    np.expand_dims, lambda g, ans, a, axis: np.reshape(g, np.shape(a)), static=("axis",)
)
for fn in (np.atleast_1d, np.atleast_2d):
    defvjp(fn, lambda g, ans, a: np.reshape(g, np.shape(a)))


def _transpose(g, ans, a, axes=None):
    if axes is None:
        return np.transpose(g)
    n = len(axes)
    inverse = tuple(int(i) for i in np.argsort([axis % n for axis in axes]))
    return np.transpose(g, inverse)


defvjp(np.transpose, _transpose, static=("axes",))
defvjp(
    np.swapaxes,
    lambda g, ans, a, axis1, axis2: np.swapaxes(g, axis1, axis2),
    static=("axis1", "axis2"),
)
defvjp(
    np.moveaxis,
    lambda g, ans, a, source, destination: np.moveaxis(g, destination, source),
    static=("source", "destination"),
)
defvjp(np.flip, lambda g, ans, m, axis=None: np.flip(g, axis), static=("axis",))
defvjp(np.broadcast_to, lambda g, ans, array, shape: ub(g, array), None)
defvjp(np.tile, lambda g, ans, A, reps: untile(g, np.shape(A), reps), None)
defvjp(
    np.repeat,
    lambda g, ans, a, repeats, axis=None: unrepeat(g, np.shape(a), repeats, axis),
    None,
    static=("axis",),
)


def pieces(kind):
    """The rule of a function joining a list of arrays into one."""

    def rule(g, ans, arrays, axis=0):
        if isinstance(arrays, Sym):  # a list, tuple or array known at run time
            return pieces_adjoint(g, kind, arrays, axis)
        shapes = [np.shape(x) for x in arrays]
        return [
            np.reshape(g[call(runtime.piece_index, kind, shapes, axis, i)], np.shape(x))
            for i, x in enumerate(arrays)
        ]

    return rule


defvjp(np.concatenate, pieces("concatenate"), static=("axis",))
defvjp(np.stack, pieces("stack"), static=("axis",))
defvjp(np.hstack, lambda g, ans, tup: pieces("hstack")(g, ans, tup, 0))
defvjp(np.vstack, lambda g, ans, tup: pieces("vstack")(g, ans, tup, 0))

# ---------------------------------------------------------------------------
# Indexing, copies and conversions

defvjp(
    operator.getitem,
    lambda g, ans, a, index: unindex(g, np.shape(a), index),
    lambda g, ans, a, index: None,  # indices are integers, slices or masks
    hint="item",
)
defvjp(np.copy, lambda g, ans, a, order="K": g)
defvjp(np.asarray, lambda g, ans, a, dtype=None: g, static=("dtype",))
defvjp(np.array, lambda g, ans, a, dtype=None: g, static=("dtype",))


def _astype(g, ans, a, dtype, copy=True):
    if np.issubdtype(np.dtype(dtype), np.floating):
        return g
    return None  # a cast to integers or booleans is piecewise constant


defvjp(np.ndarray.astype, _astype, static=("dtype",), render=("method", "astype"))
defvjp(
    np.ndarray.flatten,
    lambda g, ans, a, order="C": np.reshape(g, np.shape(a)),
    render=("method", "flatten"),
)
defvjp(np.ndarray.copy, lambda g, ans, a, order="C": g, render=("method", "copy"))


def _full_fill(g, ans, shape, fill_value, dtype=None):
    return ub(g, fill_value)  # fill_value may be an array broadcast to shape


defvjp(np.full, None, _full_fill, static=("dtype",))
# the values of `a` do not matter, only its shape: a zero derivative
defvjp(
    np.full_like,
    lambda g, ans, a, fill_value, dtype=None: None,
    lambda g, ans, a, fill_value, dtype=None: ub(g, fill_value),
    static=("dtype",),
)


def _linspace_weights(ans, endpoint):
    """t with ans[i] = start + t[i] * (stop - start), along the first axis.

    Its length is read from ans at run time: from the constant ``num`` it
    would be an array constant, which generated code cannot spell.
    """
    return call(np.linspace, 0.0, 1.0, np.shape(ans)[0], endpoint=endpoint)


defvjp(
    np.linspace,
    lambda g, ans, start, stop, num=50, endpoint=True: ub(
        np.tensordot(1.0 - _linspace_weights(ans, endpoint), g, axes=1), start
    ),
    lambda g, ans, start, stop, num=50, endpoint=True: ub(
        np.tensordot(_linspace_weights(ans, endpoint), g, axes=1), stop
    ),
    static=("num", "endpoint"),
)


def _arange(g, ans, *args, dtype=None):
    return None  # never called: an active argument is an error (rule None)


# np.arange's values depend on start and step; no rule is given, so a
# gradient that depends on them is an error instead of a silent zero.
defvjp(np.arange, None, signature_of=_arange)

# ---------------------------------------------------------------------------
# No derivative: shapes, constructors, integer-valued and boolean results

for fn in (
    np.shape,
    np.ndim,
    np.size,
    np.result_type,
    np.zeros,
    np.ones,
    np.empty,
    np.eye,
    np.identity,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.argmax,
    np.argmin,
    np.argsort,
    np.sign,
    np.floor,
    np.ceil,
    np.round,
    np.around,
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
    np.mod,
    np.broadcast_shapes,
    *COMPARISONS,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.invert,
    operator.floordiv,
    operator.mod,
):
    nondifferentiable(fn)
