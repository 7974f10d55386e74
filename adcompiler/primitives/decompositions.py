"""Records of ``np.linalg``'s decompositions and matrix functions: ``svd``,
``eigh``, ``eigvalsh``, ``eig``, ``eigvals``, ``qr``, ``cholesky``,
``slogdet``, ``pinv``, ``matrix_power``, ``lstsq`` (``inv``, ``solve`` and
``det`` are in :mod:`.linalg`).

A function returning several arrays (``U, S, Vh = np.linalg.svd(a)``) is
lowered as one primitive per item (:attr:`Primitive.split`): ``svd_u``,
``svd_values`` and ``svd_vh`` below, each a plain NumPy function with its
own reverse and tangent rules. The adjoint of ``a`` is the sum of each
item's, as the derivative is linear in the items' adjoints. Every rule is
written with registered primitives only (the items themselves among them),
so each is differentiable again, to any order.

Every function works on stacks of matrices (the last two axes). Where the
derivative is not defined, the formulas below divide by zero: repeated
eigenvalues (``eigh``, ``eig``) or singular values (``svd``'s vectors), a
zero singular value (``svd``'s vectors of a non-square matrix, ``pinv``
and ``lstsq`` of a rank-deficient matrix). Eigenvectors and singular
vectors are defined up to sign (and an orthogonal change of basis in the
complement, for ``full_matrices=True``): only a loss that does not depend
on that choice has a derivative, and it is the one given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import NoRuleError
from .registry import define, nondifferentiable
from .symbolic import call


def _mT(x: Any) -> Any:
    """``x`` with its last two axes swapped (a stack of transposed matrices)."""
    return np.swapaxes(x, -1, -2)


def _row(s: Any) -> Any:
    """A stack of vectors as rows, to scale the columns of a matrix stack."""
    return np.expand_dims(s, -2)


def _column(s: Any) -> Any:
    """A stack of vectors as columns, to scale the rows of a matrix stack."""
    return np.expand_dims(s, -1)


def _gaps_inverse(w: Any) -> Any:
    """``F[..., i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it."""
    eye = call(np.eye, np.shape(w)[-1])
    return (1.0 - eye) / (_row(w) - _column(w) + eye)


def _columns(x: Any, k: Any) -> Any:
    """The first ``k`` columns of each matrix of ``x`` (sizes known at run
    time: a product with the first columns of the identity)."""
    n = np.shape(x)[-1]
    return x @ call(np.eye, n, k)


def _other_columns(x: Any, k: Any) -> Any:
    """The columns of each matrix of ``x`` after the first ``k``."""
    n = np.shape(x)[-1]
    return x @ call(np.eye, n, n - k, -k)


def _place_columns(first: Any, rest: Any) -> Any:
    """The matrix whose columns are ``first``'s then ``rest``'s: the adjoint
    of :func:`_columns` and :func:`_other_columns` together."""
    k, r = np.shape(first)[-1], np.shape(rest)[-1]
    return first @ call(np.eye, k, k + r) + rest @ call(np.eye, r, k + r, k)


# ---------------------------------------------------------------------------
# svd


def svd_values(a: Any) -> np.ndarray:
    """The singular values of each matrix of ``a``, largest first."""
    return np.linalg.svd(a, compute_uv=False)


def svd_u(a: Any, full_matrices: bool = True) -> np.ndarray:
    """The left singular vectors of each matrix of ``a`` (``U`` of ``np.linalg.svd``)."""
    return np.linalg.svd(a, full_matrices=full_matrices)[0]


def svd_vh(a: Any, full_matrices: bool = True) -> np.ndarray:
    """The right singular vectors, as rows (``Vh`` of ``np.linalg.svd``)."""
    return np.linalg.svd(a, full_matrices=full_matrices)[2]


def _svd_reduced(a: Any) -> tuple[Any, Any, Any]:
    return svd_u_item(a, False), svd_values_item(a), svd_vh_item(a, False)


def _svd_values_vjp(g, ans, a):
    u, s, vh = _svd_reduced(a)
    return (u * _row(g)) @ vh


def _svd_values_jvp(t, ans, a):
    u, s, vh = _svd_reduced(a)
    return np.sum(u * (t @ _mT(vh)), axis=-2)


def _reduced_adjoint(g: Any, ans: Any, s: Any, full_matrices: bool) -> Any:
    """The adjoint of the first ``len(s)`` singular vectors, given the
    adjoint ``g`` of all of them (``ans``). With ``full_matrices``, the
    other columns are taken to turn with the first only (no rotation inside
    their span, the one choice their derivative has): ``d rest = -first
    d(first).T rest``."""
    if not full_matrices:
        return g
    k = np.shape(s)[-1]
    first, rest = _columns(g, k), _other_columns(g, k)
    u, u_rest = _columns(ans, k), _other_columns(ans, k)
    return first - u_rest @ (_mT(rest) @ u)


def _full_tangent(d_first: Any, ans: Any, s: Any, full_matrices: bool) -> Any:
    """The tangent of all singular vectors from that of the first ``len(s)``
    (the convention of :func:`_reduced_adjoint`)."""
    if not full_matrices:
        return d_first
    k = np.shape(s)[-1]
    u, u_rest = _columns(ans, k), _other_columns(ans, k)
    return _place_columns(d_first, -(u @ (_mT(d_first) @ u_rest)))


def _svd_u_vjp(g, ans, a, full_matrices=True):
    u, s, vh = _svd_reduced(a)
    g = _reduced_adjoint(g, ans, s, full_matrices)
    ug = _mT(u) @ g
    j = _gaps_inverse(s * s) * ug
    core = (j + _mT(j)) * _row(s)
    return u @ core @ vh + ((g - u @ ug) / _row(s)) @ vh


def _svd_vh_vjp(g, ans, a, full_matrices=True):
    u, s, vh = _svd_reduced(a)
    g = _reduced_adjoint(_mT(g), _mT(ans), s, full_matrices)
    v = _mT(vh)
    vg = vh @ g
    k = _gaps_inverse(s * s) * vg
    core = _column(s) * (k + _mT(k))
    return u @ core @ vh + u @ _mT((g - v @ vg) / _row(s))


def _svd_u_jvp(t, ans, a, full_matrices=True):
    u, s, vh = _svd_reduced(a)
    tv = t @ _mT(vh)
    ds = _mT(u) @ tv
    inner = _gaps_inverse(s * s) * (ds * _row(s) + _column(s) * _mT(ds))
    du = u @ inner + (tv - u @ ds) / _row(s)
    return _full_tangent(du, ans, s, full_matrices)


def _svd_vh_jvp(t, ans, a, full_matrices=True):
    u, s, vh = _svd_reduced(a)
    v = _mT(vh)
    tu = _mT(t) @ u
    ds = _mT(tu) @ v
    inner = _gaps_inverse(s * s) * (_column(s) * ds + _mT(ds) * _row(s))
    dv = v @ inner + (tu - v @ (vh @ tu)) / _row(s)
    return _mT(_full_tangent(dv, _mT(ans), s, full_matrices))


svd_values_item = define(
    svd_values,
    _svd_values_vjp,
    tangent=(_svd_values_jvp,),
    hint="s",
)
svd_u_item = define(
    svd_u,
    _svd_u_vjp,
    None,
    tangent=(_svd_u_jvp, None),
    static=("full_matrices",),
    hint="u",
)
svd_vh_item = define(
    svd_vh,
    _svd_vh_vjp,
    None,
    tangent=(_svd_vh_jvp, None),
    static=("full_matrices",),
    hint="vh",
)


def _refuse_hermitian(name: str, hermitian: Any) -> None:
    if hermitian is not False:
        raise NoRuleError(
            f"{name} with hermitian=True has no derivative rule (it reads one "
            "triangle of the matrix only)",
            hint="leave hermitian=False, or use np.linalg.eigh",
        )


def split_svd(a, full_matrices=True, compute_uv=True, hermitian=False) -> list | None:
    """``np.linalg.svd(a)`` as its three items (U, S, Vh), one call each;
    None for ``compute_uv=False`` (the singular values, by the record of
    ``np.linalg.svd`` itself)."""
    _refuse_hermitian("np.linalg.svd", hermitian)
    if compute_uv is False:
        return None
    options = {"full_matrices": full_matrices}
    return [(svd_u, (a,), options), (svd_values, (a,), {}), (svd_vh, (a,), options)]


def _values_only(rule):
    def values(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
        _refuse_hermitian("np.linalg.svd", hermitian)
        return rule(g, ans, a)

    return values


define(
    np.linalg.svd,
    _values_only(_svd_values_vjp),
    None,
    None,
    None,
    tangent=(_values_only(_svd_values_jvp), None, None, None),
    static=("full_matrices", "compute_uv", "hermitian"),
).split = split_svd
