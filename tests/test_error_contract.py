"""The error contract: every call of the public API either gives the right
result or raises an ``ADError`` subclass whose message names the construct.

Each case of issue 15's "also crashes" list, and the public API swept with
wrong inputs. Results are compared with central finite differences in
float64 (computed here, independently of adcompiler) or with Python's own
value.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

from support.differences import fd_jacobian
import adcompiler
from adcompiler import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

X = np.array([0.3, -0.7, 1.2])


def fd_hessian(fun: Callable[[Any], Any], x: Any) -> Any:
    """Central differences of central differences (float64)."""
    return fd_jacobian(lambda v: fd_jacobian(fun, v, 1e-4), x, 1e-4)


def assert_close(actual: Any, expected: Any, rtol: float = 1e-5) -> None:
    """Same structure (tuples, lists, dicts) and close leaves."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys()
        for key in expected:
            assert_close(actual[key], expected[key], rtol)
        return
    if isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol)
        return
    assert np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-6)


# ---------------------------------------------------------------------------
# item: `y[()] = ...` and `y[...] = ...` on a 0-d array


def zero_d_set(x):
    y = np.zeros(())
    y[()] = x * 2.0
    return y * x


def zero_d_add(x):
    y = np.zeros(())
    y[()] += x
    return y * x


def zero_d_ellipsis(x):
    y = np.array(0.0)
    y[...] = x**2
    return y * 1.0


ZERO_D = [zero_d_set, zero_d_add, zero_d_ellipsis]


@pytest.mark.parametrize("f", ZERO_D, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [1.5, np.array(1.5)], ids=["float", "0-d"])
def test_zero_d_item_assignment(f, x):
    assert_close(np.asarray(grad(f)(x)), fd_jacobian(f, x))
    value, tangent = jvp(f, (x,), (np.ones_like(x),))
    assert np.isclose(value, f(x))
    assert np.isclose(tangent, fd_jacobian(f, x))
    assert np.isclose(hessian(f)(x), fd_hessian(f, x), rtol=1e-5)


# ---------------------------------------------------------------------------
# item: enumerate, zip and reversed nested in any order


def enum_reversed(x):
    s = 0.0
    for i, v in enumerate(reversed(x)):
        s = s + (i + 1) * v**2
    return s


def zip_of_enumerate(x):
    s = 0.0
    for (i, a), b in zip(enumerate(x), x[::-1]):
        s = s + (i + 1) * a * b
    return s


def enumerate_of_zip(x):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, x**2)):
        s = s + (i + 2) * a * b
    return s


def enumerate_from(x):
    s = 0.0
    for i, v in enumerate(x, start=2):
        s = s + i * v**2
    return s


def zip_reversed(x):
    s = 0.0
    for a, b in zip(reversed(x), x):
        s = s + a * b**2
    return s


def enumerate_reversed_range(x):
    s = 0.0
    for k, i in enumerate(reversed(range(1, 3))):
        s = s + k * x[i] ** 2 + i * x[i]
    return s


def zip_range_and_lists(x):
    s = 0.0
    for i, v, w in zip(range(5), [x[0], x[1]], reversed([x[2], x[1], x[0]])):
        s = s + (i + 1) * v * w
    return s


def enumerate_of_enumerate(x):
    s = 0.0
    for i, (j, v) in enumerate(enumerate(x, 1)):
        s = s + i * j * v**2
    return s


def reversed_grown_list(x):
    out = []
    for v in x:
        out.append(v * 2.0)
    s = 0.0
    for i, v in enumerate(reversed(out)):
        s = s + i * v**3
    return s


def comprehension_enumerate_reversed(x):
    return sum([i * v**3 for i, v in enumerate(reversed(x))])


NESTINGS = [
    enum_reversed,
    zip_of_enumerate,
    enumerate_of_zip,
    enumerate_from,
    zip_reversed,
    enumerate_reversed_range,
    zip_range_and_lists,
    enumerate_of_enumerate,
    reversed_grown_list,
    comprehension_enumerate_reversed,
]


