"""Lists, tuples and dicts as local values, through loops and branches."""

import numpy as np
import pytest

from adcompiler import check_grad, grad
from adcompiler.errors import UnsupportedSyntaxError

RNG = np.random.default_rng(3)
X = RNG.normal(size=(6, 3))
W = RNG.normal(size=(3, 3)) * 0.5


def static_list_and_tuple(x, y):
    pair = (x * 2.0, y)
    items = [pair[0], pair[1] * x]
    a, b = items
    return np.sum(a * b) + np.sum(items[-1])


def test_build_index_and_unpack_local_list_and_tuple():
    check_grad(static_list_and_tuple, X[0], X[1], wrt=(0, 1))


def local_dict(x, w):
    params = {"w": w, "b": 0.5}
    params["scale"] = x * 2.0
    return np.sum(params["scale"] * params["w"] + params["b"])


def test_local_dict():
    check_grad(local_dict, X[0], X[1], wrt=(0, 1))


def dict_through_a_loop(x):
    state = {"h": x, "total": 0.0}
    for t in range(3):
        state["h"] = np.tanh(state["h"] * 1.5)
        state["total"] = state["total"] + np.sum(state["h"])
    return state["total"]


def test_dict_carried_through_a_loop():
    check_grad(dict_through_a_loop, X[0])


def append_and_stack(x, W):
    hs = []
    h = x
    for t in range(4):
        h = np.tanh(h @ W)
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H**2) + np.sum(hs[0])


def test_append_in_a_loop_then_stack():
    check_grad(append_and_stack, X[0], W, wrt=(0, 1))


def append_concatenate_and_sum(x):
    parts = [x]
    for i in range(3):
        parts.append(parts[-1] * 0.5 + 1.0)
    return np.sum(np.concatenate(parts) ** 2) + np.sum(sum(parts))


def test_append_then_concatenate_and_builtin_sum():
    check_grad(append_concatenate_and_sum, X[0])


def list_comprehension(x, ws):
    squares = [np.sum((x * w) ** 2) for w in ws]
    evens = [x[i] * i for i in range(x.shape[0]) if i % 2 == 0]
    return sum(squares) + sum(evens)


def test_list_comprehensions():
    check_grad(list_comprehension, X[0], X[1:4], wrt=(0, 1))


def runtime_index(x, i, j):
    values = [x * 1.0, x * 2.0, np.sin(x)]
    return np.sum(values[i] * values[j])


@pytest.mark.parametrize("i, j", [(0, 2), (2, 2), (1, 0)])
def test_list_indexed_by_runtime_values(i, j):
    check_grad(runtime_index, X[0], i, j)


def nested_comprehension(A):
    return sum(
        [A[i, j] * (i + j) for i in range(A.shape[0]) for j in range(A.shape[1])]
    )


def test_nested_comprehension():
    check_grad(nested_comprehension, X)


def append_in_branch(x):
    kept = []
    for v in x:
        if v > 0:
            kept.append(v * v)
    return sum(kept) + 0.0


def test_append_under_a_condition():
    check_grad(append_in_branch, X[0])


def test_list_adjoints_are_added_item_by_item():
    source = grad(append_and_stack, wrt=1).source
    assert "add_adjoints(" in source or "pieces_adjoint(" in source


# lists of dicts at run time: refused (their entries would get no adjoint);
# a for over a list of dicts is unrolled (tests/test_frontend_variadics.py)
def _layers_by_index(layers, x):
    for i in range(2):
        x = x * layers[i]["w"]
    return np.sum(x)


def _appended_dicts(layers, x):
    acts = []
    for i in range(2):
        acts.append({"v": x * layers[i]["w"]})
    return np.sum(acts[1]["v"])


# (a for over a local list of dicts, _layers_by_loop, is unrolled: it works,
# see tests/test_frontend_effects.py)
@pytest.mark.parametrize("fn", [_layers_by_index, _appended_dicts])
def test_runtime_lists_of_dicts_are_refused_not_zero(fn):
    layers = [{"w": np.ones(2)}, {"w": np.full(2, 2.0)}]
    with pytest.raises(UnsupportedSyntaxError, match="dict") as info:
        grad(fn)(layers, np.array([2.0, 3.0]))
    assert "tuple" in info.value.hint
    assert info.value.loc is not None and info.value.loc.line > 0


def test_constant_indices_into_a_list_of_dicts_work():
    def f(layers, x):
        return np.sum(x * layers[0]["w"] * layers[1]["w"])

    layers = [{"w": np.ones(2)}, {"w": np.full(2, 2.0)}]
    x = np.array([2.0, 3.0])
    got = grad(f)(layers, x)
    np.testing.assert_allclose(got[0]["w"], x * 2.0)
    np.testing.assert_allclose(got[1]["w"], x * 1.0)


def test_numpy_reduction_of_a_list_built_by_appends_counts_every_item():
    # np.sum sees the list as an array: its adjoint is an array whose rows
    # are the items' (was: only the last item got one)
    def f(x):
        acc = []
        for i in range(3):
            acc.append(x * float(i + 1))
        return np.sum(acc) + np.mean(np.array(acc) ** 2)

    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    check_grad(f, x)
    expected = 6.0 + 2.0 * x * (1.0 + 4.0 + 9.0) / 12.0
    np.testing.assert_allclose(grad(f)(x), expected, rtol=1e-12)
