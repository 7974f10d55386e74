"""Elementwise NumPy rules and Python operators, through the whole pipeline.

Every gradient is compared with an independent answer: central finite
differences in float64 (``check_grad`` / ``numerical_grad``) or, at the
documented non-differentiable points, a closed form.
"""

import numpy as np
import pytest

from adcompiler import check_grad, grad, numerical_grad

# ---------------------------------------------------------------------------
# Inputs


def sample(lo, hi, shape, seed=0, signed=False):
    """Values in [lo, hi] (or +-[lo, hi] if signed) of ``shape``; None: a float."""
    rng = np.random.default_rng(seed)
    size = () if shape is None else shape
    x = rng.uniform(lo, hi, size=size)
    if signed:
        x = x * rng.choice([-1.0, 1.0], size=size)
    return float(x) if shape is None else np.asarray(x)


def grid(shape, seed=0, offset=0.0, low=-8, high=8):
    """Multiples k/4 (low <= k < high) plus ``offset``: two grids with offsets
    0 and 0.125 never come closer than 0.125, so maximum/minimum have no
    near-ties."""
    rng = np.random.default_rng(seed)
    size = () if shape is None else shape
    x = rng.integers(low, high, size=size) * 0.25 + offset
    return float(x) if shape is None else np.asarray(x, dtype=np.float64)


def weights(shape, seed=99):
    """Weights for the output, so the adjoint reaching a rule is not all ones."""
    return sample(0.5, 1.5, shape, seed=seed, signed=True)


SHAPES = {"float": None, "0d": (), "vec": (4,), "mat": (3, 4)}

# ---------------------------------------------------------------------------
# Elementwise, one argument: (name, function, (lo, hi, signed))

UNARY = [
    ("negative", np.negative, (-2.0, 2.0, False)),
    ("positive", np.positive, (-2.0, 2.0, False)),
    ("exp", np.exp, (-2.0, 2.0, False)),
    ("exp2", np.exp2, (-2.0, 2.0, False)),
    ("expm1", np.expm1, (-2.0, 2.0, False)),
    ("log", np.log, (0.2, 3.0, False)),
    ("log2", np.log2, (0.2, 3.0, False)),
    ("log10", np.log10, (0.2, 3.0, False)),
    ("log1p", np.log1p, (-0.5, 2.0, False)),
    ("sqrt", np.sqrt, (0.2, 3.0, False)),
    ("cbrt", np.cbrt, (0.2, 3.0, True)),
    ("square", np.square, (-2.0, 2.0, False)),
    ("reciprocal", np.reciprocal, (0.3, 2.0, True)),
    ("abs", np.abs, (0.2, 2.0, True)),
    ("absolute", np.absolute, (0.2, 2.0, True)),
    ("fabs", np.fabs, (0.2, 2.0, True)),
    ("sin", np.sin, (-3.0, 3.0, False)),
    ("cos", np.cos, (-3.0, 3.0, False)),
    ("tan", np.tan, (-1.2, 1.2, False)),
    ("arcsin", np.arcsin, (-0.9, 0.9, False)),
    ("arccos", np.arccos, (-0.9, 0.9, False)),
    ("arctan", np.arctan, (-3.0, 3.0, False)),
    ("sinh", np.sinh, (-2.0, 2.0, False)),
    ("cosh", np.cosh, (-2.0, 2.0, False)),
    ("tanh", np.tanh, (-2.0, 2.0, False)),
    ("arcsinh", np.arcsinh, (-3.0, 3.0, False)),
    ("arccosh", np.arccosh, (1.1, 3.0, False)),
    ("arctanh", np.arctanh, (-0.9, 0.9, False)),
    ("deg2rad", np.deg2rad, (-100.0, 100.0, False)),
    ("rad2deg", np.rad2deg, (-2.0, 2.0, False)),
    ("radians", np.radians, (-100.0, 100.0, False)),
    ("degrees", np.degrees, (-2.0, 2.0, False)),
]
UNARY_IDS = [name for name, _, _ in UNARY]


def unary_objective(fn):
    """sum(fn(x) * w), with ``fn`` a closure over a local NumPy function."""

    def f(x, w):
        return np.sum(fn(x) * w)

    return f


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("name, fn, domain", UNARY, ids=UNARY_IDS)
def test_unary(name, fn, domain, shape):
    lo, hi, signed = domain
    x = sample(lo, hi, shape, signed=signed)
    f = unary_objective(fn)
    check_grad(f, x, weights(shape))


@pytest.mark.parametrize("name, fn, domain", UNARY, ids=UNARY_IDS)
def test_unary_float32_gives_float32(name, fn, domain):
    lo, hi, signed = domain
    x = sample(lo, hi, (3, 4), signed=signed).astype(np.float32)
    w = weights((3, 4)).astype(np.float32)
    f = unary_objective(fn)
    g = grad(f)(x, w)
    assert isinstance(g, np.ndarray)
    assert g.dtype == np.float32
    assert g.shape == x.shape
    np.testing.assert_allclose(g, numerical_grad(f, x, w), rtol=2e-3, atol=1e-4)