@pytest.mark.parametrize("f", NESTINGS, ids=lambda f: f.__name__)
def test_iterator_nestings(f):
    value, gradient = value_and_grad(f)(X)
    assert np.isclose(value, f(X))
    assert_close(gradient, fd_jacobian(f, X))
    assert np.isclose(jvp(f, (X,), (np.ones(3),))[1], np.sum(fd_jacobian(f, X)))
    assert_close(hessian(f)(X), fd_hessian(f, X))


def reversed_enumerate(x):
    s = 0.0
    for i, v in reversed(enumerate(x)):
        s = s + v
    return s


def reversed_reversed(x):
    s = 0.0
    for v in zip(reversed(reversed(x)), x):
        s = s + v[0]
    return s


@pytest.mark.parametrize(
    "f, construct",
    [
        (reversed_enumerate, "reversed(enumerate(...))"),
        (reversed_reversed, "reversed(reversed(...))"),
    ],
    ids=["reversed_enumerate", "reversed_reversed"],
)
def test_not_reversible_as_in_python(f, construct):
    with pytest.raises(TypeError):
        f(X)  # Python refuses it too
    with pytest.raises(adcompiler.UnsupportedSyntaxError) as info:
        grad(f)(X)
    message = str(info.value)
    assert construct in message and "not reversible" in message
    assert f"{__file__}:" in message


# ---------------------------------------------------------------------------
# item: second derivatives through loops and filtered comprehensions; a
# pullback called more than once


def cubic_loop(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] ** 3 * x[(i + 1) % 3]
    return s


def filtered_cubes(x):
    return sum([v**3 for v in x if v > 0])


def filtered_pairs(x):
    ys = [v * x[0] for v in x if v < 1.0]
    return sum([a * b for a, b in zip(ys, reversed(ys))])


def filtered_stack(x):
    ys = [np.sin(v) * v for v in x if v > -0.5]
    return np.sum(np.stack(ys) ** 2)


def filtered_rows(x):
    rows = []
    for i in range(2):
        row = []
        for j in range(3):
            if x[j] > -0.5 or i == 1:
                row.append(x[j] * (i + 1))
        rows.append(row)
    return sum([sum(r) ** 2 for r in rows])


def constant_adjoint_appends(x):
    # the gradient's backward loop pops `acc`; its adjoints are constants,
    # so the gradient does not go through that loop when it is
    # differentiated again, and its pops were not undone (pop from empty list)
    v = np.sin(x) * x
    acc = []
    for i in range(2):
        acc.append(np.sum(v * (i + 1.0)))
    return 2.0 * np.array(acc).sum()


def stacked_list(x):
    # np.array of a list: the list's adjoint is an array, whose items the
    # gradient reads; differentiated again, their adjoints were lists added
    # with + (concatenated), then multiplied: a TypeError, or a wrong value
    v = np.array([x * 2.0, np.sin(x)])
    return np.sum(v * v)


def stacked_nested_list(x):
    v = np.tanh(x)
    w = x * np.array([np.arctanh(0.9 * np.tanh(v)), np.atleast_1d(v)])
    return np.sum(w * w)


def stacked_pieces(x):
    # the gradient reads the pieces of np.hstack's adjoint from a value the
    # lowering could not tell from a list (it is an array): differentiated
    # again, their adjoints were lists indexed by a tuple of slices
    acc = []
    for i in range(2):
        acc.append(np.hstack([x[i : i + 1], np.sin(x) * x[i]]))
    return np.sum(np.sin(sum(acc)))


def where_in_a_helper(a, b):
    v = np.tanh(b * a)
    for i in range(2):
        v = np.tanh(0.8 * v + a)
    return np.sinh(np.where(np.sin(a) ** 2 > 0.1, a * v, v * v))


