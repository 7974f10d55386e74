"""Views and reshapes: transposes, ``swapaxes``, ``moveaxis``,
``reshape``, ``flip``, ``[::-1]``, ``squeeze``, ``ravel``, ``flatten`` and
integer indexing. Offered only where the expression need not be fresh (a
view of a variable must not be written in place)."""

from __future__ import annotations

from ..program import Shape
from .broadcast import Broadcasting
from .core import ExpressionOption, Family


class Views(Family):
    """Expressions that may be views of a variable."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        if fresh:
            return []
        return [(0.8, self.reshaped), (0.5, self.indexed)]

    def reshaped(self, shape: Shape, depth: int) -> str:
        """An expression reshaped, transposed or flipped to ``shape``."""
        g = self.g
        broadcasting = g.family(Broadcasting)
        if len(shape) == 2:
            p, q = shape
            return g.pick(
                [
                    lambda: f"{g.expr((q, p), depth)}.T",
                    lambda: f"np.transpose({g.expr((q, p), depth)})",
                    lambda: f"np.swapaxes({g.expr((q, p), depth)}, 0, 1)",
                    lambda: f"np.moveaxis({g.expr((q, p), depth)}, 0, -1)",
                    lambda: f"np.reshape({g.expr((q, p), depth)}, ({p}, {q}))",
                    lambda: f"{g.expr((q, p), depth)}.reshape({p}, -1)",
                    lambda: f"np.flip({g.expr(shape, depth)}, axis=1)",
                    lambda: f"{g.expr(shape, depth)}[::-1]",
                    lambda: f"np.squeeze({g.expr(shape, depth)}[None], axis=0)",
                ]
            )()
        if len(shape) == 1:
            (p,) = shape
            k = g.other_dim()
            return g.pick(
                [
                    lambda: f"np.flip({g.expr(shape, depth)})",
                    lambda: f"{g.expr(shape, depth)}[::-1]",
                    lambda: f"np.ravel({g.expr(shape, depth)})",
                    lambda: f"np.squeeze({broadcasting.keep_col(p, depth)})",
                    lambda: f"{broadcasting.keep_row(p, depth)}[0]",
                    lambda: f"np.atleast_1d({g.expr(shape, depth)})",
                    lambda: f"np.asarray({g.expr(shape, depth)})",
                    lambda: f"{g.expr((k, p), depth)}[{g.index_of(k)}]",
                ]
            )()
        return g.pick(
            [
                lambda: f"np.sum(np.ravel({g.expr((g.m, g.n), depth)}) ** 2)",
                lambda: f"np.mean({g.expr((g.n, g.m), depth)}.flatten())",
                lambda: f"np.squeeze({broadcasting.keep_col(1, depth)})",
            ]
        )()

    def indexed(self, shape: Shape, depth: int) -> str:
        """An element or row of an expression of a larger shape."""
        g = self.g
        if len(shape) == 2:
            return self.reshaped(shape, depth)
        if len(shape) == 1:
            k = g.other_dim()
            e = g.expr((k, shape[0]), depth)
            return f"{e}[{g.int_index(k) or g.index_of(k)}]"
        s = g.pick([s for s in g.shapes if s])
        index = ", ".join(g.index_of(a) for a in s)
        return f"{g.expr(s, depth)}[{index}]"
