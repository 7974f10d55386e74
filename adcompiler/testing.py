"""Numerical gradients and a gradient checker, for users' tests and ours.

:func:`numerical_grad` uses central differences in float64 whatever the
arguments' dtype (complex128 for complex ones, differenced in their real and
imaginary parts: ``dL/dx - i dL/dy``); :func:`check_grad` compares it with
adcompiler's gradient.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from .api import (
    Wrt,
    _bind,
    _transformable,
    _wrt_indices,
    _wrt_leaves,
    grad,
    hvp,
    jvp,
    vjp,
)
from .errors import ArgumentError
from .tracebacks import checked_arguments
from .boundary import method_function
from .callables import user_function
from .trees import build, leaves, object_node, structure, unflatten_leaves


def _over_object(fn: Callable, x: Any, *others: Any) -> Any:
    """For an object node ``x`` (a dataclass, NamedTuple, registered
    class), ``fn`` applied leaf by leaf (with the leaves of ``others``) in
    an object of its class; else None."""
    if type(x).__module__ == "builtins" or object_node(x) is None:
        return None
    flat = [fn(*items) for items in zip(leaves(x), *map(leaves, others))]
    return unflatten_leaves(structure(x), flat)


def _as_float64(x: Any) -> Any:
    found = _over_object(_as_float64, x)
    if found is not None:
        return found
    if isinstance(x, (list, tuple)):
        return type(x)(_as_float64(item) for item in x)
    if isinstance(x, dict):
        return {key: _as_float64(item) for key, item in x.items()}
    if isinstance(x, (np.ndarray, np.generic)):
        complex_ = np.iscomplexobj(x)
        return np.array(x, dtype=np.complex128 if complex_ else np.float64)
    return x


@checked_arguments
def numerical_grad(f: Callable, *args: Any, wrt: Wrt = 0, eps: float = 1e-6) -> Any:
    """Central-difference gradient of ``f`` at ``args`` (float64, 2n evaluations).

    The step for an element x is ``eps * max(1, |x|)``. Returns what
    :func:`grad` returns: one gradient, or a tuple when ``wrt`` is a tuple.
    """
    f = method_function(f)  # a bound method: wrt counts after self
    if not callable(f):  # any callable: its source is never read
        raise ArgumentError(
            f"numerical_grad takes the function first, not {type(f).__name__}",
            hint="call it as numerical_grad(f, *args)",
        )
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ArgumentError(
            f"numerical_grad needs a step eps > 0, not {eps!r}",
            hint="the default, 1e-6, suits float64",
        )
    if hasattr(user_function(f), "__code__"):
        indices, many = _wrt_indices(f, wrt)
        _named_parameters_only(f, "numerical_grad", indices)
        _bind(f, args, {}, "numerical_grad")
    elif isinstance(wrt, int) or (
        isinstance(wrt, tuple) and all(isinstance(i, int) for i in wrt)
    ):  # a builtin or ufunc: positions only
        indices, many = (wrt,) if isinstance(wrt, int) else wrt, isinstance(wrt, tuple)
    else:
        raise ArgumentError(
            f"numerical_grad of {f!r}: wrt names need a function defined by def",
            hint="give wrt as argument positions",
        )
    _wrt_leaves(f, args, indices, "numerical_grad")
    base = [_as_float64(a) for a in args]
    gradients = []
    for index in indices:

        def evaluate(value: Any, index: int = index) -> Any:
            call = list(base)
            call[index] = value
            return f(*call)

        gradients.append(_numerical(evaluate, base[index], eps))
    return tuple(gradients) if many else gradients[0]


def _named_parameters_only(
    f: Callable, what: str, indices: tuple[int, ...] | None = None
) -> None:
    """Refuse a function taking ``*args`` or ``**kwargs`` (for ``indices``,
    only when one of them is that parameter or one after it): ``wrt``
    counts its parameters (``*xs`` is one, a tuple), the differences here
    count the call's positions."""
    code = user_function(f).__code__
    first = code.co_argcount  # the index of *args (or **kwargs) among them
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS) and (
        indices is None or max(indices) >= first
    ):
        raise ArgumentError(
            f"{what} of {code.co_name}, which takes *args or **kwargs",
            hint="check a def with named parameters that calls it "
            "(def g(x, y): return f(x, y))",
        )


