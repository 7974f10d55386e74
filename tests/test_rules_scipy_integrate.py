"""``scipy.integrate.odeint`` and ``solve_ivp`` in differentiated code
(adcompiler/primitives/scipy_integrate.py, lower/function_operands.py).

Gradients (the adjoint method) and tangents (forward sensitivities) with
respect to the initial state, the parameters in ``args`` and the times are
compared with central finite differences of the integration at tight
tolerances, and with the same integration written as a plain RK4 loop that
adcompiler differentiates. Hessians in the initial state and the parameters
(forward over reverse) are compared with central differences of the
gradient; the other second derivatives and third ones raise, and so do the
constructs the solvers do not support in differentiated code.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.integrate
from scipy.integrate import odeint, solve_ivp

from adcompiler import grad, hessian, jacobian, jvp, value_and_grad
from adcompiler.errors import NonDifferentiableError, UnsupportedSyntaxError
from adcompiler.primitives import scipy_integrate
from adcompiler.primitives.record import problems, registered
from adcompiler.primitives.registry import lookup
from support.differences import fd_jacobian

TIGHT = dict(rtol=1e-10, atol=1e-10)


# -- vector fields ------------------------------------------------------------


def decay(y, t, k):
    return -k * y


def lotka_volterra(y, t, a, b):
    """A list of numbers, as people write it."""
    return [a * y[0] - b * y[0] * y[1], b * y[0] * y[1] - y[1]]


def pendulum(t, y, w, damping):
    """Time first (solve_ivp's convention), a forcing that depends on t."""
    return np.array([y[1], -(w**2) * np.sin(y[0]) - damping * y[1] + 0.3 * np.cos(t)])


forced = lambda y, t, c: -c * y + np.sin(t)  # noqa: E731  (a module-level lambda)


def make_field(rate):
    def field(y, t, scale):
        return -rate * scale * y

    return field


closure = make_field(0.8)


# -- central differences ----------------------------------------------------------


def central(f, args, wrt, eps=1e-5):
    """Central differences of ``f`` with respect to the arguments ``wrt``."""
    out = []
    for index in wrt:
        x = np.asarray(args[index], dtype=float)
        d = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            e = np.zeros(x.shape)
            e[k] = eps
            up = list(args)
            down = list(args)
            up[index] = x + e if x.ndim else float(x + e)
            down[index] = x - e if x.ndim else float(x - e)
            d[k] = (f(*up) - f(*down)) / (2 * eps)
        out.append(d if x.ndim else float(d))
    return tuple(out)


def assert_close(got, want, rtol=1e-5, atol=1e-7):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def check_jvp(f, args, rtol=1e-5, atol=1e-7, eps=1e-5):
    """``jvp`` in a random direction of every argument against central
    differences of ``f``."""
    rng = np.random.default_rng(3)
    tangents = tuple(
        rng.normal(size=np.shape(a)) if np.ndim(a) else float(rng.normal())
        for a in args
    )
    _, tangent = jvp(f, args, tangents)
    up = [a + eps * t for a, t in zip(args, tangents)]
    down = [a - eps * t for a, t in zip(args, tangents)]
    want = (f(*up) - f(*down)) / (2 * eps)
    np.testing.assert_allclose(tangent, want, rtol=rtol, atol=atol)


# -- odeint -------------------------------------------------------------------------


def decay_loss(y0, k, T):
    t = np.array([0.0, 0.4 * T, T])
    ys = odeint(decay, y0, t, args=(k,), **TIGHT)
    return np.sum(ys**2 * np.array([1.0, -0.5]))


def lotka_loss(y0, a, b, T):
    t = np.linspace(0.0, T, 4)
    ys = odeint(lotka_volterra, y0, t, args=(a, b), **TIGHT)
    return np.sum(np.sin(ys) * np.array([1.0, 2.0]))


def times_loss(y0, t, c):
    """Gradient with respect to every time, the vector field depending on t."""
    ys = odeint(forced, y0, t, args=(c,), **TIGHT)
    return np.sum(ys**3)


def pendulum_loss(y0, w, damping, T):
    t = np.array([0.0, 0.5, T])
    ys = odeint(pendulum, y0, t, args=(w, damping), tfirst=True, **TIGHT)
    return np.sum(ys[1:] ** 2)


def closure_loss(y0, scale):
    ys = odeint(closure, y0, np.array([0.0, 1.0]), args=(scale,), **TIGHT)
    return np.sum(ys)


Y0 = np.array([1.0, 0.5])
CASES = [
    pytest.param(decay_loss, (Y0, 0.7, 1.3), id="decay"),
    pytest.param(lotka_loss, (Y0, 1.1, 0.4, 1.5), id="lotka_volterra"),
    pytest.param(times_loss, (0.3, np.array([0.0, 0.3, 0.9, 1.2]), 0.6), id="times"),
    pytest.param(pendulum_loss, (Y0, 1.3, 0.2, 1.4), id="pendulum_tfirst"),
    pytest.param(closure_loss, (np.array([1.0, -2.0]), 1.5), id="closure"),
]


@pytest.mark.parametrize("f, args", CASES)
def test_odeint_gradient_against_central_differences(f, args):
    wrt = tuple(range(len(args)))
    assert_close(grad(f, wrt=wrt)(*args), central(f, args, wrt))


@pytest.mark.parametrize("f, args", CASES)
def test_odeint_jvp_against_central_differences(f, args):
    check_jvp(f, args)


def test_odeint_value_is_scipys():
    t = np.linspace(0.0, 1.0, 5)

    def final(y0, a, b):
        return odeint(lotka_volterra, y0, t, args=(a, b))[-1, 0]

    value, _ = value_and_grad(final, wrt=0)(Y0, 1.1, 0.4)
    assert value == odeint(lotka_volterra, Y0, t, args=(1.1, 0.4))[-1, 0]


def power_decay(y, t, k, n):
    return -k * y**n


def integer_args_loss(y0, k):
    """An integer among args has no derivative; the others do, to order 2."""
    ys = odeint(power_decay, y0, [0.0, 1.0], args=(k, 2), **TIGHT)
    return np.sum(ys**2)


def test_integer_in_args():
    args = (Y0, 0.7)
    assert_close(
        grad(integer_args_loss, wrt=(0, 1))(*args),
        central(integer_args_loss, args, (0, 1)),
    )
    check_jvp(integer_args_loss, args)
    np.testing.assert_allclose(
        hessian(integer_args_loss, wrt=1)(*args),
        fd_hessian(integer_args_loss, args, 1),
        rtol=1e-5,
    )


def test_vector_field_as_a_parameter():
    def loss(field, y0, k):
        return np.sum(odeint(field, y0, np.array([0.0, 1.0]), args=(k,), **TIGHT))

    args = (decay, np.array([1.0, 2.0]), 0.5)
    got = grad(loss, wrt=(1, 2))(*args)
    assert_close(got, central(lambda y0, k: loss(decay, y0, k), args[1:], (0, 1)))


# -- against the same integration as a loop --------------------------------------------


def rk4(field, y0, T, steps, a, b):
    """Fixed-step RK4 over [0, T]: a plain loop adcompiler differentiates."""
    h = T / steps
    y = y0
    t = 0.0
    for _ in range(steps):
        k1 = np.array(field(y, t, a, b))
        k2 = np.array(field(y + 0.5 * h * k1, t + 0.5 * h, a, b))
        k3 = np.array(field(y + 0.5 * h * k2, t + 0.5 * h, a, b))
        k4 = np.array(field(y + h * k3, t + h, a, b))
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t = t + h
    return y


def lv_field(y, t, a, b):
    return np.array([a * y[0] - b * y[0] * y[1], b * y[0] * y[1] - y[1]])


def final_by_loop(y0, a, b, T):
    y = rk4(lv_field, y0, T, 200, a, b)
    return y[0] * y[1] + y[1]


def final_by_odeint(y0, a, b, T):
    ys = odeint(lv_field, y0, np.array([0.0, T]), args=(a, b), **TIGHT)
    return ys[-1, 0] * ys[-1, 1] + ys[-1, 1]


def test_odeint_gradient_matches_the_rk4_loop():
    args = (Y0, 1.1, 0.4, 1.5)
    wrt = (0, 1, 2, 3)
    by_loop = grad(final_by_loop, wrt=wrt)(*args)
    by_odeint = grad(final_by_odeint, wrt=wrt)(*args)
    assert_close(by_odeint, by_loop, rtol=1e-6, atol=1e-8)


def test_decay_closed_form():
    """y = y0 exp(-k T): d/dy0, d/dk and d/dT of y(T) in closed form."""

    def final(y0, k, T):
        return odeint(decay, y0, np.array([0.0, T]), args=(k,), **TIGHT)[-1, 0]

    y0, k, T = 2.0, 0.7, 1.3
    got = grad(final, wrt=(0, 1, 2))(y0, k, T)
    e = np.exp(-k * T)
    assert_close(got, (e, -T * y0 * e, -k * y0 * e), rtol=1e-7)


# -- solve_ivp --------------------------------------------------------------------------


def make_ivp_loss(method):
    def ivp_loss(y0, w, damping, T):
        t_eval = np.linspace(0.0, T, 3)
        sol = solve_ivp(
            pendulum,
            (0.0, T),
            y0,
            method=method,
            t_eval=t_eval,
            args=(w, damping),
            **TIGHT,
        )
        return np.sum(sol.y[:, -1] ** 2) + np.sum(np.cos(sol.y[0]))

    return ivp_loss


ivp_loss = make_ivp_loss("RK45")


def ivp_start_loss(y0, t0, k, t_eval):
    """Differentiated with respect to the initial time t_span[0] and t_eval
    (sol.t is t_eval)."""
    sol = solve_ivp(forced_tfirst, (t0, 2.0), y0, t_eval=t_eval, args=(k,), **TIGHT)
    return np.sum(sol.y**2) + np.sum(sol.t**2)


def forced_tfirst(t, y, k):
    return -k * y + np.sin(t)


@pytest.mark.parametrize("method", ["RK45", "RK23", "DOP853"])
def test_solve_ivp_gradient_against_central_differences(method):
    args = (Y0, 1.3, 0.2, 1.4)
    rtol = 1e-5 if method != "RK23" else 1e-4

    f = make_ivp_loss(method)

    wrt = (0, 1, 2, 3)
    assert_close(grad(f, wrt=wrt)(*args), central(f, args, wrt), rtol=rtol)


def test_solve_ivp_initial_time_gradient():
    args = (np.array([0.5, -1.0]), 0.2, 0.9, np.array([1.0, 1.5]))
    wrt = (0, 1, 2, 3)
    got = grad(ivp_start_loss, wrt=wrt)(*args)
    assert_close(got, central(ivp_start_loss, args, wrt))


def test_solve_ivp_jvp_against_central_differences():
    check_jvp(ivp_loss, (Y0, 1.3, 0.2, 1.4))
    check_jvp(ivp_start_loss, (np.array([0.5, -1.0]), 0.2, 0.9, np.array([1.0, 1.5])))


def test_solve_ivp_matches_odeint():
    def by_ivp(y0, w):
        sol = solve_ivp(pendulum, (0.0, 1.0), y0, t_eval=[1.0], args=(w, 0.1), **TIGHT)
        return np.sum(sol.y)

    def by_odeint(y0, w):
        ys = odeint(pendulum, y0, [0.0, 1.0], args=(w, 0.1), tfirst=True, **TIGHT)
        return np.sum(ys[-1])

    assert_close(
        grad(by_ivp, wrt=(0, 1))(Y0, 1.3),
        grad(by_odeint, wrt=(0, 1))(Y0, 1.3),
        rtol=1e-6,
    )


# -- refused ----------------------------------------------------------------------------


def fd_hessian(f, args, wrt):
    """Central differences of adcompiler's gradient of ``f`` in ``args[wrt]``."""
    gradient = grad(f, wrt=wrt)

    def at(x):
        moved = list(args)
        moved[wrt] = x
        return gradient(*moved)

    return fd_jacobian(at, args[wrt], eps=1e-5)


HESSIAN_CASES = [
    pytest.param(decay_loss, (Y0, 0.7, 1.3), 0, id="decay-y0"),
    pytest.param(decay_loss, (Y0, 0.7, 1.3), 1, id="decay-k"),
    pytest.param(lotka_loss, (Y0, 1.1, 0.4, 1.5), 0, id="lotka_volterra-y0"),
    pytest.param(lotka_loss, (Y0, 1.1, 0.4, 1.5), 2, id="lotka_volterra-b"),
    pytest.param(pendulum_loss, (Y0, 1.3, 0.2, 1.4), 1, id="pendulum-w"),
    pytest.param(decay_loss, (Y0, 0.7, 1.3), 2, id="decay-T"),
    pytest.param(times_loss, (0.3, np.array([0.0, 0.5, 1.1]), 0.6), 1, id="times-t"),
    pytest.param(pendulum_loss, (Y0, 1.3, 0.2, 1.4), 3, id="pendulum-T"),
]


@pytest.mark.parametrize("f, args, wrt", HESSIAN_CASES)
def test_odeint_hessian_against_central_differences_of_the_gradient(f, args, wrt):
    """Forward over reverse: the tangent of the adjoint integration."""
    np.testing.assert_allclose(
        hessian(f, wrt=wrt)(*args), fd_hessian(f, args, wrt), rtol=1e-5, atol=1e-7
    )


def final_by_short_loop(y0, a, b, T):
    """Fewer steps: a Hessian through the loop is slow to run."""
    y = rk4(lv_field, y0, T, 20, a, b)
    return y[0] * y[1] + y[1]


def test_odeint_hessian_matches_the_rk4_loop():
    args = (Y0, 1.1, 0.4, 1.5)
    np.testing.assert_allclose(
        hessian(final_by_odeint, wrt=0)(*args),
        hessian(final_by_short_loop, wrt=0)(*args),
        rtol=1e-3,  # RK4's error with 20 steps
    )


def test_decay_hessian_closed_form():
    """d2/dk2 of y0 exp(-k T) is T**2 y0 exp(-k T)."""

    def final(y0, k, T):
        return odeint(decay, y0, np.array([0.0, T]), args=(k,), **TIGHT)[-1, 0]

    y0, k, T = 2.0, 0.7, 1.3
    got = hessian(final, wrt=1)(y0, k, T)
    np.testing.assert_allclose(got, T**2 * y0 * np.exp(-k * T), rtol=1e-7)


ivp_loss_dop853 = make_ivp_loss("DOP853")


@pytest.mark.parametrize("wrt", [0, 1])
def test_solve_ivp_hessian_against_central_differences_of_the_gradient(wrt):
    args = (Y0, 1.3, 0.2, 1.4)
    np.testing.assert_allclose(
        hessian(ivp_loss_dop853, wrt=wrt)(*args),
        fd_hessian(ivp_loss_dop853, args, wrt),
        rtol=1e-5,
        atol=1e-7,
    )


@pytest.mark.parametrize("wrt", [1, 3])
def test_solve_ivp_hessian_in_the_times(wrt):
    """In t_span[0] and in t_eval (the ends of the adjoint's intervals move)."""
    args = (np.array([0.5, -1.0]), 0.2, 0.9, np.array([1.0, 1.5]))
    np.testing.assert_allclose(
        hessian(ivp_start_loss, wrt=wrt)(*args),
        fd_hessian(ivp_start_loss, args, wrt),
        rtol=1e-5,
        atol=1e-7,
    )


def reverse_over_reverse(y0):
    return grad(decay_loss, wrt=1)(y0, 0.7, 1.3)


def test_reverse_over_reverse_raises_naming_odeint():
    with pytest.raises(NonDifferentiableError, match="odeint_adjoint"):
        grad(reverse_over_reverse)(Y0)


def third_order(k):
    return grad(decay_loss, wrt=1)(Y0, k, 1.3)


def test_third_order_raises_naming_odeint():
    with pytest.raises(NonDifferentiableError, match="odeint_adjoint"):
        hessian(third_order)(0.7)


def lambda_loss(y0, k, w):
    """A lambda written in the call, reading a local (k) and args (w)."""
    ys = odeint(
        lambda y, t, c: -c * k * y + np.sin(t), y0, [0.0, 0.6, 1.1], (w,), **TIGHT
    )
    return np.sum(ys**2)


def lambda_ivp_loss(y0, k):
    scale = 2.0 * k
    sol = solve_ivp(lambda t, y: -scale * y, (0.0, 1.0), y0, t_eval=[0.5, 1.0], **TIGHT)
    return np.sum(sol.y**2)


@pytest.mark.parametrize(
    "f, args",
    [
        pytest.param(lambda_loss, (Y0, 0.7, 1.2), id="odeint"),
        pytest.param(lambda_ivp_loss, (Y0, 0.7), id="solve_ivp"),
    ],
)
def test_lambda_in_the_call_is_lifted(f, args):
    """Its local names become arguments: differentiated like args."""
    wrt = tuple(range(len(args)))
    assert_close(grad(f, wrt=wrt)(*args), central(f, args, wrt))
    check_jvp(f, args)
    np.testing.assert_allclose(
        hessian(f, wrt=1)(*args), fd_hessian(f, args, 1), rtol=1e-5, atol=1e-7
    )


def test_nested_def_refused():
    def loss(y0, k):
        def field(y, t):
            return -k * y

        return np.sum(odeint(field, y0, [0.0, 1.0]))

    with pytest.raises(UnsupportedSyntaxError, match="made in the differentiated"):
        grad(loss)(Y0, 0.5)


def test_lambda_reading_a_local_function_refused():
    def loss(y0, k):
        g = np.sin
        return np.sum(odeint(lambda y, t: -k * g(y), y0, [0.0, 1.0]))

    with pytest.raises(UnsupportedSyntaxError, match="lambda"):
        grad(loss)(Y0, 0.5)


def scaled_decay(y, t, k, s):
    return -s * k * y


partial_field = functools.partial(scaled_decay, s=2.0)


def test_partial_as_field_refused():
    def loss(y0, k):
        return np.sum(odeint(partial_field, y0, [0.0, 1.0], args=(k,)))

    with pytest.raises(UnsupportedSyntaxError, match="not a Python function"):
        grad(loss, wrt=1)(Y0, 0.5)


def test_runtime_value_as_field_refused():
    def loss(y0, k):
        return np.sum(odeint(y0, y0, [0.0, 1.0], args=(k,)))

    with pytest.raises(UnsupportedSyntaxError, match="runtime value, not a function"):
        grad(loss)(Y0, 0.5)


def with_events(y0, w):
    sol = solve_ivp(pendulum, (0.0, 1.0), y0, t_eval=[1.0], args=(w, 0.1), events=None)
    return np.sum(sol.y)


def with_dense_output(y0, w):
    sol = solve_ivp(
        pendulum, (0.0, 1.0), y0, t_eval=[1.0], args=(w, 0.1), dense_output=True
    )
    return np.sum(sol.y)


def with_radau(y0, w):
    sol = solve_ivp(pendulum, (0.0, 1.0), y0, "Radau", t_eval=[1.0], args=(w, 0.1))
    return np.sum(sol.y)


def with_vectorized(y0, w):
    sol = solve_ivp(
        pendulum, (0.0, 1.0), y0, t_eval=[1.0], args=(w, 0.1), vectorized=True
    )
    return np.sum(sol.y)


@pytest.mark.parametrize(
    "f, match",
    [
        (with_events, "events"),
        (with_dense_output, "dense_output"),
        (with_radau, "Radau"),
        (with_vectorized, "vectorized"),
    ],
)
def test_solve_ivp_options_refused(f, match):
    with pytest.raises(UnsupportedSyntaxError, match=match):
        grad(f, wrt=1)(Y0, 1.3)


def test_solve_ivp_other_fields_refused():
    def loss(y0, w):
        sol = solve_ivp(pendulum, (0.0, 1.0), y0, t_eval=[1.0], args=(w, 0.1))
        return np.sum(sol.y) + sol.status

    with pytest.raises(UnsupportedSyntaxError, match="no field `status`"):
        grad(loss, wrt=1)(Y0, 1.3)


def test_solve_ivp_without_t_eval_has_no_derivative():
    def loss(y0, w):
        sol = solve_ivp(pendulum, (0.0, 1.0), y0, args=(w, 0.1))
        return np.sum(sol.y[:, -1])

    with pytest.raises(NonDifferentiableError, match="t_eval"):
        grad(loss, wrt=1)(Y0, 1.3)


def test_odeint_full_output_refused():
    def loss(y0, k):
        ys, info = odeint(decay, y0, [0.0, 1.0], args=(k,), full_output=True)
        return np.sum(ys)

    with pytest.raises(UnsupportedSyntaxError, match="full_output"):
        grad(loss, wrt=1)(Y0, 0.5)


def test_records_are_registered_with_scipy_and_complete():
    for fn in (scipy.integrate.odeint, scipy.integrate.solve_ivp):
        prim = lookup(fn)
        assert prim is not None and prim.functions
    mine = scipy_integrate.__name__
    records = [p for p in registered() if getattr(p.fn, "__module__", None) == mine]
    assert len(records) == 8  # sol.t, sol.y and the rules' six helpers
    for prim in records + [lookup(scipy.integrate.odeint)]:
        assert problems(prim) == []


def span_loss(y0, span):
    """t_span an array; the times after its first do not move sol.y."""
    t_eval = np.array([1.0, 1.5])
    sol = solve_ivp(forced_tfirst, span, y0, t_eval=t_eval, args=(0.9,), **TIGHT)
    return np.sum(sol.y**2)


def backward_loss(y0, k):
    """odeint over decreasing times."""
    ys = odeint(decay, y0, np.array([1.0, 0.5, 0.0]), args=(k,), **TIGHT)
    return np.sum(ys**2)


@pytest.mark.parametrize(
    "f, args",
    [
        pytest.param(
            span_loss, (np.array([0.5, -1.0]), np.array([0.2, 2.0])), id="span"
        ),
        pytest.param(backward_loss, (Y0, 0.7), id="backward"),
    ],
)
def test_span_array_and_decreasing_times(f, args):
    assert_close(grad(f, wrt=(0, 1))(*args), central(f, args, (0, 1)))
    check_jvp(f, args)
