"""The catalogue: everything adcompiler refuses is refused clearly, and
nothing returns a silently wrong gradient.

- every unsupported Python construct raises an ``ADError`` subclass whose
  message gives ``file:line:col`` (of this file, at the construct) and a hint;
- every NumPy function without a rule raises ``NoRuleError`` naming it;
- integer inputs raise ``WrtError``, complex ones get complex gradients; float32 inputs get float32
  gradients; a non-scalar output raises ``OutputError``; NaN and inf in the
  inputs propagate;
- the caller's arrays are never written (read-only arguments, functions that
  mutate local copies, views and lists).
"""

from __future__ import annotations

import inspect
import math
import re
from typing import Any, Callable

import numpy as np
import pytest

import adcompiler
from adcompiler import (
    ADError,
    NoRuleError,
    OutputError,
    UnsupportedSyntaxError,
    WrtError,
    grad,
    value_and_grad,
)
from adcompiler.testing import numerical_grad

X = np.linspace(0.1, 0.9, 3)
COUNTER = 0

# -- unsupported Python constructs ------------------------------------------
# Each function's construct sits on the line marked `# <-`.


def with_class(x):
    class Box:  # <-
        pass

    return np.sum(x)


def with_try(x):
    try:  # <-
        y = x * 2.0
    except ValueError:
        y = x
    return np.sum(y)


def with_try_finally(x):
    try:  # <-
        y = x * 2.0
    finally:
        pass
    return np.sum(y)


def with_with(x):
    with np.errstate(all="ignore"):  # <-
        y = x * 2.0
    return np.sum(y)


def with_yield(x):
    yield np.sum(x)  # <-


def with_yield_from(x):
    yield from [np.sum(x)]  # <-


def with_global(x):
    global COUNTER  # <-
    COUNTER = 1
    return np.sum(x)


def with_nonlocal(x):
    s = 0.0

    def inner():
        nonlocal s  # <-
        s = 1.0

    inner()
    return np.sum(x) + s


async def with_async(x):  # <-
    return np.sum(x)


def with_async_inner(x):
    async def inner():  # <-
        return 1

    return np.sum(x)


def with_match(x):
    match x.ndim:  # <-
        case 1:
            y = x
        case _:
            y = x * 2.0
    return np.sum(y)


def with_starred_assignment(x):
    a, *rest = x  # <-
    return a * 1.0


def with_starred_call(x):
    return np.sum(np.stack([*x]))  # <-


def with_set_comprehension(x):
    s = {v for v in range(3)}  # <-
    return np.sum(x) * len(s)


def with_set_display(x):
    s = {1, 2}  # <-
    return np.sum(x) * len(s)


def with_walrus(x):
    if (s := np.sum(x)) > 0:  # <-
        return s
    return s * 2.0


def with_raise(x):
    if x.ndim > 3:
        raise ValueError("no")  # <-
    return np.sum(x)


def with_import(x):
    import math  # <-

    return np.sum(x) * math.pi


def with_del_of_an_item(x):
    y = x * 2.0
    del y[0]  # <-
    return np.sum(x)


def with_del_in_a_loop(x):
    for i in range(3):
        y = x * 2.0
        del y  # <-
    return np.sum(x)


def with_print(x):
    sorted(x)  # <-  (print, logging and warnings.warn are accepted)
    return np.sum(x)


def with_chained_comparison(x):
    m = 0.0 < x[0] < 1.0  # <-
    return np.sum(x) * m


def with_attribute_assignment(x):
    x.flags.writeable = False  # <-
    return np.sum(x)


def with_list_pop(x):
    v = [x, x]
    w = v.pop()  # <-
    return np.sum(w)


def with_is(x):
    if x is x:  # <-  (x is None is accepted)
        return 0.0
    return np.sum(x)


def with_string_method(x):
    s = "a".upper()  # <-
    return np.sum(x)


def with_exec(x):
    exec("y = 1")  # <-
    return np.sum(x)


def with_getattr_on_numpy(x):
    return np.sum(getattr(np, "sin")(x))  # <-


def with_unknown_attribute(x):
    return np.sum(x * 2.0) * x.nbytes  # <-


def with_list_slice_assignment(x):
    v = [1.0, 2.0]
    v[0:1] = [x[0]]  # <-
    return v[0] * 1.0


def _line_of(fn: Callable) -> tuple[int, str]:
    lines, start = inspect.getsourcelines(fn)
    for offset, line in enumerate(lines):
        if "# <-" in line:
            return start + offset, line.split("# <-")[0].strip()
    raise AssertionError(f"{fn.__name__} has no marked line")


UNSUPPORTED = [
    with_class,
    with_try,
    with_try_finally,
    with_with,
    with_yield,
    with_yield_from,
    with_global,
    with_async,
    with_async_inner,
    with_match,
    with_starred_assignment,
    with_starred_call,
    with_set_comprehension,
    with_set_display,
    with_walrus,
    with_raise,
    with_import,
    with_del_of_an_item,
    with_del_in_a_loop,
    with_print,
    with_chained_comparison,
    with_attribute_assignment,
    with_list_pop,
    with_is,
    with_string_method,
    with_exec,
    with_getattr_on_numpy,
    with_unknown_attribute,
    with_list_slice_assignment,
]