def _numerical(evaluate: Callable[[Any], Any], x: Any, eps: float) -> Any:
    """Central differences of ``evaluate`` at ``x``: a float, an array, or a
    list, tuple or dict of them, or an object node (perturbed one leaf at
    a time; its static fields None in the result, as in a gradient)."""
    found = object_node(x) if type(x).__module__ != "builtins" else None
    if found is not None:
        node, children = found

        def at_child(k: int) -> Callable[[Any], Any]:
            return lambda v: evaluate(
                build(node, children[:k] + [v] + children[k + 1 :])
            )

        parts = [_numerical(at_child(k), c, eps) for k, c in enumerate(children)]
        return build(node, parts, statics=False)
    if isinstance(x, (list, tuple)):
        items = list(x)

        def at_item(k: int) -> Callable[[Any], Any]:
            return lambda v: evaluate(type(x)(items[:k] + [v] + items[k + 1 :]))

        return type(x)(
            _numerical(at_item(k), item, eps) for k, item in enumerate(items)
        )
    if isinstance(x, dict):

        def at_key(key: Any) -> Callable[[Any], Any]:
            return lambda v: evaluate({**x, key: v})

        return {key: _numerical(at_key(key), item, eps) for key, item in x.items()}
    if isinstance(x, float):
        h = eps * max(1.0, abs(x))
        return float((evaluate(x + h) - evaluate(x - h)) / (2.0 * h))
    if isinstance(x, complex):
        h = eps * max(1.0, abs(x))
        dx = (evaluate(x + h) - evaluate(x - h)) / (2.0 * h)
        dy = (evaluate(x + 1j * h) - evaluate(x - 1j * h)) / (2.0 * h)
        return complex(dx - 1j * dy)
    complex_ = np.iscomplexobj(x)
    x = np.array(x, dtype=np.complex128 if complex_ else np.float64)
    out = np.zeros_like(x)
    # a complex element z = a + ib: dL/da - i dL/db (autograd's convention)
    for direction in (1.0, 1j) if complex_ else (1.0,):
        for i in np.ndindex(x.shape):
            h = eps * max(1.0, abs(x[i]))
            saved = x[i]
            x[i] = saved + direction * h
            f_up = evaluate(x)
            x[i] = saved - direction * h
            f_down = evaluate(x)
            x[i] = saved
            out[i] += np.conj(direction) * (f_up - f_down) / (2.0 * h)
    return out


def _labelled_leaves(tree: Any, label: str) -> list[tuple[str, Any]]:
    """(``name[key]...``, leaf) pairs of a gradient tree, in order."""
    found = object_node(tree) if type(tree).__module__ != "builtins" else None
    if found is not None:
        node, children = found
        keys = node.names or [f"[{k}]" for k in range(len(children))]
        return [
            pair
            for key, item in zip(keys, children)
            for pair in _labelled_leaves(
                item, f"{label}{key if key.startswith('[') else '.' + key}"
            )
        ]
    if isinstance(tree, (list, tuple)):
        return [
            pair
            for k, item in enumerate(tree)
            for pair in _labelled_leaves(item, f"{label}[{k}]")
        ]
    if isinstance(tree, dict):
        return [
            pair
            for k, item in tree.items()
            for pair in _labelled_leaves(item, f"{label}[{k!r}]")
        ]
    return [(label, tree)]


