"""Records of ``np.linalg``'s decompositions and matrix functions: ``svd``,
``eigh``, ``eigvalsh``, ``eig``, ``eigvals``, ``qr``, ``cholesky``,
``slogdet``, ``pinv``, ``matrix_power``, ``lstsq``, ``cond``, ``matrix_rank``
(``inv``, ``solve`` and ``det`` are in :mod:`.linalg`).

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
zero singular value (``svd``'s vectors, ``pinv`` and ``lstsq`` of a
rank-deficient matrix). Eigenvectors and singular
vectors are defined up to sign (and an orthogonal change of basis in the
complement, for ``full_matrices=True``): only a loss that does not depend
on that choice has a derivative, and it is the one given.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from .. import runtime
from ..errors import NoRuleError
from .registry import Primitive, define, lookup, nondifferentiable
from .runtime_helpers import real_like, real_operand
from .symbolic import call

#: The category of the items: each rule of one item calls the others, and
#: these calls are computed once (see :mod:`adcompiler.passes.cse`)
ITEM = ("decomposition",)


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


def _result_class(fn: Any) -> type | None:
    """The NamedTuple class of ``fn``'s results (NumPy 2's ``SVDResult``,
    ...), read from a call on the identity; None for a plain tuple."""
    result = type(fn(np.eye(2)))
    return result if hasattr(result, "_fields") else None


def items_record(
    fn: Any,
    split: Callable[..., list | None],
    count: int,
    static: tuple = (),
    result: type | None = None,
) -> Primitive:
    """The record of ``fn``, a function returning a tuple whose items
    ``split`` names (:attr:`Primitive.split`: calls of ``fn`` are lowered as
    those items; ``result``, the NamedTuple class NumPy returns, if any).
    Its rules, for the ``count`` first arguments, are the sums of the items'
    rules: what the split calls compute, written once."""

    def reverse(k: int) -> Callable:
        def rule(g, ans, *args, **kwargs):
            total = None
            for (item, item_args, item_kwargs), g_item, ans_item in zip(
                split(*args, **kwargs), g, ans
            ):
                rules = lookup(item).vjps
                part = None if rules is None else rules[k]
                if g_item is None or part is None:
                    continue
                part = part(g_item, ans_item, *item_args, **item_kwargs)
                total = part if total is None else total + part
            return total

        return rule

    def tangent(k: int) -> Callable:
        def rule(t, ans, *args, **kwargs):
            return tuple(
                (
                    None
                    if lookup(item).jvps is None or lookup(item).jvps[k] is None
                    else lookup(item).jvps[k](t, ans_item, *item_args, **item_kwargs)
                )
                for (item, item_args, item_kwargs), ans_item in zip(
                    split(*args, **kwargs), ans
                )
            )

        return rule

    signature = inspect.signature(fn)
    parameters = list(signature.parameters)
    prim = define(
        fn,
        *[reverse(k) for k in range(count)],
        *[None] * (len(parameters) - count),
        tangent=[tangent(k) for k in range(count)] + [None] * (len(parameters) - count),
        static=static,
    )
    prim.signature = signature  # the rules take *args: check calls against fn's
    prim.split = split
    prim.split_result = result
    return prim


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


def reduced_svd(a: Any) -> tuple[Any, Any, Any]:
    """``u, s, vh`` of the reduced SVD of each matrix of ``a``, each by its
    item's record (so in a rule, every order of derivative is known)."""
    return svd_u_item(a, False), svd_values_item(a), svd_vh_item(a, False)


def _svd_values_vjp(g, ans, a):
    u, s, vh = reduced_svd(a)
    return (u * _row(g)) @ vh


def _svd_values_jvp(t, ans, a):
    u, s, vh = reduced_svd(a)
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
    u, s, vh = reduced_svd(a)
    g = _reduced_adjoint(g, ans, s, full_matrices)
    ug = _mT(u) @ g
    j = _gaps_inverse(s * s) * ug
    core = (j + _mT(j)) * _row(s)
    return u @ core @ vh + ((g - u @ ug) / _row(s)) @ vh


def _svd_vh_vjp(g, ans, a, full_matrices=True):
    u, s, vh = reduced_svd(a)
    g = _reduced_adjoint(_mT(g), _mT(ans), s, full_matrices)
    v = _mT(vh)
    vg = vh @ g
    k = _gaps_inverse(s * s) * vg
    core = _column(s) * (k + _mT(k))
    return u @ core @ vh + u @ _mT((g - v @ vg) / _row(s))


