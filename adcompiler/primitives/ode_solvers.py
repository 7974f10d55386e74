"""The numerics of the ODE solvers' derivatives (:mod:`.scipy_integrate`):
the user's vector field with its products (vector-Jacobian by
:func:`adcompiler.vjp`, Jacobian-vector by :func:`adcompiler.jvp`, their
tangent by ``jvp`` of a gradient), the solvers that integrate the adjoint
and sensitivity systems with the primal's method and tolerances, and the
adjoint, its tangent and the forward sensitivities over a grid of times.

Imported by :mod:`.scipy_integrate` only (it imports SciPy). Every
function here works on NumPy arrays at run time; none is a rule.
"""

from __future__ import annotations

import linecache
from typing import Any, Callable

import numpy as np
import scipy.integrate

from ..errors import ADError
from .higher_order import grad_of, jvp_of, vjp_of

# -- the vector field ---------------------------------------------------------


def _is_float(x: Any) -> bool:
    return isinstance(x, (float, np.floating)) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)
    )


def _shaped_like(value: Any, flat: np.ndarray) -> Any:
    """``flat`` in the structure of the field's result ``value`` (an array,
    a number, or a list or tuple of numbers), as a cotangent of it."""
    if isinstance(value, (list, tuple)):
        return type(value)(float(item) for item in flat)
    if isinstance(value, np.ndarray):
        return flat.reshape(value.shape)
    return float(flat[0])


#: (field, tfirst, which arguments are floats) -> the gradient of its pairing
_PAIRINGS: dict[tuple, Callable] = {}


def _pairing_gradient(fn: Callable, tfirst: bool, floats: tuple) -> Callable:
    """The gradient function of ``pairing(y, t, a, *args) = sum(a * f(y, t,
    *args))`` with respect to ``y``, ``t`` and the float arguments: its
    ``jvp`` is the tangent of a vector-Jacobian product of ``f``, what the
    second derivative of an adjoint integration needs. ``pairing`` is
    written as source (one parameter per argument), so adcompiler reads it."""
    key = (fn, tfirst, floats)
    found = _PAIRINGS.get(key)
    if found is not None:
        return found
    params = [f"p{k}" for k in range(len(floats))]
    called = ", ".join((["t", "y"] if tfirst else ["y", "t"]) + params)
    source = (
        f"def field_pairing(y, t, a{''.join(', ' + p for p in params)}):\n"
        f"    return np.sum(a * np.ravel(np.array(field({called}))))\n"
    )
    name = getattr(fn, "__qualname__", "field")
    filename = f"<adcompiler: pairing of {name} with a covector>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"np": np, "field": fn}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  (our own text)
    wrt = (0, 1, *(3 + k for k, is_float in enumerate(floats) if is_float))
    found = _PAIRINGS[key] = grad_of(namespace["field_pairing"], wrt)
    return found


