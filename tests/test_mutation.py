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


def _column_from_a_row(x):
    w = 2.0 * x
    for k in range(2):
        w[:, 2] = w[k, 0:4]  # <- reads w[k, 2] after writing it (k = 1)
    return np.sum(w)


def _row_of(a):
    return a[1, 0:4]


def _view_from_a_branch(x):
    w = 2.0 * x
    if x[0, 0] > 0.0:
        r = 3.0 * x[0, 0:4]
    else:
        r = w[1, 0:4]
    w[:, 2] = r
    return np.sum(w)


def _view_from_a_call(x):
    w = 2.0 * x
    w[:, 2] = _row_of(w)
    return np.sum(w)


def _view_from_a_list(x):
    w = 2.0 * x
    rows = []
    for k in range(2):
        rows.append(w[k, 0:4])
    w[:, 2] = rows[1]
    return np.sum(w)


@pytest.mark.parametrize(
    "fn", [_view_from_a_branch, _view_from_a_call, _view_from_a_list]
)
def test_a_view_reached_through_a_branch_call_or_list_is_checked(fn):
    from adcompiler import ADError

    x = RNG.normal(size=(4, 5))
    x[0, 0] = -1.0
    with pytest.raises(ADError, match="the right side is a view"):
        grad(fn)(x)


def test_assignment_from_a_view_it_overwrites_is_refused():
    # NumPy walks w[:, 2] in order reading w[1, 0:4] as it goes: w[2, 2]
    # gets the w[1, 2] just written, and a gradient assuming the row as it
    # was would be silently wrong (fuzz campaign 1, program 4560)
    from adcompiler import ADError, jvp

    x = RNG.normal(size=(4, 5))
    with pytest.raises(
        ADError, match=r"test_mutation.py:\d+: `w\[:, 2\] = w\[k, 0:4\]`"
    ):
        grad(_column_from_a_row)(x)
    with pytest.raises(ADError, match="copy the right side"):
        jvp(_column_from_a_row, (x,), (x,))


def _shift(x):
    v = np.sin(x)
    v[1:] = v[:-1]  # the same step: NumPy copies like memmove
    return np.sum(v * v)


def _reverse(x):
    v = np.sin(x)
    v[:] = v[::-1]  # the other way: NumPy copies first
    return np.sum(v * np.arange(v.size))


def _rows_shifted(x):
    w = x * x
    w[1:, :] = w[:-1, :]  # two dimensions: NumPy copies first
    w[:, 2] = w[1, 0:4].copy()  # a copy
    w[:, 1] = w[:, 3]  # a view that does not overlap
    return np.sum(np.tanh(w) * x)


def _row_from_a_column(x):
    w = np.tanh(x)
    w[1] = w[:, 1]  # NumPy writes w[1, 1] last from itself: nothing read stale
    return np.sum(w * x)


@pytest.mark.parametrize(
    "fn, shape",
    [
        (_shift, (5,)),
        (_reverse, (5,)),
        (_rows_shifted, (4, 5)),
        (_row_from_a_column, (4, 4)),
    ],
)
def test_assignments_from_views_numpy_copies_are_differentiated(fn, shape):
    x = RNG.normal(size=shape)
    check_grad(fn, x)
    # and differentiated again: the check is in the generated code too
    from adcompiler import hessian

    g, h = grad(fn), 1e-6
    columns = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        columns.append(((g(x + e) - g(x - e)) / (2 * h)).ravel())
    np.testing.assert_allclose(
        np.reshape(hessian(fn)(x), (x.size, x.size)),
        np.array(columns).T,
        rtol=1e-5,
        atol=1e-6,
    )


def test_the_overlap_check_agrees_with_numpy() -> None:
    """The check runs the assignment on a probe of the same layout: it
    refuses exactly the overlapping assignments whose result differs from
    writing a copy of the right side (so a NumPy that changes its order of
    writes fails here, not silently in a gradient)."""
    from adcompiler import ADError
    from adcompiler.runtime import not_reading_what_it_writes

    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(3000):
        w = np.arange(36.0).reshape(6, 6)
        if rng.random() < 0.5:
            w = np.asfortranarray(w)
        n = int(rng.integers(2, 5))

        def view():
            a, b = int(rng.integers(0, 6)), int(rng.integers(0, 7 - n))
            return (a, slice(b, b + n)) if rng.random() < 0.5 else (slice(b, b + n), a)

        written, read = view(), view()
        source = w[read][:: int(rng.choice([1, -1]))]
        if rng.random() < 0.3:
            w = w.T
        if not np.shares_memory(w[written], source):
            continue
        try:
            not_reading_what_it_writes(w, written, source, "here")
            refused = False
        except ADError:
            refused = True
        before = source.copy()
        w[written] = source
        stale = not np.array_equal(w[written], before)
        assert refused == stale, (written, read)
        seen.add(refused)
    assert seen == {True, False}
