"""The public transformations: grad, value_and_grad, vjp, jvp, jacobian,
hessian, hvp, and show.

Guarantees: every transformation compiles through the one pipeline
(:mod:`adcompiler.pipeline`), once per ``(function, request)``: the request
holds ``wrt``, the structure of the arguments, what the call key knows of
them (scalars, ranks) and the options. Later calls run the cached generated
code after a check of everything the compilation read from outside the
function (its code object and defaults, each global, closure cell or builtin
the source named, each attribute chain read from them, each callee's own
record: :class:`adcompiler.frontend.Dependencies`), so a reloaded module, an
edited ``__code__``, new defaults, a rebound global or a changed module
attribute recompiles instead of running stale code. Compilation is serialised by a lock: threads
calling a new gradient function at once compile it once. A transformed
function can be transformed again (``grad(grad(f))``, ``jvp`` of a
``grad``): its generated code is read like the user's.
"""

from __future__ import annotations

import functools
import inspect
import contextlib
import linecache
import types
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from . import primitives  # noqa: F401  (registers the rule tables)
from .codegen import unique_filename
from .boundary import internal_args, method_function, parameters_text, result_shape
from .callables import (
    Checkpoint,
    Transformed,
    compile_time,
    source_function,
    user_function,
)
from .errors import (
    ADError,
    ArgumentError,
    OutputError,
    StaticArgumentNeeded,
    UnsupportedSyntaxError,
    WrtError,
)
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
from .primitives import higher_order
from .primitives.registry import lookup
from .runtime import (
    complex_derivative,
    fit_gradient,
    is_complex,
    stop_gradient as _stop_gradient,
)
from .boundary import Boundary
from .specialise import NOT_CONSTANT, as_constant, learn, specialised, static_names
from .trees import (
    LEAF,
    Constant,
    Fixed,
    Node,
    argument_structure,
    build as build_object,
    derivative,
    describe,
    has_objects,
    keys_of,
    leaves,
    matching,
    rebuild,
    structure,
    unflatten_leaves,
)
from .tracebacks import BOUNDARY, checked_arguments, user_place as _user_place

#: ``stop_gradient(x)`` is ``x``, through which no derivative flows. It is
#: the primitive itself, so rules may call it on symbolic values too.
stop_gradient = lookup(_stop_gradient)

Wrt = int | str | Sequence[int | str]


def _chosen_wrt(wrt: Wrt | None, argnums: Wrt | None, what: str) -> Wrt:
    """The arguments to differentiate: ``wrt`` or its JAX spelling
    ``argnums`` (the same meaning; 0 when neither is given). Both given is
    an :class:`ArgumentError`."""
    if argnums is None:
        return 0 if wrt is None else wrt
    if wrt is not None:
        raise ArgumentError(
            f"{what} was given both wrt={wrt!r} and argnums={argnums!r}",
            hint="give one of them: argnums is JAX's name for wrt",
        )
    return argnums


class _Binding:
    """A gradient function's compiled entry for one call key, and the
    source function it was compiled from."""

    __slots__ = ("fn", "entry", "structures", "optimize", "boundary", "source")

    def __init__(
        self,
        fn: types.FunctionType,
        entry: Entry,
        structures: tuple,
        indices: tuple = (),
        output: Any = LEAF,
        source: tuple | None = None,
    ):
        self.fn = fn
        self.entry = entry
        self.structures = structures
        #: what ``fn`` was asked for with (the call key's scalars and ranks)
        self.source = structures if source is None else source
        self.optimize = optimizing()
        # objects (dataclasses, ...) in the arguments or result: converted
        self.boundary = Boundary.of(fn, structures, indices, output)

    def valid_for(self, target: Any) -> bool:
        return (
            source_function(target, self.source) is self.fn
            and self.entry.valid_for(self.fn)
            and self.optimize is optimizing()
        )


def _wrt_indices(fn: Any, wrt: Wrt) -> tuple[tuple[int, ...], bool]:
    """Parameter indices named by ``wrt``, and whether ``wrt`` was a tuple."""
    fn = user_function(fn)
    names = list(inspect.signature(fn).parameters)  # *args and **kwargs too
    many = isinstance(wrt, (tuple, list))
    items = list(wrt) if many else [wrt]
    if many and not items:
        raise WrtError(
            f"wrt=() names no argument of {fn.__qualname__}",
            hint="name one argument (wrt=0) or several (wrt=(0, 1))",
        )
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise WrtError(
                f"wrt must be an argument index or name, not {item!r}",
                hint="wrt=0, wrt='W', or a tuple of them",
            )
        if isinstance(item, str):
            if item not in names:
                raise WrtError(
                    f"wrt={item!r}: {fn.__qualname__} has no parameter {item!r} "
                    f"(parameters: {', '.join(names) or 'none'})",
                    hint="name one of its parameters, or give its index",
                )
            indices.append(names.index(item))
        else:
            if not -len(names) <= item < len(names):
                raise WrtError(
                    f"wrt={item}: {fn.__qualname__} has {len(names)} parameter(s)"
                    f" ({', '.join(names) or 'none'})",
                    hint=(
                        f"give an index from 0 to {len(names) - 1}, or a name"
                        if names
                        else "differentiate a function that takes arguments"
                    ),
                )
            indices.append(item % len(names))
    if len(set(indices)) != len(indices):
        raise WrtError(
            f"wrt={wrt!r} names the same argument twice",
            hint="name each argument once",
        )
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
    return argument_structure(obj)


def _default_key(obj: Any) -> Hashable:
    """A default's structure: :data:`SCALAR` for a number (the code is
    compiled knowing its shape is ``()``, as for a number passed; a
    changed ``__defaults__`` compiles again), else its argument structure
    (an array default is not taken to keep its rank)."""
    key = _arg_key(obj)
    return key if key is SCALAR else argument_structure(obj)


