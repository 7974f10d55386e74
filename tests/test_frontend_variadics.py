"""Dicts, variadic arguments and generators, as real code writes them.

Every gradient is checked against central differences in float64
(``check_grad``, ``numerical_grad``), every refusal by its message.
"""

from __future__ import annotations

import numpy as np
import pytest

from adcompiler import (
    check_grad,
    checkpoint,
    grad,
    hessian,
    jacobian,
    value_and_grad,
)
from adcompiler.errors import ArgumentError, NoRuleError, UnsupportedSyntaxError
from adcompiler.testing import numerical_grad

RNG = np.random.default_rng(16)
A = RNG.normal(size=3)
B = RNG.normal(size=3)
C = RNG.normal(size=(2, 3))


def params() -> dict:
    return {"w": A.copy(), "b": B.copy()}


def assert_tree_close(got, want) -> None:
    if isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            assert_tree_close(got[key], want[key])
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_close(g, w)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def refused(fn, *args, match: str, error=UnsupportedSyntaxError, wrt=0):
    with pytest.raises(error, match=match) as info:
        grad(fn, wrt=wrt)(*args)
    assert info.value.loc is not None and "test_frontend_variadics.py" in str(
        info.value
    )
    assert info.value.hint
    return info.value


# -- iterating over dicts --------------------------------------------------


def loop_over_keys(p):
    s = 0.0
    for k in p:
        s = s + np.sum(np.sin(p[k]) * p[k])
    return s


def loop_over_items(p):
    s = 0.0
    for k, v in p.items():
        s = s + np.sum(v**2) * (2.0 if k == "w" else 3.0)
    return s


def loop_over_keys_and_values(p):
    s = 0.0
    for k in p.keys():
        s = s + np.sum(np.exp(p[k]))
    for v in p.values():
        s = s * np.sum(v * v)
    return s


def sorted_list_len_in(p):
    first = sorted(p)[0]  # "b"
    second = list(p)[0]  # "w"
    s = np.sum(p[first] * 3.0) + np.sum(p[second] ** 2) * len(p)
    if "w" in p and "z" not in p:
        s = s + np.sum(np.cos(p["w"]))
    return s


def enumerate_and_zip_of_dicts(p):
    s = 0.0
    for i, (k, v) in enumerate(sorted(p.items()), start=1):
        s = s + i * np.sum(np.tanh(v))
    for k, q in zip(p, [2.0, 5.0]):
        s = s + q * np.sum(p[k] ** 3)
    return s


@pytest.mark.parametrize(
    "fn",
    [
        loop_over_keys,
        loop_over_items,
        loop_over_keys_and_values,
        sorted_list_len_in,
        enumerate_and_zip_of_dicts,
    ],
)
def test_loops_and_builtins_over_a_dict_argument(fn):
    check_grad(fn, params())
    value, _ = value_and_grad(fn)(params())
    np.testing.assert_allclose(value, fn(params()))


def build_dicts(x, y):
    d = dict(a=x, b=y)
    e = dict(zip(["a", "b"], [y, x * 2.0]))
    f = dict(d)
    g = {**e, "c": 3.0}
    h = d.copy()
    return (
        np.sum(d["a"] * e["a"])
        + np.sum(f["b"] ** 2) * g["c"]
        + np.sum(h["a"] * g["b"])
        + np.sum(d.get("a", 0.0)) * d.get("z", 4.0)
    )


def test_dict_constructors_copies_and_get():
    check_grad(build_dicts, A, B, wrt=(0, 1))


def update_reaches_every_name(x):
    d = {"a": x}
    alias = d
    copied = dict(d)
    d.update(b=x * 3.0)
    d.update({"c": np.sin(x)})
    return np.sum(alias["b"] * alias["c"]) + len(copied) * np.sum(d["a"])


def reversed_outside_a_loop(x, y):
    backwards = list(reversed([x, y * 2.0]))
    keys = list(reversed({"a": x, "b": y}))
    return np.sum(backwards[0] * 3.0) + len(keys) * np.sum(backwards[1])


def test_reversed_of_a_local_list_outside_a_loop():
    # it was a non-differentiable primitive: a zero gradient
    check_grad(reversed_outside_a_loop, A, B, wrt=(0, 1))
    np.testing.assert_allclose(grad(reversed_outside_a_loop, wrt=1)(A, B), 6.0)


def reversed_of_an_array(x):
    return np.sum(list(reversed(x))[0] * 3.0)


def test_reversed_of_an_array_outside_a_loop_is_refused():
    refused(reversed_of_an_array, A, match="reversed\\(...\\) of an array")


