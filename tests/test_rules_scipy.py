"""Rules for SciPy (``scipy.special``, ``scipy.stats``), through the whole pipeline.

Every function is checked with ``check_grad(..., order=2)``: its gradient
against central differences in float64, forward mode against reverse mode
(``jvp`` against ``vjp``), and Hessian-vector products against central
differences of the gradient, on several shapes; a few also at third order
and with ``hessian`` against central differences of the gradient.
"""

import subprocess
import sys

import numpy as np
import pytest

scipy = pytest.importorskip("scipy")
import scipy.special as sp  # noqa: E402
import scipy.stats as st  # noqa: E402

import adcompiler  # noqa: E402
from adcompiler import (  # noqa: E402
    check_grad,
    grad,
    hessian,
    jvp,
    numerical_grad,
)

SHAPES = [(), (3,), (2, 3)]


def sample(shape, low, high, seed=0):
    """Numbers in [low, high] of ``shape`` (a float for shape ())."""
    rng = np.random.default_rng(seed + len(shape))
    x = rng.uniform(low, high, size=shape)
    return float(x) if shape == () else x


# ---------------------------------------------------------------------------
# scipy.special, one argument: F(x) * cos(x) summed, so that the adjoint
# reaching the rule is not 1 and second derivatives mix terms


def s_gammaln(x):
    return np.sum(sp.gammaln(x) * np.cos(x))


def s_gamma(x):
    return np.sum(sp.gamma(x) * np.cos(x))


def s_digamma(x):
    return np.sum(sp.digamma(x) * np.cos(x))


def s_psi(x):
    return np.sum(sp.psi(x) * np.cos(x))


def s_rgamma(x):
    return np.sum(sp.rgamma(x) * np.cos(x))


def s_erf(x):
    return np.sum(sp.erf(x) * np.cos(x))


def s_erfc(x):
    return np.sum(sp.erfc(x) * np.cos(x))


def s_erfinv(x):
    return np.sum(sp.erfinv(x) * np.cos(x))


def s_erfcinv(x):
    return np.sum(sp.erfcinv(x) * np.cos(x))


def s_expit(x):
    return np.sum(sp.expit(x) * np.cos(x))


def s_logit(x):
    return np.sum(sp.logit(x) * np.cos(x))


def s_log_expit(x):
    return np.sum(sp.log_expit(x) * np.cos(x))


def s_entr(x):
    return np.sum(sp.entr(x) * np.cos(x))


def s_ndtr(x):
    return np.sum(sp.ndtr(x) * np.cos(x))


def s_log_ndtr(x):
    return np.sum(sp.log_ndtr(x) * np.cos(x))


def s_ndtri(x):
    return np.sum(sp.ndtri(x) * np.cos(x))


def s_i0(x):
    return np.sum(sp.i0(x) * np.cos(x))


def s_i1(x):
    return np.sum(sp.i1(x) * np.cos(x))


def s_j0(x):
    return np.sum(sp.j0(x) * np.cos(x))


def s_j1(x):
    return np.sum(sp.j1(x) * np.cos(x))


def s_y0(x):
    return np.sum(sp.y0(x) * np.cos(x))


def s_y1(x):
    return np.sum(sp.y1(x) * np.cos(x))


def s_polygamma(x):
    return np.sum(sp.polygamma(2, x) * np.cos(x))


def s_multigammaln(x):
    return np.sum(sp.multigammaln(x, 3) * np.cos(x))


def s_iv(x):
    return np.sum(sp.iv(1.5, x) * np.cos(x))


def s_ive(x):
    return np.sum(sp.ive(2.0, x) * np.cos(x))


def s_jn(x):
    return np.sum(sp.jn(2, x) * np.cos(x))


def s_jv(x):
    return np.sum(sp.jv(0.5, x) * np.cos(x))


def s_yn(x):
    return np.sum(sp.yn(3, x) * np.cos(x))