def where_through_a_call(x):
    # the gradient's np.where reads its condition from the helper's saved
    # values, which share the tape with differentiated ones: the second
    # order raised "np.where has no derivative with respect to condition"
    return np.sum(where_in_a_helper(x, b=np.mean(x) * 2.0))


def writes_items_in_a_loop(x):
    # the gradient's backward of y[i] = v is zero_at(d_y, i), i read from the
    # tape; differentiated again, i was taken for a value with a derivative
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] ** 2 * x[(i + 1) % 3]
    return np.sum(y**2)


SECOND_ORDER = [
    writes_items_in_a_loop,
    where_through_a_call,
    stacked_pieces,
    stacked_list,
    stacked_nested_list,
    cubic_loop,
    filtered_cubes,
    filtered_pairs,
    filtered_stack,
    filtered_rows,
    constant_adjoint_appends,
]
SECOND_ORDER_FORMS = {
    "hessian": lambda f, x: hessian(f)(x),
    "jacobian_rev_of_grad": lambda f, x: jacobian(grad(f))(x),
    "jacobian_fwd_of_grad": lambda f, x: jacobian(grad(f), mode="fwd")(x),
    "hvp": lambda f, x: np.array([hvp(f)(x, e) for e in np.eye(x.size)]),
}


@pytest.mark.parametrize("form", SECOND_ORDER_FORMS)
@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "x", [X, np.array([1.3, 0.2, -0.4]), np.array([-0.3, 0.8, 0.6])], ids=str
)
def test_second_order_through_loops_and_filters(f, form, x):
    assert_close(SECOND_ORDER_FORMS[form](f, x), fd_hessian(f, x))


def writes_in_place(x):
    y = x * 1.0
    y[0] = y[1] * y[0]
    z = y * 2.0
    y[1] = y[0] ** 2
    return y * z


def grows_a_list(x):
    out = []
    for v in x:
        out.append(v**2)
    return out[0] * out[2] + x


@pytest.mark.parametrize("f", [writes_in_place, grows_a_list], ids=lambda f: f.__name__)
def test_pullback_called_again(f):
    """The backward undoes the forward's in-place writes; a second call of
    the pullback must not see them undone (it was silently wrong)."""
    jac = fd_jacobian(f, X)
    _, pullback = vjp(f, X)
    for cotangent in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 0.0])):
        for _ in range(2):
            (got,) = pullback(cotangent)
            assert_close(got, cotangent @ jac)
    assert_close(jacobian(f)(X), jac)


# ---------------------------------------------------------------------------
# item: defaults and keyword arguments in every transformation


def with_default(x, scale=2.0):
    return np.sum(x**3) * scale


def with_keyword_only(x, *, scale=2.0, power=3):
    return np.sum(x**power) * scale


def cubic_with(scale: float, x: np.ndarray = X) -> Callable:
    return lambda v: np.sum(v**3) * scale


DEFAULTS = {
    "grad": (lambda f, **kw: grad(f)(X, **kw), lambda s: fd_jacobian(cubic_with(s), X)),
    "value_and_grad": (
        lambda f, **kw: value_and_grad(f)(X, **kw)[1],
        lambda s: fd_jacobian(cubic_with(s), X),
    ),
    "grad_of_grad_sum": (
        lambda f, **kw: np.array(
            [grad(grad(f))(v, **kw) for v in (0.5, -1.5)]
        ),  # d2/dv2 of s * v**3 = 6 s v
        lambda s: np.array(
            [fd_hessian(lambda v: cubic_with(s)(np.array(v)), w) for w in (0.5, -1.5)]
        ),
    ),
    "vjp": (
        lambda f, **kw: vjp(f, X, **kw)[1](1.0)[0],
        lambda s: fd_jacobian(cubic_with(s), X),
    ),
    "jvp": (
        lambda f, **kw: jvp(lambda_free(f, kw), (X,), (np.ones(3),))[1],
        lambda s: np.sum(fd_jacobian(cubic_with(s), X)),
    ),
    "jacobian": (
        lambda f, **kw: jacobian(f)(X, **kw),
        lambda s: fd_jacobian(cubic_with(s), X),
    ),
    "jacobian_fwd": (
        lambda f, **kw: jacobian(f, mode="fwd")(X, **kw),
        lambda s: fd_jacobian(cubic_with(s), X),
    ),
    "hessian": (
        lambda f, **kw: hessian(f)(X, **kw),
        lambda s: fd_hessian(cubic_with(s), X),
    ),
    "hvp": (
        lambda f, **kw: hvp(f)(X, np.array([1.0, 2.0, -1.0]), **kw),
        lambda s: fd_hessian(cubic_with(s), X) @ np.array([1.0, 2.0, -1.0]),
    ),
}


