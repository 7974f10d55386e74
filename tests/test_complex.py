"""Complex numbers in differentiated code (docs/subset.md, "Complex numbers").

The convention is autograd's and JAX's: for a real ``L`` of ``z = x + iy``,
``grad(L)(z) = dL/dx - i dL/dy`` (the gradient of ``|z|**2`` is
``2 conj(z)``). Every case returns a real scalar and is checked by
``check_grad(..., order=2)``: the gradient against central differences (in
the real and imaginary parts separately for a complex argument), forward
against reverse mode, and Hessian-vector products against central
differences of the gradient; :func:`check_jvp` checks ``jvp`` against
central differences of the function. Cases run on several shapes; real
arguments through complex intermediates get real gradients and tangents.
"""

from __future__ import annotations

import numpy as np
import pytest

import adcompiler
from adcompiler import check_grad, grad, hessian, jvp
from adcompiler.errors import NoRuleError, OutputError
from adcompiler.testing import numerical_grad

try:
    import scipy.special
    import scipy.stats
except ImportError:  # an optional dependency
    scipy = None

_RNG = np.random.default_rng(1701)


def carr(*shape, low=0.3):
    """A fixed random complex array, its entries at least ``low`` from 0."""
    z = _RNG.normal(size=shape) + 1j * _RNG.normal(size=shape)
    return z * (1 + low / np.abs(z))


def arr(*shape):
    return _RNG.normal(size=shape)


def weight(shape):
    return np.random.default_rng(len(shape) * 7 + 1).normal(size=shape)


def check_jvp(f, args, rtol=1e-5, atol=1e-7, eps=1e-6):
    """``jvp`` in a random direction (complex for complex arguments) against
    central differences of ``f``; a real output's tangent is real."""
    rng = np.random.default_rng(3)
    tangents = []
    for a in args:
        t = rng.normal(size=np.shape(a))
        if np.iscomplexobj(a):
            t = t + 1j * rng.normal(size=np.shape(a))
        tangents.append(
            complex(t)
            if isinstance(a, complex)
            else float(t) if isinstance(a, float) else t
        )
    value, t_out = jvp(f, tuple(args), tuple(tangents))
    up = [a + eps * t for a, t in zip(args, tangents)]
    down = [a - eps * t for a, t in zip(args, tangents)]
    numeric = (f(*up) - f(*down)) / (2 * eps)
    assert not np.iscomplexobj(t_out)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t_out, numeric, rtol=rtol, atol=atol)


def run(f, *args, wrt=0, rtol=1e-5, atol=1e-7):
    check_grad(f, *args, wrt=wrt, order=2, rtol=rtol, atol=atol)
    check_jvp(f, args, rtol=rtol, atol=atol)


W3 = carr(3)
W23 = carr(2, 3)

# ---------------------------------------------------------------------------
# Functions that are not holomorphic: real, imag, conj, angle, abs, sign


def real_of(z):
    return np.sum(np.sin(np.real(z * z)))


def imag_of(z):
    return np.sum(np.imag(z * z) ** 2)


def attributes(z):
    return np.sum(z.real * z.imag**2)


def conj_of(z):
    return np.sum(np.real(np.conj(z) * np.exp(z)))


def conj_method(z):
    return np.sum(np.real(z.conj() * z * z))


def conjugate_method(z):
    return np.sum(np.imag(z.conjugate() ** 2 * z))


def conjugate_fn(z):
    return np.sum(np.imag(np.conjugate(z) ** 3))


def angle_of(z):
    return np.sum(np.angle(z) ** 2)


def angle_deg(z):
    return np.sum(np.sin(np.angle(z * z, deg=True) / 50.0))


def abs_of(z):
    return np.sum(np.abs(z) ** 3)


def absolute_of(z):
    return np.sum(np.sin(np.absolute(z * z)))


def builtin_abs(z):
    return np.sum(abs(z * z) ** 1.5)


def sign_of(z):
    return np.sum(np.real(np.sign(z) * np.exp(z)))


def real_if_close_kept(z):
    # the imaginary parts are large: real_if_close returns z
    return np.sum(np.abs(np.real_if_close(z) * z) ** 2)


def real_if_close_dropped(z):
    # z * conj(z) has zero imaginary parts: real_if_close drops them
    return np.sum(np.sin(np.real_if_close(z * np.conj(z))))


