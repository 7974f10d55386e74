"""Rules that used to be silently wrong (issue 15, items 8-12, 15 and two
crashes): each reproducer is checked against central finite differences in
float64, a closed form, or Python's own value, in reverse mode, forward mode
(``jvp``) and to second order (Hessian-vector products) where a derivative
exists; where the issue says refuse, the call must raise an ``ADError``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import adcompiler
from adcompiler import ADError, check_grad, grad, hessian, jvp
from adcompiler.testing import numerical_grad


def jvp_matches_fd(f, args, tangents, eps=1e-6):
    """Forward mode's J v against a central difference along ``v``."""
    args, tangents = tuple(args), tuple(tangents)
    _, tangent = jvp(f, args, tangents)
    up = f(*(a + eps * t for a, t in zip(args, tangents)))
    down = f(*(a - eps * t for a, t in zip(args, tangents)))
    np.testing.assert_allclose(tangent, (up - down) / (2 * eps), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------
# 8. reshape, ravel and flatten with order=


W6 = np.arange(6.0)
W32 = np.arange(6.0).reshape(3, 2) * 0.5 - 1.0


def reshape_f_method(x):
    return np.sum(x.reshape(3, 2, order="F") * np.arange(6.0).reshape(3, 2))


def reshape_f_function(x):
    return np.sum(np.sin(np.reshape(x, (3, 2), "F")) * W32)


def reshape_c(x):
    return np.sum(np.reshape(x, (3, 2), order="C") ** 3 * W32)


def ravel_f(x):
    return np.sum(np.ravel(x, order="F") ** 2 * W6)


def ravel_f_method(x):
    return np.sum(np.exp(x.ravel("F")) * W6)


def flatten_f(x):
    return np.sum(x.flatten(order="F") ** 3 * W6)


def flatten_f_positional(x):
    return np.sum(np.cos(x.flatten("F")) * W6)


X23 = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.7]])


def test_reshape_order_f_reproducer():
    # the reproducer of the issue: sum(reshape(x, F) * w) is linear, with
    # gradient w read back in Fortran order
    expected = np.reshape(np.arange(6.0).reshape(3, 2), (2, 3), order="F")
    np.testing.assert_array_equal(grad(reshape_f_method)(X23), expected)
    np.testing.assert_allclose(
        grad(reshape_f_method)(X23), numerical_grad(reshape_f_method, X23)
    )


@pytest.mark.parametrize(
    "f",
    [
        reshape_f_method,
        reshape_f_function,
        reshape_c,
        ravel_f,
        ravel_f_method,
        flatten_f,
        flatten_f_positional,
    ],
)
def test_order_in_every_mode(f):
    check_grad(f, X23, order=2)  # reverse vs FD, forward vs reverse, HVP vs FD
    jvp_matches_fd(f, (X23,), (np.arange(6.0).reshape(2, 3) - 2.5,))


def reshape_a(x):
    return np.sum(x.reshape(3, 2, order="A") * W32)


def ravel_k(x):
    return np.sum(np.ravel(x, order="K") * W6)


def flatten_a(x):
    return np.sum(x.flatten("A") * W6)


@pytest.mark.parametrize("f", [reshape_a, ravel_k, flatten_a])
def test_layout_orders_refused(f):
    with pytest.raises(ADError, match="order"):
        grad(f)(X23)
    with pytest.raises(ADError, match="order"):
        jvp(f, (X23,), (np.ones((2, 3)),))


# ---------------------------------------------------------------------------
# 9. %, np.mod, np.remainder, np.fmod, math.fmod

# points away from the jumps of the quotient, with both signs of x and y
XM = np.array([0.3, 1.7, -2.3, 5.5])
YM = np.array([0.7, -0.45, 0.8, -1.3])


def mod_operator(x, y):
    return np.sum((x % y) ** 2 * x)


def mod_function(x, y):
    return np.sum(np.sin(np.mod(x, y)) * y)


def remainder_function(x, y):
    return np.sum(np.remainder(x * y, y) ** 3)


def fmod_function(x, y):
    return np.sum(np.fmod(x, y) ** 2 * y)


def mod_constant(x, y):
    return np.sum((x % 0.7) * x) + np.sum(y)