class Field:
    """The user's vector field ``fn``, with its calling convention (time
    first or state first) and its extra arguments: values, vector-Jacobian
    and Jacobian-vector products as flat float arrays."""

    def __init__(self, fn: Callable, args: Any, tfirst: bool):
        self.fn = fn
        self.args = tuple(args or ())
        self.tfirst = bool(tfirst)
        self.floats = [_is_float(arg) for arg in self.args]
        self.size = sum(
            int(np.size(arg)) for arg, f in zip(self.args, self.floats) if f
        )

    def _primals(self, y: np.ndarray, t: float) -> tuple:
        t = float(t)
        return (t, y, *self.args) if self.tfirst else (y, t, *self.args)

    def __call__(self, y: np.ndarray, t: float) -> np.ndarray:
        return np.ravel(np.asarray(self.fn(*self._primals(y, t)), dtype=float))

    def pull(self, y: np.ndarray, t: float, cotangent: np.ndarray) -> tuple:
        """``(f, cotangent @ f_y, cotangent @ f_t, cotangent @ f_args)``."""
        value, pullback = vjp_of(self.fn, *self._primals(y, t))
        cotangents = list(pullback(_shaped_like(value, cotangent)))
        if self.tfirst:
            cotangents[0], cotangents[1] = cotangents[1], cotangents[0]
        dy, dt, *dargs = cotangents
        dy = np.zeros_like(y) if dy is None else np.ravel(dy)
        return (
            np.ravel(np.asarray(value, dtype=float)),
            dy,
            0.0 if dt is None else float(dt),
            self.flatten(dargs),
        )

    def push(
        self,
        y: np.ndarray,
        t: float,
        ty: np.ndarray,
        targs: np.ndarray | None,
        tt: float = 0.0,
    ) -> tuple:
        """``(f, f_y ty + f_args targs + f_t tt)`` (``targs`` flat, or
        None: zero)."""
        primals = self._primals(y, t)
        rest = (float(tt), ty) if self.tfirst else (ty, float(tt))
        value, tangent = jvp_of(self.fn, primals, (*rest, *self.arg_tangents(targs)))
        return (
            np.ravel(np.asarray(value, dtype=float)),
            np.ravel(np.asarray(tangent, dtype=float)),
        )

    def pull_tangent(
        self,
        y: np.ndarray,
        t: float,
        a: np.ndarray,
        dy: np.ndarray,
        da: np.ndarray,
        dargs: np.ndarray | None,
    ) -> tuple:
        """The tangent of :meth:`pull`'s products at cotangent ``-a``,
        ``(-a f_y, -a f_t, -a f_args)``, for tangents ``dy``, ``da`` and
        ``dargs`` (flat, or None: zero) of ``y``, ``a`` and the arguments."""
        gradient = _pairing_gradient(self.fn, self.tfirst, tuple(self.floats))
        primals = (y, float(t), a, *self.args)
        tangents = (dy, 0.0, da, *self.arg_tangents(dargs))
        _, tangent = jvp_of(gradient, primals, tangents)
        d_y, d_t, *d_args = tangent
        parts = [np.ravel(part) for part in d_args]
        flat = np.concatenate(parts) if parts else np.zeros(0)
        return -np.ravel(d_y), -float(d_t), -flat

    def _pairs(self) -> list:
        return list(zip(self.args, self.floats))

    def arg_tangents(self, flat: np.ndarray | None) -> list:
        """One tangent per argument from ``flat`` (None: zeros), 0 for an
        argument that is not a float (jvp ignores it)."""
        if flat is None:
            return [0.0 * np.asarray(arg) if f else 0 for arg, f in self._pairs()]
        return self.unflatten(flat)

    def flatten(self, items: Any) -> np.ndarray:
        """The float arguments' entries of ``items`` (one per argument, None:
        zeros), one flat array."""
        parts = [
            np.zeros(np.size(arg)) if item is None else np.ravel(item)
            for item, (arg, f) in zip(items, self._pairs())
            if f
        ]
        return np.concatenate(parts) if parts else np.zeros(0)

    def unflatten(self, flat: np.ndarray) -> list:
        """One item per argument: its part of ``flat`` in its shape (a
        number for a number), 0.0 for an argument that is not a float (an
        integer: no derivative, and a tangent of it adds up as zero)."""
        items, start = [], 0
        for arg, f in self._pairs():
            if not f:
                items.append(0.0)
                continue
            size = int(np.size(arg))
            part = flat[start : start + size]
            start += size
            items.append(
                part.reshape(np.shape(arg)) if np.ndim(arg) else float(part[0])
            )
        return items


# -- the solvers ----------------------------------------------------------------


class Solver:
    """How the helpers integrate: odeint's LSODA, or one of solve_ivp's
    methods, with the primal's tolerances."""

    def __init__(self, method: str | None, rtol: Any, atol: Any, mxstep: int = 0):
        self.method = method
        self.rtol = rtol
        self.atol = atol
        self.mxstep = mxstep

    def states(self, dynamics: Callable, s0: np.ndarray, times: Any) -> np.ndarray:
        """The states at ``times`` (the first is ``s0``'s), one row each;
        ``dynamics(s, t)``."""
        if self.method is None:
            return scipy.integrate.odeint(
                dynamics,
                s0,
                times,
                rtol=self.rtol,
                atol=self.atol,
                mxstep=self.mxstep,
            )
        times = np.asarray(times, dtype=float)
        if times[0] == times[-1]:
            return np.tile(s0, (len(times), 1))
        # solve_ivp takes distinct times; a time repeated is the same state
        distinct = np.concatenate([[True], np.diff(times) != 0])
        sol = scipy.integrate.solve_ivp(
            lambda t, s: dynamics(s, t),
            (times[0], times[-1]),
            s0,
            method=self.method,
            t_eval=times[distinct],
            rtol=self.rtol,
            atol=self.atol,
        )
        if not sol.success:
            raise ADError(
                f"solve_ivp failed in a derivative's integration: {sol.message}",
                hint="loosen rtol/atol, or check the vector field",
            )
        return sol.y.T[np.cumsum(distinct) - 1]

    def final(self, dynamics: Callable, s0: np.ndarray, ta: float, tb: float):
        """The state at ``tb`` of the solution that is ``s0`` at ``ta``."""
        if ta == tb:
            return s0
        return self.states(dynamics, s0, [ta, tb])[-1]


def adjoint_rate(field: Field, n: int, state: np.ndarray, t: float) -> np.ndarray:
    """The derivative in time of the adjoint state ``[y, a, a_t, a_args]``."""
    f, dy, dt, dargs = field.pull(state[:n], t, -state[n : 2 * n])
    return np.concatenate([f, dy, [dt], dargs])


