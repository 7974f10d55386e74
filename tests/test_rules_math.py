"""Rules for the ``math`` module and Python builtins, through the whole pipeline.

Gradients are compared with central finite differences in float64
(``check_grad`` / ``numerical_grad``) or, at ties, with closed forms.
Python floats in give Python floats out.
"""

import math

import numpy as np
import pytest

from adcompiler import check_grad, grad, numerical_grad

# ---------------------------------------------------------------------------
# math, one argument (the result is multiplied by x so the adjoint reaching
# the rule is not 1)


def m_sin(x):
    return math.sin(x) * x


def m_cos(x):
    return math.cos(x) * x


def m_tan(x):
    return math.tan(x) * x


def m_asin(x):
    return math.asin(x) * x


def m_acos(x):
    return math.acos(x) * x


def m_atan(x):
    return math.atan(x) * x


def m_exp(x):
    return math.exp(x) * x


def m_expm1(x):
    return math.expm1(x) * x


def m_log(x):
    return math.log(x) * x


def m_log1p(x):
    return math.log1p(x) * x


def m_log2(x):
    return math.log2(x) * x


def m_log10(x):
    return math.log10(x) * x


def m_sqrt(x):
    return math.sqrt(x) * x


def m_fabs(x):
    return math.fabs(x) * x


def m_sinh(x):
    return math.sinh(x) * x


def m_cosh(x):
    return math.cosh(x) * x


def m_tanh(x):
    return math.tanh(x) * x


def b_abs(x):
    return abs(x) * x


def b_float(x):
    return float(x) * x


def b_float_of_array(x):
    return float(np.sum(x * x)) * 3.0


# (function, points): each point is its own case
MATH_UNARY = [
    (m_sin, [-2.5, 0.3, 1.7]),
    (m_cos, [-2.5, 0.3, 1.7]),
    (m_tan, [-1.2, 0.3, 1.1]),
    (m_asin, [-0.9, 0.2, 0.8]),
    (m_acos, [-0.9, 0.2, 0.8]),
    (m_atan, [-3.0, 0.2, 2.5]),
    (m_exp, [-2.0, 0.3, 1.5]),
    (m_expm1, [-2.0, 0.3, 1.5]),
    (m_log, [0.2, 1.3, 4.0]),
    (m_log1p, [-0.5, 0.3, 4.0]),
    (m_log2, [0.2, 1.3, 4.0]),
    (m_log10, [0.2, 1.3, 4.0]),
    (m_sqrt, [0.2, 1.3, 4.0]),
    (m_fabs, [-1.5, 0.3, 2.0]),
    (m_sinh, [-2.0, 0.3, 1.5]),
    (m_cosh, [-2.0, 0.3, 1.5]),
    (m_tanh, [-2.0, 0.3, 1.5]),
    (b_abs, [-1.5, 0.3, 2.0]),
    (b_float, [-1.5, 0.3, 2.0]),
]
UNARY_CASES = [(f, x) for f, points in MATH_UNARY for x in points]


@pytest.mark.parametrize(
    "f, x", UNARY_CASES, ids=[f"{f.__name__}-{x}" for f, x in UNARY_CASES]
)
def test_math_unary(f, x):
    g = grad(f)(x)
    assert type(g) is float
    check_grad(f, x)


def test_float_of_numpy_values():
    x = np.array([0.5, -1.5, 2.0])
    check_grad(b_float_of_array, x)
    x0 = np.array(1.25)
    g = grad(b_float_of_array)(x0)
    assert isinstance(g, np.ndarray) and g.shape == () and float(g) == 7.5
    g32 = grad(b_float_of_array)(np.float32(1.25))
    assert type(g32) is np.float32 and g32 == np.float32(7.5)


# ---------------------------------------------------------------------------
# math and builtins, two or more arguments (all differentiable)


def m_log_base(x, b):
    return math.log(x, b) * x


def m_atan2(y, x):
    return math.atan2(y, x) * y


def m_pow(x, y):
    return math.pow(x, y) * x


def m_hypot(x, y):
    return math.hypot(x, y) * x


def m_hypot3(x, y, z):
    return math.hypot(x, y, z) * x


def m_hypot1(x):
    return math.hypot(x) * x


def b_pow(x, y):
    return pow(x, y) * x


def b_max2(x, y):
    return max(x, y) * x


def b_min2(x, y):
    return min(x, y) * x


def b_max3(x, y, z):
    return max(x, y, z) * z


def b_min3(x, y, z):
    return min(x, y, z) * z


def b_max_list(x, y, z):
    return max([x, y, z]) * z


def b_min_list(x, y, z):
    return min([x, y, z]) * z


def b_max_tuple(x, y, z):
    return max((x, y, z)) * z


def b_sum_list(x, y, z):
    return sum([x, y * y, z]) * z


