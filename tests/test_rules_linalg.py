"""Rules of np.linalg (adcompiler/primitives/linalg.py and decompositions.py)
through the whole pipeline, at orders 1, 2 and 3.

Each case is a ``def`` whose result is reduced to a scalar as
``np.sum(np.sin(result) * C)`` with ``C`` a fixed random weight of the
result's shape (see tests/test_rules_arrays_more.py). ``check_grad(...,
order=2)`` compares the gradient with central finite differences, forward
with reverse mode, and Hessian-vector products with central differences of
the gradient; ``check_jvp`` compares ``jvp`` with central differences of the
function. Losses of eigenvectors and singular vectors do not depend on their
signs (products such as ``u @ diag(f(s)) @ vh`` or ``v * v``): only those
have a derivative.
"""

from __future__ import annotations

import numpy as np
import pytest

import adcompiler
from support.rules import weight_for
from adcompiler import check_grad, grad, hessian, jvp
from adcompiler.errors import NoRuleError
from adcompiler.primitives.registry import lookup

_RNG = np.random.default_rng(20261217)


def arr(*shape):
    return _RNG.normal(size=shape)


def spd(*shape):
    """Symmetric positive definite matrices, well conditioned."""
    x = _RNG.normal(size=shape)
    n = shape[-1]
    return x @ np.swapaxes(x, -1, -2) / n + np.eye(n)


def well_conditioned(*shape):
    """Square matrices near the identity (invertible, real distinct
    eigenvalues for eig)."""
    n = shape[-1]
    return np.eye(n) * np.arange(1.0, n + 1) + 0.2 * _RNG.normal(size=shape)


def conditioned(*shape):
    """Matrices of full rank, singular values between 1 and 2."""
    u, s, vh = np.linalg.svd(_RNG.normal(size=shape), full_matrices=False)
    s = np.linspace(1.0, 2.0, s.shape[-1])
    return u @ (s[:, None] * vh)


def numerical_jvp(f, args, tangents, eps=1e-6):
    up = [a + eps * t if t is not None else a for a, t in zip(args, tangents)]
    down = [a - eps * t if t is not None else a for a, t in zip(args, tangents)]
    return (f(*up) - f(*down)) / (2 * eps)


def check_jvp(f, args, wrt, rtol=1e-5, atol=1e-7):
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    rng = np.random.default_rng(7)
    tangents = [
        rng.normal(size=np.shape(a)) if k in indices else np.zeros(np.shape(a))
        for k, a in enumerate(args)
    ]
    value, t_out = jvp(f, tuple(args), tuple(tangents))
    numeric = numerical_jvp(
        f, args, [t if k in indices else None for k, t in enumerate(tangents)]
    )
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t_out, numeric, rtol=rtol, atol=atol)


def run(f, args, wrt, tol):
    C = weight_for(f, *args)
    full = (*args, C)
    check_grad(f, *full, wrt=wrt, order=2, **tol)
    check_jvp(f, full, wrt, **{k: v for k, v in tol.items() if k in ("rtol", "atol")})


def check_hessian(f, x, rtol=1e-5, atol=1e-7, eps=1e-5):
    """The dense Hessian of ``f`` at ``x`` (forward over reverse) against
    central differences of its gradient (reverse over reverse)."""
    h = hessian(f)(x)
    g = grad(f)
    numeric = np.zeros(np.shape(x) * 2)
    for i in np.ndindex(np.shape(x)):
        e = np.zeros(np.shape(x))
        e[i] = eps
        numeric[i] = (g(x + e) - g(x - e)) / (2 * eps)
    np.testing.assert_allclose(h, numeric, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# svd


def svd_reduced(a, C):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.sin(u @ (np.expand_dims(np.sin(s), -1) * vh)) * C)


def svd_values(a, C):
    return np.sum(np.sin(np.linalg.svd(a, compute_uv=False)) * C)


def svdvals(a, C):
    return np.sum(np.sin(np.linalg.svdvals(a)) * C)


def svd_full_left(a, C):
    # the extra columns of u: only their span (a projector) has a derivative
    u, s, vh = np.linalg.svd(a)
    k = s.shape[-1]
    rest = u[..., :, k:]
    first = u[..., :, :k] * np.expand_dims(s * s, -2)
    projector = rest @ np.swapaxes(rest, -1, -2)
    return np.sum(np.sin(projector) * C) + np.sum(np.sin(first @ vh[..., :k, :]))


