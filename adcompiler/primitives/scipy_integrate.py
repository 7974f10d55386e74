"""Records of ``scipy.integrate``: ``odeint`` and ``solve_ivp``, whose
vector field is a user function that adcompiler differentiates.

Registered on demand (:mod:`.scipy_hook`): importing this module imports
SciPy. Both are higher-order primitives (:mod:`.higher_order`): the vector
field is a function known at compile time, passed to the generated code as
the function object itself. The numerics of the derivatives are in
:mod:`.ode_solvers`; this module holds the records and their rules.

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
(:func:`.ode_solvers.adjoint_tangent`). Reverse over reverse and third derivatives
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
from typing import Any, Callable, NamedTuple

import numpy as np
import scipy.integrate

from ..errors import ADError, ArgumentError, NonDifferentiableError
from . import ode_solvers as ode
from .higher_order import OncePerOp
from .registry import Primitive, define

#: solve_ivp's methods whose derivatives the tests check
METHODS = ("RK45", "RK23", "DOP853")

#: the orders the ODE solvers' rules reach (docs/numpy-coverage.md)
_ORDERS = "2 (forward over reverse: `hessian`, `jvp` of `grad`)"

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
    field = ode.Field(func, args, tfirst)
    times = np.ravel(np.asarray(t, dtype=float))
    G = np.asarray(g, dtype=float).reshape(np.shape(ans))
    a, d_times, a_args = ode.adjoint(
        field, ode.Solver(None, rtol, atol, mxstep), times, ans, G
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
    field = ode.Field(func, args, tfirst)
    times = np.ravel(np.asarray(t, dtype=float))
    solver = ode.Solver(None, rtol, atol, mxstep)
    return ode.tangent(field, solver, ode.as_state(y0), times, ans, dy0, dt, dargs)


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
    field = ode.Field(func, args, tfirst)
    times = np.ravel(np.asarray(t, dtype=float))
    Y = np.asarray(ans, dtype=float)
    G = np.asarray(g, dtype=float).reshape(Y.shape)
    dY = np.zeros(Y.shape) if dans is None else np.reshape(dans, Y.shape)
    flat = None if dargs is None else field.flatten(dargs)
    solver = ode.Solver(None, rtol, atol, mxstep)
    da, dd_times, da_args = ode.adjoint_tangent(
        field, solver, times, Y, G, dY, flat, dt
    )
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
).orders = _ORDERS

# -- solve_ivp --------------------------------------------------------------------


def _ivp_solver(method: str, rtol: Any, atol: Any) -> ode.Solver:
    return ode.Solver(method, rtol, atol)


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
    Y = np.concatenate([ode.as_state(y0)[None, :], np.asarray(ans).T])
    return ode.Field(fun, args, True), times, Y


def ivp_adjoint(
    fun, g, ans, t_span, y0, method="RK45", t_eval=None, args=None, rtol=1e-3, atol=1e-6
) -> tuple:
    """``(cotangent of t_span, of y0, of t_eval, *of each argument)`` of
    ``sol.y`` for its cotangent ``g``."""
    field, times, Y = _ivp_problem(fun, t_span, y0, t_eval, args, ans)
    G = np.concatenate([np.zeros((1, Y.shape[1])), np.asarray(g).T])
    a, d_times, a_args = ode.adjoint(
        field, _ivp_solver(method, rtol, atol), times, Y, G
    )
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
    S = ode.tangent(
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
    da, dd_times, da_args = ode.adjoint_tangent(
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
    split_result=OdeSolution,
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
).orders = _ORDERS