def adjoint(
    field: Field, solver: Solver, times: np.ndarray, Y: np.ndarray, G: np.ndarray
) -> tuple:
    """The cotangents ``(of y(times[0]), of each time, of the flat float
    arguments)`` of ``sum(G * Y)``, ``Y[i] = y(times[i])``."""
    count, n = Y.shape

    def dynamics(state: np.ndarray, t: float) -> np.ndarray:
        return adjoint_rate(field, n, state, t)

    a = np.array(G[-1], dtype=float)
    a_t, a_args = 0.0, np.zeros(field.size)
    d_times = np.zeros(count)
    for i in range(count - 1, 0, -1):
        d_times[i] = field(Y[i], times[i]) @ G[i]
        a_t -= d_times[i]
        start = np.concatenate([Y[i], a, [a_t], a_args])
        state = solver.final(dynamics, start, times[i], times[i - 1])
        a = state[n : 2 * n] + G[i - 1]
        a_t, a_args = state[2 * n], state[2 * n + 1 :]
    d_times[0] = a_t
    return a, d_times, a_args


def adjoint_tangent(
    field: Field,
    solver: Solver,
    times: np.ndarray,
    Y: np.ndarray,
    G: np.ndarray,
    dY: np.ndarray,
    d_args: np.ndarray | None,
    d_times: np.ndarray | None,
) -> tuple:
    """The tangent of :func:`adjoint`'s three results for tangents ``dY``
    of the states, ``d_args`` (flat) of the arguments and ``d_times`` of the
    times (each None: zero), ``G`` fixed (the adjoint is linear in ``G``):
    the adjoint system and its tangent, integrated backward together; an
    interval's end moving by ``dt`` moves the state there by its rate
    times ``dt``."""
    count, n = Y.shape
    size = field.size
    half = 2 * n + 1 + size
    moves = np.zeros(count) if d_times is None else np.ravel(d_times)

    def dynamics(state: np.ndarray, t: float) -> np.ndarray:
        y, a = state[:n], state[n : 2 * n]
        dy, da = state[half : half + n], state[half + n : half + 2 * n]
        _, df = field.push(y, t, dy, d_args)
        day, dat, daargs = field.pull_tangent(y, t, a, dy, da, d_args)
        rate = adjoint_rate(field, n, state, t)
        return np.concatenate([rate, df, day, [dat], daargs])

    a = np.array(G[-1], dtype=float)
    a_t, a_args = 0.0, np.zeros(size)
    da, da_t, da_args = np.zeros(n), 0.0, np.zeros(size)
    dd_times = np.zeros(count)
    for i in range(count - 1, 0, -1):
        f_i, df_i = field.push(Y[i], times[i], dY[i], d_args, moves[i])
        a_t -= f_i @ G[i]
        dd_times[i] = df_i @ G[i]
        da_t -= dd_times[i]
        first = np.concatenate([Y[i], a, [a_t], a_args])
        second = np.concatenate([dY[i], da, [da_t], da_args])
        second = second - adjoint_rate(field, n, first, times[i]) * moves[i]
        start = np.concatenate([first, second])
        state = solver.final(dynamics, start, times[i], times[i - 1])
        state[half:] += adjoint_rate(field, n, state, times[i - 1]) * moves[i - 1]
        a = state[n : 2 * n] + G[i - 1]
        a_t, a_args = state[2 * n], state[2 * n + 1 : half]
        da = state[half + n : half + 2 * n]
        da_t, da_args = state[half + 2 * n], state[half + 2 * n + 1 :]
    dd_times[0] = da_t
    return da, dd_times, da_args


def tangent(
    field: Field,
    solver: Solver,
    y0: np.ndarray,
    times: np.ndarray,
    Y: np.ndarray,
    dy0: Any,
    d_times: Any,
    d_args: Any,
) -> np.ndarray:
    """The tangent of ``Y`` (``Y[i] = y(times[i])``, ``y(times[0]) = y0``)
    for the tangents of ``y0``, of the times and of the arguments (each None:
    zero)."""
    n = y0.size
    start = np.zeros(n) if dy0 is None else np.ravel(np.asarray(dy0, dtype=float))
    if d_times is not None:
        d_times = np.ravel(np.asarray(d_times, dtype=float))
        start = start - field(y0, times[0]) * d_times[0]
    flat_args = None if d_args is None else field.flatten(d_args)

    def dynamics(state: np.ndarray, t: float) -> np.ndarray:
        return np.concatenate(field.push(state[:n], t, state[n:], flat_args))

    S = solver.states(dynamics, np.concatenate([y0, start]), times)[:, n:]
    if d_times is not None:
        S = S + np.stack([field(Y[i], times[i]) for i in range(len(times))]) * (
            d_times[:, None]
        )
    return S


def as_state(y0: Any) -> np.ndarray:
    return np.ravel(np.asarray(y0, dtype=float))
