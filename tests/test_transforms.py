"""vjp, jvp, jacobian, hessian, hvp, higher order, has_aux, custom rules."""

import math

import numpy as np
import pytest

import adcompiler
from adcompiler import (
    check_grad,
    defjvp,
    defvjp,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    jvp_source,
    numerical_grad,
    stop_gradient,
    value_and_grad,
    vjp,
)

RNG = np.random.default_rng(4)


def mlp_loss(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    return np.mean((logits - y) ** 2)


def mlp_params():
    return {
        "W1": RNG.normal(size=(3, 4)) * 0.5,
        "b1": RNG.normal(size=4) * 0.1,
        "W2": RNG.normal(size=(4, 2)) * 0.5,
        "b2": np.zeros(2),
    }


# -- vjp and jvp --------------------------------------------------------------


def vector_valued(x, W):
    return np.tanh(W @ x) * x[0]


def test_vjp_of_an_array_valued_function():
    x, W = RNG.normal(size=3), RNG.normal(size=(3, 3))
    value, pullback = vjp(vector_valued, x, W)
    np.testing.assert_allclose(value, vector_valued(x, W))
    u = RNG.normal(size=3)
    d_x, d_W = pullback(u)

    def projected(x, W):
        return np.sum(vector_valued(x, W) * u)

    n_x, n_W = numerical_grad(projected, x, W, wrt=(0, 1))
    np.testing.assert_allclose(d_x, n_x, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(d_W, n_W, rtol=1e-6, atol=1e-9)


def test_vjp_gives_none_for_integer_arguments():
    def f(x, n):
        return x * n

    _, pullback = vjp(f, 2.0, 3)
    assert pullback(1.0) == (3.0, None)


def test_jvp_matches_finite_differences_and_shows_its_source():
    x, W = RNG.normal(size=3), RNG.normal(size=(3, 3))
    tx, tW = RNG.normal(size=3), RNG.normal(size=(3, 3))
    value, tangent = jvp(vector_valued, (x, W), (tx, tW))
    h = 1e-6
    numeric = (
        vector_valued(x + h * tx, W + h * tW) - vector_valued(x - h * tx, W - h * tW)
    ) / (2 * h)
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-9)
    source = jvp_source(vector_valued, (x, W))
    assert "def vector_valued_jvp(x, W, t_x, t_W):" in source
    assert "t_matmul" in source


def loop_function(x, n):
    s = x
    for i in range(n):
        if s > 0:
            s = math.sin(s) * 1.5 + x
        else:
            s = s * s
    return s


def test_jvp_through_loops_and_branches():
    value, tangent = jvp(loop_function, (0.7, 5), (1.0, 0))
    assert tangent == pytest.approx(numerical_grad(loop_function, 0.7, 5), rel=1e-7)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_in_both_modes(mode):
    x, W = RNG.normal(size=3), RNG.normal(size=(3, 3))
    J = jacobian(vector_valued, wrt=0, mode=mode)(x, W)
    assert J.shape == (3, 3)
    h = 1e-6
    numeric = np.stack(
        [
            (vector_valued(x + h * e, W) - vector_valued(x - h * e, W)) / (2 * h)
            for e in np.eye(3)
        ],
        axis=1,
    )
    np.testing.assert_allclose(J, numeric, rtol=1e-6, atol=1e-9)


# -- second and third order -----------------------------------------------------


def flat_mlp_loss(w, x, y):
    W1 = np.reshape(w[:12], (3, 4))
    W2 = np.reshape(w[12:], (4, 2))
    h = np.tanh(x @ W1)
    return np.mean((h @ W2 - y) ** 2)


def test_hessian_of_a_small_mlp_against_finite_differences():
    w = RNG.normal(size=20) * 0.5
    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))
    H = hessian(flat_mlp_loss)(w, x, y)
    assert H.shape == (20, 20)
    gradient = grad(flat_mlp_loss)
    h = 1e-5
    numeric = np.stack(
        [
            (gradient(w + h * e, x, y) - gradient(w - h * e, x, y)) / (2 * h)
            for e in np.eye(20)
        ],
        axis=1,
    )
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)


def test_hvp_without_forming_the_hessian():
    w = RNG.normal(size=20) * 0.5
    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))
    v = RNG.normal(size=20)
    product = hvp(flat_mlp_loss)(w, x, y, v)
    np.testing.assert_allclose(product, hessian(flat_mlp_loss)(w, x, y) @ v, rtol=1e-9)


def scalar_with_loop(x):
    s = 0.0
    for k in range(1, 4):
        s = s + math.sin(k * x) / k
    while s < 2.0:
        s = s * 1.5 + x * x
    return s * x