def lambda_free(f: Callable, kwargs: dict) -> Callable:
    """``f`` itself (jvp takes no keyword arguments): only the defaults."""
    assert not kwargs
    return f


@pytest.mark.parametrize("form", DEFAULTS)
@pytest.mark.parametrize(
    "f", [with_default, with_keyword_only], ids=lambda f: f.__name__
)
def test_defaults_in_every_transformation(f, form):
    run, expected = DEFAULTS[form]
    assert_close(np.asarray(run(f)), expected(2.0))


@pytest.mark.parametrize("form", [k for k in DEFAULTS if k != "jvp"])
@pytest.mark.parametrize(
    "f", [with_default, with_keyword_only], ids=lambda f: f.__name__
)
def test_keyword_arguments_at_call_time(f, form):
    run, expected = DEFAULTS[form]
    assert_close(np.asarray(run(f, scale=3.0)), expected(3.0))


def test_vjp_differentiates_only_the_positional_arguments_given():
    _, pullback = vjp(with_default, X)
    (d_x,) = pullback(1.0)  # no cotangent for the default `scale`
    assert_close(d_x, fd_jacobian(cubic_with(2.0), X))
    _, pullback = vjp(with_default, X, 3.0)
    d_x, d_scale = pullback(1.0)
    assert np.isclose(d_scale, np.sum(X**3))


# ---------------------------------------------------------------------------
# item: several wrt, and tree arguments (block structure, as jax.jacobian)


def two_vectors(x, y):
    return x * y**2


def scalar_of_two(x, y):
    return np.sum(x**2 * y**3) + np.sum(np.sin(x) * y)


def scalar_of_dict(p):
    return np.sum(p["a"] ** 2 * p["b"] ** 3) + np.sum(p["a"]) * p["c"] ** 2


def dict_result(x):
    return {"u": x**2, "v": np.sum(x) * 1.0}


Y = np.array([1.1, 0.4, -0.8])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_with_several_wrt_is_a_tuple_of_blocks(mode):
    got = jacobian(two_vectors, wrt=(0, 1), mode=mode)(X, Y)
    expected = (
        fd_jacobian(lambda v: two_vectors(v, Y), X),
        fd_jacobian(lambda v: two_vectors(X, v), Y),
    )
    assert_close(got, expected)


def test_hessian_with_several_wrt_is_a_tuple_of_tuples():
    got = hessian(scalar_of_two, wrt=(0, 1))(X, Y)
    joint = fd_hessian(lambda v: scalar_of_two(v[:3], v[3:]), np.concatenate([X, Y]))
    expected = (
        (joint[:3, :3], joint[:3, 3:]),
        (joint[3:, :3], joint[3:, 3:]),
    )
    assert_close(got, expected)