@pytest.mark.parametrize("fn", UNSUPPORTED, ids=[f.__name__ for f in UNSUPPORTED])
def test_unsupported_construct_is_placed_and_has_a_hint(fn: Callable) -> None:
    line, text = _line_of(fn)
    with pytest.raises(ADError) as info:
        grad(fn)(X)
    message = str(info.value)
    assert isinstance(info.value, UnsupportedSyntaxError), message
    assert re.search(rf"test_catalogue\.py:{line}:\d+: ", message), message
    assert text in message, message
    assert "\nhint: " in message, message


# A nested function's statement is reported where the nested function is called:
# the message still places it in this file, with a hint.
@pytest.mark.parametrize("fn", [with_nonlocal], ids=lambda f: f.__name__)
def test_unsupported_construct_in_a_nested_function(fn: Callable) -> None:
    with pytest.raises(ADError) as info:
        grad(fn)(X)
    message = str(info.value)
    assert re.search(r"test_catalogue\.py:\d+:\d+: ", message), message
    assert "hint: " in message, message


# -- NumPy functions without rules -------------------------------------------
# (np.sort, np.cumprod, np.diff, np.convolve, np.partition, np.interp, np.roll,
# np.kron, np.cross and np.sinc have rules now: tests/test_rules_arrays_more.py)


def no_rule_hfft(x):
    return np.sum(np.fft.hfft(x))


def no_rule_unique(x):
    return np.sum(np.unique(x))


def no_rule_median(x):
    return np.median(x)


def no_rule_tensorinv(x):
    return np.sum(np.linalg.tensorinv(np.outer(x, x) + np.eye(x.shape[0])))


def no_rule_multi_dot(x):
    m = np.outer(x, x)
    return np.sum(np.linalg.multi_dot([m, m, m]))


def no_rule_percentile(x):
    return np.percentile(x, 50)


def no_rule_nansum(x):
    return np.nansum(x)


NO_RULE = {
    no_rule_hfft: "np.fft.hfft",
    no_rule_unique: "np.unique",
    no_rule_median: "np.median",
    no_rule_tensorinv: "np.linalg.tensorinv",
    no_rule_multi_dot: "np.linalg.multi_dot",
    no_rule_percentile: "np.percentile",
    no_rule_nansum: "np.nansum",
}


@pytest.mark.parametrize("fn", list(NO_RULE), ids=[f.__name__ for f in NO_RULE])
def test_numpy_function_without_a_rule_is_named(fn: Callable) -> None:
    with pytest.raises(NoRuleError) as info:
        grad(fn)(X)
    message = str(info.value)
    assert f"{NO_RULE[fn]} has no derivative rule" in message, message
    assert re.search(r"test_catalogue\.py:\d+:\d+: ", message), message


# -- inputs and outputs that must not give a silently wrong gradient ----------


def smooth(x):
    return np.sum(np.sin(x) * x)


def smooth_scalar(x):
    return math.sin(x) * x


@pytest.mark.parametrize(
    "value", [np.arange(3), np.array([1, 2, 3], dtype=np.int32), 3, True, np.int64(2)]
)
def test_integer_inputs_raise_wrt_error(value: Any) -> None:
    with pytest.raises(WrtError, match="int|bool"):
        grad(smooth)(value)


def smooth_of_complex(z):
    return np.sum(np.abs(np.sin(z) * z) ** 2)


@pytest.mark.parametrize(
    "value", [X.astype(np.complex128) * (1 - 0.5j), 1.0 + 2.0j, np.complex64(1 + 1j)]
)
def test_complex_inputs_get_complex_gradients(value: Any) -> None:
    # of their type and dtype, dL/dx - i dL/dy (docs/subset.md); a complex
    # output is still refused
    g = grad(smooth_of_complex)(value)
    assert type(g) is type(value) and np.shape(g) == np.shape(value)
    expected = numerical_grad(smooth_of_complex, np.asarray(value, complex)[()])
    single = np.result_type(g) == np.complex64
    np.testing.assert_allclose(g, expected, rtol=1e-4 if single else 1e-6)
    with pytest.raises(OutputError, match="complex"):
        grad(smooth)(value)


def test_float32_inputs_give_float32_gradients() -> None:
    x32 = X.astype(np.float32)
    g = grad(smooth)(x32)
    assert g.dtype == np.float32 and g.shape == x32.shape
    np.testing.assert_allclose(g, np.cos(X) * X + np.sin(X), rtol=1e-5)
    v, g = value_and_grad(smooth)(x32)
    assert g.dtype == np.float32
    s = grad(smooth)(np.float32(0.5))
    assert isinstance(s, np.float32)
    # mixed: a float32 and a float64 argument each keep their dtype
    gx, gy = grad(lambda_free_mixed, wrt=(0, 1))(x32, X)
    assert gx.dtype == np.float32 and gy.dtype == np.float64


def lambda_free_mixed(x, y):
    return np.sum(x * y)


