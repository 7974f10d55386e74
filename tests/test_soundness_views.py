"""The memory model (issue 15, items 2, 3, 4, 13, 14): writes through views,
aliases and container items get Python's semantics, or a clear error.

Every value is compared with Python running the function on copies of the
arguments; every gradient with central finite differences in float64, each
evaluation on fresh copies (the functions may write into their arguments).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from adcompiler import ADError, grad, value_and_grad, vjp

X2 = np.array([0.3, 1.7])
X3 = np.array([0.3, 1.7, 0.5])
X4 = np.array([0.3, 1.7, -0.4, 0.9])
M23 = np.array([[0.3, 1.7, -0.4], [0.9, -1.2, 0.5]])
G2 = np.array([0.5, 1.5])


def _numerical(f, args, wrt=0, eps=1e-6):
    """Central differences of f in argument ``wrt`` (an array, or a dict of
    arrays), every evaluation on deep copies of the arguments."""
    base = list(copy.deepcopy(args))

    def at(leaf_path, shifted):
        call = copy.deepcopy(base)
        if leaf_path is None:
            call[wrt] = shifted
        else:
            call[wrt][leaf_path] = shifted
        return f(*call)

    def one(value, path):
        value = np.array(value, dtype=np.float64)
        out = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[i] += eps
            down[i] -= eps
            out[i] = (at(path, up) - at(path, down)) / (2 * eps)
        return out

    if isinstance(base[wrt], dict):
        return {key: one(v, key) for key, v in base[wrt].items()}
    return one(base[wrt], None)


def _exact(f, *args, wrt=0):
    """adcompiler's value and gradient are Python's value and the finite
    differences; the caller's arguments are left as they were."""
    before = copy.deepcopy(args)
    value, gradient = value_and_grad(f, wrt=wrt)(*args)
    for a, b in zip(args, before):
        if isinstance(a, dict):
            for key in a:
                np.testing.assert_array_equal(a[key], b[key])
        else:
            np.testing.assert_array_equal(a, b)
    expected = f(*copy.deepcopy(args))
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)
    numeric = _numerical(f, args, wrt)
    if isinstance(numeric, dict):
        for key in numeric:
            np.testing.assert_allclose(gradient[key], numeric[key], atol=1e-6)
    else:
        np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-6)


def _refused(f, *args, match):
    with pytest.raises(ADError, match=match) as info:
        grad(f)(*args)
    message = str(info.value)
    assert "test_soundness_views.py:" in message and "hint:" in message, message


# -- item 2: writing through a view of an argument ------------------------------


def through_reshape(x):
    v = x.reshape(-1)
    v[0] = 5.0
    return np.sum(x * x)


def through_transpose(x):
    v = x.T
    v[0] = 5.0
    return np.sum(x * x)


def through_whole_slice(x):
    v = x[:]
    v[0] = 5.0
    return np.sum(x * x)


def through_slice(x):
    v = x[0:2]
    v[0] = 5.0 * v[1]
    return np.sum(x * x)


def through_asarray(x):
    v = np.asarray(x)
    v[0] = 5.0
    return np.sum(x * x)


def first_two(a):
    return a[:2]


def through_helper(x):
    v = first_two(x)
    v[0] = 5.0
    return np.sum(x * x)


def through_ravel_of_matrix(m):
    v = m.ravel()
    v[1:3] = v[4] * 2.0
    return np.sum(m * m * np.arange(6.0).reshape(2, 3))


def through_transpose_of_matrix(m):
    t = m.T
    t[2] += t[0] * 3.0
    return np.sum(np.sin(m))


def through_two_levels(m):
    row = m[1]
    part = row[1:]
    part *= 2.0
    return np.sum(m**3) + np.sum(row)


def view_of_view_and_sibling(m):
    a = m[:, 0]
    b = m[1]
    a[1] = 7.0 * b[2]
    return np.sum(m * m) + np.sum(b * b)


def augmented_view(x):
    v = x.reshape(2, 1)
    v += 1.0
    return np.sum(x**3) + np.sum(v)


def advanced_index_is_a_copy(x):
    v = x[np.array([0, 1])]
    v[0] = 5.0  # a copy: x is unchanged
    return np.sum(x * x) + np.sum(v)


def integer_item_is_a_number(x):
    v = x[0]
    v += 1.0  # a NumPy scalar: x is unchanged
    return np.sum(x * x) + v


