"""Products: ``@``, ``np.dot``, ``np.matmul``, ``np.einsum``,
``np.tensordot``, ``np.inner``, ``np.trace``, and outer products and their
broadcast spellings."""

from __future__ import annotations

from ..program import Shape
from .core import ExpressionOption, Family


class Linalg(Family):
    """Matrix and vector products, traces and outer products."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        options: list[ExpressionOption] = [(1.0, self.matmul)]
        if len(shape) == 2:
            options.append((1.0, self.outer))
        return options

    def matmul(self, shape: Shape, depth: int) -> str:
        """A product (or a trace) whose result has ``shape``."""
        g = self.g
        k = g.other_dim()
        if len(shape) == 2:
            p, q = shape
            a, b = g.expr((p, k), depth), g.expr((k, q), depth)
            return g.pick(
                [
                    f"({a} @ {b})",
                    f"({a} @ {b})",
                    f"np.dot({a}, {b})",
                    f"np.matmul({a}, {b})",
                    f"{a}.dot({b})",
                    f'np.einsum("ij,jk->ik", {a}, {b})',
                    f"np.tensordot({a}, {b}, axes=1)",
                ]
            )
        if len(shape) == 1:
            (p,) = shape
            if g.chance(0.5):
                a, b = g.expr((p, k), depth), g.expr((k,), depth)
                return g.pick(
                    [
                        f"({a} @ {b})",
                        f"np.dot({a}, {b})",
                        f'np.einsum("ij,j->i", {a}, {b})',
                    ]
                )
            a, b = g.expr((k,), depth), g.expr((k, p), depth)
            return g.pick([f"({a} @ {b})", f"np.matmul({a}, {b})"])
        if g.chance(0.25):
            return g.pick(
                [
                    lambda: f"np.trace({g.expr((k, k), depth)})",
                    lambda: f'np.einsum("ij,ij->", {g.expr((g.m, g.n), depth)}, {g.expr((g.m, g.n), depth)})',
                    lambda: f'np.einsum("ii->", {g.expr((k, k), depth)})',
                ]
            )()
        a, b = g.expr((k,), depth), g.expr((k,), depth)
        return g.pick(
            [
                f"({a} @ {b})",
                f"np.dot({a}, {b})",
                f"np.inner({a}, {b})",
                f'np.einsum("i,i->", {a}, {b})',
            ]
        )

    def outer(self, shape: Shape, depth: int) -> str:
        """A 2-D ``shape`` made of two vectors (or one, tiled)."""
        g = self.g
        p, q = shape
        a, b = g.expr((p,), depth), g.expr((q,), depth)
        return g.pick(
            [
                f"np.outer({a}, {b})",
                f"({a}[:, None] * {b}[None, :])",
                f"({a}[:, None] + {b})",
                f'np.einsum("i,j->ij", {a}, {b})',
                f"np.tile({b}, ({p}, 1))",
                f"np.broadcast_to({b}, ({p}, {q}))",
                f"np.repeat({a}[:, None], {q}, axis=1)",
            ]
        )
