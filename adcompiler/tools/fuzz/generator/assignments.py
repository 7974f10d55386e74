"""Assignments: a new variable bound to an expression, and a variable
reassigned from its own value (the state a loop carries)."""

from __future__ import annotations

from ..program import Shape
from .core import Family, StatementOption
from .elementwise import Elementwise


class Assignments(Family):
    """``v1 = e`` (top level) and ``v1 = np.tanh(0.8 * v1 + e)`` (anywhere)."""

    def statements(self, depth: int) -> list[StatementOption]:
        return [(2.0, self.reassign)]

    def top_level_statements(self, depth: int) -> list[StatementOption]:
        return [(3.0, self.assign_new)]

    def rhs(self, shape: Shape, depth: int = 3) -> tuple[str, bool]:
        """The right-hand side of an assignment, and whether it is fresh."""
        g = self.g
        g.refs = set()
        fresh = g.chance(0.8)
        if fresh and g.chance(0.4):
            return g.family(Elementwise).squashed(shape, depth - 1), True
        return g.expr(shape, depth, fresh=fresh), fresh

    def assign_new(self, depth: int) -> list[str]:
        """A new variable of a random shape."""
        g = self.g
        shape = g.pick(g.shapes)
        name = g.fresh("v")
        text, fresh = self.rhs(shape)
        return [g.bind(name, shape, text, fresh)]

    def reassign(self, depth: int) -> list[str]:
        """A variable (not an input) bound again to a function of itself."""
        g = self.g
        names = g.names()
        if not names:
            return self.assign_new(depth)
        name = g.pick(names)
        shape = g.vars[name].shape
        g.refs = set()
        inner = g.expr(shape, 2)
        carried = g.pick(
            [
                f"np.tanh(0.8 * {name} + {inner})",
                f"0.5 * {name} + 0.5 * np.sin({inner})",
                f"{name} * np.cos({inner})",
                f"np.sin({name}) + 0.3 * np.tanh({inner})",
                f"np.tanh({inner})",
            ]
        )
        return [g.bind(name, shape, carried, True)]
