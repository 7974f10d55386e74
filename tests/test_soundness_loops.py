"""Issue 15, items 1, 5 and 6: writes the loop, branch and call machinery
must see. Each program's value is checked against Python running it (on
copies of the arguments) and its gradient against central finite
differences in float64; cases that cannot be exact must raise an ADError.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from adcompiler import ADError, grad, hvp, value_and_grad
from adcompiler.testing import numerical_grad


def check(f, *args, wrt=0):
    """adcompiler's value and gradient of ``f`` against Python's value
    and central differences (the arguments are never changed)."""
    originals = copy.deepcopy(args)
    expected = f(*copy.deepcopy(args))
    value, gradient = value_and_grad(f, wrt=wrt)(*args)
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    # on copies: some of the programs write into their arguments
    numerical = numerical_grad(
        lambda x, *rest: f(*copy.deepcopy((x, *rest))), *copy.deepcopy(args), wrt=wrt
    )
    np.testing.assert_allclose(gradient, numerical, rtol=1e-5, atol=1e-7)
    for before, after in zip(originals, args):
        np.testing.assert_array_equal(before, after)


X2 = np.array([3.0, 1.0])
X5 = np.array([0.7, -1.3, 2.1, 0.2, 1.1])


# --- item 1: tuple and list targets writing into items, in loops and branches


def tuple_items_in_for(x):
    y = np.zeros(2)
    for i in range(1):
        y[0], y[1] = x[0], x[1]
    return y[0] + 10 * y[1]


def list_target_items_in_for(x):
    y = np.zeros(2)
    for i in range(2):
        [y[0], y[1]] = [x[0] * i, x[1] + i]
    return y[0] + 10 * y[1]


def bubble_sort(x):
    y = x.copy()
    n = y.shape[0]
    for i in range(n):
        for j in range(n - 1 - i):
            if y[j] > y[j + 1]:
                y[j], y[j + 1] = y[j + 1], y[j]
    return np.sum(y * np.arange(1.0, n + 1))


def pair_update(x):
    y = np.zeros(x.shape[0])
    s = 0.0
    for i in range(x.shape[0]):
        s, y[i] = s + x[i], s
    return np.sum(y * y) + s


def nested_tuple_target(x):
    y = np.zeros(3)
    for i in range(2):
        y[0], (y[1], y[2]) = (x[0] * x[1], (x[1] + i, x[0] * i))
    return y[0] + 2 * y[1] + 3 * y[2]


def starred_target(x):
    y = np.zeros(3)
    rest = [0.0, 0.0]
    for i in range(2):
        y[0], *rest = x[0] * i, x[1], x[0]
    return y[0] + rest[0] * rest[1]


def starred_item_target(x):
    y = np.zeros(3)
    for i in range(2):
        a, *y[1:] = x[0] + i, x[1], x[0] * x[1]
    return a + y[1] * 3 + y[2]


def starred_middle(x):
    y = np.zeros(2)
    a, *m, y[1] = x[0], x[1], x[0] * x[1], x[1] * 3.0
    return a * m[0] + m[1] + y[1] * y[1]


def dict_and_list_items_in_for(x):
    d = {"a": x[0]}
    lst = [x[1]]
    for i in range(3):
        d["a"], lst[0] = lst[0] * 2.0, d["a"] + x[0]
    return d["a"] * lst[0]


def dict_and_list_items_in_while(x):
    d = {"a": x[0]}
    lst = [x[1]]
    i = 0
    while i < 3:
        d["a"], lst[0] = lst[0] * 2.0, d["a"] + x[0]
        i += 1
    return d["a"] * lst[0]


def tuple_items_in_while(x):
    y = np.zeros(2)
    i = 0
    while i < 2:
        y[0], y[1] = y[1] + x[0], x[1] * i
        i = i + 1
    return y[0] + 10 * y[1]


def tuple_items_in_branch_in_loop(x):
    y = np.zeros(2)
    for i in range(3):
        if x[0] > i:
            y[0], y[1] = y[1] + x[0], x[1]
        else:
            y[1], y[0] = y[0] * x[1], x[0]
    return y[0] + 10 * y[1]


def dict_items_in_branch_in_loop(x):
    d = {"a": x[0], "b": x[1]}
    for i in range(3):
        if d["a"] > d["b"]:
            d["a"], d["b"] = d["b"], d["a"]
        d["b"] = d["b"] * 1.5
    return d["a"] + 3 * d["b"]


def tuple_items_in_branch(x):
    y = np.zeros(2)
    if x[0] > 0:
        y[0], y[1] = x[1], x[0]
    return y[0] + 10 * y[1]


def for_target_is_an_item(x):
    y = np.zeros(3)
    for y[0] in x[:2]:
        y[1] = y[1] + y[0] * y[0]
    return y[0] + y[1]


ITEM_TARGETS = [
    tuple_items_in_for,
    list_target_items_in_for,
    bubble_sort,
    pair_update,
    nested_tuple_target,
    starred_target,
    starred_item_target,
    starred_middle,
    dict_and_list_items_in_for,
    dict_and_list_items_in_while,
    tuple_items_in_while,
    tuple_items_in_branch_in_loop,
    dict_items_in_branch_in_loop,
    tuple_items_in_branch,
    for_target_is_an_item,
]


@pytest.mark.parametrize("f", ITEM_TARGETS, ids=lambda f: f.__name__)
def test_item_targets(f):
    check(f, X2.copy())


def test_item_targets_reproducer():
    value, gradient = value_and_grad(tuple_items_in_for)(X2.copy())
    assert value == 13.0
    np.testing.assert_allclose(gradient, [1.0, 10.0])


@pytest.mark.parametrize("x", [X5, X5[::-1].copy(), np.array([2.0, 1.0, 0.5])])
def test_bubble_sort(x):
    check(bubble_sort, x.copy())
    check(pair_update, x.copy())


def starred_from_array(x):
    a, *rest = x
    return a


def test_starred_from_a_runtime_value_is_refused():
    with pytest.raises(ADError, match="starred assignment"):
        grad(starred_from_array)(X2.copy())


# --- item 5: += and *= on lists and tuples


def list_iadd(x):
    acc = [x[0]]
    acc += [x[1] * 2]
    return acc[0] * acc[1]


def list_iadd_alias(x):
    a = [x[0]]
    b = a
    a += [x[1] * x[0]]
    return b[1] * b[0] + len(b)


def list_append_alias(x):
    # was refused (reading `a` after `b.append`); now the append reaches `a`
    a = [x * 1.0]
    b = a
    b.append(x * 2.0)
    return np.sum(a[-1] * a[0])


def list_iadd_tuple(x):
    a = [x[0]]
    a += (x[1], x[0] * x[1])
    return a[2] * a[1] + a[0]


def list_iadd_nested_alias(x):
    a = [x[0]]
    d = {"l": a}
    t = (a, x[1])
    a += [x[1] * 3.0]
    return d["l"][1] * t[0][1] + t[0][0]


def list_imul_alias(x):
    a = [x[0], x[1]]
    b = a
    a *= 2
    return b[3] * b[0] + len(a)


def tuple_iadd(x):
    t = (x[0],)
    u = t
    t += (x[1],)
    return t[1] * u[0] + 10.0 * len(u) + len(t)


def tuple_imul(x):
    t = (x[0], x[1])
    u = t
    t *= 2
    return t[3] * t[0] + len(u)


def list_iadd_in_for(x):
    acc = [x[0]]
    for i in range(1, x.shape[0]):
        acc += [x[i] * acc[i - 1]]
    s = 0.0
    for v in acc:
        s = s + v
    return s + acc[-1]


def list_iadd_in_branch_in_loop(x):
    acc = []
    for i in range(x.shape[0]):
        if x[i] > 0.5:
            acc += [x[i] ** 2, x[i]]
    s = 1.0
    for v in acc:
        s = s * v
    return s


def list_iadd_in_while(x):
    acc = [x[1]]
    i = 0
    while i < 3:
        acc += [acc[i] * x[0]]
        i += 1
    return acc[3] + acc[2]


def array_iadd_list(x):
    y = x[:2] * 1.0
    y += [1.0, 2.0]
    y *= [x[1], 3.0]
    return np.sum(y * y)


def sequence_plus_array(x):
    # Python: the array's arithmetic wins (`t += x` makes an array)
    t = (1.0, 2.0)
    t += x[:2]
    a = [x[0], 3.0]
    a += x[:2] * x[1]
    z = (4.0,)
    z -= x[1]
    return np.sum(t * a) + z[0]


SEQUENCE_UPDATES = [
    list_iadd,
    list_iadd_alias,
    list_append_alias,
    list_iadd_tuple,
    list_iadd_nested_alias,
    list_imul_alias,
    tuple_iadd,
    tuple_imul,
    list_iadd_in_for,
    list_iadd_in_branch_in_loop,
    list_iadd_in_while,
    array_iadd_list,
    sequence_plus_array,
]


@pytest.mark.parametrize("f", SEQUENCE_UPDATES, ids=lambda f: f.__name__)
def test_sequence_updates(f):
    check(f, X2.copy())
    check(f, X5.copy()[:3])


def test_list_iadd_reproducer():
    np.testing.assert_allclose(grad(list_iadd)(np.array([0.3, 1.7])), [3.4, 0.6])


def alias_extended_in_loop(x):
    a = [x[0]]
    b = a
    for i in range(2):
        a += [x[1]]
    return b[2]


def list_repeated_in_loop(x):
    a = [x[0]]
    for i in range(2):
        a *= 2
    return a[0]


def list_extended_by_runtime_list(x):
    b = []
    for i in range(2):
        b.append(x[i])
    a = [x[0]]
    a += b
    return a[0]


def list_repeated_by_runtime_value(x):
    a = [x[0]]
    a *= x.shape[0]
    return a[0]


@pytest.mark.parametrize(
    "f, message",
    [
        (alias_extended_in_loop, r"reading `b` after `a \+= \[x\[1\]\]`"),
        (list_repeated_in_loop, r"`a \*= 2` on the list `a`"),
        (list_extended_by_runtime_list, "extending the list `a` by a value"),
        (list_repeated_by_runtime_value, "repeating the list `a` a number of times"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_sequence_updates_that_cannot_be_followed_are_refused(f, message):
    with pytest.raises(ADError, match=message):
        grad(f)(X2.copy())


def test_forward_mode_agrees():
    from adcompiler import jvp

    x = np.array([0.7, 1.3, 0.9])
    direction = np.array([1.0, 0.5, -2.0])
    for f in ITEM_TARGETS + SEQUENCE_UPDATES[:-1]:
        _, tangent = jvp(f, (x.copy(),), (direction,))
        expected = numerical_grad(f, x.copy()) @ direction
        np.testing.assert_allclose(tangent, expected, rtol=1e-5, atol=1e-7)


# --- item 6: helpers writing into the lists and dicts they are passed


def normalize(p):
    p["w"] = p["w"] / np.linalg.norm(p["w"])


def normalize_and_return(p):
    p["w"] = p["w"] / np.linalg.norm(p["w"])
    return p


def set_first(lst, v):
    lst[0] = v * 2.0


def add_item(lst, v):
    lst.append(v * 3.0)


def extend_by(lst, v):
    lst += [v, v * v]
    return len(lst)


def scale_rows(m, k):
    m[0] = m[0] * k


def through_another_helper(p):
    normalize(p)
    return p["w"][0]


def normalize_statement(x):
    params = {"w": x * 2.0}
    normalize(params)
    return np.sum(params["w"] * np.arange(1.0, x.shape[0] + 1))


def normalize_returning(x):
    params = {"w": x * 2.0}
    q = normalize_and_return(params)
    return np.sum(params["w"] * np.arange(1.0, x.shape[0] + 1)) + q["w"][0]


def list_item_and_append(x):
    a = [x[0], x[1]]
    b = a
    set_first(a, x[1])
    add_item(b, x[0])
    return a[0] * b[1] + a[2]


def extend_in_helper(x):
    a = [x[0]]
    n = extend_by(a, x[1])
    return a[1] * a[2] + a[0] * n


def nested_def_writes(x):
    d = {"a": x[0], "b": x[1]}

    def swap(e):
        e["a"], e["b"] = e["b"], e["a"] * 2.0

    swap(d)
    swap(d)
    return d["a"] * 3.0 + d["b"]


def closure_append(x):
    # was refused (an expression statement); the append reaches `acc`
    acc = []

    def add(v):
        acc.append(v * v)

    add(x[0])
    add(x[1] * x[0])
    return acc[0] + 3.0 * acc[1]


def array_written_by_helper(x):
    y = x * 1.0
    scale_rows(y, x[1])
    return np.sum(y * y)


def helper_of_helper(x):
    params = {"w": x * 2.0}
    first = through_another_helper(params)
    return first + params["w"][1] * 3.0


def helper_in_for(x):
    params = {"w": x * 2.0}
    for i in range(3):
        normalize(params)
        params["w"] = params["w"] * (i + 1.5)
    return np.sum(params["w"] * np.arange(1.0, x.shape[0] + 1))


def helper_only_in_for(x):
    params = {"w": x * 2.0}
    alias = params
    for i in range(2):
        normalize(alias)
    return np.sum(params["w"] * np.arange(1.0, x.shape[0] + 1))


def appending_helper_in_for(x):
    acc = [x[0]]
    for i in range(2):
        add_item(acc, x[1] * i)
    return acc[0] * acc[2] + acc[1]


def helper_in_while(x):
    params = {"w": x * 2.0}
    i = 0
    while i < 2:
        normalize(params)
        i += 1
    return params["w"][0] * 5.0 + params["w"][1]


def helper_in_branch_in_loop(x):
    params = {"w": x * 2.0}
    for i in range(3):
        if params["w"][0] > 0.3:
            normalize(params)
        params["w"] = params["w"] * 1.7
    return np.sum(params["w"] * np.arange(1.0, x.shape[0] + 1))


def array_helper_in_for(x):
    y = x * 1.0
    for i in range(2):
        scale_rows(y, x[1])
    return np.sum(y * y)


HELPERS = [
    normalize_statement,
    normalize_returning,
    list_item_and_append,
    extend_in_helper,
    nested_def_writes,
    closure_append,
    array_written_by_helper,
    helper_of_helper,
    helper_in_for,
    helper_only_in_for,
    appending_helper_in_for,
    helper_in_while,
    helper_in_branch_in_loop,
    array_helper_in_for,
]


@pytest.mark.parametrize("f", HELPERS, ids=lambda f: f.__name__)
def test_helpers_writing_into_arguments(f):
    check(f, X2.copy())
    check(f, np.array([0.2, -0.9, 1.4]))


def normalize_keyword_only(p, *, scale):
    p["w"] = p["w"] * scale
    return 0.0


def calls_a_helper_compiled_apart(x):
    params = {"w": x * 2.0}
    normalize_keyword_only(params, scale=3.0)
    return np.sum(params["w"])


def aliasing_helper(p):
    q = p
    q["w"] = q["w"] * 3.0
    return 0.0


def helper_writing_through_a_local_alias(x):
    params = {"w": x * 2.0}
    aliasing_helper(params)
    return np.sum(params["w"] * x)


SETTINGS = {"scale": 1.0}


def writes_a_global_dict(x):
    d = SETTINGS
    d["scale"] = x[0]
    return d["scale"] * x[1]


def writes_a_view_the_caller_holds(x):
    y = x * 1.0
    v = y[:1]
    scale_rows(y, x[1])
    return np.sum(v)


def test_helper_writing_through_an_alias():
    check(helper_writing_through_a_local_alias, X2.copy())


def test_a_helpers_write_reaches_a_view_its_caller_holds():
    # the memory model rebinds the caller's view too (lower/memory.py)
    check(writes_a_view_the_caller_holds, X2.copy())


@pytest.mark.parametrize(
    "f, message",
    [
        (calls_a_helper_compiled_apart, r"changes `p`, an argument"),
        (writes_a_global_dict, r"changes `SETTINGS`, a global"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_writes_that_cannot_reach_their_owner_are_refused(f, message):
    with pytest.raises(ADError, match=message):
        grad(f)(X2.copy())
    assert SETTINGS == {"scale": 1.0}


# --- names sharing a list or dict, through loops and branches


def alias_written_in_loop(x):
    d = {"a": x[0]}
    e = d
    for i in range(3):
        d["a"] = d["a"] * x[1]
    e["b"] = 1.0
    return e["a"] + d["a"] * d["b"]


def alias_rebound_in_loop(x):
    d = {"a": x[0]}
    e = d
    for i in range(2):
        d = {"a": d["a"] * x[1]}
    return e["a"] * 10.0 + d["a"]


def nested_list_alias(x):
    d = {"l": [x[0]]}
    q = d["l"]
    q[0] = 2 * x[1]
    return d["l"][0] * x[0]


def alias_written_in_branch(x):
    d = {"a": x[0]}
    e = d
    if x[0] > 0:
        d["a"] = x[1] * 3
    e["a"] = e["a"] * x[0]
    return d["a"]


def writes_callers_array_argument(x):
    scale_rows(x, 3.0)
    return np.sum(x * x)


SHARING = [
    alias_written_in_loop,
    alias_rebound_in_loop,
    nested_list_alias,
    alias_written_in_branch,
    writes_callers_array_argument,
]


@pytest.mark.parametrize("f", SHARING, ids=lambda f: f.__name__)
def test_names_sharing_a_container(f):
    check(f, X2.copy())
    check(f, -X2)


def test_reading_an_alias_of_a_list_grown_in_a_loop_is_refused():
    def grown(x):
        a = []
        b = a
        for i in range(2):
            b += [x[i] * 2.0]
        return a[0] * a[1]

    with pytest.raises(ADError, match="reading `a` after"):
        grad(grown)(X2.copy())


def halve(p):
    p["w"] = p["w"] * 0.5
    return p["w"][0]


def helper_in_comprehension(x):
    params = {"w": x * 2.0}
    firsts = [halve(params) * i for i in range(3)]
    return firsts[2] + params["w"][1]


def closure_array_in_loop(x):
    y = x * 1.0

    def g():
        y[0] = y[0] * y[1]
        return 0.0

    for i in range(2):
        g()
    return np.sum(y)


def same_dict_twice(x):
    params = {"w": x * 2.0}

    def both(a, b):
        a["w"] = a["w"] * 2.0
        b["w"] = b["w"] + x[0]

    both(params, params)
    return np.sum(params["w"] * x)


def writer_in_while_test(x):
    params = {"w": x * 2.0}
    while halve(params) > 0.2:
        params["w"] = params["w"] * 1.0
    return params["w"][1] * 3.0


@pytest.mark.parametrize(
    "f",
    [helper_in_comprehension, closure_array_in_loop, same_dict_twice],
    ids=lambda f: f.__name__,
)
def test_more_helpers(f):
    check(f, X2.copy())


def test_a_write_in_a_while_condition_is_refused():
    with pytest.raises(ADError, match="a write into `params` in the condition"):
        grad(writer_in_while_test)(X2.copy())


# --- a helper's `d[k] op= v` changes the array in place: the caller's other
# names for it see the change (found by the soundness fuzzer)


def _add_to_item(p, key):
    p[key] += 0.57
    return 1.0


def _scale_item(p, key):
    p[key] *= 1.5


def helper_iadd_dict_item_alias(x):
    w = np.sin(x)
    p = {"w": w}
    s = _add_to_item(p, "w")
    return np.sum(w * np.arange(1.0, 3.0)) + np.sum(p["w"] * x) + s


def helper_imul_dict_item_alias(x):
    w = x + 0.5
    p = {"w": w}
    _scale_item(p, "w")
    return np.sum(w * x) + np.sum(p["w"])


def helper_iadd_list_item_alias(x):
    w = np.cos(x)
    lst = [x * 2.0, w]
    _add_to_item(lst, 1)
    return np.sum(w * x) * lst[0][1]


def helper_iadd_item_in_loop(x):
    w = x * 1.0
    p = {"w": w}
    for i in range(3):
        _scale_item(p, "w")
    return np.sum(w * x)


@pytest.mark.parametrize(
    "f",
    [
        helper_iadd_dict_item_alias,
        helper_imul_dict_item_alias,
        helper_iadd_list_item_alias,
    ],
    ids=lambda f: f.__name__,
)
def test_a_helpers_augmented_item_write_reaches_the_callers_names(f):
    check(f, X2.copy())


def test_a_helpers_augmented_item_write_in_a_loop_with_an_alias_is_refused():
    # in a loop the caller's `w` and `p["w"]` are carried apart: refused, as
    # the same write is outside a helper
    with pytest.raises(ADError, match=r"`p\[key\] \*= 1.5`.*`w` may share memory"):
        grad(helper_iadd_item_in_loop)(X2.copy())


# --- second order through a list grown by a loop the gradient does not go
# through: the first-order code put the list back after the loop, and read it
# there under the name it had before the loop (refused when differentiated
# again); a list made just before the loop needs no putting back


def grown_in_an_inactive_loop(x, y):
    acc = []
    for i in range(3):
        acc.append(y[i] * 2.0)
    v = np.array(acc)
    return np.sum(np.tanh(x * v) ** 2)


def test_second_order_through_a_list_grown_in_an_inactive_loop():
    x, y = np.array([0.3, -0.7, 0.5]), np.array([0.9, 0.4, -1.2])
    direction = np.array([1.0, -2.0, 0.5])
    first = grad(grown_in_an_inactive_loop)
    eps = 1e-6
    expected = (first(x + eps * direction, y) - first(x - eps * direction, y)) / (
        2 * eps
    )
    np.testing.assert_allclose(
        hvp(grown_in_an_inactive_loop)(x, y, direction), expected, rtol=1e-6
    )
    gradient = grad(grown_in_an_inactive_loop)(x, y)
    np.testing.assert_allclose(
        gradient, numerical_grad(grown_in_an_inactive_loop, x, y), rtol=1e-6
    )