def test_grad_of_grad_of_grad_on_scalar_functions_with_loops():
    x = 0.8
    g1 = grad(scalar_with_loop)
    g2 = grad(g1)
    g3 = grad(g2)
    assert g1(x) == pytest.approx(numerical_grad(scalar_with_loop, x), rel=1e-7)
    assert g2(x) == pytest.approx(numerical_grad(g1, x), rel=1e-6)
    assert g3(x) == pytest.approx(numerical_grad(g2, x), rel=1e-5)


def test_grad_of_a_function_that_calls_a_gradient():
    inner = grad(flat_mlp_loss)

    def gradient_norm(w, x, y):
        g = inner(w, x, y)
        return np.sum(g * g)

    w = RNG.normal(size=20) * 0.5
    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))
    check_grad(gradient_norm, w, x, y)


@pytest.mark.parametrize(
    "fn, args",
    [
        (
            flat_mlp_loss,
            (
                RNG.normal(size=20) * 0.5,
                RNG.normal(size=(5, 3)),
                RNG.normal(size=(5, 2)),
            ),
        ),
        (scalar_with_loop, (0.8,)),
    ],
    ids=["mlp", "loop"],
)
def test_check_grad_order_2(fn, args):
    check_grad(fn, *args, order=2)


def test_check_grad_order_2_catches_a_wrong_second_derivative():
    def cube_with_bad_second(x):
        return bad_square(x) * x

    with pytest.raises(AssertionError, match="Hessian-vector product"):
        check_grad(cube_with_bad_second, 0.7, order=2)


def bad_square(x):
    return x * x


# a rule whose own derivative is wrong: first order right, second order wrong
defvjp(bad_square, lambda g, ans, x: g * 2.0 * stop_gradient(x))
defjvp(bad_square, lambda t, ans, x: t * 2.0 * stop_gradient(x))


# -- has_aux, stop_gradient, parameter trees ----------------------------------


def loss_with_aux(w, x):
    prediction = np.tanh(x @ w)
    return np.mean(prediction**2), {"prediction": prediction, "norm": np.sum(w * w)}


def test_value_and_grad_with_aux():
    w, x = RNG.normal(size=3), RNG.normal(size=(4, 3))
    (value, aux), d_w = value_and_grad(loss_with_aux, has_aux=True)(w, x)
    assert value == pytest.approx(loss_with_aux(w, x)[0], rel=1e-14)
    np.testing.assert_allclose(aux["prediction"], np.tanh(x @ w))
    np.testing.assert_allclose(
        d_w, numerical_grad(lambda_free_loss, w, x), rtol=1e-6, atol=1e-9
    )


def lambda_free_loss(w, x):
    return loss_with_aux(w, x)[0]


def test_stop_gradient_blocks_the_derivative():
    def f(x):
        return x * stop_gradient(x)

    assert grad(f)(3.0) == 3.0


def test_parameter_tree_gradients_of_a_two_layer_mlp():
    params = mlp_params()
    x, y = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2))
    d = grad(mlp_loss)(params, x, y)
    assert set(d) == set(params)
    for key in params:

        def f(leaf, key=key):
            return mlp_loss({**params, key: leaf}, x, y)

        np.testing.assert_allclose(
            d[key], numerical_grad(f, params[key]), rtol=1e-6, atol=1e-9
        )


# -- custom rules -----------------------------------------------------------------


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


CALLS = []


def _logsumexp_vjp(g, ans, x):
    CALLS.append("vjp")
    return g * np.exp(x - ans)


defvjp(logsumexp, _logsumexp_vjp)
defjvp(logsumexp, lambda t, ans, x: np.sum(t * np.exp(x - ans)))


def uses_logsumexp(x):
    return logsumexp(x * 2.0) * 3.0


def test_a_custom_rule_is_the_one_used():
    x = np.array([1000.0, 1000.5, 999.0])  # exp would overflow without the trick
    CALLS.clear()
    g = grad(uses_logsumexp)
    d_x = g(x)
    assert CALLS == ["vjp"]  # traced once, at compile time
    assert "logsumexp(" in g.source and "np.max" not in g.source
    expected = 6.0 * np.exp(2 * x - logsumexp(2 * x))
    np.testing.assert_allclose(d_x, expected, rtol=1e-12)
    check_grad(uses_logsumexp, np.array([0.1, -0.3, 0.7]))


def clip_gradient(x, bound):
    return x


defvjp(clip_gradient, lambda g, ans, x, bound: np.clip(g, -bound, bound), None)


def test_gradient_clipping_rule():
    def f(x):
        return np.sum(clip_gradient(x, 1.0) * 10.0)

    np.testing.assert_array_equal(grad(f)(np.ones(3)), np.ones(3))


def test_nondifferentiable_marks_a_function():
    def rounded(x):
        return np.round(x * 10.0) / 10.0

    adcompiler.nondifferentiable(rounded)

    def f(x):
        return rounded(x) + x

    assert grad(f)(0.33) == 1.0
