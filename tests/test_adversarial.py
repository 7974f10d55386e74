"""Adversarial programs: control flow, containers, calls and mutation combined.

Every scenario is checked three ways by ``_check``: the gradient against
central finite differences, the forward value of ``value_and_grad`` against
calling the function, and the (read-only) arguments left unchanged. Known
bugs are minimal reproductions marked ``xfail(strict=True)``.
"""

import copy
import math
import re

import numpy as np
import pytest

import adcompiler
from adcompiler import ADError, check_grad, grad, numerical_grad, value_and_grad

RNG = np.random.default_rng(1234)
X = RNG.normal(size=(4, 3))
V = RNG.normal(size=5)
W = RNG.normal(size=(3, 3)) * 0.5


def _read_only(a):
    if isinstance(a, np.ndarray):
        a = a.copy()
        a.flags.writeable = False
        return a
    if isinstance(a, list):
        return [_read_only(v) for v in a]
    if isinstance(a, tuple):
        return tuple(_read_only(v) for v in a)
    if isinstance(a, dict):
        return {k: _read_only(v) for k, v in a.items()}
    return a


def _same(a, b):
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return np.array_equal(a, b)


def _check(f, *args, wrt=0):
    """Value, gradient and untouched arguments, for one function at one point."""
    frozen = tuple(_read_only(a) for a in args)
    before = copy.deepcopy(frozen)
    value, _ = value_and_grad(f, wrt=wrt)(*frozen)
    assert _same(frozen, before), "adcompiler modified an argument"
    expected = f(*copy.deepcopy(args))
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-300)
    check_grad(f, *args, wrt=wrt)


def _check_error(f, *args, wrt=0):
    """An ADError placed at a line of f's file, with a hint."""
    with pytest.raises(ADError) as info:
        grad(f, wrt=wrt)(*args)
    message = str(info.value)
    assert re.search(r"test_adversarial\.py:\d+", message), message
    assert "hint:" in message, message


# -- loops, branches and early returns ---------------------------------------


def early_return_nested_append(X, limit):
    out = []
    for row in X:
        for v in row:
            out.append(v * v)
            if sum(out) > limit:
                return sum(out) * 2.0 + out[0]
    return sum(out)


@pytest.mark.parametrize("limit", [2.0, 1e9])
def test_early_return_from_nested_loops_with_appends(limit):
    _check(early_return_nested_append, X, limit)


def shadow_builtins(x):
    sum = 0.0
    max = x[0]
    for v in x:
        sum = sum + v
        if v > max:
            max = v
    return sum * max


def test_builtins_shadowed_by_locals():
    _check(shadow_builtins, V)


def python_float_while(x):
    n = 0
    while x < 5.0:
        x = x * x + 0.5
        n += 1
    return x / (n + 1)


def test_while_on_a_python_float_argument():
    _check(python_float_while, 0.3)
    assert type(grad(python_float_while)(0.3)) is float


def reversed_range_step(x, n):
    s = 0.0
    for i in reversed(range(1, n, 2)):
        s = s * 0.7 + x[i] ** 2
    for i in reversed(range(n, -1, -2)):
        s = s * 0.9 + x[i] ** 3
    return s


def test_reversed_ranges_with_steps_and_bounds_from_an_argument():
    _check(reversed_range_step, V, 4)


def zero_iterations(x, n):
    s = x * 1.0
    hs = []
    for i in range(n):
        s = s * x
        hs.append(s)
    return np.sum(s) + len(hs) * 1.0


@pytest.mark.parametrize("n", [0, 3])
def test_loop_with_zero_iterations(n):
    _check(zero_iterations, V, n)


def zero_rows(X, w):
    s = w * 1.0
    for row in X:
        s = s + np.sum(row) * w
    return s * s


def test_loop_over_an_array_with_no_rows():
    _check(zero_rows, np.zeros((0, 3)), 0.5, wrt=1)


def defined_in_loop(x):
    for i in range(x.shape[0]):
        last = x[i] * i
        j = i
    for k in range(2):
        pass
    return last * x[j] + x[k]


def test_variables_first_defined_in_loops_used_after():
    _check(defined_in_loop, V)


def helper_branchy(v, w):
    if np.sum(v) > 0:
        return np.tanh(v * w)
    return v * w