def variance(z):
    return np.var(z) + np.std(z * z)


NONHOLOMORPHIC = [
    real_of,
    imag_of,
    attributes,
    conj_of,
    conj_method,
    conjugate_method,
    conjugate_fn,
    angle_of,
    angle_deg,
    abs_of,
    absolute_of,
    builtin_abs,
    sign_of,
    real_if_close_kept,
    real_if_close_dropped,
    variance,
]


@pytest.mark.parametrize("shape", [(3,), (2, 3)], ids=["vector", "matrix"])
@pytest.mark.parametrize("f", NONHOLOMORPHIC, ids=lambda f: f.__name__)
def test_nonholomorphic(f, shape):
    run(f, carr(*shape))


def test_the_convention_on_abs_squared():
    # grad |z|**2 = 2 conj(z); of a complex scalar, a complex scalar
    z = carr(2, 3)
    g = grad(lambda_free_abs2)(z)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(g, 2 * np.conj(z))
    s = grad(lambda_free_abs2)(1.0 + 2.0j)
    assert isinstance(s, complex) and s == pytest.approx(2.0 - 4.0j)
    g64 = grad(lambda_free_abs2)(z.astype(np.complex64))
    assert g64.dtype == np.complex64


def lambda_free_abs2(z):
    return np.sum(np.abs(z) ** 2)


def test_abs_and_angle_at_zero_are_zero():
    z = np.array([0j, 1.0 + 1.0j])
    np.testing.assert_allclose(grad(abs_of)(z), [0.0, 3 * np.sqrt(2) * (1 - 1j)])
    np.testing.assert_allclose(grad(angle_of)(z)[0], 0.0)
    np.testing.assert_allclose(grad(sign_of)(z)[0], 0.0)


def test_iscomplex_has_no_derivative():
    def masked(z):
        return np.sum(np.abs(z) ** 2 * np.iscomplex(z)) + np.iscomplexobj(z)

    z = np.array([1.0 + 0j, 2.0 + 1.0j])
    np.testing.assert_allclose(grad(masked)(z), [0.0, 2 * np.conj(z[1])])


# ---------------------------------------------------------------------------
# Holomorphic functions: the rules written for reals, unchanged


def elementwise(z):
    w = np.exp(z) * np.log(z) + np.sin(z) / (z + 2.0) + np.sqrt(z) + np.tanh(z)
    return np.sum(np.abs(w + z**3 - np.cos(z) * np.square(z)) ** 2)


def powers(z):
    return np.sum(np.abs(z**1.5 + np.power(z, 2.5) + 2.0**z) ** 2)


def complex_exponent(x, z):
    return np.sum(np.abs(x**z))


def reductions(z):
    return np.abs(np.sum(z) * np.mean(z * z)) ** 2 + np.sum(np.abs(np.cumsum(z)) ** 2)


def product(z):
    # first order only: np.prod has no second derivatives yet
    return np.abs(np.prod(z)) ** 2


def shapes_and_indexing(z):
    v = np.reshape(z, (-1,))
    w = np.concatenate([v[1:], v[:1] * 2.0]) + np.where(np.abs(v) > 1.0, v, -v)
    return np.sum(np.abs(w * v[::-1]) ** 2)


def products(a, b):
    return np.sum(
        np.abs(a @ b) ** 2
        + np.abs(np.dot(a, b)) ** 2
        + np.abs(np.einsum("ij,jk->ik", a, b)) ** 2
        + np.abs(np.tensordot(a, b, axes=1)) ** 2
    )


def vector_products(a, b):
    return (
        np.sum(np.abs(a @ b) ** 2) + np.abs(np.inner(a, a) + np.outer(a, a)[0, 1]) ** 2
    )


def vdot_of(a, b):
    return np.abs(np.vdot(a, b)) ** 2 + np.real(np.vdot(b, b * a))


def determinant(a):
    return np.abs(np.linalg.det(a)) ** 2 + np.sum(np.abs(np.linalg.inv(a)) ** 2)


def solve(a, b):
    return np.sum(np.abs(np.linalg.solve(a, b)) ** 2)


def sort_values(z):
    # lexicographic order: a permutation, so the rule for reals is right
    return np.sum(np.abs(np.sort(z)) * np.arange(1.0, np.size(z) + 1.0))


def maximum_of(z, w):
    return np.sum(np.abs(np.maximum(z, w) * z) ** 2)