def svd_full_right(a, C):
    u, s, vh = np.linalg.svd(a, True)
    k = s.shape[-1]
    rest = vh[..., k:, :]
    first = u[..., :, :k] @ vh[..., :k, :]
    return np.sum(np.sin(np.swapaxes(rest, -1, -2) @ rest) * C) + np.sum(np.sin(first))


def svd_vectors_squared(a, C):
    # u * u and vh * vh do not depend on signs
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.sin(u * u) * C) + np.sum(np.cos(vh * vh)) + np.sum(s**3)


SHAPES = {"square": (3, 3), "tall": (5, 3), "wide": (3, 4), "batch": (2, 4, 3)}
SVD_CASES = [
    pytest.param(f, arr(*shape), id=f"{f.__name__}-{name}")
    for f in (
        svd_reduced,
        svd_values,
        svdvals,
        svd_full_left,
        svd_full_right,
        svd_vectors_squared,
    )
    for name, shape in SHAPES.items()
]


@pytest.mark.parametrize("f, a", SVD_CASES)
def test_svd(f, a):
    run(f, (a,), 0, {})


# ---------------------------------------------------------------------------
# eigh, eigvalsh: the derivative of what NumPy computes, which reads one
# triangle; finite differences of any (not only symmetric) perturbation


def eigh_lower(a, C):
    w, v = np.linalg.eigh(a)
    return np.sum(
        np.sin(v @ (np.expand_dims(np.sin(w), -1) * np.swapaxes(v, -1, -2))) * C
    )


def eigh_upper(a, C):
    w, v = np.linalg.eigh(a, UPLO="U")
    return np.sum(np.sin(v * v) * C) + np.sum(w**3)


def eigh_values_only(a, C):
    return np.sum(np.sin(np.linalg.eigh(a)[0]) * C)


def eigvalsh_upper(a, C):
    return np.sum(np.sin(np.linalg.eigvalsh(a, "U")) * C)


def eigh_lowercase_upper(a, C):
    w, v = np.linalg.eigh(a, "u")
    return np.sum(np.sin(v * v) * C) + np.sum(np.sin(w))


EIGH_SHAPES = {"3": (3, 3), "4": (4, 4), "batch": (2, 3, 3)}


@pytest.mark.parametrize(
    "f, a",
    [
        pytest.param(f, arr(*shape), id=f"{f.__name__}-{name}")
        for f in (
            eigh_lower,
            eigh_upper,
            eigh_values_only,
            eigvalsh_upper,
            eigh_lowercase_upper,
        )
        for name, shape in EIGH_SHAPES.items()
    ],
)
def test_eigh(f, a):
    run(f, (a,), 0, {})


def test_eigh_gradient_lives_on_the_triangle_read():
    a = arr(3, 3)
    g = grad(lambda_free_eigh)(a)
    assert np.all(np.triu(g, 1) == 0)


def lambda_free_eigh(a):
    return np.sum(np.linalg.eigvalsh(a) ** 3)


# ---------------------------------------------------------------------------
# eig, eigvals (real distinct eigenvalues)


def eig_both(a, C):
    w, v = np.linalg.eig(a)
    return np.sum(np.sin(v * v) * C) + np.sum(np.sin(w))


def eig_reconstruct(a, C):
    w, v = np.linalg.eig(a)
    return np.sum(np.sin(v @ (np.expand_dims(w * w, -1) * np.linalg.inv(v))) * C)


def eigvals(a, C):
    return np.sum(np.sin(np.linalg.eigvals(a)) * C)


@pytest.mark.parametrize(
    "f, a",
    [
        pytest.param(f, well_conditioned(*shape), id=f"{f.__name__}-{name}")
        for f in (eig_both, eig_reconstruct, eigvals)
        for name, shape in EIGH_SHAPES.items()
    ],
)
def test_eig(f, a):
    run(f, (a,), 0, {})


def complex_spectrum(*shape):
    """Real matrices with complex-conjugate eigenvalue pairs, well apart."""
    n = shape[-1]
    a = np.zeros(shape)
    for i in range(0, n - 1, 2):
        a[..., i : i + 2, i : i + 2] = [[1.0 + i, -2.0], [1.5, 1.0 + i]]
    if n % 2:
        a[..., -1, -1] = 5.0
    # its own generator: the other cases' arrays stay those they were
    return a + 0.1 * np.random.default_rng(n).normal(size=shape)


