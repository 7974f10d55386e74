"""The front-end profile's checker: :func:`check_front` hands a
:class:`~.program.FrontProgram` to the soundness checker
(:func:`~..soundness.check_sound`: plain Python's value, central
differences in float64, the same outcomes), with three additions:

- what is differentiated is the program's ``target`` (a lambda, a bound
  method, an instance, a function of a tree of arrays), while the reference
  is the plain ``f``; a tree's gradient is flattened in the order of the
  arguments;
- a program that calls ``grad`` inside gets, in its reference, a
  complex-step ``grad`` for the time of the call, so its inner gradients
  are exact and do not come from adcompiler;
- what the programs print, log and warn is swallowed.

:func:`refusal_key` is the first line of a refusal without its
``file:line:col``, by which a campaign groups the refusals.
"""

from __future__ import annotations

import inspect

import contextlib
import dataclasses
import io
import re
import warnings
from typing import Any, Callable

import numpy as np

from ....api import value_and_grad
from ....errors import ADError
from ..program import Outcome
from ..soundness.checker import Compiled, check_sound
from .program import FrontProgram

#: The complex step: small enough that ``f(x + ih) = f(x) + ih f'(x)`` to
#: the last bit, for the analytic functions nested programs differentiate.
STEP = 1e-30


def complex_step_grad(fn: Callable, *, wrt: int = 0) -> Callable:
    """A reference for ``adcompiler.grad(fn, wrt=wrt)`` where ``fn`` is
    analytic (sin, tanh, exp, powers, sums, products): each derivative is
    ``Im fn(x + i h e_k) / h``, exact to rounding, independent of
    adcompiler."""

    def gradient(*args: Any) -> Any:
        a = args[wrt]
        call = list(args)
        if np.ndim(a) == 0:
            call[wrt] = complex(a) + 1j * STEP
            return float(np.imag(fn(*call)) / STEP)
        a = np.asarray(a, dtype=float)
        out = np.zeros(a.shape)
        for i in np.ndindex(a.shape):
            z = a.astype(complex)
            z[i] += 1j * STEP
            call[wrt] = z
            out[i] = np.imag(fn(*call)) / STEP
        return out

    return gradient


def flatten(tree: Any) -> list[Any]:
    """The leaves of a tree of arrays and floats: dicts in their order,
    lists, tuples and NamedTuples in theirs, dataclasses by their fields,
    other objects (registered classes) by their attributes."""
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in flatten(value)]
    if isinstance(tree, (list, tuple)):
        return [leaf for value in tree for leaf in flatten(value)]
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        return [
            leaf
            for field in dataclasses.fields(tree)
            for leaf in flatten(getattr(tree, field.name))
        ]
    if hasattr(tree, "__dict__") and not isinstance(tree, (np.ndarray, type)):
        # a registered class: its attributes in the order they were set
        return [leaf for value in vars(tree).values() for leaf in flatten(value)]
    return [tree]


def _refuse(error: ADError) -> Compiled:
    def refused(*args: Any) -> Any:
        raise error

    return refused


class _Front:
    """The reference and the compiled function of one program, built from
    the module the soundness checker loads."""

    def __init__(self, program: FrontProgram, make: Callable | None) -> None:
        self.program = program
        self.make = make or (lambda fn, wrt: value_and_grad(fn, wrt=wrt))
        self.module: Any = None

    def reference(self, module: Any) -> Callable:
        self.module = module
        plain = module.f
        name = self.program.nested
        if not name:
            return plain

        def f(*args: Any) -> Any:
            saved = getattr(module, name)
            setattr(module, name, complex_step_grad)
            try:
                return plain(*args)
            finally:
                setattr(module, name, saved)

        return f

    def compile(self, f: Callable, wrt: tuple[int, ...]) -> Compiled:
        target = eval(self.program.target, vars(self.module))
        if _all_star_args(target):
            # ``def f(*args)``: adcompiler's wrt counts parameters (the tuple
            # ``args`` is one, docs/subset.md), the reference positions
            try:
                whole = self.make(target, 0)
            except ADError as exc:
                return _refuse(exc)

            def items(*args: Any) -> tuple[Any, tuple[Any, ...]]:
                value, grads = whole(*args)
                return value, tuple(grads[k] for k in wrt)

            return items
        try:
            g = self.make(target, 0 if self.program.tree else wrt)
        except ADError as exc:  # refused when made: refused when called
            return _refuse(exc)
        if not self.program.tree:
            return g
        tree = self.program.tree
        module = vars(self.module)

        def flat(*args: Any) -> tuple[Any, tuple[Any, ...]]:
            names = {f"_a{k}": a for k, a in enumerate(args)}
            built = eval(
                tree.format(*names), {**module, **names}
            )  # the tree of the arguments
            value, grads = g(built)
            return value, tuple(flatten(grads))

        return flat


def _all_star_args(target: Any) -> bool:
    """Whether ``target`` takes only ``*args``: ``def f(*args)``."""
    try:
        parameters = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return False
    return len(parameters) == 1 and parameters[0].kind is parameters[0].VAR_POSITIONAL


def check_front(
    program: FrontProgram,
    *,
    points: int = 3,
    directory: str | None = None,
    time_limit: float | None = 60.0,
    compile: Callable[[Callable, tuple[int, ...]], Compiled] | None = None,
) -> Outcome:
    """Check ``program`` as :func:`~..soundness.check_sound` does, adcompiler
    differentiating its ``target`` (``compile(fn, wrt)`` replaces
    ``adcompiler.value_and_grad``, as there), with the program's output,
    log records and warnings swallowed."""
    front = _Front(program, compile)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return check_sound(
                program,
                points=points,
                directory=directory,
                time_limit=time_limit,
                compile=front.compile,
                reference=front.reference,
            )


#: What differs between programs refused for the same reason: the
#: ``file:line:col`` of the construct (and a file named in the message),
#: the generated module's name, an object's address.
_VARYING = [
    (re.compile(r"\S+\.py:\d+:\d+: "), ""),
    (re.compile(r"\S+\.py(:\d+)*"), "<file>"),
    (re.compile(r"adfuzz_\d+_\d+"), "<module>"),
    (re.compile(r" at 0x[0-9a-fA-F]+"), ""),
]


def refusal_key(detail: str) -> str:
    """The first line of a refusal's detail without what differs from
    program to program (place, module name, address): the error class and
    its message, the same for every program refused for the same reason."""
    first = detail.strip().splitlines()[0] if detail.strip() else ""
    for pattern, replacement in _VARYING:
        first = pattern.sub(replacement, first)
    return first
