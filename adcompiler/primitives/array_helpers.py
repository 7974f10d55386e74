"""Run-time helpers of the array rules (:mod:`.arrays`): plain NumPy.

Each is the transpose (adjoint) of a linear array function, or a matrix of
weights a rule needs, computed from shapes and constants at run time.
:mod:`.arrays` registers each one as a primitive whose rules are the other
of its pair (the transpose of the transpose is the function itself), so
generated code that calls them can be differentiated again, to any order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import NoRuleError


def _zeros(shape: Any, like: Any) -> np.ndarray:
    return np.zeros(tuple(int(n) for n in shape), dtype=np.result_type(like, 0.0))


def undiagonal(g: Any, shape: Any, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """Zeros of ``shape`` with ``g`` on the diagonal ``np.diagonal(.,
    offset, axis1, axis2)`` reads: the adjoint of ``np.diagonal``."""
    out = _zeros(shape, g)
    moved = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n1, n2 = moved.shape[-2:]
    if offset >= 0:
        i = np.arange(max(0, min(n1, n2 - offset)))
        j = i + offset
    else:
        j = np.arange(max(0, min(n1 + offset, n2)))
        i = j - offset
    moved[..., i, j] = g
    return out


def diag_adjoint(g: Any, shape: Any, k: int = 0) -> np.ndarray:
    """The adjoint of ``np.diag(v, k)`` for ``v`` of ``shape``: the diagonal
    of ``g`` for a vector ``v``, ``g`` put on the diagonal of zeros for a
    matrix ``v``. Its own adjoint is ``np.diag(., k)`` in both cases."""
    if len(shape) == 1:
        return np.array(np.diag(g, k))
    return undiagonal(g, shape, k, 0, 1)


def _rollaxis_permutation(ndim: int, axis: int, start: int) -> list[int]:
    probe = np.broadcast_to(0.0, tuple(range(2, ndim + 2)))  # no memory
    return [n - 2 for n in np.rollaxis(probe, axis, start).shape]


def rollaxis_back(g: Any, ndim: int, axis: int, start: int = 0) -> np.ndarray:
    """The adjoint of ``np.rollaxis(a, axis, start)`` for ``a`` of rank ``ndim``."""
    perm = _rollaxis_permutation(int(ndim), axis, start)
    return np.transpose(g, np.argsort(perm))


#: pad modes whose result reads elements of the argument (a gather)
PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad_sources(shape: Any, pad_width: Any, mode: str, **kwargs: Any) -> np.ndarray:
    """For each element of the padded array, the flat position of the
    element of the argument it holds (-1: a constant)."""
    positions = np.arange(math.prod(shape)).reshape(shape)
    if mode == "constant":
        return np.pad(positions + 1, pad_width, mode="constant") - 1
    return np.pad(positions, pad_width, mode=mode, **kwargs)


def unpad(g: Any, shape: Any, pad_width: Any, mode: str = "constant", **kwargs):
    """The adjoint of ``np.pad(a, pad_width, mode)`` for ``a`` of ``shape``:
    each element of ``g`` added to the element it was read from."""
    shape = tuple(int(n) for n in shape)
    sources = _pad_sources(shape, pad_width, mode, **kwargs).ravel()
    g = np.broadcast_to(g, sources.shape if np.ndim(g) == 0 else np.shape(g))
    read = sources >= 0
    out = np.zeros(math.prod(shape), dtype=np.result_type(g, 0.0))
    np.add.at(out, sources[read], np.ravel(g)[read])
    return out.reshape(shape)


def repad(G: Any, pad_width: Any, mode: str = "constant", **kwargs: Any):
    """The adjoint of :func:`unpad`: ``np.pad`` with constants 0 (the
    linear part of ``np.pad``)."""
    if mode == "constant":
        return np.pad(G, pad_width, mode="constant")
    return np.pad(G, pad_width, mode=mode, **kwargs)


def _along(indices: np.ndarray, axis: int) -> tuple:
    """The fancy index of ``take_along_axis(., indices, axis)``."""
    ndim = indices.ndim
    index = []
    for d in range(ndim):
        if d == axis:
            index.append(indices)
        else:
            shape = [1] * ndim
            shape[d] = indices.shape[d]
            index.append(np.arange(indices.shape[d]).reshape(shape))
    return tuple(index)


def put_along(g: Any, indices: Any, axis: Any, shape: Any) -> np.ndarray:
    """The adjoint of ``np.take_along_axis(a, indices, axis)`` for ``a`` of
    ``shape``: each element of ``g`` added where it was taken from
    (repeated indices add up; dimensions broadcast are summed)."""
    shape = tuple(int(n) for n in shape)
    indices = np.asarray(indices)
    if axis is None:
        out = np.zeros(math.prod(shape), dtype=np.result_type(g, 0.0))
        np.add.at(out, indices, np.broadcast_to(g, indices.shape))
        return out.reshape(shape)
    axis = axis % indices.ndim
    others = [list(shape), list(indices.shape)]
    for dims in others:
        dims[axis] = 1
    full = list(np.broadcast_shapes(*map(tuple, others)))
    full[axis] = shape[axis]
    out = np.zeros(full, dtype=np.result_type(g, 0.0))
    wide = list(full)
    wide[axis] = indices.shape[axis]
    indices = np.broadcast_to(indices, wide)
    np.add.at(out, _along(indices, axis), np.broadcast_to(g, wide))
    summed = tuple(d for d in range(len(full)) if full[d] != shape[d] and shape[d] == 1)
    return np.sum(out, axis=summed, keepdims=True) if summed else out


def source_positions(a: Any, ans: Any, axis: Any = -1) -> np.ndarray:
    """Indices with ``take_along_axis(a, indices, axis) == ans`` for ``ans``
    a rearrangement of ``a`` along ``axis`` (``np.partition``'s): equal
    values are matched in their order of appearance, so every element of
    ``a`` is used once."""
    if axis is None:
        a, ans, axis = np.ravel(a), np.ravel(ans), 0
    order_a = np.argsort(a, axis=axis, kind="stable")
    order_ans = np.argsort(ans, axis=axis, kind="stable")
    positions = np.empty_like(order_a)
    np.put_along_axis(positions, order_ans, order_a, axis)
    return positions


def _stack_layout(kind: str, shapes: Any) -> tuple[int, list[tuple], list[int]]:
    """The join axis of ``np.<kind>`` (column_stack, dstack, row_stack),
    each piece's shape as joined, and where each starts along the axis."""
    shapes = [tuple(int(n) for n in shape) for shape in shapes]
    joined = []
    for shape in shapes:
        if kind == "column_stack":
            axis = 1
            shape = shape if len(shape) >= 2 else ((shape[0], 1) if shape else (1, 1))
        elif kind == "dstack":
            axis = 2
            shape = np.atleast_3d(np.broadcast_to(0.0, shape)).shape
        else:  # row_stack: vstack
            axis = 0
            shape = shape if len(shape) >= 2 else (1,) + (shape or (1,))
        joined.append(tuple(shape))
    starts = [0]
    for shape in joined:
        starts.append(starts[-1] + shape[axis])
    return axis, joined, starts


def stack_split(g: Any, kind: str, shapes: Any) -> list:
    """The adjoint of ``np.<kind>(pieces)`` for pieces of ``shapes``: each
    piece's part of ``g``, in its shape."""
    axis, joined, starts = _stack_layout(kind, shapes)
    parts = []
    for k, shape in enumerate(shapes):
        index = [slice(None)] * np.ndim(g)
        index[axis] = slice(starts[k], starts[k + 1])
        parts.append(np.reshape(np.asarray(g)[tuple(index)], tuple(shape)))
    return parts


def stack_join(parts: Any, kind: str, shapes: Any) -> np.ndarray:
    """The adjoint of :func:`stack_split`: the parts joined as ``np.<kind>``
    joins them (zeros for a part without adjoint)."""
    if not isinstance(parts, (list, tuple)):
        parts = [0.0] * len(shapes)
    full = [
        np.zeros(tuple(shape)) if np.ndim(part) == 0 and part == 0 else part
        for part, shape in zip(parts, shapes)
    ]
    if kind == "row_stack":
        return np.vstack(full)
    return getattr(np, kind)(full)


def selected(g: Any, condlist: Any, k: int) -> np.ndarray:
    """``g`` where ``np.select(condlist, choices)`` takes choice ``k`` (the
    default for ``k == -1``), zeros elsewhere, in the broadcast shape."""
    n = len(condlist)
    choices = [1.0 if j == k else 0.0 for j in range(n)]
    mask = np.select(list(condlist), choices, 1.0 if k == -1 else 0.0)
    return g * mask


def kron_adjoint(g: Any, other: Any, shape: Any, which: int) -> np.ndarray:
    """The adjoint of factor ``which`` (0: a, 1: b) of ``np.kron(a, b)``,
    that factor of ``shape``, the other factor ``other``."""
    shape = tuple(int(n) for n in shape)
    ndim = max(len(shape), np.ndim(other))
    mine = (1,) * (ndim - len(shape)) + shape
    theirs = (1,) * (ndim - np.ndim(other)) + np.shape(other)
    pairs = (mine, theirs) if which == 0 else (theirs, mine)
    interleaved = [n for pair in zip(*pairs) for n in pair]
    g = np.reshape(g, interleaved)
    other = np.reshape(other, theirs)
    kept = tuple(range(which, 2 * ndim, 2))
    summed = tuple(range(1 - which, 2 * ndim, 2))
    letters = "abcdefghijklmnopqrstuvwxyz"
    g_terms = letters[: 2 * ndim]
    other_terms = "".join(g_terms[d] for d in summed)
    out_terms = "".join(g_terms[d] for d in kept)
    result = np.einsum(f"{g_terms},{other_terms}->{out_terms}", g, other)
    return np.reshape(result, shape)


def _convolution_layout(n_a: int, n_v: int, mode: str) -> tuple[int, int]:
    """The length of ``np.convolve(a, v, mode)`` and where it starts in the
    full convolution."""
    full = n_a + n_v - 1
    if mode == "full":
        return full, 0
    if mode == "same":
        length = max(n_a, n_v)
        return length, (full - length) // 2
    if mode == "valid":
        length = max(n_a, n_v) - min(n_a, n_v) + 1
        return length, min(n_a, n_v) - 1
    raise ValueError(f"mode {mode!r}")


def convolution_tensor(n_a: int, n_v: int, mode: str) -> np.ndarray:
    """``T`` with ``np.convolve(a, v, mode) == einsum("kij,i,j->k", T, a, v)``."""
    length, start = _convolution_layout(int(n_a), int(n_v), mode)
    k = np.arange(length)[:, None, None]
    i = np.arange(int(n_a))[None, :, None]
    j = np.arange(int(n_v))[None, None, :]
    return (i + j == k + start).astype(float)


def gradient_matrix(n: int, spacing: Any = 1.0, edge_order: int = 1) -> np.ndarray:
    """``D`` with ``np.gradient(f, spacing, edge_order=...)`` along an axis
    of length ``n`` equal to ``D @ f`` along that axis."""
    return np.gradient(np.eye(int(n)), spacing, axis=0, edge_order=edge_order)


def along_axis(m: Any, x: Any, axis: int) -> np.ndarray:
    """The matrix ``m`` applied along ``axis`` of ``x``: ``m @ x`` there."""
    moved = np.moveaxis(np.asarray(x), axis, 0)
    return np.moveaxis(np.tensordot(m, moved, axes=1), 0, axis)


def edge_sums(d: Any) -> np.ndarray:
    """``w`` with ``w[0] = d[0]``, ``w[i] = d[i-1] + d[i]``, ``w[-1] =
    d[-1]`` along the last axis: the trapezoid rule's weights, doubled."""
    d = np.asarray(d)
    zero = np.zeros(d.shape[:-1] + (1,), dtype=np.result_type(d, 0.0))
    return np.concatenate([d, zero], axis=-1) + np.concatenate([zero, d], axis=-1)


def _hat_cells(x: Any, xp: Any) -> tuple[np.ndarray, np.ndarray]:
    xp = np.asarray(xp, dtype=float)
    cell = np.searchsorted(xp, x, side="right") - 1
    return xp, cell


def interp_weights(x: Any, xp: Any, slope: int, left: Any = None, right: Any = None):
    """The weight of each ``fp[j]`` in ``np.interp(x, xp, fp, left, right)``
    (``slope`` 0), or in its derivative in ``x`` (``slope`` 1): shape
    ``x.shape + (len(xp),)``. At a knot the slope is that of the segment to
    its right; outside ``[xp[0], xp[-1]]`` it is 0."""
    x = np.asarray(x, dtype=float)
    n = len(xp)
    if slope == 0:
        basis = np.eye(n)
        return np.stack(
            [
                np.interp(
                    x,
                    xp,
                    basis[j],
                    left=None if left is None else 0.0,
                    right=None if right is None else 0.0,
                )
                for j in range(n)
            ],
            axis=-1,
        )
    xp, cell = _hat_cells(x, xp)
    out = np.zeros(x.shape + (n,))
    inside = (cell >= 0) & (cell < n - 1)
    c = np.where(inside, cell, 0)
    width = xp[np.minimum(c + 1, n - 1)] - xp[c]
    step = np.where(inside, 1.0 / np.where(inside & (width != 0), width, 1.0), 0.0)
    np.put_along_axis(out, c[..., None], -step[..., None], axis=-1)
    # c + 1 differs from c wherever step is not 0 (then n >= 2)
    np.put_along_axis(
        out, np.minimum(c + 1, n - 1)[..., None], step[..., None], axis=-1
    )
    return out


def _sinc_series(u: np.ndarray, n: int) -> np.ndarray:
    """The ``n``-th derivative of sin(u)/u from its Taylor series (small u)."""
    total = np.zeros_like(u)
    for m in range(40):
        power = 2 * m
        if power < n:
            continue
        coefficient = (-1) ** m / math.factorial(2 * m + 1)
        falling = math.factorial(power) / math.factorial(power - n)
        total = total + coefficient * falling * u ** (power - n)
    return total


def _sinc_closed(u: np.ndarray, n: int) -> np.ndarray:
    """The ``n``-th derivative of sin(u) * u**-1, by Leibniz's rule."""
    total = np.zeros_like(u)
    for k in range(n + 1):
        sin_part = np.sin(u + (n - k) * np.pi / 2)
        inverse = (-1) ** k * math.factorial(k) * u ** (-k - 1.0)
        total = total + math.comb(n, k) * sin_part * inverse
    return total


def sinc_derivative(x: Any, n: int) -> Any:
    """The ``n``-th derivative of ``np.sinc`` at ``x`` (exact at 0 too; both
    formulas are analytic, so a complex ``x`` is fine)."""
    u = np.pi * np.asarray(x, dtype=np.result_type(x, 0.0))
    small = np.abs(u) < 2.0 + n
    safe = np.where(small, 3.0 + n, u)
    with np.errstate(all="ignore"):
        result = np.where(small, _sinc_series(u, n), _sinc_closed(safe, n))
    result = result * np.pi**n
    return result if np.ndim(x) else result[()].item()


def extension_shape(shape: Any, axis: int) -> tuple:
    """``shape`` with length 1 along ``axis``: how ``np.diff`` broadcasts a
    number given as ``prepend`` or ``append``."""
    shape = [int(n) for n in shape]
    shape[axis] = 1
    return tuple(shape)


def _gradient_axes(ndim: int, axis: Any) -> tuple[tuple[int, ...], bool]:
    """The axes ``np.gradient`` differentiates along, and whether it
    returns one array (else a tuple, one per axis)."""
    if axis is None:
        return tuple(range(ndim)), ndim == 1
    if isinstance(axis, (int, np.integer)):
        return (int(axis) % ndim,), True
    return tuple(int(a) % ndim for a in axis), len(axis) == 1


def gradient_adjoint(g: Any, shape: Any, spacings: Any, axis: Any, edge_order: int):
    """The adjoint of ``np.gradient(f, *spacings, axis=axis,
    edge_order=edge_order)`` for ``f`` of ``shape``: ``g`` is one array, or
    one per axis (0.0 for an axis without adjoint)."""
    shape = tuple(int(n) for n in shape)
    axes, single = _gradient_axes(len(shape), axis)
    parts = (
        [g] if single else list(g) if isinstance(g, (list, tuple)) else [g] * len(axes)
    )
    spacings = list(spacings)
    if len(spacings) <= 1:
        spacings = (spacings or [1.0]) * len(axes)
    total = np.zeros(shape, dtype=np.result_type(0.0, *[np.asarray(p) for p in parts]))
    for part, axis_k, spacing in zip(parts, axes, spacings):
        if np.ndim(part) == 0 and part == 0:
            continue
        m = gradient_matrix(shape[axis_k], spacing, edge_order)
        total = total + along_axis(m.T, np.broadcast_to(part, shape), axis_k)
    return total


def spacings(x: Any, y: Any, axis: int) -> np.ndarray:
    """The steps of ``x`` for ``np.trapezoid(y, x, axis=axis)``, along the
    last axis (``x`` of rank 1, or of ``y``'s rank)."""
    x = np.asarray(x)
    if x.ndim == 1:
        return np.diff(x)
    return np.moveaxis(np.diff(x, axis=axis), axis, -1)


def unspacings(G: Any, x: Any, y: Any, axis: int) -> np.ndarray:
    """The adjoint of :func:`spacings` (``G`` may be broadcast wider)."""
    G = np.asarray(G)
    if np.ndim(x) == 1:
        steps = np.reshape(G, (-1, G.shape[-1])).sum(axis=0)
        return -np.diff(steps, prepend=0.0, append=0.0)
    full = -np.diff(G, axis=-1, prepend=0.0, append=0.0)
    moved = np.moveaxis(full, -1, axis)
    summed = tuple(
        d for d in range(moved.ndim) if np.shape(x)[d] == 1 and moved.shape[d] != 1
    )
    return np.sum(moved, axis=summed, keepdims=True) if summed else moved


def three_vectors(a: Any, b: Any, axisa: int, axisb: int) -> None:
    """Raise :class:`NoRuleError` unless ``np.cross(a, b)`` crosses
    3-vectors (the rules of 2-vectors, deprecated by NumPy, are not given)."""
    if np.shape(a)[axisa] != 3 or np.shape(b)[axisb] != 3:
        raise NoRuleError(
            "np.cross of 2-vectors has no derivative rule (NumPy deprecates them)",
            hint="append a zero third component to each vector",
        )
