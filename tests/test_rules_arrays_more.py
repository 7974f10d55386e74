"""Rules of NumPy's array functions (adcompiler/primitives/arrays.py) and
np.linalg.norm (norms.py), through the whole pipeline, at orders 1 and 2.

Each case is a small ``def`` whose result is reduced to a scalar as
``np.sum(result * C)`` with ``C`` a fixed random weight of the result's
shape (so the adjoint reaching the rule is not uniform), and a smooth
function of it (``np.sin``), so second derivatives exercise the rules' own
rules. ``check_grad(..., order=2)`` compares the gradient with central
finite differences, forward mode with reverse mode, and Hessian-vector
products with central differences of the gradient; :func:`check_jvp`
compares ``jvp`` with central differences of the function, and
:func:`check_hessian` the dense ``hessian`` (forward over reverse) with
central differences of the gradient.
"""

from __future__ import annotations


import numpy as np
import pytest

import adcompiler
from support.rules import case, check_hessian, check_jvp, run, weight_for
from adcompiler import check_grad, grad, hessian, jvp
from adcompiler.errors import NoRuleError
from adcompiler.primitives.registry import lookup

_RNG = np.random.default_rng(20261203)


def arr(*shape, low=None):
    """A fixed random float64 array (entries bounded away from 0 if ``low``)."""
    x = _RNG.normal(size=shape)
    if low is not None:
        x = np.sign(x) * (low + np.abs(x))
    return x


def distinct(*shape):
    """Entries well apart (no ties in sorts, no knots hit by steps)."""
    n = int(np.prod(shape))
    return (_RNG.permutation(n) * 0.37 + _RNG.uniform(0, 0.1, n)).reshape(
        shape
    ) - n * 0.15


# ---------------------------------------------------------------------------
# Rearrangements

A = arr(3, 4, 5)
M = arr(4, 5)
S = arr(4, 4)
V = arr(5)


def roll_flat(x, C):
    return np.sum(np.sin(np.roll(x, 2)) * C)


def roll_axis(x, C):
    return np.sum(np.sin(np.roll(x, -1, axis=1)) * C)


def roll_tuple(x, C):
    return np.sum(np.sin(np.roll(x, (1, 2), axis=(0, 2))) * C)


def diag_of_vector(x, C):
    return np.sum(np.sin(np.diag(x)) * C)


def diag_of_vector_k(x, C):
    return np.sum(np.sin(np.diag(x, k=-2)) * C)


def diag_of_matrix(x, C):
    return np.sum(np.sin(np.diag(x)) * C)


def diag_of_matrix_k(x, C):
    return np.sum(np.sin(np.diag(x, 1)) * C)


def diagonal_plain(x, C):
    return np.sum(np.sin(np.diagonal(x)) * C)


def diagonal_offset(x, C):
    return np.sum(np.sin(np.diagonal(x, offset=-1, axis1=0, axis2=2)) * C)


def diagonal_axes(x, C):
    return np.sum(np.sin(np.diagonal(x, 2, 2, 1)) * C)


def diagonal_method(x, C):
    return np.sum(np.sin(x.diagonal(1)) * C)


def tril_plain(x, C):
    return np.sum(np.sin(np.tril(x)) * C)


def tril_k(x, C):
    return np.sum(np.sin(np.tril(x, k=-1)) * C)


def triu_k(x, C):
    return np.sum(np.sin(np.triu(x, 2)) * C)


def triu_stack(x, C):
    return np.sum(np.sin(np.triu(x, -1)) * C)


def flipud_(x, C):
    return np.sum(np.sin(np.flipud(x) * x) * C)


def fliplr_(x, C):
    return np.sum(np.sin(np.fliplr(x) * x) * C)


def rot90_plain(x, C):
    return np.sum(np.sin(np.rot90(x)) * C)


def rot90_k(x, C):
    return np.sum(np.sin(np.rot90(x, k=3, axes=(1, 2))) * C)


def rot90_k2(x, C):
    return np.sum(np.sin(np.rot90(x, 2)) * C)


def rollaxis_(x, C):
    return np.sum(np.sin(np.rollaxis(x, 2)) * C)


def rollaxis_start(x, C):
    return np.sum(np.sin(np.rollaxis(x, 0, 2)) * C)


def rollaxis_negative(x, C):
    return np.sum(np.sin(np.rollaxis(x, -1, 1)) * C)


REARRANGEMENTS = [
    case(roll_flat, M),
    case(roll_axis, M),
    case(roll_tuple, A),
    case(diag_of_vector, V),
    case(diag_of_vector_k, V),
    case(diag_of_matrix, M),
    case(diag_of_matrix_k, M),
    case(diagonal_plain, M),
    case(diagonal_offset, A),
    case(diagonal_axes, A),
    case(diagonal_method, S),
    case(tril_plain, M),
    case(tril_k, S),
    case(triu_k, M),
    case(triu_stack, A),
    case(flipud_, M),
    case(fliplr_, M),
    case(rot90_plain, M),
    case(rot90_k, A),
    case(rot90_k2, M),
    case(rollaxis_, A),
    case(rollaxis_start, A),
    case(rollaxis_negative, A),
]


