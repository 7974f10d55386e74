"""Control flow: every construct's gradient against central finite differences."""

import math

import numpy as np
import pytest

from adcompiler import check_grad, grad, value_and_grad

RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 3))
Y = RNG.normal(size=(5, 3))
W = RNG.normal(size=(3, 3)) * 0.5
V = RNG.normal(size=4)


# -- if / elif / else -----------------------------------------------------


def if_float(x):
    if x > 0.0:
        y = x * 2.0
    elif x > -1.0:
        y = math.sin(x)
    else:
        y = x**3
    return y * y


@pytest.mark.parametrize("x", [0.7, -0.4, -2.0])
def test_if_elif_else_on_a_float(x):
    check_grad(if_float, x)


def if_on_sum(x, w):
    if np.sum(x) > 0:
        z = np.tanh(x * w)
    else:
        z = x * x * w
    return np.sum(z)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_if_on_a_reduction(sign):
    check_grad(if_on_sum, sign * np.abs(V), 0.7, wrt=(0, 1))


def if_on_shape(x):
    if x.shape[0] > 2:
        s = np.sum(x[:2] ** 2)
    else:
        s = np.sum(x**3)
    return s


def test_if_on_a_shape():
    check_grad(if_on_shape, V)
    check_grad(if_on_shape, V[:2])


def if_on_index_parity(x, i):
    if i % 2 == 0:
        return np.sum(np.sin(x))
    return np.sum(np.cos(x))


@pytest.mark.parametrize("i", [2, 3])
def test_if_on_an_integer_and_return_in_branch(i):
    check_grad(if_on_index_parity, V, i)


def conditional_expression(x, y):
    z = x * y if x > y else x + y
    return z * z


@pytest.mark.parametrize("x, y", [(1.5, 0.5), (0.2, 0.9)])
def test_conditional_expression(x, y):
    check_grad(conditional_expression, x, y, wrt=(0, 1))


def and_or(x, y):
    a = (x > 0.0) and (y > 0.0)
    b = x if a else y
    c = (x < 0.0) or y
    return b * c


@pytest.mark.parametrize("x, y", [(0.5, 0.3), (-0.5, 0.3)])
def test_and_or(x, y):
    check_grad(and_or, x, y, wrt=(0, 1))


def variable_assigned_in_one_branch(x):
    y = 1.0
    if x > 0:
        y = x * x
    return y * x


@pytest.mark.parametrize("x", [0.5, -0.5])
def test_variable_assigned_in_one_branch(x):
    check_grad(variable_assigned_in_one_branch, x)


# -- for loops ---------------------------------------------------------------


def rnn_for(x, W):
    h = x
    for t in range(4):
        h = np.tanh(h @ W)
    return np.sum(h)


def test_for_range_with_carried_state_and_invariant_weights():
    check_grad(rnn_for, X, W, wrt=(0, 1))


def range_from_shapes(x, w):
    s = 0.0
    for i in range(1, x.shape[0], 2):
        s = s + np.sum(x[i] * w) ** 2
    return s


def test_range_with_start_stop_step_from_shapes():
    check_grad(range_from_shapes, X, W[0], wrt=(0, 1))


def negative_step(x, n):
    s = 0.0
    for i in range(n - 1, -1, -1):
        s = s * 0.5 + x[i] ** 2
    return s


def test_range_with_negative_step_from_argument():
    check_grad(negative_step, V, 4)


def over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.sum(np.sin(row * w))
    return s


def test_for_over_array_rows():
    check_grad(over_rows, X, 0.3, wrt=(0, 1))


def with_enumerate(X):
    s = 0.0
    for i, row in enumerate(X):
        s = s + (i + 1.0) * np.sum(row**2)
    return s


def test_enumerate():
    check_grad(with_enumerate, X)


def with_zip(X, Y):
    s = 0.0
    for a, b in zip(X, Y):
        s = s + np.dot(a, b) ** 2
    return s


def test_zip():
    check_grad(with_zip, X, Y, wrt=(0, 1))