def test_python_float_gives_python_float() -> None:
    g = grad(smooth_scalar)(0.5)
    assert type(g) is float
    assert g == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))


def vector_output(x):
    return x * 2.0


def tuple_output(x):
    return np.sum(x), x


def list_output(x):
    return [np.sum(x)]


def complex_output(x):
    return np.sum(x) * 1j


@pytest.mark.parametrize(
    "fn", [vector_output, tuple_output, list_output], ids=lambda f: f.__name__
)
def test_non_scalar_output_raises_output_error(fn: Callable) -> None:
    with pytest.raises(OutputError) as info:
        grad(fn)(X)
    message = str(info.value)
    assert re.search(r"test_catalogue\.py:\d+:\d+: ", message), message
    assert "hint: " in message


def test_complex_output_is_refused() -> None:
    with pytest.raises(ADError):
        grad(complex_output)(X)


def nan_sensitive(x):
    return np.sum(np.sin(x) * x + np.exp(0.1 * x))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_inputs_propagate(bad: float) -> None:
    x = X.copy()
    x[1] = bad
    with np.errstate(all="ignore"):
        value, g = value_and_grad(nan_sensitive)(x)
        expected_value = nan_sensitive(x)
    assert g.shape == x.shape
    np.testing.assert_equal(np.isnan(value), np.isnan(expected_value))
    # the finite entries are untouched by the bad one
    finite = np.isfinite(x)
    np.testing.assert_allclose(
        g[finite],
        (np.cos(X) * X + np.sin(X) + 0.1 * np.exp(0.1 * X))[finite],
        rtol=1e-12,
    )
    # the bad entry's derivative is not a finite number
    assert not np.isfinite(g[1])


def nan_in_loop(x, n):
    s = x * 1.0
    for i in range(n):
        s = np.tanh(s) + x
    return np.sum(s)


def test_nan_propagates_through_loops() -> None:
    x = X.copy()
    x[0] = np.nan
    with np.errstate(all="ignore"):
        g = grad(nan_in_loop)(x, 3)
    assert np.isnan(g[0]) and np.all(np.isfinite(g[1:]))


# -- the caller's arrays are never written -------------------------------------


def mutates_copy(x):
    y = x * 1.0
    y[0] = 5.0
    y += x
    return np.sum(y**2)


def mutates_slices(x, w):
    z = np.zeros_like(x)
    for i in range(x.shape[0]):
        z[i] = np.tanh(x[i] * w)
        z[i, 0] += w
    h = z[:, 1]
    return np.sum(h**2) + np.sum(z)


def mutates_view_of_local(x):
    y = x.copy()
    y[1:] *= 2.0
    y[-1] = 0.5
    return np.sum(np.sin(y))


def rebinds_argument(x, w):
    x = x * w
    x[0, 0] = 1.0
    w = w + 1.0
    return np.sum(x) * w


def mutates_list_argument(xs):
    ys = list(xs)
    ys.append(xs[0] * 2.0)
    total = 0.0
    for y in ys:
        total = total + np.sum(y**2)
    return total


def mutates_in_branches(x, w):
    y = x * 1.0
    if w > 0.0:
        y[:, 0] = w
    else:
        y -= w
    return np.sum(y * x)


def _frozen(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        a = a.copy()
        a.flags.writeable = False
        return a
    if isinstance(a, list):
        return [_frozen(v) for v in a]
    return a


RNG = np.random.default_rng(3)
M = RNG.normal(size=(3, 2))

MUTATING = [
    (mutates_copy, (X,), 0),
    (mutates_slices, (M, 0.7), (0, 1)),
    (mutates_view_of_local, (X,), 0),
    (rebinds_argument, (M, 0.3), (0, 1)),
    (mutates_list_argument, ([X, X * 2.0],), 0),
    (mutates_in_branches, (M, 0.4), (0, 1)),
    (mutates_in_branches, (M, -0.4), (0, 1)),
]


@pytest.mark.parametrize(
    "fn, args, wrt",
    MUTATING,
    ids=[f"{m[0].__name__}-{i}" for i, m in enumerate(MUTATING)],
)
def test_read_only_arguments_are_never_written(
    fn: Callable, args: tuple, wrt: Any
) -> None:
    frozen = tuple(_frozen(a) for a in args)
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    value, _ = value_and_grad(fn, wrt=wrt)(*frozen)
    for a, b in zip(frozen, before):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
    assert value == pytest.approx(fn(*[_copy_deep(a) for a in args]), rel=1e-12)
    adcompiler.check_grad(fn, *[_copy_deep(a) for a in args], wrt=wrt)
    # jvp and vjp read the same arguments
    adcompiler.vjp(fn, *frozen)


def _copy_deep(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        return a.copy()
    if isinstance(a, list):
        return [_copy_deep(v) for v in a]
    return a


def test_del_of_local_names_at_top_level_is_supported() -> None:
    def f(x):
        y = np.sin(x)
        z = y * y
        del y
        return np.sum(z)

    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(grad(f)(x), 2.0 * np.sin(x) * np.cos(x), rtol=1e-12)