@pytest.mark.parametrize("f, args, wrt, tol", REARRANGEMENTS)
def test_rearrangements(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# Joining and splitting (lists as results)


def append_flat(x, y, C):
    return np.sum(np.sin(np.append(x, y)) * C)


def append_axis(x, y, C):
    return np.sum(np.sin(np.append(x, y, axis=0)) * C)


def append_axis1(x, y, C):
    return np.sum(np.sin(np.append(x, y * y, axis=1)) * C)


def split_sections(x, C):
    a, b = np.split(x, 2, axis=1)
    return np.sum(np.sin(a * b) * C)


def split_indices(x, C):
    parts = np.split(x, [1, 3])
    return np.sum(np.sin(parts[0] * 2.0 + parts[2][:1]) * C)


def split_one_used(x, C):
    parts = np.split(x, 4, axis=0)
    return np.sum(np.sin(parts[1]) * C)


def array_split_(x, C):
    a, b, c = np.array_split(x, 3, axis=1)
    return np.sum(np.sin(a[:, :1] + np.cos(b) * c) * C)


def hsplit_(x, C):
    a, b = np.hsplit(x, 2)
    return np.sum(np.sin(a - b) * C)


def hsplit_vector(x, C):
    a, b, c, d, e = np.hsplit(x, 5)
    return np.sum(np.sin(a * e + c) * C)


def vsplit_(x, C):
    a, b = np.vsplit(x, [1])
    return np.sum(np.sin(a * b) * C)


def dsplit_(x, C):
    a, b = np.dsplit(x, [2])
    return np.sum(np.sin(a[..., :1] * b[..., 1:2]) * C)


def column_stack_(x, y, C):
    return np.sum(np.sin(np.column_stack([x, y, x * y])) * C)


def column_stack_matrix(x, y, C):
    return np.sum(np.sin(np.column_stack((x, y))) * C)


def dstack_(x, y, C):
    return np.sum(np.sin(np.dstack([x, y * x])) * C)


def dstack_vectors(x, y, C):
    return np.sum(np.sin(np.dstack((x, y))) * C)


V4 = arr(4)
JOINS = [
    case(append_flat, M, V, wrt=(0, 1)),
    case(append_axis, M, arr(2, 5), wrt=(0, 1)),
    case(append_axis1, M, arr(4, 2), wrt=(0, 1)),
    case(split_sections, arr(3, 4)),
    case(split_indices, arr(5, 2)),
    case(split_one_used, arr(8, 2)),
    case(array_split_, arr(3, 4)),
    case(hsplit_, arr(3, 4)),
    case(hsplit_vector, V),
    case(vsplit_, arr(2, 3)),
    case(dsplit_, arr(2, 2, 5)),
    case(column_stack_, V4, arr(4), wrt=(0, 1)),
    case(column_stack_matrix, arr(4, 2), V4, wrt=(0, 1)),
    case(dstack_, M, arr(4, 5), wrt=(0, 1)),
    case(dstack_vectors, V4, arr(4), wrt=(0, 1)),
]
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:

    def row_stack_(x, y, C):
        return np.sum(np.sin(np.row_stack([x, y])) * C)

    JOINS.append(case(row_stack_, V, arr(2, 5), wrt=(0, 1)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("f, args, wrt, tol", JOINS)
def test_joins_and_splits(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# Padding, selecting, grids


def pad_constant(x, C):
    return np.sum(np.sin(np.pad(x, 2)) * C)


def pad_constant_values(x, C):
    return np.sum(np.sin(np.pad(x, ((1, 0), (2, 3)), constant_values=1.5)) * C)


def pad_edge(x, C):
    return np.sum(np.sin(np.pad(x, (1, 2), mode="edge")) * C)


def pad_reflect(x, C):
    return np.sum(np.sin(np.pad(x, ((2, 1), (3, 2)), mode="reflect")) * C)


def pad_symmetric(x, C):
    return np.sum(np.sin(np.pad(x, 2, "symmetric")) * C)


def pad_wrap(x, C):
    return np.sum(np.sin(np.pad(x, ((0, 0), (4, 6)), mode="wrap")) * C)


def pad_vector_wrap(x, C):
    return np.sum(np.sin(np.pad(x * x, 7, mode="wrap")) * C)


def select_(x, C):
    return np.sum(np.sin(np.select([x < -0.5, x > 0.5], [x * x, np.cos(x)], x)) * C)


def select_default_number(x, C):
    return np.sum(np.sin(np.select([x > 0.0], [x * 3.0], 0.5)) * C)


def select_broadcast(x, y, C):
    return np.sum(np.sin(np.select([x > 0.0, x < -1.0], [y, 2.0 * x], y[0])) * C)


def meshgrid_xy(x, y, C):
    X, Y = np.meshgrid(x, y)
    return np.sum(np.sin(X * Y + X) * C)


def meshgrid_ij(x, y, C):
    X, Y = np.meshgrid(x, y, indexing="ij")
    return np.sum(np.sin(X - Y * Y) * C)


def meshgrid_three(x, y, C):
    X, Y, Z = np.meshgrid(x, y, x * 2.0)
    return np.sum(np.sin(X * Y * Z) * C)


def meshgrid_one_used(x, y, C):
    grid = np.meshgrid(x, y, indexing="ij")
    return np.sum(np.sin(grid[1]) * C)


def meshgrid_sparse(x, y, C):
    X, Y = np.meshgrid(x, y, sparse=True)
    return np.sum(np.sin(X * Y) * C)


SELECTIONS = [
    case(pad_constant, M),
    case(pad_constant_values, M),
    case(pad_edge, V),
    case(pad_reflect, M),
    case(pad_symmetric, arr(3, 3)),
    case(pad_wrap, M),
    case(pad_vector_wrap, V),
    case(select_, arr(4, 5)),
    case(select_default_number, V),
    case(select_broadcast, arr(3, 4), arr(4), wrt=(0, 1)),
    case(meshgrid_xy, V4, V, wrt=(0, 1)),
    case(meshgrid_ij, V4, V, wrt=(0, 1)),
    case(meshgrid_three, V4, arr(3), wrt=(0, 1)),
    case(meshgrid_one_used, V4, arr(3), wrt=(0, 1)),
    case(meshgrid_sparse, V4, arr(3), wrt=(0, 1)),
]


@pytest.mark.parametrize("f, args, wrt, tol", SELECTIONS)
def test_padding_selecting_grids(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# Products


def kron_matrices(x, y, C):
    return np.sum(np.sin(np.kron(x, y)) * C)


def kron_vectors(x, y, C):
    return np.sum(np.sin(np.kron(x, y * y)) * C)


def kron_mixed(x, y, C):
    return np.sum(np.sin(np.kron(x, y)) * C)


def cross_vectors(x, y, C):
    return np.sum(np.sin(np.cross(x, y)) * C)


def cross_batched(x, y, C):
    return np.sum(np.sin(np.cross(x, y)) * C)


def cross_axes(x, y, C):
    return np.sum(np.sin(np.cross(x, y, axisa=0, axisb=1, axisc=0)) * C)


def cross_axis(x, y, C):
    return np.sum(np.sin(np.cross(x, y, axis=0)) * C)


def cross_self(x, C):
    return np.sum(np.sin(np.cross(x, x[::-1] * 2.0)) * C)


def convolve_full(x, y, C):
    return np.sum(np.sin(np.convolve(x, y)) * C)


def convolve_same(x, y, C):
    return np.sum(np.sin(np.convolve(x, y, mode="same")) * C)


def convolve_valid(x, y, C):
    return np.sum(np.sin(np.convolve(x, y, "valid")) * C)


def correlate_valid(x, y, C):
    return np.sum(np.sin(np.correlate(x, y)) * C)


def correlate_full(x, y, C):
    return np.sum(np.sin(np.correlate(x, y, mode="full")) * C)


def correlate_same(x, y, C):
    return np.sum(np.sin(np.correlate(x, y, mode="same")) * C)


def polyval_(p, x, C):
    return np.sum(np.sin(np.polyval(p, x)) * C)


def polyval_scalar(p, x, C):
    return np.sum(np.sin(np.polyval(p, x)) * C)


def polyval_matrix(p, x, C):
    return np.sum(np.sin(np.polyval(p, x * x)) * C)


PRODUCTS = [
    case(kron_matrices, arr(2, 3), arr(3, 2), wrt=(0, 1)),
    case(kron_vectors, arr(3), arr(4), wrt=(0, 1)),
    case(kron_mixed, arr(3), arr(2, 2), wrt=(0, 1)),
    case(cross_vectors, arr(3), arr(3), wrt=(0, 1)),
    case(cross_batched, arr(4, 3), arr(3), wrt=(0, 1)),
    case(cross_axes, arr(3, 2), arr(2, 3), wrt=(0, 1)),
    case(cross_axis, arr(3, 4), arr(3, 4), wrt=(0, 1)),
    case(cross_self, arr(3)),
]
for fn in (convolve_full, convolve_same, convolve_valid):
    for n_x, n_y in ((6, 3), (3, 6), (5, 5), (6, 2)):
        PRODUCTS.append(
            pytest.param(
                fn, (arr(n_x), arr(n_y)), (0, 1), {}, id=f"{fn.__name__}-{n_x}-{n_y}"
            )
        )
for fn in (correlate_valid, correlate_full, correlate_same):
    for n_x, n_y in ((6, 3), (3, 6), (4, 4), (5, 2)):
        PRODUCTS.append(
            pytest.param(
                fn, (arr(n_x), arr(n_y)), (0, 1), {}, id=f"{fn.__name__}-{n_x}-{n_y}"
            )
        )
PRODUCTS += [
    case(polyval_, arr(4), arr(5), wrt=(0, 1)),
    case(polyval_scalar, arr(3), 0.7, wrt=(0, 1)),
    case(polyval_matrix, arr(5), arr(2, 3), wrt=(0, 1)),
    case(polyval_, arr(1), arr(3), wrt=(0, 1)),
]


@pytest.mark.parametrize("f, args, wrt, tol", PRODUCTS)
def test_products(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# Differences, gradients, integrals


def diff_plain(x, C):
    return np.sum(np.sin(np.diff(x)) * C)


def diff_n(x, C):
    return np.sum(np.sin(np.diff(x, n=2, axis=0)) * C)


def diff_n3(x, C):
    return np.sum(np.sin(np.diff(x, 3)) * C)


def diff_prepend(x, C):
    return np.sum(np.sin(np.diff(x, prepend=0.5)) * C)


def diff_append(x, C):
    return np.sum(np.sin(np.diff(x, axis=0, append=np.ones((1, 5)))) * C)


def diff_both(x, C):
    return np.sum(np.sin(np.diff(x, n=2, axis=1, prepend=-1.0, append=2.0)) * C)


def gradient_vector(x, C):
    return np.sum(np.sin(np.gradient(x)) * C)


def gradient_spacing(x, C):
    return np.sum(np.sin(np.gradient(x * x, 0.5)) * C)


def gradient_axis(x, C):
    return np.sum(np.sin(np.gradient(x, 2.0, axis=1)) * C)


def gradient_edge_order(x, C):
    return np.sum(np.sin(np.gradient(x, edge_order=2)) * C)


def gradient_matrix(x, C):
    gy, gx = np.gradient(x)
    return np.sum(np.sin(gy * gx) * C)


def gradient_one_used(x, C):
    parts = np.gradient(x, 0.5, 2.0)
    return np.sum(np.sin(parts[1]) * C)


COORDINATES = np.array([0.0, 0.4, 1.1, 1.5, 2.6])


def gradient_coordinates(x, C):
    return np.sum(np.sin(np.gradient(x, COORDINATES)) * C)


def trapezoid_plain(y, C):
    return np.sum(np.sin(TRAPEZOID(y)) * C)


def trapezoid_dx(y, C):
    return np.sum(np.sin(TRAPEZOID(y, dx=0.3, axis=0)) * C)


def trapezoid_x(y, x, C):
    return np.sum(np.sin(TRAPEZOID(y, x)) * C)


def trapezoid_x_axis(y, x, C):
    return np.sum(np.sin(TRAPEZOID(y * y, x, axis=0)) * C)


def trapezoid_x_full(y, x, C):
    return np.sum(np.sin(TRAPEZOID(y, x, axis=1)) * C)


TRAPEZOID = getattr(np, "trapezoid", None) or np.trapz
XS = np.sort(arr(5)) + np.arange(5.0)
DIFFERENCES = [
    case(diff_plain, M),
    case(diff_n, arr(5, 3)),
    case(diff_n3, V),
    case(diff_prepend, M),
    case(diff_append, M),
    case(diff_both, M),
    case(gradient_vector, V),
    case(gradient_spacing, V),
    case(gradient_axis, M),
    case(gradient_edge_order, arr(6)),
    case(gradient_matrix, M),
    case(gradient_one_used, M),
    case(gradient_coordinates, V),
    case(trapezoid_plain, M),
    case(trapezoid_dx, M),
    case(trapezoid_x, arr(3, 5), XS, wrt=(0, 1)),
    case(trapezoid_x_axis, arr(5, 2), XS, wrt=(0, 1)),
    case(trapezoid_x_full, arr(3, 5), np.sort(arr(3, 5), axis=1), wrt=(0, 1)),
]


@pytest.mark.parametrize("f, args, wrt, tol", DIFFERENCES)
def test_differences_gradients_integrals(f, args, wrt, tol):
    run(f, args, wrt, tol)


# ---------------------------------------------------------------------------
# Sorting, taking along an axis, elementwise functions


def sort_last(x, C):
    return np.sum(np.sin(np.sort(x)) * C)


def sort_axis0(x, C):
    return np.sum(np.sin(np.sort(x * x, axis=0)) * C)


def sort_flat(x, C):
    return np.sum(np.sin(np.sort(x, axis=None)) * C)


def sort_kind(x, C):
    return np.sum(np.sin(np.sort(x, kind="stable")) * C)


def partition_(x, C):
    return np.sum(np.sin(np.partition(x, 2)) * C)


def partition_axis(x, C):
    return np.sum(np.sin(np.partition(x, (0, 2), axis=0)) * C)


def partition_flat(x, C):
    return np.sum(np.sin(np.partition(x, 3, axis=None)) * C)


ORDER = np.array([[2, 0, 0], [1, 1, 3], [0, 2, 1], [3, 3, 2]])


def take_along_(x, C):
    return np.sum(np.sin(np.take_along_axis(x, ORDER, axis=0)) * C)


def take_along_repeated(x, C):
    return np.sum(np.sin(np.take_along_axis(x, np.array([[0, 0, 2]]), 1)) * C)


def take_along_flat(x, C):
    return np.sum(np.sin(np.take_along_axis(x, np.array([5, 1, 1, 7]), None)) * C)


def take_along_argsort(x, C):
    order = np.argsort(x, axis=1)
    return np.sum(np.sin(np.take_along_axis(x * x, order, axis=1)) * C)


def nan_to_num_(x, C):
    return np.sum(np.sin(np.nan_to_num(np.log(x))) * C)


def nan_to_num_values(x, C):
    return np.sum(np.sin(np.nan_to_num(x, nan=1.0, posinf=3.0) * 2.0) * C)


def sinc_(x, C):
    return np.sum(np.sin(np.sinc(x)) * C)


def cumprod_flat(x, C):
    return np.sum(np.sin(np.cumprod(x)) * C)


def cumprod_axis(x, C):
    return np.sum(np.sin(np.cumprod(x, axis=1)) * C)


def cumprod_axis0(x, C):
    return np.sum(np.sin(np.cumprod(x, axis=0)) * C)


def cumprod_method(x, C):
    return np.sum(np.sin(x.cumprod(axis=-1)) * C)


WITH_ZEROS = arr(3, 4)
WITH_ZEROS[0, 1] = 0.0
WITH_ZEROS[2, 0] = 0.0
WITH_ZEROS[2, 2] = 0.0
TWO_ZEROS = np.array([0.7, 0.0, -1.3, 0.0, 1.1])

SORTS_AND_MORE = [
    case(sort_last, distinct(3, 4)),
    case(sort_axis0, distinct(4, 3)),
    case(sort_flat, distinct(3, 4)),
    case(sort_kind, distinct(6)),
    case(partition_, distinct(6)),
    case(partition_axis, distinct(4, 3)),
    case(partition_flat, distinct(2, 4)),
    case(take_along_, arr(4, 3)),
    case(take_along_repeated, arr(2, 4)),
    case(take_along_flat, arr(2, 4)),
    case(take_along_argsort, distinct(3, 4)),
    case(nan_to_num_, np.array([0.5, -1.0, 2.0, -0.3, 1.5])),
    case(nan_to_num_values, np.array([0.5, 1.0, 2.0, -0.7, -2.0])),
    case(sinc_, np.array([0.0, 0.3, -1.7, 2.5, 1e-9, 4.2])),
    case(cumprod_flat, arr(3, 4)),
    case(cumprod_axis, arr(3, 4)),
    case(cumprod_axis0, arr(3, 4)),
    case(cumprod_method, arr(2, 5)),
    case(cumprod_flat, WITH_ZEROS),
    case(cumprod_axis, WITH_ZEROS),
    case(cumprod_axis0, WITH_ZEROS),
    case(cumprod_flat, TWO_ZEROS),
]


@pytest.mark.parametrize("f, args, wrt, tol", SORTS_AND_MORE)
def test_sorts_and_elementwise(f, args, wrt, tol):
    run(f, args, wrt, tol)


def test_cumprod_at_zeros_closed_form():
    # d cumprod(x)[i] / d x[k] = prod(x[j] for j <= i, j != k) for i >= k
    x = TWO_ZEROS

    def f(x, w):
        return np.sum(np.cumprod(x) * w)

    w = np.array([0.3, -1.2, 0.8, 2.0, -0.5])
    expected = np.zeros(5)
    for k in range(5):
        for i in range(k, 5):
            expected[k] += w[i] * np.prod([x[j] for j in range(i + 1) if j != k])
    np.testing.assert_allclose(grad(f)(x, w), expected, rtol=1e-12, atol=1e-15)
    assert np.all(np.isfinite(hessian(f)(x, w)))


def test_nan_to_num_replaced_values_have_no_derivative():
    def f(x, w):
        return np.sum(np.nan_to_num(x, nan=1.0, posinf=3.0) * w)

    x = np.array([0.5, np.inf, 2.0, np.nan, -np.inf])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(grad(f)(x, w), [1.0, 0.0, 3.0, 0.0, 0.0])
    _, t = jvp(f, (x, w), (np.ones(5), np.zeros(5)))
    assert t == 4.0


def test_sinc_derivatives_at_zero_closed_form():
    # sinc(x) = 1 - (pi x)^2 / 6 + (pi x)^4 / 120 - ...: at 0, f' = 0,
    # f'' = -pi^2 / 3, f''' = 0
    def f(x):
        return np.sinc(x)

    assert grad(f)(0.0) == 0.0
    np.testing.assert_allclose(grad(grad(f))(0.0), -np.pi**2 / 3, rtol=1e-12)
    np.testing.assert_allclose(grad(grad(grad(f)))(0.0), 0.0, atol=1e-12)
    np.testing.assert_allclose(grad(grad(grad(grad(f))))(0.0), np.pi**4 / 5, rtol=1e-10)


def test_sort_ties_follow_the_stable_order():
    # tied values: the adjoint of each sorted slot goes to the element the
    # stable sort put there (the earlier one first)
    def f(x, w):
        return np.sum(np.sort(x) * w)

    x = np.array([1.0, 0.0, 1.0])
    w = np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(grad(f)(x, w), [20.0, 10.0, 30.0])


def test_take_along_axis_index_has_no_derivative():
    def f(x):
        return np.sum(np.take_along_axis(x, np.argsort(x), axis=0) * np.arange(3.0))

    np.testing.assert_allclose(grad(f)(np.array([2.0, 0.5, 1.0])), [2.0, 0.0, 1.0])


# ---------------------------------------------------------------------------
# interp, einsum, logaddexp

XP = np.array([-2.0, -0.7, 0.4, 1.3, 2.5])


def interp_fp(fp, C):
    return np.sum(np.sin(np.interp(POINTS, XP, fp)) * C)


def interp_x(x, C):
    return np.sum(np.sin(np.interp(x, XP, FP)) * C)


def interp_both(x, fp, C):
    return np.sum(np.sin(np.interp(x * 1.5, XP, fp * fp)) * C)


def interp_left_right(x, fp, C):
    return np.sum(np.sin(np.interp(x, XP, fp, left=-1.0, right=2.0)) * C)


def interp_matrix(x, fp, C):
    return np.sum(np.sin(np.interp(x, XP, fp)) * C)


def interp_scalar(x, fp, C):
    return np.sum(np.sin(np.interp(x, XP, fp)) * C)


POINTS = np.array([-2.6, -1.1, 0.0, 0.9, 2.2, 3.0])
FP = arr(5)


def einsum_sublist(a, b, C):
    return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 2], [0, 2])) * C)


def einsum_sublist_implicit(a, b, C):
    return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 2])) * C)