@pytest.mark.parametrize(
    "f", [mod_operator, mod_function, remainder_function, fmod_function, mod_constant]
)
@pytest.mark.parametrize("wrt", [0, 1])
def test_remainders_against_fd(f, wrt):
    check_grad(f, XM, YM, wrt=wrt, order=2)


def test_mod_closed_form():
    # d(x % y)/dx = 1, d(x % y)/dy = -floor(x / y); fmod: -trunc(x / y)
    def plain(x, y):
        return np.sum(x % y)

    def truncated(x, y):
        return np.sum(np.fmod(x, y))

    dx, dy = grad(plain, wrt=(0, 1))(XM, YM)
    np.testing.assert_array_equal(dx, np.ones(4))
    np.testing.assert_array_equal(dy, -np.floor(XM / YM))
    dx, dy = grad(truncated, wrt=(0, 1))(XM, YM)
    np.testing.assert_array_equal(dx, np.ones(4))
    np.testing.assert_array_equal(dy, -np.trunc(XM / YM))


def mod_floats(x, y):
    return (x % y) * x + math.fmod(x, y) * y


@pytest.mark.parametrize("x, y", [(1.7, 0.45), (-2.3, 0.8), (5.5, -1.3)])
def test_python_float_remainders(x, y):
    check_grad(mod_floats, x, y, wrt=(0, 1), order=2)


def test_mod_forward_mode():
    v = np.array([0.5, -1.0, 2.0, 0.25])
    for f in (mod_operator, mod_function, fmod_function):
        jvp_matches_fd(f, (XM, YM), (v, v[::-1]))
    jvp_matches_fd(mod_floats, (1.7, 0.45), (0.3, -0.8))


def test_mod_hessian_closed_form():
    # f = sum((x % y)^2): Hessian in x is 2 I (the quotient is constant)
    def square_mod(x):
        return np.sum((x % 0.7) ** 2)

    np.testing.assert_allclose(hessian(square_mod)(XM), 2.0 * np.eye(4))


def formats_a_string(x):
    label = "%.2f" % x[0]
    return np.sum(x**2) + len(label)


def test_string_formatting_is_not_differentiated():
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(grad(formats_a_string)(x), 2 * x)


# ---------------------------------------------------------------------------
# 11. x ** k with a run-time k = 0 at x = 0

C = [0.5, 2.0, -3.0, 1.5]  # p(x) = 0.5 + 2 x - 3 x^2 + 1.5 x^3


def polynomial_loop(x, n):
    total = 0.0
    for k in range(n):
        total = total + C[k] * x**k
    return np.sum(total)


def polynomial_comprehension(x, n):
    return np.sum(sum([C[k] * x**k for k in range(n)]))


def p_prime(x):
    return 2.0 - 6.0 * x + 4.5 * x**2


@pytest.mark.parametrize("f", [polynomial_loop, polynomial_comprehension])
def test_polynomial_at_zero_arrays(f):
    x = np.array([0.0, 1.0, -0.5])
    np.testing.assert_allclose(grad(f)(x, 4), p_prime(x))
    np.testing.assert_allclose(numerical_grad(f, x, 4), p_prime(x), atol=1e-6)
    # second order: p''(x) = -6 + 9 x on the diagonal
    np.testing.assert_allclose(hessian(f)(x, 4), np.diag(-6.0 + 9.0 * x), atol=1e-12)
    _, tangent = jvp(f, (x, 4), (np.ones(3), 0))
    np.testing.assert_allclose(tangent, np.sum(p_prime(x)))


@pytest.mark.parametrize("f", [polynomial_loop, polynomial_comprehension])
def test_polynomial_at_zero_python_float(f):
    assert grad(f)(0.0, 4) == pytest.approx(p_prime(0.0))
    assert grad(grad(f))(0.0, 4) == pytest.approx(-6.0)
    assert jvp(f, (0.0, 4), (1.0, 0))[1] == pytest.approx(p_prime(0.0))


def runtime_power(x, y):
    return np.sum(x**y)


def float_power(x, y):
    return x**y + math.pow(x, y)