def test_update_is_a_write_seen_by_every_name_holding_the_dict():
    check_grad(update_reaches_every_name, A)
    assert np.isclose(
        value_and_grad(update_reaches_every_name)(A)[0], update_reaches_every_name(A)
    )


def dict_comprehensions(p):
    doubled = {k: v * 2.0 for k, v in p.items()}
    squares = {name: np.sum(p[name] ** 2) for name in sorted(p) if name != "b"}
    return np.sum(doubled["w"] * doubled["b"]) + squares["w"] + len(squares)


def comprehensions_over_constants(x, xs):
    d = {i: x[i] * 2.0 for i in range(2)}
    e = {i: v for i, v in enumerate(xs, 1)}
    g = {k: d[k] ** 2 for k in d if k > 0}
    return d[0] + d[1] * np.sum(e[2]) + g[1]


def test_dict_comprehension():
    check_grad(dict_comprehensions, params())
    check_grad(comprehensions_over_constants, A, [B, C[0]], wrt=(0, 1))


def writes_inside_the_loop(p):
    d = dict(p)
    for k in d:
        d[k] = np.tanh(d[k]) * 2.0
        d["b"] = d["b"] + d[k]  # a later key's value, read by its pass
    return np.sum(d["w"] * d["b"])


def in_place_through_the_loop_variable(p):
    q = {k: v * 1.0 for k, v in p.items()}
    alias = q["w"]
    for k, v in q.items():
        v += 1.0  # changes q[k]'s array, seen through alias too
        v *= v
    return np.sum(q["w"] * q["b"]) + np.sum(alias)


def rebinding_the_name_does_not_change_the_passes(p):
    d = dict(p)
    s = 0.0
    for k in d:
        s = s + np.sum(d[k] ** 2)
        d = {"w": p["b"], "b": p["w"] * 0.0}
    return s


@pytest.mark.parametrize(
    "fn",
    [
        writes_inside_the_loop,
        in_place_through_the_loop_variable,
        rebinding_the_name_does_not_change_the_passes,
    ],
)
def test_writes_in_a_loop_over_a_dict_have_pythons_semantics(fn):
    check_grad(fn, params())
    value, _ = value_and_grad(fn)(params())
    np.testing.assert_allclose(value, fn(params()))


def break_continue_else(p, x):
    s = 0.0
    for k, v in p.items():
        if np.sum(v * x) > 0.0:
            continue
        s = s + np.sum(v**2)
        if np.sum(v) > 10.0:
            break
    else:
        s = s + np.sum(x**3)
    return s


def return_inside(p, x):
    for k in sorted(p):
        if np.sum(p[k] * x) > 0.0:
            return np.sum(p[k] * x) * 2.0
    return np.sum(x**2)


@pytest.mark.parametrize("fn", [break_continue_else, return_inside])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_jumps_in_a_loop_over_a_dict(fn, sign):
    p = {"w": A.copy(), "b": -B}
    x = sign * np.abs(A)
    check_grad(fn, p, x, wrt=(0, 1))
    np.testing.assert_allclose(value_and_grad(fn, wrt=1)(p, x)[0], fn(p, x))


def break_out_of_a_dict_loop(p):
    s = 0.0
    for k in p:
        s = s + np.sum(p[k] ** 2)
        if k == "w":
            break
    return s


def test_a_constant_break_ends_the_passes():
    check_grad(break_out_of_a_dict_loop, {"a": A, "w": B, "z": A * 3.0})


def layers_loop(layers, x):
    for layer in layers:
        x = np.tanh(layer["W"] @ x + layer["b"])
    return np.sum(x**2)


def test_a_loop_over_a_list_of_dicts_is_unrolled():
    layers = [{"W": RNG.normal(size=(3, 3)), "b": RNG.normal(size=3)} for _ in range(2)]
    check_grad(layers_loop, layers, A, wrt=(0, 1))


CONFIG = {"w": A, "b": B}


def over_a_global_dict(x):
    s = 0.0
    for k, v in CONFIG.items():
        s = s + np.sum(v * x**2)
    return s


def string_keys_in_loop(x):
    d = {"a": x, "b": x * 2.0}
    s = 0.0
    for k in ["a", "b"]:
        s = s + np.sum(d[k])
    return s * 1.0


@pytest.mark.parametrize("fn", [over_a_global_dict, string_keys_in_loop])
def test_loops_over_global_dicts_and_lists_of_keys(fn):
    check_grad(fn, A)