def helper_in_branch_in_loop(X, w):
    s = 0.0
    for row in X:
        if row[0] > 0:
            s = s + np.sum(helper_branchy(row, w))
        else:
            s = s - np.sum(helper_branchy(row * 2.0, w))
    return s * 1.0


def test_helper_with_returns_called_from_both_branches_in_a_loop():
    _check(helper_in_branch_in_loop, X, 0.7, wrt=(0, 1))


def int_bounds(x, a, b):
    s = 0.0
    for i in range(a, b):
        s += x[i] * (i - a + 1)
    return s * 1.0


def test_range_bounds_from_integer_arguments():
    _check(int_bounds, V, 1, 4)


def while_on_array_value(x):
    h = x * 1.0
    while np.sum(h * h) < 10.0:
        h = h * 1.3 + 0.1
    return np.sum(h)


def test_while_condition_on_a_differentiated_array():
    _check(while_on_array_value, V)


def while_break_else(x):
    i = 0
    s = 0.0
    while i < 5:
        s = s + x[i] ** 2
        if s > 100.0:
            break
        i += 1
    else:
        s = s * 2.0
    return s * 1.0


def test_while_with_break_and_else():
    _check(while_break_else, V)


def while_continue_break(x):
    s = 0.0
    i = 0
    while s < 3.0:
        i += 1
        if i % 3 == 0:
            continue
        s = s + x * i
        if i > 20:
            break
    return s * i


def test_while_on_a_differentiated_float_with_continue_and_break():
    _check(while_continue_break, 0.37)


def nested_while_for(x):
    h = x * 1.0
    k = 0
    while k < 3:
        for j in range(k + 1):
            h = np.sin(h) + 0.1 * j
        k += 1
    return np.sum(h**2)


def test_for_nested_in_while_with_triangular_bounds():
    _check(nested_while_for, V)


def loops_in_if_in_loop(x):
    s = 1.0
    for k in range(3):
        if k != 1:
            for i in range(k + 1):
                s = s * x
        else:
            s = s * 2.0
    return s * 1.0


def test_loop_inside_a_branch_taken_on_the_first_iteration():
    _check(loops_in_if_in_loop, 0.7)


def nest_carry(x):
    s = x * 1.0
    out = 0.0
    for k in range(3):
        for i in range(2):
            s = np.sin(s) * x
        t = s * s
        out = out + np.sum(t) * (k + 1.0)
        for i in range(k):
            s = s + t * 0.1
    return out * 1.0


def test_two_inner_loops_sharing_carried_state():
    _check(nest_carry, V)


def nest_mutation_append_break(X, w):
    acc = []
    for i in range(X.shape[0]):
        row = X[i] * w
        if i % 2 == 0:
            for j in range(row.shape[0]):
                if row[j] > 0:
                    row[j] = row[j] ** 2
                else:
                    continue
        acc.append(np.sum(row))
        if len(acc) > 10:
            break
    return sum(acc) * 1.0


def test_mutation_in_nested_loop_under_a_branch_with_appends():
    _check(nest_mutation_append_break, X, 0.8, wrt=(0, 1))


def while_in_for(x):
    total = 0.0
    for a in range(3):
        k = 0
        h = x * (a + 1.0)
        while np.sum(h * h) < 4.0 + a:
            h = h * 1.3
            k += 1
            if k > 50:
                break
        total = total + np.sum(h) * k
    return total * 1.0


def test_data_dependent_while_inside_a_for():
    _check(while_in_for, V * 0.2)


def early_return_in_nested_while(x):
    h = x
    i = 0
    while i < 5:
        j = 0
        while j < 5:
            h = h * 1.1 + 0.1
            if h > 3.0:
                return h * (i + j)
            j += 1
        i += 1
    return h


@pytest.mark.parametrize("x", [0.4, 1e-4])
def test_return_from_nested_whiles(x):
    _check(early_return_in_nested_while, x)


def ternary_chain(x):
    s = 0.0
    for v in x:
        if v > -1:
            s += v * v if v > 0 else v
        else:
            s -= v * 3.0 if s > 0 else v * s
    return s + 0.0


def test_conditional_expressions_in_branches_of_a_loop():
    _check(ternary_chain, V)


def and_or_values(x, y):
    a = x > 0 and y
    b = (x < 0) or y * 2.0
    z = (x > 0 and y) or x
    return a * b + z * z


