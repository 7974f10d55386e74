"""Rules for SciPy (``scipy.special``, ``scipy.stats``), through the whole pipeline.

Every function is checked with ``check_grad(..., order=2)``: its gradient
against central differences in float64, forward mode against reverse mode
(``jvp`` against ``vjp``), and Hessian-vector products against central
differences of the gradient, on several shapes; a few also at third order
and with ``hessian`` against central differences of the gradient; and
reverse over reverse (``grad`` of a function calling ``grad(f)``).
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
    for x in (0.7, 2.5):
        assert grad(grad(grad(gl_scalar)))(x) == pytest.approx(
            float(sp.polygamma(2, x)), rel=1e-10
        )


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


# ---------------------------------------------------------------------------
# scipy.stats: location-scale families, with their shape parameters


def with_shapes(method, count):
    """x, shapes..., loc, scale -> a number, calling ``method`` (a bound
    method of a distribution) with loc and scale by keyword."""
    if count == 0:

        def f(x, loc, scale):
            return np.sum(method(x, loc=loc, scale=scale) * np.cos(x))

    elif count == 1:

        def f(x, s, loc, scale):
            return np.sum(method(x, s, loc=loc, scale=scale) * np.cos(x))

    else:

        def f(x, s1, s2, loc, scale):
            return np.sum(method(x, s1, s2, loc=loc, scale=scale) * np.cos(x))

    f.__qualname__ = f"{method.__self__.name}.{method.__name__}"
    return f


#: distribution, its shape parameters, the support of x (loc 0.2, scale 1.3)
CONTINUOUS = [
    (st.norm, (), -2.0, 2.0),
    (st.cauchy, (), -2.0, 2.0),
    (st.laplace, (), 0.3, 2.0),
    (st.logistic, (), -2.0, 2.0),
    (st.expon, (), 0.5, 3.0),
    (st.t, (3.5,), -2.0, 2.0),
    (st.gamma, (2.5,), 0.5, 3.0),
    (st.chi2, (3.0,), 0.5, 3.0),
    (st.beta, (2.5, 1.7), 0.4, 1.3),
]
DENSITIES = ["pdf", "logpdf"]
DISTRIBUTION_FUNCTIONS = ["cdf", "logcdf", "sf", "logsf"]


def _cases(methods):
    return [
        pytest.param(dist, method, shapes, low, high, id=f"{dist.name}.{method}")
        for dist, shapes, low, high in CONTINUOUS
        for method in methods
    ]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dist, method, shapes, low, high", _cases(DENSITIES))
def test_densities(dist, method, shapes, low, high, shape):
    f = with_shapes(getattr(dist, method), len(shapes))
    x = sample(shape, low, high, 5)
    args = (x, *shapes, 0.2, 1.3)
    check_grad(f, *args, wrt=tuple(range(len(args))), order=2)


def fixed_shapes(method, shapes):
    """x, loc, scale -> a number, calling ``method`` with the shape
    parameters ``shapes`` as constants (cdfs have no derivative in them)."""
    if len(shapes) == 0:

        def f(x, loc, scale):
            return np.sum(method(x, loc=loc, scale=scale) * np.cos(x))

    elif len(shapes) == 1:

        def f(x, loc, scale):
            return np.sum(method(x, shapes[0], loc, scale) * np.cos(x))

    else:

        def f(x, loc, scale):
            return np.sum(method(x, shapes[0], shapes[1], loc, scale) * np.cos(x))

    f.__qualname__ = f"{method.__self__.name}.{method.__name__}"
    return f


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(
    "dist, method, shapes, low, high", _cases(DISTRIBUTION_FUNCTIONS)
)
def test_distribution_functions(dist, method, shapes, low, high, shape):
    f = fixed_shapes(getattr(dist, method), shapes)
    x = sample(shape, low, high, 6)
    check_grad(f, x, 0.2, 1.3, wrt=(0, 1, 2), order=2)


def cdf_of_df(x, df):
    return np.sum(st.t.cdf(x, df))


def test_distribution_functions_have_no_derivative_in_shapes():
    with pytest.raises(adcompiler.NonDifferentiableError) as info:
        grad(cdf_of_df, wrt=1)(np.array([0.1, 0.5]), 3.0)
    message = str(info.value)
    assert "scipy.stats.t.cdf" in message and "`df`" in message
    # the derivative in x is there
    g = grad(cdf_of_df)(np.array([0.1, 0.5]), 3.0)
    np.testing.assert_allclose(g, st.t.pdf(np.array([0.1, 0.5]), 3.0))


def norm_positional(x, loc, scale):
    return np.sum(st.norm.logpdf(x, loc, scale) ** 2)


def norm_defaults(x):
    return np.sum(st.norm.pdf(x)) + st.norm.logcdf(x[0])


def norm_arrays(x, loc, scale):
    return np.sum(st.norm.logsf(x, loc=loc, scale=scale))


def gamma_keywords(x, a, scale):
    return np.sum(st.gamma.logpdf(x, a=a, scale=scale))


def test_spellings_and_broadcasting():
    x = np.array([0.3, -1.2, 2.0])
    check_grad(norm_positional, x, 0.5, 1.3, wrt=(0, 1, 2), order=2)
    check_grad(norm_defaults, x, order=2)
    loc = np.array([[0.1], [-0.2]])
    scale = np.array([1.0, 2.0, 0.7])
    check_grad(norm_arrays, x, loc, scale, wrt=(0, 1, 2), order=2)
    check_grad(gamma_keywords, np.array([0.5, 1.5]), 2.2, 1.3, wrt=(0, 1, 2), order=2)


def gamma_outside(x, a):
    return np.sum(st.gamma.logpdf(x, a)) + np.sum(st.gamma.cdf(x, 2.5))


def log_outside(x):
    return (
        np.sum(st.expon.logcdf(x))
        + np.sum(st.gamma.logcdf(x, 2.0))
        + np.sum(st.poisson.logcdf(x, 1.5))
    )


def test_outside_the_support_the_derivative_is_zero():
    g = grad(gamma_outside)(np.array([-1.0, 2.0]), 2.5)
    assert g[0] == 0.0
    # logcdf is -inf there: still 0, also at second order (no nan)
    x = np.array([-1.0, 2.0])
    assert grad(log_outside)(x)[0] == 0.0
    assert np.all(np.isfinite(hessian(log_outside)(x)))
    assert hessian(log_outside)(x)[0, 0] == 0.0
    check_grad(gamma_outside, np.array([0.5, 2.0]), 2.5, order=2)


# ---------------------------------------------------------------------------
# poisson: derivatives in mu


def poisson_method(method):
    def f(k, mu):
        return np.sum(method(k, mu) * np.cos(mu))

    f.__qualname__ = f"poisson.{method.__name__}"
    return f


@pytest.mark.parametrize("method", ["pmf", "logpmf", "cdf", "logcdf", "sf", "logsf"])
@pytest.mark.parametrize(
    "mu", [2.5, np.array([0.7, 3.0, 5.5])], ids=["scalar", "array"]
)
def test_poisson(method, mu):
    k = np.array([0, 2, 4])
    f = poisson_method(getattr(st.poisson, method))
    check_grad(f, k, mu, wrt=1, order=2)


def poisson_of_loc(loc, mu):
    return np.sum(st.poisson.logpmf(3, mu, loc))


def test_poisson_loc_has_no_derivative():
    with pytest.raises(adcompiler.NonDifferentiableError, match="`loc`"):
        grad(poisson_of_loc, wrt=0)(1.0, np.array([1.0, 2.0]))


# ---------------------------------------------------------------------------
# multivariate_normal and dirichlet (covariances and points on the simplex
# parametrised, so that central differences stay on them)


def mvn_logpdf(x, mean, L):
    cov = L @ L.T + 0.5 * np.eye(3)
    return np.sum(st.multivariate_normal.logpdf(x, mean, cov) ** 2)


def mvn_pdf(x, mean, L):
    cov = L @ L.T + 0.5 * np.eye(3)
    return np.sum(st.multivariate_normal.pdf(x, mean=mean, cov=cov))


L3 = np.array([[1.0, 0.0, 0.0], [0.3, 1.2, 0.0], [-0.2, 0.4, 0.8]])
MEAN3 = np.array([0.1, 0.2, -0.3])


@pytest.mark.parametrize("f", [mvn_logpdf, mvn_pdf])
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 2, 3)], ids=str)
def test_multivariate_normal(f, shape):
    x = sample(shape, -1.5, 1.5, 7)
    check_grad(f, x, MEAN3, L3, wrt=(0, 1, 2), order=2)


def mvn_singular(x, cov):
    return st.multivariate_normal.logpdf(x, cov=cov, allow_singular=True)


def mvn_default_cov(x):
    return st.multivariate_normal.logpdf(x, np.zeros(2))


def test_multivariate_normal_allow_singular_is_refused():
    with pytest.raises(adcompiler.ADError, match="allow_singular"):
        grad(mvn_singular)(np.ones(2), np.eye(2))
    # the default cov=1 is a number: refused, with what to pass instead
    with pytest.raises(adcompiler.NoRuleError, match=r"a matrix \(d, d\)"):
        grad(mvn_default_cov)(np.ones(2))


def dirichlet_logpdf(e, alpha):
    x = np.exp(e) / np.sum(np.exp(e), axis=0)
    return np.sum(st.dirichlet.logpdf(x, alpha) ** 2)


def dirichlet_pdf(e, alpha):
    x = np.exp(e) / np.sum(np.exp(e), axis=0)
    return np.sum(st.dirichlet.pdf(x, alpha) * 0.3)


@pytest.mark.parametrize("f", [dirichlet_logpdf, dirichlet_pdf])
@pytest.mark.parametrize("shape", [(3,), (3, 2)], ids=str)
def test_dirichlet(f, shape):
    e = sample(shape, -1.0, 1.0, 8)
    check_grad(f, e, np.array([1.5, 2.0, 0.8]), wrt=(0, 1), order=2)


# ---------------------------------------------------------------------------
# names, generated code, import


def zeta_of(x):
    return np.sum(sp.zeta(x, 1.0))


def gammainc_of(x):
    return np.sum(sp.gammainc(2.0, x))


def logm_of(a):
    return np.sum(scipy.linalg.logm(a))


def iv_of_order(v, x):
    return sp.iv(v, x)


def test_errors_name_scipy_functions():
    with pytest.raises(adcompiler.NoRuleError) as info:
        grad(zeta_of)(np.array([2.0, 3.0]))
    assert "scipy.special.zeta" in str(info.value)
    assert "np.zeta" not in str(info.value)
    with pytest.raises(adcompiler.NoRuleError) as info:
        grad(gammainc_of)(np.array([2.0, 3.0]))
    assert "scipy.special.gammainc has no derivative rule" in str(info.value)
    import scipy.linalg  # noqa: F401

    with pytest.raises(adcompiler.NoRuleError) as info:  # not read from SciPy's source
        grad(logm_of)(np.eye(2))
    assert "scipy.linalg.logm has no derivative rule" in str(info.value)
    with pytest.raises(adcompiler.NonDifferentiableError) as info:
        grad(iv_of_order)(1.0, 2.0)
    assert "scipy.special.iv" in str(info.value) and "`v`" in str(info.value)


def test_generated_code_spells_scipy_modules():
    source = grad(norm_positional).source
    assert "stats.norm.logpdf(x, loc, scale)" in source
    assert "special.gammaln(x)" in grad(s_gammaln).source
    assert grad(s_gammaln).source == grad(s_gammaln).source


def test_records_are_complete():
    from adcompiler.primitives import scipy_hook
    from adcompiler.primitives.record import problems, registered

    scipy_hook.load()  # registered on a lookup's miss otherwise
    scipy_records = [p for p in registered() if p.name.startswith("scipy.")]
    assert len(scipy_records) > 90
    assert [msg for p in scipy_records for msg in problems(p)] == []
    for p in scipy_records:  # every argument with a reverse rule has a tangent rule
        assert all(
            (rule is None) == (tangent is None) for rule, tangent in zip(p.vjps, p.jvps)
        ), p.name


def test_adcompiler_does_not_import_scipy():
    code = "import sys, adcompiler; print('scipy' in sys.modules)"
    # (the records are registered once scipy is: see test_registered_on_demand)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def norm_cdf_third(x):
    return st.norm.logcdf(x, 0.3, 1.7)


def test_stats_third_order():
    # third derivative of logcdf against central differences of the second
    x, h = 0.4, 1e-4
    second = grad(grad(norm_cdf_third))
    numeric = (second(x + h) - second(x - h)) / (2 * h)
    assert grad(second)(x) == pytest.approx(numeric, rel=1e-5)


def test_registered_on_demand():
    # in a fresh interpreter: no record before scipy is imported, and the
    # first differentiated call of a SciPy function finds its record
    code = (
        "import adcompiler\n"
        "from adcompiler.primitives.record import registered\n"
        "before = sum(p.name.startswith('scipy.') for p in registered())\n"
        "import scipy.special\n"
        "from adcompiler.primitives.registry import lookup\n"
        "print(before, lookup(scipy.special.gammaln).name)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["0", "scipy.special.gammaln"]


def lse_keepdims_all(a):
    return np.sum(sp.logsumexp(a, keepdims=True) * a)


def named_like_modules(x):
    special = x * 2.0
    stats = sp.gammaln(special)
    return np.sum(st.norm.logpdf(stats) + stats)


def test_keepdims_without_axis_and_names_like_the_modules():
    check_grad(lse_keepdims_all, sample((2, 3), -1.0, 1.0), order=2)
    x = sample((3,), 0.5, 2.0)
    check_grad(named_like_modules, x, order=2)
    source = grad(named_like_modules).source
    assert "special_2.gammaln(special)" in source


# ---------------------------------------------------------------------------
# reverse over reverse: grad of a function calling grad(f), against central
# differences of grad(f)


def reverse_over_reverse(f):
    df = grad(f)

    def directional(x, v):
        return np.sum(df(x) * v)

    return directional


@pytest.mark.parametrize(
    "f, low, high", ONE_ARGUMENT, ids=[f.__name__ for f, _, _ in ONE_ARGUMENT]
)
def test_reverse_over_reverse(f, low, high):
    x = sample((3,), low, high, 9)
    v = np.array([0.3, -1.1, 0.7])
    second = grad(reverse_over_reverse(f))(x, v)  # H v (H is symmetric)
    numeric = numerical_grad(reverse_over_reverse(f), x, v)
    np.testing.assert_allclose(second, numeric, rtol=1e-5, atol=1e-7)


STATS_SECOND = [
    fixed_shapes(st.t.logpdf, (3.5,)),
    fixed_shapes(st.beta.pdf, (2.5, 1.5)),
    fixed_shapes(st.gamma.logcdf, (2.5,)),
    fixed_shapes(st.logistic.sf, ()),
    fixed_shapes(st.norm.logpdf, ()),
]


def directional_in(f, k):
    df = grad(f, wrt=k)

    def directional(x, loc, scale):
        return np.sum(df(x, loc, scale) * 0.7)

    return directional


@pytest.mark.parametrize("f", STATS_SECOND, ids=lambda f: f.__qualname__)
@pytest.mark.parametrize("k", [0, 1, 2], ids=["x", "loc", "scale"])
def test_reverse_over_reverse_stats(f, k):
    args = (np.array([0.5, 0.7, 0.9]), 0.1, 1.2)
    directional = directional_in(f, k)
    for j in range(3):
        analytic = grad(directional, wrt=j)(*args)
        numeric = numerical_grad(directional, *args, wrt=j)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


GRAD_MVN_L = grad(mvn_logpdf, wrt=2)
GRAD_DIRICHLET_ALPHA = grad(dirichlet_logpdf, wrt=1)


def mvn_directional(x, mean, L):
    return np.sum(GRAD_MVN_L(x, mean, L) * L3)


def dirichlet_directional(e, alpha):
    return np.sum(GRAD_DIRICHLET_ALPHA(e, alpha) * np.array([0.3, -0.2, 0.5]))


def test_reverse_over_reverse_multivariate():
    args = (sample((4, 3), -1.0, 1.0, 10), MEAN3, L3)
    for j in range(3):
        analytic = grad(mvn_directional, wrt=j)(*args)
        numeric = numerical_grad(mvn_directional, *args, wrt=j)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)
    args = (sample((3, 2), -1.0, 1.0, 11), np.array([1.5, 2.0, 0.8]))
    for j in range(2):
        analytic = grad(dirichlet_directional, wrt=j)(*args)
        numeric = numerical_grad(dirichlet_directional, *args, wrt=j)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)
