"""Records of indexing, copies, conversions and constructors.

``a[index]`` is a view of ``a`` for basic indices (``memory=VIEW``), its
adjoint scatters ``g`` back (:func:`runtime.unindex`); ``np.asarray`` may
return its argument itself. Constructors of zeros, ones and identities
carry no derivative; ``np.full``, ``np.full_like`` and ``np.linspace`` are
linear in the values they spread.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .elementwise import ub
from .registry import (
    ITSELF,
    REVERSE_ONLY,
    VIEW,
    define,
    linear,
    nondifferentiable,
)
from .runtime_helpers import unindex
from .symbolic import call

define(
    operator.getitem,
    lambda g, ans, a, index: unindex(g, np.shape(a), index),
    lambda g, ans, a, index: None,  # indices are integers, slices or masks
    tangent=linear(0),
    memory=VIEW,
    hint="item",
)
define(np.copy, lambda g, ans, a, order="K": g, tangent=linear(0))
# conversions that return their argument itself when it is already an
# array of the dtype and layout asked for: a write into the result may
# change the argument (lower.memory tests which at run time)
for fn in (np.asarray, np.asanyarray):
    define(
        fn,
        lambda g, ans, a, dtype=None, order=None, copy=None: cast_adjoint(g, dtype),
        tangent=linear(0),
        memory=ITSELF,
        static=("dtype", "order", "copy"),
    )
for fn in (np.ascontiguousarray, np.asfortranarray):
    define(
        fn,
        lambda g, ans, a, dtype=None: cast_adjoint(g, dtype),
        tangent=linear(0),
        memory=ITSELF,
        static=("dtype",),
    )
# `a.view()`: a new array object on a's memory (a view with another dtype
# reinterprets bits, which has no derivative: refused by the signature)
define(
    np.ndarray.view,
    lambda g, ans, a: g,
    tangent=linear(0),
    memory=VIEW,
    render=("method", "view"),
    methods=("view",),
)
# np.array copies unless told not to: `np.array(a, copy=False)` (or
# copy=None) is lowered as np.asarray(a, copy=...), which may share memory
define(
    np.array,
    lambda g, ans, a, dtype=None, copy=True: cast_adjoint(g, dtype),
    tangent=(lambda t, ans, a, dtype=None, copy=True: _array_tangent(t, dtype),),
    static=("dtype", "copy"),
)


def cast_adjoint(g: Any, dtype: Any) -> Any:
    """The adjoint of a cast to ``dtype`` (a constant): ``g`` for a complex
    dtype (or none given), its real part for a real one (a cast of complex
    values to reals keeps their real parts), None for integers and booleans
    (piecewise constant)."""
    if dtype is None:
        return g
    kind = np.dtype(dtype).kind
    if kind == "c":
        return g
    if kind == "f":
        return np.real(g)
    return None


def _array_tangent(t: Any, dtype: Any) -> Any:
    d = cast_adjoint(t, dtype)
    return None if d is None else call(np.array, d, dtype=dtype)


def _astype(g, ans, a, dtype, copy=True):
    return cast_adjoint(g, dtype)


def _astype_tangent(t, ans, a, dtype, copy=True):
    kind = np.dtype(dtype).kind
    if kind == "c":
        return call(np.ndarray.astype, t, dtype)
    if kind == "f":
        return call(np.ndarray.astype, np.real(t), dtype)
    return None


define(
    np.ndarray.astype,
    _astype,
    tangent=(_astype_tangent,),
    # `astype(dtype, copy=False)` returns the array itself when it already
    # has that dtype
    memory=ITSELF,
    static=("dtype", "copy"),
    render=("method", "astype"),
    methods=("astype",),
)
define(
    np.ndarray.copy,
    lambda g, ans, a, order="C": g,
    tangent=linear(0),
    render=("method", "copy"),
    methods=("copy",),
)


def _full_fill(g, ans, shape, fill_value, dtype=None):
    return ub(g, fill_value)  # fill_value may be an array broadcast to shape


define(
    np.full,
    None,
    _full_fill,
    tangent=linear(1),
    integers=("shape",),
    static=("dtype",),
)
# the values of `a` do not matter, only its shape: a zero derivative
define(
    np.full_like,
    lambda g, ans, a, fill_value, dtype=None: None,
    lambda g, ans, a, fill_value, dtype=None: ub(g, fill_value),
    tangent=(
        lambda t, ans, a, fill_value, dtype=None: None,
        lambda t, ans, a, fill_value, dtype=None: np.full_like(a, t),
    ),
    static=("dtype",),
)


def _linspace_weights(ans, endpoint):
    """t with ans[i] = start + t[i] * (stop - start), along the first axis.

    Its length is read from ans at run time: from the constant ``num`` it
    would be an array constant, which generated code cannot spell.
    """
    return call(np.linspace, 0.0, 1.0, np.shape(ans)[0], endpoint=endpoint)


define(
    np.linspace,
    lambda g, ans, start, stop, num=50, endpoint=True: ub(
        np.tensordot(1.0 - _linspace_weights(ans, endpoint), g, axes=1), start
    ),
    lambda g, ans, start, stop, num=50, endpoint=True: ub(
        np.tensordot(_linspace_weights(ans, endpoint), g, axes=1), stop
    ),
    tangent=(
        lambda t, ans, start, stop, num=50, endpoint=True: np.linspace(
            t, 0.0 * stop, num, endpoint=endpoint
        ),
        lambda t, ans, start, stop, num=50, endpoint=True: np.linspace(
            0.0 * start, t, num, endpoint=endpoint
        ),
    ),
    # num only passes through (the reverse rules read the length from ans):
    # a runtime num, as in generated code's np.linspace(0.0, 1.0, n), is fine
    static=("endpoint",),
    integers=("num",),
)


def _arange(g, ans, *args, dtype=None):
    return None  # never called: an active argument is an error (rule None)


# np.arange's values depend on start and step; no rule is given, so a
# gradient that depends on them is an error instead of a silent zero.
define(
    np.arange,
    None,
    tangent=REVERSE_ONLY + ": no rule for any argument",
    signature_of=_arange,
)

# constructors: no derivative
for fn in (
    np.zeros,
    np.ones,
    np.empty,
    np.eye,
    np.identity,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
):
    nondifferentiable(fn)