def test_hessian_of_a_dict_argument_is_a_dict_of_dicts():
    p = {"a": X, "b": Y, "c": 0.7}

    def flat(v):
        return scalar_of_dict({"a": v[:3], "b": v[3:6], "c": v[6]})

    joint = fd_hessian(flat, np.concatenate([X, Y, [0.7]]))
    cuts = {"a": slice(0, 3), "b": slice(3, 6), "c": 6}
    expected = {r: {c: joint[cuts[r], cuts[c]] for c in cuts} for r in cuts}
    assert_close(hessian(scalar_of_dict)(p), expected)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_a_dict_result(mode):
    got = jacobian(dict_result, mode=mode)(X)
    expected = {
        "u": fd_jacobian(lambda v: dict_result(v)["u"], X),
        "v": fd_jacobian(lambda v: dict_result(v)["v"], X),
    }
    assert_close(got, expected)


def test_jacobian_wrt_an_int_argument_is_refused():
    with pytest.raises(adcompiler.WrtError, match="argument `y` of two_vectors"):
        jacobian(two_vectors, wrt=1)(X, 2)


# ---------------------------------------------------------------------------
# item: jvp with bare primals; functions without Python source


@pytest.mark.parametrize("primal", [X, 1.5, np.float64(1.5)], ids=type)
def test_jvp_with_bare_primals_says_to_wrap_them(primal):
    with pytest.raises(
        adcompiler.ArgumentError, match=r"(?s)tuple.*\(x,\), \(t,\)"
    ) as info:
        jvp(with_default, primal, primal)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    "transform",
    [
        lambda f: vjp(f, X),
        lambda f: jvp(f, (X,), (X,)),
        lambda f: jacobian(f)(X),
        lambda f: hessian(f)(X),
        lambda f: hvp(f)(X, X),
        lambda f: grad(f)(X),
    ],
    ids=["vjp", "jvp", "jacobian", "hessian", "hvp", "grad"],
)
@pytest.mark.parametrize("f", [np.sin, np.linalg.norm, len, print], ids=repr)
def test_function_without_python_source(transform, f):
    with pytest.raises(adcompiler.SourceUnavailableError) as info:
        transform(f)
    message = str(info.value)
    assert (
        "not a Python function" in message and "wrap it in a Python function" in message
    )


def first_item_squared(p):
    return np.sum(p[0] ** 3)


def test_the_same_function_compiled_for_two_structures_keeps_both_sources():
    """Each compilation registers its source under its own file name, since
    transforming the generated code again reads it (it read the source of
    the last compilation, here the list one, and crashed)."""
    grad(first_item_squared)._compiled()  # argument of unknown kind
    grad(first_item_squared)([X, Y])  # a list argument: other code
    v = np.array([1.0, -2.0, 0.5])
    assert_close(hvp(first_item_squared)(X, v), fd_hessian(first_item_squared, X) @ v)


# ---------------------------------------------------------------------------
# the public API swept with wrong inputs: every error is an ADError with a
# hint, naming what was wrong


def square_sum(x):
    return np.sum(x**2)


def needs_keyword(x, *, s):
    return np.sum(x) * s


def written_items(x):
    y = np.zeros(3)
    y[0] = x * x
    y[1] = np.sin(x)
    y[2] = y[0] * y[1]  # reads what was written: the backward restores it
    return np.sum(y * y)


def looped_tanh(x):
    s = 0.0
    for i in range(3):
        s = s + np.tanh(x * (i + 1))
    return s


def _register_then_defjvp_with_non_callable():
    def fresh(x):
        return x * 2.0

    adcompiler.defvjp(fresh, lambda g, ans, x: 2.0 * g)
    adcompiler.defjvp(fresh, 3)


def _plain(x):
    return x * 1.0