def test_runtime_exponent_zero_at_zero():
    # d(x ** y)/dx at y == 0 is 0 everywhere, also at x == 0
    x = np.array([0.0, 2.0, 0.0, 1.5])
    y = np.array([0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(
        grad(runtime_power)(x, y), np.array([0.0, 0.0, 1.0, 3.0])
    )
    assert grad(float_power)(0.0, 0) == 0.0
    assert grad(float_power)(0.0, 1) == 2.0


def test_exponent_derivative_at_zero_base():
    # d(x ** y)/dy = x ** y log x for x > 0; 0 at x == 0 (JAX's convention:
    # 0 ** y is 0 for every y > 0)
    x = np.array([0.0, 2.0, 0.5])
    y = np.array([2.0, 1.5, 3.0])
    expected = np.where(x > 0, x**y * np.log(np.where(x > 0, x, 1.0)), 0.0)
    np.testing.assert_allclose(grad(runtime_power, wrt=1)(x, y), expected)
    assert grad(float_power, wrt=1)(0.0, 2.0) == 0.0
    check_grad(runtime_power, np.array([0.7, 2.0]), y[:2], wrt=1, order=2)


def base_to_exponent(p):
    return p[0] ** p[1]


@pytest.mark.parametrize(
    "p, expected",
    [
        # x = 0, y = 2: [[y(y-1) x^(y-2), x^(y-1)(1 + y log x)], [., x^y log²x]]
        (np.array([0.0, 2.0]), np.array([[2.0, 0.0], [0.0, 0.0]])),
        # y = 0, x = 1.5: mixed term x^-1, d²/dy² = log(x)²
        (
            np.array([1.5, 0.0]),
            np.array([[0.0, 1 / 1.5], [1 / 1.5, np.log(1.5) ** 2]]),
        ),
        (
            np.array([1.5, 2.5]),
            np.array(
                [
                    [2.5 * 1.5 * 1.5**0.5, 1.5**1.5 * (1 + 2.5 * np.log(1.5))],
                    [1.5**1.5 * (1 + 2.5 * np.log(1.5)), 1.5**2.5 * np.log(1.5) ** 2],
                ]
            ),
        ),
    ],
)
def test_power_hessian_closed_form(p, expected):
    np.testing.assert_allclose(hessian(base_to_exponent)(p), expected, atol=1e-12)


# ---------------------------------------------------------------------------
# 15. np.std / np.var where the standard deviation is 0: derivative 0


def std_one(x):
    return np.std(x)


def var_one(x):
    return np.var(x) * 3.0


def std_method(x):
    return x.std() + x.var()


def std_rows(x):
    # one element per row: every std along axis 1 is 0
    return np.sum(np.std(x, axis=1) * np.array([1.0, 2.0]))


def std_rows_ddof(x):
    return np.sum(np.std(x, axis=0, ddof=1))


def std_equal(x):
    return np.std(x * 0.0 + 2.0) + np.sum(x)


@pytest.mark.parametrize("f", [std_one, var_one, std_method])
def test_single_element_std_var_have_zero_derivative(f):
    x = np.array([1.7])
    np.testing.assert_array_equal(grad(f)(x), [0.0])
    np.testing.assert_array_equal(numerical_grad(f, x), [0.0])  # constant in x
    np.testing.assert_array_equal(hessian(f)(x), [[0.0]])
    assert jvp(f, (x,), (np.ones(1),))[1] == 0.0


def test_zero_std_along_an_axis():
    x = np.array([[0.4], [-1.3]])
    np.testing.assert_array_equal(grad(std_rows)(x), np.zeros((2, 1)))
    np.testing.assert_array_equal(
        hessian(std_rows)(np.array([[0.4], [-1.3]])).shape, (2, 1, 2, 1)
    )
    assert not np.any(np.isnan(hessian(std_rows)(x)))


def test_zero_std_with_ddof():
    # two equal rows: each column's std (ddof=1) is 0 there, a kink: 0;
    # elsewhere the usual derivative, against FD
    x = np.array([[1.0, 0.3], [1.0, -0.4]])
    expected = numerical_grad(std_rows_ddof, x)
    expected[:, 0] = 0.0  # the kink column (FD gives 0 as well: |d| / sqrt 2)
    np.testing.assert_allclose(grad(std_rows_ddof)(x), expected, atol=1e-8)
    _, t = jvp(std_rows_ddof, (x,), (np.array([[0.0, 1.0], [0.0, 0.0]]),))
    assert t == pytest.approx(expected[0, 1])
    check_grad(std_rows_ddof, np.array([[1.0, 0.3], [2.0, -0.4], [0.5, 0.1]]), order=2)


def test_all_equal_elements():
    np.testing.assert_array_equal(grad(std_equal)(np.array([0.5, -1.0])), [1.0, 1.0])


# ---------------------------------------------------------------------------
# Crashes: positional parameters of reductions, and out=


def std_positional(x):
    return np.sum(np.std(x, 0, None, None, 1))


def var_positional_keepdims(x):
    return np.sum(np.var(x, 1, None, None, 0, True) * np.array([[1.0], [2.0], [3.0]]))


def max_positional(x):
    return np.sum(np.max(x, 0, None, True) * np.array([[1.0, -2.0]]))


def sum_positional(x):
    return np.sum(np.sum(x, 1, None, None, True) ** 2)


def mean_method_positional(x):
    return np.sum(x.mean(0, None, None, True) ** 2) + np.sum(x.std(1, None, None, 1))


X32 = np.array([[1.0, 2.0], [2.0, 5.0], [3.0, 3.5]])


@pytest.mark.parametrize(
    "f",
    [
        std_positional,
        var_positional_keepdims,
        max_positional,
        sum_positional,
        mean_method_positional,
    ],
)
def test_positional_parameters_of_reductions(f):
    check_grad(f, X32, order=2)


def test_std_positional_closed_form():
    # d std_ddof1(column)/dx = (x - mean) / ((n - 1) std)
    n = X32.shape[0]
    centred = X32 - X32.mean(axis=0)
    expected = centred / ((n - 1) * X32.std(axis=0, ddof=1))
    np.testing.assert_allclose(grad(std_positional)(X32), expected)


def sum_into_out(x):
    buffer = np.zeros(2)
    y = np.sum(x, axis=0, out=buffer)
    return np.sum(buffer + y)


def std_into_out_positional(x):
    buffer = np.zeros(2)
    y = np.std(x, 0, None, buffer)
    return np.sum(buffer * x[0] + y)


def max_into_out(x):
    buffer = np.zeros(2)
    return np.sum(np.max(x, 0, buffer))


@pytest.mark.parametrize("f", [sum_into_out, std_into_out_positional, max_into_out])
def test_out_is_refused(f):
    with pytest.raises(ADError, match="out="):
        grad(f)(X32)


# ---------------------------------------------------------------------------
# Crash: np.linalg.det at a singular matrix (its rule went through inv)


def det_plain(a):
    return np.linalg.det(a)


def det_squared(a):
    return np.linalg.det(a) ** 2 + np.linalg.det(a * 0.5)


def det_stack(a):
    return np.sum(np.linalg.det(a) * np.array([1.0, -2.0]))


SINGULAR = [
    np.array([[1.0, 2.0], [2.0, 4.0]]),
    np.zeros((2, 2)),
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, -1.0]]),  # rank 2
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]),  # rank 1
    np.outer([1.0, -2.0, 0.5, 3.0], [0.3, 1.0, 2.0, -1.0])
    + np.outer([0.0, 1.0, 1.0, 2.0], [1.0, 0.0, -1.0, 0.5]),  # 4x4, rank 2
]