@pytest.mark.parametrize("x, y", [(0.5, 1.5), (0.5, 0.0), (-0.5, 1.5)])
def test_and_or_returning_differentiated_operands(x, y):
    _check(and_or_values, x, y, wrt=(0, 1))


def and_or_loop(x):
    s = 0.0
    for v in x:
        if v > 0 and s < 1.0 or v < -1.0:
            s = s + v
        else:
            s = s * 0.9
    return s * 1.0


def test_and_or_conditions_on_loop_state():
    _check(and_or_loop, V)


# -- names that look like generated ones ---------------------------------------


def generated_names(x):
    d_x = x * 2.0
    tape = [d_x]
    saved = np.sin(x)
    grad_x = saved * d_x
    np_ = 3.0
    zero = 0.0
    items = [tape[0], grad_x]
    for t in items:
        zero = zero + np.sum(t * np_)
    return zero * 1.0


def test_locals_named_like_generated_code():
    _check(generated_names, V)


def params_named_like_generated(x, d_x, grad_x, tape, out):
    return np.sum(x * d_x * grad_x * tape) * out + np.sum(np.sin(x))


def test_parameters_named_like_generated_code():
    args = (V, V[::-1].copy(), V * 2.0, V + 1.0, 1.5)
    _check(params_named_like_generated, *args, wrt=(0, 1, 2, 3, 4))


def runtime_helper_names(x):
    unbroadcast = x * 2.0
    seed_adjoint = np.sum(unbroadcast)
    fit_gradient = seed_adjoint * 3.0
    unindex = 0.0
    for i in range(2):
        unindex = unindex + fit_gradient * x[i]
    shape = unindex * 1.0
    return shape * 1.0


def builtin_names(x):
    len = 3
    range = x * 2.0
    reversed = np.sum(range)
    zip = reversed**2
    return zip + len


def test_locals_named_like_runtime_helpers_and_builtins():
    _check(runtime_helper_names, V)
    _check(builtin_names, V)


def names_of_flow_state(x):
    returned = 0.0
    out = x * 1.0
    iterations = 2
    index = 0
    length = 3.0
    for i in range(4):
        out = out * 1.1
        if np.sum(out) > 100.0:
            return np.sum(out) * returned
        returned = returned + np.sum(out) * length
        index = index + 1
    _ = returned * 2.0
    for _ in range(2):
        index = index + 1
    return returned * iterations + index


def test_locals_named_like_loop_and_return_bookkeeping():
    _check(names_of_flow_state, V)


def unbroadcast(v):
    return v * 3.0


def seed_adjoint(v):
    return v + 1.0


def square(v):
    return v * v


def square_forward(v):
    return v * 100.0


def zero_at(v):
    return v - 1.0


def module_helpers_named_like_runtime(x):
    y = x * 1.0
    y[0] = 3.0
    a = seed_adjoint(np.sum(unbroadcast(x) * x))
    return a + np.sum(square(x)) + np.sum(square_forward(x)) + np.sum(zero_at(y) ** 2)


def test_user_functions_named_like_runtime_helpers():
    _check(module_helpers_named_like_runtime, V)


# -- lists, tuples, dicts ----------------------------------------------------


def rec_over_list(xs, i):
    if i == len(xs):
        return 0.0
    return np.sum(np.sin(xs[i])) + 0.5 * rec_over_list(xs, i + 1)


def rec_over_list_of(a):
    return rec_over_list([a, a * 2.0, a[:2]], 0)


def test_recursion_over_a_list_of_arrays():
    _check(rec_over_list_of, V)


def rec_shrinking(xs):
    if len(xs) == 0:
        return 0.0
    return xs[0] * 2.0 + rec_shrinking(xs[1:]) * xs[0]


def test_recursion_on_a_shrinking_list_with_an_empty_base_case():
    d = grad(rec_shrinking)([1.1, 0.5, 0.3])
    assert isinstance(d, list) and len(d) == 3
    f = lambda a, b, c: rec_shrinking([a, b, c])  # noqa: E731
    for k in range(3):
        n = numerical_grad(f, 1.1, 0.5, 0.3, wrt=k)
        assert d[k] == pytest.approx(n, rel=1e-6)


def swap_in_loop(x):
    a, b = x * 1.0, x * 2.0
    for i in range(3):
        a, b = b, a * b
    return np.sum(a) + np.sum(b)


def test_tuple_swap_carried_through_a_loop():
    _check(swap_in_loop, V * 0.5)