A = adcompiler.ArgumentError
W = adcompiler.WrtError
S = adcompiler.SourceUnavailableError
MISUSE = [
    # (what, call, error class, words the message must contain)
    ("grad positional wrt", lambda: grad(square_sum, 1), A, ["grad(f"]),
    ("grad unknown option", lambda: grad(square_sum, foo=1), A, ["foo"]),
    ("grad of a number", lambda: grad(3), A, ["function to differentiate", "int"]),
    ("grad of a ufunc", lambda: grad(np.sin), S, ["ufunc 'sin'"]),
    ("grad wrt out of range", lambda: grad(square_sum, wrt=5), W, ["wrt=5"]),
    ("grad wrt a float", lambda: grad(square_sum, wrt=1.0), W, ["1.0"]),
    ("grad wrt nothing", lambda: grad(square_sum, wrt=()), W, ["names no argument"]),
    (
        "has_aux not a bool",
        lambda: value_and_grad(square_sum, has_aux="y"),
        A,
        ["has_aux"],
    ),
    (
        "grad called without arguments",
        lambda: grad(square_sum)(),
        A,
        ["square_sum(x)", "missing"],
    ),
    (
        "grad called with too many",
        lambda: grad(square_sum)(X, X),
        A,
        ["square_sum(x)", "(ndarray, ndarray)"],
    ),
    (
        "grad called with a wrong keyword",
        lambda: grad(square_sum)(y=X),
        A,
        ["y=ndarray"],
    ),
    ("grad missing keyword-only", lambda: grad(needs_keyword)(X), A, ["'s'"]),
    ("grad of a string", lambda: grad(square_sum)("abc"), W, ["argument `x`", "str"]),
    ("grad of None", lambda: grad(square_sum)(None), W, ["NoneType"]),
    ("grad of ints", lambda: grad(square_sum)(np.arange(3)), W, ["int64"]),
    ("vjp without arguments", lambda: vjp(square_sum), A, ["vjp", "missing"]),
    ("vjp of a number", lambda: vjp(3, X), A, ["vjp", "int"]),
    ("vjp of a ufunc", lambda: vjp(np.sin, X), S, ["ufunc 'sin'"]),
    (
        "cotangent of another structure",
        lambda: vjp(_plain, X)[1]((1.0, 2.0)),
        A,
        ["2 leaves", "_plain has 1"],
    ),
    (
        "cotangent of another shape",
        lambda: vjp(_plain, X)[1](np.ones(5)),
        A,
        ["shape (5,)", "(3,)"],
    ),
    ("jvp without tangents", lambda: jvp(square_sum, (X,)), A, ["tangents"]),
    (
        "jvp with bare primals",
        lambda: jvp(square_sum, X, X),
        A,
        ["tuple", "bare ndarray"],
    ),
    (
        "jvp one tangent short",
        lambda: jvp(square_sum, (X,), ()),
        A,
        ["1 primal(s) and 0 tangent(s)"],
    ),
    (
        "tangent of another shape",
        lambda: jvp(square_sum, (X,), (np.ones(4),)),
        A,
        ["shape (4,)", "(3,)"],
    ),
    (
        "tangent of another structure",
        lambda: jvp(square_sum, (X,), ([X],)),
        A,
        ["list[1]"],
    ),
    (
        "jvp_source with bare primals",
        lambda: adcompiler.jvp_source(square_sum, X),
        A,
        ["bare ndarray"],
    ),
    ("jacobian mode", lambda: jacobian(square_sum, mode="x"), A, ["'rev' or 'fwd'"]),
    (
        "jacobian called without arguments",
        lambda: jacobian(square_sum)(),
        A,
        ["jacobian of square_sum", "missing"],
    ),
    (
        "jacobian wrt ints",
        lambda: jacobian(square_sum)(np.arange(3)),
        W,
        ["jacobian of square_sum", "int64"],
    ),
    ("hessian wrt unknown name", lambda: hessian(square_sum, wrt="z"), W, ["'z'"]),
    (
        "hessian of a vector function",
        lambda: hessian(_plain)(X),
        adcompiler.OutputError,
        ["scalar output"],
    ),
    ("hvp without v", lambda: hvp(square_sum)(), A, ["then the vector v"]),
    (
        "hvp v of another shape",
        lambda: hvp(square_sum)(X, np.ones(4)),
        A,
        ["v has shape (4,)"],
    ),
    (
        "jacobian of a hessian",
        lambda: jacobian(hessian(square_sum))(X),
        A,
        ["made by hessian", "grad(grad(grad(f)))"],
    ),
    ("grad of an hvp", lambda: grad(hvp(square_sum)), A, ["made by hvp"]),
    (
        "checkpoint of a ufunc",
        lambda: adcompiler.checkpoint(np.sin),
        A,
        ["checkpoint", "ufunc"],
    ),
    (
        "check_grad without arguments",
        lambda: adcompiler.check_grad(square_sum),
        A,
        ["check_grad", "missing"],
    ),
    (
        "check_grad of a ufunc",
        lambda: adcompiler.check_grad(np.sin, X),
        S,
        ["ufunc 'sin'"],
    ),
    (
        "check_grad order 3",
        lambda: adcompiler.check_grad(square_sum, X, order=3),
        A,
        ["order=3"],
    ),
    (
        "numerical_grad without arguments",
        lambda: adcompiler.numerical_grad(square_sum),
        A,
        ["missing"],
    ),
    (
        "numerical_grad of a string",
        lambda: adcompiler.numerical_grad(square_sum, "a"),
        W,
        ["str"],
    ),
    (
        "numerical_grad step 0",
        lambda: adcompiler.numerical_grad(square_sum, X, eps=0),
        A,
        ["eps > 0"],
    ),
    ("defvjp of a number", lambda: adcompiler.defvjp(3, None), A, ["defvjp", "int"]),
    (
        "defvjp with a non-callable rule",
        lambda: adcompiler.defvjp(_plain, 3),
        A,
        ["rule for argument 0", "int"],
    ),
    (
        "defjvp before defvjp",
        lambda: adcompiler.defjvp(looped_tanh, None),
        A,
        ["not a primitive"],
    ),
    (
        "defjvp with a non-callable rule",
        _register_then_defjvp_with_non_callable,
        A,
        ["rule for argument 0"],
    ),
    (
        "nondifferentiable of a number",
        lambda: adcompiler.nondifferentiable(3),
        A,
        ["nondifferentiable"],
    ),
    (
        "show of a plain function",
        lambda: adcompiler.show(square_sum),
        A,
        ["show takes a transformed function"],
    ),
    (
        "third derivative through item assignment",
        lambda: grad(grad(grad(written_items)))(0.7),
        adcompiler.UnsupportedSyntaxError,
        ["third-order derivative of written_items", f"{__file__}:"],
    ),
]


