"""Control flow: ``if``/``elif``/``else`` on data, ``for`` loops over
ranges (forward, reversed, strided) and over rows (``enumerate``), ``while``
loops with bounded counters, ``break``/``continue``, and an early
``return``."""

from __future__ import annotations

from typing import Sequence

from ..program import Shape
from .assignments import Assignments
from .conditionals import Conditionals
from .core import Family, StatementOption, Var


class ControlFlow(Family):
    """Branches, loops, jumps and early returns."""

    def top_level_statements(self, depth: int) -> list[StatementOption]:
        return [(0.25, self.early_return)]

    def compound_statements(self, depth: int) -> list[StatementOption]:
        return [(1.2, self.if_stmt), (1.2, self.for_stmt), (0.7, self.while_stmt)]

    def if_stmt(self, depth: int) -> list[str]:
        """``if``, maybe ``elif``, maybe ``else``; maybe defining a new
        variable in every branch."""
        g = self.g
        cond = g.family(Conditionals).cond
        lines = [f"if {cond()}:"]
        new = None
        if g.chance(0.3):
            new = (g.fresh("w"), g.pick(g.shapes))
        lines += g.indent(self.body(depth + 1, new))
        if g.chance(0.2):
            lines.append(f"elif {cond()}:")
            lines += g.indent(self.body(depth + 1, new))
        if new is not None or g.chance(0.6):
            lines.append("else:")
            lines += g.indent(self.body(depth + 1, new))
        if new is not None:
            g.vars[new[0]] = Var(new[1], False)
        return lines

    def body(self, depth: int, new: tuple[str, Shape] | None = None) -> list[str]:
        """Statements of a nested block; what they define is local to it."""
        g = self.g
        saved = {k: Var(v.shape, v.owned) for k, v in g.vars.items()}
        lines: list[str] = []
        if new is not None:
            g.refs = set()
            lines.append(f"{new[0]} = {g.expr(new[1], 2)}")
        for _ in range(int(g.rng.integers(1, 3))):
            lines += g.statement(depth, nested=True)
        # names defined in the block are dropped; ownership lost anywhere is lost
        g.vars = {
            k: Var(v.shape, v.owned and g.vars.get(k, v).owned)
            for k, v in saved.items()
        }
        return lines

    def loop_header(self) -> tuple[str, str | None, int | None, str | None, Shape]:
        """``for`` header; the counter and its bound, or a row variable."""
        g = self.g
        counter = g.fresh("i")
        k = int(g.pick([2, 3, g.m, g.n]))
        two_d = [name for name, v in g.vars.items() if len(v.shape) == 2]
        if two_d and g.chance(0.3):
            source = g.pick(two_d)
            row = g.fresh("r")
            shape = g.vars[source].shape
            g.refs = {source}
            if g.chance(0.5):
                return f"for {row} in {source}:", None, None, row, shape[1:]
            return (
                f"for {counter}, {row} in enumerate({source}):",
                counter,
                shape[0],
                row,
                shape[1:],
            )
        header = g.pick(
            [
                f"for {counter} in range({k}):",
                f"for {counter} in range({k}):",
                f"for {counter} in reversed(range({k})):",
                f"for {counter} in range({k} - 1, -1, -1):",
                f"for {counter} in range(0, {k}, 2):",
            ]
        )
        return header, counter, k, None, ()

    def for_stmt(self, depth: int) -> list[str]:
        """A ``for`` loop whose body carries state."""
        g = self.g
        header, counter, bound, row, row_shape = self.loop_header()
        if row is not None:
            source = header.split(" in ")[-1].rstrip(":").replace("enumerate(", "")
            source = source.rstrip(")")
            g.vars[source].owned = False
            g.vars[row] = Var(row_shape, False)
        if counter is not None and bound is not None:
            g.ints[counter] = bound
        g.loop_depth += 1
        lines = [header] + g.indent(self.loop_body(depth))
        g.loop_depth -= 1
        if counter is not None:
            g.ints.pop(counter, None)
        if row is not None:
            g.vars.pop(row, None)
        return lines

    def loop_body(
        self, depth: int, jumps: Sequence[str] = ("break", "continue")
    ) -> list[str]:
        """A reassignment, maybe another statement, maybe a jump."""
        g = self.g
        saved = {k: Var(v.shape, v.owned) for k, v in g.vars.items()}
        # the jump's condition reads only what is defined before the loop
        jump = [f"if {g.family(Conditionals).cond()}:", f"    {g.pick(list(jumps))}"]
        statements = [g.family(Assignments).reassign(depth)]
        for _ in range(int(g.rng.integers(0, 2))):
            statements.append(g.statement(depth + 1, nested=True))
        if g.chance(0.15):
            position = int(g.rng.integers(0, len(statements) + 1))
            statements.insert(position, jump)
        lines = [line for statement in statements for line in statement]
        g.vars = {
            k: Var(v.shape, v.owned and g.vars.get(k, v).owned)
            for k, v in saved.items()
        }
        return lines

    def while_stmt(self, depth: int) -> list[str]:
        """A ``while`` loop on a bounded counter (and maybe a condition)."""
        g = self.g
        counter = g.fresh("k")
        bound = int(g.pick([2, 3, g.m]))
        lines = [f"{counter} = 0"]
        condition = f"{counter} < {bound}"
        if g.chance(0.4):
            condition += f" and ({g.family(Conditionals).cond()})"
        lines.append(f"while {condition}:")
        g.ints[counter] = bound
        g.loop_depth += 1
        body = self.loop_body(depth, jumps=("break",))
        g.loop_depth -= 1
        del g.ints[counter]
        return lines + g.indent(body + [f"{counter} += 1"])

    def early_return(self, depth: int) -> list[str]:
        """``if c: return ...``."""
        g = self.g
        return [f"if {g.family(Conditionals).cond()}:", f"    return {g.final()}"]