def einsum_sublist_ellipsis(a, b, C):
    return np.sum(np.sin(np.einsum(a, [Ellipsis, 0], b, [0, 1], [Ellipsis, 1])) * C)


def einsum_sublist_trace(a, C):
    return np.sum(np.sin(np.einsum(a, [0, 0])) * C)


def einsum_optimize(a, b, C):
    return np.sum(np.sin(np.einsum("ij,jk->ik", a, b, optimize=True)) * C)


def einsum_optimize_three(a, b, C):
    return np.sum(np.sin(np.einsum("ij,jk,kl->il", a, b, a.T, optimize="greedy")) * C)


def einsum_sublist_optimize(a, b, C):
    return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 0], [], optimize=True)) * C)


def logaddexp_(x, y, C):
    return np.sum(np.sin(np.logaddexp(x, y)) * C)


def logaddexp2_(x, y, C):
    return np.sum(np.sin(np.logaddexp2(x * x, y)) * C)


MORE = [
    case(interp_fp, arr(5)),
    case(interp_x, np.array([-1.9, -0.3, 0.55, 1.1, 2.3])),
    case(interp_both, np.array([-1.0, -0.1, 0.5, 1.2]), arr(5), wrt=(0, 1)),
    case(interp_left_right, np.array([-3.0, -0.5, 0.3, 2.9]), arr(5), wrt=(0, 1)),
    case(interp_matrix, np.array([[-1.5, 0.1], [0.6, 2.0]]), arr(5), wrt=(0, 1)),
    case(interp_scalar, 0.3, arr(5), wrt=(0, 1)),
    case(einsum_sublist, arr(3, 4), arr(4, 2), wrt=(0, 1)),
    case(einsum_sublist_implicit, arr(3, 4), arr(4, 2), wrt=(0, 1)),
    case(einsum_sublist_ellipsis, arr(2, 3, 4), arr(4, 2), wrt=(0, 1)),
    case(einsum_sublist_trace, arr(3, 3)),
    case(einsum_optimize, arr(3, 4), arr(4, 2), wrt=(0, 1)),
    case(einsum_optimize_three, arr(3, 4), arr(4, 4), wrt=(0, 1)),
    case(einsum_sublist_optimize, arr(3, 4), arr(4, 3), wrt=(0, 1)),
    case(logaddexp_, arr(3, 4), arr(4), wrt=(0, 1)),
    case(logaddexp2_, arr(3, 4), arr(3, 4), wrt=(0, 1)),
]