#: The kinds of parameter a call packs: ``*args`` into a tuple, ``**kwargs``
#: into a dict.
_PACKED = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def _packed_keys(fn: Any, positional: tuple, keywords: tuple) -> tuple[tuple, tuple]:
    """A call's argument keys (:func:`_arg_key`) as keywords by parameter
    name, the ``*args`` parameter's being the structure of the tuple it is
    bound to, the ``**kwargs`` one's that of the dict (a call Python would
    refuse is left as it is: calling the compiled code raises its error)."""
    signature = inspect.signature(fn)
    try:
        bound = signature.bind_partial(*positional, **dict(keywords))
    except TypeError:
        return positional, keywords

    def leaf(key: Any) -> Any:
        return LEAF if key is SCALAR or _is_array_key(key) else key

    named = dict(bound.arguments)
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            named[name] = (tuple, tuple(leaf(k) for k in named.get(name, ())))
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            items = named.get(name, {}).items()
            named[name] = (dict, tuple((k, leaf(v)) for k, v in items))
    return (), tuple(named.items())


def _constant_key(value: Any, key: Any) -> Any:
    """The :class:`Constant` of ``value``, or ``key`` when code cannot be
    specialised on it (the compilation then refuses it, naming it)."""
    constant = as_constant(value)
    return key if constant is NOT_CONSTANT else Constant(constant)


def _marked(structures: tuple, scalars: tuple, ranks: tuple) -> tuple:
    """``structures`` with each leaf known to be a scalar or an array of a
    rank as its call-key marker (:func:`_arg_key`): what a transformed
    function's code is asked for (``as_function``), so the gradient it
    differentiates is compiled knowing them too."""
    out = []
    for k, shape in enumerate(structures):
        if shape is LEAF and k < len(scalars) and scalars[k]:
            out.append(SCALAR)
        elif shape is LEAF and k < len(ranks) and ranks[k] is not None:
            out.append(_ARRAY_OF_RANK[ranks[k]])
        else:
            out.append(shape)
    return tuple(out)


def _is_array_key(key: Any) -> bool:
    return type(key) is tuple and len(key) == 2 and key[0] == "ndarray"


_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth"}


@contextlib.contextmanager
def _through_generated_code(target: Any) -> Any:
    """Errors raised while compiling a transformation of a transformed
    function point into generated code: name the derivative and the user's
    line that code comes from."""
    try:
        yield
    except ADError as exc:
        loc = exc.loc
        if loc is None or not loc.file.startswith("<adcompiler:"):
            raise
        if isinstance(exc, StaticArgumentNeeded) and exc.params:
            raise  # the caller may specialise on them (see .specialise)
        order = 1
        inner = target
        while isinstance(inner, Transformed):
            order += 1
            inner = inner.__wrapped__
        place = _user_place(loc)
        name = getattr(user_function(target), "__qualname__", "f")
        nth = _ORDINALS.get(order, f"{order}th")
        where = f" (from the code generated for line {place.line})" if place else ""
        raise type(exc)(
            f"in the {nth}-order derivative of {name}{where}: {exc.message} "
            f"[at {loc}: {loc.text.strip()}]",
            place,
            f"the {nth}-order derivative transforms the code generated for the "
            "order below, which uses this construct there; take fewer orders "
            "through it (or numerical_grad of the lower-order derivative)",
        ) from None