ONE_ARGUMENT = [
    (s_gammaln, 0.5, 3.0),
    (s_gamma, 0.5, 3.0),
    (s_digamma, 0.5, 3.0),
    (s_psi, 0.5, 3.0),
    (s_rgamma, 0.5, 3.0),
    (s_erf, -1.5, 1.5),
    (s_erfc, -1.5, 1.5),
    (s_erfinv, -0.8, 0.8),
    (s_erfcinv, 0.2, 1.8),
    (s_expit, -3.0, 3.0),
    (s_logit, 0.1, 0.9),
    (s_log_expit, -3.0, 3.0),
    (s_entr, 0.2, 2.0),
    (s_ndtr, -2.0, 2.0),
    (s_log_ndtr, -3.0, 2.0),
    (s_ndtri, 0.1, 0.9),
    (s_i0, -2.0, 2.0),
    (s_i1, -2.0, 2.0),
    (s_j0, -3.0, 3.0),
    (s_j1, -3.0, 3.0),
    (s_y0, 0.5, 3.0),
    (s_y1, 0.5, 3.0),
    (s_polygamma, 0.5, 3.0),
    (s_multigammaln, 1.5, 3.0),
    (s_iv, 0.5, 3.0),
    (s_ive, -2.0, 2.0),
    (s_jn, -3.0, 3.0),
    (s_jv, 0.5, 3.0),
    (s_yn, 0.5, 3.0),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(
    "f, low, high", ONE_ARGUMENT, ids=[f.__name__ for f, _, _ in ONE_ARGUMENT]
)
def test_special_one_argument(f, low, high, shape):
    check_grad(f, sample(shape, low, high), order=2)


# ---------------------------------------------------------------------------
# scipy.special, two broadcast arguments


def s_beta(a, b):
    return np.sum(sp.beta(a, b) * np.cos(a + b))


def s_betaln(a, b):
    return np.sum(sp.betaln(a, b) * np.cos(a * b))


def s_xlogy(x, y):
    return np.sum(sp.xlogy(x, y) * np.cos(x + y))


def s_xlog1py(x, y):
    return np.sum(sp.xlog1py(x, y) * np.cos(x + y))


TWO_ARGUMENTS = [
    (s_beta, 0.5, 3.0, 0.5, 3.0),
    (s_betaln, 0.5, 3.0, 0.5, 3.0),
    (s_xlogy, -2.0, 2.0, 0.3, 3.0),
    (s_xlog1py, -2.0, 2.0, -0.5, 2.0),
]


@pytest.mark.parametrize(
    "shapes", [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((), (2, 3))], ids=str
)
@pytest.mark.parametrize(
    "f, lx, hx, ly, hy", TWO_ARGUMENTS, ids=[c[0].__name__ for c in TWO_ARGUMENTS]
)
def test_special_two_arguments(f, lx, hx, ly, hy, shapes):
    x = sample(shapes[0], lx, hx, 1)
    y = sample(shapes[1], ly, hy, 2)
    check_grad(f, x, y, wrt=(0, 1), order=2)


def xlogy_at(x, y):
    return sp.xlogy(x, y)


def xlog1py_at(x, y):
    return sp.xlog1py(x, y)


def test_xlogy_convention_at_zero():
    # x log y is 0 where x == 0, for every y: its derivative in y is 0 there
    # (y == 0 included), and in x it is log y
    gx, gy = grad(xlogy_at, wrt=(0, 1))(0.0, 0.0)
    assert gy == 0.0 and gx == -np.inf
    gx, gy = grad(xlogy_at, wrt=(0, 1))(0.0, 2.0)
    assert gy == 0.0 and gx == pytest.approx(np.log(2.0))
    # d/dx d/dy (x log y) = 1 / y, at x == 0 too
    mixed = grad(grad(xlogy_at, wrt=1), wrt=0)(0.0, 2.0)
    assert mixed == pytest.approx(0.5)
    gx, gy = grad(xlog1py_at, wrt=(0, 1))(0.0, -1.0)
    assert gy == 0.0


# ---------------------------------------------------------------------------
# logsumexp, softmax, log_softmax


def lse_all(a):
    return sp.logsumexp(a) * 1.5


def lse_axis0(a):
    return np.sum(sp.logsumexp(a, axis=0) ** 2)


def lse_axis_last_keepdims(a):
    return np.sum(np.sin(sp.logsumexp(a, axis=-1, keepdims=True) * a))


def lse_axes(a):
    return np.sum(sp.logsumexp(a, axis=(0, 1)) ** 2)


def lse_b(a, b):
    return np.sum(sp.logsumexp(a, axis=-1, b=b) ** 2)


def lse_sign(a, b):
    value, sign = sp.logsumexp(a, b=b, return_sign=True)
    return value * sign + value**2


def lse_sign_axis(a, b):
    r = sp.logsumexp(a, axis=0, b=b, return_sign=True)
    return np.sum(r[0] ** 2 * r[1])


def softmax_all(x):
    return np.sum(sp.softmax(x) * np.cos(x))


def softmax_axis(x):
    return np.sum(sp.softmax(x, axis=-1) * np.cos(x))


def softmax_axis0(x):
    return np.sum(sp.softmax(x, axis=0) ** 3)


def log_softmax_all(x):
    return np.sum(sp.log_softmax(x) * np.cos(x))


def log_softmax_axis(x):
    return np.sum(sp.log_softmax(x, axis=-1) * np.cos(x))


def log_softmax_axis0(x):
    return np.sum(sp.log_softmax(x, 0) ** 2)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4)], ids=str)
