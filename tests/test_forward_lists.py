"""Forward mode through lists built at run time (appended in a loop) and
then joined: the tangent rules receive the list whole, as a symbol, and must
not iterate it while rules are recorded."""

import numpy as np
import pytest

from adcompiler import jvp


def _rows_vstack(x):
    rows = []
    for i in range(x.shape[0]):
        rows.append(x[i] * 2.0)
    return np.sum(np.vstack(rows) ** 2)


def _rows_hstack(x):
    rows = []
    for i in range(x.shape[0]):
        rows.append(np.sin(x[i]))
    return np.sum(np.hstack(rows) * np.arange(x.size))


def _rows_stack(x):
    rows = []
    for i in range(x.shape[0]):
        rows.append(x[i] ** 2)
    return np.sum(np.stack(rows, axis=1) * np.arange(x.shape[0]))


def _rows_concatenate(x):
    rows = []
    for i in range(x.shape[0]):
        rows.append(np.exp(x[i]))
    return np.sum(np.concatenate(rows, axis=0) * np.arange(x.size))


def _rows_array(x):
    rows = []
    for i in range(x.shape[0]):
        rows.append(x[i] * x[i])
    return np.sum(np.array(rows) * x)


def _directional(f, x, t, eps=1e-6):
    return (f(x + eps * t) - f(x - eps * t)) / (2 * eps)


@pytest.mark.parametrize(
    "f", [_rows_vstack, _rows_hstack, _rows_stack, _rows_concatenate, _rows_array]
)
def test_jvp_of_a_list_built_in_a_loop_then_joined(f):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 2))
    t = rng.normal(size=(3, 2))
    value, tangent = jvp(f, (x,), (t,))
    assert np.isclose(value, f(x))
    assert np.isclose(tangent, _directional(f, x, t), rtol=1e-6, atol=1e-8)