# losses that do not depend on the order of the eigenvalues (eig's order
# of a conjugate pair is LAPACK's)
def eig_complex_modulus(a):
    return np.sum(np.abs(np.linalg.eigvals(a)) ** 3)


def eig_complex_power(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(w**3)) + np.sum(np.imag(w) ** 2)


def eig_complex_exp(a):
    return np.real(np.sum(np.exp(0.3 * np.linalg.eig(a)[0])))


@pytest.mark.parametrize(
    "f, a",
    [
        pytest.param(f, complex_spectrum(*shape), id=f"{f.__name__}-{shape}")
        for f in (eig_complex_modulus, eig_complex_power, eig_complex_exp)
        for shape in ((2, 2), (4, 4), (3, 3), (2, 3, 3))
    ],
)
def test_eig_of_complex_eigenvalues(f, a):
    # holomorphic in the matrix: orders 1 and 2 against central differences
    assert np.iscomplexobj(np.linalg.eigvals(a))
    check_grad(f, a, order=2)
    check_jvp(f, (a,), 0)


def test_eig_of_complex_eigenvalues_third_order():
    a = complex_spectrum(2, 2)
    d = np.array([[0.3, -0.2], [0.5, 0.1]])

    def along(t):
        return eig_complex_power(a + t * d)

    third = grad(grad(grad(along)))(0.0)
    second = grad(grad(along))
    eps = 1e-4
    assert third == pytest.approx((second(eps) - second(-eps)) / (2 * eps), rel=1e-5)


def test_complex_eigenvectors_are_refused():
    def f(a):
        w, v = np.linalg.eig(a)
        return np.sum(np.abs(v))

    with pytest.raises(NoRuleError, match="eigenvectors of np.linalg.eig"):
        grad(f)(complex_spectrum(2, 2))


# ---------------------------------------------------------------------------
# qr


def qr_both(a, C):
    q, r = np.linalg.qr(a)
    return np.sum(np.sin(q) * C) + np.sum(np.sin(r))


def qr_r_mode(a, C):
    return np.sum(np.sin(np.linalg.qr(a, mode="r")) * C)


def qr_q_only(a, C):
    return np.sum(np.sin(np.linalg.qr(a)[0]) * C)


@pytest.mark.parametrize(
    "f, a",
    [
        pytest.param(f, arr(*shape), id=f"{f.__name__}-{name}")
        for f in (qr_both, qr_r_mode, qr_q_only)
        for name, shape in SHAPES.items()
    ],
)
def test_qr(f, a):
    run(f, (a,), 0, {})


def test_qr_complete_is_refused():
    def f(a):
        q, r = np.linalg.qr(a, mode="complete")
        return np.sum(q)

    with pytest.raises(NoRuleError, match="complete"):
        grad(f)(arr(4, 3))


# ---------------------------------------------------------------------------
# cholesky: the gradient with respect to a symmetric matrix, checked through
# a symmetric function of the argument


def cholesky_lower(x, C):
    a = x @ np.swapaxes(x, -1, -2) + np.eye(x.shape[-1])
    return np.sum(np.sin(np.linalg.cholesky(a)) * C)


def cholesky_upper(x, C):
    a = x @ np.swapaxes(x, -1, -2) + np.eye(x.shape[-1])
    return np.sum(np.sin(np.linalg.cholesky(a, upper=True)) * C)


def cholesky_symmetrized(x, C):
    a = 0.5 * (x + np.swapaxes(x, -1, -2))
    return np.sum(np.sin(np.linalg.cholesky(a)) * C)


@pytest.mark.parametrize(
    "f, x",
    [
        pytest.param(cholesky_lower, arr(3, 3), id="lower"),
        pytest.param(cholesky_lower, arr(2, 4, 4), id="lower-batch"),
        pytest.param(cholesky_upper, arr(3, 3), id="upper"),
        pytest.param(cholesky_upper, arr(2, 3, 3), id="upper-batch"),
        pytest.param(cholesky_symmetrized, spd(4, 4), id="symmetrized"),
    ],
)
def test_cholesky(f, x):
    run(f, (x,), 0, {})


def test_cholesky_gradient_is_symmetric():
    a = spd(4, 4)
    g = grad(lambda_free_cholesky)(a)
    np.testing.assert_allclose(g, g.T, atol=1e-14)


