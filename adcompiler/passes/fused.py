"""Composite adjoints: patterns of forward ops whose adjoint, taken as a
whole, reads less or computes less than the adjoints of their ops one by one.

The reverse pass (:mod:`adcompiler.reverse`) applies each op's rules; before
it does, it asks this rewrite whether a composite pattern ends at the op
(:meth:`Composites.find`). When one does, the pattern's backward gives the
contributions instead of the rules. The patterns, in the order they are
tried (the first that matches wins):

* :class:`Logistic`: the logistic sigmoid written out,
  ``s = 1 / (1 + np.exp(-z))``, is four ops. Their adjoints one by one read
  ``s`` and ``np.exp(-z)``, so a loop's tape keeps both, and the backward
  takes five array operations; the adjoint of the whole,
  ``d_z = d_s * s * (1 - s)``, reads only ``s`` and takes three (Theano
  recognised the same pattern). The chain's inner values must have no other
  reader, so that no other adjoint flows through them.
* :class:`DoubledUnderSum`: ``x * x`` or ``x + x`` whose adjoint is a number
  spread over x's shape (the backward of ``np.sum`` or ``np.mean``): the
  number is doubled, not the array, and ``x * x`` makes one product.
* :class:`NegatedSquare`: in ``-x * x``, x's contribution is minus the
  product made for ``-x``, not a second product.
* :class:`ExpFactor`: a product with an exponential, ``y = a * np.exp(u)``:
  the adjoint of ``u`` through it, ``(d_y * a) * np.exp(u)``, is
  ``d_y * y``, one product with the stored result instead of two (a
  Gaussian's ``np.sin(x) * np.exp(-x * x)``).
* :class:`SameOperands`: ``x * x``, ``x + x`` otherwise: both arguments get
  the same contribution, computed once.

Guarantees: a pattern matches only ops without keywords, the inner ops of a
chain in the block of the op that ends it and read by nothing else; its
backward adds to each active value exactly the contribution the rules of
the chain's ops would have added in total (up to rounding), so gradients do
not change. The rewrite is an optimisation: the reverse pass uses it only
while :func:`adcompiler.options.optimizing` holds.
"""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections import Counter
from typing import Any, Callable, Collection, NamedTuple, Protocol

import numpy as np

from .. import runtime
from ..ir import Block, Graph, Op, Value, tree_values, used_list
from ..primitives.elementwise import _scalar_constant, ub
from ..primitives.symbolic import Sym, call
from .scalars import ARITHMETIC, NEGATIONS

_DIVIDE = (operator.truediv, np.divide)
MULTIPLY = (operator.mul, np.multiply)
_ADD = (operator.add, np.add)

#: Binary operations whose rule gives both arguments the same adjoint when
#: they are the same value.
SYMMETRIC = (operator.add, operator.mul, np.add, np.multiply)


class Backward(Protocol):
    """What a composite's backward may ask of the reverse pass, for the op
    the pattern ends at (implemented by :mod:`adcompiler.reverse`)."""

    #: the op the pattern ends at
    op: Op
    #: the adjoint of the op's result
    g: Sym
    #: the op's result
    ans: Sym
    #: the op's arguments, graph values as :class:`Sym`
    args: tuple

    def is_active(self, value: Any) -> bool:
        """Whether the gradient flows through ``value``."""

    def contribute(self, value: Any, make: Callable[[], Any]) -> Any:
        """Add ``make()`` (run now, emitting its ops into the backward) to
        the adjoint of ``value``; return it."""

    def add_again(self, operand: Any, contribution: Any) -> None:
        """Add ``contribution``, already added to another use, to the
        adjoint of ``operand`` as well."""

    def apply_rules(self, skip: Collection[int] = ()) -> dict[int, Any]:
        """Apply the op's rules for its arguments, but those at the indices
        in ``skip``; return the contribution made for each index."""


class Composite(ABC):
    """One pattern: which ops it covers (:meth:`match`) and their adjoint
    as a whole (:meth:`backward`)."""

    #: what the pattern is called in listings and tests
    name: str = ""

    @abstractmethod
    def match(self, op: Op, index: "Composites", step: Backward) -> Any:
        """What :meth:`backward` needs when the pattern ends at ``op``, else
        None. ``index`` knows the forward graph's readers and blocks."""

    @abstractmethod
    def backward(self, found: Any, step: Backward) -> None:
        """Add the pattern's adjoint contributions, ``found`` being what
        :meth:`match` returned."""


