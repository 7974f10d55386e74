"""Random draws, output statements, assertions, type tests and casts in
differentiated code (issue #16, "real code as written").

Every gradient is compared with central finite differences of the same
objective, evaluated with a generator seeded the same way each time; values
and generator states are compared with plain Python's.
"""

import logging
import sys
import types
import warnings

import numpy as np
import pytest

import adcompiler
from adcompiler import (
    checkpoint,
    grad,
    hessian,
    jvp,
    numerical_grad,
    value_and_grad,
    vjp,
)
from adcompiler.errors import NonDifferentiableError, UnsupportedSyntaxError

MU = np.array([0.3, -0.2, 0.5])
LOG_SIGMA = np.array([-0.5, 0.1, 0.2])
RS = np.random.RandomState(0)
GEN = np.random.default_rng(0)
LOGGER = logging.getLogger("adcompiler.test_effects")


def fd(f, *args, wrt=0):
    """Central differences (float64) of ``f``."""
    return numerical_grad(f, *args, wrt=wrt)


# -- random draws ------------------------------------------------------------


def vae(mu, log_sigma, rng):
    eps = rng.standard_normal(mu.shape)
    z = mu + np.exp(log_sigma) * eps
    return np.sum(z**2) + np.sum(np.exp(log_sigma))