@pytest.mark.parametrize("f, args, wrt, tol", MORE)
def test_interp_einsum_logaddexp(f, args, wrt, tol):
    run(f, args, wrt, tol)


def test_interp_slope_at_a_knot_is_the_right_segment():
    def f(x):
        return np.interp(x, XP, FP)

    right = (FP[3] - FP[2]) / (XP[3] - XP[2])
    np.testing.assert_allclose(grad(f)(XP[2]), right, rtol=1e-12)
    assert grad(f)(XP[-1]) == 0.0  # flat to the right of the last knot
    assert grad(f)(-5.0) == 0.0


def test_interp_period_is_refused():
    def f(x):
        return np.interp(x, XP, FP, period=3.0)

    with pytest.raises(NoRuleError, match="period"):
        grad(f)(0.3)


def test_interp_xp_has_no_derivative():
    def f(xp):
        return np.interp(0.3, xp, FP)

    with pytest.raises(adcompiler.NonDifferentiableError, match="xp"):
        grad(f)(XP)


# ---------------------------------------------------------------------------
# np.linalg.norm: every ord, axis and keepdims


def _norm_case(ord, axis, keepdims, x):
    # the ord, axis and keepdims of each case come from a closure: known at
    # compile time, not literals
    def make(ORD, AXIS, KEEP):
        def norm_case(x, C):
            return np.sum(
                np.sin(np.linalg.norm(x, ord=ORD, axis=AXIS, keepdims=KEEP)) * C
            )

        return norm_case

    fn = make(ord, axis, keepdims)
    return pytest.param(fn, (x,), 0, {}, id=f"norm-{ord}-{axis}-{keepdims}-{x.ndim}")


