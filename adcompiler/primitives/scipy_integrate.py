"""Records of ``scipy.integrate``: ``odeint`` and ``solve_ivp``, whose
vector field is a user function that adcompiler differentiates.

Registered on demand (:mod:`.scipy_hook`): importing this module imports
SciPy. Both are higher-order primitives (:mod:`.higher_order`): the vector
field is a function known at compile time, passed to the generated code as
the function object itself.

Reverse mode is the adjoint method (as autograd's ``odeint``): from the last
time to the first, interval by interval, the state ``[y, a, a_t, a_args]``
is integrated backward, ``y' = f``, ``a' = -a f_y``, ``a_t' = -a f_t``,
``a_args' = -a f_args``, the products ``a f_*`` given by
:func:`adcompiler.vjp` of the vector field at each step the solver takes;
the incoming cotangent of ``y(t_i)`` is added to ``a`` at ``t_i``, and
``f(y_i, t_i) . g_i`` is the cotangent of ``t_i``. Forward mode is the
forward sensitivity equations, ``[y, s]`` with ``s' = f_y s + f_args
dargs`` (products by :func:`adcompiler.jvp`), started at ``dy0 -
f(y0, t0) dt0``, plus ``f(y_i, t_i) dt_i`` at each time. Each adjoint or
sensitivity integration uses the primal's method and tolerances, so a
derivative is as accurate as the integration (``rtol``/``atol``).

The derivatives are computed by runtime helpers. Their own records give
forward over reverse (``hessian``, in ``y0``, ``args`` and the times): the
adjoint is linear in ``g``, and its tangent in the states, the arguments
and the times integrates the adjoint system with its tangent backward
(:func:`_adjoint_tangent`). Reverse over reverse and third derivatives
raise :class:`~adcompiler.errors.NonDifferentiableError` naming the helper,
never a wrong number.

``solve_ivp``'s result is an object of which differentiated code reads
``sol.y`` and ``sol.t`` (any other field is refused). ``sol.y`` has a
derivative only when ``t_eval`` is given (the solver's own times move with
the inputs); ``sol.t`` is then ``t_eval``. Events, dense output and the implicit
methods are refused: the signature below lists what is accepted.
"""

from __future__ import annotations

import inspect
import linecache
from typing import Any, Callable, NamedTuple

import numpy as np
import scipy.integrate

from ..errors import ADError, ArgumentError, NonDifferentiableError
from .higher_order import OncePerOp, grad_of, jvp_of, vjp_of
from .registry import Primitive, define

#: solve_ivp's methods whose derivatives the tests check
METHODS = ("RK45", "RK23", "DOP853")

#: what a second derivative of an ODE solver's result says to do instead
SECOND_ORDER = (
    "the second derivatives of scipy.integrate.odeint and solve_ivp are "
    "forward over reverse only (hessian, jvp of grad); for reverse over "
    "reverse or third derivatives, write the integration as a loop (an RK4 "
    "step function)"
)


class OdeSolution(NamedTuple):
    """What differentiated code reads of ``solve_ivp``'s result."""

    t: Any
    y: Any


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


class _Field:
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


class _Solver:
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


def _adjoint_rate(field: _Field, n: int, state: np.ndarray, t: float) -> np.ndarray:
    """The derivative in time of the adjoint state ``[y, a, a_t, a_args]``."""
    f, dy, dt, dargs = field.pull(state[:n], t, -state[n : 2 * n])
    return np.concatenate([f, dy, [dt], dargs])


def _adjoint(
    field: _Field, solver: _Solver, times: np.ndarray, Y: np.ndarray, G: np.ndarray
) -> tuple:
    """The cotangents ``(of y(times[0]), of each time, of the flat float
    arguments)`` of ``sum(G * Y)``, ``Y[i] = y(times[i])``."""
    count, n = Y.shape

    def dynamics(state: np.ndarray, t: float) -> np.ndarray:
        return _adjoint_rate(field, n, state, t)

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


