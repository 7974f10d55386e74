"""The program generator's core: the state every construct family reads and
changes (the variables in scope with their shapes, loop counters, the
helper), the random choices, the leaves of expressions, and the two
dispatchers that ask the registered families for their constructs.

A construct family is a :class:`Family`: it offers weighted constructs to
:meth:`Generator.expr` (expressions of a wanted shape) and to
:meth:`Generator.statement` (statements), and may write module-level
definitions before ``f``. The dispatchers collect the offers of the families
in registry order and draw one; that order and the weights are part of the
generated programs (reordering them changes every program of every seed).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from ..program import Shape

#: A construct offered to :meth:`Generator.expr`: its weight, and a function
#: of the wanted shape and the remaining depth returning the expression.
ExpressionOption = tuple[float, Callable[[Shape, int], str]]

#: A construct offered to :meth:`Generator.statement`: its weight, and a
#: function of the nesting depth returning the statement's lines.
StatementOption = tuple[float, Callable[[int], list[str]]]


@dataclass
class Var:
    """A variable in scope."""

    shape: Shape
    owned: bool  # a fresh array of the program's own, safe to write in place


@dataclass
class Helper:
    """The generated helper function ``f`` may call."""

    name: str
    params: tuple[Shape, Shape]
    result: Shape
    has_default: bool


class Family:
    """A family of constructs (expressions, statements, definitions) the
    generator may draw. Subclasses override the offers they make; each offer
    is a list of ``(weight, construct)`` and may be empty. A family reads and
    changes the generator's state through :attr:`g`, and reaches another
    family with ``self.g.family(Other)``."""

    def __init__(self, g: Generator) -> None:
        self.g = g

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        """Expressions of exactly ``shape`` this family offers; with
        ``fresh``, only ones that make a new array (never a view of a
        variable, so the result may be written in place)."""
        return []

    def statements(self, depth: int) -> list[StatementOption]:
        """Statements this family offers anywhere: at the top of ``f``, in
        a nested block, in a loop body."""
        return []

    def top_level_statements(self, depth: int) -> list[StatementOption]:
        """Statements this family offers only at the top level of a
        function body (not in nested blocks)."""
        return []

    def compound_statements(self, depth: int) -> list[StatementOption]:
        """Statements with blocks of their own, offered only while the
        nesting ``depth`` is below 2."""
        return []

    def definitions(self) -> list[str]:
        """Module-level lines (a ``def``, ...) written before ``f``, two
        blank lines apart from the rest; called once per program, before
        ``f`` is generated."""
        return []


F = TypeVar("F", bound=Family)


class Generator:
    """Random statements and expressions over variables of known shapes,
    drawn from the constructs of ``families`` (classes, instantiated in this
    order). Deterministic: the same ``rng`` state and families give the same
    program."""

    def __init__(
        self, rng: np.random.Generator, families: Sequence[type[Family]]
    ) -> None:
        self.rng = rng
        m = int(rng.integers(2, 5))
        n = int(rng.integers(2, 5))
        if n == m and rng.random() < 0.8:
            n = m + 1
        self.m, self.n = m, n
        self.shapes: list[Shape] = sorted(
            {(), (m,), (n,), (m, n), (n, m), (m, m), (n, n)}
        )
        self.vars: dict[str, Var] = {}
        self.inputs: tuple[str, ...] = ()
        self.ints: dict[str, int] = {}  # loop counters: name -> exclusive bound
        self.refs: set[str] = set()
        self.counter = itertools.count(1)
        self.helper: Helper | None = None
        self.loop_depth = 0
        self.families: list[Family] = [kind(self) for kind in families]
        self._by_kind: dict[type[Family], Family] = {
            type(family): family for family in self.families
        }

    def family(self, kind: type[F]) -> F:
        """The instance of the registered family ``kind`` (KeyError if it is
        not registered)."""
        found = self._by_kind[kind]
        assert isinstance(found, kind)
        return found

    # -- random helpers ----------------------------------------------------

    def chance(self, p: float) -> bool:
        """True with probability ``p`` (one draw)."""
        return bool(self.rng.random() < p)

    def pick(self, items: Sequence[Any]) -> Any:
        """One of ``items``, uniformly (one draw)."""
        return items[int(self.rng.integers(len(items)))]

    def weighted(self, options: list[tuple[float, Any]]) -> Any:
        """The second element of one of ``options``, drawn with probability
        proportional to its weight (one draw)."""
        weights = np.array([w for w, _ in options], dtype=float)
        index = int(self.rng.choice(len(options), p=weights / weights.sum()))
        return options[index][1]

    def fresh(self, prefix: str) -> str:
        """A new name: ``prefix`` and a number no other name has used."""
        return f"{prefix}{next(self.counter)}"

    def const(self) -> str:
        """A float literal."""
        return f"{self.pick([0.3, 0.5, 0.7, 1.2, -0.4, 2.0, 0.25, -1.1])}"

    def other_dim(self) -> int:
        """One of the program's two dimensions."""
        return int(self.pick([self.m, self.n]))

    # -- leaves ------------------------------------------------------------

    def slice_of(self, size: int, want: int) -> str:
        """A slice of ``want`` elements out of ``size``."""
        if want == size:
            return self.pick([":", ":", "::-1", f"0:{size}"]) if size > 1 else ":"
        if want == (size + 1) // 2 and self.chance(0.3):
            return "::2"
        start = int(self.rng.integers(0, size - want + 1))
        if start == size - want and self.chance(0.5):
            return f"-{want}:"
        if start == 0 and self.chance(0.5):
            return f":{want}"
        return f"{start}:{start + want}"

    def index_of(self, size: int) -> str:
        """An integer index into a dimension of ``size`` (maybe negative)."""
        i = int(self.rng.integers(0, size))
        if self.chance(0.25):
            return str(i - size)
        return str(i)

    def int_index(self, size: int) -> str | None:
        """A loop counter usable as an index into a dimension of ``size``."""
        names = [k for k, bound in self.ints.items() if bound <= size]
        if names and self.chance(0.7):
            return self.pick(names)
        return None

    def leaf(self, shape: Shape) -> str:
        """A variable of ``shape``, or a slice, transpose or element of one,
        or a constant; the names it reads are added to :attr:`refs`."""
        options: list[tuple[float, str]] = []
        for name, var in self.vars.items():
            s = var.shape
            weight = 1.0 if name not in self.inputs else 1.5
            if s == shape:
                options.append((3.0 * weight, name))
            if (
                len(s) == len(shape)
                and s != shape
                and all(a >= b for a, b in zip(s, shape))
            ):
                index = ", ".join(self.slice_of(a, b) for a, b in zip(s, shape))
                options.append((weight, f"{name}[{index}]"))
            if len(s) == 2 and len(shape) == 2 and s[::-1] == shape:
                options.append((weight, f"{name}.T"))
            if len(s) == 2 and len(shape) == 1:
                if s[1] >= shape[0]:
                    i = self.int_index(s[0]) or self.index_of(s[0])
                    cols = self.slice_of(s[1], shape[0])
                    options.append(
                        (
                            weight,
                            f"{name}[{i}]" if cols == ":" else f"{name}[{i}, {cols}]",
                        )
                    )
                if s[0] >= shape[0]:
                    j = self.int_index(s[1]) or self.index_of(s[1])
                    options.append(
                        (weight, f"{name}[{self.slice_of(s[0], shape[0])}, {j}]")
                    )
            if len(s) >= 1 and shape == ():
                index = ", ".join(self.int_index(a) or self.index_of(a) for a in s)
                options.append((weight, f"{name}[{index}]"))
        if shape == ():
            options.append((0.5, self.const()))
            for counter in self.ints:
                options.append((0.5, f"({counter} * 0.25)"))
        if not options or (len(shape) == 2 and self.chance(0.1)):
            if len(shape) == 2 and self.chance(0.8):
                p, q = shape
                return f"({self.leaf((p,))}[:, None] * {self.leaf((q,))})"
            return self.constant_array(shape)
        leaf = self.weighted(options)
        self.refs.update(re.findall(r"[A-Za-z_]\w*", leaf))
        return leaf

    def constant_array(self, shape: Shape) -> str:
        """An array of ``shape`` (1-D or 2-D) that reads no variable."""
        if len(shape) == 1:
            return self.pick(
                [
                    f"np.linspace(-1.0, 1.0, {shape[0]})",
                    f"(np.arange({shape[0]}) * 0.5)",
                    f"np.full({shape[0]}, {self.const()})",
                ]
            )
        return self.pick(
            [
                f"np.full({shape}, {self.const()})",
                f"np.ones({shape})",
                f"(np.eye({shape[0]}, {shape[1]}) * 0.5)",
            ]
        )

    def input_leaf(self, shape: Shape) -> str | None:
        """A slice of an input of ``shape``: varies with the point."""
        saved = self.vars
        self.vars = {k: v for k, v in saved.items() if k in self.inputs}
        try:
            if not any(
                (
                    len(v.shape) == len(shape)
                    and all(a >= b for a, b in zip(v.shape, shape))
                )
                or (len(v.shape) == 2 and v.shape[::-1] == shape)
                or (len(v.shape) == 2 and len(shape) == 1 and max(v.shape) >= shape[0])
                for v in self.vars.values()
            ):
                return None
            for _ in range(10):
                leaf = self.leaf(shape)
                if any(name in leaf for name in self.inputs):
                    return leaf
            return None
        finally:
            self.vars = saved

    # -- the dispatchers ---------------------------------------------------

    def expr(self, shape: Shape, depth: int, fresh: bool = False) -> str:
        """An expression of exactly ``shape``. With ``fresh``, a new array
        (never a view of a variable), so the result may be written in place."""
        if not fresh and (depth <= 0 or self.chance(0.2)):
            return self.leaf(shape)
        depth = max(depth, 1)
        options: list[ExpressionOption] = []
        for family in self.families:
            options += family.expressions(shape, fresh)
        kind = self.weighted(options)
        return kind(shape, depth - 1)

    def statement(self, depth: int, nested: bool = False) -> list[str]:
        """One statement (its lines) at nesting ``depth``; ``nested``: in a
        block, where top-level-only statements are not offered."""
        options: list[StatementOption] = []
        for family in self.families:
            options += family.statements(depth)
        if not nested:
            for family in self.families:
                options += family.top_level_statements(depth)
        if depth < 2:
            for family in self.families:
                options += family.compound_statements(depth)
        return self.weighted(options)(depth)

    # -- variables ---------------------------------------------------------

    def names(self, owned: bool = False, inputs: bool = False) -> list[str]:
        """The variables in scope (without the inputs unless ``inputs``;
        with ``owned``, only those safe to write in place, and scalars)."""
        return [
            k
            for k, v in self.vars.items()
            if (inputs or k not in self.inputs)
            and (v.owned or not owned or v.shape == ())
        ]

    def bind(self, name: str, shape: Shape, rhs: str, fresh: bool) -> str:
        """``name = rhs``; a view of a variable makes that variable unsafe to
        write in place (adcompiler refuses in-place updates of aliases read
        later)."""
        if not fresh:
            for ref in self.refs:
                if ref in self.vars:
                    self.vars[ref].owned = False
        self.vars[name] = Var(shape, fresh and shape != ())
        return f"{name} = {rhs}"

    @staticmethod
    def indent(lines: list[str]) -> list[str]:
        """``lines`` indented one level."""
        return ["    " + line for line in lines]

    # -- programs ----------------------------------------------------------

    def final(self) -> str:
        """The scalar a ``return`` gives: a weighted sum of terms over
        variables in scope."""
        names = [k for k in self.vars if k not in self.inputs] or list(self.inputs)
        chosen = [k for k in names if self.chance(0.7)] or [names[-1]]
        if self.chance(0.3):
            chosen.append(self.pick(list(self.inputs)))
        terms = []
        for name in chosen:
            shape = self.vars[name].shape
            if shape == ():
                terms.append(self.pick([name, f"np.sin({name})", f"{name} ** 2"]))
            else:
                terms.append(
                    self.pick(
                        [
                            f"np.sum({name})",
                            f"np.sum(np.sin({name}))",
                            f"np.mean({name} ** 2)",
                            f"np.sum({name} * {name})",
                            f"{name}.sum()",
                        ]
                    )
                )
        weights = [self.pick(["", "0.5 * ", "2.0 * ", "-1.0 * "]) for _ in terms]
        return " + ".join(w + t for w, t in zip(weights, terms))

    def program(self) -> tuple[str, Shape, Shape]:
        """The module's source, and the shapes of ``f``'s arguments."""
        definitions = [family.definitions() for family in self.families]
        x_shape = (self.m, self.n)
        y_shape: Shape = (self.n,) if self.chance(0.85) else ()
        self.vars = {"x": Var(x_shape, False), "y": Var(y_shape, False)}
        self.inputs = ("x", "y")
        self.ints = {}
        lines: list[str] = []
        for _ in range(int(self.rng.integers(3, 9))):
            lines += self.statement(0)
        lines.append(f"return {self.final()}")
        parts = ["import math", "", "import numpy as np", "", ""]
        for block in definitions:
            if block:
                parts += block + ["", ""]
        parts += ["def f(x, y):"] + self.indent(lines)
        return "\n".join(parts) + "\n", x_shape, y_shape
