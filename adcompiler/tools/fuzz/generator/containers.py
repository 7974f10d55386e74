"""Containers: a list built with ``append`` in a loop (or a list
comprehension), then stacked, summed or made an array."""

from __future__ import annotations

from .core import Family, StatementOption, Var


class Containers(Family):
    """``acc = []; for i in range(k): acc.append(e); v = np.stack(acc)``."""

    def top_level_statements(self, depth: int) -> list[StatementOption]:
        return [(1.0, self.list_stmt)]

    def list_stmt(self, depth: int) -> list[str]:
        """A list of ``k`` items, and a new variable made of it."""
        g = self.g
        item = g.pick([(), (g.m,), (g.n,)])
        k = int(g.pick([g.m, g.n]))
        acc = g.fresh("acc")
        counter = g.fresh("i")
        name = g.fresh("v")
        g.ints[counter] = k
        g.refs = set()
        e = g.expr(item, 2)
        del g.ints[counter]
        if item == ():
            build, shape = g.pick(
                [
                    (f"np.array({acc})", (k,)),
                    (f"sum({acc})", ()),
                    (f"np.stack({acc})", (k,)),
                ]
            )
        else:
            build, shape = g.pick(
                [
                    (f"np.stack({acc})", (k,) + item),
                    (f"np.stack({acc}, axis=1)", item + (k,)),
                    (f"sum({acc})", item),
                    (f"np.vstack({acc})", (k,) + item),
                ]
            )
        if g.chance(0.3):
            lines = [f"{acc} = [{e} for {counter} in range({k})]"]
        else:
            lines = [
                f"{acc} = []",
                f"for {counter} in range({k}):",
                f"    {acc}.append({e})",
            ]
        g.vars[name] = Var(shape, shape != () and "sum" not in build)
        return lines + [f"{name} = {build}"]
