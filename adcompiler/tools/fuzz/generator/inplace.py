"""In-place updates: augmented assignment of a variable, and subscript
assignment (``=``, ``+=``, ``*=``, ``-=``) into arrays the program owns,
including arrays made by ``np.zeros``/``ones``/``full`` and filled row by
row in a loop. Only arrays the program made fresh (no view of them is
read later) are written: adcompiler refuses in-place updates of aliases."""

from __future__ import annotations

from ..program import Shape
from .assignments import Assignments
from .broadcast import Broadcasting
from .core import Family, StatementOption, Var


class InPlace(Family):
    """``v1 += e``, ``v1[i] = e``, ``z1 = np.zeros(...)`` then filled."""

    def statements(self, depth: int) -> list[StatementOption]:
        return [(1.2, self.augassign), (1.0, self.subscript_assign)]

    def augassign(self, depth: int) -> list[str]:
        """``name op= e`` on an owned variable (or a reassignment if none)."""
        g = self.g
        names = g.names(owned=True)
        if not names:
            return g.family(Assignments).reassign(depth)
        name = g.pick(names)
        shape = g.vars[name].shape
        g.refs = set()
        broadcasting = g.family(Broadcasting)
        e = broadcasting.operand(broadcasting.partner(shape), 2)
        op, text = g.pick(
            [
                ("+=", f"0.5 * np.tanh({e})"),
                ("-=", f"np.sin({e})"),
                ("*=", f"(1.0 + 0.5 * np.tanh({e}))"),
                ("/=", f"(1.5 + np.cos({e}))"),
                ("+=", e if shape else f"np.tanh({e})"),
            ]
        )
        self._unown_refs()
        return [f"{name} {op} {text}"]

    def _unown_refs(self) -> None:
        pass  # reading a variable inside an update does not alias it

    def subscript_assign(self, depth: int) -> list[str]:
        """A write into part of an owned array, or a new array filled."""
        g = self.g
        names = [k for k in g.names(owned=True) if g.vars[k].shape]
        if not names or g.chance(0.4):
            return self.zeros_fill(depth)
        return self._write_into(g.pick(names))

    def _write_into(self, name: str) -> list[str]:
        g = self.g
        shape = g.vars[name].shape
        g.refs = set()
        op = g.pick(["=", "=", "+=", "*=", "-="])

        def value(s: Shape) -> str:
            e = g.expr(s, 2)
            if op == "*=":
                return f"(1.0 + 0.5 * np.tanh({e}))"
            return e

        if len(shape) == 1:
            (p,) = shape
            target, s = g.pick(
                [
                    (f"{g.int_index(p) or g.index_of(p)}", ()),
                    (f"{g.slice_of(p, max(1, p - 1))}", (max(1, p - 1),)),
                    (":", (p,)),
                    (str(sorted({int(i) for i in g.rng.integers(0, p, 2)})), None),
                ]
            )
            if s is None:
                s = (len(eval(target)),)
            return [f"{name}[{target}] {op} {value(s)}"]
        p, q = shape
        choices = [
            (f"{g.int_index(p) or g.index_of(p)}", (q,)),
            (f":, {g.int_index(q) or g.index_of(q)}", (p,)),
            (f"{g.index_of(p)}, {g.index_of(q)}", ()),
            (f"{g.slice_of(p, max(1, p - 1))}", (max(1, p - 1), q)),
            (f":, {g.slice_of(q, max(1, q - 1))}", (p, max(1, q - 1))),
        ]
        target, s = g.pick(choices)
        return [f"{name}[{target}] {op} {value(s)}"]

    def zeros_fill(self, depth: int) -> list[str]:
        """A new array, written into once or twice or row by row in a loop."""
        g = self.g
        shape = g.pick([s for s in g.shapes if s])
        name = g.fresh("z")
        like = [k for k in g.vars if g.vars[k].shape == shape]
        make = g.pick(
            [f"np.zeros({shape if len(shape) > 1 else shape[0]})", f"np.zeros({shape})"]
            + ([f"np.zeros_like({g.pick(like)})"] if like else [])
            + [f"np.ones({shape})", f"np.full({shape}, 0.5)"]
        )
        g.vars[name] = Var(shape, True)
        lines = [f"{name} = {make}"]
        if len(shape) == 2 and g.chance(0.5) and g.loop_depth < 2:
            p, q = shape
            counter = g.fresh("i")
            g.ints[counter] = p
            g.loop_depth += 1
            g.refs = set()
            row = g.expr((q,), 2)
            if g.chance(0.5):
                body = [f"{name}[{counter}] = {row}"]
            else:
                body = [f"{name}[{counter}, :] += np.tanh({row})"]
            g.loop_depth -= 1
            del g.ints[counter]
            lines += [f"for {counter} in range({p}):"] + ["    " + b for b in body]
            return lines
        for _ in range(int(g.rng.integers(1, 3))):
            lines += self._write_into(name)
        return lines