def cofactor_matrix(a):
    """The cofactors by their definition: signed minors."""
    n = a.shape[0]
    out = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, 0), j, 1)
            out[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


@pytest.mark.parametrize("a", SINGULAR, ids=lambda a: f"{a.shape[0]}x{a.shape[0]}")
def test_det_at_singular_matrices(a):
    np.testing.assert_allclose(grad(det_plain)(a), cofactor_matrix(a), atol=1e-12)
    np.testing.assert_allclose(
        grad(det_plain)(a), numerical_grad(det_plain, a), atol=1e-8
    )
    check_grad(det_squared, a, order=2, atol=1e-6)
    v = np.arange(a.size, dtype=float).reshape(a.shape) / a.size - 0.5
    jvp_matches_fd(det_squared, (a,), (v,))
    # the Hessian against central differences of the (exact) gradient
    n = a.size
    h = 1e-6
    columns = []
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        e = e.reshape(a.shape)
        columns.append((grad(det_squared)(a + e) - grad(det_squared)(a - e)) / (2 * h))
    expected = np.stack(columns, axis=-1).reshape(a.shape + a.shape)
    np.testing.assert_allclose(hessian(det_squared)(a), expected, atol=1e-6)


def test_det_of_a_stack_with_a_singular_matrix():
    a = np.stack([SINGULAR[0], np.array([[2.0, 1.0], [0.5, 3.0]])])
    check_grad(det_stack, a, order=2)


# ---------------------------------------------------------------------------
# 12. np.r_[...] and np.c_[...]


def r_reproducer(x):
    return np.sum(np.r_[x, np.array([4.0, 5.0, 6.0])] * np.arange(6.0))


def r_with_scalars_and_slices(x):
    joined = np.r_[0:3, x**2, 2.0, x[1], 0:1:3j]
    return np.sum(joined * np.arange(11.0) ** 2)


def r_of_matrices(x):
    m = np.reshape(x, (1, 3))
    return np.sum(
        np.sin(np.r_[m, np.ones((2, 3)), m * 2.0]) * np.arange(12.0).reshape(4, 3)
    )


def c_columns(x):
    joined = np.c_[x, x**2, np.ones((3, 2))]
    return np.sum(joined * np.arange(12.0).reshape(3, 4))


def c_scalars(x):
    return np.sum(np.c_[1.0, x[0] ** 3, x[2]] * np.array([[2.0, 3.0, -1.0]]))


def test_r_reproducer():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grad(r_reproducer)(x), [0.0, 1.0, 2.0])


