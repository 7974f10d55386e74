"""Small user functions compiled into their callers (``Lowering.inline_function``):
gradients equal the called version's, the generated code marks the lines it
took from them, and changing an inlined function (its code, a global it
reads, the name it is called by) compiles the caller again."""

import ast
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from adcompiler import check_grad, grad, value_and_grad
from adcompiler.errors import UnsupportedSyntaxError
from adcompiler.lower import _small_body
from adcompiler.options import optimizations
from support.modules import uncompiled

HELPERS = '''
import numpy as np

SCALE = 2.0


def sigmoid(z):
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-z))


def scaled(x):
    return SCALE * x


def cubed(x):
    return x * x * x


def outer(x):
    y = scaled(x)
    return y + 1.0


def loss(x):
    return np.sum(sigmoid(x) * outer(x))


def pair(x):
    s, c = np.sin(x), np.cos(x)
    return s, c


def uses_pair(x):
    a, b = pair(x)
    return np.sum(a * b)


def with_loop(x, n):
    for _ in range(n):
        x = np.sin(x)
    return x


def with_if(x):
    if np.sum(x) > 0:
        return x * 2.0
    return x


def long_body(x):
    a1 = x + 1.0
    a2 = a1 * x
    a3 = a2 - x
    a4 = a3 * a3
    a5 = a4 + a1
    a6 = a5 * 0.5
    a7 = a6 - a2
    a8 = a7 * x
    a9 = a8 + a3
    a10 = a9 * 0.1
    a11 = a10 + x
    return a11


def keyword_only(x, *, k=2.0):
    return x * k


def not_small(x):
    return np.sum(with_loop(x, 2) + with_if(x) + long_body(x) + keyword_only(x))


def as_list(x):
    items = x.tolist()
    return items


def uses_as_list(x):
    return np.sum(as_list(x))


def row(b):
    return b[1]


def fresh(v):
    return v * 1.0


PICK = fresh


def pick(v):
    for _ in range(1):
        r = PICK(v)
    return r


def picked_changed(x):
    v = x * 2.0
    h = pick(v)
    h *= 3.0
    return np.sum(v * v) + np.sum(h)


def row_changed(x):
    v = x * 2.0
    h = row(v)
    h *= 3.0
    return np.sum(v * v) + np.sum(h)
'''

RNG = np.random.default_rng(8)
X = RNG.normal(size=(3, 4))


@pytest.fixture
def helpers(tmp_path: Path) -> types.ModuleType:
    """A fresh copy of HELPERS as a module of its own (tests change it)."""
    path = tmp_path / "inline_helpers.py"
    path.write_text(HELPERS, encoding="utf-8")
    name = f"inline_helpers_{tmp_path.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)


def _called(fn: types.FunctionType, *args):
    """The value and gradient with every call compiled as a call (no inlining)."""
    with optimizations(False):
        return value_and_grad(uncompiled(fn))(*args)


def test_inlined_gradients_equal_the_called_ones_and_finite_differences(helpers):
    g = value_and_grad(helpers.loss)
    value, gradient = g(X)
    plain_value, plain_gradient = _called(helpers.loss, X)
    assert value == pytest.approx(plain_value, rel=1e-13)
    np.testing.assert_allclose(gradient, plain_gradient, rtol=1e-12, atol=1e-14)
    check_grad(helpers.loss, X)
    source = g.source
    assert "_forward(" not in source and "_backward(" not in source
    for callee in ("sigmoid", "scaled", "outer"):
        assert f" in {callee} (inline_helpers.py): " in source
    assert (
        "# line 9 in sigmoid (inline_helpers.py): return 1.0 / (1.0 + np.exp(-z))"
        in (source)
    )
    # the called version does call
    with optimizations(False):
        called = grad(uncompiled(helpers.loss))
        called(X)
    assert "sigmoid_forward(" in called.source


def test_an_inlined_sigmoid_gets_the_sigmoid_adjoint(helpers):
    # d*s*(1-s) from the stored s: a saturated input has slope 0, not NaN
    x = np.array([-800.0, 0.0, 30.0])
    with np.errstate(over="ignore"):
        gradient = grad(helpers.loss)(x)
    assert np.all(np.isfinite(gradient))
    s = 1.0 / (1.0 + np.exp(-x[1:]))
    expected = s * (1 - s) * (2.0 * x[1:] + 1.0) + s * 2.0
    np.testing.assert_allclose(gradient[1:], expected, rtol=1e-12)


