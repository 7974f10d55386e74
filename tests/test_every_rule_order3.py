"""Every rule in the registry, to third order, against finite differences.

For each sample of tests/test_every_rule_order2.py (``loss = sum(sin(body(*args))
* C)``), the third derivative contracted twice with ``v``, ``T(v, v, .)``, is
computed by reverse mode three times over: the gradient of ``<H v, v>``,
where ``H v`` is the reverse-over-reverse Hessian-vector product (the
generated code of the generated gradient, differentiated a third time). It
is compared with central differences, along ``v``, of ``hvp`` (forward over
reverse, itself checked against differences of the gradient by the order-2
test), so every order below is independent of the one checked.

The records whose third order is refused are listed in :data:`REFUSED` with
the error they raise, and checked to raise it: a new refusal or a new
mismatch fails, and a refusal that starts to work fails too (move it out of
the list).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

import adcompiler
from adcompiler import grad, hvp
from test_every_rule_order2 import DIRECT, _close, _shifted, compiled

# np.row_stack is deprecated (NumPy 2): its record stays while NumPy has it
pytestmark = pytest.mark.filterwarnings("ignore:`row_stack`:DeprecationWarning")

#: Third orders refused, with the error class and what its message names.
REFUSED: dict[str, tuple[type, str]] = {
    # the adjoint of pieces joined at run time is a list, multiplied by a
    # weight in the code of the order below
    "pieces_adjoint": (adcompiler.UnsupportedSyntaxError, "list or tuple operand"),
}


def _third(projected: Callable, n: int) -> Callable:
    """``<H v, v>`` from ``projected`` (``H v``, reverse over reverse): its
    gradient is ``T(v, v, .)``."""
    if n == 1:

        def third(a, C, va):
            (ha,) = projected(a, C, va)
            return np.sum(ha * va)

    elif n == 2:

        def third(a, b, C, va, vb):
            ha, hb = projected(a, b, C, va, vb)
            return np.sum(ha * va) + np.sum(hb * vb)

    elif n == 3:

        def third(a, b, c, C, va, vb, vc):
            ha, hb, hc = projected(a, b, c, C, va, vb, vc)
            return np.sum(ha * va) + np.sum(hb * vb) + np.sum(hc * vc)

    elif n == 4:

        def third(a, b, c, d, C, va, vb, vc, vd):
            ha, hb, hc, hd = projected(a, b, c, d, C, va, vb, vc, vd)
            return np.sum(ha * va) + np.sum(hb * vb) + np.sum(hc * vc) + np.sum(hd * vd)

    else:
        assert n == 5, "samples take 1 to 5 arguments"

        def third(a, b, c, d, e, C, va, vb, vc, vd, ve):
            ha, hb, hc, hd, he = projected(a, b, c, d, e, C, va, vb, vc, vd, ve)
            return (
                np.sum(ha * va)
                + np.sum(hb * vb)
                + np.sum(hc * vc)
                + np.sum(hd * vd)
                + np.sum(he * ve)
            )

    return third


THIRD = [k for k in DIRECT if compiled(k).sample.no_reverse_over_reverse is None]


def test_the_refusals_are_records_checked_here() -> None:
    assert set(REFUSED) <= set(THIRD)


@pytest.mark.parametrize("key", THIRD)
def test_third_order(key: str) -> None:
    c = compiled(key)
    args = c.sample.args
    third = grad(_third(c.projected, c.n), wrt=c.wrt)
    with np.errstate(all="ignore"):
        if key in REFUSED:
            error, named = REFUSED[key]
            with pytest.raises(error, match=named):
                third(*args, c.C, *c.v)
            return
        got = third(*args, c.C, *c.v)
        h = c.sample.eps
        product = hvp(c.loss, wrt=c.wrt)
        up = product(*_shifted(args, c.v, h), c.C, c.v)
        down = product(*_shifted(args, c.v, -h), c.C, c.v)
        expected = tuple((u - d) / (2 * h) for u, d in zip(up, down))
        # two differentiated orders below the differences: looser than order 2
        rtol, atol = c.sample.rtol * 100, c.sample.atol * 100
        _close(f"{key}: third order", got, expected, rtol, atol)
