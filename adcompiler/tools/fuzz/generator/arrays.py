"""Array constructions of 1-D and 2-D shapes: integer-list indexing,
``np.where``, joining (``concatenate``, ``hstack``, ``vstack``,
``stack``, ``np.array`` of a list) and ``cumsum``/``flip``."""

from __future__ import annotations

from ..program import Shape
from .broadcast import Broadcasting
from .core import ExpressionOption, Family
from .elementwise import Elementwise
from .linalg import Linalg


class Arrays(Family):
    """Fancy indexing, selection, joining and cumulative sums."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        if len(shape) == 2:
            return [
                (0.6, self.fancy_index),
                (0.5, self.where),
                (0.6, self.concatenate),
                (0.4, self.stacked),
                (0.3, self.cumsum),
            ]
        if len(shape) == 1:
            return [
                (0.6, self.concatenate),
                (0.5, self.fancy_index),
                (0.3, self.cumsum),
                (0.5, self.where),
            ]
        return []

    def fancy_index(self, shape: Shape, depth: int) -> str:
        """Rows of an expression picked by a list of integers."""
        g = self.g
        r = g.other_dim()
        source = (r,) + shape[1:]
        rows = [int(i) for i in g.rng.integers(0, r, size=shape[0])]
        return f"{g.expr(source, depth)}[{rows}]"

    def where(self, shape: Shape, depth: int) -> str:
        """``np.where`` on a comparison of an expression with a constant."""
        g = self.g
        broadcasting = g.family(Broadcasting)
        c = g.expr(shape, depth)
        a = g.expr(shape, depth)
        b = broadcasting.operand(broadcasting.partner(shape), depth)
        return f"np.where({c} > {g.const()}, {a}, {b})"

    def concatenate(self, shape: Shape, depth: int) -> str:
        """Two expressions joined along the first axis."""
        g = self.g
        if shape[0] < 2:
            return g.family(Elementwise).unary(shape, depth)
        cut = int(g.rng.integers(1, shape[0]))
        a = g.expr((cut,) + shape[1:], depth)
        b = g.expr((shape[0] - cut,) + shape[1:], depth)
        if len(shape) == 1:
            return g.pick([f"np.concatenate([{a}, {b}])", f"np.hstack([{a}, {b}])"])
        return g.pick(
            [
                f"np.concatenate([{a}, {b}], axis=0)",
                f"np.vstack([{a}, {b}])",
                f"np.concatenate(({a}, {b}))",
            ]
        )

    def stacked(self, shape: Shape, depth: int) -> str:
        """Rows stacked into a 2-D ``shape``."""
        g = self.g
        p, q = shape
        if p > 3:
            return g.family(Linalg).outer(shape, depth)
        parts = ", ".join(g.expr((q,), depth) for _ in range(p))
        return g.pick(
            [f"np.stack([{parts}])", f"np.array([{parts}])", f"np.vstack([{parts}])"]
        )

    def cumsum(self, shape: Shape, depth: int) -> str:
        """A cumulative sum (or a flip) of an expression of ``shape``."""
        g = self.g
        e = g.expr(shape, depth)
        if len(shape) == 1:
            return g.pick(
                [f"np.cumsum({e})", f"{e}.cumsum()", f"np.flip(np.cumsum({e}))"]
            )
        return g.pick(
            [f"np.cumsum({e}, axis={g.pick([0, 1, -1])})", f"np.flip({e}, axis=0)"]
        )
