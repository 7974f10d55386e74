"""Records of ``scipy.linalg``: ``solve_triangular``, ``cholesky``,
``cho_factor``/``cho_solve``, ``expm``, ``sqrtm``, ``solve_sylvester`` and
``block_diag``.

Registered on demand (:mod:`.scipy_hook`): importing this module imports
SciPy. Every rule is written with calls of registered primitives (these
records themselves, NumPy's), so the rules are differentiated like any
code and second and higher derivatives follow:

- ``solve_triangular``: x = op(T)^-1 b, T the triangle of ``a`` SciPy reads
  (strict, plus the identity, with ``unit_diagonal``); the adjoints are
  triangular solves with the other ``trans``.
- ``cholesky``: the derivative of the factor of the symmetric matrix SciPy
  reads, which is made of one triangle of ``a`` (the lower with
  ``lower=True``): the entries of the other triangle are never read, and
  their derivative is 0 (as central differences see it). The formulas are
  Murray's (2016), with triangular solves.
- ``cho_factor(a, lower)`` returns ``(c, lower)``: its call is split
  (:func:`split_cho_factor`) into the matrix ``c`` (the factor in one
  triangle, ``a``'s own entries in the other, as LAPACK leaves them) and
  the flag, a compile-time constant. ``cho_solve((c, lower), b)`` is
  differentiable in ``c`` (the triangle it reads) and ``b``; ``lower``
  must be known at compile time.
- ``expm``: the Fréchet derivative L(A, E) is the upper-right block of
  ``expm([[A, E], [0, A]])`` (:func:`frechet_expm`, made of registered
  calls, so its own derivative is again a block exponential); the adjoint
  is L(A^T, g).
- ``sqrtm``: X dX + dX X = dA, a Sylvester equation (``solve_sylvester``);
  ``solve_sylvester``: A dX + dX B = dQ - dA X - X dB.
- ``block_diag``: the adjoint of each block is its block of ``g``.

Batched matrices (``(..., n, n)``, as SciPy takes them) work as single
ones: transposes swap the last two axes. Differentiated calls may not
overwrite their arguments (``overwrite_a=True``, ``overwrite_b=True``:
refused with :class:`NoRuleError`), and ``sqrtm(A, disp=False)`` (a
deprecated form returning an error estimate too) is refused likewise.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np
import scipy.linalg

from ..errors import NoRuleError
from .elementwise import ub
from .registry import Primitive, define, nondifferentiable
from .runtime_helpers import as_columns, from_columns
from .symbolic import Sym, call

LINALG = scipy.linalg


def _linalg(attr: str, *reverse: Callable | None, **options: Any) -> Primitive:
    """Register ``scipy.linalg.<attr>`` (see :func:`.registry.define`);
    the primitive, to call in other rules."""
    options.setdefault("hint", attr)
    return define(
        getattr(LINALG, attr),
        *reverse,
        name=f"scipy.linalg.{attr}",
        render=("call", LINALG, (attr,)),
        **options,
    )


def mT(x: Any) -> Any:
    """``x`` with its last two axes swapped (a stack of transposed matrices)."""
    return np.swapaxes(x, -1, -2)


def _known_matrix(*values: Any) -> bool:
    """True when every value is known to be a single matrix (rank 2, see
    :mod:`adcompiler.passes.ranks`): no batch to sum an adjoint over."""
    return all(isinstance(v, Sym) and v.value.ndim == 2 for v in values)


def _fit(d: Any, x: Any, *others: Any) -> Any:
    """The adjoint ``d`` summed back to ``x``'s shape, where a batch of
    ``others`` may have broadcast ``x``."""
    return d if _known_matrix(x, *others) else ub(d, x)


def _no_overwrite(name: str, **flags: Any) -> None:
    """Refuse differentiated calls that may overwrite their arguments."""
    for flag, value in flags.items():
        if value is not False:
            raise NoRuleError(
                f"scipy.linalg.{name}(..., {flag}={value!r}) in differentiated "
                "code: the call may overwrite its argument, which the derivative "
                "reads",
                hint=f"leave {flag} at False",
            )


# ---------------------------------------------------------------------------
# solve_triangular: x = op(T)^-1 b


def _transposed(trans: Any) -> bool:
    """Whether ``trans`` asks for op(T) = T^T (T^H is T^T for real arrays)."""
    if trans in (0, "N"):
        return False
    if trans in (1, 2, "T", "C"):
        return True
    raise NoRuleError(
        f"scipy.linalg.solve_triangular: unknown trans={trans!r}",
        hint="trans is 0, 1, 2, 'N', 'T' or 'C'",
    )


def _triangle(x: Any, lower: bool, unit: bool) -> Any:
    """The part of ``x`` ``solve_triangular`` reads (its diagonal with
    ``unit_diagonal`` is taken as ones, and never read)."""
    if lower:
        return np.tril(x, -1 if unit else 0)
    return np.triu(x, 1 if unit else 0)


def _st_adjoint(g: Any, a: Any, b: Any, trans: Any, lower: bool, unit: bool) -> Any:
    """op(T)^-T g, the adjoint of b before any batch is summed, as columns
    (``g`` as one column when b is a vector: with a stack of ``a``, SciPy
    would read a stack of vectors as one matrix)."""
    other = 0 if _transposed(trans) else 1
    return solve_triangular(
        a, as_columns(g, b), trans=other, lower=lower, unit_diagonal=unit
    )


def _st_b(
    g,
    ans,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    _no_overwrite("solve_triangular", overwrite_b=overwrite_b)
    d_b = _st_adjoint(g, a, b, trans, lower, unit_diagonal)
    return _fit(from_columns(d_b, b), b, a)


def _st_a(
    g,
    ans,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    _no_overwrite("solve_triangular", overwrite_b=overwrite_b)
    d_b = _st_adjoint(g, a, b, trans, lower, unit_diagonal)
    d_op = -(d_b @ mT(as_columns(ans, b)))
    d_t = mT(d_op) if _transposed(trans) else d_op
    return _fit(_triangle(d_t, lower, unit_diagonal), a, b)


def _st_a_tangent(
    t,
    ans,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    d_t = _triangle(t, lower, unit_diagonal)
    d_op = mT(d_t) if _transposed(trans) else d_t
    right = -(d_op @ as_columns(ans, b))
    x = solve_triangular(
        a, right, trans=trans, lower=lower, unit_diagonal=unit_diagonal
    )
    return from_columns(x, b)


def _st_b_tangent(
    t,
    ans,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    return solve_triangular(a, t, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


solve_triangular = _linalg(
    "solve_triangular",
    _st_a,
    _st_b,
    tangent=(_st_a_tangent, _st_b_tangent),
    static=("trans", "lower", "unit_diagonal", "overwrite_b", "check_finite"),
    hint="x",
)

# ---------------------------------------------------------------------------
# cholesky: A = L L^T (lower) or U^T U (upper), A made of one triangle of a


def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    return 0.5 * (np.tril(x) + np.tril(x, -1))


def _lower_solve(L: Any, x: Any, transposed: bool) -> Any:
    return solve_triangular(L, x, trans=1 if transposed else 0, lower=True)


def cholesky_adjoint(g_l: Any, L: Any, lower: bool) -> Any:
    """The adjoint of ``a`` given the adjoint ``g_l`` of its lower factor
    ``L`` (A = L L^T, A the symmetric matrix made of ``a``'s lower triangle
    with ``lower``, of its upper one otherwise): S = L^-T Phi(L^T g_l) L^-1
    has <S, dA> = <g_l, dL>, and each entry of the triangle read stands for
    one or two of A's."""
    p = _phi(mT(L) @ g_l)
    s = mT(_lower_solve(L, mT(_lower_solve(L, p, True)), True))
    if lower:
        return np.tril(s) + np.tril(mT(s), -1)
    return np.triu(s) + np.triu(mT(s), 1)