def test_reparameterisation_gradient_value_and_generator_state():
    g = value_and_grad(vae, wrt=(0, 1))
    rng = np.random.default_rng(7)
    value, (d_mu, d_ls) = g(MU, LOG_SIGMA, rng)
    plain = np.random.default_rng(7)
    assert value == vae(MU, LOG_SIGMA, plain)
    # the same number of draws: the two generators go on alike
    assert rng.bit_generator.state == plain.bit_generator.state

    def seeded(mu, log_sigma):
        return vae(mu, log_sigma, np.random.default_rng(7))

    expect_mu, expect_ls = fd(seeded, MU, LOG_SIGMA, wrt=(0, 1))
    np.testing.assert_allclose(d_mu, expect_mu, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(d_ls, expect_ls, rtol=1e-6, atol=1e-8)


def vae_inside(mu, log_sigma):
    rng = np.random.default_rng(3)
    eps = rng.standard_normal(mu.shape)
    z = mu + np.exp(log_sigma) * eps
    return np.sum(np.sin(z))


def test_generator_made_inside_the_objective():
    value, (d_mu, d_ls) = value_and_grad(vae_inside, wrt=(0, 1))(MU, LOG_SIGMA)
    assert value == vae_inside(MU, LOG_SIGMA)
    expect = fd(vae_inside, MU, LOG_SIGMA, wrt=(0, 1))
    np.testing.assert_allclose(d_mu, expect[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(d_ls, expect[1], rtol=1e-6, atol=1e-8)
    # a new generator at each call: the same numbers each time
    assert value_and_grad(vae_inside)(MU, LOG_SIGMA)[0] == value


def global_draws(w):
    a = RS.randn(*w.shape)  # spread from a shape known only at run time
    b = RS.randn(3)
    unused = RS.randn(2)  # noqa: F841  (advances the state all the same)
    c = RS.randn(3)  # the same call again: another draw
    return np.sum(w * a) + np.sum(w**2 * b) + np.sum(np.cos(w) * c)


def test_global_random_state_draws_in_order_each_once():
    g = value_and_grad(global_draws)
    RS.seed(5)
    value, d_w = g(MU)
    state = RS.get_state()[1].copy()
    RS.seed(5)
    assert value == global_draws(MU)
    np.testing.assert_array_equal(state, RS.get_state()[1])

    def seeded(w):
        RS.seed(5)
        return global_draws(w)

    np.testing.assert_allclose(d_w, fd(seeded, MU), rtol=1e-6, atol=1e-8)
    code = [line for line in g.source.splitlines() if not line.strip().startswith("#")]
    assert sum("RS.randn(" in line for line in code) == 4
    assert any("RS.randn(*" in line for line in code)


def module_functions(w):
    e = np.random.normal(0.0, 1.0, 3)
    f = np.random.randn(3)
    return np.sum(w * e) + np.sum(w * w * f)


def test_numpy_random_module_functions_use_the_global_state():
    np.random.seed(11)
    value, d_w = value_and_grad(module_functions)(MU)
    after = np.random.get_state()[1].copy()
    np.random.seed(11)
    assert value == module_functions(MU)
    np.testing.assert_array_equal(after, np.random.get_state()[1])

    def seeded(w):
        np.random.seed(11)
        return module_functions(w)

    np.testing.assert_allclose(d_w, fd(seeded, MU), rtol=1e-6, atol=1e-8)


def many_draws(w, rng):
    n = rng.normal(1.0, 2.0, size=3)
    u = rng.uniform(-1.0, 1.0, 3)
    k = rng.integers(0, 3, size=2)
    c = rng.choice(3, 2, replace=False)
    p = rng.permutation(3)
    return np.sum(w * n) + np.sum(w * u) + np.sum(w[k]) + np.sum(w[c] * w[p[:2]])


def test_other_draws_match_python():
    rng = np.random.default_rng(2)
    value, d_w = value_and_grad(many_draws)(MU, rng)
    plain = np.random.default_rng(2)
    assert value == many_draws(MU, plain)
    assert rng.bit_generator.state == plain.bit_generator.state
    expect = fd(lambda w: many_draws(w, np.random.default_rng(2)), MU)
    np.testing.assert_allclose(d_w, expect, rtol=1e-6, atol=1e-8)


def drawn_in_a_loop(w, rng):
    total = 0.0
    for _ in range(4):
        eps = rng.standard_normal(w.shape)
        total = total + np.sum(np.tanh(w + 0.5 * eps) * eps)
    return total


def test_draws_in_a_loop_are_kept_on_the_tape():
    rng = np.random.default_rng(4)
    value, d_w = value_and_grad(drawn_in_a_loop)(MU, rng)
    plain = np.random.default_rng(4)
    assert value == drawn_in_a_loop(MU, plain)
    assert rng.bit_generator.state == plain.bit_generator.state
    expect = fd(lambda w: drawn_in_a_loop(w, np.random.default_rng(4)), MU)
    np.testing.assert_allclose(d_w, expect, rtol=1e-6, atol=1e-8)


def test_a_pullback_never_draws_again():
    rng = np.random.default_rng(8)
    out, pullback = vjp(vae, MU, LOG_SIGMA, rng)
    state = rng.bit_generator.state
    first = pullback(1.0)
    second = pullback(1.0)
    assert rng.bit_generator.state == state
    np.testing.assert_array_equal(first[0], second[0])
    expect = fd(lambda m: vae(m, LOG_SIGMA, np.random.default_rng(8)), MU)
    np.testing.assert_allclose(first[0], expect, rtol=1e-6, atol=1e-8)


def vae_of_global(mu, log_sigma):
    return vae(mu, log_sigma, GEN)


def test_forward_mode_draws_once():
    global GEN
    GEN = rng = np.random.default_rng(9)
    direction = np.array([1.0, -2.0, 0.5])
    zeros = np.zeros(3)
    out, tangent = jvp(vae_of_global, (MU, LOG_SIGMA), (direction, zeros))
    plain = np.random.default_rng(9)
    assert out == vae(MU, LOG_SIGMA, plain)
    assert rng.bit_generator.state == plain.bit_generator.state
    d_mu = fd(lambda m: vae(m, LOG_SIGMA, np.random.default_rng(9)), MU)
    np.testing.assert_allclose(tangent, d_mu @ direction, rtol=1e-6)


def noisy_quartic(w):
    e = GEN.standard_normal(3)
    return np.sum(e * w**4)


def seeded_quartic(w):
    e = np.random.default_rng(12).standard_normal(3)
    return np.sum(e * w**4)


def test_second_derivatives_of_an_objective_that_draws():
    global GEN
    e = np.random.default_rng(12).standard_normal(3)
    # hessian: one jvp of the gradient per column, each an evaluation; with
    # the generator seeded inside, each column sees the same draws
    h = hessian(seeded_quartic)(MU)
    np.testing.assert_allclose(h, np.diag(12.0 * e * MU**2), rtol=1e-10)
    # hvp: one evaluation, one draw per call
    GEN = np.random.default_rng(12)
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(
        adcompiler.hvp(noisy_quartic)(MU, v), 12.0 * e * MU**2 * v, rtol=1e-10
    )
    plain = np.random.default_rng(12)
    plain.standard_normal(3)
    assert GEN.bit_generator.state == plain.bit_generator.state


def normal_of_differentiated(mu):
    rng = np.random.default_rng(0)
    return np.sum(rng.normal(mu, 1.0))


def test_a_draw_of_a_differentiated_value_is_refused_with_the_rewrite():
    with pytest.raises(NonDifferentiableError) as info:
        grad(normal_of_differentiated)(MU)
    assert "random generator method .normal()" in str(info.value)
    assert "mu + sigma * rng.standard_normal(size)" in str(info.value)


def reparameterised(mu):
    rng = np.random.default_rng(0)
    return np.sum(mu + 1.0 * rng.standard_normal(mu.shape))


def test_the_suggested_rewrite_draws_the_same_numbers():
    assert reparameterised(MU) == pytest.approx(normal_of_differentiated(MU), 1e-15)
    np.testing.assert_allclose(grad(reparameterised)(MU), np.ones(3))


def shuffled(w, rng):
    rng.shuffle(w)
    return np.sum(w)


def test_shuffle_is_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(shuffled)(MU.copy(), np.random.default_rng(0))
    assert "the generator method `.shuffle()`" in str(info.value)
    assert "rng.permutation(len(x))" in str(info.value)


def spawns(w):
    children = GEN.spawn(2)  # noqa: F841
    return np.sum(w)


def test_other_generator_methods_are_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(spawns)(MU)
    assert "the generator method `.spawn()`" in str(info.value)
    assert "standard_normal" in str(info.value)


@checkpoint
def noisy_layer(w):
    return np.sum(np.tanh(w + RS.randn(3)))


def checkpointed_noise(w):
    return noisy_layer(w) * 2.0


def test_checkpointing_a_function_that_draws_is_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(checkpointed_noise)(MU)
    assert "checkpointing noisy_layer" in str(info.value)
    assert "pass the noise to it as an argument" in str(info.value)


def spread_of_a_runtime_list(w, sizes):
    return np.sum(w * np.ones(*sizes))


def test_star_of_a_value_known_only_at_run_time_is_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(spread_of_a_runtime_list)(MU, np.array([3]))
    assert "known only at run time" in str(info.value)


def star_of_a_local_tuple(w):
    shape = (2, 3)
    return np.sum(w * np.ones(*shape[1:]))


def test_star_of_a_local_tuple_is_spliced():
    np.testing.assert_allclose(grad(star_of_a_local_tuple)(MU), np.ones(3))


# -- output and assertions ---------------------------------------------------


def printing(w):
    total = np.sum(w**2)
    print("w", w, f"{np.sum(w):.2f}", "%.3f" % total, "{:.1f}!".format(total))
    print(f"sum={total!r:>30}")
    return total


def test_print_runs_in_the_forward_sweep_as_python_prints(capsys):
    printing(MU)
    expected = capsys.readouterr().out
    g = grad(printing)
    d_w = g(MU)
    assert capsys.readouterr().out == expected
    np.testing.assert_allclose(d_w, 2 * MU)
    _, pullback = vjp(printing, MU)
    assert capsys.readouterr().out == expected  # the forward prints once
    pullback(1.0)
    pullback(1.0)
    assert capsys.readouterr().out == ""  # a pullback never prints


def logged(w):
    logging.info("sum %s", np.sum(w))
    LOGGER.warning("w is %s", w[0])
    warnings.warn("careful")
    return np.sum(np.sin(w))


def test_logging_and_warnings(caplog):
    caplog.set_level(logging.INFO)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expect = fd(logged, MU)
    caplog.clear()
    with pytest.warns(UserWarning, match="careful"):
        d_w = grad(logged)(MU)
    np.testing.assert_allclose(d_w, expect, rtol=1e-6)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [f"sum {np.sum(MU)}", f"w is {MU[0]}"]


def asserting(w):
    assert w.ndim == 1, "a vector"
    assert np.all(w > 0.0), f"not positive: {np.min(w):.1f}"
    return np.sum(np.log(w))


def test_assert_is_checked_at_run_time():
    w = np.array([0.5, 1.5])
    np.testing.assert_allclose(grad(asserting)(w), 1.0 / w)
    with pytest.raises(AssertionError, match="not positive: -1.0"):
        grad(asserting)(np.array([0.5, -1.0]))


def other_statement(w):
    np.sum(w)
    return np.sum(w)


def test_other_expression_statements_stay_refused():
    with pytest.raises(UnsupportedSyntaxError, match="an expression statement"):
        grad(other_statement)(MU)


# -- type and identity tests -------------------------------------------------


def flatten(v):
    if isinstance(v, (list, tuple)):
        return [leaf for u in v for leaf in flatten(u)]
    return [v]


def tree_loss(params):
    total = 0.0
    for leaf in flatten(params):
        total = total + np.sum(leaf**2 * np.sin(leaf))
    return total


def test_a_tree_flattening_helper():
    params = [MU, (LOG_SIGMA, [MU * 2.0])]
    d = grad(tree_loss)(params)
    expect = fd(tree_loss, params)
    for got, want in zip(flatten(d), flatten(expect)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def layers_by_loop(layers, x):
    for layer in layers:
        x = x * layer["w"]
    return np.sum(x)


def test_a_loop_over_a_local_list_of_dicts_is_unrolled():
    layers = [{"w": np.ones(2)}, {"w": np.full(2, 2.0)}]
    x = np.array([2.0, 3.0])
    got = grad(layers_by_loop, wrt=(0, 1))(layers, x)
    expect = fd(layers_by_loop, layers, x, wrt=(0, 1))
    for layer, want in zip(got[0], expect[0]):
        np.testing.assert_allclose(layer["w"], want["w"], rtol=1e-6)
    np.testing.assert_allclose(got[1], expect[1], rtol=1e-6)


def with_optional_bias(w, b=None):
    if b is None:
        return np.sum(w**2)
    return np.sum((w + b) ** 2)


def test_a_default_none_parameter():
    np.testing.assert_allclose(grad(with_optional_bias)(MU), 2 * MU)
    b = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad(with_optional_bias)(MU, b), 2 * (MU + b))
    np.testing.assert_allclose(
        grad(with_optional_bias, wrt=1)(MU, b), fd(with_optional_bias, MU, b, wrt=1)
    )


def helper_none(w, scale=None):
    if scale is not None:
        w = w * scale
    return np.sum(w**3)


def calls_with_none(w):
    return helper_none(w) + helper_none(w, 2.0)


def test_is_none_of_a_literal_is_answered_while_compiling():
    np.testing.assert_allclose(
        grad(calls_with_none)(MU), fd(calls_with_none, MU), rtol=1e-6
    )
    assert "is None" not in grad(calls_with_none).source


def array_or_float(x):
    if isinstance(x, np.ndarray):
        return np.sum(x**2)
    if isinstance(x, float):
        return x**3
    return x


def test_isinstance_of_an_array_or_number_asked_at_run_time():
    np.testing.assert_allclose(grad(array_or_float)(MU), 2 * MU)
    assert grad(array_or_float)(2.0) == pytest.approx(12.0)


def typed(w, pair):
    total = np.sum(w)
    if type(pair) is tuple:
        total = total + np.sum(pair[0] * w)
    if type(pair) == list:
        total = total * 100.0
    if callable(np.sin) and not callable(pair):
        total = total + np.sum(np.sin(w))
    if isinstance(w, (list, dict)):
        total = total * 0.0
    return total


def test_type_is_and_callable():
    pair = (LOG_SIGMA, 1.0)
    np.testing.assert_allclose(grad(typed)(MU, pair), fd(typed, MU, pair), rtol=1e-6)


def same_values(w, v):
    if w is v:
        return np.sum(w)
    return np.sum(v)


def test_is_between_runtime_values_is_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(same_values)(MU, MU)
    assert "`is` between two values computed at run time" in str(info.value)


def type_of_array(w):
    if type(w) is np.ndarray:
        return np.sum(w)
    return 0.0


def test_type_of_an_array_is_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(type_of_array)(MU)
    assert "type(...) of an array or number" in str(info.value)


def runtime_list_type(w):
    items = []
    for k in range(3):
        items.append(w[k])
    if isinstance(items, list):
        return items[0]
    return w[1]


def test_isinstance_of_a_runtime_list_against_one_kind_is_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(runtime_list_type)(MU)
    assert "isinstance of a list or tuple built at run time" in str(info.value)


# -- casts -------------------------------------------------------------------


def float32_cast(w):
    return np.sum(np.float32(w) * 3.0)


def test_float32_cast_closed_form():
    np.testing.assert_allclose(grad(float32_cast)(MU), np.full(3, 3.0))


def casts(w):
    s = np.float64(np.sum(w**2)) + float(w[0] * w[1]) + w[2]
    n = np.int64(3) + int(w[2] * 7.0)
    return s * n


def test_float_casts_are_differentiable_and_integer_casts_constant():
    np.testing.assert_allclose(grad(casts)(MU), fd(casts, MU), rtol=1e-5, atol=1e-6)


# -- effects in a callee compiled apart, in branches and loops --------------


def noisy_inner(w, rng):
    t = 0.0
    for k in range(2):  # a loop: compiled apart, called through its halves
        e = rng.standard_normal(3)
        print("inner", k)
        t = t + np.sum(np.sin(w) * e)
    return t


def noisy_outer(w, rng):
    if np.sum(w) > 0:
        print("positive")
        t = noisy_inner(w, rng) + np.sum(rng.uniform(size=3) * w)
    else:
        t = np.sum(w)
    return t


def test_draws_and_prints_in_a_callee_compiled_apart_run_once(capsys):
    w = np.array([0.1, 0.2, 0.3])
    expect = fd(lambda x: noisy_outer(x, np.random.default_rng(1)), w)
    plain = np.random.default_rng(1)
    value_expected = noisy_outer(w, plain)
    capsys.readouterr()
    g = value_and_grad(noisy_outer)
    rng = np.random.default_rng(1)
    value, d_w = g(w, rng)
    assert capsys.readouterr().out == "positive\ninner 0\ninner 1\n"
    assert "_forward(" in g.source  # the callee's forward half
    assert value == value_expected
    assert rng.bit_generator.state == plain.bit_generator.state
    np.testing.assert_allclose(d_w, expect, rtol=1e-6, atol=1e-8)


def checked_and_printed(w):
    assert np.all(w > 0.0), "positive"
    print(f"{np.sum(w):.3f}")
    return np.sum(np.log(w) * w)


def test_generated_code_with_effects_is_differentiated_again(capsys):
    w = np.array([0.5, 1.5, 2.0])
    h = hessian(checked_and_printed)(w)
    np.testing.assert_allclose(h, np.diag(1.0 / w), rtol=1e-10)
    # one jvp of the gradient per column: each an evaluation, which prints
    assert capsys.readouterr().out == f"{np.sum(w):.3f}\n" * 3
    with pytest.raises(AssertionError, match="positive"):
        hessian(checked_and_printed)(-w)


def test_forward_mode_refuses_a_draw_of_a_differentiated_value_with_the_rewrite():
    with pytest.raises(NonDifferentiableError) as info:
        jvp(normal_of_differentiated, (MU,), (np.ones(3),))
    assert "mu + sigma * rng.standard_normal(size)" in str(info.value)


def normal_by_keyword(mu):
    rng = np.random.default_rng(0)
    return np.sum(rng.normal(loc=mu, size=3))


def test_a_differentiated_keyword_of_a_draw_is_refused():
    with pytest.raises(NonDifferentiableError, match="standard_normal"):
        grad(normal_by_keyword)(MU)


def random_walk(w, rng):
    x = w * 1.0
    n = 0
    while np.sum(x) < 3.0:
        step = np.abs(rng.standard_normal(3))
        if step[0] > 0.5:
            print("big", n)
            x = x + step * w
        else:
            x = x * 1.5 + step
        n = n + 1
    return np.sum(np.sin(x)) * n


def test_draws_and_prints_in_a_while_loop_and_a_branch(capsys):
    w = np.array([0.3, 0.2, 0.4])
    expect = fd(lambda x: random_walk(x, np.random.default_rng(5)), w)
    plain = np.random.default_rng(5)
    value_expected = random_walk(w, plain)
    printed = capsys.readouterr().out.splitlines()[-1]
    rng = np.random.default_rng(5)
    value, d_w = value_and_grad(random_walk)(w, rng)
    assert capsys.readouterr().out == printed + "\n"
    assert value == value_expected
    assert rng.bit_generator.state == plain.bit_generator.state
    np.testing.assert_allclose(d_w, expect, rtol=1e-6, atol=1e-8)


def item_of_a_runtime_list(w):
    items = []
    for k in range(3):
        items.append(w[k])
    if isinstance(items[0], float):
        return items[0]
    return w[1]


def classes_not_named(w):
    if isinstance(w, 3):
        return np.sum(w)
    return np.sum(w)


def isinstance_by_keyword(w):
    if isinstance(w, classinfo=list):
        return 0.0
    return np.sum(w)


def constants_compared(w):
    pair = [w, w]
    if pair is pair:
        return np.sum(w)
    return np.sum(w)


def value_is_a_function(w):
    if w is np.sin:
        return 0.0
    return np.sum(w)


@pytest.mark.parametrize(
    "fn, message",
    [
        (item_of_a_runtime_list, "isinstance of an item of a list built at run time"),
        (classes_not_named, "isinstance with a second argument that is not a class"),
        (isinstance_by_keyword, "this call of isinstance"),
        (constants_compared, "`is` between two local containers or constants"),
        (value_is_a_function, "`is` or `==` of a value known only at run time and sin"),
    ],
    ids=lambda case: getattr(case, "__name__", ""),
)
def test_type_tests_not_answerable_are_refused(fn, message):
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(fn)(MU)
    assert message in str(info.value)
    assert info.value.hint


def warns_and_prints_to_stderr(w):
    print(f"{np.sum(w):.2f}", file=sys.stderr)
    warnings.warn("careful", RuntimeWarning)
    return np.sum(w * w)


def test_a_warning_category_and_a_file_object_as_arguments(capsys):
    with pytest.warns(RuntimeWarning, match="careful"):
        d_w = grad(warns_and_prints_to_stderr)(MU)
    np.testing.assert_allclose(d_w, 2 * MU)
    assert capsys.readouterr().err == f"{np.sum(MU):.2f}\n"


def type_equals_a_value(w):
    pair = (w, w)
    if type(pair) == w:
        return 0.0
    return np.sum(w)


def number_against_numpy_types(w):
    n = 2.0
    if isinstance(n, np.floating):
        return np.sum(w)
    return np.sum(w * n)


def number_against_python_types(w):
    n = 2
    if isinstance(n, (int, float)) and not isinstance(n, (list, dict)):
        return np.sum(w * n)
    return np.sum(w)


def lambda_is_a_function(w):
    f = lambda v: v * 2.0  # noqa: E731
    if isinstance(f, types.FunctionType) and callable(f):
        return np.sum(f(w))
    return np.sum(w)


@pytest.mark.parametrize(
    "fn, message",
    [
        (type_equals_a_value, "`==` of type(...) and a value known only at run time"),
        (number_against_numpy_types, "isinstance of a number computed while compiling"),
    ],
    ids=lambda case: getattr(case, "__name__", ""),
)
def test_more_type_tests_refused(fn, message):
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(fn)(MU)
    assert message in str(info.value)


def test_numbers_and_lambdas_tested_while_compiling():
    np.testing.assert_allclose(grad(number_against_python_types)(MU), np.full(3, 2.0))
    np.testing.assert_allclose(grad(lambda_is_a_function)(MU), np.full(3, 2.0))


def reseeds(w):
    np.random.seed(3)
    GEN.standard_normal(2)  # a draw made for its effect: the state advances
    return np.sum(w * np.random.rand(3))


def test_seeding_and_draws_made_as_statements():
    global GEN
    GEN = np.random.default_rng(6)
    np.random.seed(0)
    d_w = grad(reseeds)(MU)
    after = np.random.get_state()[1].copy()
    np.random.seed(3)
    expect = np.random.rand(3)
    np.testing.assert_array_equal(d_w, expect)
    np.testing.assert_array_equal(after, np.random.get_state()[1])
    plain = np.random.default_rng(6)
    plain.standard_normal(2)
    assert GEN.bit_generator.state == plain.bit_generator.state


def optional_generator(w, rng=None):
    if rng is None:
        rng = np.random.default_rng(0)
    eps = rng.standard_normal(w.shape)
    return np.sum((w + eps) ** 2)


def test_an_optional_generator_argument():
    value, d_w = value_and_grad(optional_generator)(MU)
    assert value == optional_generator(MU)
    np.testing.assert_allclose(d_w, fd(optional_generator, MU), rtol=1e-6)
    rng, plain = np.random.default_rng(4), np.random.default_rng(4)
    value, d_w = value_and_grad(optional_generator)(MU, rng)
    assert value == optional_generator(MU, plain)
    assert rng.bit_generator.state == plain.bit_generator.state


def shapes_checked(w, X):
    assert X.shape[1] == w.shape[0], f"shapes {X.shape} and {w.shape} do not match"
    assert isinstance(w, np.ndarray)
    return np.sum((X @ w) ** 2)


def test_assertions_on_shapes_and_types():
    X = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        grad(shapes_checked)(MU, X), fd(shapes_checked, MU, X), rtol=1e-6
    )
    with pytest.raises(AssertionError, match=r"shapes \(2, 4\) and \(3,\) do not"):
        grad(shapes_checked)(MU, np.ones((2, 4)))


def noisy_map(w):
    return np.sin(w) * GEN.standard_normal(3)


def test_reverse_mode_jacobian_draws_once():
    global GEN
    GEN = np.random.default_rng(13)
    jac = adcompiler.jacobian(noisy_map)(MU)
    e = np.random.default_rng(13).standard_normal(3)
    np.testing.assert_allclose(jac, np.diag(np.cos(MU) * e), rtol=1e-12)
    plain = np.random.default_rng(13)
    plain.standard_normal(3)
    assert GEN.bit_generator.state == plain.bit_generator.state