def test_gradient_wrt_a_dict_matches_central_differences():
    got = grad(loop_over_items)(params())
    want = numerical_grad(loop_over_items, params())
    assert_tree_close(got, want)
    # closed form: d/dv sum(v**2) * c = 2 c v
    np.testing.assert_allclose(got["w"], 4.0 * A)
    np.testing.assert_allclose(got["b"], 6.0 * B)


# -- refused dict code ------------------------------------------------------


def adds_keys_while_looping(p):
    d = dict(p)
    for k in d:
        d[k + "_new"] = d[k] * 2.0
    return np.sum(d["w_new"])


def keeps_a_view(p):
    items = p.items()
    s = 0.0
    for k, v in items:
        s = s + np.sum(v)
    return s


def in_of_a_runtime_value(p):
    if np.sum(p["w"]) in [1.0, 2.0]:
        return np.sum(p["w"])
    return np.sum(p["b"])


def dict_of_a_runtime_value(x):
    d = dict(x)
    return np.sum(d[0])


def comprehension_with_runtime_keys(x):
    d = {i: x[i] for i in range(x.shape[0])}
    return d[0]


def pops_from_a_dict(p):
    w = p.pop("w")
    return np.sum(w)


def keeps_a_zip(x):
    pairs = zip([x, x], [1.0, 2.0])
    return sum(np.sum(u) * w for u, w in pairs)


def make_params(x):
    return {"w": x, "b": x * 2.0}


def iterates_a_call_returning_a_dict(x):
    s = 0.0
    for k in make_params(x):
        s = s + 1.0
    return s * np.sum(x)


def appends_to_the_list_it_iterates(x):
    layers = [{"w": x}]
    for layer in layers:
        layers.append({"w": layer["w"] * 2.0})
    return np.sum(layers[-1]["w"])


