"""Symbolic values: how NumPy-written rules become graph ops.

While an :class:`Emitter` is active, a :class:`Sym` stands for a graph value.
Arithmetic on it, NumPy functions and ufuncs applied to it (through NumPy's
``__array_function__`` and ``__array_ufunc__`` protocols) and registered
primitives called on it append ops to the emitter's block instead of
computing. Operations whose operands are all constants are computed at once,
and a few identities (``g * 1``, ``x + 0``, ``x ** 1``) are simplified, so the
recorded code is what a person would write.

A symbolic value refuses to become a Python bool, int or float: a rule that
branches on a runtime value is a bug and fails loudly at compile time.
"""

from __future__ import annotations

import contextvars
import numbers
import operator
from typing import Any

import numpy as np

from .. import runtime
from ..errors import ADError, SourceLoc
from ..ir import Block, Graph, Op, Value, is_literal, tree_leaves, tree_map
from .record import RECORDER, Primitive, lookup, public_name


class Emitter:
    """Appends ops to ``block`` of ``graph``, tagged with ``loc``."""

    def __init__(self, graph: Graph, block: Block, loc: SourceLoc | None = None):
        self.graph = graph
        self.block = block
        self.loc = loc
        self._token: contextvars.Token | None = None

    def __enter__(self) -> "Emitter":
        # the active recorder: primitives called on symbolic values record here
        self._token = RECORDER.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._token is not None
        RECORDER.reset(self._token)

    def record_call(self, prim: Primitive, args: tuple, kwargs: dict) -> Any:
        """A primitive called inside a rule: recorded on symbolic operands,
        computed on constant ones (see :func:`emit_if_symbolic`)."""
        return emit_if_symbolic(prim, args, kwargs)

    def op(
        self,
        prim: Primitive,
        args: tuple,
        kwargs: dict,
        hint: str = "",
        user_variable: bool = False,
    ) -> Value:
        """Record ``prim(*args, **kwargs)`` (operands are values or constants)."""
        if prim.render[0] == "call":
            self.graph.root_name(prim.render[1])
        args, kwargs = self._spellable((args, kwargs))
        out = self.graph.new_value(hint or prim.hint, user_variable)
        op = Op(prim, tuple(args), dict(kwargs), out, self.loc)
        out.op = op
        out.container = prim.container
        if prim.render[0] in ("inplace_method", "setitem") and isinstance(
            args[0], Value
        ):
            # the result is the first argument, changed in place
            self.graph.reuses[out] = args[0]
        self.block.ops.append(op)
        return out

    def _spellable(self, tree: Any) -> Any:
        """Constants code cannot spell in place (arrays) become free values."""

        def leaf(obj: Any) -> Any:
            if isinstance(obj, np.generic):  # np.float64 is a float: first
                return obj.item()
            if isinstance(obj, Value) or is_literal(obj):
                return obj
            return self.graph.add_free("const", obj)

        return tree_map(leaf, tree)


def current_emitter() -> Emitter:
    emitter = RECORDER.get()
    if not isinstance(emitter, Emitter):
        raise ADError("internal error: symbolic operation outside of an emitter")
    return emitter


def to_operand(tree: Any) -> Any:
    """Replace every :class:`Sym` leaf by its graph value."""
    return tree_map(lambda leaf: leaf.value if isinstance(leaf, Sym) else leaf, tree)


def is_symbolic(tree: Any) -> bool:
    return any(isinstance(leaf, Sym) for leaf in tree_leaves(tree))


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _simplify(prim: Primitive, args: tuple, kwargs: dict) -> Any:
    """An operand equal to the result, or ``NotImplemented``."""
    if kwargs:
        return NotImplemented
    fn = prim.fn
    if len(args) == 2:
        a, b = args
        if fn in (operator.mul, np.multiply):
            if _is_number(b) and b == 1:
                return a
            if _is_number(a) and a == 1:
                return b
        if fn in (operator.add, np.add):
            if _is_number(b) and b == 0:
                return a
            if _is_number(a) and a == 0:
                return b
        if fn in (operator.sub, np.subtract) and _is_number(b) and b == 0:
            return a
        if fn in (operator.truediv, np.divide) and _is_number(b) and b == 1:
            return a
        if fn in (operator.pow, np.power) and _is_number(b) and b == 1:
            return a
    if len(args) == 1 and fn in (operator.neg, np.negative):
        inner = args[0]
        if isinstance(inner, Sym) and inner.value.op is not None:
            if inner.value.op.prim.fn in (operator.neg, np.negative):
                return Sym(inner.value.op.args[0])
    return NotImplemented


def emit_if_symbolic(prim: Primitive, args: tuple, kwargs: dict) -> Any:
    """Record ``prim`` on symbolic operands; compute it on constant ones."""
    if not is_symbolic((args, kwargs)):
        return prim.fn(*args, **kwargs)
    simple = _simplify(prim, args, kwargs)
    if simple is not NotImplemented:
        return simple
    emitter = current_emitter()
    return Sym(emitter.op(prim, to_operand(args), to_operand(kwargs)))


