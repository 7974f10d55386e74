"""Records of the functions of complex numbers that are not holomorphic:
``np.real``, ``np.imag`` (and the ``.real``/``.imag`` attributes),
``np.conj``/``np.conjugate`` (and ``.conj()``), ``np.angle``,
``np.real_if_close``, the builtin ``complex``; and the tests
``np.iscomplex``, ``np.isreal``, ``np.iscomplexobj``, ``np.isrealobj``,
which have no derivative.

The convention is autograd's and JAX's: for a real ``L`` of ``z = x + iy``,
the adjoint of ``z`` is ``dL/dx - i dL/dy`` (the gradient of ``|z|**2`` is
``2 conj(z)``). Under it, the adjoint of a holomorphic ``w = h(z)`` is
``w_bar * h'(z)``, no conjugate: the rules of every holomorphic function
(``exp``, ``log``, products, sums, indexing, ...) are the ones written for
reals. A function of ``z`` and ``conj(z)`` has the adjoint
``w_bar * df/dz + conj(w_bar) * conj(df/dconj(z))``; those are the rules
below (``abs`` and ``sign`` are in :mod:`.elementwise`).

A real value may get a complex adjoint (``x * 1j``): its adjoint is the
real part. Rules do not take it at each op; it is taken where the
gradient of a real argument is made (:func:`adcompiler.runtime.fit_gradient`),
and by every rule of a real-valued function that may have complex
operands (``real``, ``imag``, ``abs``, ``angle``, ``var``): they read only
``np.real(g)``. Tangents are exact: a real value's tangent is real.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .registry import VIEW, define, lookup, nondifferentiable
from .runtime_helpers import real_like


def _safe_divide(d: Any, by: Any) -> Any:
    """``d / by``, and 0 where ``by`` is 0 (both branches finite)."""
    zero = by == 0
    return np.where(zero, 0.0, d / np.where(zero, 1.0, by))


def _squared_abs(z: Any) -> Any:
    """``|z| ** 2``, real, from registered primitives."""
    return np.real(z * np.conj(z))


define(
    np.real,
    lambda g, ans, val: np.real(g),
    tangent=(lambda t, ans, val: np.real(t),),
    memory=VIEW,
    attributes=("real",),
)
# imag(z) = (z - conj(z)) / 2i: the adjoint is -i Re(g)
define(
    np.imag,
    lambda g, ans, val: -1j * np.real(g),
    tangent=(lambda t, ans, val: np.imag(t),),
    memory=VIEW,
    attributes=("imag",),
)
# conj is linear over the reals: the adjoint and the tangent are conjugated
define(
    np.conjugate,
    lambda g, ans, x: np.conj(g),
    tangent=(lambda t, ans, x: np.conj(t),),
    methods=("conj", "conjugate"),
    categories=("elementwise",),
)


def _angle(g: Any, ans: Any, z: Any, deg: bool = False) -> Any:
    # d angle = Im(dz / z): the adjoint is -i Re(g) conj(z) / |z|**2, 0 at 0
    d = _safe_divide(-1j * np.real(g) * np.conj(z), _squared_abs(z))
    return d * (180.0 / np.pi) if deg else d


def _angle_tangent(t: Any, ans: Any, z: Any, deg: bool = False) -> Any:
    d = _safe_divide(np.imag(np.conj(z) * t), _squared_abs(z))
    return d * (180.0 / np.pi) if deg else d


define(np.angle, _angle, tangent=(_angle_tangent,), static=("deg",))

# the real part when NumPy drops the imaginary one, else the identity
define(
    np.real_if_close,
    lambda g, ans, a, tol=100: real_like(g, ans),
    tangent=(lambda t, ans, a, tol=100: real_like(t, ans),),
    memory=VIEW,
    static=("tol",),
)


def _complex_tangent_imag(t: Any, ans: Any, real: Any = 0.0, imag: Any = 0.0) -> Any:
    return lookup(builtins.complex)(0.0, t)


# complex(a, b) = a + 1j b, for real or complex a and b
define(
    builtins.complex,
    lambda g, ans, real=0.0, imag=0.0: g,
    lambda g, ans, real=0.0, imag=0.0: 1j * g,
    tangent=(
        lambda t, ans, real=0.0, imag=0.0: lookup(builtins.complex)(t),
        _complex_tangent_imag,
    ),
    hint="as_complex",
)

for _test in (np.iscomplex, np.isreal):
    nondifferentiable(_test, categories=("elementwise",))
for _test in (np.iscomplexobj, np.isrealobj):
    nondifferentiable(_test, categories=("metadata",))
del _test