def b_sum_start(x, y, z):
    return sum([x, y * x], z) * x


# (function, points): each point is a tuple of arguments
MATH_NARY = [
    (m_log_base, [(0.5, 2.0), (3.0, 10.0), (2.5, 0.5)]),
    (m_atan2, [(0.5, 2.0), (-1.0, 0.5), (0.7, -1.3), (-0.4, -0.9)]),
    (m_pow, [(0.5, 2.0), (1.7, -1.5), (2.5, 0.5)]),
    (m_hypot, [(0.5, 2.0), (-1.0, 0.5), (3.0, -4.0)]),
    (m_hypot3, [(0.5, 2.0, -1.0), (-3.0, 0.5, 1.5)]),
    (m_hypot1, [(-1.5,), (2.0,)]),
    (b_pow, [(0.5, 2.0), (1.7, -1.5), (2.5, 0.5)]),
    (b_max2, [(0.5, 2.0), (1.5, -1.0)]),
    (b_min2, [(0.5, 2.0), (1.5, -1.0)]),
    (b_max3, [(0.5, 2.0, 1.0), (2.5, -1.0, 1.0), (0.5, -1.0, 1.0)]),
    (b_min3, [(0.5, 2.0, 1.0), (2.5, -1.0, 1.0), (0.5, 2.0, -1.0)]),
    (b_max_list, [(0.5, 2.0, 1.0), (2.5, -1.0, 1.0), (0.5, -1.0, 1.0)]),
    (b_min_list, [(0.5, 2.0, 1.0), (2.5, -1.0, 1.0), (0.5, 2.0, -1.0)]),
    (b_max_tuple, [(0.5, 2.0, 1.0), (0.5, -1.0, 1.0)]),
    (b_sum_list, [(0.5, 2.0, 1.0), (2.5, -1.0, 1.5)]),
    (b_sum_start, [(0.5, 2.0, 1.0), (2.5, -1.0, 1.5)]),
]
NARY_CASES = [(f, args) for f, points in MATH_NARY for args in points]


@pytest.mark.parametrize(
    "f, args",
    NARY_CASES,
    ids=[f"{f.__name__}-{'-'.join(map(str, a))}" for f, a in NARY_CASES],
)
def test_math_nary_all_arguments(f, args):
    wrt = tuple(range(len(args)))
    grads = grad(f, wrt=wrt)(*args)
    assert all(type(g) is float for g in grads)
    check_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize(
    "f, args",
    NARY_CASES,
    ids=[f"{f.__name__}-{'-'.join(map(str, a))}" for f, a in NARY_CASES],
)
def test_math_nary_each_argument_alone(f, args):
    # only one argument is active: the others' rules must not interfere
    for i in range(len(args)):
        g = grad(f, wrt=i)(*args)
        assert type(g) is float
        assert g == pytest.approx(
            numerical_grad(f, *args, wrt=i), rel=1e-6, abs=1e-8
        ), f"wrt={i}"


# A constant on one side, written in the source.


def c_log_base2(x):
    return math.log(x, 2.0)


def c_log_of_constant(b):
    return math.log(8.0, b)


def c_atan2_const_x(y):
    return math.atan2(y, -1.5)


def c_atan2_const_y(x):
    return math.atan2(0.7, x)


def c_pow_const_exponent(x):
    return math.pow(x, 3)


def c_pow_const_float_exponent(x):
    return math.pow(x, 2.5)


def c_pow_const_base(x):
    return math.pow(2.0, x)


def c_hypot_const(x):
    return math.hypot(x, 2.0)


def c_builtin_pow_const(x):
    return pow(x, 3) + pow(2.0, x)


def c_max_const(x):
    return max(x, 0.25) * x


def c_min_const(x):
    return min(0.25, x) * x


def c_max3_const(x):
    return max(x, -3.0, 0.25) * x


def c_sum_floats_const(x):
    return sum([x, 2.0, x * x])


CONST_MATH = [
    (c_log_base2, [0.5, 3.0]),
    (c_log_of_constant, [0.5, 3.0]),
    (c_atan2_const_x, [-0.5, 1.5]),
    (c_atan2_const_y, [-0.5, 1.5]),
    (c_pow_const_exponent, [-0.5, 1.5]),
    (c_pow_const_float_exponent, [0.5, 1.5]),
    (c_pow_const_base, [-0.5, 1.5]),
    (c_hypot_const, [-0.5, 1.5]),
    (c_builtin_pow_const, [-0.5, 1.5]),
    (c_max_const, [-0.5, 1.5]),
    (c_min_const, [-0.5, 1.5]),
    (c_max3_const, [-0.5, 1.5]),
    (c_sum_floats_const, [-0.5, 1.5]),
]
CONST_CASES = [(f, x) for f, points in CONST_MATH for x in points]


