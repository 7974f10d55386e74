"""Calls: a generated helper function (two parameters, maybe a default),
defined before ``f`` and called with positional and keyword arguments, in
expressions and as statements."""

from __future__ import annotations

from ..program import Shape
from .assignments import Assignments
from .control import ControlFlow
from .core import ExpressionOption, Family, Helper, StatementOption, Var


class Calls(Family):
    """``def helper(a, b, c=0.5): ...`` and ``helper(e1, b=e2)``."""

    def definitions(self) -> list[str]:
        return self.helper_def() if self.g.chance(0.6) else []

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        g = self.g
        if not fresh and g.helper is not None and g.helper.result == shape:
            return [(0.8, self.call_helper)]
        return []

    def top_level_statements(self, depth: int) -> list[StatementOption]:
        return [(1.0, self.call_stmt)]

    def call_helper(self, shape: Shape, depth: int) -> str:
        """A call of the helper (whose result has ``shape``)."""
        g = self.g
        assert g.helper is not None
        sa, sb = g.helper.params
        a, b = g.expr(sa, depth), g.expr(sb, depth)
        if g.helper.has_default and g.chance(0.5):
            c = g.expr((), depth) if g.chance(0.5) else g.const()
            return g.pick(
                [
                    f"{g.helper.name}({a}, {b}, {c})",
                    f"{g.helper.name}({a}, {b}, c={c})",
                ]
            )
        return g.pick([f"{g.helper.name}({a}, {b})", f"{g.helper.name}({a}, b={b})"])

    def call_stmt(self, depth: int) -> list[str]:
        """A new variable bound to a call of the helper."""
        g = self.g
        if g.helper is None:
            return g.family(Assignments).assign_new(depth)
        name = g.fresh("h")
        g.refs = set()
        text = self.call_helper(g.helper.result, 2)
        return [g.bind(name, g.helper.result, text, False)]

    def helper_def(self) -> list[str]:
        """The helper's definition; sets :attr:`Generator.helper`."""
        g = self.g
        sa = g.pick([(), (g.n,), (g.m, g.n), (g.m,)])
        sb = g.pick([(), (g.n,), (g.m, g.n)])
        result = g.pick([(), (g.n,), (g.m, g.n), (g.m,)])
        has_default = g.chance(0.4)
        params = "a, b, c=0.5" if has_default else "a, b"
        g.vars = {"a": Var(sa, False), "b": Var(sb, False)}
        g.inputs = ("a", "b")
        if has_default:
            g.vars["c"] = Var((), False)
        assignments, control = g.family(Assignments), g.family(ControlFlow)
        lines = []
        for _ in range(int(g.rng.integers(0, 3))):
            lines += g.pick(
                [
                    assignments.assign_new,
                    assignments.reassign,
                    control.if_stmt,
                    control.for_stmt,
                ]
            )(1)
        g.refs = set()
        ret = g.expr(result, 3)
        if has_default and "c" not in " ".join(lines) + ret:
            ret = f"c * {ret}"
        lines.append(f"return {ret}")
        g.helper = Helper("helper", (sa, sb), result, has_default)
        return [f"def helper({params}):"] + g.indent(lines)