@pytest.mark.parametrize("name, fn, domain", UNARY, ids=UNARY_IDS)
def test_unary_python_float_gives_float(name, fn, domain):
    lo, hi, signed = domain
    x = sample(lo, hi, None, signed=signed)
    f = unary_objective(fn)
    g = grad(f)(x, 1.25)
    assert type(g) is float
    assert g == pytest.approx(numerical_grad(f, x, 1.25), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("shape", [(), (4,)], ids=["0d", "vec"])
@pytest.mark.parametrize("name, fn, domain", UNARY, ids=UNARY_IDS)
def test_unary_array_gradient_keeps_type_and_shape(name, fn, domain, shape):
    lo, hi, signed = domain
    x = sample(lo, hi, shape, signed=signed)
    g = grad(unary_objective(fn))(x, weights(shape))
    assert isinstance(g, np.ndarray)
    assert g.shape == shape
    assert g.dtype == np.float64


# Direct calls by name (no closure), one per rule, so the function is
# resolved as a module attribute in the source.


def f_negative(x):
    return np.sum(np.negative(x) * np.cos(x))


def f_positive(x):
    return np.sum(np.positive(x) * np.cos(x))


def f_exp(x):
    return np.sum(np.exp(x) * np.cos(x))


def f_exp2(x):
    return np.sum(np.exp2(x) * np.cos(x))


def f_expm1(x):
    return np.sum(np.expm1(x) * np.cos(x))


def f_log(x):
    return np.sum(np.log(x) * np.cos(x))


def f_log2(x):
    return np.sum(np.log2(x) * np.cos(x))


def f_log10(x):
    return np.sum(np.log10(x) * np.cos(x))


def f_log1p(x):
    return np.sum(np.log1p(x) * np.cos(x))


def f_sqrt(x):
    return np.sum(np.sqrt(x) * np.cos(x))


def f_cbrt(x):
    return np.sum(np.cbrt(x) * np.cos(x))


def f_square(x):
    return np.sum(np.square(x) * np.cos(x))


def f_reciprocal(x):
    return np.sum(np.reciprocal(x) * np.cos(x))


def f_abs(x):
    return np.sum(np.abs(x) * np.cos(x))


def f_fabs(x):
    return np.sum(np.fabs(x) * np.cos(x))


def f_sin(x):
    return np.sum(np.sin(x) * np.cos(x))


def f_cos(x):
    return np.sum(np.cos(x) * np.sin(x))


def f_tan(x):
    return np.sum(np.tan(x) * np.cos(x))


def f_arcsin(x):
    return np.sum(np.arcsin(x) * np.cos(x))


def f_arccos(x):
    return np.sum(np.arccos(x) * np.cos(x))


def f_arctan(x):
    return np.sum(np.arctan(x) * np.cos(x))


def f_sinh(x):
    return np.sum(np.sinh(x) * np.cos(x))


def f_cosh(x):
    return np.sum(np.cosh(x) * np.cos(x))


def f_tanh(x):
    return np.sum(np.tanh(x) * np.cos(x))


def f_arcsinh(x):
    return np.sum(np.arcsinh(x) * np.cos(x))


def f_arccosh(x):
    return np.sum(np.arccosh(x) * np.cos(x))


def f_arctanh(x):
    return np.sum(np.arctanh(x) * np.cos(x))


def f_deg2rad(x):
    return np.sum(np.deg2rad(x) * np.cos(x))


def f_rad2deg(x):
    return np.sum(np.rad2deg(x) * np.cos(x))


def f_radians(x):
    return np.sum(np.radians(x) * np.cos(x))


def f_degrees(x):
    return np.sum(np.degrees(x) * np.cos(x))


DIRECT_UNARY = [
    (f_negative, (-2.0, 2.0, False)),
    (f_positive, (-2.0, 2.0, False)),
    (f_exp, (-2.0, 2.0, False)),
    (f_exp2, (-2.0, 2.0, False)),
    (f_expm1, (-2.0, 2.0, False)),
    (f_log, (0.2, 3.0, False)),
    (f_log2, (0.2, 3.0, False)),
    (f_log10, (0.2, 3.0, False)),
    (f_log1p, (-0.5, 2.0, False)),
    (f_sqrt, (0.2, 3.0, False)),
    (f_cbrt, (0.2, 3.0, True)),
    (f_square, (-2.0, 2.0, False)),
    (f_reciprocal, (0.3, 2.0, True)),
    (f_abs, (0.2, 2.0, True)),
    (f_fabs, (0.2, 2.0, True)),
    (f_sin, (-3.0, 3.0, False)),
    (f_cos, (-3.0, 3.0, False)),
    (f_tan, (-1.2, 1.2, False)),
    (f_arcsin, (-0.9, 0.9, False)),
    (f_arccos, (-0.9, 0.9, False)),
    (f_arctan, (-3.0, 3.0, False)),
    (f_sinh, (-2.0, 2.0, False)),
    (f_cosh, (-2.0, 2.0, False)),
    (f_tanh, (-2.0, 2.0, False)),
    (f_arcsinh, (-3.0, 3.0, False)),
    (f_arccosh, (1.1, 3.0, False)),
    (f_arctanh, (-0.9, 0.9, False)),
    (f_deg2rad, (-100.0, 100.0, False)),
    (f_rad2deg, (-2.0, 2.0, False)),
    (f_radians, (-100.0, 100.0, False)),
    (f_degrees, (-2.0, 2.0, False)),
]


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize(
    "f, domain", DIRECT_UNARY, ids=[f.__name__[2:] for f, _ in DIRECT_UNARY]
)
def test_unary_direct(f, domain, shape):
    lo, hi, signed = domain
    check_grad(f, sample(lo, hi, shape, seed=1, signed=signed))


# ---------------------------------------------------------------------------
# Elementwise, two broadcast arguments


def uniform_pair(lo_x, hi_x, lo_y, hi_y, signed=False):
    def make(shape_x, shape_y):
        return (
            sample(lo_x, hi_x, shape_x, seed=1, signed=signed),
            sample(lo_y, hi_y, shape_y, seed=2, signed=signed),
        )

    return make


def apart_pair(shape_x, shape_y):
    return grid(shape_x, seed=1), grid(shape_y, seed=2, offset=0.125)


BINARY = [
    ("add", np.add, uniform_pair(-2, 2, -2, 2)),
    ("subtract", np.subtract, uniform_pair(-2, 2, -2, 2)),
    ("multiply", np.multiply, uniform_pair(-2, 2, -2, 2)),
    ("divide", np.divide, uniform_pair(0.5, 2, 0.5, 2, signed=True)),
    ("true_divide", np.true_divide, uniform_pair(0.5, 2, 0.5, 2, signed=True)),
    ("power", np.power, uniform_pair(0.5, 2, -1.5, 2.5)),
    ("maximum", np.maximum, apart_pair),
    ("minimum", np.minimum, apart_pair),
    ("fmax", np.fmax, apart_pair),
    ("fmin", np.fmin, apart_pair),
    ("arctan2", np.arctan2, uniform_pair(0.3, 2, 0.3, 2, signed=True)),
    ("hypot", np.hypot, uniform_pair(0.3, 2, 0.3, 2, signed=True)),
    ("logaddexp", np.logaddexp, uniform_pair(-2, 2, -2, 2)),
    ("logaddexp2", np.logaddexp2, uniform_pair(-2, 2, -2, 2)),
]
BINARY_IDS = [name for name, _, _ in BINARY]

PAIRS = {
    "float-float": (None, None),
    "0d-0d": ((), ()),
    "vec-vec": ((4,), (4,)),
    "mat-mat": ((3, 4), (3, 4)),
    "mat-vec": ((3, 4), (4,)),
    "vec-mat": ((4,), (3, 4)),
    "col-row": ((3, 1), (1, 4)),
    "mat-float": ((3, 4), None),
    "float-mat": (None, (3, 4)),
    "0d-mat": ((), (3, 4)),
    "cube-col": ((2, 3, 4), (3, 1)),
    "col-cube": ((3, 1), (2, 3, 4)),
}


def out_shape(shape_x, shape_y):
    return np.broadcast_shapes(shape_x or (), shape_y or ())


def binary_objective(fn):
    def f(x, y, w):
        return np.sum(fn(x, y) * w)

    return f


@pytest.mark.parametrize("shapes", PAIRS.values(), ids=PAIRS.keys())
@pytest.mark.parametrize("name, fn, make", BINARY, ids=BINARY_IDS)
def test_binary(name, fn, make, shapes):
    x, y = make(*shapes)
    shape = out_shape(*shapes)
    w = weights(shape if shape else None)
    check_grad(binary_objective(fn), x, y, w, wrt=(0, 1))


@pytest.mark.parametrize("name, fn, make", BINARY, ids=BINARY_IDS)
def test_binary_float32_gives_float32(name, fn, make):
    x, y = make((3, 4), (4,))
    x, y = x.astype(np.float32), y.astype(np.float32)
    w = weights((3, 4)).astype(np.float32)
    f = binary_objective(fn)
    g_x, g_y = grad(f, wrt=(0, 1))(x, y, w)
    assert g_x.dtype == np.float32 and g_x.shape == (3, 4)
    assert g_y.dtype == np.float32 and g_y.shape == (4,)
    n_x, n_y = numerical_grad(f, x, y, w, wrt=(0, 1))
    np.testing.assert_allclose(g_x, n_x, rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(g_y, n_y, rtol=2e-3, atol=1e-4)


@pytest.mark.parametrize("name, fn, make", BINARY, ids=BINARY_IDS)
def test_binary_python_floats_give_floats(name, fn, make):
    x, y = make(None, None)
    f = binary_objective(fn)
    g_x, g_y = grad(f, wrt=(0, 1))(x, y, 1.5)
    assert type(g_x) is float and type(g_y) is float
    n_x, n_y = numerical_grad(f, x, y, 1.5, wrt=(0, 1))
    assert g_x == pytest.approx(n_x, rel=1e-6, abs=1e-8)
    assert g_y == pytest.approx(n_y, rel=1e-6, abs=1e-8)


def same_argument_objective(fn):
    def f(x, w):
        return np.sum(fn(x, x) * w)

    return f


@pytest.mark.parametrize("name, fn, make", BINARY, ids=BINARY_IDS)
def test_binary_same_argument_twice(name, fn, make):
    # both rules contribute to one adjoint (for maximum & co., a tie everywhere)
    x, _ = make((3, 4), None)
    check_grad(same_argument_objective(fn), x, weights((3, 4)))


@pytest.mark.parametrize("name, fn, domain", UNARY, ids=UNARY_IDS)
def test_unary_numpy_float32_scalar_gives_float32_scalar(name, fn, domain):
    lo, hi, signed = domain
    x = np.float32(sample(lo, hi, None, signed=signed))
    f = unary_objective(fn)
    g = grad(f)(x, np.float32(0.75))
    assert type(g) is np.float32
    assert g == pytest.approx(numerical_grad(f, x, 0.75), rel=2e-3, abs=1e-4)


# One argument differentiable, the other a Python constant in the source.


def power_const_2(x):
    return np.sum(np.power(x, 2) * np.cos(x))


def power_const_3(x):
    return np.sum(np.power(x, 3) * np.cos(x))


def power_const_half(x):
    return np.sum(np.power(x, 0.5) * np.cos(x))


def power_const_negative(x):
    return np.sum(np.power(x, -1.5) * np.cos(x))


def power_const_zero(x):
    return np.sum(np.power(x, 0.0) * np.cos(x))


def power_const_one(x):
    return np.sum(np.power(x, 1) * np.cos(x))


def power_const_base(x):
    return np.sum(np.power(2.5, x) * np.cos(x))


def maximum_const(x):
    return np.sum(np.maximum(x, 0.125) * np.cos(x))


def minimum_const_left(x):
    return np.sum(np.minimum(0.125, x) * np.cos(x))


def fmax_const(x):
    return np.sum(np.fmax(x, 0.125))


def fmin_const(x):
    return np.sum(np.fmin(0.125, x))


def arctan2_const_x(y):
    return np.sum(np.arctan2(y, -0.5))


def arctan2_const_y(x):
    return np.sum(np.arctan2(0.7, x))


def hypot_const(x):
    return np.sum(np.hypot(x, 1.5) * np.cos(x))


def logaddexp_const(x):
    return np.sum(np.logaddexp(0.5, x))


def logaddexp2_const(x):
    return np.sum(np.logaddexp2(x, 0.5))


def divide_const_numerator(x):
    return np.sum(np.divide(3.0, x))


def subtract_const_left(x):
    return np.sum(np.subtract(3.0, x) * np.cos(x))


def multiply_const(x):
    return np.sum(np.multiply(x, 3.0) * np.cos(x))


def add_const(x):
    return np.sum(np.add(2.0, x) * np.cos(x))


CONST_BINARY = [
    (power_const_2, (0.5, 2.0, False)),
    (power_const_3, (0.5, 2.0, True)),
    (power_const_half, (0.5, 2.0, False)),
    (power_const_negative, (0.5, 2.0, False)),
    (power_const_zero, (0.5, 2.0, False)),
    (power_const_one, (0.5, 2.0, True)),
    (power_const_base, (-1.0, 2.0, False)),
    (maximum_const, (0.3, 2.0, True)),
    (minimum_const_left, (0.3, 2.0, True)),
    (fmax_const, (0.3, 2.0, True)),
    (fmin_const, (0.3, 2.0, True)),
    (arctan2_const_x, (0.3, 2.0, True)),
    (arctan2_const_y, (0.3, 2.0, True)),
    (hypot_const, (0.3, 2.0, True)),
    (logaddexp_const, (-2.0, 2.0, False)),
    (logaddexp2_const, (-2.0, 2.0, False)),
    (divide_const_numerator, (0.5, 2.0, True)),
    (subtract_const_left, (-2.0, 2.0, False)),
    (multiply_const, (-2.0, 2.0, False)),
    (add_const, (-2.0, 2.0, False)),
]


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize(
    "f, domain", CONST_BINARY, ids=[f.__name__ for f, _ in CONST_BINARY]
)
def test_binary_with_constant(f, domain, shape):
    lo, hi, signed = domain
    check_grad(f, sample(lo, hi, shape, seed=3, signed=signed))


# ---------------------------------------------------------------------------
# Python operators, with arrays and with Python floats


def op_add(x, y, w):
    return np.sum((x + y) * w)


def op_sub(x, y, w):
    return np.sum((x - y) * w)


def op_mul(x, y, w):
    return np.sum(x * y * w)


def op_div(x, y, w):
    return np.sum(x / y * w)


def op_pow(x, y, w):
    return np.sum(x**y * w)


def op_neg_mul(x, y, w):
    return np.sum(-x * y * w)


def op_pos_mul(x, y, w):
    return np.sum(+x * y * w)


def op_chain(x, y, w):
    return np.sum(((x - y) * (x + y) / (y * y) - x**y) * w)


OPERATORS = [
    (op_add, uniform_pair(-2, 2, -2, 2)),
    (op_sub, uniform_pair(-2, 2, -2, 2)),
    (op_mul, uniform_pair(-2, 2, -2, 2)),
    (op_div, uniform_pair(0.5, 2, 0.5, 2, signed=True)),
    (op_pow, uniform_pair(0.5, 2, -1.5, 2.5)),
    (op_neg_mul, uniform_pair(-2, 2, -2, 2)),
    (op_pos_mul, uniform_pair(-2, 2, -2, 2)),
    (op_chain, uniform_pair(0.5, 2, 0.5, 2)),
]


@pytest.mark.parametrize("shapes", PAIRS.values(), ids=PAIRS.keys())
@pytest.mark.parametrize(
    "op, make", OPERATORS, ids=[op.__name__ for op, _ in OPERATORS]
)
def test_operator_arrays(op, make, shapes):
    x, y = make(*shapes)
    shape = out_shape(*shapes)
    w = weights(shape if shape else None)
    check_grad(op, x, y, w, wrt=(0, 1))


# Operators written in the differentiated function itself (no helper call),
# on Python floats: the result and the gradients stay Python floats.


def pf_add(x, y):
    return x + y * x


def pf_sub(x, y):
    return x - y * x


def pf_mul(x, y):
    return x * y * x


def pf_div(x, y):
    return x / y


def pf_pow(x, y):
    return x**y


def pf_neg(x, y):
    return -x * y


def pf_pos(x, y):
    return +x * y


PYTHON_FLOAT_OPS = [
    (pf_add, (-2.0, 2.0), (-2.0, 2.0)),
    (pf_sub, (-2.0, 2.0), (-2.0, 2.0)),
    (pf_mul, (-2.0, 2.0), (-2.0, 2.0)),
    (pf_div, (-2.0, 2.0), (0.5, 2.0)),
    (pf_pow, (0.5, 2.0), (-1.5, 2.5)),
    (pf_neg, (-2.0, 2.0), (-2.0, 2.0)),
    (pf_pos, (-2.0, 2.0), (-2.0, 2.0)),
]


@pytest.mark.parametrize(
    "f, dom_x, dom_y",
    PYTHON_FLOAT_OPS,
    ids=[f.__name__ for f, _, _ in PYTHON_FLOAT_OPS],
)
def test_operator_python_floats(f, dom_x, dom_y):
    x = sample(*dom_x, None, seed=4)
    y = sample(*dom_y, None, seed=5)
    g_x, g_y = grad(f, wrt=(0, 1))(x, y)
    assert type(g_x) is float and type(g_y) is float
    check_grad(f, x, y, wrt=(0, 1))


# A constant on either side of each operator.


def c_add_right(x):
    return np.sum((x + 2.0) * x)


def c_add_left(x):
    return np.sum((2.0 + x) * x)


def c_sub_right(x):
    return np.sum((x - 2.0) * x)


def c_sub_left(x):
    return np.sum((2.0 - x) * x)


def c_mul_right(x):
    return np.sum(x * 3.0)


def c_mul_left(x):
    return np.sum(3.0 * x * x)


def c_div_right(x):
    return np.sum(x / 3.0 * x)


def c_div_left(x):
    return np.sum(3.0 / x)


def c_pow_int(x):
    return np.sum(x**2)


def c_pow_int3(x):
    return np.sum(x**3)


def c_pow_float(x):
    return np.sum(x**2.5)


def c_pow_negative(x):
    return np.sum(x**-0.5)


def c_pow_base(x):
    return np.sum(2.0**x)


def c_pow_base_int(x):
    return np.sum(3**x)


def c_neg(x):
    return np.sum(-x * x * 0.5 - x)


def c_pos(x):
    return np.sum(+x * x)


def c_int_constants(x):
    return np.sum((1 - x) * 2 + 3 / x + x * 4 - 5)


CONSTANT_SIDE = [
    c_add_right,
    c_add_left,
    c_sub_right,
    c_sub_left,
    c_mul_right,
    c_mul_left,
    c_div_right,
    c_div_left,
    c_pow_int,
    c_pow_int3,
    c_pow_float,
    c_pow_negative,
    c_pow_base,
    c_pow_base_int,
    c_neg,
    c_pos,
    c_int_constants,
]


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("f", CONSTANT_SIDE, ids=[f.__name__ for f in CONSTANT_SIDE])
def test_operator_constant_side(f, shape):
    x = sample(0.5, 2.0, shape, seed=6)
    g = grad(f)(x)
    if shape is None:
        assert type(g) is float
    else:
        assert isinstance(g, np.ndarray) and g.shape == shape
    check_grad(f, x)


def f_float32_ops(x, y):
    return np.sum((x * y - x / y + 2.0 * x - 1.0) ** 2 + x**2.5)


def test_operators_float32_gives_float32():
    x = sample(0.5, 2.0, (3, 4), seed=7).astype(np.float32)
    y = sample(0.5, 2.0, (4,), seed=8).astype(np.float32)
    g_x, g_y = grad(f_float32_ops, wrt=(0, 1))(x, y)
    assert g_x.dtype == np.float32 and g_y.dtype == np.float32
    assert g_y.shape == (4,)
    check_grad(f_float32_ops, x, y, wrt=(0, 1))


# ---------------------------------------------------------------------------
# np.where


def where_mask(c, x, y):
    return np.sum(np.where(c, x, y) * np.cos(x))


def where_computed(x, y):
    return np.sum(np.where(x > y, x * x, y * 3.0))


def where_scalar_branch(c, x, y):
    return np.sum(np.where(c, x, y))


def where_both_branches_same(x):
    return np.sum(np.where(x > 0.0, x, -2.0 * x))


WHERE_SHAPES = {
    "mat-mat": ((3, 4), (3, 4)),
    "mat-vec": ((3, 4), (4,)),
    "vec-mat": ((4,), (3, 4)),
    "col-row": ((3, 1), (1, 4)),
    "mat-0d": ((3, 4), ()),
    "cube-col": ((2, 3, 4), (3, 1)),
}


@pytest.mark.parametrize("shapes", WHERE_SHAPES.values(), ids=WHERE_SHAPES.keys())
def test_where_mask_argument(shapes):
    shape_x, shape_y = shapes
    x = sample(-2, 2, shape_x, seed=1)
    y = sample(-2, 2, shape_y, seed=2)
    c = sample(-1, 1, out_shape(shape_x, shape_y), seed=3) > 0
    check_grad(where_mask, c, x, y, wrt=(1, 2))


@pytest.mark.parametrize("shapes", WHERE_SHAPES.values(), ids=WHERE_SHAPES.keys())
def test_where_computed_condition(shapes):
    x, y = apart_pair(*shapes)
    check_grad(where_computed, x, y, wrt=(0, 1))


def test_where_python_float_branch():
    c = np.array([True, False, True, False])
    x = sample(-2, 2, (4,), seed=1)
    g_x, g_y = grad(where_scalar_branch, wrt=(1, 2))(c, x, 0.75)
    assert type(g_y) is float
    assert g_y == pytest.approx(2.0)
    np.testing.assert_array_equal(g_x, [1.0, 0.0, 1.0, 0.0])
    check_grad(where_scalar_branch, c, x, 0.75, wrt=(1, 2))


def test_where_same_variable_in_both_branches():
    x = np.array([-1.5, -0.5, 0.25, 2.0])
    check_grad(where_both_branches_same, x)


# ---------------------------------------------------------------------------
# np.clip


def clip_scalars(a):
    return np.sum(np.clip(a, -0.5, 0.75) * np.cos(a))


def clip_lower_only(a):
    return np.sum(np.clip(a, -0.5, None) * np.cos(a))


def clip_upper_only(a):
    return np.sum(np.clip(a, None, 0.75) * np.cos(a))


def clip_method(a):
    return np.sum(a.clip(-0.5, 0.75) * np.cos(a))


def clip_keywords(a):
    return np.sum(np.clip(a, a_min=-0.5, a_max=0.75) * np.cos(a))


def clip_arrays(a, lo, hi):
    return np.sum(np.clip(a, lo, hi) * np.cos(a))


CLIP_CASES = [
    (f, name, shape)
    for f in [
        clip_scalars,
        clip_lower_only,
        clip_upper_only,
        clip_method,
        clip_keywords,
    ]
    for name, shape in SHAPES.items()
    if not (f is clip_method and shape is None)  # a float has no .clip method
]


@pytest.mark.parametrize(
    "f, shape",
    [(f, shape) for f, _, shape in CLIP_CASES],
    ids=[f"{f.__name__}-{name}" for f, name, _ in CLIP_CASES],
)
def test_clip_wrt_a(f, shape):
    # grid points k/4 + 1/8 are never within 1/8 of the bounds -0.5, 0.75
    a = grid(shape, seed=4, offset=0.125)
    check_grad(f, a)


CLIP_SHAPES = {
    "mat-mat-mat": ((3, 4), (3, 4), (3, 4)),
    "mat-vec-vec": ((3, 4), (4,), (4,)),
    "mat-col-row": ((3, 4), (3, 1), (1, 4)),
    "vec-0d-vec": ((4,), (), (4,)),
    "cube-col-vec": ((2, 3, 4), (3, 1), (4,)),
    "col-mat-0d": ((3, 1), (3, 4), ()),
}


@pytest.mark.parametrize("shapes", CLIP_SHAPES.values(), ids=CLIP_SHAPES.keys())
def test_clip_wrt_bounds(shapes):
    shape_a, shape_lo, shape_hi = shapes
    a = grid(shape_a, seed=5, offset=0.125)
    a.flat[0], a.flat[-1] = -1.875, 1.875  # so both bounds bind somewhere
    lo = grid(shape_lo, seed=6, low=-6, high=-2)  # -1.5 .. -0.75, below hi
    hi = grid(shape_hi, seed=7, low=2, high=6)  # 0.5 .. 1.25
    check_grad(clip_arrays, a, lo, hi, wrt=(0, 1, 2))
    # the bounds bind somewhere, so their gradients are not all zero
    g_a, g_lo, g_hi = grad(clip_arrays, wrt=(0, 1, 2))(a, lo, hi)
    assert np.any(g_lo != 0) and np.any(g_hi != 0)


def test_clip_python_float_bounds_give_floats():
    a = np.array([-1.0, 0.125, 1.5, 2.0])
    g_lo, g_hi = grad(clip_arrays, wrt=(1, 2))(a, -0.5, 1.0)
    assert type(g_lo) is float and type(g_hi) is float
    n_lo, n_hi = numerical_grad(clip_arrays, a, -0.5, 1.0, wrt=(1, 2))
    assert g_lo == pytest.approx(n_lo) and g_hi == pytest.approx(n_hi)


# ---------------------------------------------------------------------------
# Closures over a local variable holding a NumPy function


def test_closure_over_local_numpy_function():
    fn = np.sin

    def f(x):
        return np.sum(fn(x) * x)

    x = sample(-2, 2, (4,))
    np.testing.assert_allclose(grad(f)(x), np.cos(x) * x + np.sin(x), rtol=1e-12)
    check_grad(f, x)


def test_closure_over_local_binary_numpy_function():
    fn = np.hypot

    def f(x, y):
        return np.sum(fn(x, y))

    x, y = uniform_pair(0.3, 2, 0.3, 2)((3, 4), (4,))
    check_grad(f, x, y, wrt=(0, 1))


# ---------------------------------------------------------------------------
# Tie conventions, against closed forms


def abs_sum(x):
    return np.sum(np.abs(x))


def fabs_sum(x):
    return np.sum(np.fabs(x))


def maximum_sum(x, y):
    return np.sum(np.maximum(x, y))


def minimum_sum(x, y):
    return np.sum(np.minimum(x, y))


def fmax_sum(x, y):
    return np.sum(np.fmax(x, y))


def fmin_sum(x, y):
    return np.sum(np.fmin(x, y))


def max_reduction(x):
    return np.max(x)


def min_reduction(x):
    return np.min(x)


def max_reduction_axis(x):
    return np.sum(np.max(x, axis=1) * np.array([1.0, 2.0]))


@pytest.mark.parametrize("f", [abs_sum, fabs_sum], ids=["abs", "fabs"])
def test_abs_derivative_at_zero_is_zero(f):
    x = np.array([-1.5, 0.0, 2.0, -0.0])
    np.testing.assert_array_equal(grad(f)(x), [-1.0, 0.0, 1.0, 0.0])
    assert grad(f)(0.0) == 0.0


def test_abs_at_zero_python_float():
    assert grad(abs_sum)(0.0) == 0.0
    assert type(grad(abs_sum)(0.0)) is float


@pytest.mark.parametrize(
    "f, x_wins",
    [
        (maximum_sum, [1.0, 0.5, 0.0]),
        (minimum_sum, [0.0, 0.5, 1.0]),
        (fmax_sum, [1.0, 0.5, 0.0]),
        (fmin_sum, [0.0, 0.5, 1.0]),
    ],
    ids=["maximum", "minimum", "fmax", "fmin"],
)
def test_binary_extremum_tie_splits_equally(f, x_wins):
    x = np.array([2.0, 1.0, -1.0])
    y = np.array([1.0, 1.0, 0.0])
    g_x, g_y = grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(g_x, x_wins)
    np.testing.assert_array_equal(g_y, 1.0 - np.array(x_wins))


def test_maximum_tie_python_floats():
    g_x, g_y = grad(maximum_sum, wrt=(0, 1))(1.5, 1.5)
    assert (g_x, g_y) == (0.5, 0.5)


def test_maximum_tie_broadcast():
    # y (a 0-d array) ties with two elements of x: it collects 0.5 + 0.5 + 1
    x = np.array([1.0, 1.0, 0.0, 3.0])
    y = np.array(1.0)
    g_x, g_y = grad(maximum_sum, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(g_x, [0.5, 0.5, 0.0, 1.0])
    assert g_y.shape == () and float(g_y) == 2.0


def relu_squares(x):
    return np.sum(np.maximum(x, 0.0) ** 2)


def test_relu_adjoint_is_a_mask_and_ties_are_shared_only_when_present():
    g = grad(relu_squares)
    x = np.array([-1.5, 0.0, 2.0, 0.5])
    # the mask, as written by hand; the tie at 0 gets half (of 2 * 0.0)
    np.testing.assert_array_equal(g(x), [0.0, 0.0, 4.0, 1.0])
    assert "share_ties(" in g.source and "0.5 *" not in g.source
    check_grad(relu_squares, np.array([-1.5, 0.3, 2.0, 0.5]), order=2)
    x32 = np.array([-1.0, 2.0], dtype=np.float32)
    assert g(x32).dtype == np.float32


def relu_sum(x):
    return np.sum(np.maximum(x, 0.0))


def test_relu_adjoint_at_nan_and_at_a_tie():
    with np.errstate(invalid="ignore"):
        d = grad(relu_sum)(np.array([np.nan, 0.0, 1.0, -1.0]))
    # NaN compares false both ways: no share, as JAX, PyTorch and autograd
    np.testing.assert_array_equal(d, [0.0, 0.5, 1.0, 0.0])


@pytest.mark.parametrize("f", [max_reduction, min_reduction], ids=["max", "min"])
def test_extremum_reduction_tie_shares_equally(f):
    sign = 1.0 if f is max_reduction else -1.0
    x = sign * np.array([1.0, 3.0, -2.0, 3.0])
    np.testing.assert_array_equal(grad(f)(x), [0.0, 0.5, 0.0, 0.5])


def test_max_reduction_three_way_tie():
    x = np.array([[2.0, 2.0], [0.0, 2.0]])
    np.testing.assert_allclose(grad(max_reduction)(x), [[1 / 3, 1 / 3], [0, 1 / 3]])


def test_max_reduction_tie_along_axis():
    x = np.array([[1.0, 4.0, 4.0], [5.0, 0.0, 5.0]])
    np.testing.assert_array_equal(
        grad(max_reduction_axis)(x), [[0.0, 0.5, 0.5], [1.0, 0.0, 1.0]]
    )


def test_fmax_fmin_ignore_nan():
    # the non-NaN argument gets the whole adjoint; a NaN one gets nothing
    x = np.array([np.nan, 1.0, 2.0, 0.5])
    y = np.array([1.0, np.nan, 3.0, 0.5])
    g_x, g_y = grad(fmax_sum, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(g_x, [0.0, 1.0, 0.0, 0.5])
    np.testing.assert_array_equal(g_y, [1.0, 0.0, 1.0, 0.5])
    g_x, g_y = grad(fmin_sum, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(g_x, [0.0, 1.0, 1.0, 0.5])
    np.testing.assert_array_equal(g_y, [1.0, 0.0, 0.0, 0.5])


def power_zero_sum(x):
    return np.sum(np.power(x, 0) + np.power(x, 0.0) + x**0)


def test_power_zero_exponent_derivative_is_zero_at_zero():
    # x ** 0 == 1 everywhere: derivative 0, also at x == 0 (not 0 * inf)
    x = np.array([0.0, -1.5, 2.0])
    np.testing.assert_array_equal(grad(power_zero_sum)(x), [0.0, 0.0, 0.0])


def clip_sum(a):
    return np.sum(np.clip(a, -1.0, 2.0))


def clip_sum_bounds(a, lo, hi):
    return np.sum(np.clip(a, lo, hi))


def test_clip_boundary_derivative_is_one():
    a = np.array([-1.0, 2.0, -3.0, 0.5, 3.0])
    np.testing.assert_array_equal(grad(clip_sum)(a), [1.0, 1.0, 0.0, 1.0, 0.0])
    assert grad(clip_sum)(-1.0) == 1.0


def test_clip_boundary_bounds_get_nothing():
    a = np.array([-1.0, 2.0, -3.0, 0.5, 3.0])
    lo = np.full(5, -1.0)
    hi = np.full(5, 2.0)
    g_a, g_lo, g_hi = grad(clip_sum_bounds, wrt=(0, 1, 2))(a, lo, hi)
    np.testing.assert_array_equal(g_a, [1.0, 1.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(g_lo, [0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(g_hi, [0.0, 0.0, 0.0, 0.0, 1.0])
