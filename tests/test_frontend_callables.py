"""Lambdas and callables as values, and nested differentiation (issue #16).

Every gradient is compared with central finite differences in float64
(:func:`adcompiler.testing.numerical_grad`) or a closed form.
"""

from functools import partial

import numpy as np
import pytest
import scipy.optimize

from adcompiler import checkpoint, grad, hessian, jacobian, jvp, value_and_grad, vjp
from adcompiler.errors import ArgumentError, SourceUnavailableError
from adcompiler.errors import UnsupportedSyntaxError
from adcompiler.testing import numerical_grad

RNG = np.random.RandomState(0)
X = RNG.randn(8, 3)
Y = RNG.randn(8)
W0 = np.array([0.1, -0.2, 0.3])
V = np.array([1.0, 2.0, -0.5])


def loss(w, X, y):
    return np.sum((X @ w - y) ** 2)


def close(got, f, *args):
    np.testing.assert_allclose(got, numerical_grad(f, *args), rtol=1e-6, atol=1e-6)


# -- lambdas transformed ------------------------------------------------------


def test_grad_of_a_lambda_matches_finite_differences():
    f = lambda w: loss(w, X, Y) + np.sum(np.sin(w))  # noqa: E731
    close(grad(f)(W0), f, W0)


def test_every_transformation_takes_a_lambda():
    f = lambda w: np.sum(w**3)  # noqa: E731
    value, g = value_and_grad(f)(W0)
    assert value == pytest.approx(np.sum(W0**3))
    np.testing.assert_allclose(g, 3 * W0**2)
    np.testing.assert_allclose(hessian(f)(W0), np.diag(6 * W0))
    np.testing.assert_allclose(jacobian(lambda w: np.sin(w))(W0), np.diag(np.cos(W0)))
    (pulled,) = vjp(lambda w: np.sin(w), W0)[1](V)
    np.testing.assert_allclose(pulled, np.cos(W0) * V)
    _, tangent = jvp(lambda w: np.sin(w), (W0,), (V,))
    np.testing.assert_allclose(tangent, np.cos(W0) * V)


def test_several_lambdas_on_one_line_are_told_apart():
    f, g = lambda x: np.sum(x * 2), lambda x: np.sum(np.sin(x))  # noqa: E731
    np.testing.assert_allclose(grad(f)(W0), 2 * np.ones(3))
    np.testing.assert_allclose(grad(g)(W0), np.cos(W0))


def test_two_lambdas_of_one_line_with_one_span_are_ambiguous(monkeypatch):
    f, g = lambda x: np.sum(x), lambda x: np.sum(x)  # noqa: E731
    monkeypatch.setattr("adcompiler.lambdas._span", lambda code: None)
    with pytest.raises(SourceUnavailableError, match="cannot tell which lambda"):
        grad(f)(W0)


def test_an_error_in_a_lambda_points_at_its_line():
    line = test_an_error_in_a_lambda_points_at_its_line.__code__.co_firstlineno + 2
    f = lambda w: np.sum(w.foo)  # noqa: E731
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(f)(W0)
    assert info.value.loc.file == __file__
    assert info.value.loc.line == line


def test_scipy_minimize_with_a_lambda_reaches_the_least_squares_optimum():
    objective = lambda w: loss(w, X, Y)  # noqa: E731
    result = scipy.optimize.minimize(
        objective,
        np.zeros(3),
        jac=grad(lambda w: loss(w, X, Y)),
        method="BFGS",
        options={"gtol": 1e-10},
    )
    optimum = np.linalg.solve(X.T @ X, X.T @ Y)
    np.testing.assert_allclose(result.x, optimum, rtol=1e-6, atol=1e-8)


# -- callables as values --------------------------------------------------------


def predict(w, x, nonlin=np.tanh):
    return np.sum(nonlin(x @ w))


def test_a_default_function_is_a_constant():
    close(grad(predict)(W0, X), lambda w: predict(w, X), W0)


def test_a_function_argument_specialises_the_compiled_code():
    g = grad(predict)
    for nonlin in (np.sin, np.cos, np.tanh, np.sin):
        close(g(W0, X, nonlin), lambda w: predict(w, X, nonlin), W0)