def cholesky_tangent(t: Any, L: Any, lower: bool) -> Any:
    """The tangent of the lower factor ``L``, for the tangent ``t`` of
    ``a``: dL = L Phi(L^-1 dA L^-T), dA the symmetric matrix made of the
    triangle of ``t`` SciPy reads."""
    if lower:
        d_a = np.tril(t) + mT(np.tril(t, -1))
    else:
        d_a = np.triu(t) + mT(np.triu(t, 1))
    x = mT(_lower_solve(L, mT(_lower_solve(L, d_a, False)), False))
    return L @ _phi(x)


def _cholesky(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    _no_overwrite("cholesky", overwrite_a=overwrite_a)
    if lower:
        return cholesky_adjoint(g, ans, True)
    return cholesky_adjoint(mT(g), mT(ans), False)


def _cholesky_tangent(t, ans, a, lower=False, overwrite_a=False, check_finite=True):
    if lower:
        return cholesky_tangent(t, ans, True)
    return mT(cholesky_tangent(t, mT(ans), False))


cholesky = _linalg(
    "cholesky",
    _cholesky,
    tangent=(_cholesky_tangent,),
    static=("lower", "overwrite_a", "check_finite"),
    hint="factor",
)

# ---------------------------------------------------------------------------
# cho_factor: (c, lower), split into its two results; cho_solve((c, lower), b)


def cho_factor_matrix(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cho_factor(a, lower, ...)[0]``: the factor in one
    triangle, ``a``'s entries in the other (LAPACK leaves them)."""
    return LINALG.cho_factor(
        a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite
    )[0]


def cho_factor_lower(lower=False):
    """``scipy.linalg.cho_factor(a, lower, ...)[1]``: the flag itself."""
    return bool(lower)


def _cho_factor_matrix(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    _no_overwrite("cho_factor", overwrite_a=overwrite_a)
    if lower:
        return cholesky_adjoint(np.tril(g), np.tril(ans), True) + np.triu(g, 1)
    upper = mT(np.triu(g))
    return cholesky_adjoint(upper, mT(np.triu(ans)), False) + np.tril(g, -1)


def _cho_factor_matrix_tangent(
    t, ans, a, lower=False, overwrite_a=False, check_finite=True
):
    if lower:
        return cholesky_tangent(t, np.tril(ans), True) + np.triu(t, 1)
    factor = mT(cholesky_tangent(t, mT(np.triu(ans)), False))
    return factor + np.tril(t, -1)


define(
    cho_factor_matrix,
    _cho_factor_matrix,
    tangent=(_cho_factor_matrix_tangent,),
    static=("lower", "overwrite_a", "check_finite"),
    hint="c",
)
nondifferentiable(cho_factor_lower, hint="lower")


def split_cho_factor(a, lower=False, overwrite_a=False, check_finite=True) -> list:
    """A call of ``cho_factor`` as two calls: the matrix, the flag (a
    constant: ``lower`` is known at compile time)."""
    kwargs = {"lower": lower, "overwrite_a": overwrite_a, "check_finite": check_finite}
    return [(cho_factor_matrix, (a,), kwargs), (cho_factor_lower, (), {"lower": lower})]


def _split_already(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    raise NoRuleError(
        "internal error: scipy.linalg.cho_factor reached its rules without "
        "being split into (c, lower)"
    )


_linalg(
    "cho_factor",
    _split_already,
    tangent=(_split_already,),
    static=("lower", "overwrite_a", "check_finite"),
    container=True,
).split = split_cho_factor


def _pair(c_and_lower: Any) -> tuple[Any, bool]:
    """``(c, lower)`` of ``cho_solve``'s first argument, ``lower`` a constant."""
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise NoRuleError(
            "scipy.linalg.cho_solve needs its first argument as the pair (c, "
            "lower) in differentiated code, not a value known only at run time",
            hint="pass what cho_factor returned in the same function, or write "
            "cho_solve((c, lower), b) with lower a constant",
        )
    c, lower = c_and_lower
    if isinstance(lower, Sym):
        raise NoRuleError(
            "scipy.linalg.cho_solve((c, lower), b): `lower` is known only at "
            "run time, and the rule needs to know which triangle c holds",
            hint="pass lower as a constant (True or False, or cho_factor's own)",
        )
    return c, bool(lower)


def _factor(c: Any, lower: bool) -> Any:
    return np.tril(c) if lower else np.triu(c)


def _cho_solve_adjoint(g: Any, c: Any, lower: bool, b: Any) -> Any:
    """A^-1 g (A symmetric), the adjoint of b before any batch is summed,
    as columns (as :func:`_st_adjoint`)."""
    return cho_solve((c, lower), as_columns(g, b))


def _cho_solve_b(g, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    _no_overwrite("cho_solve", overwrite_b=overwrite_b)
    c, lower = _pair(c_and_lower)
    return _fit(from_columns(_cho_solve_adjoint(g, c, lower, b), b), b, c)


def _cho_solve_c(g, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    # A = L L^T: <d_A, dL L^T + L dL^T> = <(d_A + d_A^T) L, dL>; A = U^T U:
    # <U (d_A + d_A^T), dU>
    _no_overwrite("cho_solve", overwrite_b=overwrite_b)
    c, lower = _pair(c_and_lower)
    d_b = _cho_solve_adjoint(g, c, lower, b)
    d_a = -(d_b @ mT(as_columns(ans, b)))
    both = d_a + mT(d_a)
    if lower:
        d_c = np.tril(both @ np.tril(c))
    else:
        d_c = np.triu(np.triu(c) @ both)
    return (_fit(d_c, c, b), None)


def _cho_solve_c_tangent(t, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    c, lower = _pair(c_and_lower)
    d_factor, factor = _factor(t[0], lower), _factor(c, lower)
    if lower:
        d_a = d_factor @ mT(factor) + factor @ mT(d_factor)
    else:
        d_a = mT(d_factor) @ factor + mT(factor) @ d_factor
    x = cho_solve((c, lower), -(d_a @ as_columns(ans, b)))
    return from_columns(x, b)


def _cho_solve_b_tangent(t, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    c, lower = _pair(c_and_lower)
    return cho_solve((c, lower), t)


cho_solve = _linalg(
    "cho_solve",
    _cho_solve_c,
    _cho_solve_b,
    tangent=(_cho_solve_c_tangent, _cho_solve_b_tangent),
    static=("overwrite_b", "check_finite"),
    hint="x",
)

# ---------------------------------------------------------------------------
# expm, through its Fréchet derivative


def upper_right(shape: tuple) -> tuple:
    """The index of the upper-right ``n x n`` block of a stack of ``2n x
    2n`` matrices (``shape``: a stack of ``n x n`` ones)."""
    n = int(shape[-1])
    return (Ellipsis, slice(0, n), slice(n, 2 * n))


nondifferentiable(upper_right, hint="block")


def frechet_expm(a: Any, e: Any) -> Any:
    """L(A, E), the derivative of ``expm`` at A in the direction E: the
    upper-right block of ``expm([[A, E], [0, A]])``, made of registered
    calls (so that it is differentiated again like any code)."""
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([np.zeros_like(a), a], axis=-1)
    doubled = expm(np.concatenate([top, bottom], axis=-2))
    return doubled[call(upper_right, np.shape(a))]


expm = _linalg(
    "expm",
    lambda g, ans, A: frechet_expm(mT(A), g),
    tangent=(lambda t, ans, A: frechet_expm(A, t),),
    hint="exp_a",
)

# ---------------------------------------------------------------------------
# sqrtm and solve_sylvester

#: sqrtm's defaults for its deprecated keyword arguments
_SQRTM_DEFAULT = inspect.signature(LINALG.sqrtm).parameters["disp"].default


def _sqrtm_form(disp: Any) -> None:
    if disp is not _SQRTM_DEFAULT and disp is not True:
        raise NoRuleError(
            f"scipy.linalg.sqrtm(..., disp={disp!r}) in differentiated code: "
            "it returns an error estimate as well",
            hint="call sqrtm(A) and, if you need it, compute the error apart",
        )


def _sqrtm(g, ans, A, disp=_SQRTM_DEFAULT, blocksize=_SQRTM_DEFAULT):
    # <g, dX> with X dX + dX X = dA: dA's adjoint solves X^T Y + Y X^T = g
    _sqrtm_form(disp)
    return solve_sylvester(mT(ans), mT(ans), g)


def _sqrtm_tangent(t, ans, A, disp=_SQRTM_DEFAULT, blocksize=_SQRTM_DEFAULT):
    _sqrtm_form(disp)
    return solve_sylvester(ans, ans, t)


_linalg(
    "sqrtm",
    _sqrtm,
    tangent=(_sqrtm_tangent,),
    static=("disp", "blocksize"),
    hint="root",
)


def _sylvester_adjoint(g: Any, a: Any, b: Any) -> Any:
    """The adjoint of q, before any batch is summed: it solves
    a^T Y + Y b^T = g."""
    return solve_sylvester(mT(a), mT(b), g)


def _sylvester_a(g, ans, a, b, q):
    return _fit(-(_sylvester_adjoint(g, a, b) @ mT(ans)), a, b, q)


def _sylvester_b(g, ans, a, b, q):
    return _fit(-(mT(ans) @ _sylvester_adjoint(g, a, b)), b, a, q)


def _sylvester_q(g, ans, a, b, q):
    return _fit(_sylvester_adjoint(g, a, b), q, a, b)


solve_sylvester = _linalg(
    "solve_sylvester",
    _sylvester_a,
    _sylvester_b,
    _sylvester_q,
    tangent=(
        lambda t, ans, a, b, q: solve_sylvester(a, b, -(t @ ans)),
        lambda t, ans, a, b, q: solve_sylvester(a, b, -(ans @ t)),
        lambda t, ans, a, b, q: solve_sylvester(a, b, t),
    ),
    hint="x",
)

# ---------------------------------------------------------------------------
# block_diag: linear in all its blocks together


def block_index(shapes: list, k: int) -> tuple:
    """The index of block ``k`` in ``block_diag`` of blocks of ``shapes``
    (a number is a 1 x 1 block, a vector a row)."""
    sizes = [(1, 1) if len(s) == 0 else (1, s[0]) if len(s) == 1 else s for s in shapes]
    row = sum(r for r, _ in sizes[:k])
    column = sum(c for _, c in sizes[:k])
    rows, columns = sizes[k]
    return (slice(row, row + rows), slice(column, column + columns))


nondifferentiable(block_index, hint="block")


def _block_diag(g, ans, *arrs):
    shapes = [np.shape(x) for x in arrs]
    return [
        np.reshape(g[call(block_index, shapes, k)], np.shape(x))
        for k, x in enumerate(arrs)
    ]


_linalg(
    "block_diag",
    _block_diag,
    tangent=(lambda t, ans, *arrs: block_diag(*t),),
    hint="blocks",
)


def block_diag(*arrs: Any) -> Any:
    """``scipy.linalg.block_diag`` as a registered call (inside rules)."""
    return call(LINALG.block_diag, *arrs)