def lambda_free_cholesky(a):
    return np.sum(np.sin(np.linalg.cholesky(a)))


# ---------------------------------------------------------------------------
# slogdet, det (at singular matrices too), inv and solve batched


def slogdet_log(a, C):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(np.sin(logdet * sign) * C)


def slogdet_indexed(a, C):
    return np.sum(np.sin(np.linalg.slogdet(a)[1]) * C)


def det(a, C):
    return np.sum(np.sin(np.linalg.det(a)) * C)


def inv(a, C):
    return np.sum(np.sin(np.linalg.inv(a)) * C)


def solve(a, b, C):
    return np.sum(np.sin(np.linalg.solve(a, b)) * C)


@pytest.mark.parametrize(
    "f, a",
    [
        pytest.param(f, well_conditioned(*shape), id=f"{f.__name__}-{name}")
        for f in (slogdet_log, slogdet_indexed, det, inv)
        for name, shape in {
            "2": (2, 2),
            "4": (4, 4),
            "batch": (3, 3, 3),
            "batch2": (2, 2, 3, 3),
        }.items()
    ],
)
def test_determinants_and_inverse(f, a):
    run(f, (a,), 0, {})


def rank_deficient(n, rank, *batch):
    x = _RNG.normal(size=batch + (n, rank))
    y = _RNG.normal(size=batch + (rank, n))
    return x @ y


@pytest.mark.parametrize(
    "a",
    [
        pytest.param(rank_deficient(3, 2), id="3-rank2"),
        pytest.param(rank_deficient(4, 3), id="4-rank3"),
        pytest.param(rank_deficient(4, 2), id="4-rank2"),
        pytest.param(rank_deficient(5, 3), id="5-rank3"),
        pytest.param(rank_deficient(3, 1, 2), id="batch-rank1"),
        pytest.param(np.zeros((3, 3)), id="zero"),
    ],
)
def test_det_at_singular_matrices(a):
    run(det, (a,), 0, {})


def test_det_gradient_at_rank_n_minus_1_is_the_adjugate_transpose():
    a = rank_deficient(4, 3)
    g = grad(lambda_free_det)(a)
    minors = np.array(
        [
            [
                (-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                for j in range(4)
            ]
            for i in range(4)
        ]
    )
    np.testing.assert_allclose(g, minors, atol=1e-12)
    assert np.abs(g).max() > 1e-3  # finite and not zero


def lambda_free_det(a):
    return np.linalg.det(a)


@pytest.mark.parametrize(
    "a, b",
    [
        pytest.param(well_conditioned(3, 3), arr(3), id="vector"),
        pytest.param(well_conditioned(3, 3), arr(3, 2), id="matrix"),
        pytest.param(well_conditioned(2, 3, 3), arr(2, 3, 2), id="stack-stack"),
        pytest.param(well_conditioned(2, 3, 3), arr(3), id="stack-vector"),
        pytest.param(well_conditioned(2, 3, 3), arr(3, 4), id="stack-matrix"),
        pytest.param(well_conditioned(3, 3), arr(2, 3, 4), id="matrix-stack"),
        pytest.param(well_conditioned(4, 1, 3, 3), arr(2, 3, 1), id="broadcast"),
    ],
)
def test_solve_batched(a, b):
    run(solve, (a, b), (0, 1), {})


# ---------------------------------------------------------------------------
# pinv, matrix_power, lstsq


def pinv(a, C):
    return np.sum(np.sin(np.linalg.pinv(a)) * C)


def pinv_rcond(a, C):
    return np.sum(np.sin(np.linalg.pinv(a, rcond=1e-10)) * C)


@pytest.mark.parametrize(
    "f, a",
    [
        pytest.param(f, conditioned(*shape), id=f"{f.__name__}-{name}")
        for f in (pinv, pinv_rcond)
        for name, shape in SHAPES.items()
    ],
)
def test_pinv(f, a):
    run(f, (a,), 0, {})


def _power(n):
    def f(a, C):
        return np.sum(np.sin(np.linalg.matrix_power(a, n)) * C)

    f.__name__ = f"matrix_power_{n}".replace("-", "minus")
    return f


@pytest.mark.parametrize("n", [0, 1, 2, 3, -1, -2])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=["matrix", "batch"])
def test_matrix_power(n, shape):
    run(_power(n), (well_conditioned(*shape) / 2,), 0, {})


