"""Conditions on data (comparisons, ``and``, ``or``, ``not``) and the
conditional expression ``a if c else b``. The conditions are also what
``if``, ``while`` and ``break`` of the control-flow family test."""

from __future__ import annotations

from ..program import Shape
from .core import ExpressionOption, Family


class Conditionals(Family):
    """Conditions, and ``a if c else b``."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        if fresh:
            return []
        return [(0.4, self.ifexp)]

    def ifexp(self, shape: Shape, depth: int) -> str:
        """``(a if c else b)`` with ``a`` and ``b`` of ``shape``."""
        g = self.g
        return f"({g.expr(shape, depth)} if {self.cond()} else {g.expr(shape, depth)})"

    def cond(self) -> str:
        """A condition on data (a Python bool at any input)."""
        g = self.g
        s = g.pick([s for s in g.shapes if s])
        text = g.pick(
            [
                lambda: f"np.sum({g.expr(s, 1)}) > {g.const()}",
                lambda: f"{g.expr((), 1)} > {g.const()}",
                lambda: f"{g.expr((), 1)} < {g.expr((), 1)}",
                lambda: f"np.mean({g.expr(s, 1)}) >= 0.0",
                lambda: f"{g.expr((), 0)} > 0.0 and {g.expr((), 0)} < 0.5",
                lambda: f"not {g.expr((), 0)} > 0.2",
                lambda: f"{g.expr((), 0)} > 0.5 or {g.expr((), 0)} < -0.5",
            ]
        )()
        return text
