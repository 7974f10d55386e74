"""Scalar-only constructs: the ``math`` module and builtins
(:data:`MATH`), ``max``/``min`` of two scalars, a masked sum and ``sum`` of
a list."""

from __future__ import annotations

from ..program import Shape
from .core import ExpressionOption, Family

#: Scalar-only functions of the ``math`` module and builtins.
MATH = (
    "math.sin({e})",
    "math.cos({e})",
    "math.tanh({e})",
    "math.exp(math.tanh({e}))",
    "math.log(1.0 + {e} ** 2)",
    "math.sqrt({e} * {e} + 1.0)",
    "math.atan({e})",
    "abs({e})",
    "float({e})",
    "math.hypot({e}, 0.5)",
    "math.log1p(math.exp(math.sin({e})))",
    "pow({e}, 2)",
)


class Scalars(Family):
    """``math.sin(e)``, ``max(a, b)``, ``np.sum(e[mask] ** 2)``, ``sum([...])``."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        if shape != ():
            return []
        return [
            (1.0, self.math_call),
            (0.6, self.builtin_minmax),
            (0.3, self.masked_sum),
            (0.4, self.list_sum),
        ]

    def math_call(self, shape: Shape, depth: int) -> str:
        """One of :data:`MATH` of a scalar expression."""
        g = self.g
        return g.pick(MATH).format(e=g.expr((), depth))

    def builtin_minmax(self, shape: Shape, depth: int) -> str:
        """The builtin ``max`` or ``min`` of two scalar expressions."""
        g = self.g
        a, b = g.expr((), depth), g.expr((), depth)
        return f"{g.pick(['max', 'min'])}({a}, {b})"

    def masked_sum(self, shape: Shape, depth: int) -> str:
        """A sum of squares of the elements a boolean mask selects."""
        g = self.g
        s = g.pick([s for s in g.shapes if s])
        e = g.expr(s, depth)
        return f"np.sum({e}[{g.expr(s, depth)} > {g.const()}] ** 2)"

    def list_sum(self, shape: Shape, depth: int) -> str:
        """The builtin ``sum`` of a list of scalar expressions."""
        g = self.g
        k = int(g.pick([2, 3]))
        return f"sum([{', '.join(g.expr((), depth) for _ in range(k))}])"