@pytest.mark.parametrize(
    "f, x", CONST_CASES, ids=[f"{f.__name__}-{x}" for f, x in CONST_CASES]
)
def test_math_with_constant(f, x):
    g = grad(f)(x)
    assert type(g) is float
    check_grad(f, x)


# ---------------------------------------------------------------------------
# builtin sum over a list of arrays and floats


def sum_arrays(x, y, z):
    return np.sum(sum([x, y, z * z]) * np.cos(x))


def sum_mixed(x, s, y):
    return np.sum(sum([x, s, y]) ** 2)


SUM_SHAPES = {
    "vec-vec-vec": ((4,), (4,), (4,)),
    "mat-vec-0d": ((3, 4), (4,), ()),
    "mat-col-row": ((3, 4), (3, 1), (1, 4)),
}


@pytest.mark.parametrize("shapes", SUM_SHAPES.values(), ids=SUM_SHAPES.keys())
def test_builtin_sum_of_arrays(shapes):
    rng = np.random.default_rng(0)
    args = [rng.uniform(-1, 1, size=shape) for shape in shapes]
    check_grad(sum_arrays, *args, wrt=(0, 1, 2))


def test_builtin_sum_of_arrays_and_a_float():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(3, 4))
    y = rng.uniform(-1, 1, size=(4,))
    g_x, g_s, g_y = grad(sum_mixed, wrt=(0, 1, 2))(x, 0.75, y)
    assert type(g_s) is float
    assert g_y.shape == (4,)
    check_grad(sum_mixed, x, 0.75, y, wrt=(0, 1, 2))


# ---------------------------------------------------------------------------
# float32 and NumPy scalars through builtins


def b_abs_array(x):
    return np.sum(abs(x) * x)


def b_pow_array(x, y):
    return np.sum(pow(x, y))


def test_builtin_abs_and_pow_on_float32_arrays():
    x = np.array([[-1.5, 0.5], [2.0, -0.25]], dtype=np.float32)
    g = grad(b_abs_array)(x)
    assert g.dtype == np.float32
    check_grad(b_abs_array, x)
    b = np.array([0.5, 1.5], dtype=np.float32)
    e = np.array([[1.5, -0.5], [2.0, 0.25]], dtype=np.float32)
    g_b, g_e = grad(b_pow_array, wrt=(0, 1))(b, e)
    assert g_b.dtype == np.float32 and g_b.shape == (2,)
    assert g_e.dtype == np.float32
    check_grad(b_pow_array, b, e, wrt=(0, 1))


# ---------------------------------------------------------------------------
# math and builtins on NumPy scalars (np.sum results) and 1-D arrays


def m_fabs_of_numpy(x):
    return math.fabs(np.sum(x * x) - 3.0) * 2.0


def m_log_of_numpy(x):
    return math.log(np.sum(x * x), 2.0)


def m_pow_of_numpy(x, y):
    return math.pow(np.sum(x * x), y)


def b_max_of_numpy(x, y):
    return max(np.sum(x), y) * 2.0


def b_min_of_numpy(x, y):
    return min(y, np.sum(x)) * 2.0


def b_max_of_array(x):
    return max(x) * 3.0


def b_min_of_array(x):
    return min(x) * 3.0


def b_sum_of_matrix(x):
    # builtin sum iterates over the first axis
    return np.sum(sum(x) * np.array([1.0, -2.0, 0.5, 3.0]))


@pytest.mark.parametrize(
    "x", [np.array([0.5, 2.0]), np.array([1.0, -1.0])], ids=["above", "below"]
)
def test_math_fabs_of_numpy_scalar(x):
    check_grad(m_fabs_of_numpy, x)


def test_math_fabs_of_numpy_scalar_at_zero():
    x = np.array([1.0, 1.0, 1.0])  # sum(x * x) - 3.0 is exactly 0.0
    np.testing.assert_array_equal(grad(m_fabs_of_numpy)(x), [0.0, 0.0, 0.0])


def test_math_log_and_pow_of_numpy_scalar():
    x = np.array([0.5, -1.5, 2.0])
    check_grad(m_log_of_numpy, x)
    check_grad(m_pow_of_numpy, x, 1.5, wrt=(0, 1))


@pytest.mark.parametrize("f", [b_max_of_numpy, b_min_of_numpy], ids=["max", "min"])
def test_builtin_extremum_of_numpy_scalar(f):
    x = np.array([1.0, 2.5])
    for y in (1.0, 5.0):
        check_grad(f, x, y, wrt=(0, 1))


@pytest.mark.parametrize("f", [b_max_of_numpy, b_min_of_numpy], ids=["max", "min"])
def test_builtin_extremum_tie_with_numpy_scalar(f):
    # np.sum(x) == y == 3.0: each side gets half of the adjoint 2.0
    g_x, g_y = grad(f, wrt=(0, 1))(np.array([1.0, 2.0]), 3.0)
    np.testing.assert_array_equal(g_x, [1.0, 1.0])
    assert g_y == 1.0