class GradFunction(Transformed):
    """The gradient (or value and gradient) of a Python function.

    Call it with ``f``'s arguments. ``.source`` is the generated code,
    ``.graph`` the SSA graph of ``f``, ``__wrapped__`` the function it
    transforms (itself possibly a gradient function).
    """

    def __init__(self, fn: Any, wrt: Wrt, with_value: bool, has_aux: bool = False):
        fn = method_function(fn)  # grad(model.loss): self a compile-time object
        _not_made_by_a_loop(fn, "value_and_grad" if with_value else "grad")
        check_signature(fn)
        base = user_function(fn)
        self.__wrapped__ = fn
        self._indices, self._many = _wrt_indices(fn, wrt)
        self._with_value = with_value
        self._has_aux = has_aux
        # argument structures (see trees.structure) -> compiled entry
        self._entries: dict[Any, _Binding] = {}
        self._last: _Binding | None = None
        self._names = tuple(inspect.signature(base).parameters)
        #: the parameters a positional argument may bind (before ``*args``)
        self._positional = tuple(
            name
            for name, p in inspect.signature(base).parameters.items()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        self._default_structures = {
            k: _default_key(v) for k, v in defaults(base).items()
        }
        functools.update_wrapper(self, base)
        prefix = "value_and_grad_" if with_value else "grad_"
        self.__name__ = prefix + getattr(fn, "__name__", base.__name__)
        self.__wrapped__ = fn

    def _structures(self, key: Any) -> tuple[tuple, tuple[bool, ...], tuple]:
        """Each parameter's structure, from a call's argument structures,
        whether it is a Python or NumPy scalar, and its rank when it is an
        array (see :func:`_arg_key`)."""
        positional, keywords = key
        if any(p.kind in _PACKED for p in inspect.signature(self).parameters.values()):
            positional, keywords = _packed_keys(self, positional, keywords)
        by_name = dict(keywords)
        # the defaults now (``__defaults__`` may have been replaced since)
        self._default_structures = {
            k: _default_key(v) for k, v in defaults(user_function(self)).items()
        }
        learnt = static_names(user_function(self))
        given_defaults = defaults(user_function(self)) if learnt else {}
        structures = []
        for index, name in enumerate(self._names):
            if index < len(positional):
                structures.append(positional[index])
            elif name in by_name or name not in learnt:
                structures.append(
                    by_name.get(name, self._default_structures.get(name, LEAF))
                )
            else:  # a default the code is specialised on
                structures.append(
                    _constant_key(given_defaults.get(name), LEAF)
                    if name in given_defaults
                    else LEAF
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
        for index in self._indices:
            _not_a_function(self, structures[index], index)
        # a transformed target compiles its code knowing what this key knows
        marked = _marked(structures, scalars, ranks)
        fn = source_function(target, marked)
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
        with _through_generated_code(target):
            entry = compiled(fn, request).ensure()
        output = _output_shape(target, marked, entry)
        binding = _Binding(fn, entry, structures, self._indices, output, marked)
        self._entries[key] = binding
        self._last = binding
        return binding

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with BOUNDARY:  # the traceback of an error points at the user's lines
            return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict) -> Any:
        plain = (
            tuple(map(_arg_key, args)),
            tuple((k, _arg_key(v)) for k, v in kwargs.items()) if kwargs else (),
        )
        learnt = static_names(user_function(self))
        key = self._static_key(plain, args, kwargs, learnt) if learnt else plain
        binding = self._entries.get(key)
        if binding is None or not binding.valid_for(self.__wrapped__):
            binding = self._learning(plain, key, args, kwargs)
        entry = binding.entry
        boundary = binding.boundary
        try:
            if boundary is None:
                value, grads = entry.generated.fn(*args, **kwargs)
            else:
                inner, inner_kwargs = boundary.inputs(args, kwargs)
                value, grads = entry.generated.fn(*inner, **inner_kwargs)
                value, grads = boundary.value(value), boundary.gradients(grads)
        except Exception as exc:
            self._explain_failure(exc, entry, args, kwargs)
            raise
        gradient = grads if self._many else grads[0]
        if self._with_value:
            return value, gradient
        return (gradient, value[1]) if self._has_aux else gradient

    def _static_key(
        self, key: Any, args: tuple, kwargs: dict, learnt: frozenset
    ) -> Any:
        """The call key with each argument given for a parameter in
        ``learnt`` as the :class:`Constant` of its value."""
        positional, keywords = key
        names = self._positional
        positional = tuple(
            (_constant_key(args[i], k) if i < len(names) and names[i] in learnt else k)
            for i, k in enumerate(positional)
        )
        keywords = tuple(
            (name, _constant_key(kwargs[name], k) if name in learnt else k)
            for name, k in keywords
        )
        return positional, keywords

    def _learning(self, plain: Any, key: Any, args: tuple, kwargs: dict) -> _Binding:
        """:meth:`_bound` for a call with ``args`` and ``kwargs``, compiled
        again, specialised, while a parameter reaching a static parameter
        of a rule is learnt (see :mod:`adcompiler.specialise`)."""
        while True:
            try:
                return self._bound(key)
            except StaticArgumentNeeded as exc:
                full = _bind(self, args, kwargs, self.__name__)
                wrt = [self._names[i] for i in self._indices]
                learn(user_function(self), exc, self._names, full, wrt)
                learnt = static_names(user_function(self))
                key = self._static_key(plain, args, kwargs, learnt)

    def _result_shape(self, structures: tuple) -> Any:
        """The structure of what a call returns for arguments of
        ``structures`` (objects as their nodes; see :mod:`.boundary`)."""
        boundary = self._bound((structures, ())).boundary
        if boundary is None:
            return LEAF
        plain = self._structures((structures, ()))[0]
        grads = tuple(derivative(plain[index]) for index in self._indices)
        shape = (tuple, grads) if self._many else grads[0]
        return (tuple, (boundary.output, shape)) if self._with_value else shape

    def as_function(self, structures: tuple) -> types.FunctionType:
        """A Python function, with source, computing what a call returns:
        what ``grad(self)`` or ``jvp(self, ...)`` differentiates."""
        if any(p.kind in _PACKED for p in inspect.signature(self).parameters.values()):
            # its generated code would be called with *args spread out
            raise UnsupportedSyntaxError(
                f"a derivative of the gradient of {self.__wrapped__.__qualname__}, "
                "which takes *args or **kwargs",
                hint="give the function named parameters (a tuple or dict can "
                "be passed as one argument)",
            )
        entry = self._compiled((structures, ()))
        select = (self._many, self._with_value, self._has_aux)
        adapter = entry.adapters.get(select)
        if adapter is None:
            adapter = _adapter(entry, *select)
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
        full = _bind(self, args, kwargs, self.__name__)
        _wrt_leaves(self, full, self._indices, "")
        if isinstance(exc, OutputError) and exc.loc is None:
            raise OutputError(exc.message, entry.return_loc, exc.hint) from None

    @property
    def source(self) -> str:
        """The generated Python source, black-formatted."""
        with BOUNDARY:
            return self._current().generated.source

    @property
    def graph(self) -> Graph:
        """The SSA graph of the original function."""
        with BOUNDARY:
            return self._current().graph

    @property
    def adjoint_graph(self) -> Graph:
        """The SSA graph of the generated forward and backward sweeps."""
        with BOUNDARY:
            return self._current().result

    def __repr__(self) -> str:
        kind = "value_and_grad" if self._with_value else "grad"
        return f"<adcompiler {kind} of {user_function(self).__qualname__}>"

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return types.MethodType(self, instance)


def _output_shape(target: Any, structures: tuple, entry: Entry) -> Any:
    """The structure of what the generated code of ``target`` (for these
    argument structures) returns, objects as their nodes: a gradient
    function's as its call returns it (its generated code, lowered again,
    spells its objects as tuples)."""
    if isinstance(target, GradFunction):
        return target._result_shape(structures)
    return result_shape(entry)


def _adapter(
    entry: Entry, many: bool, with_value: bool, has_aux: bool = False
) -> types.FunctionType:
    """``def f(args): value, grads = generated(args); return <what a call returns>``,
    compiled in the generated code's namespace under its own file name, with
    the generated function's parameters and defaults (the user's)."""
    generated = entry.generated.fn
    namespace = entry.generated.namespace
    params, arguments = parameters_text(inspect.signature(generated), namespace)
    result = "grads" if many else "grads[0]"
    if with_value:
        result = f"value, {result}"
    elif has_aux:
        result = f"{result}, value[1]"
    name = f"{generated.__name__}_result"
    source = (
        f"def {name}({params}):\n"
        f"    value, grads = {generated.__name__}({arguments})\n"
        f"    return {result}\n"
    )
    filename = unique_filename(entry.generated.filename[:-1] + " (result)>", source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def _transform(f: Callable | None, wrt: Wrt, with_value: bool, has_aux: bool) -> Any:
    if not isinstance(has_aux, bool):
        raise ArgumentError(
            f"has_aux must be True or False, not {_short(has_aux)}",
            hint="has_aux=True when f returns (value, aux)",
        )
    what = "value_and_grad" if with_value else "grad"
    if f is not None and not callable(f):
        raise ArgumentError(
            f"{what} takes the function to differentiate, not "
            f"{type(f).__name__} {_short(f)}",
            hint=f"use {what}(f, wrt=...) or @{what} on a def",
        )
    if f is None:
        return lambda fn: GradFunction(fn, wrt, with_value, has_aux)
    return GradFunction(f, wrt, with_value, has_aux)


@compile_time
@checked_arguments
def grad(
    f: Callable | None = None,
    *,
    wrt: Wrt | None = None,
    argnums: Wrt | None = None,
    has_aux: bool = False,
) -> Any:
    """The gradient of ``f``'s scalar output with respect to argument(s) ``wrt``.

    ``wrt`` is a parameter index, a parameter name, or a tuple of them (the
    result is then a tuple of gradients in that order); ``argnums`` is its
    JAX name (give one of the two; both is an :class:`ArgumentError`). Each
    gradient has its argument's type, shape and floating dtype, and a list,
    tuple or dict argument gets a gradient of the same structure. Use as
    ``@grad``, ``@grad(wrt=1)`` or ``grad(f, wrt="W")``; ``f`` may itself be
    a gradient function (``grad(grad(f))``). The output may be a real
    scalar or an array of one element (as autograd accepts). With
    ``has_aux``, ``f`` returns ``(value, aux)``, only ``value`` is
    differentiated, and a call returns ``(gradient, aux)``, as in JAX.
    """
    return _transform(f, _chosen_wrt(wrt, argnums, "grad"), False, has_aux)


@compile_time
@checked_arguments
def value_and_grad(
    f: Callable | None = None,
    *,
    wrt: Wrt | None = None,
    argnums: Wrt | None = None,
    has_aux: bool = False,
) -> Any:
    """Like :func:`grad`, returning ``(value, gradient)`` from one forward and
    one backward sweep. With ``has_aux``, ``f`` returns ``(value, aux)``,
    only ``value`` is differentiated, and the result is
    ``((value, aux), gradient)``. ``argnums`` is JAX's name for ``wrt``."""
    wrt = _chosen_wrt(wrt, argnums, "value_and_grad")
    return _transform(f, wrt, True, has_aux)


@checked_arguments
def show(g: Any) -> None:
    """Print the generated source of a transformed function."""
    source = getattr(g, "source", None)
    if not isinstance(source, str):
        raise ArgumentError(
            f"show takes a transformed function (grad(f), a vjp pullback), not "
            f"{type(g).__name__} {_short(g)}",
            hint="show(grad(f)); adcompiler.explain(f) describes f itself",
        )
    print(source)


# ---------------------------------------------------------------------------
# vjp, jvp and what is built on them


def _is_float(x: Any) -> bool:
    """Whether ``x`` is a leaf with a derivative: a float or a complex
    number, or an array of them."""
    if isinstance(x, (bool, int)) and not isinstance(x, np.generic):
        return False
    if isinstance(x, (float, complex)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and dtype.kind in "fc"


def _signature_of(args: Sequence[Any], count: int | None = None) -> tuple:
    """The structures of ``args``, their leaves, and which leaves are
    differentiated: the floats among the leaves of the first ``count``
    arguments (all of them when ``count`` is None; the others are defaults
    or keyword arguments, passed as constants)."""
    structures = tuple(argument_structure(a) for a in args)
    flat, active = [], []
    for position, arg in enumerate(args):
        differentiated = count is None or position < count
        for leaf in leaves(arg):
            flat.append(leaf)
            active.append(differentiated and _is_float(leaf))
    return structures, flat, tuple(active)


def _transformable(f: Any, what: str) -> types.FunctionType:
    """The user's function under ``f``, or the error saying why ``f`` cannot
    be transformed (not callable, no Python source, ``*args``)."""
    if not callable(f):
        raise ArgumentError(
            f"{what} takes the function to differentiate first, not "
            f"{type(f).__name__} {_short(f)}",
            hint=f"call it as {what}(f, ...) with f defined by def",
        )
    _not_made_by_a_loop(f, what)
    check_signature(f)  # SourceUnavailableError for builtins, ufuncs, lambdas
    return user_function(f)


def _not_made_by_a_loop(f: Any, what: str) -> None:
    """Refuse a function made by :func:`jacobian`, :func:`hessian` or
    :func:`hvp`: Python loops over jvps and pullbacks, not code adcompiler
    reads (its generated gradients are)."""
    made_by = getattr(f, "__adcompiler_made_by__", None)
    if made_by is not None:
        raise ArgumentError(
            f"{what} of {getattr(f, '__name__', made_by)}, a function made by "
            f"{made_by}, is not supported: it loops over jvps and pullbacks in "
            "Python, which is not code adcompiler differentiates",
            hint="transform the gradient instead: grad(grad(grad(f))) or "
            "hessian(grad(f)) for third derivatives, jacobian(grad(f)) for a "
            "Hessian",
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _bind(f: Any, args: tuple, kwargs: dict, what: str) -> tuple:
    """Every parameter of ``f``, in order, for a call with ``args`` and
    ``kwargs``: defaults filled in. Raises :class:`ArgumentError` where
    Python would raise ``TypeError`` for the call."""
    base = user_function(f)
    signature = inspect.signature(base)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise ArgumentError(
            f"{what}: {base.__qualname__}{signature} cannot be called with "
            f"{_described(args, kwargs)}: {exc}",
            hint=f"pass the arguments {base.__qualname__} takes",
        ) from None
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def _described(args: tuple, kwargs: dict) -> str:
    parts = [type(a).__name__ for a in args]
    parts += [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    return f"({', '.join(parts)})"


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


def _top_product(f: Any, kind: str, full: tuple, active: tuple) -> tuple:
    """``(product, structures, marked)``: ``f`` compiled as ``kind`` for a call
    with every parameter's value ``full`` (the leaves ``active`` marks
    differentiated), specialised on the parameters that reach a static
    parameter of a rule, learnt here when needed (:mod:`.specialise`)."""
    base = user_function(f)
    names = tuple(inspect.signature(base).parameters)
    plain = tuple(argument_structure(a) for a in full)
    flags = iter(active)
    differentiated = [
        name
        for name, arg in zip(names, full)
        if any([next(flags, False) for _ in leaves(arg)])
    ]
    while True:
        structures = specialised(base, names, plain, full)
        marked = tuple(
            s if s is not LEAF else _arg_key(a) for s, a in zip(structures, full)
        )
        try:
            with _through_generated_code(f):
                # a transformed f compiles its own code here: it may need
                # statics too
                fn = source_function(f, marked)
                product = compiled(fn, _top_request(kind, structures, active, full))
            return product, structures, marked
        except StaticArgumentNeeded as exc:
            learn(base, exc, names, full, differentiated)


def _rebuild(structures: tuple, flat: list) -> tuple:
    items = iter(flat)

    def build(shape: Any) -> Any:
        if shape is LEAF or isinstance(shape, (Fixed, Constant)):
            return next(items)
        kind, children = shape
        if kind is dict:
            return {key: build(child) for key, child in children}
        if isinstance(kind, Node):  # a dataclass, ...: a derivative's statics None
            return build_object(kind, [build(child) for child in children], False)
        return kind(build(child) for child in children)

    return tuple(build(shape) for shape in structures)


def _rebuild_one(shape: Any, flat: list) -> Any:
    return _rebuild((shape,), flat)[0]


class Pullback:
    """``pullback(g)``: the cotangents of the positional arguments given to
    :func:`vjp`, at the point it evaluated ``f``, given the cotangent ``g``
    of its result (of the result's structure and shapes).

    It may be called any number of times. A backward sweep that changes
    what the forward saved (it undoes the forward's in-place writes and pops
    the lists it grew, to read each value as it was: see
    :func:`adcompiler.pipeline.backward_changes_saved`) leaves nothing a
    second call could use; every call after the first then runs the
    forward again on the same arguments, for fresh residuals.
    """

    def __init__(
        self,
        split: Product,
        saved: Any,
        args: tuple,
        name: str = "f",
        count: int | None = None,
        active: tuple | None = None,
    ):
        self._split = split
        self._saved = saved
        self._entry = saved[0]
        self._name = name
        self._args = args
        self._count = len(args) if count is None else count
        self._structures, self._flat, flags = _signature_of(args, count)
        self._active = flags if active is None else active
        self._out_shapes: list | None = None

    def __call__(self, g: Any) -> tuple:
        with BOUNDARY:  # the traceback of an error points at the user's lines
            return self._pull(g)

    def _pull(self, g: Any) -> tuple:
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
        if self._out_shapes is not None:
            for k, (leaf, shape, is_value) in enumerate(
                zip(flat_g, self._out_shapes, mask)
            ):
                if is_value and np.shape(leaf) != shape:
                    where = f" (leaf {k})" if len(mask) > 1 else ""
                    raise ArgumentError(
                        f"the cotangent given to the pullback{where} has shape "
                        f"{np.shape(leaf)}; the result of {self._name} has "
                        f"shape {shape}",
                        hint="pass a cotangent of the shape of the result",
                    )
        saved = self._saved
        if saved is None:
            _, saved = self._split.forward(*internal_args(self._args, self._structures))
        elif backward_changes_saved(self._entry):
            self._saved = None
        adjoints = iter(self._split.backward(saved, *seeds))
        flat = [
            fit_gradient(next(adjoints), leaf) if flag else None
            for leaf, flag in zip(self._flat, self._active)
        ]
        return _rebuild(self._structures, flat)[: self._count]

    @property
    def source(self) -> str:
        """The generated forward and backward halves."""
        return self._split.source


def _vjp(f: Any, args: tuple, count: int, active: tuple | None = None) -> tuple:
    """:func:`vjp` of ``f`` at all its parameters ``args``; the leaves of the
    first ``count`` are differentiated (or those ``active`` marks)."""
    _, _, flags = _signature_of(args, count)
    active = flags if active is None else active
    split, structures, marked = _top_product(f, "split", args, active)
    value, saved = split.forward(*internal_args(args, structures))
    value = rebuild(_output_shape(f, marked, saved[0]), value)
    name = user_function(f).__qualname__
    pullback = Pullback(split, saved, args, name, count, active)
    pullback._out_shapes = [np.shape(leaf) for leaf in leaves(value)]
    return value, pullback


@checked_arguments
def vjp(f: Callable, *args: Any, **kwargs: Any) -> tuple[Any, Pullback]:
    """``(f(*args, **kwargs), pullback)``; ``pullback(g)`` gives the
    cotangents of the positional ``args`` (None for arguments that are not
    floats). Keyword arguments and defaults are passed as constants."""
    f = method_function(f)
    _transformable(f, "vjp")
    full = _bind(f, args, kwargs, "vjp")
    return _vjp(f, full, len(args))


def _as_primals(primals: Any, tangents: Any, what: str) -> tuple[tuple, tuple]:
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise ArgumentError(
                f"{what} takes the {name} as a tuple (one item per positional "
                f"argument), not a bare {type(value).__name__}",
                hint=f"wrap them: {what}(f, (x,), (t,)) for one argument",
            )
    primals, tangents = tuple(primals), tuple(tangents)
    if len(tangents) != len(primals):
        raise ArgumentError(
            f"{what} was given {len(primals)} primal(s) and {len(tangents)} "
            "tangent(s)",
            hint="give one tangent per primal, of its structure and shape",
        )
    for position, (p, t) in enumerate(zip(primals, tangents)):
        _matches(p, t, f"{what}: tangent {position}", "primal")
    return primals, tangents


def _matches(primal: Any, tangent: Any, label: str, of: str) -> None:
    """Raise :class:`ArgumentError` unless ``tangent`` has the structure of
    ``primal`` and, leaf by leaf, its shape (or is a number, broadcast)."""
    if matching(structure(primal)) != matching(structure(tangent)):
        raise ArgumentError(
            f"{label} is a {describe(structure(tangent))}, its {of} a "
            f"{describe(structure(primal))}",
            hint=f"give it the structure of its {of}",
        )
    for p, t in zip(leaves(primal), leaves(tangent)):
        if _is_float(p) and np.shape(t) not in ((), np.shape(p)):
            raise ArgumentError(
                f"{label} has shape {np.shape(t)}, its {of} {np.shape(p)}",
                hint=f"give it the shape of its {of}",
            )


def _jvp(
    f: Any, args: tuple, tangents: tuple, count: int, active: tuple | None = None
) -> tuple[Any, Any]:
    """:func:`jvp` of ``f`` at all its parameters ``args``; ``tangents`` for
    the first ``count`` (the leaves ``active`` marks, when given)."""
    _, _, flags = _signature_of(args, count)
    active = flags if active is None else active
    flat_tangents = [leaf for t in tangents[:count] for leaf in leaves(t)]
    product, structures, marked = _top_product(f, "tangent", args, active)
    inputs = [t for t, flag in zip(flat_tangents, active) if flag]
    value, tangent = product.call(*internal_args(args, structures), *inputs)
    shape = _output_shape(f, marked, product.entry)
    value, tangent = rebuild(shape, value), rebuild(shape, tangent, statics=False)
    _real_tangents_of_reals(leaves(value), leaves(tangent))
    return value, tangent


def _real_tangents_of_reals(values: list, tangents: list) -> None:
    """Raise if a real output got a complex tangent (a rule's bug: the
    tangent of a real value is real). Outputs and tangents are paired leaf
    by leaf when their trees match (a tangent 0.0 may stand for a list)."""
    if len(values) == len(tangents):
        if any(is_complex(t) and not is_complex(v) for v, t in zip(values, tangents)):
            raise complex_derivative()
    elif any(map(is_complex, tangents)) and not any(map(is_complex, values)):
        raise complex_derivative()


@checked_arguments
def jvp(
    f: Callable, primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)`` by forward-mode source transformation.

    ``primals`` and ``tangents`` are tuples (or lists), one item per
    positional argument (a bare array raises :class:`ArgumentError`);
    ``tangents`` has the structure of ``primals``; the tangents of leaves
    that are not floats are ignored; parameters left out take their
    defaults, as constants. The generated code is ``jvp_source(f, primals)``.
    """
    f = method_function(f)
    _transformable(f, "jvp")
    primals, tangents = _as_primals(primals, tangents, "jvp")
    full = _bind(f, primals, {}, "jvp")
    return _jvp(f, full, tangents, len(primals))


@checked_arguments
def jvp_source(f: Callable, primals: Sequence[Any]) -> str:
    """The generated forward-mode code :func:`jvp` runs for these arguments."""
    f = method_function(f)
    _transformable(f, "jvp_source")
    primals, _ = _as_primals(primals, primals, "jvp_source")
    full = _bind(f, primals, {}, "jvp_source")
    _, _, active = _signature_of(full, len(primals))
    return _top_product(f, "tangent", full, active)[0].source


def _wrt_leaves(f: Any, full: tuple, indices: tuple, what: str) -> None:
    """Raise :class:`WrtError` for a leaf of a ``wrt`` argument that cannot
    be differentiated (an int, a bool, a complex number, a string)."""
    base = user_function(f)
    try:
        names: Sequence[str] = list(inspect.signature(base).parameters)
    except (TypeError, ValueError):  # a builtin or a ufunc without one
        names = ()
    for index in indices:
        for leaf in leaves(full[index]):
            try:
                fit_gradient(0.0, leaf)
            except WrtError as exc:
                name = names[index] if index < len(names) else index
                raise WrtError(
                    f"{what + ': ' if what else ''}argument `{name}` of "
                    f"{getattr(base, '__qualname__', repr(base))}: {exc.message}",
                    hint=exc.hint,
                ) from None


def _not_a_function(f: Any, shape: Any, index: int) -> None:
    """Raise :class:`ArgumentError` when ``wrt`` names an argument that is
    (or holds) a function: functions are compile-time constants, never
    differentiated; :class:`WrtError` when it is None."""
    if isinstance(shape, Fixed) and shape.obj is None:
        names = list(inspect.signature(user_function(f)).parameters)
        name = names[index] if index < len(names) else index
        raise WrtError(
            f"wrt names argument `{name}` of {user_function(f).__qualname__}, "
            "which is None (NoneType): there is nothing to differentiate",
            hint="pass a float, an array of floats, or a list, tuple or dict "
            "of them",
        )
    if _holds_function(shape):
        names = list(inspect.signature(user_function(f)).parameters)
        name = names[index] if index < len(names) else index
        raise ArgumentError(
            f"wrt names argument `{name}` of {user_function(f).__qualname__}, "
            "which is a function: functions are not differentiated",
            hint="differentiate with respect to the arrays and numbers the "
            "function is applied to",
        )


def _holds_function(shape: Any) -> bool:
    if isinstance(shape, Fixed):
        return shape.obj is not None
    return shape is not LEAF and any(_holds_function(c) for _, c in keys_of(shape))


def _active_for(full: tuple, indices: tuple) -> tuple:
    """One flag per leaf of ``full``: the leaves of the arguments ``indices``."""
    return tuple(
        position in indices for position, arg in enumerate(full) for _ in leaves(arg)
    )


def _zero_seed(leaf: Any) -> Any:
    shape = np.shape(leaf)
    return np.zeros(shape) if shape else 0.0


def _one_hot(shape: tuple, position: tuple) -> Any:
    if not shape:
        return 1.0
    out = np.zeros(shape)
    out[position] = 1.0
    return out


def _real_for_jacobian(values: list, what: str, output: bool = False) -> None:
    """Refuse complex arguments or outputs of a Jacobian: its blocks hold
    real derivatives, and a complex value has two real directions (as
    JAX's ``jacfwd`` and ``jacrev`` without ``holomorphic=True``)."""
    if any(map(is_complex, values)):
        kind = "output" if output else "argument"
        raise (OutputError if output else WrtError)(
            f"{what}: a complex {kind}, and Jacobians (and Hessians) are of real "
            "functions of real arguments here",
            hint="take the real and imaginary parts as separate real arrays, or "
            "use jvp / vjp (hvp for second derivatives), which take complex values",
        )


def _jacobian_rev(f: Any, full: tuple, indices: tuple, many: bool) -> Any:
    out, pullback = _vjp(f, full, len(full), _active_for(full, indices))
    out_shape, out_leaves = structure(out), leaves(out)
    _real_for_jacobian(out_leaves, "jacobian", output=True)
    seeds = [_zero_seed(leaf) for leaf in out_leaves]
    per_output = []
    for k, leaf in enumerate(out_leaves):
        shape = np.shape(leaf)
        blocks = [
            [np.zeros(shape + np.shape(x)) for x in leaves(full[i])] for i in indices
        ]
        for position in np.ndindex(*shape):
            seed = list(seeds)
            seed[k] = _one_hot(shape, position)
            cotangents = pullback(_rebuild_one(out_shape, seed))
            for block, i in zip(blocks, indices):
                for column, c in zip(block, leaves(cotangents[i])):
                    column[position] = c
        trees = [_rebuild_one(structure(full[i]), b) for b, i in zip(blocks, indices)]
        per_output.append(tuple(trees) if many else trees[0])
    return _rebuild_one(out_shape, per_output)


def _jacobian_fwd(f: Any, full: tuple, indices: tuple, many: bool) -> Any:
    active = _active_for(full, indices)
    zeros = [_zeros_like_tree(a) for a in full]
    # blocks[k][b][j]: output leaf k, wrt argument b, its leaf j
    blocks: list | None = None
    out = None

    def run(tangents: list) -> None:
        nonlocal blocks, out
        out, t_out = _jvp(f, full, tuple(tangents), len(full), active)
        if blocks is None:
            _real_for_jacobian(leaves(out), "jacobian", output=True)
            blocks = [
                [
                    [np.zeros(np.shape(o) + np.shape(x)) for x in leaves(full[i])]
                    for i in indices
                ]
                for o in leaves(out)
            ]
        return leaves(t_out)

    for b, i in enumerate(indices):
        arg_shape, arg_leaves = structure(full[i]), leaves(full[i])
        for j, leaf in enumerate(arg_leaves):
            shape = np.shape(leaf)
            for position in np.ndindex(*shape):
                directions = [_zero_seed(x) for x in arg_leaves]
                directions[j] = _one_hot(shape, position)
                tangents = list(zeros)
                tangents[i] = _rebuild_one(arg_shape, directions)
                for k, t in enumerate(run(tangents)):
                    if t is not None:
                        blocks[k][b][j][(...,) + position] = t
    if blocks is None:  # no element to differentiate
        run(zeros)
    per_output = []
    for per_arg in blocks:
        trees = [
            _rebuild_one(structure(full[i]), per_arg[b]) for b, i in enumerate(indices)
        ]
        per_output.append(tuple(trees) if many else trees[0])
    return _rebuild_one(structure(out), per_output)


@checked_arguments
def jacobian(
    f: Callable,
    wrt: Wrt | None = None,
    mode: str = "rev",
    *,
    argnums: Wrt | None = None,
) -> Callable:
    """A function giving the Jacobian of ``f`` with respect to argument(s)
    ``wrt``, called with ``f``'s arguments (keywords and defaults too).

    For an array result and an array argument it is an array of shape
    ``out.shape + arg.shape``. In general (as ``jax.jacobian``) it has the
    structure of ``f``'s result, each leaf holding the argument's structure
    (a tuple of them when ``wrt`` is a tuple) of arrays of shape
    ``out_leaf.shape + arg_leaf.shape``. ``mode="rev"`` runs one forward
    half and one pullback per element of the result; ``mode="fwd"`` one
    :func:`jvp` per element of the arguments. ``argnums`` is JAX's name for
    ``wrt``; :func:`jacrev` and :func:`jacfwd` are the two modes by JAX's names.
    """
    wrt = _chosen_wrt(wrt, argnums, "jacobian")
    if mode not in ("rev", "fwd"):
        raise ArgumentError(
            f"jacobian mode must be 'rev' or 'fwd', not {mode!r}",
            hint="mode='rev' for few outputs, mode='fwd' for few inputs",
        )
    f = method_function(f)
    base = _transformable(f, "jacobian")
    indices, many = _wrt_indices(f, wrt)
    what = f"jacobian of {base.__qualname__}"

    def jacobian_of(*args: Any, **kwargs: Any) -> Any:
        with BOUNDARY:
            full = _bind(f, args, kwargs, what)
            _wrt_leaves(f, full, indices, what)
            _real_for_jacobian(
                [leaf for i in indices for leaf in leaves(full[i])], what
            )
            if mode == "rev":
                return _jacobian_rev(f, full, indices, many)
            return _jacobian_fwd(f, full, indices, many)

    jacobian_of.__name__ = jacobian_of.__qualname__ = f"jacobian_{base.__name__}"
    jacobian_of.__adcompiler_made_by__ = "jacobian"  # type: ignore[attr-defined]
    return jacobian_of


@checked_arguments
def jacrev(
    f: Callable, wrt: Wrt | None = None, *, argnums: Wrt | None = None
) -> Callable:
    """JAX's name for ``jacobian(f, wrt, mode="rev")``: one pullback per
    element of the result."""
    jac = jacobian(f, _chosen_wrt(wrt, argnums, "jacrev"), mode="rev")
    jac.__adcompiler_made_by__ = "jacrev"  # type: ignore[attr-defined]
    return jac


@checked_arguments
def jacfwd(
    f: Callable, wrt: Wrt | None = None, *, argnums: Wrt | None = None
) -> Callable:
    """JAX's name for ``jacobian(f, wrt, mode="fwd")``: one :func:`jvp` per
    element of the differentiated arguments."""
    jac = jacobian(f, _chosen_wrt(wrt, argnums, "jacfwd"), mode="fwd")
    jac.__adcompiler_made_by__ = "jacfwd"  # type: ignore[attr-defined]
    return jac


def _zeros_like_tree(x: Any) -> Any:
    if has_objects(structure(x)):
        return unflatten_leaves(
            structure(x), [_zeros_like_tree(leaf) for leaf in leaves(x)]
        )
    if isinstance(x, (list, tuple)):
        return type(x)(_zeros_like_tree(item) for item in x)
    if isinstance(x, dict):
        return {k: _zeros_like_tree(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return np.zeros_like(x, dtype=float)
    return 0.0


@checked_arguments
def hessian(
    f: Callable, wrt: Wrt | None = None, *, argnums: Wrt | None = None
) -> Callable:
    """The Hessian of scalar ``f`` with respect to argument(s) ``wrt``:
    forward mode over the generated gradient (one jvp per input element).

    For an array argument it is an array of shape ``arg.shape * 2``; for a
    tree argument (dict, list, tuple) a tree of trees, ``H[a][b]`` of shape
    ``a.shape + b.shape``; for a tuple ``wrt``, a tuple of tuples of blocks
    (as ``jax.hessian``). ``argnums`` is JAX's name for ``wrt``."""
    f = method_function(f)
    wrt = _chosen_wrt(wrt, argnums, "hessian")
    _transformable(f, "hessian")
    hessian_of = jacobian(grad(f, wrt=wrt), wrt=wrt, mode="fwd")
    hessian_of.__name__ = hessian_of.__qualname__ = (
        f"hessian_{user_function(f).__name__}"
    )
    hessian_of.__adcompiler_made_by__ = "hessian"  # type: ignore[attr-defined]
    return hessian_of


@checked_arguments
def hvp(f: Callable, wrt: Wrt | None = None, *, argnums: Wrt | None = None) -> Callable:
    """``hvp(f, wrt)(*args, v, **kwargs)``: the Hessian of scalar ``f`` with
    respect to argument ``wrt`` times ``v`` (of the argument's structure;
    a tuple of them for a tuple ``wrt``), without forming the Hessian
    (forward mode over the generated gradient). It is what JAX spells
    ``jvp(grad(f), (x,), (v,))[1]``; ``argnums`` is JAX's name for ``wrt``."""
    f = method_function(f)
    wrt = _chosen_wrt(wrt, argnums, "hvp")
    base = _transformable(f, "hvp")
    indices, many = _wrt_indices(f, wrt)
    gradient = grad(f, wrt=wrt)
    what = f"hvp of {base.__qualname__}"

    def hessian_vector_product(*args_and_v: Any, **kwargs: Any) -> Any:
        with BOUNDARY:
            return _hvp_at(args_and_v, kwargs)

    def _hvp_at(args_and_v: tuple, kwargs: dict) -> Any:
        if not args_and_v:
            raise ArgumentError(
                f"{what} takes {base.__qualname__}'s arguments, then the vector v",
                hint="call it as hvp(f)(*args, v)",
            )
        *args, v = args_and_v
        full = _bind(f, tuple(args), kwargs, what)
        _wrt_leaves(f, full, indices, what)
        vs = tuple(v) if many and isinstance(v, (tuple, list)) else (v,)
        if len(vs) != len(indices):
            raise ArgumentError(
                f"{what}: v must hold one vector per argument in wrt "
                f"({len(indices)}), a tuple",
                hint="pass v = (v_0, v_1, ...) in the order of wrt",
            )
        tangents = [_zeros_like_tree(a) for a in full]
        for index, item in zip(indices, vs):
            _matches(full[index], item, f"{what}: v", "argument")
            tangents[index] = item
        active = _active_for(full, indices)
        return _jvp(gradient, full, tuple(tangents), len(full), active)[1]

    hessian_vector_product.__name__ = f"hvp_{base.__name__}"
    hessian_vector_product.__adcompiler_made_by__ = "hvp"  # type: ignore
    return hessian_vector_product


@compile_time
@checked_arguments
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


# the rules of higher-order primitives (odeint) differentiate their function
# operand at run time with these
higher_order.install(vjp=vjp, jvp=jvp, grad=grad)