def lstsq_x(a, b, C):
    x, residuals, rank, sv = np.linalg.lstsq(a, b)
    return np.sum(np.sin(x) * C)


def lstsq_all(a, b, C):
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(np.sin(x) * C) + np.sum(np.sin(residuals)) + np.sum(sv**2) * rank


@pytest.mark.parametrize("f", [lstsq_x, lstsq_all])
@pytest.mark.parametrize(
    "a, b",
    [
        pytest.param(conditioned(5, 3), arr(5), id="tall-vector"),
        pytest.param(conditioned(5, 3), arr(5, 2), id="tall-matrix"),
        pytest.param(conditioned(3, 3), arr(3, 2), id="square"),
        pytest.param(conditioned(2, 4), arr(2), id="wide-vector"),
        pytest.param(conditioned(2, 4), arr(2, 3), id="wide-matrix"),
    ],
)
def test_lstsq(f, a, b):
    run(f, (a, b), (0, 1), {})


# ---------------------------------------------------------------------------
# Third order: d^3/dt^3 of body(t * u + w) against central differences of
# the second derivative (reverse over reverse over reverse), extrapolated

SQUARE_U = 0.3 * arr(3, 3)
SQUARE_W = well_conditioned(3, 3)
TALL_U, TALL_W = 0.3 * arr(4, 3), conditioned(4, 3)


def third_svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(np.sin(u @ (np.sin(s)[:, None] * vh)))


def third_svd_values(x):
    return np.sum(np.sin(np.linalg.svd(x, compute_uv=False)))


def third_eigh(x):
    w, v = np.linalg.eigh(x)
    return np.sum(np.sin(v * v)) + np.sum(np.sin(w))


def third_eig(x):
    w, v = np.linalg.eig(x)
    return np.sum(np.sin(v * v)) + np.sum(np.sin(w))


def third_qr(x):
    q, r = np.linalg.qr(x)
    return np.sum(np.sin(q)) + np.sum(np.sin(r))


def third_cholesky(x):
    return np.sum(np.sin(np.linalg.cholesky(x @ x.T + np.eye(x.shape[0]))))


def third_slogdet(x):
    return np.sin(np.linalg.slogdet(x)[1])


def third_det(x):
    return np.sin(np.linalg.det(x))


def third_inv(x):
    return np.sum(np.sin(np.linalg.inv(x)))


def third_solve(x):
    return np.sum(np.sin(np.linalg.solve(x, x[:, 0] + 1.0)))


def third_pinv(x):
    return np.sum(np.sin(np.linalg.pinv(x)))


def third_matrix_power(x):
    return np.sum(np.sin(np.linalg.matrix_power(x, 3))) + np.sum(
        np.sin(np.linalg.matrix_power(x, -2))
    )


def third_lstsq(x):
    sol, residuals, rank, sv = np.linalg.lstsq(x, np.arange(x.shape[0]) + 1.0)
    return np.sum(np.sin(sol)) + np.sum(np.sin(residuals))


THIRD = [
    (third_svd, TALL_U, TALL_W),
    (third_svd_values, TALL_U.T, TALL_W.T),
    (third_eigh, SQUARE_U, SQUARE_W),
    (third_eig, SQUARE_U, SQUARE_W),
    (third_qr, TALL_U, TALL_W),
    (third_cholesky, SQUARE_U, SQUARE_W),
    (third_slogdet, SQUARE_U, SQUARE_W),
    (third_det, SQUARE_U, SQUARE_W),
    (third_det, SQUARE_U, rank_deficient(3, 2)),
    (third_det, 0.3 * arr(4, 4), rank_deficient(4, 2)),
    (third_inv, SQUARE_U, SQUARE_W),
    (third_solve, SQUARE_U, SQUARE_W),
    (third_pinv, TALL_U, TALL_W),
    (third_matrix_power, SQUARE_U, SQUARE_W),
    (third_lstsq, TALL_U, TALL_W),
]


@pytest.mark.parametrize(
    "body, u, w",
    [
        pytest.param(b, u, w, id=f"{b.__name__}-{k}")
        for k, (b, u, w) in enumerate(THIRD)
    ],
)
def test_third_order(body, u, w):
    def f(t, u, w):
        return body(t * u + w)

    d2 = grad(grad(f))
    d3 = grad(d2)(0.1, u, w)

    def central(h):
        return (d2(0.1 + h, u, w) - d2(0.1 - h, u, w)) / (2 * h)

    # Richardson's extrapolation: the h**2 error term cancels
    numeric = (4 * central(1e-4) - central(2e-4)) / 3
    np.testing.assert_allclose(d3, numeric, rtol=1e-6, atol=1e-6)


