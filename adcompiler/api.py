"""The public transformations: grad, value_and_grad, vjp, jvp, jacobian,
hessian, hvp, and show.

Guarantees: every transformation compiles through the one pipeline
(:mod:`adcompiler.pipeline`), once per ``(function, request)``: the request
holds ``wrt``, the structure of the arguments, what the call key knows of
them (scalars, ranks) and the options. Later calls run the cached generated
code after an identity check of everything the compilation depended on (the
code object, and each global, closure cell or builtin the source named), so
a reloaded module, an edited ``__code__`` or a rebound global recompiles
instead of running stale code. Compilation is serialised by a lock: threads
calling a new gradient function at once compile it once. A transformed
function can be transformed again (``grad(grad(f))``, ``jvp`` of a
``grad``): its generated code is read like the user's.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import types
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from . import primitives  # noqa: F401  (registers the rule tables)
from .callables import Checkpoint, Transformed, source_function, user_function
from .errors import ADError, ArgumentError, OutputError, WrtError
from .ir import Graph
from .options import optimizing
from .pipeline import (
    Entry,
    Product,
    Request,
    backward_changes_saved,
    check_signature,
    compiled,
    defaults,
)
from .primitives.registry import lookup
from .runtime import fit_gradient, stop_gradient as _stop_gradient
from .trees import LEAF, leaves, structure

#: ``stop_gradient(x)`` is ``x``, through which no derivative flows. It is
#: the primitive itself, so rules may call it on symbolic values too.
stop_gradient = lookup(_stop_gradient)

Wrt = int | str | Sequence[int | str]


class _Binding:
    """A gradient function's compiled entry for one call key, and the
    source function it was compiled from."""

    __slots__ = ("fn", "entry", "structures", "optimize")

    def __init__(self, fn: types.FunctionType, entry: Entry, structures: tuple):
        self.fn = fn
        self.entry = entry
        self.structures = structures
        self.optimize = optimizing()

    def valid_for(self, target: Any) -> bool:
        return (
            source_function(target, self.structures) is self.fn
            and self.entry.valid_for(self.fn)
            and self.optimize is optimizing()
        )


def _wrt_indices(fn: Any, wrt: Wrt) -> tuple[tuple[int, ...], bool]:
    """Parameter indices named by ``wrt``, and whether ``wrt`` was a tuple."""
    fn = user_function(fn)
    code = fn.__code__
    names = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    many = isinstance(wrt, (tuple, list))
    items = list(wrt) if many else [wrt]
    if many and not items:
        raise WrtError(f"wrt=() names no argument of {fn.__qualname__}")
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise WrtError(f"wrt must be an argument index or name, not {item!r}")
        if isinstance(item, str):
            if item not in names:
                raise WrtError(
                    f"wrt={item!r}: {fn.__qualname__} has no parameter {item!r} "
                    f"(parameters: {', '.join(names) or 'none'})"
                )
            indices.append(names.index(item))
        else:
            if not -len(names) <= item < len(names):
                raise WrtError(
                    f"wrt={item}: {fn.__qualname__} has {len(names)} parameter(s)"
                    f" ({', '.join(names) or 'none'})"
                )
            indices.append(item % len(names))
    if len(set(indices)) != len(indices):
        raise WrtError(f"wrt={wrt!r} names the same argument twice")
    return tuple(indices), many


#: The call-key marker of an argument that is a Python or NumPy scalar.
SCALAR = "scalar"


#: The call-key markers of NumPy arrays, by rank.
_ARRAY_OF_RANK = tuple(("ndarray", ndim) for ndim in range(65))


def _arg_key(obj: Any) -> Hashable:
    """An argument's structure; :data:`SCALAR` for a float, an int or a
    NumPy float64; ``("ndarray", ndim)`` for an array. Gradients are
    compiled for scalars apart, knowing their shape is ``()`` (see
    :mod:`adcompiler.passes.scalars`), and for each rank of array arguments
    (see :mod:`adcompiler.passes.ranks`)."""
    kind = type(obj)
    if kind is float or kind is int or kind is np.float64:
        return SCALAR
    if kind is np.ndarray:
        return _ARRAY_OF_RANK[obj.ndim]
    return structure(obj)


def _is_array_key(key: Any) -> bool:
    return type(key) is tuple and len(key) == 2 and key[0] == "ndarray"


class GradFunction(Transformed):
    """The gradient (or value and gradient) of a Python function.

    Call it with ``f``'s arguments. ``.source`` is the generated code,
    ``.graph`` the SSA graph of ``f``, ``__wrapped__`` the function it
    transforms (itself possibly a gradient function).
    """

    def __init__(self, fn: Any, wrt: Wrt, with_value: bool, has_aux: bool = False):
        check_signature(fn)
        base = user_function(fn)
        self.__wrapped__ = fn
        self._indices, self._many = _wrt_indices(fn, wrt)
        self._with_value = with_value
        self._has_aux = has_aux
        # argument structures (see trees.structure) -> compiled entry
        self._entries: dict[Any, _Binding] = {}
        self._last: _Binding | None = None
        code = base.__code__
        self._names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        self._default_structures = {k: structure(v) for k, v in defaults(base).items()}
        functools.update_wrapper(self, base)
        prefix = "value_and_grad_" if with_value else "grad_"
        self.__name__ = prefix + getattr(fn, "__name__", base.__name__)
        self.__wrapped__ = fn

    def _structures(self, key: Any) -> tuple[tuple, tuple[bool, ...], tuple]:
        """Each parameter's structure, from a call's argument structures,
        whether it is a Python or NumPy scalar, and its rank when it is an
        array (see :func:`_arg_key`)."""
        positional, keywords = key
        by_name = dict(keywords)
        # the defaults now (``__defaults__`` may have been replaced since)
        self._default_structures = {
            k: structure(v) for k, v in defaults(user_function(self)).items()
        }
        structures = []
        for index, name in enumerate(self._names):
            if index < len(positional):
                structures.append(positional[index])
            else:
                structures.append(
                    by_name.get(name, self._default_structures.get(name, LEAF))
                )
        scalars = tuple(s is SCALAR for s in structures)
        ranks = tuple(s[1] if _is_array_key(s) else None for s in structures)
        plain = tuple(
            LEAF if s is SCALAR or _is_array_key(s) else s for s in structures
        )
        return plain, scalars, ranks

    def _compiled(self, key: Any = ((), ())) -> Entry:
        """The compiled entry for a call key (compiled now if needed)."""
        return self._bound(key).entry

    def _bound(self, key: Any) -> _Binding:
        target = self.__wrapped__
        binding = self._entries.get(key)
        if binding is not None and binding.valid_for(target):
            self._last = binding
            return binding
        structures, scalars, ranks = self._structures(key)
        fn = source_function(target, structures)
        what = "derivative" if isinstance(target, Transformed) else "gradient"
        request = Request(
            "grad",
            structures,
            self._indices,
            scalars,
            ranks,
            self._has_aux,
            top=True,
            title=f"Value of {user_function(target).__qualname__} and its {what}",
            optimize=optimizing(),
        )
        binding = _Binding(fn, compiled(fn, request).ensure(), structures)
        self._entries[key] = binding
        self._last = binding
        return binding

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = (
            tuple(map(_arg_key, args)),
            tuple((k, _arg_key(v)) for k, v in kwargs.items()) if kwargs else (),
        )
        binding = self._entries.get(key)
        if binding is None or not binding.valid_for(self.__wrapped__):
            binding = self._bound(key)
        entry = binding.entry
        try:
            value, grads = entry.generated.fn(*args, **kwargs)
        except Exception as exc:
            self._explain_failure(exc, entry, args, kwargs)
            raise
        gradient = grads if self._many else grads[0]
        return (value, gradient) if self._with_value else gradient

    def as_function(self, structures: tuple) -> types.FunctionType:
        """A Python function, with source, computing what a call returns:
        what ``grad(self)`` or ``jvp(self, ...)`` differentiates."""
        entry = self._compiled((structures, ()))
        select = (self._many, self._with_value)
        adapter = entry.adapters.get(select)
        if adapter is None:
            adapter = _adapter(entry, self._many, self._with_value)
            entry.adapters[select] = adapter
        return adapter

    def _current(self) -> Entry:
        """The entry of the last call, or one for arguments that are not containers."""
        return self._last.entry if self._last is not None else self._compiled()

    def _explain_failure(
        self, exc: Exception, entry: Entry, args: tuple, kwargs: dict
    ) -> None:
        """Raise a clearer error for a call that failed, if there is one.

        Checked only after a failure, so a successful call pays nothing: an
        argument in ``wrt`` that cannot be differentiated comes first, then
        the output error placed at the user's return statement.
        """
        base = user_function(self)
        try:
            bound = inspect.signature(base).bind(*args, **kwargs)
        except TypeError:
            return
        names = list(inspect.signature(base).parameters)
        for index in self._indices:
            if names[index] in bound.arguments:
                try:
                    for leaf in leaves(bound.arguments[names[index]]):
                        fit_gradient(0.0, leaf)
                except WrtError as wrt_error:
                    raise WrtError(
                        f"argument `{names[index]}` of "
                        f"{base.__qualname__}: {wrt_error.message}",
                        hint=wrt_error.hint,
                    ) from exc
        if isinstance(exc, OutputError) and exc.loc is None:
            raise OutputError(exc.message, entry.return_loc, exc.hint) from None

    @property
    def source(self) -> str:
        """The generated Python source, black-formatted."""
        return self._current().generated.source

    @property
    def graph(self) -> Graph:
        """The SSA graph of the original function."""
        return self._current().graph

    @property
    def adjoint_graph(self) -> Graph:
        """The SSA graph of the generated forward and backward sweeps."""
        return self._current().result

    def __repr__(self) -> str:
        kind = "value_and_grad" if self._with_value else "grad"
        return f"<adcompiler {kind} of {user_function(self).__qualname__}>"

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return types.MethodType(self, instance)


def _adapter(entry: Entry, many: bool, with_value: bool) -> types.FunctionType:
    """``def f(args): value, grads = generated(args); return <what a call returns>``,
    compiled in the generated code's namespace under its own file name."""
    generated = entry.generated.fn
    params = list(inspect.signature(generated).parameters)
    result = "grads" if many else "grads[0]"
    if with_value:
        result = f"value, {result}"
    name = f"{generated.__name__}_result"
    arguments = ", ".join(params)
    source = (
        f"def {name}({arguments}):\n"
        f"    value, grads = {generated.__name__}({arguments})\n"
        f"    return {result}\n"
    )
    filename = entry.generated.filename[:-1] + " (result)>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = entry.generated.namespace
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def _transform(f: Callable | None, wrt: Wrt, with_value: bool, has_aux: bool) -> Any:
    if f is None:
        return lambda fn: GradFunction(fn, wrt, with_value, has_aux)
    return GradFunction(f, wrt, with_value, has_aux)