def comprehension_with_branchy_helper(x):
    return sum([branchy_scalar(v) for v in x if v > -0.5])


def branchy_scalar(v):
    if v > 0:
        return v * v
    return -v


def test_comprehension_with_filter_calling_a_helper_with_returns():
    _check(comprehension_with_branchy_helper, V)


def comprehension_shadowing(x, i):
    v = x * 2.0
    ys = [v[i] * i for i in range(3)]
    rows = [[v[a] * v[b] for b in range(2)] for a in range(3)]
    return sum(ys) + x[i] + sum([sum(r) for r in rows])


def test_comprehension_variable_shadowing_a_parameter():
    _check(comprehension_shadowing, V, 4)


def lists_rebuilt_in_loop(x):
    hs = [x * 1.0, x * 2.0]
    for t in range(3):
        hs = [np.tanh(hs[0] + hs[1]), hs[0] * hs[1]]
    grow = [x]
    for t in range(4):
        grow.append(np.sin(grow[t]) + grow[t - 1] * 0.5)
    return np.sum(hs[0]) + np.sum(hs[1]) + np.sum(grow[-1] * grow[2])


def test_lists_of_arrays_rebuilt_and_grown_in_loops():
    _check(lists_rebuilt_in_loop, V * 0.3)


def list_grown_in_while(x):
    hs = [x]
    while np.sum(hs[-1] ** 2) < 50.0:
        hs.append(hs[-1] * 1.7 + 0.1)
    return np.sum(hs[-1]) + len(hs) * 1.0 + np.sum(hs[0] * hs[1])


def test_list_grown_by_a_data_dependent_while():
    _check(list_grown_in_while, V)


def tuple_and_dict_state(x):
    state = (x, 0.0)
    st = {"h": x, "n": 0}
    for t in range(4):
        h, c = state
        state = (np.tanh(h + c), c + np.sum(h))
        if t % 2:
            st["h"] = st["h"] * 1.5
        else:
            st["h"] = np.sin(st["h"])
        st["n"] = st["n"] + 1
    return np.sum(state[0]) + state[1] + np.sum(st["h"]) * st["n"]


def test_tuple_and_dict_state_changed_in_branches_of_a_loop():
    _check(tuple_and_dict_state, V)


def rows_appended_then_read(x):
    ys = []
    for i in range(3):
        y = x * (i + 1.0)
        for j in range(i):
            y[j] = ys[j][j] * y[j]
        ys.append(y)
    return sum([np.sum(v**2) for v in ys])


def test_arrays_in_a_list_read_while_a_new_one_is_mutated():
    _check(rows_appended_then_read, V)


def builtin_max_min(x):
    vals = [np.sum(x[:2]), np.sum(x[2:]) * 1.5, x[0] * 3.0]
    best = -1e9
    for v in x:
        best = max(best, v * v)
    return max(vals) + min(vals) * 0.5 + best


def test_builtin_max_and_min_over_lists_and_in_loops():
    _check(builtin_max_min, V)


def comprehensions_misc(X, a, b):
    pairs = [(a[i], a[i + 1]) for i in range(4)]
    s = 0.0
    for u, v in pairs:
        s = s + u * v
    for k in range(3):
        s = s + sum([b[j] ** 2 * k for j in range(k + 1)])
    H = np.stack([np.tanh(r * 2.0) for r in X], axis=1)
    L = [abs(v) for v in a]
    return s + np.sum(H[0] * H[1]) + sum(L) / len(L) + np.sum(sum([a, b**2], a * 0.5))


def test_comprehensions_of_tuples_stacks_and_sum_with_a_start():
    _check(comprehensions_misc, X, V, V[::-1].copy(), wrt=(0, 1, 2))


def zips_and_reversed(a, b, c):
    s = 0.0
    for u, v, w in zip(a, b, c):
        s = s + u * v - w**2
    for u, v in zip(a, b[:3]):
        s = s + u * v
    hs = [a * 1.0, b * 2.0, np.sin(c)]
    for h in reversed(hs):
        s = np.tanh(s + np.sum(h))
    return s * 1.0


def test_zip_of_three_uneven_zip_and_reversed_list():
    _check(zips_and_reversed, V, V * 2.0, V[::-1].copy(), wrt=(0, 1, 2))


def tuple_param(p, x):
    W, b = p
    return np.sum(np.tanh(x @ W + b))


