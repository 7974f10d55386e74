"""In-place accumulation of adjoints (adcompiler.passes.inplace): sums of
contributions write into a private running total; gradients stay those of
finite differences, and totals other code can see are never overwritten."""

from __future__ import annotations

import re

import numpy as np
import pytest

from adcompiler import grad
from adcompiler.runtime import (
    add_at,
    add_into,
    assemble,
    concatenate_tiles,
    tile_pieces,
    unindex,
)
from adcompiler.options import optimizations
from adcompiler.testing import check_grad
from support.modules import uncompiled

RNG = np.random.default_rng(7)


def gates(W, x):
    z = x @ W
    H = 3
    a = np.tanh(z[:, :H])
    b = np.exp(z[:, H : 2 * H] * 0.1)
    c = z[:, 2 * H :] ** 2
    return np.sum(a * b + c)


def fan_out(x):
    y = np.sin(x)
    return np.sum(y * y * y + np.cos(y) * y)


def in_loop(x, w):
    s = np.zeros_like(x)
    for i in range(4):
        t = np.tanh(x * w + s)
        s = s + t * t + t
    return np.sum(s)


def branchy(x, flag):
    y = x * 2.0
    if flag:
        z = y * y + y
    else:
        z = y
    return np.sum(z * y)


def test_slices_are_put_where_they_belong():
    W, x = RNG.normal(size=(4, 9)), RNG.normal(size=(5, 4))
    g = grad(gates)
    g(W, x)
    # the three slices' adjoints make d_z in one step, once all are computed:
    # [:3], [3:6], [6:] tile the axis, so they are concatenated
    assert g.source.count("concatenate_tiles(") == 1
    assert re.search(r"d_z = concatenate_tiles\(shape\w*, 1, \(3, 6\), ", g.source)
    assert "assemble(" not in g.source
    assert "add_at(" not in g.source and "unindex(" not in g.source
    check_grad(gates, W, x)


def split_at(x, k, m):
    a = np.sin(x[:, :k])
    b = x[:, m:] ** 2
    c = np.cos(x[:, k:m])
    return np.sum(a * 2.0) + np.sum(b) + np.sum(c * c)


@pytest.mark.parametrize("k, m", [(2, 3), (0, 5), (5, 5), (-2, -1), (3, 2), (9, 12)])
def test_slices_cut_at_runtime_values_are_concatenated_or_added(k, m):
    # cuts out of order, negative or past the end are checked when the code
    # runs: the pieces are then added as assemble adds them
    x = RNG.normal(size=(3, 5))
    g = grad(split_at, wrt="x")
    g(x, k, m)
    assert "concatenate_tiles(" in g.source
    check_grad(split_at, x, k, m, wrt="x")


def overlapping(x):
    return np.sum(np.sin(x[:4]) * x[2:6] + x[1])


def test_overlapping_slices_are_added():
    x = RNG.normal(size=7)
    g = grad(overlapping)
    g(x)
    assert "assemble(" in g.source
    check_grad(overlapping, x)


_S = slice(None)


@pytest.mark.parametrize(
    "shape, pieces",
    [
        # tiling an axis, in any order: concatenated
        ((3, 8), [((_S, slice(None, 2)), (3, 2)), ((_S, slice(2, 8)), (3, 6))]),
        ((3, 8), [((_S, slice(4, None)), (3, 4)), ((_S, slice(None, 4)), (3, 4))]),
        # tiling, with pieces broadcast to their slices: written into zeros
        ((3, 8), [((_S, slice(None, 2)), ()), ((_S, slice(2, 8)), (3, 6))]),
        ((3, 8), [((_S, slice(None, 2)), (3, 1)), ((_S, slice(2, 8)), (3, 6))]),
        ((3, 8), [((_S, slice(None, 2)), (1, 2)), ((_S, slice(2, 8)), (3, 6))]),
        # disjoint, with a gap: written into zeros
        ((3, 8), [((_S, slice(1, 3)), (3, 2)), ((_S, slice(5, 8)), (3, 3))]),
        ((4,), [(0, ()), (-1, ()), (slice(1, 3), (2,))]),
        ((4, 2), [(0, (2,)), ((1,), ()), (slice(2, None), (2, 2))]),
        # an explicitly full slice after the narrowed axis
        ((4, 2), [((slice(0, 2), slice(0, 2)), (2, 2)), ((slice(2, 4), _S), (2, 2))]),
        ((3, 2), [((slice(1, 3), slice(0, 2)), (2, 2)), ((slice(2, 3),), (1, 2))]),
        # overlapping, repeated or advanced indices, strides, two axes: added
        ((3, 8), [((_S, slice(1, 5)), (3, 4)), ((_S, slice(3, 8)), (3, 5))]),
        ((4,), [(0, ()), (0, ())]),
        ((4, 2), [((0, 1), ()), ((1, 0), ())]),
        ((4, 2), [(np.array([0, 0]), (2, 2)), (1, (2,))]),
        ((4, 2), [(slice(None, None, 2), (2, 2)), (1, (2,))]),
        ((3, 0), [((_S, slice(None, 2)), (3, 0)), ((_S, slice(2, None)), (3, 0))]),
    ],
)
def test_assemble_is_the_sum_of_its_pieces(shape, pieces):
    made = [(index, RNG.normal(size=size)) for index, size in pieces]
    total = unindex(made[0][1], shape, made[0][0])
    for index, g in made[1:]:
        total = add_at(total, g, shape, index)
    result = assemble(shape, *made)
    assert result.dtype == total.dtype
    np.testing.assert_array_equal(result, total)