def clip_and_max(z):
    # bounds of real parts 0.2 and 0.9 apart from every element's
    return np.sum(np.abs(np.clip(z, -0.5 + 0j, 0.5 + 0j)) ** 2) + np.abs(np.max(z)) ** 2


def sinc_of(z):
    return np.sum(np.abs(np.sinc(z) * z) ** 2)


def nan_to_num_of(z):
    return np.sum(np.abs(np.nan_to_num(z * z, posinf=3.0, neginf=-3.0)) ** 2)


def array_functions(z):
    w = np.roll(z, 1) * np.flip(z) + np.pad(z, 1)[1:-1] + np.diff(z, prepend=0.5)
    return np.sum(np.abs(w * np.cumprod(z) + np.polyval(z[:3], z)) ** 2)


def matrix_functions(m):
    w = np.kron(m, m)[:3, :3] + np.tril(m) @ np.triu(m) + np.diag(np.diag(m))
    return (
        np.sum(np.abs(w * np.trace(m)) ** 2) + np.abs(np.trapezoid(m, axis=0)[0]) ** 2
    )


def correlate(a, v):
    return np.sum(np.abs(np.correlate(a, v, "full") + np.convolve(a, v)) ** 2)


@pytest.mark.parametrize(
    "f, args",
    [
        (elementwise, (carr(3),)),
        (elementwise, (carr(2, 2),)),
        (powers, (carr(4),)),
        (reductions, (carr(3),)),
        (reductions, (carr(2, 3),)),
        (shapes_and_indexing, (carr(2, 3),)),
        (sort_values, (carr(5),)),
        (sinc_of, (carr(4),)),
        (nan_to_num_of, (carr(4),)),
        (array_functions, (carr(5),)),
        (matrix_functions, (carr(3, 3),)),
        (maximum_of, (carr(4), carr(4))),
        (clip_and_max, (np.array([-1.2 + 0.5j, 0.1 - 0.3j, 0.2 + 1j, 1.4 - 2j]),)),
        (determinant, (carr(3, 3),)),
        (determinant, (carr(2, 2),)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_holomorphic(f, args):
    run(f, *args)


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (complex_exponent, (np.abs(arr(3)) + 0.5, carr(3)), (0, 1)),
        (products, (carr(2, 3), carr(3, 2)), (0, 1)),
        (vector_products, (carr(3), carr(3, 2)), (0, 1)),
        (solve, (carr(3, 3) + 3 * np.eye(3), carr(3)), (0, 1)),
        (correlate, (carr(5), carr(3)), (0, 1)),
        (correlate, (arr(5), carr(3)), (0, 1)),
        (vdot_of, (carr(3), carr(3)), (0, 1)),
        (vdot_of, (carr(2, 2), arr(2, 2)), (0, 1)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_holomorphic_two_arguments(f, args, wrt):
    run(f, *args, wrt=wrt)


def test_product_first_order():
    z = carr(4)
    check_grad(product, z)
    np.testing.assert_allclose(
        grad(product)(z), 2 * np.conj(np.prod(z)) * np.prod(z) / z, rtol=1e-12
    )


def test_nan_to_num_replaces_parts_apart():
    # NumPy replaces a non-finite real or imaginary part alone: the other
    # part keeps its derivative
    z = np.array([complex(np.nan, 1.0), complex(2.0, np.inf), 1.0 - 1.0j])
    with np.errstate(invalid="ignore"):
        g = grad(lambda_free_nan_to_num)(z)
    np.testing.assert_allclose(g, [-2.0j, 4.0, 2.0 + 2.0j])


def lambda_free_nan_to_num(z):
    w = np.nan_to_num(z, posinf=0.0)
    return np.sum(np.real(w * np.conj(w)))


@pytest.mark.skipif(scipy is None, reason="SciPy is not installed")
def test_scipy_special_of_complex_values():
    run(scipy_holomorphic, carr(3))
    # first order only: SciPy's polygamma (gamma's second derivative) takes
    # no complex arguments
    check_grad(scipy_gamma, carr(3))
    with pytest.raises(NoRuleError, match=r"scipy\.special\.ive of a complex"):
        grad(scipy_ive)(carr(3))
    with pytest.raises(NoRuleError, match="scipy.stats distribution of a complex"):
        grad(scipy_stats_of_complex)(carr(3))


def scipy_holomorphic(z):
    w = scipy.special.erf(z) + scipy.special.jv(1.5, z)
    return np.sum(
        np.abs(w + scipy.special.iv(0.5, z) + scipy.special.logsumexp(z)) ** 2
    )


def scipy_gamma(z):
    return np.sum(np.abs(scipy.special.gamma(z + 1.0)) ** 2)


def scipy_ive(z):
    return np.sum(np.abs(scipy.special.ive(1.5, z)) ** 2)


def scipy_stats_of_complex(z):
    return np.sum(np.abs(scipy.stats.norm.logpdf(z)) ** 2)


# ---------------------------------------------------------------------------
# Real arguments through complex intermediates: real gradients and tangents


def phase_magnitude(theta, y):
    return np.sum(np.abs(np.exp(1j * theta) * y) ** 2)


def phase_real(theta, y):
    return np.sum(np.real(np.exp(1j * theta) * y) * np.sin(theta))


def modulus_squared(x):
    z = x * (1.0 + 2.0j) + 1j * x**2
    return np.real(np.sum(z * np.conj(z)))


def constructed(a, b):
    z = a + 1j * b
    return np.sum(np.abs(z**2 + np.exp(z)) + np.angle(z))


def builtin_complex(a, b):
    return abs(complex(a, b) ** 3) + complex(a, b).imag * a


def cast_to_complex(x):
    z = x.astype(np.complex128) * W3 + np.array(x, dtype=complex) * 1j
    return np.sum(np.abs(z) ** 2)


def conversions(x):
    z = np.asarray(x * 1j, dtype=complex) + np.asarray(x, dtype=np.float64)
    return np.sum(np.abs(np.ascontiguousarray(z, dtype=complex)) ** 2)


def cast_to_real(x):
    z = np.exp(1j * x) * W3
    return np.sum(np.sin(np.real(z).astype(np.float64)) + np.imag(z) ** 2)


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (phase_magnitude, (arr(4), arr(4)), (0, 1)),
        (phase_magnitude, (arr(2, 3), arr(3)), (0, 1)),
        (phase_real, (arr(2, 3), arr(2, 3)), (0, 1)),
        (modulus_squared, (arr(3),), 0),
        (modulus_squared, (arr(2, 2),), 0),
        (constructed, (arr(3), arr(3)), (0, 1)),
        (builtin_complex, (0.7, -1.3), (0, 1)),
        (cast_to_complex, (arr(3),), 0),
        (cast_to_real, (arr(3),), 0),
        (conversions, (arr(3),), 0),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_real_arguments_through_complex_values(f, args, wrt):
    run(f, *args, wrt=wrt)
    gradients = grad(f, wrt=wrt)(*args)
    for g in gradients if isinstance(gradients, tuple) else (gradients,):
        assert not np.iscomplexobj(g)


def test_closed_forms_through_complex_values():
    theta, y = arr(4), arr(4)
    d_theta, d_y = grad(phase_magnitude, wrt=(0, 1))(theta, y)
    np.testing.assert_allclose(d_theta, 0.0, atol=1e-15)
    np.testing.assert_allclose(d_y, 2 * y)
    x = arr(3)
    # |x (1 + 2i) + i x^2|^2 = x^2 + (2x + x^2)^2
    np.testing.assert_allclose(
        grad(modulus_squared)(x), 2 * x + 2 * (2 * x + x**2) * (2 + 2 * x)
    )


def test_mixed_real_and_complex_arguments():
    def mixed(x, z):
        return np.sum(np.abs(np.exp(1j * x) * z + x * z**2) ** 2)

    x, z = arr(3), carr(3)
    gx, gz = grad(mixed, wrt=(0, 1))(x, z)
    assert gx.dtype == np.float64 and gz.dtype == np.complex128
    run(mixed, x, z, wrt=(0, 1))


def test_hessian_of_a_real_function_through_complex_values():
    x = arr(3)
    h = hessian(phase_real_one)(x)
    g = grad(phase_real_one)
    eps = 1e-5
    numeric = np.stack(
        [(g(x + eps * e) - g(x - eps * e)) / (2 * eps) for e in np.eye(3)], axis=1
    )
    assert not np.iscomplexobj(h)
    np.testing.assert_allclose(h, numeric, rtol=1e-6, atol=1e-8)


def phase_real_one(x):
    return np.real(np.sum(np.exp(1j * x) * x * W3))


V3 = arr(3)


def third_order_probe(x):
    # d/dx of this is H(x) v: check_grad(order=2) on it checks third derivatives
    return np.sum(grad(phase_magnitude_one)(x) * V3)


def phase_magnitude_one(x):
    return np.sum(np.abs(np.exp(1j * x**2) * x + np.conj(W3) * x) ** 2)


def third_order_complex(z):
    return np.sum(np.real(grad(abs_of)(z) * W3))


def test_third_order():
    check_grad(third_order_probe, arr(3), order=2, rtol=1e-4, atol=1e-6)
    check_grad(third_order_complex, carr(3), order=2, rtol=1e-4, atol=1e-6)


def test_numerical_grad_follows_the_convention():
    z = carr(3)
    np.testing.assert_allclose(
        numerical_grad(lambda_free_abs2, z), 2 * np.conj(z), rtol=1e-8
    )


# ---------------------------------------------------------------------------
# Control flow, in-place updates, calls and lists with complex values


def in_a_loop(x):
    z = 1.0 + 0j
    for i in range(3):
        z = z * np.exp(1j * x[i]) + x[i]
    return np.abs(z) ** 2


def accumulated_in_a_loop(x, y):
    acc = np.zeros(2)
    for k in range(3):
        w = np.exp(1j * x * k) * y
        acc = acc + np.real(w * np.conj(w + 1.0))
    return np.sum(acc)


def updated_in_place(x):
    z = x * (1 + 2j)
    z += np.exp(1j * x)
    z *= x
    return np.sum(np.abs(z))


def in_a_branch(x):
    z = np.exp(1j * x)
    if x[0] > 0:
        z = z * z
    else:
        z = z + 1.0
    return np.sum(z.real * z.imag)


def item_assigned(x):
    z = np.exp(1j * x)
    z[1] = z[0] * 2.0
    return np.sum(np.abs(z + x) ** 2)


def helper(z):
    return z * np.conj(z) + z


def through_a_call(x):
    return np.sum(np.real(helper(x * 1j + 0.5)))


def in_a_list(x):
    zs = []
    for i in range(2):
        zs.append(np.exp(1j * x[i]) * x)
    return np.sum(np.abs(np.stack(zs)) ** 2 + np.angle(zs[0] + 2.0))


def in_a_while_loop(z, x):
    n = 0
    while n < 3:
        z = z * z * 0.5 + x
        n += 1
    return np.sum(np.abs(z))


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (in_a_loop, (arr(3),), 0),
        (accumulated_in_a_loop, (arr(2), arr(2)), (0, 1)),
        (updated_in_place, (arr(3),), 0),
        (in_a_branch, (np.abs(arr(3)),), 0),
        (in_a_branch, (-np.abs(arr(3)),), 0),
        (item_assigned, (arr(3),), 0),
        (through_a_call, (arr(3),), 0),
        (in_a_list, (arr(3),), 0),
        (in_a_while_loop, (carr(3) * 0.5, arr(3)), (0, 1)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_control_flow(f, args, wrt):
    run(f, *args, wrt=wrt)


# ---------------------------------------------------------------------------
# Refused: rules written for reals, and complex outputs


def norm_of(z):
    return np.linalg.norm(z)


def complex_sum(z):
    return np.sum(z * z)


def written_into_complex(x):
    z = np.zeros(3, dtype=complex)
    z[0] = x[0] * 1j + x[1]
    z[1:] = np.exp(1j * x[1:])
    return np.sum(np.abs(z * W3) ** 2)


def cast_complex_to_real(z):
    return np.sum(np.sin(z.astype(np.float64))) + np.float64(z[0]) ** 2


def test_writes_into_complex_arrays_and_casts():
    run(written_into_complex, arr(3))
    # a cast to reals keeps the real parts (NumPy warns): their derivative
    with np.errstate(all="ignore"), pytest.warns(np.exceptions.ComplexWarning):
        z = carr(3)
        g = grad(cast_complex_to_real)(z)
    expected = np.cos(z.real) + np.array([2 * z.real[0], 0.0, 0.0])
    np.testing.assert_allclose(g, expected.astype(complex))


def test_jvp_of_complex_values():
    # a complex output's tangent is complex; of a Python complex too
    z, t = carr(3), carr(3)
    value, tangent = jvp(complex_sum, (z,), (t,))
    np.testing.assert_allclose(tangent, np.sum(2 * z * t))
    _, tangent = jvp(builtin_complex, (0.7, -1.3), (1.0, 0.5))
    expected = numerical_grad(builtin_complex, 0.7, -1.3, wrt=(0, 1))
    assert tangent == pytest.approx(expected[0] + 0.5 * expected[1])


def test_vjp_of_a_complex_output():
    # a complex cotangent u = dL/du - i dL/dv; a real argument's part is real
    x = arr(3)
    _, pullback = adcompiler.vjp(phase_times_x, x)
    u = carr(3)
    expected = np.real(u * (1j * np.exp(1j * x) * x + np.exp(1j * x)))
    np.testing.assert_allclose(pullback(u)[0], expected)


def phase_times_x(x):
    return np.exp(1j * x) * x


def tree_of_complex(p):
    return np.sum(np.abs(p["a"] * p["b"][0]) ** 2) + abs(p["b"][1] * p["c"]) ** 2


def test_trees_of_complex_values():
    p = {"a": carr(2), "b": [0.5 - 1j, 2.0 + 1j], "c": 0.7}
    g = grad(tree_of_complex)(p)
    assert isinstance(g["b"][0], complex) and isinstance(g["c"], float)
    check_grad(tree_of_complex, p, order=2)


def test_jacobians_of_complex_values_are_refused():
    # a Jacobian's blocks are real: a complex argument has two directions
    z = carr(3)
    with pytest.raises(adcompiler.WrtError, match="complex argument"):
        hessian(abs_of)(z)
    with pytest.raises(adcompiler.WrtError, match="complex argument"):
        adcompiler.jacobian(abs_of)(z)
    for mode in ("rev", "fwd"):
        with pytest.raises(OutputError, match="complex output"):
            adcompiler.jacobian(phase, mode=mode)(arr(3))
    # hvp takes complex directions
    v = carr(3)
    h = adcompiler.hvp(abs_of)(z, v)
    eps = 1e-6
    numeric = (grad(abs_of)(z + eps * v) - grad(abs_of)(z - eps * v)) / (2 * eps)
    np.testing.assert_allclose(h, numeric, rtol=1e-6)


def phase(x):
    return np.exp(1j * x)


def test_refused_cases_raise():
    z = carr(3)
    with pytest.raises(NoRuleError, match=r"np\.linalg\.norm of a complex operand"):
        grad(norm_of)(z)
    with pytest.raises(NoRuleError, match=r"np\.linalg\.norm of a complex operand"):
        jvp(norm_of, (z,), (z,))
    # a real operand is fine
    check_grad(norm_of, arr(3))
    with pytest.raises(OutputError, match="complex"):
        grad(complex_sum)(z)
    with pytest.raises(adcompiler.WrtError, match="int"):
        grad(complex_sum)(np.arange(3))


#: a complex matrix whose product's adjoint comes back complex at a real
#: operand (the product's rule does not take real parts itself); its own
#: generator, so the arrays the tests above draw stay those they were
_CM_RNG = np.random.default_rng(1702)
CM = _CM_RNG.normal(size=(3, 3)) + 1j * _CM_RNG.normal(size=(3, 3))


def write_item(x):
    a = np.zeros(3)
    a[0] = x[0] * np.exp(1j * x[1])
    a[1:] = x[1:]
    return np.sum(np.abs(a @ CM) ** 2)


def write_slice_in_loop(x):
    a = np.zeros((2, 3))
    for i in range(2):
        a[i] = x * np.exp(1j * x * (i + 1))
    return np.sum(np.abs(a @ CM) ** 2)


def write_into_a_copy(x):
    a = x * 1.0
    a[1:] = a[1:] + x[:2] * np.exp(1j * x[1:])
    return np.sum(np.abs(np.fft.fft(a) @ CM) ** 2)


@pytest.mark.parametrize(
    "f", [write_item, write_slice_in_loop, write_into_a_copy], ids=lambda f: f.__name__
)
def test_complex_values_written_into_a_real_array(f):
    # NumPy keeps the real parts (a ComplexWarning): the values written get
    # the real part of the adjoint that comes back (it was complex here,
    # through the complex product, and a wrong gradient before)
    with np.errstate(all="ignore"), pytest.warns(np.exceptions.ComplexWarning):
        run(f, _CM_RNG.normal(size=3))