@pytest.mark.parametrize(
    "fn, args, match",
    [
        (adds_keys_while_looping, (params(),), "adding or removing keys of a dict"),
        (
            appends_to_the_list_it_iterates,
            (A,),
            "changing (the length of a list|its length in a for loop)",
        ),
        (keeps_a_zip, (A,), "keeping zip\\(...\\) in a variable"),
        (pops_from_a_dict, (params(),), "the dict method `.pop\\(\\)` here"),
        (iterates_a_call_returning_a_dict, (A,), "iterating over dict"),
        (keeps_a_view, (params(),), "keeping the view `.items\\(\\)`"),
        (in_of_a_runtime_value, (params(),), "`in` of a value computed at run time"),
        (dict_of_a_runtime_value, (A,), "dict\\(...\\) of something other than"),
        (comprehension_with_runtime_keys, (A,), "a dict key computed at run time"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_refused_dict_code(fn, args, match):
    refused(fn, *args, match=match)


def test_adding_keys_names_pythons_error():
    error = refused(adds_keys_while_looping, params(), match="RuntimeError")
    assert "list(d)" in error.hint


# -- *args and **kwargs -------------------------------------------------------


def module_helper(*xs, scale=1.0, **options):
    s = 0.0
    for x in xs:
        s = s + np.sum(x**2) * scale
    return s + options.get("offset", 0.0) * np.sum(xs[0])


def calls_a_variadic_helper(x, y):
    return (
        module_helper(x, y, scale=2.0)
        + module_helper(y, offset=3.0)
        + module_helper(*(x, y), **{"scale": 0.5, "offset": 1.0})
    )


def nested_variadic_helpers(x, y):
    def total(*vs, **weights):
        return sum(np.sum(v) * weights[k] for v, k in zip(vs, sorted(weights)))

    def keyword_only(a, *, b=2.0, c):
        return np.sum(a * b * c)

    mean = lambda *vs: sum(np.sum(v) for v in vs) / len(vs)  # noqa: E731
    return (
        total(x, y, a=1.0, b=3.0)
        + keyword_only(x, c=y)
        + mean(x, y * y, x * y)
        + keyword_only(y, b=x, c=0.5)
    )


@pytest.mark.parametrize("fn", [calls_a_variadic_helper, nested_variadic_helpers])
def test_helpers_taking_args_and_kwargs(fn):
    check_grad(fn, A, B, wrt=(0, 1))


def starred_calls(x, y):
    pair = (x, y)
    opts = {"axis": 0}
    rows = [x, y]
    return (
        np.sum(np.add(*pair))
        + np.sum(np.stack(rows, **opts) ** 2)
        + np.sum(np.maximum(*[x, y * 2.0]))
        + np.sum(np.multiply(*pair) * np.sum(*[x]))
    )


def zip_star_and_enumerate(x, y):
    pairs = [(x, y), (y, x * 2.0), (x * y, y)]
    firsts, seconds = zip(*pairs)
    s = np.sum(firsts[2] * seconds[1])
    for i, (u, v) in enumerate(zip(firsts, seconds)):
        s = s + i * np.sum(u * v)
    for i, u in enumerate([x, y], 1):
        s = s + i * np.sum(np.sin(u))
    for i, u in enumerate(firsts, start=2):
        s = s + i * np.sum(u)
    return s


def star_of_a_dict_passes_its_keys(p):
    def first(*keys):
        return keys[0]

    return np.sum(p[first(*p)] ** 2) + np.sum(np.add(*p.values()))


def test_star_of_a_dict():
    check_grad(star_of_a_dict_passes_its_keys, params())


@pytest.mark.parametrize("fn", [starred_calls, zip_star_and_enumerate])
def test_starred_calls_zip_and_enumerate(fn):
    check_grad(fn, A, B, wrt=(0, 1))


def star_of_an_array(x):
    return np.sum(np.add(*x))


def star_star_of_an_array(x):
    return np.sum(np.sum(x, **x))


def bad_call_of_a_nested_variadic(x):
    def h(a, *, b):
        return a * b

    return np.sum(h(x, x))


def recursive_variadic(x, *rest):
    if not rest:
        return np.sum(x)
    return np.sum(x) + recursive_variadic(*rest)


def calls_recursive_variadic(x):
    return recursive_variadic(x, x * 2.0)


@pytest.mark.parametrize(
    "fn, match",
    [
        (star_of_an_array, "\\*args in a call of a value known only at run time"),
        (star_star_of_an_array, "\\*\\*kwargs in a call of something other"),
        (bad_call_of_a_nested_variadic, "this call of h"),
        (calls_recursive_variadic, "calling recursive_variadic, which takes \\*args"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_refused_variadic_calls(fn, match):
    refused(fn, A, match=match)


checkpointed_helper = checkpoint(module_helper)


def calls_a_checkpointed_variadic(x):
    return checkpointed_helper(x, x * 2.0)


def test_a_checkpointed_variadic_helper_is_refused():
    refused(
        calls_a_checkpointed_variadic,
        A,
        match="calling module_helper, which takes \\*args or \\*\\*kwargs, where it",
    )


def differentiated_star_args(*xs):
    return np.sum(xs[0] * np.sin(xs[1])) + np.sum(xs[-1] ** 2)


def differentiated_mixed(a, *xs, scale=2.0, **kw):
    return np.sum(a * xs[0]) * scale + np.sum(kw["b"] ** 3) + len(xs)


def test_differentiated_function_with_star_args():
    # wrt counts parameters: wrt=0 is xs, a tuple with one gradient per
    # positional argument it took
    got = grad(differentiated_star_args)(A, B, C[0])
    want = numerical_grad(
        lambda x, y, z: differentiated_star_args(x, y, z), A, B, C[0], wrt=(0, 1, 2)
    )
    assert_tree_close(got, want)
    two = numerical_grad(lambda x, y: differentiated_star_args(x, y), A, B, wrt=(0, 1))
    assert_tree_close(grad(differentiated_star_args, wrt="xs")(A, B), two)


def test_differentiated_function_with_args_and_kwargs():
    got = grad(differentiated_mixed, wrt=("a", "xs", "kw"))(A, B, b=C[0])
    want = numerical_grad(
        lambda a, x, b: differentiated_mixed(a, x, b=b), A, B, C[0], wrt=(0, 1, 2)
    )
    assert_tree_close(got[0], want[0])
    assert_tree_close(got[1], (want[1],))
    assert_tree_close(got[2], {"b": want[2]})
    value, _ = value_and_grad(differentiated_mixed, wrt=2)(A, B, C[1], scale=3.0, b=B)
    np.testing.assert_allclose(value, differentiated_mixed(A, B, C[1], scale=3.0, b=B))


def star_args_vector(*xs):
    return xs[0] * np.sin(xs[1])


def named_vector(x, y):
    return star_args_vector(x, y)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_of_a_function_with_star_args(mode):
    got = jacobian(star_args_vector, mode=mode)(A, B)
    want = jacobian(named_vector, wrt=(0, 1), mode=mode)(A, B)
    assert_tree_close(got, want)
    np.testing.assert_allclose(want[0], np.diag(np.sin(B)))  # closed form
    np.testing.assert_allclose(want[1], np.diag(A * np.cos(B)))


def test_what_takes_star_args_is_refused_where_positions_would_be_counted():
    with pytest.raises(ArgumentError, match="check_grad of differentiated_star_args"):
        check_grad(differentiated_star_args, A, B)
    with pytest.raises(ArgumentError, match="numerical_grad of differentiated"):
        numerical_grad(differentiated_star_args, A, B)
    with pytest.raises(UnsupportedSyntaxError, match="a derivative of the gradient"):
        hessian(differentiated_star_args)(A, B)


# -- generator expressions ----------------------------------------------------


def generator_consumers(x, y):
    vs = [x, y, x * y]
    total = sum(np.sum(v) for v in vs)
    biggest = max(np.sum(v**2) for v in vs)
    smallest = min(np.sum(v) for v in vs)
    items = list(v * 2.0 for v in vs)
    paired = sum(np.sum(u * v) for u, v in zip(vs, (y, x, y)))
    if any(np.sum(v) > 100.0 for v in vs) or not all(np.sum(v**2) >= 0 for v in vs):
        total = total * 0.0
    return total + biggest * smallest + np.sum(items[2]) + paired


def generator_over_an_array(x):
    return sum(v * v for v in x)


def generator_over_a_dict(p):
    return sum(np.sum(v**2) for v in p.values()) + sum(
        np.sum(p[k]) for k in sorted(p) if k != "b"
    )


def test_generator_expressions():
    check_grad(generator_consumers, A, B, wrt=(0, 1))
    check_grad(generator_over_an_array, A)
    check_grad(generator_over_a_dict, params())


def kept_generator_expression(x):
    g = (v * 2.0 for v in x)
    return sum(g)


def tuple_of_a_runtime_generator(x):
    return np.sum(tuple(v * 2.0 for v in x)[0])


def test_refused_generator_expressions():
    refused(kept_generator_expression, A, match="keeping a generator expression")
    refused(tuple_of_a_runtime_generator, A, match="tuple\\(...\\) of a list built")


def sorted_of_runtime_values(x, y):
    return sum(sorted(np.sum(v) for v in [x, y]))


def test_sorting_values_has_no_rule():
    refused(sorted_of_runtime_values, A, B, match="sorted", error=NoRuleError)


# -- generator functions --------------------------------------------------------


def doubled_positive(xs, limit):
    for x in xs:
        if np.sum(x) > limit:
            yield x * 2.0
        else:
            yield np.sin(x)
    yield from [xs[0] ** 2]


def first_two(xs):
    count = 0
    for x in xs:
        if count == 2:
            return
        count = count + 1
        yield x


def uses_generators(x, y):
    vs = [x, y, x * y]
    s = sum(np.sum(v) for v in doubled_positive(vs, 0.0))
    for v in first_two(vs):
        s = s + np.sum(v**3)
    listed = list(doubled_positive([x], 10.0))
    for u, w in zip(first_two(vs), doubled_positive(vs, -1.0)):
        s = s + np.sum(u * w)
    return s + np.sum(listed[0]) + len(listed)


def nested_generator(x):
    def rows(a, n):
        for i in range(n):
            yield a[i] * (i + 1.0)

    return sum(np.sum(r) for r in rows(x, 2)) + np.sum(sum(rows(x, 1)) ** 2)


@pytest.mark.parametrize(
    "fn, args", [(uses_generators, (A, B)), (nested_generator, (C,))]
)
def test_generator_functions_are_the_list_of_their_yields(fn, args):
    check_grad(fn, *args, wrt=tuple(range(len(args))))
    np.testing.assert_allclose(value_and_grad(fn)(*args)[0], fn(*args))


def sent_into(x):
    total = yield x
    yield total


def forever(x):
    while True:
        yield x


def recursive_generator(xs):
    if xs:
        yield xs[0]
        yield from recursive_generator(xs[1:])


def uses_sent_into(x):
    return sum(sent_into(x))


def uses_forever(x):
    return sum(a for a, _ in zip(forever(x), range(3)))


def uses_recursive_generator(x):
    return np.sum(sum(recursive_generator([x, x])))


def keeps_a_generator(x):
    g = first_two([x, x])
    return np.sum(sum(g))


@pytest.mark.parametrize(
    "fn, match",
    [
        (uses_sent_into, "yield used as a value"),
        (uses_forever, "an infinite generator"),
        (uses_recursive_generator, "the generator recursive_generator calling itself"),
        (keeps_a_generator, "keeping the generator first_two"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_refused_generators(fn, match):
    refused(fn, A, match=match)
