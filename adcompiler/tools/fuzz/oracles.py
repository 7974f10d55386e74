"""The oracles a gradient is compared with besides finite differences:
autograd and JAX, each used when installed and able to run the program."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

Oracle = Callable[[str, Any, Any], tuple[Any, Any]]


def available_oracles(names: Sequence[str] = ("autograd", "jax")) -> list[str]:
    """Those of ``names`` that are installed."""
    found = []
    for name in names:
        try:
            __import__(name)
        except Exception:
            continue
        found.append(name)
    return found


def get_oracle(name: str) -> Oracle:
    """The gradient function of oracle ``name`` ("autograd" or "jax"):
    ``(source, x, y) -> (dx, dy)`` of the module's ``f``; it raises when the
    oracle is missing or cannot run the program."""
    return {"autograd": _autograd_grad, "jax": _jax_grad}[name]


def _run_with(np_module: Any, source: str) -> Callable:
    namespace: dict[str, Any] = {}
    code = compile(source, "<fuzz oracle>", "exec")
    exec(code, namespace)
    namespace["np"] = np_module
    return namespace["f"]


def _autograd_grad(source: str, x: Any, y: Any) -> tuple[Any, Any]:
    import autograd
    import autograd.numpy as anp

    f = _run_with(anp, source)
    gx, gy = autograd.grad(f, (0, 1))(x, y)
    return gx, gy


def _jax_grad(source: str, x: Any, y: Any) -> tuple[Any, Any]:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f = _run_with(jnp, source)
    gx, gy = jax.grad(f, (0, 1))(jnp.asarray(x), jnp.asarray(y))
    return np.asarray(gx), (
        float(gy) if np.ndim(gy) == 0 and np.ndim(y) == 0 else np.asarray(gy)
    )
