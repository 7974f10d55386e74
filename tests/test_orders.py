"""The orders of derivative docs/numpy-coverage.md lists ("Orders").

A record whose rules reach fewer orders than "any" declares it
(``Primitive.orders``); each such declaration is checked here: its highest
order agrees with central differences of the order below, and the next
order raises :class:`NonDifferentiableError` naming the function that has
no derivative of its own (never a wrong number). "any" is checked at the
second order for every record by tests/test_every_rule_order2.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import adcompiler  # noqa: F401  (registers the records)
from adcompiler import grad, hessian
from adcompiler.errors import NonDifferentiableError
from adcompiler.primitives import scipy_hook
from adcompiler.primitives.record import registered

scipy = pytest.importorskip("scipy")
scipy_hook.load(force=True)
import scipy.integrate  # noqa: E402

A = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]])
D = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]])


def _norm_along(ord):
    def f(t):
        return np.linalg.norm(A + t * D, ord, axis=(0, 1))

    return f


def _central(f, x, eps=1e-4):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@pytest.mark.parametrize("ord", [2, -2, "nuc", None, "fro", 1, np.inf])
def test_matrix_norms_reach_the_fourth_order(ord):
    # the singular-value norms (2, -2, 'nuc') too: their curvature is made
    # of the SVD's records, whose rules reach every order
    f = _norm_along(ord)
    third = grad(grad(grad(f)))
    assert third(0.3) == pytest.approx(_central(grad(grad(f)), 0.3), rel=1e-5, abs=1e-6)
    fourth = grad(third)
    assert fourth(0.3) == pytest.approx(_central(third, 0.3), rel=1e-4, abs=1e-5)


def decay(y, t, k):
    return -k * y * y


def ode_loss(y0):
    ys = scipy.integrate.odeint(
        decay, y0, np.array([0.0, 0.5, 1.0]), args=(0.7,), rtol=1e-11, atol=1e-11
    )
    return np.sum(ys[-1] ** 2)


def test_odeint_reaches_the_second_order_forward_over_reverse():
    y0 = np.array([0.8, 1.3])

    # y(t) = y0 / (1 + k y0 t): the gradient in closed form, its derivative
    # by central differences
    def closed(y):
        return 2.0 * y / (1.0 + 0.7 * y) ** 3

    expected = np.diag((closed(y0 + 1e-5) - closed(y0 - 1e-5)) / 2e-5)
    np.testing.assert_allclose(hessian(ode_loss)(y0), expected, rtol=1e-5, atol=1e-8)
    with pytest.raises(NonDifferentiableError, match="odeint"):
        grad(lambda y: np.sum(grad(ode_loss)(y)))(y0)


#: records whose declared orders the tests above check
CHECKED = {
    "scipy.integrate.odeint",
    "scipy.integrate.solve_ivp(...).y",
}


def test_every_declared_limit_is_checked():
    declared = {p.name for p in registered() if p.orders != "any"}
    assert declared == CHECKED


def ivp_loss(y0):
    sol = scipy.integrate.solve_ivp(
        lambda t, y: -0.7 * y * y, (0.0, 1.0), y0, t_eval=[1.0], rtol=1e-10, atol=1e-10
    )
    return np.sum(sol.y**2)


def test_solve_ivp_reaches_the_second_order_forward_over_reverse():
    y0 = np.array([0.8, 1.3])

    def closed(y):
        return 2.0 * y / (1.0 + 0.7 * y) ** 3

    expected = np.diag((closed(y0 + 1e-5) - closed(y0 - 1e-5)) / 2e-5)
    np.testing.assert_allclose(hessian(ivp_loss)(y0), expected, rtol=1e-5, atol=1e-7)
    with pytest.raises(NonDifferentiableError, match="solve_ivp|odeint|ivp"):
        grad(lambda y: np.sum(grad(ivp_loss)(y)))(y0)