class Logistic(Composite):
    """``s = 1 / (1 + np.exp(-z))`` (the 1s Python numbers, the sum either
    way round): ``d_z = d_s * s * (1 - s)``."""

    name = "logistic"

    def match(self, op: Op, index: "Composites", step: Backward) -> Value | None:
        if op.prim.fn not in _DIVIDE or op.kwargs or len(op.args) != 2:
            return None
        one, total = op.args
        total_op = index.inner(total, _ADD, op)
        if not _is_one(one) or total_op is None or len(total_op.args) != 2:
            return None
        left, right = total_op.args
        exp = right if _is_one(left) else left if _is_one(right) else None
        exp_op = index.inner(exp, (np.exp,), total_op)
        if exp_op is None or len(exp_op.args) != 1:
            return None
        neg_op = index.inner(exp_op.args[0], NEGATIONS, exp_op)
        if neg_op is None or len(neg_op.args) != 1:
            return None
        z = neg_op.args[0]
        return z if isinstance(z, Value) else None

    def backward(self, found: Value, step: Backward) -> None:
        g, ans = step.g, step.ans
        step.contribute(found, lambda: g * ans * (1.0 - ans))


class DoubledUnderSum(Composite):
    """``x * x`` or ``x + x`` whose adjoint is ``np.broadcast_to(number,
    shape)`` of a number, and x active: x's contribution is
    ``(number + number) * x``, or the doubled number broadcast to the shape."""

    name = "doubled under a sum"

    def match(
        self, op: Op, index: "Composites", step: Backward
    ) -> tuple[Any, Any] | None:
        if not _same_operands(op):
            return None
        spread = _spread_scalar(step.g.value)
        if spread is None or not step.is_active(op.args[0]):
            return None
        return spread

    def backward(self, found: tuple[Any, Any], step: Backward) -> None:
        number, shape = found
        x = step.op.args[0]
        product = step.op.prim.fn in MULTIPLY

        def make() -> Any:
            doubled = Sym(number) + Sym(number)
            if isinstance(doubled.value, Value):
                doubled.value.scalar = True  # shape (): x's shape is kept
            if product:
                return doubled * Sym(x)
            return call(np.broadcast_to, doubled, Sym(shape))

        step.contribute(x, make)


class NegatedSquare(Composite):
    """``minus_x * x`` (either way round) with ``minus_x = -x``: both factors
    have one shape, and x's contribution is minus the other's (exactly:
    rounding is symmetric in the sign). ``minus_x`` may have other readers."""

    name = "negated square"

    def match(
        self, op: Op, index: "Composites", step: Backward
    ) -> tuple[Value, Value] | None:
        if op.prim.fn not in MULTIPLY or op.kwargs or len(op.args) != 2:
            return None
        for minus_x, x in (op.args, op.args[::-1]):
            inner = getattr(minus_x, "op", None)
            if (
                isinstance(minus_x, Value)
                and isinstance(inner, Op)
                and inner.prim.fn in NEGATIONS
                and not inner.kwargs
                and len(inner.args) == 1
                and inner.args[0] is x
                and isinstance(x, Value)
            ):
                return minus_x, x
        return None

    def backward(self, found: tuple[Value, Value], step: Backward) -> None:
        minus_x, x = found
        g = step.g
        product = step.contribute(minus_x, lambda: g * Sym(x))
        if step.is_active(x):
            step.contribute(x, lambda: -product)


class ExpFactor(Composite):
    """A product whose ``k``-th factor is ``e = np.exp(u)``, read by the
    product alone, the other factor not ``e``: the other factor's rule
    applies, and ``d_u = d_y * y`` (summed to u's shape unless the other
    factor is a number)."""

    name = "exponential factor"

    def match(
        self, op: Op, index: "Composites", step: Backward
    ) -> tuple[Value, Value, int] | None:
        if op.prim.fn not in MULTIPLY or op.kwargs or len(op.args) != 2:
            return None
        for k, factor in enumerate(op.args):
            if factor is op.args[1 - k]:
                return None
            exp_op = index.inner(factor, (np.exp,), op)
            if exp_op is not None and len(exp_op.args) == 1:
                u = exp_op.args[0]
                if isinstance(u, Value):
                    return factor, u, k
        return None

    def backward(self, found: tuple[Value, Value, int], step: Backward) -> None:
        _, u, k = found
        step.apply_rules(skip=(k,))
        if not step.is_active(u):
            return
        g, ans, args = step.g, step.ans, step.args

        def make() -> Any:
            contribution = g * ans
            if not _scalar_constant(args[1 - k]):
                contribution = ub(contribution, args[k])
            return contribution

        step.contribute(u, make)