def test_results_unpacked_take_their_targets_names(helpers):
    check_grad(helpers.uses_pair, X)
    source = grad(helpers.uses_pair).source
    assert "a = np.sin(x)" in source and "b = np.cos(x)" in source


def test_changing_a_global_an_inlined_function_reads_compiles_again(helpers):
    g = value_and_grad(helpers.outer)
    x = 1.5
    assert g(x) == (pytest.approx(4.0), pytest.approx(2.0))
    helpers.SCALE = 3.0  # read by scaled, inlined into outer
    assert g(x) == (pytest.approx(5.5), pytest.approx(3.0))


def test_replacing_an_inlined_function_code_compiles_again(helpers):
    g = value_and_grad(helpers.outer)
    x = 1.5
    assert g(x)[1] == pytest.approx(2.0)
    # same function object, so outer's own globals are unchanged: only the
    # record of scaled, inlined two levels down (loss -> outer -> scaled), sees it
    helpers.scaled.__code__ = helpers.cubed.__code__
    value, slope = g(x)
    assert value == pytest.approx(x**3 + 1.0) and slope == pytest.approx(3 * x**2)
    check_grad(helpers.loss, X)


def test_rebinding_the_name_of_an_inlined_function_compiles_again(helpers):
    g = grad(helpers.outer)
    assert g(1.5) == pytest.approx(2.0)
    helpers.scaled = helpers.cubed
    assert g(1.5) == pytest.approx(3 * 1.5**2)


def test_functions_with_control_flow_or_many_statements_are_called(helpers):
    check_grad(helpers.not_small, X)
    source = grad(helpers.not_small).source
    for callee in ("with_loop", "with_if", "long_body", "keyword_only"):
        assert f"{callee}_forward(" in source, callee


def test_an_error_inside_an_inlined_function_names_its_own_line(helpers):
    with pytest.raises(UnsupportedSyntaxError) as error:
        grad(helpers.uses_as_list)(X)
    message = str(error.value)
    assert "inline_helpers.py:" in message and "items = x.tolist()" in message


@pytest.mark.parametrize(
    "body",
    [
        "y = xs.pop()\n    return y",
        "y = np.copyto(a, x)\n    return x",
        "y = np.add(x, 1.0, out=x)\n    return y",
        "y = [v for v in x]\n    return y",
        "if x:\n        return x\n    return -x",
        "return (y := x)",
    ],
)
def test_functions_that_may_change_their_arguments_are_not_inlined(body):
    node = ast.parse(f"def f(x, xs, a):\n    {body}\n").body[0]
    assert _small_body(node) is None
    assert _small_body(ast.parse("def f(x):\n    y = x\n    return y").body[0])


def test_a_view_returned_by_an_inlined_function_is_followed(helpers):
    # Python: h is a row of v, and `h *= 3.0` changes v: so it does here
    v = X * 2.0
    v[1] *= 3.0
    value, _ = value_and_grad(helpers.row_changed)(X)
    assert value == pytest.approx(np.sum(v * v) + np.sum(v[1]), rel=1e-12)
    check_grad(helpers.row_changed, X)


def test_a_view_returned_by_a_called_function_is_followed(helpers):
    # the same through a call: pick (a loop, so called) returns row(v), a view
    helpers.PICK = helpers.row
    with pytest.raises(UnsupportedSyntaxError, match="`h` may share memory with `v`"):
        grad(helpers.picked_changed)(X)
    with optimizations(False):
        with pytest.raises(UnsupportedSyntaxError, match="may share memory"):
            grad(uncompiled(helpers.row_changed))(X)


def test_a_caller_compiles_again_when_a_called_function_global_changes(helpers):
    # pick (a loop: called, not inlined) returns a new array, so `h *= 3.0`
    # changes nothing else; rebinding the global it calls makes its result
    # a view of v, which the caller must see, not run the code it compiled
    # for the new array
    g = value_and_grad(helpers.picked_changed)
    v = X * 2.0
    value, _ = g(X)
    assert value == pytest.approx(np.sum(v * v) + np.sum(3.0 * v), rel=1e-12)
    helpers.PICK = helpers.row
    with pytest.raises(UnsupportedSyntaxError, match="`h` may share memory with `v`"):
        g(X)
