"""Records of ``np.fft``: the complex transforms (``fft``, ``ifft``, ``fft2``,
``ifft2``, ``fftn``, ``ifftn``), the real ones (``rfft``, ``irfft``,
``rfft2``, ``irfft2``, ``rfftn``, ``irfftn``) and the shifts (``fftshift``,
``ifftshift``), with ``n``/``s``, ``axis``/``axes`` and every ``norm``.

Complex convention (autograd's): for a real loss ``L`` of ``z = x + iy``,
the adjoint of ``z`` is ``dL/dx - i dL/dy``, and the adjoint of a linear map
is its *transpose* ``J^T`` (not the conjugate transpose). The DFT matrix is
symmetric, so the adjoint of ``fft(x, n, axis, norm)`` is
``fft(g, n, axis, norm)`` zero-padded or truncated back to ``x``'s length
(the transpose of truncating/padding to ``n`` is padding/truncating back);
``ifft`` likewise. A real argument gets the real part of that adjoint.

The real transforms are only real-linear:

- ``rfft(x, n)`` keeps the first ``n // 2 + 1`` rows of the DFT of ``x``
  fitted to ``n``: its transpose pads the adjoint with zeros to ``n``
  before the DFT, then keeps the real part.
- ``irfft(y, n)`` is ``Re(A y)`` with ``A[j, k] = c m_k exp(2 pi i jk/n)``
  (``m_k`` = 1 at 0 and at ``n/2``, 2 elsewhere: the Hermitian half
  spectrum counted once per frequency it stands for). Its transpose is
  ``m * ifft(g)[: n // 2 + 1]`` (:func:`hermitian_fold`) fitted back to
  ``y``'s length.

Every rule is written with ``np.fft`` functions, ``real_like`` (the real
part of a real argument's adjoint) and the helpers below, each registered
with the rule of its transpose, so rules are differentiable
again to any order. The transforms are linear: their tangent is the same
transform of the tangent. ``axis``, ``axes`` and ``norm`` must be
compile-time constants (``n`` and ``s`` may be runtime values such as
``x.shape``, given with ``axes``); repeated ``axes`` are refused.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import NoRuleError
from .registry import define, linear, nondifferentiable
from .runtime_helpers import _only_shape, real_like
from .symbolic import Sym

#: The ``norm=`` values of ``np.fft`` (None is "backward").
NORMS = (None, "backward", "ortho", "forward")


# ---------------------------------------------------------------------------
# Helpers that generated code calls (each registered below with its
# transpose as reverse rule)


def fft_fit(a: Any, shape: Sequence[int]) -> np.ndarray:
    """``a`` truncated or zero-padded (at the end of each axis) to ``shape``,
    which has ``a``'s rank. The transpose of fitting ``a`` of shape ``s0``
    to ``shape`` is fitting back to ``s0``."""
    a = np.asarray(a)
    shape = tuple(int(n) for n in shape)
    if a.shape == shape:
        return a
    out = np.zeros(shape, dtype=np.result_type(a, 0.0))
    common = tuple(slice(0, min(m, n)) for m, n in zip(a.shape, shape))
    out[common] = a[common]
    return out


def _fold_weights(n: int, ndim: int, axis: int) -> np.ndarray:
    """``m_k`` for ``k < n // 2 + 1`` along ``axis`` of a rank-``ndim``
    array: 1 at frequency 0 and (``n`` even) ``n / 2``, 2 elsewhere."""
    k = n // 2 + 1
    weights = np.full(k, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = k
    return weights.reshape(shape)


def hermitian_fold(a: Any, axis: int) -> np.ndarray:
    """The first ``n // 2 + 1`` entries of ``a`` along ``axis`` (of length
    ``n``), each counted once per frequency of the full spectrum it stands
    for (1 at 0 and at ``n / 2``, 2 elsewhere): the transpose of the
    Hermitian extension ``irfft`` makes."""
    a = np.asarray(a)
    n = a.shape[axis]
    index = [slice(None)] * a.ndim
    index[axis] = slice(0, n // 2 + 1)
    return a[tuple(index)] * _fold_weights(n, a.ndim, axis)


def hermitian_unfold(b: Any, shape: Sequence[int], axis: int) -> np.ndarray:
    """The transpose of :func:`hermitian_fold` for an argument of ``shape``:
    ``b`` (``n // 2 + 1`` along ``axis``, ``n = shape[axis]``) weighted and
    zero-padded to ``shape``."""
    b = np.asarray(b)
    shape = tuple(int(n) for n in shape)
    n = shape[axis]
    out = np.zeros(shape, dtype=np.result_type(b, 0.0))
    index = [slice(None)] * b.ndim
    index[axis] = slice(0, n // 2 + 1)
    out[tuple(index)] = b * _fold_weights(n, b.ndim, axis)
    return out


fit = define(
    fft_fit,
    lambda g, ans, a, shape: fit(g, np.shape(a)),
    _only_shape,
    tangent=linear(0),
    hint="fitted",
)
fold = define(
    hermitian_fold,
    lambda g, ans, a, axis: unfold(g, np.shape(a), axis),
    tangent=linear(0),
    static=("axis",),
    hint="folded",
)
unfold = define(
    hermitian_unfold,
    lambda g, ans, b, shape, axis: fold(g, axis),
    _only_shape,
    tangent=linear(0),
    static=("axis",),
    hint="unfolded",
)
# ---------------------------------------------------------------------------
# Checks of the keyword arguments, at compile time


def _check(name: str, norm: Any, axes: Any = None, x: Any = None) -> None:
    """Refuse a ``norm`` NumPy does not know and repeated ``axes``."""
    if norm not in NORMS:
        raise NoRuleError(
            f"np.fft.{name} with norm={norm!r}",
            hint='norm is None, "backward", "ortho" or "forward"',
        )
    if axes is None:
        return
    axes = tuple(axes)
    ndim = x.value.ndim if isinstance(x, Sym) else np.ndim(x)
    if ndim is not None:
        axes = tuple(a % ndim if -ndim <= a < ndim else a for a in axes)
    elif any(a < 0 for a in axes) and any(a >= 0 for a in axes):
        raise NoRuleError(
            f"np.fft.{name} with axes={axes!r} on an array of rank unknown at "
            "compile time: whether two axes are the same is not known",
            hint="write the axes all negative or all non-negative",
        )
    if len(set(axes)) != len(axes):
        raise NoRuleError(
            f"np.fft.{name} with a repeated axis (axes={axes!r}) has no "
            "derivative rule",
            hint="transform each axis once (apply the transform twice instead)",
        )


def _spelled(norm: Any) -> dict:
    """``norm=`` for a call in a rule, left out when it is the default (the
    generated code reads like the user's)."""
    return {} if norm is None else {"norm": norm}


def _axes(name: str, axes: Any, s: Any) -> Any:
    """The axes an n-dimensional transform acts on, as NumPy reads them:
    ``axes``, the last ``len(s)`` axes when only ``s`` is given, or None
    (every axis). A runtime ``s`` (``x.shape``) without ``axes`` is refused:
    how many axes it names is not known at compile time."""
    if axes is not None:
        return tuple(axes)
    if s is None:
        return None
    if isinstance(s, Sym):
        raise NoRuleError(
            f"np.fft.{name} with a runtime `s` and axes=None: which axes are "
            "transformed is known only at run time",
            hint="pass axes too (NumPy 2 deprecates s without axes)",
        )
    return tuple(range(-len(s), 0))


# ---------------------------------------------------------------------------
# Complex transforms: the adjoint is the same transform of g, fitted back


def _one_axis(transform: Any, name: str) -> Any:
    def rule(g, ans, a, n=None, axis=-1, norm=None):
        _check(name, norm)
        out = transform(g, n, axis=axis, **_spelled(norm))
        if n is not None:
            out = fit(out, np.shape(a))
        return real_like(out, a)

    return rule


def _many_axes(transform: Any, name: str, default: Any) -> Any:
    def rule(g, ans, a, s=None, axes=default, norm=None):
        _check(name, norm, axes, a)
        axes = _axes(name, axes, s)
        out = transform(g, s=s, axes=axes, **_spelled(norm))
        if s is not None:
            out = fit(out, np.shape(a))
        return real_like(out, a)

    return rule


# n and s may be runtime values (x.shape, len(x)): the rules pass them on
_STATIC_1 = ("axis", "norm")
_STATIC_N = ("axes", "norm")

for _fn in (np.fft.fft, np.fft.ifft):
    define(_fn, _one_axis(_fn, _fn.__name__), tangent=linear(0), static=_STATIC_1)
for _fn, _default in (
    (np.fft.fft2, (-2, -1)),
    (np.fft.ifft2, (-2, -1)),
    (np.fft.fftn, None),
    (np.fft.ifftn, None),
):
    define(
        _fn,
        _many_axes(_fn, _fn.__name__, _default),
        tangent=linear(0),
        static=_STATIC_N,
    )


# ---------------------------------------------------------------------------
# Real transforms


def _rfft(g, ans, a, n=None, axis=-1, norm=None):
    # the half spectrum's rows of the DFT: pad g with zeros to the full
    # length (n, or a's own), transform, fit back to a, keep the real part
    _check("rfft", norm)
    if n is None:
        out = np.fft.fft(fit(g, np.shape(a)), axis=axis, **_spelled(norm))
    else:
        out = fit(np.fft.fft(g, n, axis=axis, **_spelled(norm)), np.shape(a))
    return real_like(out, a)


def _rfftn_rule(name: str, default: Any) -> Any:
    def rule(g, ans, a, s=None, axes=default, norm=None):
        _check(name, norm, axes, a)
        axes = _axes(name, axes, s)
        if s is None:  # g differs from a only along the last axis (half length)
            out = np.fft.fftn(fit(g, np.shape(a)), axes=axes, **_spelled(norm))
        else:
            out = fit(np.fft.fftn(g, s=s, axes=axes, **_spelled(norm)), np.shape(a))
        return real_like(out, a)

    return rule


def _irfft(g, ans, a, n=None, axis=-1, norm=None):
    # Re(A y): A^T g is the weighted half of ifft(g), fitted back to y
    _check("irfft", norm)
    out = fold(np.fft.ifft(g, axis=axis, **_spelled(norm)), axis)
    if n is not None:
        out = fit(out, np.shape(a))
    return out


def _irfftn_rule(name: str, default: Any) -> Any:
    def rule(g, ans, a, s=None, axes=default, norm=None):
        _check(name, norm, axes, a)
        axes = _axes(name, axes, s)
        last = -1 if axes is None else axes[-1]
        out = fold(np.fft.ifftn(g, axes=axes, **_spelled(norm)), last)
        if s is not None:
            out = fit(out, np.shape(a))
        return out

    return rule


define(np.fft.rfft, _rfft, tangent=linear(0), static=_STATIC_1)
define(np.fft.irfft, _irfft, tangent=linear(0), static=_STATIC_1)
define(
    np.fft.rfft2,
    _rfftn_rule("rfft2", (-2, -1)),
    tangent=linear(0),
    static=_STATIC_N,
)
define(np.fft.rfftn, _rfftn_rule("rfftn", None), tangent=linear(0), static=_STATIC_N)
define(
    np.fft.irfft2,
    _irfftn_rule("irfft2", (-2, -1)),
    tangent=linear(0),
    static=_STATIC_N,
)
define(np.fft.irfftn, _irfftn_rule("irfftn", None), tangent=linear(0), static=_STATIC_N)


# ---------------------------------------------------------------------------
# Shifts: permutations, whose transposes are their inverses

define(
    np.fft.fftshift,
    lambda g, ans, x, axes=None: np.fft.ifftshift(g, axes),
    tangent=linear(0),
    static=("axes",),
)
define(
    np.fft.ifftshift,
    lambda g, ans, x, axes=None: np.fft.fftshift(g, axes),
    tangent=linear(0),
    static=("axes",),
)

# the sample frequencies: constants, whatever their arguments
for _fn in (np.fft.fftfreq, np.fft.rfftfreq):
    nondifferentiable(_fn)