VEC = arr(6, low=0.2)
MAT = arr(3, 4, low=0.2)
BATCH = arr(2, 3, 4, low=0.2)
NORMS = []
for ord in (None, 1, 2, np.inf, -np.inf, 3, 0.5, -1, 2.5):
    # ord 2 and -1 with axis=None: the vector or the matrix norm, a choice
    # the rule makes from the rank (see test_norm_of_unknown_rank_...)
    NORMS.append(_norm_case(ord, None if ord not in (2, -1) else 0, False, VEC))
    NORMS.append(_norm_case(ord, 1, False, MAT))
    NORMS.append(_norm_case(ord, -1, True, BATCH))
    NORMS.append(_norm_case(ord, (0,), False, MAT))
for ord in (None, "fro", 1, -1, np.inf, -np.inf):
    NORMS.append(_norm_case(ord, None if ord != -1 else (0, 1), False, MAT))
    NORMS.append(_norm_case(ord, (2, 0), False, BATCH))
    NORMS.append(_norm_case(ord, (-1, -2), True, BATCH))
NORMS.append(_norm_case(None, None, True, BATCH))


@pytest.mark.parametrize("f, args, wrt, tol", NORMS)
def test_norms(f, args, wrt, tol):
    run(f, args, wrt, tol)


def _svd_norm(ORD, AXIS, KEEP):
    def svd_norm(x, C):
        return np.sum(np.sin(np.linalg.norm(x, ord=ORD, axis=AXIS, keepdims=KEEP)) * C)

    return svd_norm