def test_det_fourth_order_at_a_singular_matrix():
    # det of a 4x4 matrix is a polynomial of degree 4 in t: its fourth
    # derivative along a line is 24 det(u), whatever the point
    u, w = arr(4, 4), rank_deficient(4, 2)

    def f(t, u, w):
        return np.linalg.det(t * u + w)

    d4 = grad(grad(grad(grad(f))))(0.3, u, w)
    np.testing.assert_allclose(d4, 24 * np.linalg.det(u), rtol=1e-10)


# ---------------------------------------------------------------------------
# Dense Hessians against central differences of the gradient


def hessian_svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.sin(u @ (np.sin(s)[:, None] * vh)))


def hessian_eigh(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return np.sum(np.sin(v * v) * np.arange(9.0).reshape(3, 3)) + np.sum(w**3)


def hessian_cholesky(x):
    return np.sum(np.sin(np.linalg.cholesky(x @ x.T + np.eye(3))))


def hessian_lstsq(a):
    x, residuals, rank, sv = np.linalg.lstsq(a, np.arange(4.0))
    return np.sum(np.sin(x)) + np.sum(residuals)


def hessian_eig(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.sin(v * v)) + np.sum(w**3)


def hessian_qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(np.sin(q)) + np.sum(np.sin(r))


def hessian_pinv(a):
    return np.sum(np.sin(np.linalg.pinv(a)))


def hessian_det(a):
    return np.sin(np.linalg.det(a))


def hessian_power(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, -3)))


@pytest.mark.parametrize(
    "f, x",
    [
        (hessian_svd, arr(4, 3)),
        (hessian_eigh, arr(3, 3)),
        (hessian_cholesky, arr(3, 3)),
        (hessian_lstsq, conditioned(4, 3)),
        (hessian_eig, well_conditioned(3, 3)),
        (hessian_qr, arr(3, 4)),
        (hessian_pinv, conditioned(2, 3)),
        (hessian_det, rank_deficient(3, 1)),
        (hessian_power, well_conditioned(3, 3)),
    ],
    ids=["svd", "eigh", "cholesky", "lstsq", "eig", "qr", "pinv", "det", "power"],
)
def test_dense_hessian(f, x):
    check_hessian(f, x)


# ---------------------------------------------------------------------------
# Refusals


def test_svd_hermitian_is_refused_at_the_call():
    def f(a):
        return np.sum(np.linalg.svd(a, hermitian=True)[1])

    with pytest.raises(
        NoRuleError,
        match=r"test_rules_linalg\.py:\d+:\d+: np\.linalg\.svd with hermitian=True",
    ):
        grad(f)(spd(3, 3))


def test_pinv_hermitian_is_refused():
    def f(a):
        return np.sum(np.linalg.pinv(a, hermitian=True))

    with pytest.raises(NoRuleError, match="np.linalg.pinv with hermitian=True"):
        grad(f)(spd(3, 3))


def test_matrix_power_of_a_parameter_is_compiled_for_its_value():
    def f(a, n):
        return np.sum(np.sin(np.linalg.matrix_power(a, n)))

    for n in (2, -1):
        check_grad(f, spd(3, 3), n, wrt=0, order=2)


def fields_svd(a, C):
    r = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.sin(r.U @ (np.sin(r.S)[:, None] * r.Vh)) * C)


def fields_eigh(a, C):
    r = np.linalg.eigh(a)
    return np.sum(np.sin(r.eigenvectors**2) * C) + np.sum(r.eigenvalues**3)


def fields_eig(a, C):
    r = np.linalg.eig(a)
    return np.sum(np.sin(r.eigenvectors**2) * C) + np.sum(r.eigenvalues**3)


def fields_qr(a, C):
    r = np.linalg.qr(a)
    return np.sum(np.sin(r.Q) * C) + np.sum(np.sin(r.R))


def fields_slogdet(a, C):
    r = np.linalg.slogdet(a)
    return np.sum(np.sin(r.logabsdet * r.sign) * C)