def grad(f: Callable | None = None, *, wrt: Wrt = 0) -> Any:
    """The gradient of ``f``'s scalar output with respect to argument(s) ``wrt``.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (the
    result is then a tuple of gradients in that order). Each gradient has
    its argument's type, shape and floating dtype, and a list, tuple or dict
    argument gets a gradient of the same structure. Use as ``@grad``,
    ``@grad(wrt=1)`` or ``grad(f, wrt="W")``; ``f`` may itself be a gradient
    function (``grad(grad(f))``).
    """
    return _transform(f, wrt, False, False)


def value_and_grad(
    f: Callable | None = None, *, wrt: Wrt = 0, has_aux: bool = False
) -> Any:
    """Like :func:`grad`, returning ``(value, gradient)`` from one forward and
    one backward sweep. With ``has_aux``, ``f`` returns ``(value, aux)``,
    only ``value`` is differentiated, and the result is
    ``((value, aux), gradient)``."""
    return _transform(f, wrt, True, has_aux)


def show(g: Any) -> None:
    """Print the generated source of a transformed function."""
    print(g.source)


# ---------------------------------------------------------------------------
# vjp, jvp and what is built on them


def _is_float(x: Any) -> bool:
    if isinstance(x, (bool, int)) and not isinstance(x, np.generic):
        return False
    if isinstance(x, float):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.issubdtype(dtype, np.floating)


