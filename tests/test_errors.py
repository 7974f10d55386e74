"""Bad input gets a clear error naming the construct, the place and a fix."""

import re

import numpy as np
import pytest

import adcompiler
from adcompiler import (
    ADError,
    NoRuleError,
    NonDifferentiableError,
    OutputError,
    SourceUnavailableError,
    UnsupportedSyntaxError,
    WrtError,
    grad,
)

X = np.linspace(0.1, 0.9, 4)


def with_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def with_global(x):
    global X
    return x


def with_chained_compare(x):
    m = 0.0 < x < 1.0
    return x


CATALOGUE = [
    (with_try, "try/except", "try:"),
    (with_global, "a global statement", "global X"),
    (with_chained_compare, "a chained comparison", "m = 0.0 < x < 1.0"),
]


@pytest.mark.parametrize(
    "fn, construct, line", CATALOGUE, ids=[c[0].__name__ for c in CATALOGUE]
)
def test_unsupported_syntax_names_construct_file_line_and_hint(fn, construct, line):
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(fn)(0.5)
    message = str(info.value)
    assert construct in message
    assert re.search(r"test_errors\.py:\d+:\d+: ", message)
    assert line in message
    assert "hint: " in message
    assert isinstance(info.value, ADError)
    assert info.value.loc.file.endswith("test_errors.py")


def test_error_line_number_is_the_users_line():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(with_try)(0.5)
    loc = info.value.loc
    import inspect

    lines, first = inspect.getsourcelines(with_try)
    assert loc.line == first + 1
    assert loc.col == 4


def test_numpy_function_without_rule_is_named():
    def f(x):
        return np.sum(np.median(x) * x)

    with pytest.raises(NoRuleError, match=r"np\.median has no derivative rule") as info:
        grad(f)(X)
    assert "return np.sum(np.median(x) * x)" in str(info.value)


def test_unsupported_keyword_argument_is_refused():
    def f(x):
        return np.sum(x, where=x > 0.5)

    with pytest.raises(UnsupportedSyntaxError, match="np.sum"):
        grad(f)(X)


def test_runtime_value_where_a_constant_is_needed():
    # an int parameter is specialised on (tests/test_static_parameters.py);
    # a value computed from the differentiated array is refused
    def f(x):
        return np.sum(np.roll(x, (x > 0).sum()))

    with pytest.raises(UnsupportedSyntaxError, match="`shift` of np.roll"):
        grad(f)(np.ones((2, 2)))


def test_non_scalar_output():
    def f(x):
        return x * 2.0

    with pytest.raises(OutputError, match=r"shape \(4,\)") as info:
        grad(f)(X)
    assert "return x * 2.0" in str(info.value)


def test_tuple_output_is_refused_at_compile_time():
    def f(x):
        return x, x

    with pytest.raises(OutputError, match="returns a tuple"):
        grad(f)(1.0)


def test_complex_output_is_refused():
    def f(x):
        return np.sum(x * 1j)

    # a complex output, whether made from a literal 1j or an argument
    with pytest.raises(OutputError, match="complex"):
        grad(f)(X)

    def g(x, z):
        return np.sum(x * z)

    with pytest.raises(OutputError, match="complex"):
        grad(g)(X, np.array([1j]))


@pytest.mark.parametrize(
    "value, match",
    [
        (3, "an int"),
        (True, "a bool"),
        (np.arange(3), "dtype int64"),
        (np.array([True, False]), "dtype bool"),
        ("1.0", "a str"),
    ],
    ids=["int", "bool", "int-array", "bool-array", "str"],
)
def test_non_float_argument_in_wrt(value, match):
    def f(x):
        return np.sum(x * 2.0)

    with pytest.raises(WrtError, match=match):
        grad(f)(value)


@pytest.mark.parametrize(
    "wrt, match",
    [
        ("z", "has no parameter 'z'"),
        (5, "has 2 parameter"),
        ((0, 0), "same argument twice"),
        (1.5, "argument index or name"),
        ((), "names no argument"),
    ],
)
def test_bad_wrt(wrt, match):
    def f(x, y):
        return x * y

    with pytest.raises(WrtError, match=match):
        grad(f, wrt=wrt)


def test_builtin_has_no_source():
    with pytest.raises(SourceUnavailableError, match="not a Python function"):
        grad(np.sin)


def test_function_from_exec_has_no_source():
    namespace = {}
    exec("def f(x):\n    return x * x\n", namespace)
    with pytest.raises(SourceUnavailableError, match="cannot read the source"):
        grad(namespace["f"])(1.0)


def test_lambda_without_a_file_is_refused():
    # a lambda in a file is accepted (tests/test_frontend_callables.py)
    namespace = {}
    exec("f = lambda x: x * x", namespace)
    with pytest.raises(SourceUnavailableError, match="lambda"):
        grad(namespace["f"])(1.0)


def test_argument_without_rule_but_gradient_depends_on_it():
    def f(x):
        return np.sum(np.arange(x, 5.0))

    with pytest.raises(NonDifferentiableError, match="np.arange") as info:
        grad(f)(1.0)
    assert "return np.sum(np.arange(x, 5.0))" in str(info.value)


def test_rule_error_carries_the_users_line():
    def f(x):
        return np.sum(np.pad(x, 1, mode="mean"))

    with pytest.raises(NoRuleError, match="mode='mean'") as info:
        grad(f)(X)
    assert 'return np.sum(np.pad(x, 1, mode="mean"))' in str(info.value)


def test_in_place_update_of_an_alias_read_later():
    def f(x):
        y = x * 1.0
        z = y
        z += 1.0
        return np.sum(y)

    # z is y: Python's `z += 1.0` changes y too (lower/memory.py)
    value, _ = adcompiler.value_and_grad(f)(X)
    assert value == pytest.approx(np.sum(X + 1.0))
    adcompiler.check_grad(f, X)


def test_in_place_update_of_an_alias_not_read_later_is_fine():
    def f(x):
        y = x * 3.0
        z = y
        z += 1.0
        return np.sum(z * x)

    adcompiler.check_grad(f, X)


def test_undefined_name():
    def f(x):
        return x * undefined_thing  # noqa: F821

    with pytest.raises(
        UnsupportedSyntaxError, match="`undefined_thing` is not defined"
    ):
        grad(f)(1.0)
