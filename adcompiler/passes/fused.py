"""Composite adjoints: chains of forward ops whose adjoint, taken as a
whole, reads less than the chain of their ops' adjoints.

The logistic sigmoid written out, ``s = 1 / (1 + np.exp(-z))``, is four
ops. Their adjoints one by one read ``s`` and ``np.exp(-z)``, so a loop's
tape keeps both, and the backward takes five array operations; the adjoint
of the whole, ``d_z = d_s * s * (1 - s)``, reads only ``s`` and takes
three (Theano recognised the same pattern). The chain's inner values must
have no other reader, so that no other adjoint flows through them.

A product with an exponential, ``y = a * np.exp(u)``, is another: the
adjoint of ``u`` through it, ``(d_y * a) * np.exp(u)``, is ``d_y * y``, one
product with the stored result instead of two (a Gaussian's
``np.sin(x) * np.exp(-x * x)``). And in ``-x * x``, x's contribution is
minus the product made for ``-x``, not a second product.
"""

from __future__ import annotations

import operator
from collections import Counter
from typing import Any

import numpy as np

from ..ir import Block, Graph, Op, Value, used_list
from .scalars import NEGATIONS

_DIVIDE = (operator.truediv, np.divide)
MULTIPLY = (operator.mul, np.multiply)
_ADD = (operator.add, np.add)


class Composites:
    """The composite patterns of one forward graph."""

    def __init__(self, graph: Graph):
        self.uses = Counter(used_list(graph))
        self.block_of: dict[int, Block] = {}
        self._index(graph.body)

    def _index(self, block: Block) -> None:
        for op in block.ops:
            self.block_of[id(op)] = block
            for region in op.regions:
                self._index(region)

    def _inner(self, value: Any, fns: tuple, owner: Op) -> Op | None:
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

    def logistic_input(self, op: Op) -> Value | None:
        """``z`` when ``op`` computes ``1 / (1 + np.exp(-z))`` (the 1s Python
        numbers, the sum either way round), else None."""
        if op.prim.fn not in _DIVIDE or op.kwargs or len(op.args) != 2:
            return None
        one, total = op.args
        total_op = self._inner(total, _ADD, op)
        if not _is_one(one) or total_op is None or len(total_op.args) != 2:
            return None
        left, right = total_op.args
        exp = right if _is_one(left) else left if _is_one(right) else None
        exp_op = self._inner(exp, (np.exp,), total_op)
        if exp_op is None or len(exp_op.args) != 1:
            return None
        neg_op = self._inner(exp_op.args[0], NEGATIONS, exp_op)
        if neg_op is None or len(neg_op.args) != 1:
            return None
        z = neg_op.args[0]
        return z if isinstance(z, Value) else None

    def exp_factor(self, op: Op) -> tuple[Value, Value, int] | None:
        """``(e, u, k)`` when ``op`` is a product whose ``k``-th factor is
        ``e = np.exp(u)``, read by ``op`` alone, and the other factor is not
        ``e``; else None."""
        if op.prim.fn not in MULTIPLY or op.kwargs or len(op.args) != 2:
            return None
        for k, factor in enumerate(op.args):
            if factor is op.args[1 - k]:
                return None
            exp_op = self._inner(factor, (np.exp,), op)
            if exp_op is not None and len(exp_op.args) == 1:
                u = exp_op.args[0]
                if isinstance(u, Value):
                    return factor, u, k
        return None

    def negated_square(self, op: Op) -> tuple[Value, Value] | None:
        """``(minus_x, x)`` when ``op`` is ``minus_x * x`` (either way round)
        with ``minus_x = -x``: both factors have one shape, and x's
        contribution is minus the other's (exactly: rounding is symmetric in
        the sign). ``minus_x`` may have other readers."""
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


def _is_one(x: Any) -> bool:
    return type(x) in (int, float) and x == 1