def _signature_of(args: Sequence[Any]) -> tuple[tuple, list, tuple]:
    structures = tuple(structure(a) for a in args)
    flat = [leaf for a in args for leaf in leaves(a)]
    active = tuple(_is_float(leaf) for leaf in flat)
    return structures, flat, active


def _top_request(kind: str, structures: tuple, active: tuple, args: tuple) -> Request:
    """The request of a transformation of a function called with ``args``:
    what the call key knows of them, as :class:`GradFunction` knows it."""
    keys = [_arg_key(arg) for arg in args]
    return Request(
        kind,
        structures,
        active,
        tuple(key is SCALAR for key in keys),
        tuple(key[1] if _is_array_key(key) else None for key in keys),
        top=True,
        optimize=optimizing(),
    )


def _rebuild(structures: tuple, flat: list) -> tuple:
    items = iter(flat)

    def build(shape: Any) -> Any:
        if shape is LEAF:
            return next(items)
        kind, children = shape
        if kind is dict:
            return {key: build(child) for key, child in children}
        return kind(build(child) for child in children)

    return tuple(build(shape) for shape in structures)


class Pullback:
    """``pullback(g)``: the cotangents of all positional arguments of ``f``
    at the point :func:`vjp` evaluated it, given the cotangent ``g`` of its
    result (of the result's structure and shapes).

    It may be called any number of times. A backward sweep that changes
    what the forward saved (it undoes the forward's in-place writes and pops
    the lists it grew, to read each value as it was: see
    :func:`adcompiler.pipeline.backward_changes_saved`) leaves nothing a
    second call could use; every call after the first then runs the
    forward again on the same arguments, for fresh residuals.
    """

    def __init__(self, split: Product, saved: Any, args: tuple, name: str = "f"):
        self._split = split
        self._saved = saved
        self._entry = saved[0]
        self._name = name
        self._args = args
        self._structures, self._flat, self._active = _signature_of(args)

    def __call__(self, g: Any) -> tuple:
        entry = self._entry
        mask = entry.seed_mask
        flat_g = leaves(g)
        if len(flat_g) != len(mask):
            raise ArgumentError(
                f"the cotangent given to the pullback has {len(flat_g)} "
                f"leaves; the result of {self._name} has {len(mask)}",
                hint="pass a cotangent of the structure of the result vjp returned",
            )
        seeds = [leaf for leaf, is_value in zip(flat_g, mask) if is_value]
        saved = self._saved
        if saved is None:
            _, saved = self._split.forward(*self._args)
        elif backward_changes_saved(self._entry):
            self._saved = None
        adjoints = iter(self._split.backward(saved, *seeds))
        flat = [
            fit_gradient(next(adjoints), leaf) if flag else None
            for leaf, flag in zip(self._flat, self._active)
        ]
        return _rebuild(self._structures, flat)

    @property
    def source(self) -> str:
        """The generated forward and backward halves."""
        return self._split.source