@pytest.mark.parametrize("f", [b_max_of_array, b_min_of_array], ids=["max", "min"])
def test_builtin_extremum_of_array(f):
    check_grad(f, np.array([0.5, -1.5, 2.0, 1.0]))


@pytest.mark.parametrize(
    "f, x, expected",
    [
        (b_max_of_array, [1.0, 3.0, -2.0, 3.0], [0.0, 1.5, 0.0, 1.5]),
        (b_min_of_array, [1.0, -3.0, -3.0, -3.0], [0.0, 1.0, 1.0, 1.0]),
    ],
    ids=["max", "min"],
)
def test_builtin_extremum_of_array_ties(f, x, expected):
    np.testing.assert_allclose(grad(f)(np.array(x)), expected, rtol=1e-15)


def test_builtin_sum_of_array_iterates_first_axis():
    x = np.random.default_rng(2).uniform(-1, 1, size=(3, 4))
    check_grad(b_sum_of_matrix, x)
    check_grad(b_sum_of_matrix, x[0])


def m_pow_zero(x):
    return math.pow(x, 0) + math.pow(x, 0.0)


def p_pow_zero(x):
    return x**0 * 2.0


@pytest.mark.parametrize("f", [m_pow_zero, p_pow_zero], ids=["math.pow", "**"])
@pytest.mark.parametrize("x", [0.0, -1.5, 2.0])
def test_power_zero_exponent_has_zero_derivative(f, x):
    # x ** 0 == 1 everywhere, so the derivative is 0, also at x == 0
    g = grad(f)(x)
    assert type(g) is float and g == 0.0


def test_math_on_numpy_float64_scalar_gives_numpy_scalar():
    g = grad(m_sin)(np.float64(0.3))
    assert type(g) is np.float64
    assert g == pytest.approx(math.cos(0.3) * 0.3 + math.sin(0.3))


# ---------------------------------------------------------------------------
# Tie conventions, against closed forms


def abs_only(x):
    return abs(x)


def fabs_only(x):
    return math.fabs(x)


@pytest.mark.parametrize("f", [abs_only, fabs_only], ids=["abs", "math.fabs"])
def test_abs_derivative_at_zero_is_zero(f):
    g = grad(f)(0.0)
    assert type(g) is float and g == 0.0
    assert grad(f)(-0.0) == 0.0
    assert grad(f)(-2.0) == -1.0 and grad(f)(2.0) == 1.0


def max2(x, y):
    return max(x, y)


def min2(x, y):
    return min(x, y)


def max3(x, y, z):
    return max(x, y, z)


def min3(x, y, z):
    return min(x, y, z)


def max_list(x, y, z):
    return max([x, y, z])


def min_list(x, y, z):
    return min([x, y, z])


@pytest.mark.parametrize("f", [max2, min2], ids=["max", "min"])
def test_builtin_extremum_two_way_tie(f):
    g = grad(f, wrt=(0, 1))(1.5, 1.5)
    assert g == (0.5, 0.5)
    assert all(type(v) is float for v in g)


@pytest.mark.parametrize("f", [max2, min2], ids=["max", "min"])
def test_builtin_extremum_no_tie(f):
    expected = (0.0, 1.0) if f is max2 else (1.0, 0.0)
    assert grad(f, wrt=(0, 1))(1.0, 2.0) == expected


@pytest.mark.parametrize(
    "f, args, expected",
    [
        (max3, (2.0, 2.0, 1.0), (0.5, 0.5, 0.0)),
        (max3, (2.0, 2.0, 2.0), (1 / 3, 1 / 3, 1 / 3)),
        (min3, (1.0, 2.0, 1.0), (0.5, 0.0, 0.5)),
        (max_list, (2.0, 1.0, 2.0), (0.5, 0.0, 0.5)),
        (min_list, (0.0, 0.0, 1.0), (0.5, 0.5, 0.0)),
        (max_list, (2.0, 2.0, 2.0), (1 / 3, 1 / 3, 1 / 3)),
    ],
    ids=["max3-two", "max3-three", "min3-two", "max-list", "min-list", "max-list-3"],
)
def test_builtin_extremum_ties_share_equally(f, args, expected):
    g = grad(f, wrt=(0, 1, 2))(*args)
    assert g == pytest.approx(expected, rel=1e-15)
    assert all(type(v) is float for v in g)


def max_with_constant(x):
    return max(x, 1.0)


def test_builtin_max_tie_with_constant_gives_half():
    assert grad(max_with_constant)(1.0) == 0.5
    assert grad(max_with_constant)(2.0) == 1.0
    assert grad(max_with_constant)(0.0) == 0.0