@pytest.mark.parametrize(
    "call, error, words", [m[1:] for m in MISUSE], ids=[m[0] for m in MISUSE]
)
def test_misuse_raises_an_aderror_with_a_hint(call, error, words):
    with pytest.raises(adcompiler.ADError) as info:
        call()
    assert isinstance(info.value, error), type(info.value)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    assert "hint: " in message and info.value.hint
    if error is A:
        assert isinstance(info.value, TypeError)  # `except TypeError` still works


def test_third_derivatives_that_work():
    """Where higher orders are accepted they are right (closed form)."""
    x = 0.7
    # d3/dx3 of sum_k tanh(k x) = sum_k k**3 (-2 sech^2 (1 - 3 tanh^2))
    t = np.tanh(np.arange(1, 4) * x)
    expected = np.sum(np.arange(1, 4) ** 3 * -2 * (1 - t**2) * (1 - 3 * t**2))
    assert np.isclose(grad(grad(grad(looped_tanh)))(x), expected)
    assert np.isclose(hessian(grad(looped_tanh))(x), expected)
    # and the fourth, through the loop: sum_k k**4 sech^2 (16 tanh - 24 tanh^3)
    sech2 = 1 - t**2
    fourth = np.sum(np.arange(1, 4) ** 4 * sech2 * (16 * t - 24 * t**3))
    assert np.isclose(grad(grad(grad(grad(looped_tanh))))(x), fourth)