@checked_arguments
def check_grad(
    f: Callable,
    *args: Any,
    wrt: Wrt = 0,
    rtol: float | None = None,
    atol: float | None = None,
    eps: float = 1e-6,
    order: int = 1,
) -> None:
    """Assert adcompiler's derivatives of ``f`` are right.

    Checks, raising ``AssertionError`` with the worst element and both values
    on a mismatch: the gradient against central differences; that forward
    and reverse mode agree (``<u, J v> == <J^T u, v>`` for random ``u`` and
    ``v``); with ``order=2``, Hessian-vector products in a random direction
    against central differences of the gradient. Tolerances default to
    ``rtol=1e-5, atol=1e-7`` for float64 arguments and ``rtol=2e-3,
    atol=1e-4`` when an argument is float32.
    """
    f = method_function(f)  # a bound method: wrt counts after self
    _transformable(f, "check_grad")
    _named_parameters_only(f, "check_grad")
    if order not in (1, 2):
        raise ArgumentError(
            f"check_grad checks order=1 (gradients) or order=2 (Hessian-vector "
            f"products), not order={order!r}",
            hint="for higher orders, check_grad the function grad(f) computes",
        )
    indices, many = _wrt_indices(f, wrt)
    _bind(f, args, {}, "check_grad")
    analytic = grad(f, wrt=wrt)(*args)
    numeric = numerical_grad(f, *args, wrt=wrt, eps=eps)
    if not many:
        analytic, numeric = (analytic,), (numeric,)
    low_precision = any(
        getattr(a, "dtype", None) == np.float32 for a in leaves(list(args))
    )
    rtol = rtol if rtol is not None else (2e-3 if low_precision else 1e-5)
    atol = atol if atol is not None else (1e-4 if low_precision else 1e-7)
    names = f.__code__.co_varnames
    _compare(f, names, indices, analytic, numeric, rtol, atol, "gradient")
    _check_modes_agree(f, args, rtol, atol)
    if order >= 2:
        _check_second_order(f, args, indices, rtol, atol, eps)


def _compare(f, names, indices, analytic, numeric, rtol, atol, what) -> None:
    pairs = []
    for index, a, n in zip(indices, analytic, numeric):
        a_leaves = _labelled_leaves(a, names[index])
        n_leaves = _labelled_leaves(n, names[index])
        if [label for label, _ in a_leaves] != [label for label, _ in n_leaves]:
            raise AssertionError(
                f"gradient of {names[index]} has structure "
                f"{[label for label, _ in a_leaves]}, expected "
                f"{[label for label, _ in n_leaves]}"
            )
        pairs.extend((label, x, y) for (label, x), (_, y) in zip(a_leaves, n_leaves))
    for label, a, n in pairs:
        a64, n64 = _as_numbers(a), _as_numbers(n)
        if a64.shape != n64.shape:
            raise AssertionError(
                f"gradient of {label} has shape {a64.shape}, " f"expected {n64.shape}"
            )
        excess = np.abs(a64 - n64) - (atol + rtol * np.abs(n64))
        excess = np.where(np.isnan(excess), np.inf, excess)
        if excess.size and np.max(excess) > 0:
            worst = np.unravel_index(np.argmax(excess), excess.shape)
            where = f"[{', '.join(map(str, worst))}]" if excess.ndim else ""
            raise AssertionError(
                f"{what} of {f.__qualname__} with respect to {label}"
                f"{where}: adcompiler gives {a64[worst].item()!r}, central "
                f"differences give {n64[worst].item()!r} (rtol={rtol}, atol={atol})"
            )