SVD_NORMS = [
    (2, None, False, MAT),
    (-2, None, False, MAT),
    ("nuc", None, False, MAT),
    ("nuc", (1, 2), False, BATCH),
    (2, (2, 1), True, BATCH),
    (-2, (0, 2), False, BATCH),
]


@pytest.mark.parametrize(
    "ord, axis, keepdims, x", SVD_NORMS, ids=lambda v: repr(v)[:12]
)
def test_singular_value_norms_first_order(ord, axis, keepdims, x):
    f = _svd_norm(ord, axis, keepdims)
    C = weight_for(f, x)
    check_grad(f, x, C)  # gradient, and forward against reverse mode
    check_jvp(f, (x, C), 0)


@pytest.mark.parametrize("ord", [2, -2])
@pytest.mark.parametrize(
    "axis, x",
    [
        ((0, 1), arr(3, 4)),
        ((1, 0), arr(4, 3)),
        ((0, 1), arr(3, 3)),
        ((2, 0), arr(3, 2, 4)),
    ],
    ids=["wide", "tall", "square", "batch"],
)
def test_spectral_norms_second_order(ord, axis, x):
    run(_svd_norm(ord, axis, False), (x,), 0, {})


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_singular_value_norms_third_order(ord):
    # sigma_max(M t + C)^2 and the like: their third derivative in t against
    # central differences of the second
    C = np.eye(*MAT.shape) * 0.7

    def f(t):
        return np.linalg.norm(MAT * t + C, ord, axis=(0, 1)) ** 2

    second = grad(grad(f))
    eps = 1e-4
    expected = (second(1.0 + eps) - second(1.0 - eps)) / (2 * eps)
    assert grad(second)(1.0) == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize(
    "axis, x",
    [(None, arr(3, 4)), (None, arr(4, 3)), (None, arr(3, 3)), ((2, 0), arr(3, 2, 4))],
    ids=["wide", "tall", "square", "batch"],
)
def test_nuclear_norm_second_order(axis, x):
    f = _svd_norm("nuc", axis, False)
    run(f, (x,), 0, {})