@pytest.mark.parametrize(
    "shape, axis, cuts, sizes",
    [
        ((3, 8), 1, (2, 5), [(3, 2), (3, 3), (3, 3)]),
        ((6, 2), 0, (0, 6), [(0, 2), (6, 2), (0, 2)]),
        # a part broadcast to its slice
        ((3, 8), 1, (2,), [(), (3, 6)]),
        ((3, 8), 1, (2,), [(3, 1), (3, 6)]),
        # cuts out of order, negative, past the end, not Python ints
        ((3, 8), 1, (5, 2), [(3, 5), (3, 0), (3, 6)]),
        ((3, 8), 1, (-2,), [(3, 6), (3, 2)]),
        ((3, 8), 1, (10,), [(3, 8), (3, 0)]),
        ((3, 8), 1, (np.int64(3),), [(3, 3), (3, 5)]),
    ],
)
def test_concatenate_tiles_is_the_sum_of_its_pieces(shape, axis, cuts, sizes):
    parts = [RNG.normal(size=size) for size in sizes]
    pieces = tile_pieces(axis, cuts, parts)
    total = unindex(pieces[0][1], shape, pieces[0][0])
    for index, g in pieces[1:]:
        total = add_at(total, g, shape, index)
    result = concatenate_tiles(shape, axis, cuts, *parts)
    assert result.dtype == total.dtype and result.shape == shape
    np.testing.assert_array_equal(result, total)


def test_assemble_keeps_the_dtype_a_sum_would_have():
    pieces = [(slice(0, 2), np.ones((2, 2), np.float32)), (slice(2, 4), 1.5)]
    assert assemble((4, 2), *pieces).dtype == np.float32
    pieces = [(slice(0, 2), np.ones((2, 2), np.float32)), (slice(2, 4), np.ones(2))]
    assert assemble((4, 2), *pieces).dtype == np.float64


@pytest.mark.parametrize(
    "fn, args",
    [
        (fan_out, (RNG.normal(size=6),)),
        (in_loop, (RNG.normal(size=5), RNG.normal(size=5))),
        (branchy, (RNG.normal(size=4), True)),
        (branchy, (RNG.normal(size=4), False)),
    ],
)
def test_fan_out_sums_are_right(fn, args):
    check_grad(fn, *args)


def gaussian(x):
    return np.sum(np.exp(-x * x) + x)


def test_a_negated_contribution_is_subtracted():
    x = RNG.normal(size=5)
    g = grad(gaussian)
    np.testing.assert_allclose(g(x), -2.0 * x * np.exp(-x * x) + 1.0, rtol=1e-12)
    backward = g.source.split("# backward sweep")[1]
    # -x * x: x's contribution is minus the product made for -x, and each
    # negated contribution is subtracted from x's total: no array for -g
    assert "d_x = subtract_into(d_x, d_neg)" in backward
    assert "= -" not in backward and "* neg" not in backward
    check_grad(gaussian, x)


def chain_of_reads(x):
    y = np.sin(x) * np.exp(-x * x)
    z = np.tanh(y * 3.0 + x)
    return np.sum(z * z)


def test_a_total_read_before_its_sum_is_written_into():
    # d_add is read by d_y = d_add * 3.0 (a new array), then by x's sum last:
    # the sum may write into it
    x = RNG.normal(size=6)
    g = grad(chain_of_reads)
    g(x)
    backward = g.source.split("# backward sweep")[1]
    assert "d_y = d_add * 3.0" in backward
    assert "d_x = subtract_into(d_add, d_neg)" in backward
    with optimizations(False):
        plain = grad(uncompiled(chain_of_reads))(x)
    np.testing.assert_allclose(g(x), plain, rtol=1e-13)
    check_grad(chain_of_reads, x)


