"""Operands that broadcast: a partner shape for a binary operation, and
expressions of shape ``(1, q)`` and ``(p, 1)`` (``[None, :]``,
``expand_dims``, ``reshape``, reductions with ``keepdims``, ...). Offers no
constructs of its own: the elementwise, array, view and in-place families
use it."""

from __future__ import annotations

from ..program import Shape
from .core import Family
from .reductions import REDUCTIONS, Reductions


class Broadcasting(Family):
    """Shapes and operands that broadcast against a given shape."""

    def partner(self, shape: Shape) -> Shape:
        """A shape that broadcasts against ``shape`` to ``shape`` (with 1s
        written as such)."""
        g = self.g
        if len(shape) == 2:
            p, q = shape
            return g.pick([shape, shape, (q,), (), (1, q), (p, 1)])
        if len(shape) == 1:
            return g.pick([shape, shape, ()])
        return ()

    def operand(self, shape: Shape, depth: int) -> str:
        """An expression of ``shape``, where a 1 in a 2-D shape is made by a
        construct that keeps the axis."""
        if len(shape) == 2 and shape[0] == 1:
            return self.keep_row(shape[1], depth)
        if len(shape) == 2 and shape[1] == 1:
            return self.keep_col(shape[0], depth)
        return self.g.expr(shape, depth)

    def keep_row(self, q: int, depth: int) -> str:
        """An expression of shape ``(1, q)``."""
        g = self.g
        red_operand = g.family(Reductions).red_operand
        k = g.other_dim()
        red = g.pick(REDUCTIONS)
        return g.pick(
            [
                lambda: f"{g.expr((q,), depth)}[None, :]",
                lambda: f"{g.expr((q,), depth)}[np.newaxis]",
                lambda: f"np.expand_dims({g.expr((q,), depth)}, 0)",
                lambda: f"{g.expr((q,), depth)}.reshape(1, {q})",
                lambda: f"np.reshape({g.expr((q,), depth)}, (1, -1))",
                lambda: f"np.atleast_2d({g.expr((q,), depth)})",
                lambda: f"np.{red}({red_operand(red, (k, q), depth)}, axis=0, keepdims=True)",
                lambda: f"{red_operand(red, (k, q), depth)}.{red}(axis=0, keepdims=True)",
                lambda: f"{g.expr((k, q), depth)}[{self._row_slice(k)}]",
            ]
        )()

    def _row_slice(self, k: int) -> str:
        i = int(self.g.rng.integers(0, k))
        return self.g.pick([f"{i}:{i + 1}", ":1", "-1:"])

    def keep_col(self, p: int, depth: int) -> str:
        """An expression of shape ``(p, 1)``."""
        g = self.g
        red_operand = g.family(Reductions).red_operand
        k = g.other_dim()
        red = g.pick(REDUCTIONS)
        return g.pick(
            [
                lambda: f"{g.expr((p,), depth)}[:, None]",
                lambda: f"np.expand_dims({g.expr((p,), depth)}, 1)",
                lambda: f"{g.expr((p,), depth)}.reshape({p}, 1)",
                lambda: f"np.reshape({g.expr((p,), depth)}, (-1, 1))",
                lambda: f"np.{red}({red_operand(red, (p, k), depth)}, axis=1, keepdims=True)",
                lambda: f"np.{red}({red_operand(red, (p, k), depth)}, axis=-1, keepdims=True)",
                lambda: f"{g.expr((p, k), depth)}[:, {self._row_slice(k)}]",
            ]
        )()
