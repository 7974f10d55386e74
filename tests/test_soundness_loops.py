"""Issue 15, items 1, 5 and 6: writes the loop, branch and call machinery
must see. Each program's value is checked against Python running it (on
copies of the arguments) and its gradient against central finite
differences in float64; cases that cannot be exact must raise an ADError.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from adcompiler import ADError, grad, value_and_grad
from adcompiler.testing import numerical_grad


def check(f, *args, wrt=0):
    """adcompiler's value and gradient of ``f`` against Python's value
    and central differences (the arguments are never changed)."""
    originals = copy.deepcopy(args)
    expected = f(*copy.deepcopy(args))
    value, gradient = value_and_grad(f, wrt=wrt)(*args)
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    numerical = numerical_grad(f, *copy.deepcopy(args), wrt=wrt)
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


SEQUENCE_UPDATES = [
    list_iadd,
    list_iadd_alias,
    list_iadd_tuple,
    list_iadd_nested_alias,
    list_imul_alias,
    tuple_iadd,
    tuple_imul,
    list_iadd_in_for,
    list_iadd_in_branch_in_loop,
    list_iadd_in_while,
    array_iadd_list,
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


def list_extended_by_runtime_value(x):
    a = [x[0]]
    a += x
    return a[0]


@pytest.mark.parametrize(
    "f, message",
    [
        (alias_extended_in_loop, r"reading `b` after `a \+= \[x\[1\]\]`"),
        (list_repeated_in_loop, r"`a \*= 2` on the list `a`"),
        (list_extended_by_runtime_value, "extending the list `a` by a value"),
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