def list_param(ps, x):
    h = x
    for p in ps:
        h = np.tanh(h @ p)
    return np.sum(h)


def nested_tree(p, x):
    return np.sum(p["layers"][0]["w"] * x) + p["layers"][1]["w"] * p["bias"][1]


def test_parameter_trees_tuples_lists_and_nested_dicts():
    d = grad(tuple_param)((W, V[:3]), X)
    assert isinstance(d, tuple)
    n = numerical_grad(lambda w: tuple_param((w, V[:3]), X), W)
    np.testing.assert_allclose(d[0], n, rtol=1e-6, atol=1e-8)

    Wt = W.T.copy()
    d = grad(list_param)([W, Wt], X)
    assert isinstance(d, list) and len(d) == 2
    n = numerical_grad(lambda w: list_param([W, w], X), Wt)
    np.testing.assert_allclose(d[1], n, rtol=1e-6, atol=1e-8)

    P = {"layers": [{"w": V}, {"w": 2.0}], "bias": (1.0, 3.0)}
    d = grad(nested_tree)(P, V)
    np.testing.assert_allclose(d["layers"][0]["w"], V)
    assert d["layers"][1]["w"] == 3.0 and d["bias"] == (0.0, 2.0)


def sum_of_squares_of(xs):
    s = 0.0
    for v in xs:
        s = s + np.sum(v**2)
    return s * 1.0


def test_one_function_called_with_lists_of_different_lengths_and_types():
    g = grad(sum_of_squares_of)
    assert len(g([V, V])) == 2
    d = g([V, V, V * 2.0])
    np.testing.assert_allclose(d[2], 4.0 * V)
    assert g([1.0, 2.0]) == [2.0, 4.0]
    d = g((V, 3.0))
    assert isinstance(d, tuple) and d[1] == 6.0


# -- calls ----------------------------------------------------------------


def helper_loop_return(v, k):
    for i in range(k):
        if v > 1.0:
            return v * i
        v = v * 1.5
    return v


def loop_calling_helper_with_return(x):
    s = 0.0
    for k in range(1, 4):
        s = s + helper_loop_return(x, k)
    return s * 1.0


def test_helper_returning_from_its_loop_called_from_a_loop():
    _check(loop_calling_helper_with_return, 0.7)


def lambdas_and_defs_in_loop(x):
    s = 0.0
    for k in range(3):
        f = lambda v: v * k + np.sin(v)  # noqa: E731

        def g(v):
            return v**2 * (k + 1.0)

        s = s + np.sum(f(x)) + np.sum(g(x))
    return s * 1.0


def test_lambda_and_def_inside_a_loop_capture_the_loop_variable():
    _check(lambdas_and_defs_in_loop, V)


def nested_rec(x, n):
    if n == 0:
        return x
    return nested_rec(x * x, n - 1)


def early_return_then_loop(x, n):
    if n == 0:
        return x
    for i in range(2):
        x = x * 1.5
    return nested_rec(x, n - 1) * 1.0


@pytest.mark.parametrize(
    "n",
    [
        0,
        1,
        2,
    ],
)
def test_early_return_before_a_loop_and_recursion(n):
    _check(early_return_then_loop, 0.7, n)


def add_one_in_place(a):
    a += 1.0
    return 0.0


def calls_helper_changing_its_argument_with_iadd(x):
    y = x * 2.0
    t = add_one_in_place(y)
    return np.sum(y**2) + t


def test_helper_with_in_place_operator_on_its_argument():
    # Python changes the caller's array (an inlined helper): so does the
    # compiled code (lower/memory.py; for a number, += only rebinds it)
    _check(calls_helper_changing_its_argument_with_iadd, np.array([1.0, 2.0]))


def kwonly(x, *, scale=2.0, w):
    return np.sum(x * scale * w)


def test_keyword_only_argument_by_name():
    g = value_and_grad(kwonly, wrt="w")
    value, d_w = g(V, w=1.5)
    assert value == pytest.approx(kwonly(V, w=1.5))
    assert d_w == pytest.approx(np.sum(V * 2.0))


# -- mutation -----------------------------------------------------------------


def continue_mutation(x):
    y = x * 1.0
    for i in range(y.shape[0]):
        if i % 2:
            continue
        y[i] = y[i] ** 2
        y[i:] *= 0.9
    return np.sum(y * y)


def test_mutation_after_continue():
    _check(continue_mutation, V)