_MAX = (np.max, np.amax)
_SUBTRACT = (operator.sub, np.subtract)


def _axis_keep(op: Op) -> tuple[Any, bool] | None:
    """``(axis, keepdims)`` of a reduction op of one array (None when its
    arguments are not plain constants)."""
    if len(op.args) != 1 or set(op.kwargs) - {"axis", "keepdims"}:
        return None
    axis = op.kwargs.get("axis")
    keepdims = op.kwargs.get("keepdims", False)
    if isinstance(axis, Value) or isinstance(keepdims, Value):
        return None
    return (tuple(axis) if isinstance(axis, list) else axis), bool(keepdims)


class ShiftInvariant(Composite):
    """``z = x - np.max(x, axis, keepdims=True)`` (or ``- np.max(x)``) read
    only by a log-softmax or softmax along that axis: ``np.exp(z)``, its
    ``np.sum`` along the axis, the sum's ``np.log`` subtracted from ``z``,
    the exponential divided by its sum. Those results do not change when a
    number is added to ``z`` along the axis, so the max's adjoint, whose
    rules compare ``x`` with it and count the ties, is exactly 0 (its
    contributions sum to 0 along the axis): only ``x`` gets ``d_z``. (What
    JAX gets with ``stop_gradient`` on the max.)"""

    name = "shift-invariant max"

    def match(self, op: Op, index: "Composites", step: Backward) -> bool | None:
        if op.prim.fn not in _SUBTRACT or op.kwargs or len(op.args) != 2:
            return None
        x, m = op.args
        inner = getattr(m, "op", None)
        if not isinstance(x, Value) or not isinstance(inner, Op):
            return None
        if inner.prim.fn not in _MAX or inner.args[:1] != (x,):
            return None
        reduced = _axis_keep(inner)
        if reduced is None or (reduced[0] is not None and not reduced[1]):
            return None
        return True if self._invariant(op.out, reduced, index) else None

    def _invariant(self, z: Value, reduced: tuple, index: "Composites") -> bool:
        axis, _ = reduced

        def along(op: Op) -> bool:  # a sum along the max's axis, shape kept
            found = _axis_keep(op)
            return (
                op.prim.fn is np.sum
                and found is not None
                and found[0] == axis
                and (axis is None or found[1])
            )

        for reader in index.readers(z):
            fn = reader.prim.fn if isinstance(reader, Op) else None
            if fn is np.exp and len(reader.args) == 1 and not reader.kwargs:
                e = reader.out
                sums = [r for r in index.readers(e) if isinstance(r, Op) and along(r)]
                for other in index.readers(e):
                    if other in sums:
                        continue
                    if not (
                        isinstance(other, Op)
                        and other.prim.fn in _DIVIDE
                        and not other.kwargs
                        and len(other.args) == 2
                        and other.args[0] is e
                        and getattr(other.args[1], "op", None) in sums
                    ):
                        return False
                for total in sums:
                    for use in index.readers(total.out):
                        if not isinstance(use, Op) or use.kwargs:
                            return False
                        if use.prim.fn in _DIVIDE and use.args == (e, total.out):
                            continue
                        if use.prim.fn is np.log and len(use.args) == 1:
                            if all(
                                isinstance(sub, Op)
                                and sub.prim.fn in _SUBTRACT
                                and not sub.kwargs
                                and sub.args == (z, use.out)
                                for sub in index.readers(use.out)
                            ):
                                continue
                        return False
            elif (
                fn in _SUBTRACT
                and not reader.kwargs
                and len(reader.args) == 2
                and reader.args[0] is z
                and self._is_log_sum_exp(reader.args[1], z, along)
            ):
                continue
            else:
                return False
        return True

    @staticmethod
    def _is_log_sum_exp(value: Any, z: Value, along: Any) -> bool:
        log = getattr(value, "op", None)
        if not (isinstance(log, Op) and log.prim.fn is np.log and len(log.args) == 1):
            return False
        total = getattr(log.args[0], "op", None)
        if not (isinstance(total, Op) and along(total)):
            return False
        exp = getattr(total.args[0], "op", None)
        return (
            isinstance(exp, Op)
            and exp.prim.fn is np.exp
            and len(exp.args) == 1
            and exp.args[0] is z
        )

    def backward(self, found: bool, step: Backward) -> None:
        step.apply_rules(skip=(1,))