def test_nuclear_and_spectral_norms_closed_form():
    # d ||X||_* = U V^T, d ||X||_2 = u1 v1^T
    u, s, vt = np.linalg.svd(MAT, full_matrices=False)

    def nuclear(x):
        return np.linalg.norm(x, "nuc")

    def spectral(x):
        return np.linalg.norm(x, 2)

    np.testing.assert_allclose(grad(nuclear)(MAT), u @ vt, atol=1e-12)
    np.testing.assert_allclose(
        grad(spectral)(MAT), np.outer(u[:, 0], vt[0]), atol=1e-12
    )


def test_norm_at_zero_has_derivative_zero():
    def f(x):
        return np.linalg.norm(x)

    def g(x):
        return np.linalg.norm(x, 3, axis=0)

    np.testing.assert_array_equal(grad(f)(np.zeros(3)), np.zeros(3))
    np.testing.assert_array_equal(grad(g)(np.zeros(3)), np.zeros(3))


def test_vector_norm_hessian_dense():
    def f(x):
        return np.linalg.norm(x, ord=3)

    check_hessian(f, VEC)


@pytest.mark.parametrize("ord", [2, -1, -2])
def test_norm_of_rank_known_at_every_order(ord):
    # axis=None with ord 2, -1 or -2 is a vector norm of a vector and a
    # matrix norm of a matrix: the rule needs the rank, which the compiler
    # knows for grad's arguments and now for the generated gradient that
    # hvp and hessian differentiate again (the call key's ranks reach it)
    def f(x):
        return np.linalg.norm(x, ord=ord)

    check_grad(f, VEC, order=2)
    check_grad(f, MAT + 2.0 * np.eye(*MAT.shape), order=2)
    check_hessian(f, VEC)


def test_closure_keywords_are_compile_time_constants():
    def make(axis, keepdims, offset, ord):
        def f(x):
            total = np.sum(np.sum(x * x, axis=axis, keepdims=keepdims))
            return total + np.trace(x, offset=offset) + np.linalg.norm(x, ord=ord)

        return f

    for axis, keepdims, offset, ord in ((0, True, 1, "fro"), ((0, 1), False, -1, None)):
        f = make(axis, keepdims, offset, ord)
        check_grad(f, MAT, order=2)


AXIS_GLOBAL = (1,)
ORD_GLOBAL = np.inf


def norm_from_globals(x):
    return np.sum(np.linalg.norm(x, ord=ORD_GLOBAL, axis=AXIS_GLOBAL) ** 2)


def test_global_keywords_are_compile_time_constants():
    check_grad(norm_from_globals, MAT, order=2)


def test_global_keyword_changed_recompiles():
    global AXIS_GLOBAL
    g = grad(norm_from_globals)
    first = g(MAT)
    saved = AXIS_GLOBAL
    try:
        AXIS_GLOBAL = (0,)
        second = g(MAT)
        np.testing.assert_allclose(
            second, adcompiler.numerical_grad(norm_from_globals, MAT), rtol=1e-6
        )
        assert not np.allclose(first, second)
    finally:
        AXIS_GLOBAL = saved


def test_parameter_keyword_is_specialised_or_refused_clearly():
    # an int parameter: compiled for its value (tests/test_static_parameters.py)
    def f(x, axis):
        return np.sum(np.sum(x, axis=axis) ** 2)

    np.testing.assert_allclose(grad(f)(MAT, 0), 2 * np.sum(MAT, axis=0) + 0 * MAT)

    # a value computed from the array: refused, naming what to do
    def g(x):
        return np.sum(np.sum(x, axis=int(0) + (x > 0).sum() * 0) ** 2)

    with pytest.raises(adcompiler.UnsupportedSyntaxError, match="literal"):
        grad(g)(MAT)