def _as_numbers(x: Any) -> np.ndarray:
    """``x`` as a float64 array, or complex128 if it is complex."""
    return np.asarray(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64)


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    found = _over_object(lambda leaf: _random_like(leaf, rng), x)
    if found is not None:
        return found
    if isinstance(x, (list, tuple)):
        return type(x)(_random_like(item, rng) for item in x)
    if isinstance(x, dict):
        return {k: _random_like(v, rng) for k, v in x.items()}
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating):
        return rng.normal(size=x.shape).astype(x.dtype)
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.complexfloating):
        parts = rng.normal(size=(2,) + x.shape)
        return (parts[0] + 1j * parts[1]).astype(x.dtype)
    if isinstance(x, complex):
        return complex(rng.normal(), rng.normal())
    if isinstance(x, np.generic) and np.issubdtype(x.dtype, np.floating):
        return x.dtype.type(rng.normal())
    if isinstance(x, float):
        return float(rng.normal())
    return x


def _inner(a: Any, b: Any) -> float:
    if type(a).__module__ != "builtins" and object_node(a) is not None:
        return sum(_inner(x, y) for x, y in zip(leaves(a), leaves(b)))
    if isinstance(a, (list, tuple)):
        return sum(_inner(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return sum(_inner(a[k], b[k]) for k in a)
    if a is None or b is None:
        return 0.0
    # for complex values, Re(sum(a * b)): the pairing of a tangent and an
    # adjoint dL/dx - i dL/dy is dL = Re(adjoint * tangent)
    return float(np.real(np.sum(_as_numbers(a) * _as_numbers(b))))


def _check_modes_agree(f: Callable, args: tuple, rtol: float, atol: float) -> None:
    """<u, J v> (forward mode) == <J^T u, v> (reverse mode)."""
    rng = np.random.default_rng(0)
    tangents = tuple(_random_like(a, rng) for a in args)
    _, t_out = jvp(f, args, tangents)
    value, pullback = vjp(f, *args)
    u = (
        _random_like(value, rng)
        if not isinstance(value, float)
        else float(rng.normal())
    )
    cotangents = pullback(u)
    forward = _inner(u, t_out)
    reverse = sum(
        _inner(c, t) for c, t, a in zip(cotangents, tangents, args) if c is not None
    )
    if not abs(forward - reverse) <= atol + rtol * max(abs(forward), abs(reverse)):
        raise AssertionError(
            f"forward and reverse mode disagree for {f.__qualname__}: "
            f"<u, J v> = {forward!r}, <J^T u, v> = {reverse!r}"
        )


def _check_second_order(f, args, indices, rtol, atol, eps) -> None:
    """Hessian-vector products against central differences of the gradient."""
    rng = np.random.default_rng(1)
    names = f.__code__.co_varnames
    for index in indices:
        x = args[index]
        v = _random_like(x, rng)
        product = hvp(f, wrt=index)(*args, v)
        gradient = grad(f, wrt=index)
        h = eps * 10
        up, down = list(args), list(args)
        up[index] = _shifted(x, v, h)
        down[index] = _shifted(x, v, -h)
        numeric = _scaled_difference(gradient(*up), gradient(*down), 2 * h)
        _compare(
            f,
            names,
            [index],
            [product],
            [numeric],
            rtol * 100,
            atol * 100,
            "Hessian-vector product",
        )


def _shifted(x: Any, v: Any, h: float) -> Any:
    found = _over_object(lambda a, b: _shifted(a, b, h), x, v)
    if found is not None:
        return found
    if isinstance(x, (list, tuple)):
        return type(x)(_shifted(a, b, h) for a, b in zip(x, v))
    if isinstance(x, dict):
        return {key: _shifted(x[key], v[key], h) for key in x}
    if isinstance(x, (float, complex)):
        return x + h * v
    return _as_numbers(x) + h * _as_numbers(v)


def _scaled_difference(a: Any, b: Any, scale: float) -> Any:
    found = _over_object(lambda x, y: _scaled_difference(x, y, scale), a, b)
    if found is not None:
        return found
    if isinstance(a, (list, tuple)):
        return type(a)(_scaled_difference(x, y, scale) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {key: _scaled_difference(a[key], b[key], scale) for key in a}
    return (_as_numbers(a) - _as_numbers(b)) / scale