class SameOperands(Composite):
    """``x * x`` or ``x + x``: the rule's contribution for the first
    argument is added for the second as well, not computed again."""

    name = "same operands"

    def match(self, op: Op, index: "Composites", step: Backward) -> bool | None:
        return True if _same_operands(op) else None

    def backward(self, found: bool, step: Backward) -> None:
        made = step.apply_rules(skip=(1,))
        if step.is_active(step.op.args[0]):
            step.add_again(step.op.args[1], made[0])


#: The composite patterns, in the order they are tried.
COMPOSITES: tuple[Composite, ...] = (
    Logistic(),
    ShiftInvariant(),
    DoubledUnderSum(),
    NegatedSquare(),
    ExpFactor(),
    SameOperands(),
)


class Match(NamedTuple):
    """A composite pattern found at an op, and what its backward needs."""

    composite: Composite
    found: Any

    def backward(self, step: Backward) -> None:
        """The pattern's adjoint contributions (:meth:`Composite.backward`)."""
        self.composite.backward(self.found, step)


class Composites:
    """The composite rewrite of one forward graph: finds the patterns that
    end at its ops, knowing each value's readers and each op's block."""

    def __init__(
        self, graph: Graph, patterns: tuple[Composite, ...] = COMPOSITES
    ) -> None:
        self.patterns = patterns
        self.uses = Counter(used_list(graph))
        self._graph = graph
        self._readers: dict[int, list[Any]] | None = None
        self.block_of: dict[int, Block] = {}
        self._index(graph.body)

    def _index(self, block: Block) -> None:
        for op in block.ops:
            self.block_of[id(op)] = block
            for region in op.regions:
                self._index(region)

    def find(self, op: Op, step: Backward) -> Match | None:
        """The first pattern (in :attr:`patterns` order) ending at ``op``,
        else None (the op's rules apply)."""
        for composite in self.patterns:
            found = composite.match(op, self, step)
            if found is not None:
                return Match(composite, found)
        return None

    def readers(self, value: Value) -> list[Any]:
        """The ops reading ``value`` (an op reading it twice, once), and the
        graph's outputs as ``None`` when they include it."""
        if self._readers is None:
            found: dict[int, list[Any]] = {}
            for op in self._graph.walk():
                for read in dict.fromkeys(op.reads()):
                    found.setdefault(id(read), []).append(op)
            for out in tree_values(self._graph.outputs):
                found.setdefault(id(out), []).append(None)
            self._readers = found
        return self._readers.get(id(value), [])

    def inner(self, value: Any, fns: tuple, owner: Op) -> Op | None:
        """The op defining ``value`` when it is one of ``fns``, without
        keywords, in ``owner``'s block, and ``owner`` is its only reader."""
        if not isinstance(value, Value) or self.uses[value] != 1:
            return None
        op = value.op
        if not isinstance(op, Op) or op.prim.fn not in fns or op.kwargs:
            return None
        if self.block_of.get(id(op)) is not self.block_of.get(id(owner)):
            return None
        return op


def _same_operands(op: Op) -> bool:
    """``op`` is a symmetric binary operation of one value with itself."""
    return (
        op.prim.fn in SYMMETRIC
        and len(op.args) == 2
        and not op.kwargs
        and isinstance(op.args[0], Value)
        and op.args[0] is op.args[1]
    )


def _spread_scalar(adjoint: Any) -> tuple[Any, Any] | None:
    """``(number, shape)`` when ``adjoint`` is ``np.broadcast_to(number,
    shape)`` of a number: the seed, or arithmetic of it (as the backward of
    ``np.sum`` and ``np.mean`` makes it)."""
    op = getattr(adjoint, "op", None)
    if not (
        isinstance(op, Op)
        and op.prim.fn is np.broadcast_to
        and len(op.args) == 2
        and not op.kwargs
    ):
        return None
    number, shape = op.args
    return (number, shape) if _is_number(number, 8) else None


def _is_number(value: Any, depth: int) -> bool:
    """The backward's seed, a scalar, or scalar arithmetic of those."""
    if not isinstance(value, Value):
        return type(value) in (int, float)
    if value.scalar:
        return True
    op = value.op
    if not isinstance(op, Op) or op.kwargs or depth == 0:
        return False
    if op.prim.fn is runtime.seed_adjoint:
        return True
    return op.prim.fn in ARITHMETIC and all(
        _is_number(arg, depth - 1) for arg in op.args
    )


def _is_one(x: Any) -> bool:
    return type(x) in (int, float) and x == 1