@pytest.mark.parametrize(
    "f", [r_reproducer, r_with_scalars_and_slices, r_of_matrices, c_columns, c_scalars]
)
def test_index_joins_in_every_mode(f):
    x = np.array([0.7, -1.2, 2.0])
    check_grad(f, x, order=2)
    jvp_matches_fd(f, (x,), (np.array([0.3, 1.0, -0.5]),))


def r_directive(x):
    return np.sum(np.r_["0,2", x, x])


def r_open_slice(x):
    return np.sum(np.r_[x, 3:])


def r_runtime_list(x):
    return np.sum(np.r_[[x[0], 1.0], x])


def mgrid_runtime(x):
    return np.sum(np.mgrid[0 : x[0] : 5j])


@pytest.mark.parametrize(
    "f", [r_directive, r_open_slice, r_runtime_list, mgrid_runtime]
)
def test_index_join_forms_without_rules_are_refused(f):
    with pytest.raises(ADError, match=r"np\.(r_|mgrid)"):
        grad(f)(np.array([0.7, -1.2, 2.0]))


def r_runtime_bound(x, n):
    return np.sum(np.r_[x, 0:n] * np.arange(3.0 + n))


def r_active_bound(x):
    return np.sum(np.r_[0 : x[0] * 4.0])


def test_index_join_slice_bounds():
    # a run-time integer bound is a constant to the derivative
    x = np.array([0.7, -1.2, 2.0])
    np.testing.assert_array_equal(grad(r_runtime_bound)(x, 4), [0.0, 1.0, 2.0])
    # a bound the gradient depends on has no derivative: an error, not a 0
    with pytest.raises(ADError, match="arange"):
        grad(r_active_bound)(x)


# ---------------------------------------------------------------------------
# 10. Complex values in the differentiated path are differentiated
# (they were refused before complex differentiation: docs/subset.md)

ZC = np.array([1.0 + 1.0j, 2.0 - 1.0j])


def complex_literal(x):
    return np.sum(np.abs(np.exp(1j * x) + 1))


def complex_astype(x):
    return np.sum(np.abs(x.astype(np.complex128)))


def complex_dtype(x):
    return np.sum(np.abs(np.array(x, dtype=complex)))


def complex_zero_literal(x):
    return np.sum(np.abs(np.sqrt(x - 1.0 + 0j)))


def complex_global(x):
    return np.sum(np.abs(ZC * x))


def complex_argument(x, z):
    return np.sum(np.abs(x * z))


def negative_float_power(x, y):
    return abs(x**y)


