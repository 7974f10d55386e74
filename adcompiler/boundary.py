"""Objects at the boundary of the public transformations.

Guarantees: :func:`method_function` gives, for a bound method of a user
class (or a classmethod), a Python function with source that calls it, so
``grad(model.loss)`` differentiates ``loss`` with ``self`` a compile-time
object (see :mod:`adcompiler.lower.objects`); anything else is returned
unchanged. :class:`Boundary` converts the arguments of one compiled call
to what its generated code takes (object nodes as the tuples of their
children, :func:`trees.internal`) and its results back
(:func:`trees.rebuild`): a gradient with respect to a dataclass is an
instance of that dataclass.
"""

from __future__ import annotations

import inspect
import linecache
import types
from typing import Any, Hashable

import numpy as np

from .frontend import parse_function
from .trees import has_objects, internal, operand_shape, rebuild

#: (function, id of self) -> (bound method, wrapper): the wrapper keeps its
#: method (and so its object) alive, so an id is not reused while cached
_WRAPPERS: dict[tuple, tuple[Any, types.FunctionType]] = {}


#: modules whose callable objects are not user models (adcompiler's own
#: gradient functions are transformed as they are)
_NOT_USER_CLASSES = frozenset({"adcompiler", "numpy", "scipy", "functools"})


def method_function(f: Any) -> Any:
    """A function with source calling the bound method ``f`` (same
    parameters, defaults and name); ``f`` itself if it is not a bound
    method of a Python function. An instance of a user class whose class
    defines ``__call__`` in Python is its bound ``__call__`` (``grad(model)``
    differentiates ``model(x)``)."""
    call = getattr(type(f), "__call__", None)
    if (
        isinstance(call, types.FunctionType)
        and not isinstance(f, (types.FunctionType, types.MethodType, type))
        and type(f).__module__.partition(".")[0] not in _NOT_USER_CLASSES
    ):
        f = types.MethodType(call, f)
    if not (
        isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType)
    ):
        return f
    key = (f.__func__, id(f.__self__))
    found = _WRAPPERS.get(key)
    if found is not None and found[0] == f:
        return found[1]
    parse_function(f.__func__)  # no source: its error now, not the wrapper's
    signature = inspect.signature(f)
    if any(
        p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in signature.parameters.values()
    ):
        return f  # refused with the usual message (check_signature)
    namespace: dict[str, Any] = {"__method__": f}
    params, arguments = parameters_text(signature, namespace)
    name = f.__func__.__name__
    source = f"def {name}({params}):\n    return __method__({arguments})\n"
    qualname = f.__func__.__qualname__
    filename = f"<adcompiler: call of {qualname} of {id(f.__self__):#x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    wrapper = namespace[name]
    wrapper.__qualname__ = qualname
    wrapper.__doc__ = f.__func__.__doc__
    if len(_WRAPPERS) >= 256:
        _WRAPPERS.clear()
    _WRAPPERS[key] = (f, wrapper)
    return wrapper


def parameters_text(signature: inspect.Signature, namespace: dict) -> tuple[str, str]:
    """A signature as the text of a ``def``'s parameters (defaults that are
    not plain literals as names bound in ``namespace``), and the text of a
    call passing each parameter on."""
    params, arguments = [], []
    keyword_only = False
    for p in signature.parameters.values():
        text = p.name
        if p.default is not inspect.Parameter.empty:
            value = p.default
            literal = type(value) in (int, str, bool, type(None)) or (
                type(value) is float and np.isfinite(value)
            )
            if literal:
                text += f"={value!r}"
            else:
                key = f"default_{p.name}"
                namespace.setdefault(key, value)
                text += f"={key}"
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            if not keyword_only:
                params.append("*")
                keyword_only = True
            arguments.append(f"{p.name}={p.name}")
        else:
            arguments.append(p.name)
        params.append(text)
        if p.kind is inspect.Parameter.POSITIONAL_ONLY and (
            len(params) == len(signature.parameters)
            or list(signature.parameters.values())[len(arguments)].kind
            is not inspect.Parameter.POSITIONAL_ONLY
        ):
            params.append("/")
    return ", ".join(params), ", ".join(arguments)


class Boundary:
    """How one compiled call's arguments and results cross between the
    user's objects and generated code (see the module's docstring)."""

    __slots__ = ("signature", "structures", "indices", "output")

    def __init__(
        self, fn: Any, structures: tuple, indices: tuple, output: Hashable
    ) -> None:
        self.signature = inspect.signature(fn)
        self.structures = structures
        self.indices = indices
        self.output = output

    @staticmethod
    def of(
        fn: Any, structures: tuple, indices: tuple, output: Hashable
    ) -> "Boundary | None":
        """The boundary of a call of ``fn``'s generated code for arguments
        of ``structures`` whose result has structure ``output``; None when
        no object node crosses it."""
        if not has_objects(output) and not any(map(has_objects, structures)):
            return None
        return Boundary(fn, structures, indices, output)

    def inputs(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """The arguments as generated code takes them."""
        if not any(map(has_objects, self.structures)):
            return args, kwargs
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError:
            return args, kwargs  # the call reports it
        bound.apply_defaults()
        for position, (name, value) in enumerate(bound.arguments.items()):
            bound.arguments[name] = internal(value, self.structures[position])
        return bound.args, bound.kwargs

    def value(self, value: Any) -> Any:
        """The function's result as the user's code built it."""
        return rebuild(self.output, value)

    def gradients(self, grads: tuple) -> tuple:
        """Each gradient with its argument's structure (objects built, their
        static fields None)."""
        return tuple(
            rebuild(self.structures[index], g, statics=False)
            for index, g in zip(self.indices, grads)
        )


def internal_args(args: tuple, structures: tuple) -> tuple:
    """Positional arguments of ``structures`` as generated code takes them."""
    if not any(map(has_objects, structures)):
        return args
    return tuple(internal(a, s) for a, s in zip(args, structures))


def result_shape(entry: Any) -> Hashable:
    """The structure of what ``entry``'s generated code returns (its
    graph's outputs, objects as their nodes)."""
    return operand_shape(entry.graph.outputs)