def with_reversed(X):
    s = 0.0
    for row in reversed(X):
        s = np.tanh(s + np.sum(row))
    for i in reversed(range(3)):
        s = s * (i + 1.0)
    return s


def test_reversed():
    check_grad(with_reversed, X)


def over_list(a, b):
    s = 0.0
    for v in [a, b, a * b]:
        s = s + np.sum(v**2)
    return s


def test_for_over_a_list():
    check_grad(over_list, V, V[::-1].copy(), wrt=(0, 1))


def over_tuple_of_pairs(a, b):
    s = 0.0
    for u, v in ((a, b), (b, a)):
        s = s + np.sum(u * v**2)
    return s


def test_for_over_a_tuple_of_tuples():
    check_grad(over_tuple_of_pairs, V, V[::-1].copy(), wrt=(0, 1))


def nested_loops(X, w):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + np.sin(X[i, j] * w) * (j + 1.0)
    return s


def test_nested_loops():
    check_grad(nested_loops, X, 0.8, wrt=(0, 1))


def if_inside_loop(X):
    s = 0.0
    for row in X:
        m = np.sum(row)
        if m > 0:
            t = np.exp(row * 0.1)
            s = s + np.sum(t) * m
        else:
            s = s - m**2
    return s


def test_if_inside_a_loop():
    check_grad(if_inside_loop, X)


def defined_in_loop_used_after(X):
    for row in X:
        last = np.tanh(row)
    return np.sum(last**2)


def test_value_defined_in_a_loop_used_after_it():
    check_grad(defined_in_loop_used_after, X)


# -- while, break, continue, else, return ------------------------------------


def while_data_dependent(x):
    n = 0
    while x < 10.0:
        x = x * 1.5 + 0.1
        n = n + 1
    return x * n


@pytest.mark.parametrize("x", [0.7, 3.0, 12.0])
def test_while_with_a_data_dependent_condition(x):
    check_grad(while_data_dependent, x)


def while_true_break(x, w):
    h = x
    while True:
        h = np.tanh(h * w + 0.1)
        if np.sum(h**2) < 0.5:
            break
    return np.sum(h)


def test_while_true_with_break():
    check_grad(while_true_break, V, 0.9, wrt=(0, 1))


def for_break(x):
    s = 1.0
    for i in range(10):
        s = s * x
        if s > 5.0:
            break
        s = s + 0.1
    return s


@pytest.mark.parametrize("x", [1.7, 1.05])
def test_break(x):
    check_grad(for_break, x)