def base_then_view_read(x):
    y = x * 1.0
    r = y[0:2]
    y[1] = 5.0
    return np.sum(r * x[:2]) + np.sum(y)


def view_in_a_branch(x):
    v = x[0:1]
    if x[1] > 0.0:
        v[0] = x[1] * 4.0
    return np.sum(x * x)


@pytest.mark.parametrize(
    "f, arg",
    [
        (through_reshape, X2),
        (through_transpose, X2),
        (through_whole_slice, X2),
        (through_slice, X2),
        (through_asarray, X2),
        (through_helper, X2),
        (through_ravel_of_matrix, M23),
        (through_transpose_of_matrix, M23),
        (through_two_levels, M23),
        (view_of_view_and_sibling, M23),
        (augmented_view, X2),
        (advanced_index_is_a_copy, X2),
        (integer_item_is_a_number, X2),
        (base_then_view_read, X2),
        (view_in_a_branch, X2),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_write_through_a_view_reaches_the_array(f, arg):
    _exact(f, arg.copy())


def test_the_reproducer_of_item_2():
    value, gradient = value_and_grad(through_reshape)(X2.copy())
    assert value == pytest.approx(27.89)
    np.testing.assert_allclose(gradient, [0.0, 3.4])


def test_the_callers_array_is_not_changed():
    # documented: compiled code changes a copy of its arguments
    x = X2.copy()
    grad(through_reshape)(x)
    np.testing.assert_array_equal(x, X2)


def through_dict_item(p):
    w = p["w"]
    w[0] = 5.0
    return np.sum(p["w"] * p["w"]) + np.sum(p["b"])


def test_a_write_into_a_dict_arguments_item():
    _exact(through_dict_item, {"w": X2.copy(), "b": G2.copy()})


def global_slice_written(x):
    v = G2[0:1]
    v[0] = 5.0
    return np.sum(G2 * x)


def global_written(x):
    G2[0] = 5.0
    return np.sum(G2 * x)


def test_a_write_into_a_global_is_refused():
    _refused(global_slice_written, X2.copy(), match="global `G2` through a view")
    _refused(global_written, X2.copy(), match="writes into the global `G2`")
    np.testing.assert_array_equal(G2, [0.5, 1.5])


# -- aliases by assignment ----------------------------------------------------


def alias_set(x):
    a = x * 1.0
    b = a
    b[0] = 5.0
    return np.sum(a * x)


def alias_iadd_twice(x):
    a = x * 1.0
    b = a
    b += 1.0
    b *= x
    return np.sum(a * a)


def number_alias_iadd(x):
    s = x[0] * 1.0
    t = s
    t += 1.0  # a number: s keeps its value
    return s * t


@pytest.mark.parametrize(
    "f", [alias_set, alias_iadd_twice, number_alias_iadd], ids=lambda f: f.__name__
)
def test_a_write_through_an_alias(f):
    _exact(f, X2.copy())


# -- item 3: `+=` through a container item ---------------------------------------


def dict_item_iadd(x):
    y = x * 2
    d = {"a": y}
    d["a"] += 1.0
    return np.sum(y * x)


def list_item_iadd(x):
    y = x * 2
    lst = [y, x]
    lst[0] += 1.0
    return np.sum(y * x) + np.sum(lst[0])


def list_item_imul_view(x):
    y = x * 2
    lst = [y[0:1]]
    lst[0] *= 3.0
    return np.sum(y * x)


def dict_number_item_iadd(x):
    s = x[0] * 2.0
    d = {"a": s}
    d["a"] += 1.0  # a number: s keeps its value
    return s * d["a"]


@pytest.mark.parametrize(
    "f",
    [dict_item_iadd, list_item_iadd, list_item_imul_view, dict_number_item_iadd],
    ids=lambda f: f.__name__,
)
def test_an_in_place_change_of_a_container_item_reaches_its_other_names(f):
    _exact(f, X2.copy())


def test_the_reproducer_of_item_3():
    value, _ = value_and_grad(dict_item_iadd)(X2.copy())
    assert value == pytest.approx(7.96)


def loop_over_list_iadd(x):
    y = x * 2
    lst = [y, x * 3]
    for a in lst:
        a += 1.0
    return np.sum(lst[0] * x) + np.sum(lst[1] * x)


def loop_over_tuple_display(x):
    y = x * 2
    z = np.cos(x)
    for a in (y, z):
        a -= x[0]
        if a[0] > 0:
            a[1] = a[1] * 3.0
    return np.sum(y * z)


def loop_over_list_write_item(x):
    y = np.sin(x)
    d = {"p": y}
    lst = [y, x * 1.5]
    for a in lst:
        a *= 1.5
        a[0] = a[1] * 2.0
    return np.sum(d["p"] * x) + np.sum(lst[1] ** 2) + np.sum(y)


@pytest.mark.parametrize(
    "f",
    [loop_over_list_iadd, loop_over_tuple_display, loop_over_list_write_item],
    ids=lambda f: f.__name__,
)
def test_in_place_writes_through_a_loop_variable_reach_the_items(f):
    # `a` is each item in turn: the loop over a list known when compiling is
    # unrolled, so each write changes that item's array, seen by every name
    _exact(f, X2.copy())


def loop_over_list_breaking(x):
    y = x * 2
    lst = [y, x * 3]
    for a in lst:
        a += 1.0
        if a[0] > 100.0:
            break
    return np.sum(y * x)


def test_a_loop_variable_written_in_a_loop_that_breaks_is_refused():
    # not unrolled (it may break): `a` may be either item
    _refused(
        loop_over_list_breaking,
        X2.copy(),
        match=r"reading `y` after `a \+=`|`a \+= 1.0` on `a`, which may be a list",
    )


# -- item 4: conversions that may return their argument ------------------------


def astype_no_copy(x):
    y = x * 2
    z = y.astype(np.float64, copy=False)
    z[0] = 0.0
    return np.sum(y * x)


def astype_other_dtype(x):
    y = x * 2
    z = y.astype(np.float32, copy=False)  # a copy: y is unchanged
    z[0] = 0.0
    return np.sum(y * x)


def astype_copy(x):
    y = x * 2
    z = y.astype(np.float64)
    z[0] = 0.0
    return np.sum(y * x) + np.sum(z)


def asarray_written(x):
    y = x * 2
    z = np.asarray(y)
    z[0] = 0.0
    return np.sum(y * x)


def asanyarray_iadd(x):
    y = x * 2
    z = np.asanyarray(y)
    z += 1.0
    return np.sum(y * x)


def array_no_copy(x):
    y = x * 2
    z = np.array(y, copy=False)
    z[0] = 0.0
    return np.sum(y * x)


def array_copy(x):
    y = x * 2
    z = np.array(y)
    z[0] = 0.0
    return np.sum(y * x) + np.sum(z)


def view_method(x):
    y = x * 2
    z = y.view()
    z[1] = 3.0
    return np.sum(y * x)


def ascontiguous_imul(x):
    y = x * 2
    z = np.ascontiguousarray(y)
    z *= 3.0
    return np.sum(y * x)


def asfortran_of_transpose(m):
    y = m.T * 1.0
    z = np.asfortranarray(y)
    z[0, 0] = 5.0
    return np.sum(y * y)


@pytest.mark.parametrize(
    "f, arg",
    [
        (astype_no_copy, X2),
        (astype_other_dtype, X2),
        (astype_copy, X2),
        (asarray_written, X2),
        (asanyarray_iadd, X2),
        (array_no_copy, X2),
        (array_copy, X2),
        (view_method, X2),
        (ascontiguous_imul, X2),
        (asfortran_of_transpose, M23),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_conversion_that_may_share_memory(f, arg):
    _exact(f, arg.copy())


# -- item 13: views on the right of a tuple assignment; one buffer appended ------


def row_swap(x):
    y = x.reshape(2, 2) * 1.0
    y[0], y[1] = y[1], y[0]  # NumPy: y[0] is a view, changed first: equal rows
    return np.sum(y * np.array([[1.0, 2.0], [3.0, 4.0]]))


def column_swap_with_a_copy(x):
    y = x.reshape(2, 2) * 1.0
    y[:, 0], y[:, 1] = y[:, 1], y[:, 0].copy()
    return np.sum(y * np.array([[1.0, 2.0], [3.0, 4.0]]))


def one_buffer_appended_in_turn(x):
    buf = np.zeros(2)
    out = []
    buf[:] = x
    out.append(buf)
    buf[:] = 2.0 * x
    out.append(buf)  # both items are buf, holding 2x
    return np.sum(out[0] * np.array([1.0, 2.0])) + np.sum(out[1] * x)


def a_new_buffer_each_iteration(x):
    out = []
    for i in range(3):
        buf = np.zeros(2)
        buf[:] = x * (i + 1)
        out.append(buf)
    return np.sum(out[0] * np.array([1.0, 2.0])) + np.sum(out[1] * out[2])


def running_sums(x):
    acc = 0.0
    history = []
    for v in x:
        acc += v  # a number: each item is its own
        history.append(acc)
    return history[0] * history[1]


@pytest.mark.parametrize(
    "f, arg",
    [
        (row_swap, X4),
        (column_swap_with_a_copy, X4),
        (one_buffer_appended_in_turn, X2),
        (a_new_buffer_each_iteration, X2),
        (running_sums, X2),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_writes_seen_by_the_values_waiting_to_be_stored(f, arg):
    _exact(f, arg.copy())


def test_the_row_swap_gives_equal_rows():
    value, gradient = value_and_grad(row_swap)(X4.copy())
    (a, b), (c, d) = X4.reshape(2, 2)
    assert value == pytest.approx((1.0 + 3.0) * c + (2.0 + 4.0) * d)
    np.testing.assert_allclose(gradient, [0.0, 0.0, 4.0, 6.0])


def one_buffer_appended_in_a_loop(x):
    buf = np.zeros(2)
    out = []
    for i in range(3):
        buf[:] = x * (i + 1)
        out.append(buf)
    return np.sum(out[0] * np.array([1.0, 2.0])) + np.sum(out[1] * out[2])


def one_buffer_changed_by_iadd_in_a_loop(x):
    buf = x * 1.0
    out = []
    for i in range(3):
        buf += x
        out.append(buf)
    return np.sum(out[0] * out[2])


def one_buffer_read_inside_the_loop(x):
    buf = np.zeros(2)
    out = []
    total = 0.0
    for i in range(1, 4):
        buf[0] = x[0] * i
        buf[1] = x[1] + total
        out.append(buf)
        total = total + np.sum(out[0] * x)  # out[0] is buf, as written so far
    return total + out[-1][1]


def one_buffer_written_after_the_loop(x):
    buf = np.zeros(2)
    out = [x * 1.0]
    for i in range(2, -1, -1):
        buf[:] = x**2 * i
        out.append(buf)
    buf[1] = x[0] * 7.0  # every item appended in the loop sees it
    return np.sum(out[0] * out[1]) + np.sum(out[2] * out[3])


def one_buffer_over_a_local_list(x):
    buf = np.zeros(2)
    out = []
    for scale in [0.5, 2.0]:
        buf *= 0.0
        buf += x * scale
        out.append(buf)
    return np.sum(out[0] * x) + out[1][0]


def one_buffer_appended_in_a_nested_loop(x):
    rows = []
    for j in range(2):
        buf = np.zeros(2)
        out = []
        for i in range(2):
            buf[:] = x * (i + j + 1)
            out.append(buf)
        rows.append(np.sum(out[0] * out[1]))
    return rows[0] + rows[1]


@pytest.mark.parametrize(
    "f",
    [
        one_buffer_appended_in_a_loop,
        one_buffer_changed_by_iadd_in_a_loop,
        one_buffer_read_inside_the_loop,
        one_buffer_written_after_the_loop,
        one_buffer_over_a_local_list,
        one_buffer_appended_in_a_nested_loop,
    ],
    ids=lambda v: v.__name__,
)
def test_one_buffer_appended_in_a_loop_is_every_item(f):
    # Python: every item is buf, holding its last value; the loop is
    # unrolled (its passes are known when compiling), so each item is
    # followed as in straight-line code
    _exact(f, X2.copy())


def one_buffer_for_a_run_time_count(x, n):
    buf = np.zeros(2)
    out = []
    for i in range(n):
        buf[:] = x * (i + 1)
        out.append(buf)
    return np.sum(out[0] * out[-1])


def one_buffer_changed_by_iadd_for_a_run_time_count(x, n):
    buf = x * 1.0
    out = []
    for i in range(n):
        buf += x
        out.append(buf)
    return np.sum(out[0] * out[-1])


def test_one_buffer_appended_in_a_loop_of_run_time_length_is_refused():
    # a loop whose passes are known only at run time is not unrolled
    _refused(
        one_buffer_for_a_run_time_count,
        X2.copy(),
        3,
        match=r"appending `buf` to `out` in a loop that changes it in place",
    )
    # `+=` changes an array in place, a number not: refused at run time
    with pytest.raises(ADError, match="appending `buf` to `out`"):
        grad(one_buffer_changed_by_iadd_for_a_run_time_count)(X2.copy(), 3)


def test_a_long_appending_loop_is_not_unrolled():
    def long_loop(x):
        buf = np.zeros(2)
        out = []
        for i in range(65):
            buf[:] = x * i
            out.append(buf)
        return np.sum(out[0] * out[-1])

    with pytest.raises(ADError, match="appending `buf` to `out`"):
        grad(long_loop)(X2.copy())


# -- item 14: arrays returned to the user keep Python's values -------------------


def written_after_use_with_aux(x):
    y = x * 1.0
    s = np.sum(y**2)  # its backward needs y as it was: restored in place
    y[0] = 5.0
    return np.sum(y * x) + s, {"y": y, "head": y[0:2]}


def written_after_use_for_vjp(x):
    y = x * 1.0
    s = np.sum(y**2)
    y[0] = 5.0
    return y * 1.0 + s, y


def test_the_has_aux_values_are_not_undone_by_the_backward():
    x = np.array([0.3, 1.7, 0.5])
    (value, aux), gradient = value_and_grad(written_after_use_with_aux, has_aux=True)(
        x.copy()
    )
    expected_value, expected_aux = written_after_use_with_aux(x.copy())
    assert value == pytest.approx(expected_value)
    np.testing.assert_array_equal(aux["y"], expected_aux["y"])
    np.testing.assert_array_equal(aux["head"], expected_aux["head"])
    numeric = _numerical(lambda v: written_after_use_with_aux(v)[0], (x,))
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-6)


def test_the_vjp_output_is_not_undone_by_the_pullback():
    x = np.array([0.3, 1.7, 0.5])
    out, pullback = vjp(written_after_use_for_vjp, x.copy())
    expected = written_after_use_for_vjp(x.copy())
    (d_x,) = pullback((np.ones(3), np.ones(3)))
    for got, want in zip(out, expected):
        np.testing.assert_array_equal(got, want)
    # the cotangent (1, 1, 1) on both outputs: the sum of everything
    numeric = _numerical(
        lambda v: sum(np.sum(o) for o in written_after_use_for_vjp(v)), (x,)
    )
    np.testing.assert_allclose(d_x, numeric, rtol=1e-6, atol=1e-6)


# -- more of the model: what stays refused, forward mode, second order -----------


def transpose_method_and_row(m):
    t = m.transpose(1, 0)
    t[0] *= 2.0
    row = m[1]
    row[2] = row[0] * row[1]
    return np.sum(m**3)


def test_a_transpose_with_axes_and_a_row():
    _exact(transpose_method_and_row, M23.copy())


def alias_written_in_a_loop(x):
    y = x * 1.0
    z = y
    for t in range(3):
        z[0] = z[0] * x[1]
    return np.sum(y * x)


def view_written_in_a_loop(x):
    v = x[0:1]
    for t in range(2):
        v *= 2.0
    return np.sum(x * x)


def pick_in_a_loop(a):
    for _ in range(1):
        r = a[:2]
    return r


def view_from_a_called_helper(x):
    v = pick_in_a_loop(x)  # a loop: called, not inlined
    v[0] = 5.0
    return np.sum(x * x)


def view_of_a_branch(x):
    y = x * 1.0
    z = x * 2.0
    w = y if x[0] > 0.0 else z
    w[0] = 5.0
    return np.sum(y * z)


def view_of_another_name_in_a_loop(x):
    y = x * 1.0
    w = y
    for t in range(2):
        v = w[0:1]
        v *= 2.0
    return np.sum(y)


@pytest.mark.parametrize(
    "f, match",
    [
        (view_from_a_called_helper, r"reading `x` after `v\[...\] = ...`"),
        (view_of_a_branch, r"reading `y` after `w\[...\] = ...`"),
        (view_of_another_name_in_a_loop, r"reading `y` after `v \*=`"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_sharing_the_model_does_not_follow_is_refused_where_read(f, match):
    _refused(f, X2.copy(), match=match)


def broadcast_view_written(x):
    y = x * 1.0
    v = np.broadcast_to(y, (2, 2))
    v += 1.0
    return np.sum(y)


def test_a_write_into_a_broadcast_view_is_refused_as_numpy_does():
    with pytest.raises(ValueError):
        broadcast_view_written(X2.copy())  # NumPy: read-only
    with pytest.raises(ADError, match="shows an element of its array several"):
        grad(broadcast_view_written)(X2.copy())


def view_and_alias_both(x):
    y = x * 1.0
    v = y[1:]
    b = y
    v *= x[0]
    b[0] = b[1] * 2.0
    return np.sum(y**3) + np.sum(v * x[1:])


@pytest.mark.parametrize(
    "f, arg",
    [
        (through_slice, np.array([0.3, 1.7, 0.5])),
        (through_transpose_of_matrix, M23),
        (view_and_alias_both, np.array([0.3, 1.7, 0.5])),
        (dict_item_iadd, X2),
        (row_swap, X4),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_forward_mode_and_second_order_through_writes(f, arg):
    from adcompiler import hessian, jvp

    x = np.array(arg, dtype=np.float64)
    t = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)
    _, tangent = jvp(f, (x.copy(),), (t,))
    numeric = _numerical(f, (x,))
    assert tangent == pytest.approx(np.sum(numeric * t), rel=1e-6, abs=1e-6)
    h = hessian(f)(x.copy())
    rows = [
        _numerical(lambda v, i=i: grad(f)(v).reshape(-1)[i], (x,)).reshape(-1)
        for i in range(x.size)
    ]
    np.testing.assert_allclose(
        np.reshape(h, (x.size, x.size)), np.array(rows), rtol=1e-5, atol=1e-5
    )


INDEX = np.array([1, 0])


def advanced_by_a_list(x):
    v = x[[1, 0]]
    v *= 3.0  # a copy: x is unchanged
    return np.sum(x * x) + np.sum(v)


def advanced_by_a_constant_array(x):
    v = x[INDEX]
    v[0] = 5.0
    return np.sum(x * x) + np.sum(v * x)


def test_indexing_known_to_copy_is_no_view():
    # known when compiling: nothing is written back, the copy is private
    for f in (advanced_by_a_list, advanced_by_a_constant_array):
        _exact(f, X2.copy())
        assert "write_through" not in grad(f).source


def augmented_view_then_written_again(x, y):
    v = np.transpose(x)
    v += y * 0.37  # v is still x's view afterwards
    for i in range(2):
        v[-1] = v[-1] * 1.0 + 1.0
    return np.sum(x * np.arange(1.0, 7.0).reshape((2, 3))) + np.sum(v) + y


def augmented_view_then_item(x):
    v = x.T
    v += 1.0
    v[0] = 3.0 * v[1]
    return np.sum(x * x)


def test_a_view_changed_by_iadd_stays_a_view():
    # (found by the soundness fuzzer: the view was rebound to a new array)
    _exact(augmented_view_then_item, X2.copy())
    value, gradient = value_and_grad(augmented_view_then_written_again)(M23.copy(), 1.2)
    assert value == pytest.approx(augmented_view_then_written_again(M23.copy(), 1.2))
    np.testing.assert_allclose(
        gradient,
        _numerical(augmented_view_then_written_again, (M23, 1.2)),
        rtol=1e-6,
        atol=1e-6,
    )


def nested_targets_in_turn(x):
    y = x * 0.5
    s = x[0] * 0.1
    (y[3], y[1]), y[0] = (0.79 * y[1], np.exp(0.3 * np.tanh(s))), 1.52 * s
    return np.sum(y * np.arange(1.0, 5.0)) + 5.0 * s


def test_nested_tuple_targets_with_items():
    _exact(nested_targets_in_turn, X4.copy())


def view_written_in_a_loop_then_after(x):
    v = x[0:2]
    for t in range(3):
        if x[1] > 0.0:
            v[1] = v[1] * x[0] + 0.5
        v *= 1.5
    v[0] = v[0] + x[1]
    return np.sum(x**3) + np.sum(v)


def alias_and_view_in_nested_loops(x):
    y = x * 1.0
    z = y
    r = y.reshape(2, 1)
    for t in range(2):
        for k in range(2):
            z[k] = z[k] * 1.1 + r[1 - k, 0]
        r += 0.5
    return np.sum(y * x) + np.sum(z) + np.sum(r)


def rebound_in_the_loop(x):
    y = x * 1.0
    v = y[0:1]
    for t in range(2):
        v[0] = v[0] * 2.0
        y = y * 1.5  # a new array: v stays a view of the old one
    return np.sum(y) + np.sum(v)


@pytest.mark.parametrize(
    "f",
    [
        alias_written_in_a_loop,
        view_written_in_a_loop,
        view_written_in_a_loop_then_after,
        alias_and_view_in_nested_loops,
    ],
    ids=lambda f: f.__name__,
)
def test_views_and_aliases_across_loops(f):
    _exact(f, X2.copy())


def test_a_view_of_a_name_the_loop_rebinds_is_refused():
    # y rebound in the loop: v is a view of an array no name holds any more
    _refused(
        rebound_in_the_loop, X2.copy(), match=r"reading `y` after `v\[...\] = ...`"
    )


def scale_item(p):
    p["w"] += 1.46  # in place: the caller's array changes
    return 0.0


def helper_iadds_into_a_dict_item(x):
    w = x + 0.5
    p = {"w": w}
    _ = scale_item(p)
    return np.sum(w * np.arange(1.0, 3.0)) + np.sum(p["w"] * x)


def scale_view(a):
    v = a[0:1]
    v *= 3.0
    return 0.0


def helper_writes_through_a_view_of_its_argument(x):
    y = x * 1.0
    z = y
    _ = scale_view(y)
    return np.sum(z * z)


@pytest.mark.parametrize(
    "f",
    [helper_iadds_into_a_dict_item, helper_writes_through_a_view_of_its_argument],
    ids=lambda f: f.__name__,
)
def test_an_inlined_helpers_write_reaches_its_callers_names(f):
    # (found by the soundness fuzzer: the caller's names kept the old value)
    _exact(f, X2.copy())


def nested_container_item_iadd(x):
    y = x * 2.0
    z = x * 0.5
    d = {"p": [y, z], "q": {"w": z}, "a": y}
    d["p"][0] *= 1.3
    d["q"]["w"][0] += x[1]
    d["a"][1:] += 1.5
    return np.sum(y * x) + np.sum(z * z) + np.sum(d["p"][1])


def item_of_a_view(x):
    m = x.reshape(2, 2) * 1.0
    m[0][1] = m[1][0] * 3.0  # m[0] is a view: m changes
    return np.sum(m * m)


def list_in_a_dict_replaced_item(x):
    d = {"p": [x * 1.0, x * 2.0]}
    e = d["p"]
    d["p"][0] = x * 5.0  # the list d["p"], which e is, changes
    return np.sum(e[0] * x)


@pytest.mark.parametrize(
    "f",
    [nested_container_item_iadd, item_of_a_view, list_in_a_dict_replaced_item],
    ids=lambda f: f.__name__,
)
def test_writes_through_subscripts_of_subscripts(f):
    _exact(f, X4.copy())


# -- a write in a branch of an inlined helper that reaches its caller's names:
# the caller's names are merged after the branch like the helper's own (the
# caller's array was bound to a value of one branch only: UnboundLocalError in
# the generated code, found by the default fuzzer at seed 7)


def _doubled_if_positive(c, a):
    if a[0] > 0:
        c *= 2.0
    return c


def branch_in_helper_writes_callers_view(x):
    z = np.ones((3, 3)) * x[0]
    r = _doubled_if_positive(z[:, 0][-1], x)
    return np.sum(z * x[2]) + r * x[1]


def _write_first_if(v, a):
    if a[1] > a[0]:
        v[0] = v[1] * 3.0
    else:
        v[1] = a[2]


def branch_in_helper_writes_callers_slice(x):
    y = np.sin(x)
    _write_first_if(y[1:], x)
    return np.sum(y * x)


@pytest.mark.parametrize(
    "f",
    [branch_in_helper_writes_callers_view, branch_in_helper_writes_callers_slice],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("x", [X3, -X3[::-1]], ids=["first", "second"])
def test_a_write_in_a_helpers_branch_reaches_the_caller_after_it(f, x):
    _exact(f, x.copy())
