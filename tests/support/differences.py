"""Independent answers for the tests: central differences in float64."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def fd_jacobian(fun: Callable[[Any], Any], x: Any, eps: float = 1e-6) -> Any:
    """Central differences of ``fun`` at ``x`` (float64), of shape
    ``out.shape + x.shape``; a float for a float ``x`` and scalar ``fun``."""
    if isinstance(x, float):
        h = eps * max(1.0, abs(x))
        return (np.asarray(fun(x + h)) - np.asarray(fun(x - h))) / (2.0 * h)
    x = np.array(x, dtype=np.float64)
    out = np.asarray(fun(x.copy()), dtype=np.float64)
    jac = np.zeros(out.shape + x.shape)
    for i in np.ndindex(x.shape):
        h = eps * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        jac[(...,) + i] = (np.asarray(fun(up)) - np.asarray(fun(down))) / (2.0 * h)
    return jac
