"""The record of ``np.linalg.norm``: every ``ord`` of vector and matrix
norms, with ``axis`` (an int, a tuple) and ``keepdims``.

Each norm's derivative is written as ``W``, an array of ``x``'s shape with
d norm = sum(W * dx) over the reduced axes: the reverse rule is the
adjoint broadcast back times ``W``, the tangent rule ``sum(t * W)``. ``W``
is made of registered primitives (so its own derivatives are known), but
for the matrix norms of singular values (``ord`` 2, -2, ``'nuc'``), where it
comes from ``np.linalg.svd`` through :func:`singular_directions`: their
gradients and tangents are exact; their second derivatives are
:func:`nuclear_hessian` and :func:`spectral_hessian`, written with the
records of the SVD's items and arithmetic, so the third and higher orders
are those records' derivatives.

Conventions where a norm is not differentiable: at ``x == 0`` every
derivative is 0; the largest (or smallest) element of ``inf`` norms and
column or row sums of matrix 1/inf norms share the adjoint equally when
tied, as ``max`` does; ``sign(0) == 0`` for the 1-norm; a ``p``-norm
with ``p < 1`` has derivative 0 in a zero element. Where singular values
repeat (ord 2) or vanish (``'nuc'``), the derivative given is that of one
choice of singular vectors (a subgradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import NoRuleError
from .reductions import expand
from .registry import define, nondifferentiable
from .decompositions import reduced_svd
from .runtime_helpers import real_operand
from .symbolic import Sym, call


def _ndim(x: Any) -> int | None:
    if isinstance(x, Sym):
        return x.value.ndim
    return np.ndim(x)


def _safe_divide(d: Any, by: Any) -> Any:
    """``d / by``, and 0 where ``by`` is 0 (both branches finite)."""
    zero = by == 0
    return np.where(zero, 0.0, d / np.where(zero, 1.0, by))


#: ords whose norm is piecewise linear, for vectors and matrices alike:
#: their ``W`` is piecewise constant (see :func:`piecewise_weights`)
PIECEWISE = (1, np.inf, -np.inf)


def _kind(x: Any, ord: Any, axis: Any) -> tuple[str, Any]:
    """("vector", axis), ("matrix", (row, column)), ("all", None) or
    ("piecewise", axis): what ``np.linalg.norm(x, ord, axis)`` computes."""
    if isinstance(axis, (tuple, list)) and len(axis) == 1:
        axis = axis[0]
    if ord in PIECEWISE and not isinstance(ord, bool):
        return "piecewise", axis
    if isinstance(axis, int):
        return "vector", axis
    if isinstance(axis, (tuple, list)):
        return "matrix", tuple(axis)
    if ord is None:
        return "all", None
    if ord in ("fro", "nuc"):
        return "matrix", (0, 1)
    if ord not in (-1, 2, -2):
        return "vector", 0  # other ords are vector norms only
    ndim = _ndim(x)
    if ndim == 1:
        return "vector", 0
    if ndim == 2:
        return "matrix", (0, 1)
    raise NoRuleError(
        f"np.linalg.norm with ord={ord!r}, axis=None, of an array whose rank is "
        "unknown at compile time, has no derivative rule (its vector and its "
        "matrix norm differ)",
        hint="pass axis= (0 for a vector norm, (0, 1) for a matrix norm)",
    )


def piecewise_weights(x: Any, ans: Any, ord: Any, axis: Any, keepdims: bool):
    """``W`` of a norm of ``ord`` 1, inf or -inf (vector or matrix, as
    NumPy reads ``x`` and ``axis``): sign(x) times the share of the
    adjoint each element gets (ties share equally). It is piecewise
    constant in ``x``: its derivative is 0 almost everywhere."""
    x = np.asarray(x)
    if axis is None:
        axis = tuple(range(x.ndim))
    axis = (axis,) if np.ndim(axis) == 0 else tuple(int(a) % x.ndim for a in axis)
    best = ans if keepdims else np.expand_dims(ans, axis)
    magnitude = np.abs(x)
    if len(axis) == 1:
        if ord == 1:
            return np.sign(x)
        chosen = magnitude == best
        return chosen / np.sum(chosen, axis=axis, keepdims=True) * np.sign(x)
    row, column = axis
    summed, other = (row, column) if ord == 1 else (column, row)
    sums = np.sum(magnitude, axis=summed, keepdims=True)
    chosen = sums == best
    share = chosen / np.sum(chosen, axis=other, keepdims=True)
    return np.broadcast_to(share, x.shape) * np.sign(x)


nondifferentiable(piecewise_weights, hint="weights")


def _shared(values: Any, best: Any, axis: Any) -> Any:
    """1 / (number of ties) where ``values`` equals ``best`` along ``axis``."""
    chosen = values == best
    return chosen / np.sum(chosen, axis=axis, keepdims=True)


def _vector_weights(x: Any, ans: Any, ord: Any, axis: Any, keepdims: bool) -> Any:
    if ord == 0:
        return None  # a count of nonzero elements: piecewise constant
    magnitude = np.abs(x)
    if ord is None or ord == 2:
        return x * expand(_safe_divide(1.0, ans), x, axis, keepdims)
    if isinstance(ord, str):
        raise NoRuleError(
            f"np.linalg.norm of a vector with ord={ord!r} has no derivative rule",
            hint="vector norms take numbers as ord",
        )
    p = float(ord)
    zero = x == 0
    powered = np.where(
        zero, 0.0, np.sign(x) * np.where(zero, 1.0, magnitude) ** (p - 1)
    )
    return powered * expand(_safe_divide(1.0, ans ** (p - 1)), x, axis, keepdims)


def _matrix_weights(x: Any, ans: Any, ord: Any, axes: tuple, keepdims: bool) -> Any:
    row, column = axes
    if ord is None or ord == "fro":
        return x * expand(_safe_divide(1.0, ans), x, axes, keepdims)
    if ord == -1:
        summed, other = row, column
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        best = expand(ans, x, axes, keepdims)
        return _shared(sums, best, other) * np.sign(x)
    if ord in (2, -2, "nuc"):
        return call(singular_directions, x, ord, axes)
    raise NoRuleError(
        f"np.linalg.norm of a matrix with ord={ord!r} has no derivative rule",
        hint="matrix norms take ord None, 'fro', 'nuc', 1, -1, 2, -2, np.inf, -np.inf",
    )


def singular_directions(x: Any, ord: Any, axes: tuple) -> np.ndarray:
    """The derivative of a matrix norm of singular values of ``x`` over
    ``axes``: ``U @ V.T`` for ``'nuc'`` (their sum), ``u v.T`` of the
    largest (ord 2) or smallest (ord -2) singular value."""
    moved = np.moveaxis(np.asarray(x), axes, (-2, -1))
    u, s, vt = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        w = u @ vt
    else:
        k = 0 if ord == 2 else -1
        w = u[..., :, k, None] * vt[..., None, k, :]
    return np.moveaxis(w, (-2, -1), axes)


def _zero_where_still(out: Any, e: Any) -> Any:
    """``out`` (a stack of matrices, linear in the stack ``e``) with 0 for
    each matrix whose direction ``e`` is 0: linearity says so, and the SVD
    formulas would give ``0 / 0`` there at a degenerate matrix (the zero
    matrix, repeated singular values) that a constant operand can be."""
    still = np.logical_not(np.any(e != 0, axis=(-2, -1)))
    return np.where(np.expand_dims(still, (-2, -1)), 0.0, out)


def _moved(x: Any, e: Any, axes: tuple) -> tuple[Any, Any]:
    """``x`` and the direction ``e`` (broadcast to it) with ``axes`` last."""
    moved = np.moveaxis(x, axes, (-2, -1))
    e = np.moveaxis(np.broadcast_to(e, np.shape(x)), axes, (-2, -1))
    return moved, e


def _reduced_svd(moved: Any) -> tuple[Any, Any, Any, Any, Any]:
    """``u, s, vh`` of the reduced SVD (by the items' records) and ``u.T``, ``v``."""
    u, s, vh = reduced_svd(moved)
    return u, s, vh, np.swapaxes(u, -1, -2), np.swapaxes(vh, -1, -2)


def nuclear_hessian(x: Any, e: Any, axes: tuple) -> Any:
    """The derivative of ``U @ V.T`` (the gradient of the nuclear norm of
    ``x`` over ``axes``) in the direction ``e``: the nuclear norm's Hessian
    applied to ``e``, symmetric (so also its adjoint), linear in ``e``.
    Exact where the singular values are distinct and nonzero; 0 for a
    zero direction (a matrix of the stack whose ``e`` is 0), wherever.

    Written with registered functions only (the SVD by its items' records),
    on arrays or inside a rule: its own derivatives, the norm's third and
    higher, are theirs."""
    moved, e = _moved(x, e, axes)
    u, s, vh, ut, v = _reduced_svd(moved)
    p = ut @ e @ v
    f = 1.0 / (np.expand_dims(s, -1) + np.expand_dims(s, -2))
    inner = u @ (f * (p - np.swapaxes(p, -1, -2))) @ vh
    inverse = 1.0 / s
    # the parts of e outside U's columns (a tall matrix) and outside V's
    # (a wide one): each is 0 when that side is square
    beside_u = e - u @ (ut @ e)
    beside_v = e - (e @ v) @ vh
    inner = inner + ((beside_u @ v) * np.expand_dims(inverse, -2)) @ vh
    inner = inner + u @ (np.expand_dims(inverse, -1) * (ut @ beside_v))
    return np.moveaxis(_zero_where_still(inner, e), (-2, -1), axes)


def spectral_hessian(x: Any, e: Any, ord: Any, axes: tuple) -> Any:
    """The derivative of ``u v.T`` (the gradient of the largest singular
    value of ``x`` over ``axes`` for ord 2, the smallest for -2) in the
    direction ``e``: that singular value's Hessian applied to ``e``,
    symmetric, linear in ``e``. Exact where that singular value is
    distinct from the others and nonzero; 0 for a zero direction (a matrix
    of the stack whose ``e`` is 0), wherever. Made of registered functions,
    as :func:`nuclear_hessian` is."""
    moved, e = _moved(x, e, axes)
    u, s, vh, ut, v = _reduced_svd(moved)
    i = 0 if ord == 2 else -1
    k = np.shape(s)[-1]
    chosen = call(np.arange, k) == (0 if ord == 2 else k - 1)
    p = ut @ e @ v
    s_i = s[..., i, None]
    column = p[..., :, i]  # u_j . e v_i
    row = p[..., i, :]  # u_i . e v_j
    gap = np.where(chosen, 1.0, s_i * s_i - s * s)
    c = np.where(chosen, 0.0, (s_i * column + s * row) / gap)
    d = np.where(chosen, 0.0, (s_i * row + s * column) / gap)
    u_i, v_i = u[..., :, i], v[..., :, i]
    e_v = (e @ v_i[..., None])[..., 0]
    et_u = (np.swapaxes(e, -1, -2) @ u_i[..., None])[..., 0]
    du = (u @ c[..., None])[..., 0]
    du = du + (e_v - (u @ (ut @ e_v[..., None]))[..., 0]) / s_i
    dv = (v @ d[..., None])[..., 0]
    dv = dv + (et_u - (v @ (vh @ et_u[..., None]))[..., 0]) / s_i
    out = du[..., :, None] * v_i[..., None, :] + u_i[..., :, None] * dv[..., None, :]
    return np.moveaxis(_zero_where_still(out, e), (-2, -1), axes)


def _directions_x(G, ans, x, ord, axes):
    if ord == "nuc":
        return nuclear_hessian(x, G, axes)
    return spectral_hessian(x, G, ord, axes)


define(
    singular_directions,
    _directions_x,
    tangent=(_directions_x,),
    static=("ord", "axes"),
    hint="directions",
)


def _weights(x, ans, ord, axis, keepdims):
    kind, axes = _kind(x, ord, axis)
    if kind == "piecewise":
        weights = call(piecewise_weights, x, ans, ord, axes, keepdims)
        return weights, axes
    if kind == "matrix":
        return _matrix_weights(x, ans, ord, axes, keepdims), axes
    if kind == "vector":
        return _vector_weights(x, ans, ord, axes, keepdims), axes
    return x * _safe_divide(1.0, ans), None


def _norm(g, ans, x, ord=None, axis=None, keepdims=False):
    weights, axes = _weights(x, ans, ord, axis, keepdims)
    if weights is None:
        return None
    # the weights are written for reals: complex ones (of a complex x) raise
    weights = real_operand(weights, "np.linalg.norm")
    return expand(g, x, axes, keepdims) * weights


def _norm_tangent(t, ans, x, ord=None, axis=None, keepdims=False):
    weights, axes = _weights(x, ans, ord, axis, keepdims)
    if weights is None:
        return None
    weights = real_operand(weights, "np.linalg.norm")
    return np.sum(t * weights, axis=axes, keepdims=keepdims)


norm = define(
    np.linalg.norm,
    _norm,
    tangent=(_norm_tangent,),
    static=("ord", "axis", "keepdims"),
)