def _adjoint_tangent(
    field: _Field,
    solver: _Solver,
    times: np.ndarray,
    Y: np.ndarray,
    G: np.ndarray,
    dY: np.ndarray,
    d_args: np.ndarray | None,
    d_times: np.ndarray | None,
) -> tuple:
    """The tangent of :func:`_adjoint`'s three results for tangents ``dY``
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
        rate = _adjoint_rate(field, n, state, t)
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
        second = second - _adjoint_rate(field, n, first, times[i]) * moves[i]
        start = np.concatenate([first, second])
        state = solver.final(dynamics, start, times[i], times[i - 1])
        state[half:] += _adjoint_rate(field, n, state, times[i - 1]) * moves[i - 1]
        a = state[n : 2 * n] + G[i - 1]
        a_t, a_args = state[2 * n], state[2 * n + 1 : half]
        da = state[half + n : half + 2 * n]
        da_t, da_args = state[half + 2 * n], state[half + 2 * n + 1 :]
    dd_times[0] = da_t
    return da, dd_times, da_args


def _tangent(
    field: _Field,
    solver: _Solver,
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


def _as_state(y0: Any) -> np.ndarray:
    return np.ravel(np.asarray(y0, dtype=float))


# -- the helpers of the rules: no rules of their own (second order raises) ---


def _spelled_like(fn: Callable) -> Callable:
    """A function with ``fn``'s parameters after a rule's ``g, ans``: the
    ``signature_of`` of a record without rules."""

    def signature(*args: Any) -> None:
        raise AssertionError("only its signature is read")

    params = list(inspect.signature(fn).parameters.values())
    leading = [
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY)
        for n in ("_cotangent", "_result")
    ]
    signature.__signature__ = inspect.Signature(leading + params)  # type: ignore
    return signature


def _helper(
    fn: Callable, name: str, of: str, container: bool, tangent: tuple = ()
) -> Primitive:
    """The record of a rule's helper ``fn``, the derivative of ``of``: no
    reverse rules, the tangent rules ``tangent`` (none: a derivative of it
    raises, naming it)."""
    count = len(inspect.signature(fn).parameters)
    prim = define(
        fn,
        *(None,) * count,
        tangent=tuple(tangent) + (None,) * (count - len(tangent)),
        signature_of=_spelled_like(fn),
        # errors name it so: "odeint_adjoint (the derivative of odeint, not
        # differentiated again) has no derivative with respect to g"
        name=f"{name} (the derivative of {of}, not differentiated again)",
        hint=name,
        container=container,  # an adjoint: a tuple, one item per argument
        functions=tuple(inspect.signature(fn).parameters)[:1],  # the field
    )
    prim.no_rule_hint = SECOND_ORDER
    return prim


def _shape_only(dot: Any, out: Any, *args: Any, **kwargs: Any) -> None:
    """An argument a helper reads only for its shape: no tangent."""
    return None


# -- odeint -----------------------------------------------------------------------


def odeint_adjoint(
    func, g, ans, y0, t, args=(), rtol=None, atol=None, mxstep=0, tfirst=False
) -> tuple:
    """``(cotangent of y0, of t, *of each argument)`` of odeint's result for
    its cotangent ``g``."""
    field = _Field(func, args, tfirst)
    times = np.ravel(np.asarray(t, dtype=float))
    G = np.asarray(g, dtype=float).reshape(np.shape(ans))
    a, d_times, a_args = _adjoint(
        field, _Solver(None, rtol, atol, mxstep), times, ans, G
    )
    d_args = field.unflatten(a_args)
    return (a.reshape(np.shape(y0)), d_times.reshape(np.shape(t)), *d_args)


def odeint_tangent(
    func,
    ans,
    y0,
    t,
    args=(),
    dy0=None,
    dt=None,
    dargs=None,
    rtol=None,
    atol=None,
    mxstep=0,
    tfirst=False,
) -> np.ndarray:
    """The tangent of odeint's result for tangents of ``y0``, ``t`` and
    ``args`` (each None: zero)."""
    field = _Field(func, args, tfirst)
    times = np.ravel(np.asarray(t, dtype=float))
    solver = _Solver(None, rtol, atol, mxstep)
    return _tangent(field, solver, _as_state(y0), times, ans, dy0, dt, dargs)


def odeint_adjoint_tangent(
    func,
    g,
    ans,
    y0,
    t,
    args=(),
    dans=None,
    dt=None,
    dargs=None,
    rtol=None,
    atol=None,
    mxstep=0,
    tfirst=False,
) -> tuple:
    """The tangent of :func:`odeint_adjoint`'s result for tangents of
    ``ans``, ``t`` and ``args`` (each None: zero)."""
    field = _Field(func, args, tfirst)
    times = np.ravel(np.asarray(t, dtype=float))
    Y = np.asarray(ans, dtype=float)
    G = np.asarray(g, dtype=float).reshape(Y.shape)
    dY = np.zeros(Y.shape) if dans is None else np.reshape(dans, Y.shape)
    flat = None if dargs is None else field.flatten(dargs)
    solver = _Solver(None, rtol, atol, mxstep)
    da, dd_times, da_args = _adjoint_tangent(field, solver, times, Y, G, dY, flat, dt)
    d_args = field.unflatten(da_args)
    return (da.reshape(np.shape(y0)), dd_times.reshape(np.shape(t)), *d_args)


def _odeint_adjoint_in_g(
    dot, out, func, g, ans, y0, t, args=(), rtol=None, atol=None, mxstep=0, tfirst=False
):
    """The adjoint is linear in ``g``."""
    return odeint_adjoint_record(
        func, dot, ans, y0, t, args, rtol, atol, mxstep, tfirst
    )


def _odeint_adjoint_in(which: str) -> Callable:
    def rule(
        dot,
        out,
        func,
        g,
        ans,
        y0,
        t,
        args=(),
        rtol=None,
        atol=None,
        mxstep=0,
        tfirst=False,
    ):
        tangents = {"dans": None, "dt": None, "dargs": None}
        tangents[which] = dot
        return odeint_adjoint_tangent_record(
            func,
            g,
            ans,
            y0,
            t,
            args,
            **tangents,
            rtol=rtol,
            atol=atol,
            mxstep=mxstep,
            tfirst=tfirst,
        )

    return rule


odeint_adjoint_tangent_record = _helper(
    odeint_adjoint_tangent, "odeint_adjoint_tangent", "odeint_adjoint", True
)
# forward over reverse (hessian): tangents in y0, t and args
odeint_adjoint_record = _helper(
    odeint_adjoint,
    "odeint_adjoint",
    "odeint",
    True,
    tangent=(
        None,
        _odeint_adjoint_in_g,
        _odeint_adjoint_in("dans"),
        _shape_only,
        _odeint_adjoint_in("dt"),
        _odeint_adjoint_in("dargs"),
    ),
)
odeint_adjoint_call = OncePerOp(odeint_adjoint_record)
odeint_tangent_call = _helper(odeint_tangent, "odeint_tangent", "odeint", False)


def _odeint_reverse(position: int) -> Callable:
    def rule(
        g, ans, func, y0, t, args=(), rtol=None, atol=None, mxstep=0, tfirst=False
    ):
        cotangents = odeint_adjoint_call(
            func, g, ans, y0, t, args, rtol, atol, mxstep, tfirst
        )
        if position < 2:
            return cotangents[position]
        return tuple(cotangents[2 + k] for k in range(len(args)))

    return rule


def _odeint_forward(which: str) -> Callable:
    def rule(
        dot, ans, func, y0, t, args=(), rtol=None, atol=None, mxstep=0, tfirst=False
    ):
        tangents = {"dy0": None, "dt": None, "dargs": None}
        tangents[which] = dot
        return odeint_tangent_call(
            func,
            ans,
            y0,
            t,
            args,
            **tangents,
            rtol=rtol,
            atol=atol,
            mxstep=mxstep,
            tfirst=tfirst,
        )

    return rule


define(
    scipy.integrate.odeint,
    None,
    _odeint_reverse(0),
    _odeint_reverse(1),
    _odeint_reverse(2),
    None,
    None,
    None,
    None,
    tangent=(
        None,
        _odeint_forward("dy0"),
        _odeint_forward("dt"),
        _odeint_forward("dargs"),
        None,
        None,
        None,
        None,
    ),
    functions=("func",),
    name="scipy.integrate.odeint",
    hint="ys",
)

# -- solve_ivp --------------------------------------------------------------------


def _ivp_solver(method: str, rtol: Any, atol: Any) -> _Solver:
    return _Solver(method, rtol, atol)


def ivp_times(
    fun, t_span, y0, method="RK45", t_eval=None, args=None, rtol=1e-3, atol=1e-6
) -> np.ndarray:
    """``solve_ivp(...).t``."""
    return _solve(fun, t_span, y0, method, t_eval, args, rtol, atol).t


def ivp_states(
    fun, t_span, y0, method="RK45", t_eval=None, args=None, rtol=1e-3, atol=1e-6
) -> np.ndarray:
    """``solve_ivp(...).y``."""
    return _solve(fun, t_span, y0, method, t_eval, args, rtol, atol).y


def _solve(fun, t_span, y0, method, t_eval, args, rtol, atol) -> Any:
    sol = scipy.integrate.solve_ivp(
        fun,
        tuple(t_span),
        y0,
        method=method,
        t_eval=t_eval,
        args=None if args is None else tuple(args),
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise ADError(f"solve_ivp failed: {sol.message}")
    return sol


def _ivp_problem(fun, t_span, y0, t_eval, args, ans) -> tuple:
    """The times ``[t0, *t_eval]`` and the states there, ``y0`` first."""
    times = np.concatenate([[float(t_span[0])], np.ravel(t_eval)])
    Y = np.concatenate([_as_state(y0)[None, :], np.asarray(ans).T])
    return _Field(fun, args, True), times, Y


def ivp_adjoint(
    fun, g, ans, t_span, y0, method="RK45", t_eval=None, args=None, rtol=1e-3, atol=1e-6
) -> tuple:
    """``(cotangent of t_span, of y0, of t_eval, *of each argument)`` of
    ``sol.y`` for its cotangent ``g``."""
    field, times, Y = _ivp_problem(fun, t_span, y0, t_eval, args, ans)
    G = np.concatenate([np.zeros((1, Y.shape[1])), np.asarray(g).T])
    a, d_times, a_args = _adjoint(field, _ivp_solver(method, rtol, atol), times, Y, G)
    d_args = field.unflatten(a_args)
    d_span = np.array([d_times[0], 0.0])
    return (
        d_span,
        a.reshape(np.shape(y0)),
        d_times[1:].reshape(np.shape(t_eval)),
        *d_args,
    )


def _ivp_time_tangents(count: int, d_span: Any, d_eval: Any) -> np.ndarray | None:
    """The tangents of the times ``[t_span[0], *t_eval]`` (None: zero)."""
    if d_span is None and d_eval is None:
        return None
    first = 0.0 if d_span is None else float(np.ravel(d_span[0])[0])
    rest = np.zeros(count - 1) if d_eval is None else np.ravel(d_eval)
    return np.concatenate([[first], rest])


def ivp_tangent(
    fun,
    ans,
    t_span,
    y0,
    method="RK45",
    t_eval=None,
    args=None,
    d_span=None,
    dy0=None,
    d_eval=None,
    dargs=None,
    rtol=1e-3,
    atol=1e-6,
) -> np.ndarray:
    """The tangent of ``sol.y`` for tangents of ``t_span``, ``y0``,
    ``t_eval`` and ``args`` (each None: zero)."""
    field, times, Y = _ivp_problem(fun, t_span, y0, t_eval, args, ans)
    d_times = _ivp_time_tangents(len(times), d_span, d_eval)
    S = _tangent(
        field, _ivp_solver(method, rtol, atol), Y[0], times, Y, dy0, d_times, dargs
    )
    return S[1:].T


def ivp_adjoint_tangent(
    fun,
    g,
    ans,
    t_span,
    y0,
    method="RK45",
    t_eval=None,
    args=None,
    dans=None,
    d_span=None,
    d_eval=None,
    dargs=None,
    rtol=1e-3,
    atol=1e-6,
) -> tuple:
    """The tangent of :func:`ivp_adjoint`'s result for tangents of ``ans``,
    ``t_span``, ``t_eval`` and ``args`` (each None: zero)."""
    field, times, Y = _ivp_problem(fun, t_span, y0, t_eval, args, ans)
    G = np.concatenate([np.zeros((1, Y.shape[1])), np.asarray(g).T])
    dY = np.zeros(Y.shape)
    if dans is not None:
        dY[1:] = np.asarray(dans, dtype=float).T
    flat = None if dargs is None else field.flatten(dargs)
    solver = _ivp_solver(method, rtol, atol)
    d_times = _ivp_time_tangents(len(times), d_span, d_eval)
    da, dd_times, da_args = _adjoint_tangent(
        field, solver, times, Y, G, dY, flat, d_times
    )
    return (
        np.array([dd_times[0], 0.0]),
        da.reshape(np.shape(y0)),
        dd_times[1:].reshape(np.shape(t_eval)),
        *field.unflatten(da_args),
    )


def _ivp_adjoint_in_g(
    dot,
    out,
    fun,
    g,
    ans,
    t_span,
    y0,
    method="RK45",
    t_eval=None,
    args=None,
    rtol=1e-3,
    atol=1e-6,
):
    """The adjoint is linear in ``g``."""
    return ivp_adjoint_record(
        fun, dot, ans, t_span, y0, method, t_eval, args, rtol, atol
    )


def _ivp_adjoint_in(which: str) -> Callable:
    def rule(
        dot,
        out,
        fun,
        g,
        ans,
        t_span,
        y0,
        method="RK45",
        t_eval=None,
        args=None,
        rtol=1e-3,
        atol=1e-6,
    ):
        tangents = {"dans": None, "d_span": None, "d_eval": None, "dargs": None}
        tangents[which] = dot
        return ivp_adjoint_tangent_record(
            fun,
            g,
            ans,
            t_span,
            y0,
            method,
            t_eval,
            args,
            **tangents,
            rtol=rtol,
            atol=atol,
        )

    return rule


ivp_adjoint_tangent_record = _helper(
    ivp_adjoint_tangent, "solve_ivp_adjoint_tangent", "solve_ivp_adjoint", True
)
# forward over reverse (hessian): tangents in y0, the times and args
ivp_adjoint_record = _helper(
    ivp_adjoint,
    "solve_ivp_adjoint",
    "solve_ivp",
    True,
    tangent=(
        None,
        _ivp_adjoint_in_g,
        _ivp_adjoint_in("dans"),
        _ivp_adjoint_in("d_span"),
        _shape_only,
        None,
        _ivp_adjoint_in("d_eval"),
        _ivp_adjoint_in("dargs"),
    ),
)
ivp_adjoint_call = OncePerOp(ivp_adjoint_record)
ivp_tangent_call = _helper(ivp_tangent, "solve_ivp_tangent", "solve_ivp", False)


def _ivp_reverse(position: int) -> Callable:
    def rule(
        g,
        ans,
        fun,
        t_span,
        y0,
        method="RK45",
        t_eval=None,
        args=None,
        rtol=1e-3,
        atol=1e-6,
    ):
        _refuse_without_eval(t_eval)
        cotangents = ivp_adjoint_call(
            fun, g, ans, t_span, y0, method, t_eval, args, rtol, atol
        )
        if position == 0:
            span = cotangents[0]
            return (span[0], span[1]) if isinstance(t_span, tuple) else span
        if position < 3:
            return cotangents[position]
        return tuple(cotangents[3 + k] for k in range(len(args)))

    return rule


def _ivp_forward(which: str) -> Callable:
    def rule(
        dot,
        ans,
        fun,
        t_span,
        y0,
        method="RK45",
        t_eval=None,
        args=None,
        rtol=1e-3,
        atol=1e-6,
    ):
        _refuse_without_eval(t_eval)
        tangents = {"d_span": None, "dy0": None, "d_eval": None, "dargs": None}
        tangents[which] = dot
        return ivp_tangent_call(
            fun,
            ans,
            t_span,
            y0,
            method,
            t_eval,
            args,
            **tangents,
            rtol=rtol,
            atol=atol,
        )

    return rule


def _split_solution(
    fun, t_span, y0, method="RK45", t_eval=None, args=None, rtol=1e-3, atol=1e-6
) -> list:
    """``solve_ivp(...)`` as its two fields, ``(t, y)``, each one call."""
    if method not in METHODS:
        raise ArgumentError(
            f"solve_ivp's method {method!r} in differentiated code (the methods "
            f"whose derivatives are tested: {', '.join(METHODS)})",
            hint="pass method= one of those, as a constant",
        )
    arguments = (fun, t_span, y0, method, t_eval, args, rtol, atol)
    return [(ivp_times, arguments, {}), (ivp_states, arguments, {})]


_IVP_PARAMETERS = (None,) * 8

solve_ivp = define(
    scipy.integrate.solve_ivp,
    *_IVP_PARAMETERS,
    tangent=_IVP_PARAMETERS,
    functions=("fun",),
    static=("method",),
    signature_of=_spelled_like(ivp_states),
    name="scipy.integrate.solve_ivp",
    container=True,
    result_class=OdeSolution,
)
solve_ivp.split = _split_solution
solve_ivp.no_rule_hint = "read sol.y (with t_eval given) of solve_ivp's result"


def _refuse_without_eval(t_eval: Any) -> None:
    if t_eval is None:
        raise NonDifferentiableError(
            "solve_ivp without t_eval: the solver chooses its times, which "
            "move with the inputs, so sol.y and sol.t have no derivative",
            hint="pass the times you read: t_eval=[T] or np.linspace(t0, T, n)",
        )


def _times_zero(
    g, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None, rtol=1e-3, atol=1e-6
):
    """``sol.t`` is ``t_eval``: it does not move with ``t_span``, ``y0``
    or ``args``; without ``t_eval`` it has no derivative."""
    _refuse_without_eval(t_eval)
    return None


def _times_identity(
    g, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None, rtol=1e-3, atol=1e-6
):
    _refuse_without_eval(t_eval)
    return g


_TIMES_RULES = (None, _times_zero, _times_zero, None, _times_identity, _times_zero)
define(
    ivp_times,
    *_TIMES_RULES,
    None,
    None,
    tangent=_TIMES_RULES + (None, None),
    name="scipy.integrate.solve_ivp(...).t",
    hint="times",
    functions=("fun",),
)
define(
    ivp_states,
    None,
    _ivp_reverse(0),
    _ivp_reverse(1),
    None,
    _ivp_reverse(2),
    _ivp_reverse(3),
    None,
    None,
    tangent=(
        None,
        _ivp_forward("d_span"),
        _ivp_forward("dy0"),
        None,
        _ivp_forward("d_eval"),
        _ivp_forward("dargs"),
        None,
        None,
    ),
    static=("method",),
    functions=("fun",),
    name="scipy.integrate.solve_ivp(...).y",
    hint="states",
)