@pytest.mark.parametrize(
    "f",
    [
        lse_all,
        lse_axis0,
        lse_axis_last_keepdims,
        softmax_all,
        softmax_axis,
        softmax_axis0,
        log_softmax_all,
        log_softmax_axis,
        log_softmax_axis0,
    ],
)
def test_reductions(f, shape):
    check_grad(f, sample(shape, -2.0, 2.0), order=2)


def test_logsumexp_over_several_axes():
    check_grad(lse_axes, sample((2, 3, 2), -2.0, 2.0), order=2)


def test_logsumexp_large_values_do_not_overflow():
    a = np.array([1000.0, 1000.5, 999.0])
    g = grad(lse_all)(a)
    p = np.exp(a - sp.logsumexp(a))
    np.testing.assert_allclose(g, 1.5 * p)


@pytest.mark.parametrize("shape", [(3,), (2, 3)], ids=str)
def test_logsumexp_weights(shape):
    a = sample(shape, -2.0, 2.0, 3)
    b = sample(shape, 0.5, 2.0, 4)
    check_grad(lse_b, a, b, wrt=(0, 1), order=2)


@pytest.mark.parametrize("f", [lse_sign, lse_sign_axis])
def test_logsumexp_return_sign(f):
    a = np.array([[0.3, -0.2, 1.0], [0.5, 0.1, -1.0]])
    # negative weights: the sum is negative in some columns
    b = np.array([[1.0, -2.0, 0.5], [-1.5, 0.4, 0.3]])
    check_grad(f, a, b, wrt=(0, 1), order=2)


# ---------------------------------------------------------------------------
# higher orders, hessian, jvp


def test_gammaln_third_order():
    # d3/dx3 gammaln(x) = polygamma(2, x)
    def third(x):
        return grad(grad(grad(gl_scalar)))(x)

    for x in (0.7, 2.5):
        assert grad(grad(grad(gl_scalar)))(x) == pytest.approx(
            float(sp.polygamma(2, x)), rel=1e-10
        )
    del third


def gl_scalar(x):
    return sp.gammaln(x)


def erf_scalar(x):
    return sp.erf(x)


def test_erf_third_order_closed_form():
    # erf''' = 2/sqrt(pi) (4x^2 - 2) exp(-x^2)
    x = 0.6
    expected = 2 / np.sqrt(np.pi) * (4 * x * x - 2) * np.exp(-x * x)
    assert grad(grad(grad(erf_scalar)))(x) == pytest.approx(expected, rel=1e-10)


def bessel_mix(x):
    return np.sum(sp.iv(2.0, x) * sp.j1(x) + sp.yn(1, x) * sp.i0(x))


def test_hessian_against_differences_of_the_gradient():
    x = np.array([0.7, 1.3, 2.1])
    h = hessian(bessel_mix)(x)
    numeric = np.stack(
        [numerical_grad(lambda_free_grad, x, np.eye(3)[k]) for k in range(3)]
    )
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-7)


def lambda_free_grad(x, e):
    return np.sum(grad(bessel_mix)(x) * e)


def test_jvp_against_differences():
    x = np.array([0.4, 1.1, 2.0])
    v = np.array([1.0, -0.5, 0.3])
    value, tangent = jvp(s_gamma, (x,), (v,))
    h = 1e-6
    numeric = (s_gamma(x + h * v) - s_gamma(x - h * v)) / (2 * h)
    assert value == pytest.approx(s_gamma(x))
    assert tangent == pytest.approx(numeric, rel=1e-6)