def test_a_new_default_function_compiles_again():
    def scored(w, nonlin=np.tanh):
        return np.sum(nonlin(w))

    g = grad(scored)
    np.testing.assert_allclose(g(W0), 1 - np.tanh(W0) ** 2)
    scored.__defaults__ = (np.sin,)
    np.testing.assert_allclose(g(W0), np.cos(W0))


ACTS = [np.tanh, np.sin]


def test_a_global_list_of_functions_is_checked_before_reuse():
    def g(w):
        return np.sum(ACTS[0](w) * ACTS[1](w))

    grad_g = grad(g)
    close(grad_g(W0), g, W0)
    ACTS[0] = np.cos
    try:
        close(grad_g(W0), g, W0)
    finally:
        ACTS[0] = np.tanh


def test_a_helper_compiled_apart_for_each_function_passed():
    def g(w):
        return twice(np.cos, w) + twice(np.sin, w)

    grad_g = grad(g)
    close(grad_g(W0), g, W0)
    assert "twice_forward(None, w)" in grad_g.source  # two specialisations


def test_vjp_of_a_function_taking_a_function():
    def p(w, f):
        return np.sum(f(w))

    d_w, d_f = vjp(p, W0, np.sin)[1](1.0)
    np.testing.assert_allclose(d_w, np.cos(W0))
    assert d_f is None


def test_a_function_passed_by_keyword():
    g = grad(predict)
    close(g(W0, X, nonlin=np.sin), lambda w: predict(w, X, np.sin), W0)


def test_wrt_naming_a_function_is_an_argument_error():
    with pytest.raises(ArgumentError, match="which is a function"):
        grad(predict, wrt="nonlin")(W0, X, np.sin)


def apply(f, x):
    return f(x)


def twice(f, x):
    y = f(x)
    for _ in range(2):
        y = f(y) + x
    return np.sum(y)


def test_functions_passed_to_helpers():
    def g(w):
        return np.sum(apply(np.sin, w)) + twice(np.cos, w) + twice(lambda u: u * w, w)

    close(grad(g)(W0), g, W0)


def test_partial_and_map():
    def g(w):
        return sum(map(partial(loss, w), [X, 2 * X], [Y, -Y]))

    def h(w):
        return np.sum(list(map(np.sin, w))) + sum(map(lambda t: t**2, w))

    close(grad(g)(W0), g, W0)
    close(grad(h)(W0), h, W0)


SCALED = partial(loss, X=X, y=Y)


def test_a_partial_object_from_outside():
    def g(w):
        return SCALED(w) * 0.5

    close(grad(g)(W0), g, W0)


def make_scaled(a):
    return lambda t: a * np.sin(t)


def activation():
    return np.tanh


def test_functions_returned_and_stored():
    def g(w):
        scaled = make_scaled(3.0)
        table = {"act": activation(), "sq": lambda t: t * t}
        pair = (np.exp, scaled)
        return np.sum(table["act"](w) * table["sq"](w) + pair[0](w) + pair[1](w))

    close(grad(g)(W0), g, W0)


def test_a_loop_over_a_tuple_of_functions_is_unrolled():
    def g(w):
        t = 0.0
        for f in (np.sin, np.cos, lambda u: u**3):
            t = t + np.sum(f(w))
        return t

    close(grad(g)(W0), g, W0)


def rk4(f, y0, dt, n):
    y = y0
    for _ in range(n):
        k1 = f(y)
        k2 = f(y + 0.5 * dt * k1)
        k3 = f(y + 0.5 * dt * k2)
        k4 = f(y + dt * k3)
        y = y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def final_loss(y0, theta):
    field = lambda y: np.array([y[1], -theta * np.sin(y[0])])  # noqa: E731
    y = rk4(field, y0, 0.05, 40)
    return np.sum(y**2)