def _svd_u_jvp(t, ans, a, full_matrices=True):
    u, s, vh = reduced_svd(a)
    tv = t @ _mT(vh)
    ds = _mT(u) @ tv
    inner = _gaps_inverse(s * s) * (ds * _row(s) + _column(s) * _mT(ds))
    du = u @ inner + (tv - u @ ds) / _row(s)
    return _full_tangent(du, ans, s, full_matrices)


def _svd_vh_jvp(t, ans, a, full_matrices=True):
    u, s, vh = reduced_svd(a)
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
    categories=ITEM,
)
svd_u_item = define(
    svd_u,
    _svd_u_vjp,
    None,
    tangent=(_svd_u_jvp, None),
    static=("full_matrices",),
    hint="u",
    categories=ITEM,
)
svd_vh_item = define(
    svd_vh,
    _svd_vh_vjp,
    None,
    tangent=(_svd_vh_jvp, None),
    static=("full_matrices",),
    hint="vh",
    categories=ITEM,
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
    return [
        (svd_u, (a, full_matrices), {}),
        (svd_values, (a,), {}),
        (svd_vh, (a, full_matrices), {}),
    ]


def _values_only(rule):
    def values(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
        _refuse_hermitian("np.linalg.svd", hermitian)
        return rule(g, ans, a)

    return values


svd = define(
    np.linalg.svd,
    _values_only(_svd_values_vjp),
    None,
    None,
    None,
    tangent=(_values_only(_svd_values_jvp), None, None, None),
    static=("full_matrices", "compute_uv", "hermitian"),
)
svd.split, svd.split_result = split_svd, _result_class(np.linalg.svd)


def _values_rule(rule):
    """A rule of ``np.linalg.svdvals`` (NumPy 2), whose parameter is ``x``:
    that of :func:`svd_values`."""
    return lambda g, ans, x: rule(g, ans, x)


if hasattr(np.linalg, "svdvals"):
    define(
        np.linalg.svdvals,
        _values_rule(_svd_values_vjp),
        tangent=(_values_rule(_svd_values_jvp),),
    )


# ---------------------------------------------------------------------------
# eigh, eigvalsh: derivatives of what NumPy computes, which reads one triangle
# of the matrix (the lower for UPLO="L"): the matrix seen is that triangle
# mirrored, and the gradient, as autograd's, lives on that triangle (the
# other entries have none). On a symmetric matrix, a symmetric perturbation
# has the same effect either way.


def eigh_values(a: Any, UPLO: str = "L") -> np.ndarray:
    """The eigenvalues of each symmetric matrix of ``a``, ascending."""
    return np.linalg.eigvalsh(a, UPLO)


def eigh_vectors(a: Any, UPLO: str = "L") -> np.ndarray:
    """The eigenvectors (as columns) of each symmetric matrix of ``a``."""
    return np.linalg.eigh(a, UPLO)[1]


def _mirrored(a: Any, UPLO: str) -> Any:
    """The symmetric matrix ``eigh`` sees: the triangle ``UPLO`` of ``a``, mirrored."""
    if UPLO.upper() == "L":
        return np.tril(a) + _mT(np.tril(a, -1))
    return np.triu(a) + _mT(np.triu(a, 1))


def _mirrored_adjoint(g: Any, UPLO: str) -> Any:
    """The adjoint of :func:`_mirrored`: the triangle read gets both halves."""
    if UPLO.upper() == "L":
        return np.tril(g) + np.tril(_mT(g), -1)
    return np.triu(g) + np.triu(_mT(g), 1)


def _check_uplo(UPLO: Any) -> None:
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise NoRuleError(
            f"np.linalg.eigh with UPLO={UPLO!r} has no derivative rule",
            hint="UPLO='L' or 'U' (as NumPy, either case)",
        )


def _eigh_values_vjp(g, ans, a, UPLO="L"):
    _check_uplo(UPLO)
    v = eigh_vectors_item(a, UPLO)
    return _mirrored_adjoint((v * _row(g)) @ _mT(v), UPLO)


def _eigh_values_jvp(t, ans, a, UPLO="L"):
    _check_uplo(UPLO)
    v = eigh_vectors_item(a, UPLO)
    return np.sum(v * (_mirrored(t, UPLO) @ v), axis=-2)


def _eigh_vectors_vjp(g, ans, a, UPLO="L"):
    _check_uplo(UPLO)
    w = eigh_values_item(a, UPLO)
    inner = _gaps_inverse(w) * (_mT(ans) @ g)
    return _mirrored_adjoint(ans @ inner @ _mT(ans), UPLO)


def _eigh_vectors_jvp(t, ans, a, UPLO="L"):
    _check_uplo(UPLO)
    w = eigh_values_item(a, UPLO)
    return ans @ (_gaps_inverse(w) * (_mT(ans) @ _mirrored(t, UPLO) @ ans))


eigh_values_item = define(
    eigh_values,
    _eigh_values_vjp,
    None,
    tangent=(_eigh_values_jvp, None),
    static=("UPLO",),
    hint="w",
    categories=ITEM,
)
eigh_vectors_item = define(
    eigh_vectors,
    _eigh_vectors_vjp,
    None,
    tangent=(_eigh_vectors_jvp, None),
    static=("UPLO",),
    hint="v",
    categories=ITEM,
)


def split_eigh(a, UPLO="L") -> list:
    """``np.linalg.eigh(a)`` as its two items (eigenvalues, eigenvectors)."""
    return [(eigh_values, (a, UPLO), {}), (eigh_vectors, (a, UPLO), {})]


items_record(
    np.linalg.eigh,
    split_eigh,
    1,
    static=("UPLO",),
    result=_result_class(np.linalg.eigh),
)
define(
    np.linalg.eigvalsh,
    _eigh_values_vjp,
    None,
    tangent=(_eigh_values_jvp, None),
    static=("UPLO",),
)


# ---------------------------------------------------------------------------
# eig, eigvals: distinct eigenvalues, real or complex (autograd's complex
# convention: the eigenvalues are holomorphic in the matrix, and a real
# matrix gets the real part of its adjoint); NumPy's eigenvectors have unit
# norm, so their derivative keeps it: for real eigenvectors only (a complex
# eigenvector's phase is LAPACK's choice, its derivative is refused)

#: what a complex eigenvector's derivative is refused as
_COMPLEX_VECTORS = "the eigenvectors of np.linalg.eig (complex here)"


def eig_values(a: Any) -> np.ndarray:
    """The eigenvalues of each matrix of ``a``, real or complex (from
    ``np.linalg.eig``, as :func:`eig_vectors`: the same order)."""
    return np.linalg.eig(a)[0]


def eig_vectors(a: Any) -> np.ndarray:
    """The unit eigenvectors (as columns) of each matrix of ``a``, in the
    order of :func:`eig_values`."""
    return np.linalg.eig(a)[1]


def _unit_columns(x: Any, v: Any) -> Any:
    """``x`` less, in each column, its component along ``v``'s (the tangent
    of unit vectors ``v``; the map is its own adjoint)."""
    return x - v * _row(np.sum(v * x, axis=-2))


def eig_basis(a: Any) -> np.ndarray:
    """Eigenvectors (as columns) of each matrix of ``a``, in the order of
    :func:`eig_values`, as the eigenvalues' rules read them: through
    expressions that do not change when a column is scaled (``V^-1 .. V``),
    so their derivative may leave each column's scale free (it does:
    ``dV = V (F * (V^-1 dA V))``, whatever NumPy's normalisation and a
    complex vector's phase are)."""
    return np.linalg.eig(a)[1]


def _eig_values_vjp(g, ans, a):
    # dw_i = (V^-1 da V)_ii, holomorphic: the adjoint is V^-T diag(g) V^T
    v = eig_basis_item(a)
    return real_like(_mT(np.linalg.inv(v)) @ (_column(g) * _mT(v)), a)


def _eig_values_jvp(t, ans, a):
    v = eig_basis_item(a)
    return np.sum(_mT(np.linalg.inv(v)) * (t @ v), axis=-2)


def _eig_basis_vjp(g, ans, a):
    inner = _gaps_inverse(eig_values_item(a)) * (_mT(ans) @ g)
    return real_like(_mT(np.linalg.inv(ans)) @ inner @ _mT(ans), a)


def _eig_basis_jvp(t, ans, a):
    return ans @ (_gaps_inverse(eig_values_item(a)) * np.linalg.solve(ans, t @ ans))


def _eig_vectors_vjp(g, ans, a):
    v = real_operand(ans, _COMPLEX_VECTORS)
    w = eig_values_item(a)
    inner = _gaps_inverse(w) * (_mT(v) @ _unit_columns(g, v))
    return _mT(np.linalg.inv(v)) @ inner @ _mT(v)


def _eig_vectors_jvp(t, ans, a):
    v = real_operand(ans, _COMPLEX_VECTORS)
    w = eig_values_item(a)
    inner = _gaps_inverse(w) * (np.linalg.solve(v, t @ v))
    return _unit_columns(v @ inner, v)


eig_values_item = define(
    eig_values, _eig_values_vjp, tangent=(_eig_values_jvp,), hint="w", categories=ITEM
)
eig_basis_item = define(
    eig_basis, _eig_basis_vjp, tangent=(_eig_basis_jvp,), hint="v", categories=ITEM
)
eig_vectors_item = define(
    eig_vectors,
    _eig_vectors_vjp,
    tangent=(_eig_vectors_jvp,),
    hint="v",
    categories=ITEM,
)


def split_eig(a) -> list:
    """``np.linalg.eig(a)`` as its two items (eigenvalues, eigenvectors)."""
    return [(eig_values, (a,), {}), (eig_vectors, (a,), {})]


items_record(np.linalg.eig, split_eig, 1, result=_result_class(np.linalg.eig))
define(
    np.linalg.eigvals,
    lambda g, ans, a: _eig_values_vjp(g, eig_values_item(a), a),
    tangent=(lambda t, ans, a: _eig_values_jvp(t, eig_values_item(a), a),),
)


# ---------------------------------------------------------------------------
# qr: mode "reduced" (Q, R) and "r" (R), any shape. With k = min(m, n),
# a = [x, y] where x holds the first k columns: q, r1 = qr(x) (square r1)
# and r = [r1, q.T y]; for a square or tall matrix, y has no columns.


def qr_q(a: Any) -> np.ndarray:
    """``Q`` of ``np.linalg.qr(a)`` (mode "reduced")."""
    return np.linalg.qr(a)[0]


def qr_r(a: Any) -> np.ndarray:
    """``R`` of ``np.linalg.qr(a)`` (mode "reduced")."""
    return np.linalg.qr(a)[1]


def _qr_parts(a: Any) -> tuple[Any, Any, Any, Any]:
    """q, the inverse of r1, y, and k."""
    q = qr_q_item(a)
    k = np.shape(q)[-1]
    r1 = _columns(qr_r_item(a), k)
    return q, np.linalg.inv(r1), _other_columns(a, k), k


def _qr_vjp(gq: Any, gr: Any, a: Any) -> Any:
    """The adjoint of ``a`` for adjoints ``gq`` of Q and ``gr`` of R (None: none)."""
    q, r1_inv, y, k = _qr_parts(a)
    r1 = _columns(qr_r_item(a), k)
    gq = 0.0 if gq is None else gq
    g_rest = None
    if gr is not None:
        gr, g_rest = _columns(gr, k), _other_columns(gr, k)
        gq = gq + y @ _mT(g_rest)
    m = -(_mT(q) @ gq)
    if gr is not None:
        m = m + gr @ _mT(r1)
    # the adjoint of x in q.T dx r1^-1: the upper triangle of m, mirrored
    core = np.triu(m) + np.tril(_mT(m), -1)
    gx = (gq + q @ core) @ _mT(r1_inv)
    gy = 0.0 * y if g_rest is None else q @ g_rest
    return _place_columns(gx, gy)


def _qr_jvp(t: Any, a: Any) -> tuple[Any, Any]:
    """The tangents of Q and R for the tangent ``t`` of ``a``."""
    q, r1_inv, y, k = _qr_parts(a)
    r1 = _columns(qr_r_item(a), k)
    dx, dy = _columns(t, k), _other_columns(t, k)
    dx_r = dx @ r1_inv
    x = _mT(q) @ dx_r
    lower = np.tril(x, -1)
    omega = lower - _mT(lower)
    dq = q @ (omega - x) + dx_r
    dr1 = (x - omega) @ r1
    return dq, _place_columns(dr1, _mT(dq) @ y + _mT(q) @ dy)


qr_q_item = define(
    qr_q,
    lambda g, ans, a: _qr_vjp(g, None, a),
    tangent=(lambda t, ans, a: _qr_jvp(t, a)[0],),
    hint="q",
    categories=ITEM,
)
qr_r_item = define(
    qr_r,
    lambda g, ans, a: _qr_vjp(None, g, a),
    tangent=(lambda t, ans, a: _qr_jvp(t, a)[1],),
    hint="r",
    categories=ITEM,
)


def _qr_mode(mode: Any) -> None:
    if mode not in ("reduced", "r"):
        raise NoRuleError(
            f"np.linalg.qr with mode={mode!r} has no derivative rule (the extra "
            "columns of 'complete' are not unique)",
            hint="use mode='reduced' (the default) or 'r'",
        )


def split_qr(a, mode="reduced") -> list | None:
    """``np.linalg.qr(a)`` as its two items (Q, R); None for mode "r"
    (R alone, by the record of ``np.linalg.qr`` itself)."""
    _qr_mode(mode)
    return None if mode == "r" else [(qr_q, (a,), {}), (qr_r, (a,), {})]


def _qr_r_only(rule):
    def r_only(g, ans, a, mode="reduced"):
        _qr_mode(mode)
        return rule(g, ans, a)

    return r_only


qr = define(
    np.linalg.qr,
    _qr_r_only(qr_r_item.vjps[0]),
    None,
    tangent=(_qr_r_only(qr_r_item.jvps[0]), None),
    static=("mode",),
)
qr.split, qr.split_result = split_qr, _result_class(np.linalg.qr)


# ---------------------------------------------------------------------------
# cholesky: as autograd and JAX, the gradient with respect to a symmetric
# matrix (symmetric itself; NumPy reads the lower triangle only), and the
# tangent of the symmetric part of a perturbation


def _phi(x: Any) -> Any:
    """The lower triangle of ``x``, its diagonal halved."""
    return np.tril(x) - 0.5 * x * call(np.eye, np.shape(x)[-1])


def _symmetric(x: Any) -> Any:
    return 0.5 * (x + _mT(x))


def _cholesky_vjp(g, ans, a, upper=False):
    low, g = (_mT(ans), _mT(g)) if upper else (ans, g)
    low_inv = np.linalg.inv(low)
    s = _mT(low_inv) @ _phi(_mT(low) @ g) @ low_inv
    return _symmetric(s)


def _cholesky_jvp(t, ans, a, upper=False):
    low = _mT(ans) if upper else ans
    low_inv = np.linalg.inv(low)
    d = low @ _phi(low_inv @ _symmetric(t) @ _mT(low_inv))
    return _mT(d) if upper else d


define(
    np.linalg.cholesky,
    _cholesky_vjp,
    tangent=(_cholesky_jvp,),
    static=("upper",),
)


# ---------------------------------------------------------------------------
# slogdet: the sign carries no derivative; d logabsdet = trace(inv(a) da)


def slogdet_sign(a: Any) -> np.ndarray:
    """The sign of each determinant (``np.linalg.slogdet(a)[0]``)."""
    return np.linalg.slogdet(a)[0]


def slogdet_log(a: Any) -> np.ndarray:
    """log |det| of each matrix (``np.linalg.slogdet(a)[1]``)."""
    return np.linalg.slogdet(a)[1]


nondifferentiable(slogdet_sign, hint="sign", categories=ITEM)
define(
    slogdet_log,
    lambda g, ans, a: np.expand_dims(g, (-2, -1)) * _mT(np.linalg.inv(a)),
    tangent=(lambda t, ans, a: np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1),),
    hint="logabsdet",
    categories=ITEM,
)


def split_slogdet(a) -> list:
    """``np.linalg.slogdet(a)`` as its two items (sign, logabsdet)."""
    return [(slogdet_sign, (a,), {}), (slogdet_log, (a,), {})]


items_record(
    np.linalg.slogdet, split_slogdet, 1, result=_result_class(np.linalg.slogdet)
)


# ---------------------------------------------------------------------------
# pinv of a full-rank matrix (Golub and Pereyra): with p = pinv(a),
# dp = -p da p + p p.T da.T (1 - a p) + (1 - p a) da.T p.T p


def _pinv_vjp(g, ans, a, rcond=None, hermitian=False, *, rtol=None):
    _refuse_hermitian("np.linalg.pinv", hermitian)
    p, pT = ans, _mT(ans)
    gT = _mT(g)
    left = gT @ p @ pT  # (1 - a p) g.T p p.T
    right = pT @ p @ gT  # p.T p g.T (1 - p a)
    return -(pT @ g @ pT) + (left - a @ (p @ left)) + (right - (right @ p) @ a)


def _pinv_jvp(t, ans, a, rcond=None, hermitian=False, *, rtol=None):
    _refuse_hermitian("np.linalg.pinv", hermitian)
    p, pT = ans, _mT(ans)
    tT = _mT(t)
    left = tT - (tT @ a) @ p  # da.T (1 - a p)
    right = tT - p @ (a @ tT)  # (1 - p a) da.T
    return -(p @ t @ p) + p @ (pT @ left) + (right @ pT) @ p


define(
    np.linalg.pinv,
    _pinv_vjp,
    None,
    None,
    tangent=(_pinv_jvp, None, None),
    static=("rcond", "hermitian", "rtol"),
)


# ---------------------------------------------------------------------------
# matrix_power(a, n), n an int known at compile time: d(a^n) is the sum of
# a^k da a^(n-1-k); a negative n is a power of inv(a)


def _power_terms(d: Any, a: Any, n: int, transposed: bool) -> Any:
    """The sum over k of ``a^k d a^(n-1-k)`` (of transposes if ``transposed``)."""
    base = _mT(a) if transposed else a
    total = None
    for k in range(n):
        left = np.linalg.matrix_power(base, k) if k else None
        right = np.linalg.matrix_power(base, n - 1 - k) if n - 1 - k else None
        term = d if left is None else left @ d
        term = term if right is None else term @ right
        total = term if total is None else total + term
    return 0.0 * d if total is None else total


def _check_power(n: Any) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise NoRuleError(
            f"np.linalg.matrix_power with n={n!r} has no derivative rule",
            hint="pass n as an int known at compile time",
        )


def _matrix_power_vjp(g, ans, a, n):
    _check_power(n)
    if n >= 0:
        return _power_terms(g, a, n, True)
    b = np.linalg.inv(a)
    gb = _power_terms(g, b, -n, True)
    return -(_mT(b) @ gb @ _mT(b))


def _matrix_power_jvp(t, ans, a, n):
    _check_power(n)
    if n >= 0:
        return _power_terms(t, a, n, False)
    b = np.linalg.inv(a)
    return _power_terms(-(b @ t @ b), b, -n, False)


define(
    np.linalg.matrix_power,
    _matrix_power_vjp,
    None,
    tangent=(_matrix_power_jvp, None),
    static=("n",),
    integers=("n",),
)


# ---------------------------------------------------------------------------
# lstsq(a, b) of a full-rank a: x = pinv(a) @ b; the residuals
# sum((b - a x) ** 2, axis=0) (no entries unless a is tall and of full
# rank) have d = 2 sum(r (db - da x), axis=0), as a.T r = 0; the rank
# carries no derivative; the singular values are a's.


def lstsq_x(a: Any, b: Any, rcond: Any = None) -> np.ndarray:
    """The least-squares solution (``np.linalg.lstsq(a, b, rcond)[0]``)."""
    return np.linalg.lstsq(a, b, rcond)[0]


def lstsq_residuals(a: Any, b: Any, rcond: Any = None) -> np.ndarray:
    """The sums of squared residuals (``np.linalg.lstsq(a, b, rcond)[1]``)."""
    return np.linalg.lstsq(a, b, rcond)[1]


def lstsq_rank(a: Any, b: Any, rcond: Any = None) -> Any:
    """The rank of ``a`` (``np.linalg.lstsq(a, b, rcond)[2]``)."""
    return np.linalg.lstsq(a, b, rcond)[2]


def lstsq_sv(a: Any, b: Any, rcond: Any = None) -> np.ndarray:
    """The singular values of ``a`` (``np.linalg.lstsq(a, b, rcond)[3]``)."""
    return np.linalg.lstsq(a, b, rcond)[3]


def _columns_of(x: Any, b: Any) -> Any:
    return call(runtime.as_columns, x, b)


def _lstsq_x_a(g, ans, a, b, rcond=None):
    p = np.linalg.pinv(a)
    return _pinv_vjp(_columns_of(g, b) @ _mT(_columns_of(b, b)), p, a)


def _lstsq_x_a_jvp(t, ans, a, b, rcond=None):
    p = np.linalg.pinv(a)
    dx = _pinv_jvp(t, p, a) @ _columns_of(b, b)
    return call(runtime.from_columns, dx, b)


lstsq_x_item = define(
    lstsq_x,
    _lstsq_x_a,
    lambda g, ans, a, b, rcond=None: _mT(np.linalg.pinv(a)) @ g,
    None,
    tangent=(
        _lstsq_x_a_jvp,
        lambda t, ans, a, b, rcond=None: np.linalg.pinv(a) @ t,
        None,
    ),
    static=("rcond",),
    hint="x",
    categories=ITEM,
)


def _residual_parts(ans: Any, a: Any, b: Any, rcond: Any) -> tuple[Any, Any, Any]:
    """The residuals and solution as columns, and the matrix taking one
    value per column to the residuals' entries (none, or one per column)."""
    x = lstsq_x_item(a, b, rcond)
    r = _columns_of(b - a @ x, b)
    entries = call(np.eye, np.shape(ans)[0], np.shape(r)[-1])
    return r, _columns_of(x, b), entries


def _residuals_a(g, ans, a, b, rcond=None):
    r, x, entries = _residual_parts(ans, a, b, rcond)
    return -2.0 * (r * (g @ entries)) @ _mT(x)


def _residuals_b(g, ans, a, b, rcond=None):
    r, x, entries = _residual_parts(ans, a, b, rcond)
    return call(runtime.from_columns, 2.0 * r * (g @ entries), b)


def _residuals_a_jvp(t, ans, a, b, rcond=None):
    r, x, entries = _residual_parts(ans, a, b, rcond)
    return -2.0 * (entries @ np.sum(r * (t @ x), axis=-2))


def _residuals_b_jvp(t, ans, a, b, rcond=None):
    r, x, entries = _residual_parts(ans, a, b, rcond)
    return 2.0 * (entries @ np.sum(r * _columns_of(t, b), axis=-2))


define(
    lstsq_residuals,
    _residuals_a,
    _residuals_b,
    None,
    tangent=(_residuals_a_jvp, _residuals_b_jvp, None),
    static=("rcond",),
    hint="residuals",
    categories=ITEM,
)
nondifferentiable(lstsq_rank, hint="rank", categories=ITEM)
define(
    lstsq_sv,
    lambda g, ans, a, b, rcond=None: _svd_values_vjp(g, ans, a),
    lambda g, ans, a, b, rcond=None: None,
    None,
    tangent=(
        lambda t, ans, a, b, rcond=None: _svd_values_jvp(t, ans, a),
        lambda t, ans, a, b, rcond=None: None,
        None,
    ),
    static=("rcond",),
    hint="sv",
    categories=ITEM,
)


def split_lstsq(a, b, rcond=None) -> list:
    """``np.linalg.lstsq(a, b, rcond)`` as its four items (x, residuals,
    rank, singular values)."""
    items = (lstsq_x, lstsq_residuals, lstsq_rank, lstsq_sv)
    return [(item, (a, b, rcond), {}) for item in items]


items_record(np.linalg.lstsq, split_lstsq, 2, static=("rcond",))


# ---------------------------------------------------------------------------
# cond (p None, 2, -2: a ratio of singular values); matrix_rank, an int


def _cond_weights(x: Any, p: Any) -> Any:
    """``W`` with d cond(x, p) = sum(W * dx) over each matrix: from
    ``ds_i = u_i.T dx v_i`` for the largest and smallest singular values."""
    if p not in (None, 2, -2) or isinstance(p, bool):
        raise NoRuleError(
            f"np.linalg.cond with p={p!r} has no derivative rule",
            hint="use p=None or 2 (or -2), a ratio of singular values; or "
            "write np.linalg.norm(x, p) * np.linalg.norm(np.linalg.inv(x), p)",
        )
    u, s, vh = reduced_svd(x)
    top, bottom = (-1, 0) if p == -2 else (0, -1)

    def direction(i: int) -> Any:  # d s_i = sum(direction(i) * dx)
        return _column(u[..., :, i]) * _row(vh[..., i, :])

    s_top, s_bottom = s[..., top], s[..., bottom]
    to_matrix = (-2, -1)
    return np.expand_dims(1.0 / s_bottom, to_matrix) * direction(top) - np.expand_dims(
        s_top / (s_bottom * s_bottom), to_matrix
    ) * direction(bottom)


define(
    np.linalg.cond,
    lambda g, ans, x, p=None: np.expand_dims(g, (-2, -1)) * _cond_weights(x, p),
    None,
    tangent=(
        lambda t, ans, x, p=None: np.sum(_cond_weights(x, p) * t, axis=(-2, -1)),
        None,
    ),
    static=("p",),
)
nondifferentiable(np.linalg.matrix_rank)