def mask_in_branch(X):
    Y = X * 1.0
    for i in range(Y.shape[0]):
        row = Y[i]
        if np.sum(row) > 0:
            Y[i, row < 0] = 0.0
        else:
            Y[i] = -row * 2.0
    return np.sum(Y**3)


def test_mask_and_row_assignment_in_branches_of_a_loop():
    _check(mask_in_branch, X)


def mutate_in_both_branches(x):
    y = x * 1.0
    for i in range(y.shape[0]):
        if y[i] > 0:
            y[i] = y[i] ** 2
        else:
            y[i:] = y[i:] * 0.5
    return np.sum(y**3)


def test_different_mutations_in_each_branch():
    _check(mutate_in_both_branches, V)


def read_old_after_branch_mutation(x, flag):
    y = x * 1.0
    s = np.sum(y**3)
    if flag:
        y[1] = 0.0
    return s + np.sum(y**2)


@pytest.mark.parametrize("flag", [True, False])
def test_value_read_before_a_conditional_mutation(flag):
    _check(read_old_after_branch_mutation, V, flag)


def mutation_from_loop_state(x):
    y = x * 1.0
    acc = 0.0
    for i in range(4):
        acc = acc + np.sum(y * y)
        y[i % 2] = acc * 0.1
    return acc + np.sum(y)


def test_mutation_overwriting_the_same_items_repeatedly():
    _check(mutation_from_loop_state, V)


def prefix_sum(x):
    y = x * 1.0
    for i in range(1, y.shape[0]):
        y[i] += y[i - 1] * 0.5
    return np.sum(y**2)


def test_prefix_sum_in_place():
    _check(prefix_sum, V)


def float32_mutation(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] * (i + 1.0)
        if i > 0:
            y[i] += y[i - 1]
    h = y * 1.0
    n = 0
    while np.sum(h * h) < 20.0 and n < 50:
        h = h * 1.2 + 0.05
        n = n + 1
    return np.sum(y * y) + np.sum(h)


def test_float32_through_mutation_and_while():
    x32 = V.astype(np.float32)
    _check(float32_mutation, x32)
    assert grad(float32_mutation)(x32).dtype == np.float32


def slices_steps_masks(x):
    y = x * 1.0
    y[::2] = y[::2] * 3.0
    y[::-1] += x
    z = x * np.arange(1.0, 6.0)
    z[:] = z[::-1]
    z[1:4] = z[0:3]
    m = z > 0.3
    z[m] = z[m] ** 2
    z[~m] *= 0.5
    return np.sum(y**2) + np.sum(z * np.arange(5.0))


def test_strided_reversed_overlapping_and_mask_assignment():
    _check(slices_steps_masks, V)


def broadcast_assignment(X, v):
    Y = X * 1.0
    Y[1] = v[:1]
    Y[:, 0] = v[1:5]
    Y[2:, 1:] += v[0]
    Y[[0, 1, 3], [1, 2, 0]] = v[:3] ** 2
    Y[[2, 3]] *= v[3]
    y = np.zeros(5)
    y[0:3] = v[0]
    Z = np.zeros((2, 4, 3))
    Z[..., 0] = X[:, 0]
    Z[1, ...] += X * v[4]
    return np.sum(Y**3) + np.sum(y**2 * np.arange(1.0, 6.0)) + np.sum(Z**2)


def test_broadcasting_fancy_and_ellipsis_assignment():
    _check(broadcast_assignment, X, V, wrt=(0, 1))