def vjp(f: Callable, *args: Any) -> tuple[Any, Pullback]:
    """``(f(*args), pullback)``; ``pullback(g)`` gives the cotangents of all
    positional arguments (None for arguments that are not floats)."""
    structures, _, active = _signature_of(args)
    fn = source_function(f, structures)
    split = compiled(fn, _top_request("split", structures, active, args))
    value, saved = split.forward(*args)
    return value, Pullback(split, saved, args, user_function(f).__qualname__)


def jvp(
    f: Callable, primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)`` by forward-mode source transformation.

    ``tangents`` has the structure of ``primals``; the tangents of leaves
    that are not floats are ignored. The generated code is
    ``jvp_source(f, primals)``.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    structures, _, active = _signature_of(primals)
    flat_tangents = [leaf for t in tangents for leaf in leaves(t)]
    if tuple(structure(t) for t in tangents) != structures:
        raise WrtError("tangents must have the structure of primals")
    fn = source_function(f, structures)
    call = compiled(fn, _top_request("tangent", structures, active, primals)).call
    inputs = [t for t, flag in zip(flat_tangents, active) if flag]
    return call(*primals, *inputs)


def jvp_source(f: Callable, primals: Sequence[Any]) -> str:
    """The generated forward-mode code :func:`jvp` runs for these arguments."""
    primals = tuple(primals)
    structures, _, active = _signature_of(primals)
    fn = source_function(f, structures)
    return compiled(fn, _top_request("tangent", structures, active, primals)).source