def test_rk4_taking_the_vector_field_as_a_parameter():
    y0, theta = np.array([0.8, 0.1]), 1.7
    d_y0, d_theta = grad(final_loss, wrt=(0, 1))(y0, theta)
    close(d_y0, final_loss, y0, theta)
    np.testing.assert_allclose(
        d_theta,
        numerical_grad(final_loss, y0, theta, wrt=1),
        rtol=1e-6,
        atol=1e-6,
    )


def fixed_point(f, x0, steps):
    x = x0
    for _ in range(steps):
        x = f(x)
    return x


def test_fixed_point_iteration_with_a_module_level_map():
    def g(a):
        return np.sum(fixed_point(np.cos, a, 20))

    close(grad(g)(W0), g, W0)


# -- nested differentiation ---------------------------------------------------


def sine_sum(x):
    return np.sum(np.sin(x))


def test_a_gradient_called_inside_differentiated_code():
    got = grad(lambda x: np.sum(grad(sine_sum)(x) * V))(W0)
    np.testing.assert_allclose(got, -np.sin(W0) * V)


def products(a, b):
    return np.sum(a * b**2)


def test_value_and_grad_and_wrt_inside_differentiated_code():
    def g(w):
        value, gradient = value_and_grad(sine_sum)(w)
        return value + np.sum(gradient * w) + np.sum(grad(products, wrt=1)(w, w))

    close(grad(g)(W0), g, W0)


def test_fourth_order_of_a_closure_over_an_array():
    a = np.array([0.7, 1.3])

    def f(x):
        return np.sum(np.sin(a * x))

    g = f
    for order in range(1, 5):
        g = grad(g)
        expected = np.sum(a**order * np.sin(a * 0.3 + order * np.pi / 2))
        assert g(0.3) == pytest.approx(expected, rel=1e-12)


def loop_over(c):
    def f(x):
        y = 0.0
        for ci in c:
            y = y + np.sin(ci * x)
        return y

    return f


def test_a_gradient_function_passed_as_an_argument():
    def g(w, f):
        return np.sum(apply(f, w) * V)

    np.testing.assert_allclose(grad(g)(W0, grad(sine_sum)), -np.sin(W0) * V)


def doubled_tanh(x):
    return np.tanh(x) * 2.0


def test_a_checkpointed_function_passed_to_a_helper():
    def g(w):
        return np.sum(apply(checkpoint(doubled_tanh), w))

    close(grad(g)(W0), g, W0)


def test_fifth_order_of_a_closure_looping_over_its_array():
    # the fourth order transforms a backward half that puts back on its tape
    # what its forward half took off (it was refused as a change of an argument)
    c = np.array([1.0, 3.0, 4.0])
    g = loop_over(c)
    for order in range(1, 6):
        g = grad(g)
        expected = np.sum(c**order * np.sin(c * 0.3 + order * np.pi / 2))
        assert g(0.3) == pytest.approx(expected, rel=1e-12)
        assert g(0.3) == pytest.approx(expected, rel=1e-12)  # the tapes intact


def test_fourth_order_of_a_closure_with_a_loop_carried_value():
    a = np.array([0.9, 1.1, 0.8])

    def f(x):
        y = x
        for i in range(3):
            y = np.sin(a[i] * y)
        return y

    g = f
    for _ in range(4):
        lower = g
        g = grad(g)
        assert g(0.3) == pytest.approx(numerical_grad(lower, 0.3, eps=1e-5), rel=1e-6)


def test_fourth_order_of_a_lambda():
    g = lambda x: np.sin(x)  # noqa: E731
    for order in range(1, 5):
        g = grad(g)
        assert g(0.4) == pytest.approx(np.sin(0.4 + order * np.pi / 2), rel=1e-12)


# -- still refused ----------------------------------------------------------------


def refused(g, match):
    with pytest.raises(UnsupportedSyntaxError, match=match) as info:
        grad(g)(W0)
    assert info.value.loc.file == __file__
    assert info.value.hint


def test_a_function_rebound_in_a_loop_is_refused():
    def g(w):
        f = np.sin
        for _ in range(3):
            w = f(w)
            f = np.cos
        return np.sum(w)

    refused(g, "rebound inside a loop")