@pytest.mark.parametrize(
    "f, a",
    [
        (fields_svd, arr(4, 3)),
        (fields_eigh, arr(3, 3)),
        (fields_eig, well_conditioned(3, 3)),
        (fields_qr, arr(4, 3)),
        (fields_slogdet, well_conditioned(2, 3, 3)),
    ],
    ids=["svd", "eigh", "eig", "qr", "slogdet"],
)
def test_result_fields_by_name(f, a):
    run(f, (a,), 0, {})


LINALG_FUNCTIONS = """svd svdvals eigh eigvalsh eig eigvals qr cholesky slogdet det inv
solve pinv matrix_power lstsq""".split()


@pytest.mark.parametrize("name", LINALG_FUNCTIONS)
def test_every_function_has_reverse_and_tangent_rules(name):
    prim = lookup(getattr(np.linalg, name))
    assert prim is not None and prim.differentiable and prim.jvps is not None
    differentiable = [k for k, rule in enumerate(prim.vjps) if rule is not None]
    assert differentiable and all(prim.jvps[k] is not None for k in differentiable)
    page = open("docs/numpy-coverage.md", encoding="utf-8").read()
    assert f"| `np.linalg.{name}` | yes" in page


def test_tuple_records_rules_are_the_sums_of_their_items():
    # the records of eigh, slogdet, lstsq (called as their items) state the
    # same derivative: their rules, run on arrays, agree with grad and jvp
    a, b, t = conditioned(4, 3), arr(4), arr(4, 3)
    gx, gres = arr(3), arr(1)

    def loss(a, b):
        x, residuals, rank, sv = np.linalg.lstsq(a, b)
        return np.sum(x * gx) + np.sum(residuals * gres)

    prim = lookup(np.linalg.lstsq)
    ans = np.linalg.lstsq(a, b)
    ga = prim.vjps[0]((gx, gres, None, None), ans, a, b)
    np.testing.assert_allclose(ga, grad(loss)(a, b), rtol=1e-10)
    tx, tres, _, _ = prim.jvps[0](t, ans, a, b)
    value, expected = jvp(loss, (a, b), (t, np.zeros(4)))
    np.testing.assert_allclose(np.sum(tx * gx) + np.sum(tres * gres), expected)

    s = well_conditioned(3, 3)
    gw, gv = arr(3), arr(3, 3)

    def eigh_loss(s):
        w, v = np.linalg.eigh(s)
        return np.sum(w * gw) + np.sum(v * v * gv)

    ans = np.linalg.eigh(s)
    gs = lookup(np.linalg.eigh).vjps[0]((gw, 2 * ans[1] * gv), ans, s)
    np.testing.assert_allclose(gs, grad(eigh_loss)(s), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# cond, matrix_rank


def cond(a, C):
    return np.sum(np.sin(np.linalg.cond(a)) * C)


def cond_2(a, C):
    return np.sum(np.sin(np.linalg.cond(a, 2)) * C)


def cond_minus_2(a, C):
    return np.sum(np.sin(10.0 * np.linalg.cond(a, -2)) * C)


def rank_weighted(a, C):
    rank = np.expand_dims(np.linalg.matrix_rank(a), (-2, -1))
    return np.sum(np.sin(a) * C * rank)


@pytest.mark.parametrize(
    "f, a",
    [
        pytest.param(f, conditioned(*shape), id=f"{f.__name__}-{name}")
        for f in (cond, cond_2, cond_minus_2, rank_weighted)
        for name, shape in SHAPES.items()
    ],
)
def test_cond_and_rank(f, a):
    run(f, (a,), 0, {})


def test_cond_third_order():
    u, w = 0.3 * arr(3, 3), conditioned(3, 3)
    d2 = grad(grad(lambda_free_cond))
    d3 = grad(d2)(0.1, u, w)
    numeric = (4 * _central(d2, 1e-4, u, w) - _central(d2, 2e-4, u, w)) / 3
    np.testing.assert_allclose(d3, numeric, rtol=1e-6, atol=1e-6)


def lambda_free_cond(t, u, w):
    return np.sin(np.linalg.cond(t * u + w))


def _central(d2, h, u, w):
    return (d2(0.1 + h, u, w) - d2(0.1 - h, u, w)) / (2 * h)


def test_cond_of_other_norms_is_refused():
    def f(a):
        return np.linalg.cond(a, "fro")

    with pytest.raises(NoRuleError, match="np.linalg.cond with p='fro'"):
        grad(f)(conditioned(3, 3))