def for_continue(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s = s + x**i
    return s


def test_continue():
    check_grad(for_continue, 0.9)


def loop_else(x, limit):
    s = 0.0
    for i in range(4):
        s = s + x * i
        if s > limit:
            break
    else:
        s = s * 10.0
    return s * x


@pytest.mark.parametrize("limit", [0.5, 100.0])
def test_loop_else(limit):
    check_grad(loop_else, 0.8, limit)


def return_in_loop(x):
    for i in range(10):
        x = x * 1.3
        if x > 4.0:
            return x * 2.0
    return x


@pytest.mark.parametrize("x", [1.0, 0.01])
def test_return_inside_a_loop(x):
    check_grad(return_in_loop, x)


def early_return_nested(X, limit):
    total = 0.0
    for row in X:
        for v in row:
            total = total + v * v
            if total > limit:
                return total * 3.0
    return total


@pytest.mark.parametrize("limit", [1.0, 1e9])
def test_early_return_from_nested_loops(limit):
    check_grad(early_return_nested, X, limit)


def several_returns(x):
    if x < 0.0:
        return -x
    y = x * x
    if y > 4.0:
        return y
    return math.exp(x)


@pytest.mark.parametrize("x", [-1.0, 3.0, 0.5])
def test_several_returns(x):
    check_grad(several_returns, x)


def rnn_while(xs, W, U):
    h = np.zeros(W.shape[0])
    t = 0
    while t < xs.shape[0] and np.sum(h**2) < 100.0:
        h = np.tanh(W @ h + U @ xs[t])
        t = t + 1
    return np.sum(h**2)


def test_rnn_driven_by_a_while_loop():
    xs = RNG.normal(size=(6, 2))
    Wr = RNG.normal(size=(4, 4)) * 0.4
    U = RNG.normal(size=(4, 2))
    check_grad(rnn_while, xs, Wr, U, wrt=(0, 1, 2))


def test_value_and_grad_through_loops():
    value, d_x = value_and_grad(rnn_for)(X, W)
    assert value == pytest.approx(rnn_for(X, W), rel=1e-14)


def test_loops_stay_loops_and_save_a_tape():
    source = grad(rnn_for, wrt=(0, 1)).source
    assert "for t in range(4):" in source
    assert "tape.append((" in source
    assert "in reversed(tape):" in source


def test_loop_invariants_are_not_saved():
    source = grad(rnn_for, wrt=1).source
    push = [line for line in source.splitlines() if "tape.append" in line][0]
    assert "W" not in push


def _loop_after_nested_if(x):
    v4 = np.sum(x)
    v5 = x.T
    if np.mean(v5) < 2:
        if np.mean(x) > -5:
            v5 = np.tanh(x)
            v4 += np.sum(v5)
        for i in range(2):
            v5 = 0.5 * v5
    return v4


def test_loop_does_not_overwrite_a_value_the_backward_reads():
    # the loop's variable started as the if's result, which shares its name
    # with tanh's output; the backward of tanh reads that output after the loop
    x = np.array([[0.3, -0.2], [0.5, 0.1]])
    np.testing.assert_allclose(
        grad(_loop_after_nested_if)(x), 1.0 + (1.0 - np.tanh(x) ** 2), rtol=1e-12
    )


def _loop_over_a_filled_array(x):
    z = np.zeros((3, 2))
    for i in range(3):
        z[i, :] += np.tanh(x[i])
    for i, row in enumerate(z):
        z = np.sin(z) + 0.3 * row
    return np.sum(z * z)


def test_second_loop_keeps_iterating_the_array_the_first_loop_filled():
    # the second loop's variable must not take the name of the array it
    # iterates over (the names of both loops' variables had merged)
    x = np.random.default_rng(5).normal(size=(3, 2))
    value, _ = value_and_grad(_loop_over_a_filled_array)(x)
    assert value == pytest.approx(_loop_over_a_filled_array(x), rel=1e-12)
    check_grad(_loop_over_a_filled_array, x)


def _divide_in_else(x):
    h = x[0, 1] * x[1, 0]
    if h > 0.0:
        pass
    else:
        h /= x[1, 1]
    return h


def _fill_in_else(x):
    v = x * 1.0
    if np.max(x) < -5.0:
        pass
    else:
        v[:] = np.sum(x)
    return np.sum(v)


@pytest.mark.parametrize("fn", [_divide_in_else, _fill_in_else])
def test_branch_adjoint_keeps_its_name_while_the_branch_reads_the_incoming_one(fn):
    # the backward if's output shares the name of the adjoint coming in; a
    # branch value defined before the branch's last read of that adjoint
    # must not take the name too (it overwrote it: dx was 0, or off)
    x = np.array([[0.4, -0.3], [0.8, 1.3]])
    check_grad(fn, x)


def _rebound_with_another_shape(x, y):
    v = x[:, None] * x
    for i in range(2):
        v = 0.5 * y
    return np.sum(v) + np.sum(x)


def test_loop_rebinding_a_variable_to_another_shape():
    # the body overwrites v without reading it: v's adjoint before the loop
    # is zeros of its shape then, (n, n), not 0.0 (which the rule of
    # x[:, None] * x broadcast to (n,): IndexError in unbroadcast)
    x, y = np.array([0.3, -0.7, 1.1]), np.array([0.2, 0.5])
    check_grad(_rebound_with_another_shape, x, y, wrt=(0, 1))
    source = grad(_rebound_with_another_shape, wrt=(0, 1)).source
    assert "np.zeros(shape" in source and "tape.append(shape" in source
