"""Rules for ``scipy.linalg`` and ``scipy.signal``, through the whole pipeline.

Each case is a small ``def`` whose result is reduced to a scalar as
``np.sum(np.sin(result) * C)`` with ``C`` a fixed random weight of the
result's shape, so that the adjoint reaching the rule is not uniform and
second derivatives exercise the rules' own rules. ``check_grad(...,
order=2)`` compares the gradient with central finite differences, forward
mode with reverse mode, and Hessian-vector products with central
differences of the gradient; :func:`check_jvp` compares ``jvp`` with
central differences of the function. A few functions are also checked
with the dense ``hessian`` against central differences of the gradient,
and each family at third order (``grad(grad(grad(.)))`` against central
differences of the second derivative).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

scipy = pytest.importorskip("scipy")
import scipy.linalg as la  # noqa: E402
import scipy.signal as sg  # noqa: E402

import adcompiler  # noqa: E402
from adcompiler import grad  # noqa: E402
from adcompiler.errors import NoRuleError  # noqa: E402
from adcompiler.primitives.registry import lookup  # noqa: E402
from support.rules import (  # noqa: E402
    case,
    check_hessian,
    check_jvp,
    run,
    weight_for,
)

_RNG = np.random.default_rng(20261203)


def arr(*shape):
    """A fixed random float64 array."""
    return _RNG.normal(size=shape)


def dominant(*shape):
    """Random matrices (a stack of them) with a dominant diagonal: well
    conditioned, eigenvalues near 4 (positive real parts)."""
    n = shape[-1]
    return 0.4 * arr(*shape) + 4.0 * np.eye(n)


def spd(*shape):
    """Symmetric positive definite matrices (a stack of them)."""
    x = arr(*shape)
    return x @ np.swapaxes(x, -1, -2) / shape[-1] + 2.0 * np.eye(shape[-1])


def check_third(body, x, direction, h=1e-4, rtol=1e-5, atol=1e-6):
    """d^3/dt^3 of ``body(x + t direction)`` at 0 (reverse over reverse
    over reverse) against central differences of the second derivative."""

    def along(t, u, w):
        return body(w + t * u)

    d2 = grad(grad(along))
    d3 = grad(d2)(0.0, direction, x)
    numeric = (d2(h, direction, x) - d2(-h, direction, x)) / (2 * h)
    np.testing.assert_allclose(d3, numeric, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# solve_triangular

T3, T23 = dominant(3, 3), dominant(2, 3, 3)
B3, B32, B232 = arr(3), arr(3, 2), arr(2, 3, 2)


def st_upper(a, b, C):
    return np.sum(np.sin(la.solve_triangular(a, b)) * C)


def st_lower(a, b, C):
    return np.sum(np.sin(la.solve_triangular(a, b, lower=True)) * C)


def st_trans(a, b, C):
    return np.sum(np.sin(la.solve_triangular(a, b, trans=1, lower=True)) * C)


def st_trans_t(a, b, C):
    return np.sum(np.sin(la.solve_triangular(a, b, trans="T")) * C)


def st_trans_c(a, b, C):
    return np.sum(np.sin(la.solve_triangular(a, b, 2, True)) * C)


def st_unit(a, b, C):
    x = la.solve_triangular(a, b, lower=True, unit_diagonal=True)
    return np.sum(np.sin(x) * C)


def st_unit_trans(a, b, C):
    x = la.solve_triangular(a, b, trans="T", unit_diagonal=True)
    return np.sum(np.sin(x) * C)


SOLVE_TRIANGULAR = [
    case(st_upper, T3, B3, wrt=(0, 1)),
    case(st_upper, T3, B32, wrt=(0, 1)),
    case(st_lower, T3, B32, wrt=(0, 1)),
    case(st_lower, T3, B3, wrt=(0, 1)),
    case(st_trans, T3, B32, wrt=(0, 1)),
    case(st_trans_t, T3, B3, wrt=(0, 1)),
    case(st_trans_c, T3, B32, wrt=(0, 1)),
    case(st_unit, T3, B32, wrt=(0, 1)),
    case(st_unit_trans, T3, B3, wrt=(0, 1)),
    case(st_lower, T23, B232, wrt=(0, 1)),
    case(st_trans, T23, B232, wrt=(0, 1)),
    # a stack against one right side, and the other way round
    case(st_lower, T23, B32, wrt=(0, 1)),
    case(st_unit_trans, T23, B3, wrt=(0, 1)),
    case(st_upper, T3, B232, wrt=(0, 1)),
]


@pytest.mark.parametrize("f, args, wrt, tol", SOLVE_TRIANGULAR)
def test_solve_triangular(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# cholesky, cho_factor, cho_solve

S3, S4, S23 = spd(3, 3), spd(4, 4), spd(2, 3, 3)
X3 = arr(3, 3)


def chol_upper(a, C):
    return np.sum(np.sin(la.cholesky(a)) * C)


def chol_lower(a, C):
    return np.sum(np.sin(la.cholesky(a, lower=True)) * C)


def chol_of_product(x, C):
    # a symmetric argument: both triangles move together
    a = x @ x.T + 2.0 * np.eye(3)
    return np.sum(np.sin(la.cholesky(a, True)) * C)


def chol_nonsymmetric_weights(x, C):
    # the triangle SciPy does not read has derivative 0
    a = x @ x.T + 2.0 * np.eye(3) + np.tril(x, -1)
    return np.sum(np.sin(la.cholesky(a, lower=False, check_finite=False)) * C)


def cho_factor_matrix_upper(a, C):
    c, lower = la.cho_factor(a)
    return np.sum(np.sin(c) * C)


def cho_factor_matrix_lower(a, C):
    c, lower = la.cho_factor(a, lower=True)
    return np.sum(np.sin(c) * C)


def cho_pair(a, b, C):
    return np.sum(np.sin(la.cho_solve(la.cho_factor(a), b)) * C)


def cho_pair_lower(a, b, C):
    c, low = la.cho_factor(a, lower=True)
    return np.sum(np.sin(la.cho_solve((c, low), b)) * C)


def cho_from_cholesky(a, b, C):
    # the pair written out, with a factor from cholesky
    c = la.cholesky(a, lower=True)
    return np.sum(np.sin(la.cho_solve((c, True), b, check_finite=False)) * C)


def cho_of_product(x, b, C):
    factor = la.cho_factor(x @ x.T + 2.0 * np.eye(3), lower=False)
    return np.sum(np.sin(la.cho_solve(factor, b)) * C)


CHOLESKY = [
    case(chol_upper, S3),
    case(chol_lower, S3),
    case(chol_upper, S4),
    case(chol_lower, S23),
    case(chol_upper, S23),
    case(chol_of_product, X3),
    case(chol_nonsymmetric_weights, X3),
    case(cho_factor_matrix_upper, S3),
    case(cho_factor_matrix_lower, S4),
    case(cho_factor_matrix_lower, S23),
    case(cho_pair, S3, B32, wrt=(0, 1)),
    case(cho_pair, S3, B3, wrt=(0, 1)),
    case(cho_pair_lower, S4, arr(4, 3), wrt=(0, 1)),
    case(cho_pair_lower, S23, B232, wrt=(0, 1)),
    case(cho_pair, S23, B3, wrt=(0, 1)),
    case(cho_pair_lower, S3, B232, wrt=(0, 1)),
    case(cho_from_cholesky, S3, B32, wrt=(0, 1)),
    case(cho_of_product, X3, B3, wrt=(0, 1)),
]


@pytest.mark.parametrize("f, args, wrt, tol", CHOLESKY)
def test_cholesky_family(f, args, wrt, tol):
    run(f, args, wrt, tol)


def test_cho_factor_leaves_the_other_triangle_as_a():
    # the rule's reading of c (a's entries outside the factor's triangle)
    c, lower = la.cho_factor(S4)
    assert not lower
    np.testing.assert_array_equal(np.tril(c, -1), np.tril(S4, -1))


# ---------------------------------------------------------------------------
# expm, sqrtm, solve_sylvester


def expm_(a, C):
    return np.sum(np.sin(la.expm(a)) * C)


def expm_scaled(a, C):
    return np.sum(np.sin(la.expm(0.5 * a @ a)) * C)


def sqrtm_(a, C):
    return np.sum(np.sin(la.sqrtm(a)) * C)


def sqrtm_squared(a, C):
    # sqrtm(a)^2 is a: its derivative is the identity's
    r = la.sqrtm(a)
    return np.sum((r @ r) * C)


def sylvester(a, b, q, C):
    return np.sum(np.sin(la.solve_sylvester(a, b, q)) * C)


MATRIX_FUNCTIONS = [
    case(expm_, arr(1, 1)),
    case(expm_, arr(2, 2)),
    case(expm_, arr(3, 3)),
    case(expm_, 0.5 * arr(2, 3, 3)),
    case(expm_scaled, arr(3, 3)),
    case(sqrtm_, S3),
    case(sqrtm_, dominant(3, 3)),
    case(sqrtm_, spd(2, 3, 3)),
    case(sqrtm_squared, S4),
    case(sylvester, dominant(3, 3), dominant(2, 2), arr(3, 2), wrt=(0, 1, 2)),
    case(sylvester, dominant(3, 3), dominant(3, 3), arr(3, 3), wrt=(0, 1, 2)),
    case(sylvester, dominant(1, 1), dominant(3, 3), arr(1, 3), wrt=(0, 1, 2)),
    case(sylvester, dominant(3, 3), dominant(2, 2, 2), arr(3, 2), wrt=(0, 1, 2)),
]


@pytest.mark.parametrize("f, args, wrt, tol", MATRIX_FUNCTIONS)
def test_matrix_functions(f, args, wrt, tol):
    run(f, args, wrt, tol)


def test_sqrtm_squared_closed_form():
    # sum(sqrtm(a)^2 * C) = sum(a * C): the gradient is C
    C = arr(3, 3)
    np.testing.assert_allclose(grad(sqrtm_squared)(S3, C), C, rtol=1e-9, atol=1e-10)


def test_expm_closed_form_of_a_diagonal_matrix():
    # d/dA sum(expm(A)) at a diagonal A: the divided differences of exp
    d = np.array([0.1, 0.5, -0.3])
    e = np.exp(d)
    diff = np.subtract.outer(d, d)
    expected = np.where(
        np.abs(diff) > 0, np.subtract.outer(e, e) / np.where(diff == 0, 1, diff), e
    )

    def f(a):
        return np.sum(la.expm(a))

    np.testing.assert_allclose(grad(f)(np.diag(d)), expected, rtol=1e-9)


# ---------------------------------------------------------------------------
# block_diag


def bd_two(a, b, C):
    return np.sum(np.sin(la.block_diag(a, b)) * C)


def bd_mixed(a, b, c, C):
    # a vector is a row, a number a 1 x 1 block
    return np.sum(np.sin(la.block_diag(a, 2.0, b, c)) * C)


def bd_one(a, C):
    return np.sum(np.sin(la.block_diag(a)) * C)


def bd_repeated(a, C):
    return np.sum(np.sin(la.block_diag(a, a * a, a.T)) * C)


BLOCK_DIAG = [
    case(bd_two, arr(2, 3), arr(3, 2), wrt=(0, 1)),
    case(bd_mixed, arr(2, 2), arr(3), 0.7, wrt=(0, 1, 2)),
    case(bd_one, arr(3, 2)),
    case(bd_repeated, arr(2, 3)),
]


@pytest.mark.parametrize("f, args, wrt, tol", BLOCK_DIAG)
def test_block_diag(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# scipy.signal: convolve, correlate (n-d)


def conv_(mode, method):
    def f(a, v, C):
        return np.sum(np.sin(sg.convolve(a, v, mode=mode, method=method)) * C)

    f.__name__ = f"convolve_{mode}_{method}"
    return f


def corr_(mode, method):
    def f(a, v, C):
        return np.sum(np.sin(sg.correlate(a, v, mode, method)) * C)

    f.__name__ = f"correlate_{mode}_{method}"
    return f


def conv_default(a, v, C):
    return np.sum(np.sin(sg.convolve(a, v)) * C)


def corr_self(a, C):
    return np.sum(np.sin(sg.correlate(a, a, "same")) * C)


SIGNAL_SHAPES = [
    ((6,), (3,)),
    ((3,), (5,)),
    ((4,), (4,)),
    ((4, 5), (2, 3)),
    ((2, 3), (3, 4)),
    ((3, 2, 4), (2, 2, 2)),
]


def _signal_cases():
    cases = []
    for mode in ("full", "same", "valid"):
        for method in ("auto", "direct", "fft"):
            for s1, s2 in SIGNAL_SHAPES:
                if mode == "valid" and not (
                    all(m >= n for m, n in zip(s1, s2))
                    or all(m <= n for m, n in zip(s1, s2))
                ):
                    continue
                if method == "auto" and len(s1) == 3:
                    continue
                for make in (conv_, corr_):
                    f = make(mode, method)
                    cases.append(
                        pytest.param(
                            f,
                            (arr(*s1), arr(*s2)),
                            (0, 1),
                            {},
                            id=f"{f.__name__}-{s1}-{s2}",
                        )
                    )
    cases.append(case(conv_default, arr(3, 4), arr(2, 2), wrt=(0, 1)))
    cases.append(case(corr_self, arr(5)))
    return cases


@pytest.mark.parametrize("f, args, wrt, tol", _signal_cases())
def test_convolve_correlate(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# scipy.signal: convolve2d, correlate2d


def conv2d_(mode, fillvalue):
    def f(a, v, C):
        out = sg.convolve2d(a, v, mode=mode, boundary="fill", fillvalue=fillvalue)
        return np.sum(np.sin(out) * C)

    f.__name__ = f"convolve2d_{mode}_{fillvalue}"
    return f


def corr2d_(mode, fillvalue):
    def f(a, v, C):
        return np.sum(np.sin(sg.correlate2d(a, v, mode, "fill", fillvalue)) * C)

    f.__name__ = f"correlate2d_{mode}_{fillvalue}"
    return f


def conv2d_fill(a, v, f, C):
    return np.sum(np.sin(sg.convolve2d(a, v, "same", fillvalue=f)) * C)


def corr2d_fill(a, v, f, C):
    return np.sum(np.sin(sg.correlate2d(a, v, fillvalue=f)) * C)


def corr2d_fill_valid(a, v, f, C):
    return np.sum(np.sin(sg.correlate2d(a, v, "valid", fillvalue=f)) * C)


SIGNAL_2D_SHAPES = [
    ((4, 5), (2, 3)),
    ((2, 3), (4, 5)),
    ((5, 4), (3, 3)),
    ((3, 3), (3, 3)),
]


def _signal_2d_cases():
    cases = []
    for mode in ("full", "same", "valid"):
        for fillvalue in (0, 0.4):
            for s1, s2 in SIGNAL_2D_SHAPES:
                for make in (conv2d_, corr2d_):
                    f = make(mode, fillvalue)
                    cases.append(
                        pytest.param(
                            f,
                            (arr(*s1), arr(*s2)),
                            (0, 1),
                            {},
                            id=f"{f.__name__}-{s1}-{s2}",
                        )
                    )
    cases.append(case(conv2d_fill, arr(4, 3), arr(2, 2), 0.3, wrt=(0, 1, 2)))
    cases.append(case(corr2d_fill, arr(3, 4), arr(2, 3), -0.5, wrt=(0, 1, 2)))
    cases.append(case(corr2d_fill_valid, arr(3, 4), arr(2, 3), -0.5, wrt=(0, 1)))
    return cases


@pytest.mark.parametrize("f, args, wrt, tol", _signal_2d_cases())
def test_convolve2d_correlate2d(f, args, wrt, tol):
    run(f, args, wrt, tol)


def test_fillvalue_in_valid_mode_has_zero_derivative():
    def f(a, v, fill):
        return np.sum(sg.convolve2d(a, v, "valid", fillvalue=fill) ** 2)

    assert grad(f, wrt=2)(arr(3, 4), arr(2, 2), 0.5) == 0.0


# ---------------------------------------------------------------------------
# Dense Hessians and third order


def h_expm(x):
    return np.sum(np.sin(la.expm(np.reshape(x, (2, 2)))))


def h_cholesky(x):
    a = np.reshape(x, (2, 2)) + 2.0 * np.eye(2)
    return np.sum(np.sin(la.cholesky(a @ a.T, lower=True)))


def h_convolve(x):
    return np.sum(np.sin(sg.convolve(x, x[::-1], "same")))


def h_correlate2d(x):
    a = np.reshape(x, (2, 3))
    return np.sum(np.sin(sg.correlate2d(a, a * a, "same", fillvalue=0.5)))


@pytest.mark.parametrize(
    "f, size",
    [(h_expm, 4), (h_cholesky, 4), (h_convolve, 5), (h_correlate2d, 6)],
    ids=["expm", "cholesky", "convolve", "correlate2d"],
)
def test_hessian_against_differences_of_the_gradient(f, size):
    check_hessian(f, np.array([0.3, -0.2, 0.5, 0.1, 0.7, -0.4])[:size])


def third_solve_triangular(x):
    a = np.reshape(x[:4], (2, 2)) + 3.0 * np.eye(2)
    return np.sum(np.sin(la.solve_triangular(a, x[4:], trans="T", lower=True)))


def third_cholesky(x):
    a = np.reshape(x[:4], (2, 2)) + 2.0 * np.eye(2)
    return np.sum(np.sin(la.cholesky(a @ a.T)))


def third_cho_solve(x):
    a = np.reshape(x[:4], (2, 2)) + 2.0 * np.eye(2)
    return np.sum(np.sin(la.cho_solve(la.cho_factor(a @ a.T, lower=True), x[4:])))


def third_expm(x):
    return np.sum(np.sin(la.expm(np.reshape(x[:4], (2, 2)))))


def third_sqrtm(x):
    a = np.reshape(x[:4], (2, 2)) + 3.0 * np.eye(2)
    return np.sum(np.sin(la.sqrtm(a)))


def third_sylvester(x):
    a = np.reshape(x[:4], (2, 2)) + 3.0 * np.eye(2)
    return np.sum(np.sin(la.solve_sylvester(a, a.T * a.T, np.reshape(x[2:], (2, 2)))))


def third_block_diag(x):
    return np.sum(np.sin(la.block_diag(x[:2], np.reshape(x[2:], (2, 2)) * x[0])))


def third_convolve(x):
    return np.sum(np.sin(sg.convolve(x, x * x, "valid", method="fft")))


def third_correlate(x):
    return np.sum(np.sin(sg.correlate(x, x[:3], "same")))


def third_convolve2d(x):
    a = np.reshape(x, (2, 3))
    return np.sum(np.sin(sg.convolve2d(a, a[:, :2] * a[:, :2], fillvalue=x[0])))


THIRD = {
    f.__name__: f
    for f in (
        third_solve_triangular,
        third_cholesky,
        third_cho_solve,
        third_expm,
        third_sqrtm,
        third_sylvester,
        third_block_diag,
        third_convolve,
        third_correlate,
        third_convolve2d,
    )
}


@pytest.mark.parametrize("name", sorted(THIRD))
def test_third_order(name):
    x = np.array([0.3, -0.2, 0.5, 0.1, 0.7, -0.4])
    u = np.array([0.7, -0.4, 1.1, 0.5, -0.3, 0.9])
    check_third(THIRD[name], x, u)


# ---------------------------------------------------------------------------
# Refusals and names


def test_other_boundaries_are_refused():
    def f(a, v):
        return np.sum(sg.convolve2d(a, v, boundary="wrap") ** 2)

    with pytest.raises(
        NoRuleError, match=r"scipy\.signal\.convolve2d.*boundary='wrap'"
    ):
        grad(f)(arr(3, 3), arr(2, 2))

    def g(a, v):
        return np.sum(sg.correlate2d(a, v, "same", "symm") ** 2)

    with pytest.raises(NoRuleError, match="symm"):
        grad(g, wrt=1)(arr(3, 3), arr(2, 2))


def test_overwriting_calls_are_refused():
    def f(a, b):
        return np.sum(la.solve_triangular(a, b, overwrite_b=True))

    with pytest.raises(
        NoRuleError, match=r"scipy\.linalg\.solve_triangular.*overwrite_b"
    ):
        grad(f, wrt=1)(T3, B3.copy())

    def g(a):
        return np.sum(la.cholesky(a, overwrite_a=True))

    with pytest.raises(NoRuleError, match="overwrite_a"):
        grad(g)(S3.copy())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_sqrtm_with_an_error_estimate_is_refused():
    def f(a):
        return np.sum(la.sqrtm(a, disp=False)[0])

    with pytest.raises(NoRuleError, match="disp"):
        grad(f)(S3)


def test_cho_solve_of_a_pair_known_only_at_run_time_is_refused():
    def f(a, b, factor):
        return np.sum(la.cho_solve(factor, b) * a)

    with pytest.raises(
        NoRuleError, match=r"scipy\.linalg\.cho_solve.*known only at run time"
    ):
        grad(f, wrt=2)(1.0, B3, la.cho_factor(S3))


def test_errors_name_the_functions_by_their_scipy_names():
    assert lookup(la.expm).name == "scipy.linalg.expm"
    assert lookup(sg.correlate2d).name == "scipy.signal.correlate2d"

    def f(a, v):
        return np.sum(sg.convolve2d(a, v, boundary="wrap"))

    with pytest.raises(adcompiler.ADError, match=r"scipy\.signal\.convolve2d"):
        grad(f)(arr(4, 4), arr(2, 2))


SCIPY_FUNCTIONS = [
    "scipy.linalg.solve_triangular",
    "scipy.linalg.cho_factor",
    "scipy.linalg.cho_solve",
    "scipy.linalg.cholesky",
    "scipy.linalg.expm",
    "scipy.linalg.sqrtm",
    "scipy.linalg.solve_sylvester",
    "scipy.linalg.block_diag",
    "scipy.signal.convolve",
    "scipy.signal.correlate",
    "scipy.signal.convolve2d",
    "scipy.signal.correlate2d",
]


@pytest.mark.parametrize("name", SCIPY_FUNCTIONS)
def test_every_function_has_reverse_and_tangent_rules(name):
    module, attr = name.rsplit(".", 1)
    prim = lookup(getattr({"scipy.linalg": la, "scipy.signal": sg}[module], attr))
    assert prim is not None and prim.name == name
    differentiable = [k for k, rule in enumerate(prim.vjps) if rule is not None]
    assert differentiable and all(prim.jvps[k] is not None for k in differentiable)
    page = open("docs/numpy-coverage.md", encoding="utf-8").read()
    assert f"| `{name}` | yes" in page


@pytest.mark.parametrize("boundary", ["wrap", "symm"])
def test_other_boundaries_have_tangents(boundary):
    # linear in each array whatever the boundary: forward mode holds
    def f(a, v, C):
        return np.sum(np.sin(sg.convolve2d(a, v, "same", boundary)) * C)

    def g(a, v, C):
        return np.sum(np.sin(sg.correlate2d(a, v, "full", boundary)) * C)

    for fn in (f, g):
        a, v = arr(3, 4), arr(2, 3)
        check_jvp(fn, (a, v, weight_for(fn, a, v)), (0, 1))


@pytest.mark.parametrize(
    "module, call",
    [("scipy.linalg", "linalg.expm(x)"), ("scipy.signal", "signal.convolve2d(x, x)")],
)
def test_registered_on_demand(module, call, tmp_path):
    # in a fresh interpreter, the module alone imported: a gradient through
    # one of its functions finds the record
    script = tmp_path / "on_demand.py"
    script.write_text(
        "import numpy as np, adcompiler\n"
        f"from scipy import {module.split('.')[1]}\n"
        "def f(x):\n"
        f"    return np.sum({call})\n"
        "print(np.shape(adcompiler.grad(f)(np.eye(2) * 0.5)))\n"
    )
    # the checkout under test, whichever copy of the package is installed
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert out.stdout.split() == ["(2,", "2)"]