def complex_only_in_a_constant(x):
    scale = np.abs(ZC[0] * 2.0)  # complex, but no derivative flows through it
    return np.sum(x**2) * scale


X2 = np.array([0.3, 1.7])


def _complex_fd(f, z, *rest, h=1e-6):
    """Central differences of a real f in the real and imaginary parts of
    z: dL/dx - i dL/dy (autograd's convention, docs/subset.md)."""
    out = np.zeros(np.shape(z), dtype=complex)
    for i in np.ndindex(np.shape(z)):
        e = np.zeros(np.shape(z))
        e[i] = h
        dx = (f(z + e, *rest) - f(z - e, *rest)) / (2 * h)
        dy = (f(z + 1j * e, *rest) - f(z - 1j * e, *rest)) / (2 * h)
        out[i] = dx - 1j * dy
    return out


@pytest.mark.parametrize(
    "f",
    [
        complex_literal,
        complex_astype,
        complex_dtype,
        complex_zero_literal,
        complex_global,
    ],
)
def test_visible_complex_values_are_differentiated(f):
    # these were refused at compile time before complex differentiation
    x = np.array([0.3, 1.7]) if f is not complex_zero_literal else np.array([0.3, 2.7])
    np.testing.assert_allclose(grad(f)(x), numerical_grad(f, x), rtol=1e-6)
    _, t = jvp(f, (x,), (np.ones(2),))
    assert t == pytest.approx(np.sum(numerical_grad(f, x)), rel=1e-6)
    h = hessian(f)(x)
    for k in range(2):
        column = numerical_grad(lambda v: grad(f)(v)[k], x)
        np.testing.assert_allclose(h[k], column, rtol=1e-5, atol=1e-7)


def test_run_time_complex_values_are_differentiated():
    np.testing.assert_allclose(
        grad(complex_argument)(X2, ZC),
        numerical_grad(complex_argument, X2, ZC),
        rtol=1e-6,
    )
    _, pull = adcompiler.vjp(complex_argument, X2, ZC)
    np.testing.assert_allclose(pull(1.0)[0], grad(complex_argument)(X2, ZC))
    # (-2.0) ** 0.5 is complex in Python: |x ** y| = |x| ** y
    gx, gy = grad(negative_float_power, wrt=(0, 1))(-2.0, 0.5)
    assert gx == pytest.approx(-0.5 * 2.0**-0.5)
    assert gy == pytest.approx(2.0**0.5 * math.log(2.0))
    _, t = jvp(negative_float_power, (-2.0, 0.5), (1.0, 0.0))
    assert t == pytest.approx(-0.5 * 2.0**-0.5)


def test_complex_arguments_get_complex_gradients():
    g = grad(complex_argument)(ZC, ZC)
    assert g.dtype == np.complex128
    np.testing.assert_allclose(
        g, _complex_fd(complex_argument, ZC, ZC), rtol=1e-6, atol=1e-8
    )
    g = grad(negative_float_power)(1.0 + 2.0j, 0.5)
    assert isinstance(g, complex)
    expected = _complex_fd(lambda z: abs(complex(z) ** 0.5), np.array(1.0 + 2.0j))
    assert g == pytest.approx(complex(expected), rel=1e-6)


def test_complex_values_off_the_path_are_fine():
    expected = 2 * X2 * np.abs(ZC[0] * 2.0)
    np.testing.assert_allclose(grad(complex_only_in_a_constant)(X2), expected)
    np.testing.assert_allclose(
        numerical_grad(complex_only_in_a_constant, X2), expected, rtol=1e-6
    )


def complex_argument_off_the_path(x, z):
    return np.sum(x**3) * np.abs(z[0])


def test_complex_constant_argument_off_the_path():
    # a complex argument the derivative does not flow through is a constant
    scale = np.abs(ZC[0])
    np.testing.assert_allclose(
        grad(complex_argument_off_the_path)(X2, ZC), 3 * X2**2 * scale
    )
    np.testing.assert_allclose(
        hessian(complex_argument_off_the_path)(X2, ZC), np.diag(6 * X2 * scale)
    )
    _, t = jvp(complex_argument_off_the_path, (X2, ZC), (np.ones(2), np.zeros(2)))
    assert t == pytest.approx(np.sum(3 * X2**2) * scale)