# ---------------------------------------------------------------------------
# Third order: d^3/dt^3 of f(t * u + w) against central differences of the
# second derivative


def _third(body):
    def f(t, u, w):
        return body(t * u + w)

    return f


def third_roll(x):
    return np.sum(np.sin(np.roll(x, 1)) * x)


def third_diag(x):
    return np.sum(np.sin(np.diag(x, 1)) * x[0])


def third_pad(x):
    return np.sum(np.sin(np.pad(x, 1, mode="reflect")) ** 2)


def third_sort(x):
    return np.sum(np.sin(np.sort(x)) * np.arange(4.0))


def third_cumprod(x):
    return np.sum(np.sin(np.cumprod(x)))


def third_sinc(x):
    return np.sum(np.sinc(x))


def third_kron(x):
    return np.sum(np.sin(np.kron(x, x)))


def third_cross(x):
    return np.sum(np.sin(np.cross(x[:3], x[1:])))


def third_convolve(x):
    return np.sum(np.sin(np.convolve(x, x, "same")))


def third_polyval(x):
    return np.sum(np.sin(np.polyval(x, x)))


def third_diff(x):
    return np.sum(np.sin(np.diff(x, 2, prepend=1.0)))


def third_gradient(x):
    return np.sum(np.sin(np.gradient(x, 0.5)))


def third_trapezoid(x):
    return np.sin(TRAPEZOID(x * x, XS[:4]))


def third_interp(x):
    return np.sum(np.sin(np.interp(0.3 * x, XP, x[[0, 1, 2, 3, 0]])))


def third_einsum(x):
    return np.sum(np.sin(np.einsum(x, [0], x, [1], [0, 1])))


def third_norm(x):
    return np.sin(np.linalg.norm(x, 3, axis=0))


def third_norm_inf(x):
    return np.sin(np.linalg.norm(x * x, np.inf))


def third_select(x):
    return np.sum(np.select([x > 0.0], [np.sin(x) * x], x * x))


def third_meshgrid(x):
    return np.sum(np.sin(np.meshgrid(x, x * x)[1]))


def third_split(x):
    return np.sum(np.sin(np.split(x, 2)[1] * x[:2]))


def third_take_along_axis(x):
    return np.sum(np.sin(np.take_along_axis(x, np.array([3, 0, 0]), 0)))


def third_append(x):
    return np.sum(np.sin(np.append(x, x * x)))


def third_column_stack(x):
    return np.sum(np.sin(np.column_stack([x, x * x])))


THIRD = {
    f.__name__: f
    for f in (
        third_roll,
        third_diag,
        third_pad,
        third_sort,
        third_cumprod,
        third_sinc,
        third_kron,
        third_cross,
        third_convolve,
        third_polyval,
        third_diff,
        third_gradient,
        third_trapezoid,
        third_interp,
        third_einsum,
        third_norm,
        third_norm_inf,
        third_select,
        third_meshgrid,
        third_split,
        third_take_along_axis,
        third_append,
        third_column_stack,
    )
}


@pytest.mark.parametrize("name", sorted(THIRD))
def test_third_order(name):
    body = THIRD[name]
    f = _third(body)
    u = np.array([0.7, -0.4, 1.1, 0.5])
    w = np.array([0.3, 1.2, -0.8, 0.45])
    d2 = grad(grad(f))
    d3 = grad(d2)(0.1, u, w)
    h = 1e-4
    numeric = (d2(0.1 + h, u, w) - d2(0.1 - h, u, w)) / (2 * h)
    np.testing.assert_allclose(d3, numeric, rtol=1e-5, atol=1e-6)


ISSUE_FUNCTIONS = """roll diag diagonal tril triu flipud fliplr rot90 append split
array_split hsplit vsplit dsplit column_stack dstack rollaxis pad select meshgrid
kron cross diff gradient sort partition take_along_axis nan_to_num sinc cumprod
trapezoid interp convolve correlate polyval logaddexp logaddexp2 einsum""".split()


@pytest.mark.parametrize("name", ISSUE_FUNCTIONS)
def test_every_function_has_reverse_and_tangent_rules(name):
    prim = lookup(getattr(np, name))
    assert prim is not None and prim.differentiable
    assert prim.jvps is not None
    differentiable = [k for k, rule in enumerate(prim.vjps) if rule is not None]
    assert differentiable and all(prim.jvps[k] is not None for k in differentiable)
    page = open("docs/numpy-coverage.md", encoding="utf-8").read()
    assert f"| `np.{name}` | yes" in page


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_cross_of_two_vectors_is_refused_in_reverse_mode():
    def f(a, b):
        return np.sum(np.cross(a, b))

    with pytest.raises(NoRuleError, match="2-vectors"):
        grad(f)(np.array([1.0, 2.0]), np.array([0.5, -1.0, 2.0]))


def test_pad_modes_without_rules_are_refused():
    def f(x):
        return np.sum(np.pad(x, 1, mode="linear_ramp"))

    with pytest.raises(NoRuleError, match="linear_ramp"):
        grad(f)(V)


def test_einsum_sublists_from_a_closure_are_refused():
    subs = [0, 1]

    def f(a):
        return np.sum(np.einsum(a, subs, [1]))

    with pytest.raises(NoRuleError, match="written in the call"):
        grad(f)(M)
