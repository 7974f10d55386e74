"""Loop-invariant scalar arithmetic computed before the loop
(adcompiler.passes.hoist): the generated code shows it once, outside the
loop, and the tape no longer carries it; gradients equal central
differences, also for loops that run no iteration."""

from __future__ import annotations

import numpy as np
import pytest

from adcompiler import grad, hessian
from adcompiler.testing import check_grad, numerical_grad

DT = 0.01


def midpoint(k, x, n):
    for i in range(n):
        half = x + 0.5 * DT * (-k * x)
        x = x + DT * (-k * half)
    return x


def _loop_start(source: str) -> int:
    """Where the forward loop's statement starts (not its line comment)."""
    return source.index("\n    for i in range") + 1


def _code(text: str) -> str:
    """``text`` without its comment lines (they quote the user's lines)."""
    return "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    )


def _before_loop(source: str) -> str:
    return _code(source[: _loop_start(source)])


def _body_of_loop(source: str) -> str:
    return _code(source[_loop_start(source) : source.index("backward sweep")])


def test_invariant_products_move_before_the_loop_and_off_the_tape():
    g = grad(midpoint, wrt=(0, 1))
    g(0.7, 1.3, 50)
    code = g.source
    assert "0.5 * DT" in _before_loop(code)
    assert "0.5 * DT" not in _body_of_loop(code)
    check_grad(midpoint, 0.7, 1.3, 50, wrt=(0, 1))
    check_grad(midpoint, 0.7, 1.3, 50, wrt=(0, 1), order=2)


def test_a_loop_that_runs_no_iteration():
    assert grad(midpoint, wrt=(0, 1))(0.7, 1.3, 0) == (0.0, 1.0)


def with_a_differentiated_step(h, x):
    for i in range(10):
        x = x + (0.5 * h) * np.sin(x) + h * h * 0.1
    return x


def test_an_invariant_that_carries_a_derivative():
    # 0.5 * h and h * h move out; their adjoints sum over the iterations
    g = grad(with_a_differentiated_step, wrt=(0, 1))
    g(0.3, 0.8)
    before = _before_loop(g.source)
    assert "0.5 * h" in before and "h * h" in before
    check_grad(with_a_differentiated_step, 0.3, 0.8, wrt=(0, 1))
    H = hessian(with_a_differentiated_step, wrt=(0, 1))(0.3, 0.8)
    eps = 1e-5
    rows = [
        numerical_grad(
            lambda h, x: grad(with_a_differentiated_step, wrt=(0, 1))(h, x)[k],
            0.3,
            0.8,
            wrt=(0, 1),
            eps=eps,
        )
        for k in range(2)
    ]
    np.testing.assert_allclose(np.array(H, dtype=float), np.array(rows), rtol=1e-6)


def divides(h, x, n):
    for i in range(n):
        x = x + x / h + 1.0 / 4.0
    return x


def test_a_division_by_a_value_stays_in_the_loop():
    # 1.0 / h could raise before a loop that would not have run
    g = grad(divides, wrt=(1,))
    assert g(0.0, 2.0, 0) == (1.0,)
    assert "/ h" in _body_of_loop(g.source) and "/ h" not in _before_loop(g.source)
    check_grad(divides, 3.0, 2.0, 4, wrt=(0, 1))


def loop_over_an_array(x):
    total = 0.0
    for i in range(4):
        total = total + np.sum(x * (2.0 * DT))
    return total


def test_array_arithmetic_is_not_moved():
    g = grad(loop_over_an_array)
    x = np.array([0.5, -1.0, 2.0])
    g(x)
    assert "2.0 * DT" in _before_loop(g.source)
    assert "x * mul" in _body_of_loop(g.source)
    check_grad(loop_over_an_array, x)


@pytest.mark.parametrize("n", [0, 3])
def test_while_loops(n):
    def f(x, n):
        i = 0
        while i < n:
            x = x * (1.0 + 0.5 * DT)
            i = i + 1
        return x

    assert grad(f)(1.3, n) == pytest.approx((1.0 + 0.5 * DT) ** n, rel=1e-12)