def jacobian(f: Callable, wrt: int | str = 0, mode: str = "rev") -> Callable:
    """A function giving the Jacobian of ``f`` with respect to argument
    ``wrt``, of shape ``out.shape + arg.shape``: one :func:`vjp` per element
    of the result (``mode="rev"``) or one :func:`jvp` per element of the
    argument (``mode="fwd"``)."""
    if mode not in ("rev", "fwd"):
        raise ADError(f"jacobian mode must be 'rev' or 'fwd', not {mode!r}")
    (index,), _ = _wrt_indices(f, wrt)

    def jacobian_of(*args: Any) -> np.ndarray:
        arg = np.asarray(args[index], dtype=float)
        if mode == "rev":
            out, pullback = vjp(f, *args)
            out_shape = np.shape(out)
            rows = np.zeros(out_shape + arg.shape)
            for position in np.ndindex(*out_shape):
                cotangent = np.zeros(out_shape)
                cotangent[position] = 1.0
                seed = cotangent if out_shape else float(cotangent)
                rows[position] = pullback(seed)[index]
            return rows
        columns = None
        for position in np.ndindex(*arg.shape):
            tangents = [_zeros_like_tree(a) for a in args]
            direction = np.zeros(arg.shape)
            direction[position] = 1.0
            tangents[index] = direction if arg.shape else float(direction)
            _, t_out = jvp(f, args, tangents)
            t_out = np.asarray(t_out, dtype=float)
            if columns is None:
                columns = np.zeros(t_out.shape + arg.shape)
            columns[(...,) + position] = t_out
        return columns

    return jacobian_of


def _zeros_like_tree(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return type(x)(_zeros_like_tree(item) for item in x)
    if isinstance(x, dict):
        return {k: _zeros_like_tree(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return np.zeros_like(x, dtype=float)
    return 0.0


def hessian(f: Callable, wrt: int | str = 0) -> Callable:
    """The Hessian of scalar ``f`` with respect to argument ``wrt``:
    forward mode over the generated gradient (one jvp per input element)."""
    return jacobian(grad(f, wrt=wrt), wrt=wrt, mode="fwd")


def hvp(f: Callable, wrt: int | str = 0) -> Callable:
    """``hvp(f, wrt)(*args, v)``: the Hessian of scalar ``f`` with respect to
    argument ``wrt`` times ``v``, without forming the Hessian (forward mode
    over the generated gradient)."""
    (index,), _ = _wrt_indices(f, wrt)
    gradient = grad(f, wrt=wrt)

    def hessian_vector_product(*args_and_v: Any) -> Any:
        *args, v = args_and_v
        tangents = [_zeros_like_tree(a) for a in args]
        tangents[index] = v
        return jvp(gradient, args, tangents)[1]

    return hessian_vector_product


def checkpoint(fn: Callable) -> Callable:
    """``fn``, recomputed instead of stored when differentiated code calls it.

    Called directly, the result is ``fn``'s. In a function being
    differentiated, a call of ``checkpoint(fn)`` (or of a function decorated
    with ``@checkpoint``) keeps only its arguments for the backward sweep;
    the backward runs ``fn``'s forward again to rebuild its intermediates,
    then differentiates it. Gradients are unchanged: memory drops by what
    ``fn``'s backward would have kept, time grows by one more evaluation of
    ``fn``. Typical use: the cell of a recurrent network, called once per
    time step, whose intermediates would otherwise be stored for every step.
    """
    return Checkpoint(fn)
