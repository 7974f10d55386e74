"""Numerical gradients and a gradient checker, for users' tests and ours.

:func:`numerical_grad` uses central differences in float64 whatever the
arguments' dtype; :func:`check_grad` compares it with adcompiler's gradient.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .api import Wrt, _wrt_indices, grad


def _as_float64(x: Any) -> Any:
    if isinstance(x, (np.ndarray, np.generic)):
        return np.array(x, dtype=np.float64)
    return x


def numerical_grad(f: Callable, *args: Any, wrt: Wrt = 0, eps: float = 1e-6) -> Any:
    """Central-difference gradient of ``f`` at ``args`` (float64, 2n evaluations).

    The step for an element x is ``eps * max(1, |x|)``. Returns what
    :func:`grad` returns: one gradient, or a tuple when ``wrt`` is a tuple.
    """
    indices, many = _wrt_indices(f, wrt)
    base = [_as_float64(a) for a in args]
    gradients = []
    for index in indices:
        x = base[index]
        if isinstance(x, float):
            h = eps * max(1.0, abs(x))
            up = list(base)
            down = list(base)
            up[index], down[index] = x + h, x - h
            gradients.append(float((f(*up) - f(*down)) / (2.0 * h)))
            continue
        x = np.array(x, dtype=np.float64)
        out = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            h = eps * max(1.0, abs(x[i]))
            saved = x[i]
            up = list(base)
            up[index] = x
            x[i] = saved + h
            f_up = f(*up)
            x[i] = saved - h
            f_down = f(*up)
            x[i] = saved
            out[i] = (f_up - f_down) / (2.0 * h)
        gradients.append(out)
    return tuple(gradients) if many else gradients[0]


def check_grad(
    f: Callable,
    *args: Any,
    wrt: Wrt = 0,
    rtol: float | None = None,
    atol: float | None = None,
    eps: float = 1e-6,
) -> None:
    """Assert adcompiler's gradient of ``f`` matches central differences.

    Tolerances default to ``rtol=1e-5, atol=1e-7`` for float64 arguments and
    ``rtol=2e-3, atol=1e-4`` when an argument is float32. On a mismatch,
    raises ``AssertionError`` naming the argument, the worst element and
    both values.
    """
    indices, many = _wrt_indices(f, wrt)
    analytic = grad(f, wrt=wrt)(*args)
    numeric = numerical_grad(f, *args, wrt=wrt, eps=eps)
    if not many:
        analytic, numeric = (analytic,), (numeric,)
    low_precision = any(getattr(a, "dtype", None) == np.float32 for a in args)
    rtol = rtol if rtol is not None else (2e-3 if low_precision else 1e-5)
    atol = atol if atol is not None else (1e-4 if low_precision else 1e-7)
    names = f.__code__.co_varnames
    for index, a, n in zip(indices, analytic, numeric):
        a64 = np.asarray(a, dtype=np.float64)
        n64 = np.asarray(n, dtype=np.float64)
        if a64.shape != n64.shape:
            raise AssertionError(
                f"gradient of {names[index]} has shape {a64.shape}, "
                f"expected {n64.shape}"
            )
        excess = np.abs(a64 - n64) - (atol + rtol * np.abs(n64))
        excess = np.where(np.isnan(excess), np.inf, excess)
        if excess.size and np.max(excess) > 0:
            worst = np.unravel_index(np.argmax(excess), excess.shape)
            where = f"[{', '.join(map(str, worst))}]" if excess.ndim else ""
            raise AssertionError(
                f"gradient of {f.__qualname__} with respect to {names[index]}"
                f"{where}: adcompiler gives {float(a64[worst])!r}, central "
                f"differences give {float(n64[worst])!r} (rtol={rtol}, atol={atol})"
            )