def negative_index_loop(x, a):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[-i - 1] = x[i] * (i + 1.0) + y[-i]
    y[y.shape[0] // 2] = a
    return np.sum(y**2) * a


def test_negative_indices_in_a_loop_and_a_python_float_stored():
    _check(negative_index_loop, V, 0.8, wrt=(0, 1))


def swap_then_set(x):
    a = x * 1.0
    b = x * 2.0
    a, b = b, a
    a[0] = 0.0
    return np.sum(a * b)


def test_mutation_after_swapping_names():
    _check(swap_then_set, V)


def changes_dict_leaf(p):
    w = p["w"]
    w[0] = 0.0
    return np.sum(w**2)


def changes_argument(x):
    x += 1.0
    return np.sum(x**2)


def test_arguments_inside_parameter_trees_are_never_written():
    p = _read_only({"w": V})
    d = grad(changes_dict_leaf)(p)
    np.testing.assert_array_equal(p["w"], V)
    expected = 2 * V
    expected[0] = 0.0
    np.testing.assert_allclose(d["w"], expected)
    x = _read_only(V)
    value, d_x = value_and_grad(changes_argument)(x)
    np.testing.assert_array_equal(x, V)
    assert value == pytest.approx(np.sum((V + 1.0) ** 2))
    np.testing.assert_allclose(d_x, 2 * (V + 1.0))


# -- unsupported code gets an ADError with a place and a hint -----------------


def alias_iadd(x):
    a = x * 1.0
    b = a
    b += 1.0
    return np.sum(a * a)


def alias_setitem(x):
    a = x * 1.0
    b = a
    b[0] = 5.0
    return np.sum(a * x)


def view_alias(x):
    y = x * 1.0
    z = y[1:3]
    z *= 2.0
    return np.sum(y**2)


def transpose_alias(X):
    Y = X * 1.0
    Z = Y.T
    Z[0] = 0.0
    return np.sum(Y**2)


def view_read_after_base_set(x):
    y = x * 1.0
    r = y[1:3]
    y[1] = 5.0
    return np.sum(r * x[:2])


def loop_row_iadd(X):
    Y = X * 1.0
    for row in Y:
        row *= 2.0
    return np.sum(Y**2)


def list_of_arrays_alias(x):
    y = x * 1.0
    L = [y, y]
    y[0] = 10.0
    return np.sum(L[0] * L[1])


def expression_statement_call(x):
    y = x * 1.0
    add_one_in_place(y)
    return np.sum(y**2)


def subscript_of_subscript(X):
    ys = [X[0] * 1.0]
    ys[0][0] = 1.0
    return np.sum(ys[0])


def try_except(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return np.sum(y)


def chained_comparison(x):
    s = 0.0
    for v in x:
        if -0.5 < v < 0.5:
            s = s + v * v
    return s * 1.0


def list_store_at_runtime_index(x):
    L = [0.0, 0.0, 0.0]
    for i in range(3):
        L[i] = x[i] * 2.0
    return sum(L)


def nonlocal_counter(x):
    acc = 0.0

    def add(v):
        nonlocal acc
        acc = acc + v
        return acc

    t = add(np.sum(x))
    return t * 2.0


def out_keyword(x):
    y = x * 1.0
    z = np.multiply(y, 2.0, out=y)
    return np.sum(y**2)


@pytest.mark.parametrize(
    "f, args",
    [
        (loop_row_iadd, (X,)),
        (try_except, (V,)),
        (chained_comparison, (V,)),
        (list_store_at_runtime_index, (V,)),
        (nonlocal_counter, (V,)),
        (out_keyword, (V,)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_unsupported_code_raises_an_aderror_with_place_and_hint(f, args):
    _check_error(f, *args)


# writes through aliases and views, once refused, have Python's semantics
# (lower/memory.py)
@pytest.mark.parametrize(
    "f, args",
    [
        (alias_iadd, (V,)),
        (alias_setitem, (V,)),
        (view_alias, (V,)),
        (transpose_alias, (X,)),
        (view_read_after_base_set, (V,)),
        (list_of_arrays_alias, (V,)),
        (expression_statement_call, (V,)),
        (subscript_of_subscript, (X,)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_writes_through_aliases_and_views_are_exact(f, args):
    _check(f, *args)


# -- known bugs (minimal reproductions) ---------------------------------------


def nested_conditional_expression(x):
    return x * 1.0 if x > 0 else (x * 2.0 if x > -1 else x * 3.0)


def test_bug_nested_conditional_expression():
    _check(nested_conditional_expression, -0.5)


# found by this file and fixed since: kept as regression tests


def return_loop_carried(x):
    s = 1.0
    for i in range(3):
        s = s * x
    return s


def test_value_of_a_returned_loop_carried_variable():
    value, d_x = value_and_grad(return_loop_carried)(2.0)
    assert d_x == pytest.approx(12.0)
    assert value == pytest.approx(8.0)


def return_in_while_true(x):
    n = 0
    while True:
        x = x * 1.5
        n += 1
        if n > 3:
            return x


def test_value_of_a_return_inside_while_true():
    value, _ = value_and_grad(return_in_while_true)(1.0)
    assert value == pytest.approx(1.5**4)


def list_concatenation(x):
    items = [x] + [x * 2.0]
    return items[1]


def test_bug_list_concatenation():
    _check(list_concatenation, 1.5)


def list_repetition(x):
    a = [x] * 2
    return a[1]


def test_bug_list_repetition():
    _check(list_repetition, 1.5)


def index_in_untaken_branch(x):
    xs = [x]
    if len(xs) == 1:
        return xs[0]
    return xs[1]


def test_bug_out_of_range_index_in_a_dead_branch():
    _check(index_in_untaken_branch, 1.5)


def rec_shrinking_to_one(xs):
    if len(xs) == 1:
        return xs[0]
    return xs[0] * rec_shrinking_to_one(xs[1:]) + 1.0


def test_bug_recursion_on_a_shrinking_list():
    d = grad(rec_shrinking_to_one)([1.1, 0.5, 0.3])
    assert d == pytest.approx([0.5 * 0.3 + 1.0, 1.1 * 0.3, 1.1 * 0.5])


def loop_in_branch_skipped_first(x):
    s = 1.0
    for k in range(2):
        if k == 1:
            for i in range(2):
                s = s * x
    return s * 1.0


def test_bug_loop_in_a_branch_skipped_on_the_first_iteration():
    _check(loop_in_branch_skipped_first, 0.7)


def helper_loop_in_branch(x, flag):
    y = x
    if flag:
        for i in range(2):
            y = y * x
    return y


def calls_helper_loop_in_branch(x):
    return helper_loop_in_branch(x, False) * 1.0


def test_bug_callee_with_a_loop_in_an_untaken_branch():
    _check(calls_helper_loop_in_branch, 0.7)


def duplicate_fancy_index(x):
    y = np.zeros(2)
    y[[0, 0]] = x
    return np.sum(y**2)


def test_bug_assignment_with_a_repeated_index():
    # which repeated write NumPy keeps is not a derivative to rely on: refused
    with pytest.raises(adcompiler.ADError, match="repeats an element"):
        adcompiler.grad(duplicate_fancy_index)(np.array([1.0, 2.0]))


def set_first_to_five(a):
    a[0] = 5.0
    return 1.0


def calls_helper_mutating_argument(x):
    y = x * 1.0
    t = set_first_to_five(y)
    return np.sum(y * y) * t


def test_bug_helper_writing_into_its_argument():
    # the helper is inlined: its write reaches the caller's array
    _check(calls_helper_mutating_argument, np.array([1.0, 2.0, 3.0]))


def append_to(v, out):
    out.append(v * 2.0)
    return 0.0


def calls_helper_appending(x):
    out = []
    t = append_to(x, out)
    return out[0] + t


def test_bug_helper_appending_to_the_callers_list():
    # the helper is inlined: its append reaches the caller's list
    value, gradient = adcompiler.value_and_grad(calls_helper_appending)(0.5)
    assert value == calls_helper_appending(0.5)
    assert gradient == pytest.approx(2.0)


def zero_first_then_sum(a):
    b = a * 1.0
    b[0] = 0.0
    return np.sum(b)


def calls_helper_with_item_assignment(x):
    return zero_first_then_sum(x)


def test_callee_with_an_item_assignment():
    _check(calls_helper_with_item_assignment, np.array([1.0, 2.0, 3.0]))


def store_into_int_array(x):
    y = np.zeros(1, dtype=int)
    y[0] = x * 10.0
    return y[0] * x


def test_bug_float_stored_into_an_integer_array():
    _check(store_into_int_array, 0.33)


def iterate_rows_while_mutating(X):
    Y = X * 1.0
    for row in Y:
        Y[0] = Y[0] * 3.0
        s = np.sum(row)
    return s


def test_bug_loop_over_rows_of_an_array_changed_in_the_loop():
    # `row` is a view of Y, changed through Y: refused, never a wrong gradient
    with pytest.raises(adcompiler.UnsupportedSyntaxError, match="reading `row`"):
        adcompiler.grad(iterate_rows_while_mutating)(np.ones((2, 2)))


STEPS = [1.0, 2.0]


def over_global_list(x):
    s = 0.0
    for k in STEPS:
        s = s + x * k
    return s * 1.0


def test_bug_global_list_changed_after_compilation():
    g = grad(over_global_list)
    assert g(0.5) == pytest.approx(3.0)
    STEPS.append(10.0)
    try:
        assert g(0.5) == pytest.approx(13.0)
    finally:
        STEPS.pop()