def test_a_total_read_after_its_sum_is_not_written_into():
    # d_add is read again after the sum that adds x's contributions (by
    # d_y's product, here after it): a new array
    def later(x):
        u = x + x * x
        v = np.sin(u)
        return np.sum(v) + np.sum(u * 3.0)

    x = RNG.normal(size=6)
    check_grad(later, x)


def minus_square_right(x):
    return np.sum(np.sin(x * -x))


def minus_square_first(x):
    return np.sum(np.cos(-x * x) * 2.0)


@pytest.mark.parametrize("f", [minus_square_right, minus_square_first])
def test_minus_x_times_x_either_way_round(f):
    x = RNG.normal(size=4)
    g = grad(f)
    g(x)
    assert "* neg" not in g.source.split("# backward sweep")[1]
    check_grad(f, x, order=2)


def test_fan_out_sums_are_made_in_place():
    g = grad(fan_out)
    g(RNG.normal(size=6))
    assert "add_into(" in g.source


def test_scalar_sums_stay_plain():
    def f(x):
        y = x * x
        return y * y + y

    g = grad(f)
    assert g(1.5) == pytest.approx(4 * 1.5**3 + 2 * 1.5)
    assert "add_into" not in g.source and "d_y = d_y + " in g.source


def test_gradients_do_not_alias_each_other():
    def f(x, y):
        s = x + y
        return np.sum(s * s) + np.sum(x * 3.0)

    x, y = RNG.normal(size=3), RNG.normal(size=3)
    gx, gy = grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, 2 * (x + y) + 3.0)
    np.testing.assert_allclose(gy, 2 * (x + y))
    gx += 1.0
    np.testing.assert_allclose(gy, 2 * (x + y))


def test_add_into_writes_only_when_the_sum_keeps_shape_and_dtype():
    total = np.ones(3)
    assert add_into(total, np.arange(3.0)) is total
    np.testing.assert_array_equal(total, [1.0, 2.0, 3.0])
    small = np.ones(3, dtype=np.float32)
    wide = add_into(small, np.arange(3.0))  # float64 sum: a new array
    assert wide.dtype == np.float64 and small[0] == 1.0
    view = np.broadcast_to(np.ones(1), (3,))
    assert add_into(view, np.ones(3)) is not view  # read-only: a new array
    row = np.ones(3)
    grown = add_into(row, np.ones((2, 3)))  # broadcast to a larger shape
    assert grown.shape == (2, 3) and row[0] == 1.0
    assert add_into(1.5, 2.0) == 3.5


def test_add_at_equals_adding_unindex():
    index = (slice(None), slice(1, 3))
    part = RNG.normal(size=(2, 2))
    total = RNG.normal(size=(2, 4))
    expected = total + unindex(part, (2, 4), index)
    assert add_at(total, part, (2, 4), index) is total
    np.testing.assert_array_equal(total, expected)
    repeated = np.array([0, 0, 2])
    total = np.zeros(4)
    np.testing.assert_array_equal(
        add_at(total, np.ones(3), (4,), repeated), [2.0, 0.0, 1.0, 0.0]
    )


def test_second_order_through_in_place_sums():
    check_grad(fan_out, RNG.normal(size=4), order=2)
    W, x = RNG.normal(size=(4, 9)), RNG.normal(size=(2, 4))
    check_grad(gates, W, x, order=2)


A = np.array([1.0, 2.0])


def fan_out_log(x):
    y = x * A
    return np.sum(y * y + np.log(y))


def test_reverse_over_reverse_reads_values_before_any_sum():
    # grad(f) sums into d_y, which the outer backward of `d_log / y` reads:
    # differentiated again, the sums must not be made in place
    inner = grad(fan_out_log)
    assert "add_into(" in (inner(0.8), inner.source)[1]
    x = 0.8
    exact = np.sum(2.0 * A * A - 1.0 / (x * x))
    assert grad(inner)(x) == pytest.approx(exact, rel=1e-10)


def test_a_gradient_called_inside_differentiated_code():
    inner = grad(fan_out_log)

    def outer(x):
        return inner(x) ** 2

    x = 0.8
    first = np.sum(2.0 * A * A * x + 1.0 / x)
    second = np.sum(2.0 * A * A - 1.0 / (x * x))
    assert grad(outer)(x) == pytest.approx(2.0 * first * second, rel=1e-10)


def test_reverse_over_reverse_through_slice_sums():
    W, x = RNG.normal(size=(4, 9)), RNG.normal(size=(2, 4))
    inner = grad(gates)
    inner(W, x)
    assert "concatenate_tiles(" in inner.source

    def squared_norm(W, x):
        g = inner(W, x)
        return np.sum(g * g)

    check_grad(squared_norm, W, x, rtol=1e-4)