def packed(tree: Any) -> Any:
    """A rule's result as one graph operand: a :class:`Sym`'s value; a list
    or tuple holding symbolic values recorded as one list (``make_list``;
    None items, no derivative, are 0.0), so a list tangent or adjoint of a
    value that is a list at run time is a runtime list, not symbolic
    objects left in the code as constants; anything else as it is."""
    if isinstance(tree, Sym):
        return tree.value
    if isinstance(tree, (list, tuple)) and is_symbolic(tree):
        items = tuple(0.0 if item is None else packed(item) for item in tree)
        return current_emitter().op(lookup(runtime.make_list), items, {})
    return tree


def _primitive(fn: Any) -> Primitive:
    prim = lookup(fn)
    if prim is None:
        name = public_name(fn) or getattr(fn, "__name__", repr(fn))
        raise ADError(
            f"a derivative rule calls {name}, which has no rule of its own",
            hint="use functions adcompiler knows (docs/numpy-coverage.md), or "
            f"register {name} with adcompiler.defvjp",
        )
    return prim


def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Apply the primitive registered for ``fn`` (symbolically if need be)."""
    return emit_if_symbolic(_primitive(fn), args, kwargs)


class Sym:
    """A graph value seen from inside a rule."""

    __slots__ = ("value",)
    __array_priority__ = 1000

    def __init__(self, value: Value):
        self.value = value

    def __repr__(self) -> str:
        return f"Sym(%{self.value.name})"

    # NumPy protocols -----------------------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any):
        if method != "__call__":
            raise ADError(f"internal error: ufunc method {ufunc.__name__}.{method}")
        return call(ufunc, *inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any):
        return call(func, *args, **kwargs)

    # Refuse to become concrete ------------------------------------------
    def _concrete(self, *_: Any) -> Any:
        raise ADError(
            f"a derivative rule uses the value of %{self.value.name} as a Python "
            "bool, int, float or sequence, which is only known at run time",
            hint="rules are recorded once, symbolically: use np.where instead of "
            "if, and NumPy functions instead of float()/int()/len()",
        )

    __bool__ = __int__ = __float__ = __index__ = __len__ = __iter__ = _concrete

    # Attributes ----------------------------------------------------------
    @property
    def shape(self) -> Any:
        return call(np.shape, self)

    @property
    def ndim(self) -> Any:
        return call(np.ndim, self)

    @property
    def size(self) -> Any:
        return call(np.size, self)

    @property
    def T(self) -> Any:
        return call(np.transpose, self)

    def __getitem__(self, index: Any) -> Any:
        return call(operator.getitem, self, index)

    # Arithmetic ----------------------------------------------------------
    def __add__(self, other: Any) -> Any:
        return call(operator.add, self, other)

    def __radd__(self, other: Any) -> Any:
        return call(operator.add, other, self)

    def __sub__(self, other: Any) -> Any:
        return call(operator.sub, self, other)

    def __rsub__(self, other: Any) -> Any:
        return call(operator.sub, other, self)

    def __mul__(self, other: Any) -> Any:
        return call(operator.mul, self, other)

    def __rmul__(self, other: Any) -> Any:
        return call(operator.mul, other, self)

    def __truediv__(self, other: Any) -> Any:
        return call(operator.truediv, self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return call(operator.truediv, other, self)

    def __pow__(self, other: Any) -> Any:
        return call(operator.pow, self, other)

    def __rpow__(self, other: Any) -> Any:
        return call(operator.pow, other, self)

    def __matmul__(self, other: Any) -> Any:
        return call(operator.matmul, self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return call(operator.matmul, other, self)

    def __neg__(self) -> Any:
        return call(operator.neg, self)

    def __pos__(self) -> Any:
        return self

    def __lt__(self, other: Any) -> Any:
        return call(operator.lt, self, other)

    def __le__(self, other: Any) -> Any:
        return call(operator.le, self, other)

    def __gt__(self, other: Any) -> Any:
        return call(operator.gt, self, other)

    def __ge__(self, other: Any) -> Any:
        return call(operator.ge, self, other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return call(operator.eq, self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return call(operator.ne, self, other)

    __hash__ = None  # type: ignore[assignment]


def apply_rule(
    rule: Any, prim: Primitive, name: str, loc: Any, /, *args: Any, **kwargs: Any
) -> Any:
    """Record ``rule(*args, **kwargs)``; its errors name the rule and the
    user's line (rules are written by users too). The first four are
    positional-only: a primitive's keyword ``loc=`` (``scipy.stats``) is
    the rule's, not this function's."""
    try:
        return rule(*args, **kwargs)
    except ADError as exc:
        if exc.loc is not None:
            raise
        raise type(exc)(
            f"in the rule of {prim.name} for `{name}`: {exc.message}", loc, exc.hint
        ) from None
