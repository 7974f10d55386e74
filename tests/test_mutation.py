"""Arrays changed in place: y[i] = v, y[a:b] += v, masks, in-place operators."""

import numpy as np
import pytest

from adcompiler import check_grad, grad

RNG = np.random.default_rng(11)
X = RNG.normal(size=(5, 3))
W = RNG.normal(size=(3, 3)) * 0.5


def tape_rows(x, W):
    T, n = 6, W.shape[0]
    H = np.zeros((T, n))
    h = x
    for t in range(T):
        h = np.tanh(W @ h + 0.1)
        H[t] = h
    return np.sum(H**2) + np.sum(H[:, 0])


def test_tape_preallocated_with_zeros_and_filled_row_by_row():
    check_grad(tape_rows, X[0], W, wrt=(0, 1))


def test_tape_rows_need_no_saved_copies():
    source = grad(tape_rows, wrt=1).source
    assert "H[t] = h" in source
    assert "saved_items" not in source and "restore_items" not in source


def set_items(x):
    y = np.zeros(6)
    y[0] = x[0] * 2.0
    y[1:4] = np.sin(x[:3])
    y[-1] = np.sum(x)
    y[2:5] += x[1:4] ** 2
    return np.sum(y**2)


def test_item_slice_and_augmented_slice_assignment():
    check_grad(set_items, X.ravel()[:6].copy())


def mask_assignment(x):
    y = x * 1.5
    y[y < 0.0] = 0.0
    return np.sum(y**2)


def test_boolean_mask_assignment():
    check_grad(mask_assignment, X)


def overwrite_then_read_old(x):
    y = x * 1.0
    s = np.sum(y**3)  # the backward of this needs y before it was changed
    y[0] = 5.0
    return s + np.sum(y**2)


def test_overwritten_values_are_restored_for_the_backward():
    check_grad(overwrite_then_read_old, X[0])
    source = grad(overwrite_then_read_old).source
    assert "overwritten = saved_items(y, 0)" in source
    assert "y[0] = overwritten" in source


def overwrite_in_loop(x):
    y = x * 1.0
    total = 0.0
    for i in range(y.shape[0]):
        total = total + np.sum(y**2) * (i + 1.0)
        y[i] = y[i] * 0.5
    return total


def test_overwritten_in_a_loop_and_read_in_every_iteration():
    check_grad(overwrite_in_loop, X[0])


def in_place_operators(x):
    y = np.ones_like(x)
    y *= x
    y += 2.0
    y /= 3.0
    y **= 2
    return np.sum(y)


def test_in_place_operators_on_local_arrays():
    check_grad(in_place_operators, X)


def writes_argument(x):
    x[0] = 0.0
    return np.sum(x**2)


def test_the_callers_array_is_never_written():
    x = X[0].copy()
    x.flags.writeable = False
    before = x.copy()
    d_x = grad(writes_argument)(x)
    np.testing.assert_array_equal(x, before)
    expected = 2 * before
    expected[0] = 0.0
    np.testing.assert_allclose(d_x, expected)
    check_grad(writes_argument, before)


def empty_like_filled(x):
    y = np.empty_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] * (i + 1.0)
    return np.sum(np.tanh(y))


def test_empty_like_filled_in_a_loop():
    check_grad(empty_like_filled, X)


def copy_then_change(x):
    y = x.copy()
    y[1, :] = y[0, :] * 3.0
    return np.sum(y * x)


def test_copy_then_change():
    check_grad(copy_then_change, X)
