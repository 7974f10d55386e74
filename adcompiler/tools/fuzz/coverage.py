"""The coverage profile (``--profile coverage``, issue #17): programs drawn
from the functions of issue #17 (:mod:`.generator.coverage17`'s table, mixed
with elementwise functions, reductions and assignments), checked at orders
1 and 2.

:func:`generate_coverage` writes program ``index`` of a campaign, as the
default profile does but with :data:`~.generator.COVERAGE_FAMILIES`.
:func:`check_coverage` checks it as the default profile does (value and
gradient against central finite differences, and the oracles), then the
second order: a Hessian-vector product by forward mode over the generated
gradient (``jvp(grad(f))``) against central differences of that gradient
(itself checked against differences of ``f`` just before), in a random
direction of both arguments. A point where those differences depend on the
step (a kink: sort, select, interp, norms with ``inf``) is skipped.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...api import grad, jvp
from ...errors import ADError
from .checker import _Loaded, _close, _inputs, _worst, check
from .generator import COVERAGE_FAMILIES
from .generator.core import Generator
from .program import Outcome, Program


def generate_coverage(seed: int, index: int = 0) -> Program:
    """Program ``index`` of the coverage campaign ``seed`` (deterministic)."""
    rng = np.random.default_rng([seed, index, 17])
    source, x_shape, y_shape = Generator(rng, COVERAGE_FAMILIES).program()
    point = int(np.random.default_rng([seed, index, 17, 7]).integers(2**31))
    return Program(source, x_shape, y_shape, seed=point)


def check_coverage(
    program: Program,
    *,
    oracles: Sequence[str] = (),
    directory: str | None = None,
    time_limit: float | None = None,
) -> Outcome:
    """:func:`.checker.check` (order 1), then, when it matches, the second
    order (see the module's docstring): ``mismatch`` when the
    Hessian-vector product differs from the differences of the gradient at
    a point where they do not depend on the step."""
    first = check(program, oracles=oracles, directory=directory, time_limit=time_limit)
    if first.kind != "ok":
        return first
    try:
        loaded = _Loaded(program.source, directory)
    except Exception as exc:  # it imported a moment ago
        return Outcome("invalid", f"import: {type(exc).__name__}: {exc}")
    try:
        second = _second_order(loaded.module.f, program)
    finally:
        loaded.close()
    if second is None:
        return first
    return second


def _second_order(f: Any, program: Program) -> Outcome | None:
    """None when the Hessian-vector products match (or no point is smooth
    enough to tell), else the outcome."""
    rng = np.random.default_rng([program.seed, 2])
    gradient = grad(f, wrt=(0, 1))
    for _ in range(3):
        x, y = _inputs(program, rng)
        vx = rng.normal(size=np.shape(x))
        vy = rng.normal(size=np.shape(y)) if np.shape(y) else float(rng.normal())
        try:
            with np.errstate(all="ignore"):
                _, (hx, hy) = jvp(gradient, (x, y), (vx, vy))
        except ADError as exc:
            return Outcome("unsupported", f"second order: {type(exc).__name__}: {exc}")
        except Exception as exc:
            return Outcome("crash", f"second order: {type(exc).__name__}: {exc}")

        def differences(h: float) -> tuple[Any, Any]:
            with np.errstate(all="ignore"):
                up = gradient(x + h * vx, y + h * vy)
                down = gradient(x - h * vx, y - h * vy)
            return tuple(
                (np.asarray(u) - np.asarray(d)) / (2 * h) for u, d in zip(up, down)
            )

        nx, ny = differences(1e-5)
        scale = max(
            1.0, float(np.max(np.abs(np.concatenate([np.ravel(nx), np.ravel(ny)]))))
        )
        rtol, atol = 1e-4, 1e-6 * scale
        if _close(np.asarray(hx), nx, rtol, atol) and _close(
            np.asarray(hy), ny, rtol, atol
        ):
            return None
        mx, my = differences(1e-4)
        tx, ty = differences(1e-6)
        steady = all(
            _close(a, b, 1e-3, 1e-5 * scale)
            for a, b in ((mx, nx), (my, ny), (tx, nx), (ty, ny))
        )
        if not steady:
            continue  # a kink near the point: the differences depend on the step
        return Outcome(
            "mismatch",
            "second order: Hessian-vector product (jvp of grad) vs differences of "
            "the gradient: "
            + _worst(("x", "y"), (np.asarray(hx), np.asarray(hy)), (nx, ny))
            + f"\nat x = {x.tolist()!r}, y = {y if isinstance(y, float) else y.tolist()!r}",
            ("finite differences",),
        )
    return None
