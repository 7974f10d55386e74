"""Higher-order primitives: primitives that take a function as an operand.

A few library functions (``scipy.integrate.odeint``, ``solve_ivp``) take
the function they work on as an argument. Elsewhere a function never
reaches a primitive as an operand (see :mod:`adcompiler.lower.callvalues`);
a record that lists a parameter in ``Primitive.functions`` accepts there a
Python function known at compile time (a module-level ``def`` or
``lambda``, a closure made outside the differentiated code, or one passed
as a parameter, for which the code is compiled): the lowering passes it to the op as a
constant (:mod:`adcompiler.lower.function_operands`) and the generated
code calls the primitive with the function object itself.

Their rules need derivatives of that function at run time, at points the
primitive chooses (an ODE solver's steps). Those are adcompiler's own
transformations, :func:`adcompiler.vjp`, :func:`adcompiler.jvp` and
:func:`adcompiler.grad`, which
live in a layer above the primitives: the API installs them here when it
is imported (:func:`install`), so the runtime helpers of the rules reach
them through :func:`vjp_of`, :func:`jvp_of` and :func:`grad_of` without an
upward import.

Guarantees: :func:`vjp_of` and :func:`jvp_of` differentiate the user's
function with the compiler (never finite differences), and raise
:class:`~adcompiler.errors.ADError` if the API was never imported.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ADError
from .record import RECORDER


class _Transforms:
    """The transformations the API installs (see :func:`install`)."""

    __slots__ = ("vjp", "jvp", "grad")

    def __init__(self) -> None:
        self.vjp: Callable | None = None
        self.jvp: Callable | None = None
        self.grad: Callable | None = None


_TRANSFORMS = _Transforms()


def install(vjp: Callable, jvp: Callable, grad: Callable) -> None:
    """Make ``vjp(f, *primals) -> (value, pullback)``, ``jvp(f, primals,
    tangents) -> (value, tangent)`` and ``grad(f, wrt=...)`` the
    transformations :func:`vjp_of`, :func:`jvp_of` and :func:`grad_of` run
    (called once, by :mod:`adcompiler.api`)."""
    _TRANSFORMS.vjp = vjp
    _TRANSFORMS.jvp = jvp
    _TRANSFORMS.grad = grad


def _installed(kind: str) -> Callable:
    transform = getattr(_TRANSFORMS, kind)
    if transform is None:
        raise ADError(
            f"the derivative of a function operand needs adcompiler.{kind}, "
            "which is installed when adcompiler is imported",
            hint="import adcompiler before calling generated code",
        )
    return transform


def vjp_of(fn: Callable, *primals: Any) -> tuple[Any, Callable]:
    """``(fn(*primals), pullback)``, ``pullback(g)`` the cotangents of the
    positional ``primals`` (None for those that are not floats)."""
    return _installed("vjp")(fn, *primals)


def jvp_of(fn: Callable, primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    """``(fn(*primals), J @ tangents)`` by forward-mode transformation."""
    return _installed("jvp")(fn, primals, tangents)


def grad_of(fn: Callable, wrt: tuple) -> Callable:
    """The gradient function of ``fn`` with respect to the arguments ``wrt``."""
    return _installed("grad")(fn, wrt=wrt)


class OncePerOp:
    """A helper computing every argument's cotangent at once (an adjoint
    integration), recorded once per op: the reverse rules of one op's
    arguments run one after another with the same symbolic ``g`` and
    ``ans`` into the same block, so the second and later rules read the
    result the first one recorded (items of one tuple) instead of
    integrating again."""

    def __init__(self, prim: Any):
        self.prim = prim
        self._last: tuple | None = None

    def __call__(self, g: Any, ans: Any, *operands: Any) -> Any:
        recorder = RECORDER.get()
        block = getattr(recorder, "block", None)
        key = (recorder, block, g, ans, *operands)
        last = self._last
        if (
            last is not None
            and len(last[0]) == len(key)
            and all(a is b for a, b in zip(last[0], key))
            and getattr(getattr(last[1], "value", None), "op", None)
            in getattr(block, "ops", ())
        ):
            return last[1]
        result = self.prim(g, ans, *operands)
        self._last = (key, result)
        return result