def test_a_function_chosen_by_a_runtime_condition_is_refused():
    def g(w):
        if np.sum(w) > 0:
            f = np.sin
        else:
            f = np.cos
        return np.sum(f(w))

    refused(g, "chosen by a runtime condition")


def test_a_function_chosen_by_a_conditional_expression_is_refused():
    def g(w):
        f = np.sin if np.sum(w) > 0 else np.cos
        return np.sum(f(w))

    refused(g, "conditional expression giving sin on one path and cos")


def test_a_conditional_expression_giving_one_function_either_way():
    def g(w):
        f = np.sin if np.sum(w) > 0 else np.sin
        return np.sum(f(w))

    close(grad(g)(W0), g, W0)


def test_returning_a_function_is_refused():
    def g(w):
        return np.sin

    refused(g, "returning a function")


def test_a_function_passed_to_a_primitive_is_refused():
    def g(w):
        return np.sum(np.vectorize(np.sin)(w))

    with pytest.raises(Exception, match="vectorize"):
        grad(g)(W0)


def test_grad_of_a_nested_lambda_inside_differentiated_code_is_refused():
    def g(w):
        return np.sum(grad(lambda t: np.sum(t**2))(w))

    refused(g, "nested function, lambda")


def test_a_lambda_passed_to_a_nested_function_reads_its_own_names():
    def g(w):
        scale = 2.0

        def app(f, w):  # its `w` is not the lambda's
            scale = 100.0
            return f(w * scale)

        return np.sum(app(lambda u: scale * u * w, w))

    close(grad(g)(W0), g, W0)


def test_a_tuple_of_functions_indexed_at_run_time_is_refused():
    def g(w, i=1):
        fs = (np.sin, np.cos)
        return np.sum(fs[i](w))

    refused(g, "tuple of functions indexed or looped over at run time")


def call_first(fs, x):
    return fs[0](x)


def test_a_list_holding_a_lambda_passed_to_a_helper_is_refused():
    def g(w):
        return np.sum(call_first([lambda t: t * w], w))

    refused(g, "list or dict holding a nested function")


def test_a_tuple_holding_a_lambda_passed_to_a_helper():
    def g(w):
        return np.sum(call_first((lambda t: t * w, np.sin), w))

    close(grad(g)(W0), g, W0)


def test_defaults_of_a_nested_function_are_read_where_it_is_defined():
    # Python evaluates a default once, at the def or lambda (they were read
    # at each call: k = 5.0 below gave 5 * w)
    def g(w):
        k = 1.0
        f = lambda t, k=k: t * k  # noqa: E731

        def h(t, k=k * 2.0):
            return t * k

        k = 5.0
        return np.sum(f(w) + h(w)) * k

    close(grad(g)(W0), g, W0)
    np.testing.assert_allclose(grad(g)(W0), 15.0 * np.ones(3))


def test_a_lambda_with_lambdas_inside_and_keyword_only_parameters():
    f = lambda x, *, k=2.0: np.sin(x) * k  # noqa: E731
    g = lambda x: (lambda y: np.sin(y) * x)(x) + (lambda z: z)(x)  # noqa: E731
    assert grad(f)(0.3) == pytest.approx(2.0 * np.cos(0.3), rel=1e-12)
    assert grad(g)(0.3) == pytest.approx(
        np.cos(0.3) * 0.3 + np.sin(0.3) + 1.0, rel=1e-12
    )


def apply_all(f, *xs):
    return sum(np.sum(f(x)) for x in xs)


def test_a_lambda_passed_to_a_helper_taking_star_args_is_inlined():
    def g(w):
        return apply_all(lambda t: t * w, w, w**2)

    w = np.array([0.3, -1.2])
    close(grad(g)(w), g, w)


def apply_again(f, x, n):
    return f(x) if n == 0 else apply_again(f, x, n - 1)


def test_a_lambda_passed_to_a_helper_that_cannot_be_inlined_is_refused():
    def g(w):
        return np.sum(apply_again(lambda t: t * w, w, 2))

    refused(g, "passing a nested function, lambda or partial to apply_again")
