"""What the compiler knows of the user's callables, and what it asks of the
pipeline when differentiated code calls one.

Guarantees: the layers that lower and differentiate code (:mod:`.lower`,
:mod:`.reverse`, :mod:`.forward`) learn about transformed functions,
checkpoints and generated halves only through this module, and reach the
pipeline only through a :class:`CallSites` object handed to them, so they
never import the layers above them. :func:`source_function` is the one
answer to "which Python source does a transformation of this object read".
"""

from __future__ import annotations

import functools
import inspect
import linecache
import types
import weakref
from typing import Any, Callable, Protocol

from .errors import ArgumentError
from .primitives.registry import lookup


class Transformed:
    """A function made by a transformation (a gradient function): what a
    further transformation differentiates is its generated code,
    :meth:`as_function`, not its ``__wrapped__`` original."""

    __wrapped__: Any
    #: a function when passed as a value (see :func:`trees.is_function`)
    __adcompiler_function__ = True

    def as_function(self, structures: tuple) -> types.FunctionType:
        """A Python function with source computing what a call returns, for
        arguments of these structures."""
        raise NotImplementedError


def user_function(target: Any) -> types.FunctionType:
    """The user's function under any number of transformations."""
    while isinstance(target, Transformed):
        target = target.__wrapped__
    return target


def source_function(target: Any, structures: tuple) -> types.FunctionType:
    """The Python function whose source a transformation of ``target`` reads:
    ``target`` itself; for a gradient function, its generated code; for a
    function with its own rules (``defvjp``), a call of it, so the rules are
    what is differentiated."""
    if isinstance(target, Transformed):
        return target.as_function(structures)
    if lookup(target) is not None:
        return _primitive_caller(target)
    return target


_callers: "weakref.WeakKeyDictionary[Any, types.FunctionType]" = (
    weakref.WeakKeyDictionary()
)


def _primitive_caller(fn: types.FunctionType) -> types.FunctionType:
    """``def fn_call(<fn's parameters>): return fn(...)``, with source."""
    caller = _callers.get(fn)
    if caller is None:
        params = list(inspect.signature(fn).parameters)
        arguments = ", ".join(params)
        name = f"{fn.__name__}_call"
        source = f"def {name}({arguments}):\n    return {fn.__name__}({arguments})\n"
        filename = f"<adcompiler: call of {fn.__qualname__}>"
        linecache.cache[filename] = (
            len(source),
            None,
            source.splitlines(True),
            filename,
        )
        namespace = {fn.__name__: fn}
        exec(compile(source, filename, "exec"), namespace)
        caller = namespace[name]
        _callers[fn] = caller
    return caller


class Checkpoint:
    """``checkpoint(fn)``: ``fn`` itself when called, but differentiated
    code that calls it stores only its arguments, and recomputes what its
    backward needs in the backward sweep (less memory, one more forward
    evaluation of ``fn``)."""

    #: a function when passed as a value (see :func:`trees.is_function`)
    __adcompiler_function__ = True

    def __init__(self, fn: types.FunctionType):
        if not isinstance(fn, types.FunctionType):
            raise ArgumentError(
                f"checkpoint takes a Python function, not {type(fn).__name__}",
                hint="checkpoint a function defined with def (wrap a NumPy "
                "function in one)",
            )
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"checkpoint({self.__wrapped__.__qualname__})"  # type: ignore


def compile_time(fn: Callable) -> Callable:
    """Mark ``fn`` (``grad``, ``value_and_grad``, ``checkpoint``) as run when
    differentiated code is compiled: ``grad(f)`` there, with ``f`` a
    function the code names, is the gradient function it makes, a
    compile-time constant (see :func:`is_compile_time`)."""
    fn.__adcompiler_compile_time__ = True  # type: ignore[attr-defined]
    return fn


def is_compile_time(fn: Any) -> bool:
    """Whether ``fn`` was marked by :func:`compile_time`."""
    return getattr(fn, "__adcompiler_compile_time__", False) is True


def label_half(call: Callable, name: str, product: Any, half: str) -> Callable:
    """``call``, named ``name``, marked as a half of generated code: when code
    calling it is transformed again, the generated Python definition (with
    source) behind it, attribute ``half`` of ``product.ensure().generated``,
    is what gets transformed in its place."""
    call.__name__ = call.__qualname__ = name
    call.__adcompiler_product__ = product  # type: ignore[attr-defined]
    call.__adcompiler_half__ = half  # type: ignore[attr-defined]
    return call


def generated_definition(fn: Any) -> types.FunctionType | None:
    """For the forward/backward/tangent halves generated code calls (see
    :func:`label_half`), the generated Python definition they run; None for
    anything else."""
    half = getattr(fn, "__adcompiler_half__", None)
    if half is None:
        return None
    return getattr(fn.__adcompiler_product__.ensure().generated, half)


class Lowered(Protocol):
    """What a call site reads of a callee's lowering: its graph, what its
    compilation depends on, and which parameters its result may share
    memory with (see :class:`adcompiler.lower.Lowering`)."""

    graph: Any

    def dependencies(self) -> Any: ...

    def memory_sources(self, value: Any) -> tuple[set, bool]: ...


class CallSites(Protocol):
    """The pipeline's services to code that calls user functions.

    Each returns a cached product for ``fn`` and the structures of its
    arguments (and, for derivatives, the argument leaves differentiated):
    the compiled code behind it is checked against everything its
    compilation read (``fn``'s code and defaults, the names and attribute
    chains it read, its callees) whenever it runs.
    """

    def lowered(self, fn: types.FunctionType, structures: tuple) -> Lowered | None:
        """``fn`` lowered as a callee (None while it is being lowered: a
        recursive call)."""

    def primal(self, fn: types.FunctionType, structures: tuple) -> Callable:
        """``fn`` as generated code runs it, without derivatives."""

    def split(
        self,
        fn: types.FunctionType,
        structures: tuple,
        active: tuple,
        known: tuple = ((), ()),
    ) -> Any:
        """``fn``'s forward and backward halves (``.forward``, ``.backward``),
        compiled knowing ``known``: ``(scalars, ranks)`` of the arguments,
        as the caller knows them (empty: nothing)."""

    def checkpointed(
        self, fn: types.FunctionType, structures: tuple, active: tuple
    ) -> Any:
        """The halves of a checkpointed call: the forward keeps only the
        arguments, the backward recomputes the rest."""

    def tangent(
        self,
        fn: types.FunctionType,
        structures: tuple,
        active: tuple,
        known: tuple = ((), ()),
    ) -> Callable:
        """``fn``'s forward-mode version: ``(*args, *tangents) -> (value,
        tangent)``, compiled knowing ``known`` (as for :meth:`split`)."""
