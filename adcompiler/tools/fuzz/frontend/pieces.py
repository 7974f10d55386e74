"""The parts the front-end families build programs from: a
:class:`Builder` (imports, module-level definitions, the arguments, the body
of the differentiated function accumulating into ``acc``) and the *extras*,
small constructs of the other families (a print, an ``assert``, a random
draw, an ``isinstance`` test, a dict loop, a generator expression) that a
program mixes into its own, inside a loop, a branch or a helper.

Every value stays bounded: terms are smooth bounded functions
(:data:`~..soundness.families.SMOOTH`) of the arguments, weighted sums of a
few of them."""

from __future__ import annotations

from typing import Callable

from ..soundness.families import Rand, combine, indent, smooth
from ..soundness.program import Arg

#: Unary NumPy functions that are smooth, bounded in growth and analytic
#: (the nested family's complex-step reference needs analytic ones).
UNARY = ["np.sin", "np.cos", "np.tanh", "np.arctan"]


class Builder:
    """One program under construction.

    ``args`` are the differentiated arguments (names and :class:`Arg`),
    ``defs`` the module-level lines before the function, ``body`` the
    function's statements (``acc`` starts at ``0.0``; each construct adds a
    term to it), ``helpers`` a counter for unique helper names."""

    def __init__(self, r: Rand, family: str) -> None:
        self.r = r
        self.family = family
        self.imports: list[str] = ["import numpy as np"]
        self.defs: list[str] = []
        self.body: list[str] = ["acc = 0.0"]
        self.n = r.int(2, 4)
        self.names: list[str] = []
        self.args: list[Arg] = []
        self.count = 0
        self.add_arg("x", (self.n,))
        if r.chance(0.5):
            self.add_arg("y", (self.n,))
        elif r.chance(0.5):
            self.add_arg("s", ())

    def add_arg(self, name: str, shape: tuple[int, ...]) -> None:
        self.names.append(name)
        self.args.append(Arg(shape))

    def need(self, line: str) -> None:
        """An import line, once."""
        if line not in self.imports:
            self.imports.append(line)

    def fresh(self, stem: str) -> str:
        """A new name ``stem_<k>``."""
        self.count += 1
        return f"{stem}{self.count}"

    def vector(self) -> str:
        """An array argument (shape ``(n,)``)."""
        return self.r.pick([a for a in self.names if a != "s"])

    def atoms(self) -> list[str]:
        """Expressions of shape ``(n,)`` or scalars of the arguments."""
        out = [a for a in self.names if a != "s"]
        if "s" in self.names:
            out.append("s")
        out.append(f"{self.vector()}[{self.r.int(0, self.n - 1)}]")
        return out

    def term(self, depth: int = 1) -> str:
        """A smooth expression of the arguments (shape ``(n,)`` or ``()``)."""
        return combine(self.r, self.atoms(), depth)

    def scalar(self, e: str) -> str:
        """``e`` reduced to a scalar (weighted, so elements count apart)."""
        r = self.r
        return r.pick(
            [
                f"np.sum({e})",
                f"np.sum({e} * np.arange(1.0, {self.n + 1}.0))",
                f"np.mean({e})",
            ]
        )

    def add(self, e: str, place: bool = True) -> None:
        """``acc`` plus the scalar of ``e``, sometimes in a loop or a
        branch."""
        line = f"acc = acc + {self.scalar(e)}"
        self.body += wrap(self.r, [line], self) if place else [line]

    def define(self, lines: list[str]) -> None:
        """Module-level lines (a helper, a class), a blank line after."""
        self.defs += lines + [""]


def wrap(r: Rand, block: list[str], b: Builder) -> list[str]:
    """``block`` as it is, or in a ``for`` loop (a counter ``i`` its lines
    may ignore), or under an ``if`` on data with an ``else``."""
    how = r.pick(["plain", "plain", "loop", "branch"])
    if how == "loop":
        return [f"for i in range({r.int(1, 3)}):"] + indent(block)
    if how == "branch":
        cond = f"np.sum({b.vector()}) > {r.const(0.0, 0.5)}"
        other = [line.replace("acc = acc +", "acc = acc - 0.5 *", 1) for line in block]
        return [f"if {cond}:"] + indent(block) + ["else:"] + indent(other)
    return block


# ------------------------------------------------------------------ extras


def side_effect_lines(r: Rand, b: Builder) -> list[str]:
    """A print (f-strings with format specs), a log record, a warning or an
    ``assert``: statements that leave the value alone."""
    v = b.vector()
    kind = r.pick(["print", "fprint", "log", "warn", "assert", "assert_msg"])
    if kind == "print":
        return [r.pick(['print("acc", acc)', f"print(acc, np.sum({v}))"])]
    if kind == "fprint":
        spec = r.pick(["", ":.3f", ":8.4e", "!r"])
        return [f'print(f"acc={{acc{spec}}} n={{len({v})}}")']
    if kind == "log":
        b.need("import logging")
        level = r.pick(["debug", "info"])
        return [
            r.pick(
                [
                    f'logging.getLogger(__name__).{level}("acc %s", acc)',
                    f'logging.{level}(f"sum {{np.sum({v}):.2f}}")',
                ]
            )
        ]
    if kind == "warn":
        b.need("import warnings")
        return [
            f"if np.sum({v}) > {r.const(0.5, 2.0)}:",
            f'    warnings.warn(f"large {{np.sum({v}):.1f}}")',
        ]
    if kind == "assert":
        return [
            r.pick(
                [
                    f"assert {v}.shape == ({b.n},)",
                    f"assert np.all(np.isfinite({v}))",
                    f"assert len({v}) == {b.n}",
                ]
            )
        ]
    return [f'assert {v}.ndim == 1, f"expected a vector, got {{{v}.shape}}"']


def random_lines(r: Rand, b: Builder) -> list[str]:
    """A generator seeded inside (the same draws at every call), one draw,
    and a term that uses it (noise added, a fixed mask, a random mix)."""
    seed = r.int(0, 999)
    noise = b.fresh("noise")
    gen = b.fresh("rng")
    n = b.n
    maker = r.pick(["default_rng", "default_rng", "RandomState"])
    if maker == "default_rng":
        lines = [f"{gen} = np.random.default_rng({seed})"]
        draw = r.pick(
            [
                f"{gen}.standard_normal({n})",
                f"{gen}.standard_normal(({n},))",
                f"{gen}.normal(0.0, 0.5, size={n})",
                f"{gen}.uniform(-1.0, 1.0, {n})",
                f"{gen}.random({n})",
            ]
        )
    else:
        lines = [f"{gen} = np.random.RandomState({seed})"]
        draw = r.pick(
            [
                f"{gen}.randn({n})",
                f"{gen}.standard_normal({n})",
                f"{gen}.uniform(-1.0, 1.0, size={n})",
            ]
        )
    lines.append(f"{noise} = {draw}")
    v = b.vector()
    use = r.pick(
        [
            f"{smooth(r, v)} + 0.1 * {noise}",
            f"{noise} * {smooth(r, v)}",
            f"np.where({noise} > 0.0, {v}, 0.5 * {v})",
            f"np.tanh({v} + {noise})",
        ]
    )
    lines.append(f"acc = acc + {b.scalar(use)}")
    return lines


def type_test_lines(r: Rand, b: Builder) -> list[str]:
    """An ``isinstance`` or ``type(...) is`` test on a container or value
    the function built, or ``callable``, both outcomes reachable in
    principle, the test decided by the types alone."""
    v = b.vector()
    box = b.fresh("box")
    kind = r.pick(["seq", "type", "float", "callable", "none"])
    if kind == "seq":
        built = r.pick([f"({v}, {smooth(r, v)})", f"[{v}, {smooth(r, v)}]", v])
        return [
            f"{box} = {built}",
            f"if isinstance({box}, (list, tuple)):",
            f"    acc = acc + sum(np.sum(e) for e in {box})",
            "else:",
            f"    acc = acc + np.sum({box})",
        ]
    if kind == "type":
        built = r.pick([f"({v}, {v} * 0.5)", f"[{v}]"])
        return [
            f"{box} = {built}",
            f"if type({box}) is tuple:",
            f"    acc = acc + np.sum({box}[0] * {box}[-1])",
            "else:",
            f"    acc = acc + np.sum(np.sin({box}[0]))",
        ]
    if kind == "float":
        return [
            f"{box} = {r.pick(['acc', '1.5', f'{v}[0]'])}",
            f"if isinstance({box}, float):",
            f"    acc = acc + 0.5 * {box}",
        ]
    if kind == "callable":
        fn = r.pick(UNARY)
        return [
            f"{box} = {r.pick([fn, '0.5'])}",
            f"if callable({box}):",
            f"    acc = acc + np.sum({box}({v}))",
            "else:",
            f"    acc = acc + {box} * np.sum({v})",
        ]
    return [
        f"{box} = {r.pick(['None', smooth(r, v)])}",
        f"if {box} is None:",
        f"    {box} = {smooth(r, v)}",
        f"acc = acc + np.sum({box})",
    ]


def dict_lines(r: Rand, b: Builder) -> list[str]:
    """A dict of terms and a loop over it (keys, items, values, sorted)."""
    d = b.fresh("d")
    keys = ["a", "b", "c"][: r.int(2, 3)]
    pairs = ", ".join(f'"{k}": {b.term()}' for k in keys)
    loop = r.pick(
        [
            (f"for k in {d}:", f"np.sum({d}[k])"),
            (f"for k, v in {d}.items():", "np.sum(v)"),
            (f"for v in {d}.values():", "np.sum(np.tanh(v))"),
            (f"for k in sorted({d}):", f"np.sum({d}[k])"),
            (f"for k in {d}.keys():", f"np.mean({d}[k])"),
        ]
    )
    return [f"{d} = {{{pairs}}}", loop[0], f"    acc = acc + {loop[1]}"]


def generator_lines(r: Rand, b: Builder) -> list[str]:
    """A generator expression consumed by ``sum``, ``list`` or ``zip``."""
    v = b.vector()
    e = smooth(r, "t", 1)
    kind = r.pick(["sum", "list", "zip", "range"])
    if kind == "sum":
        return [f"acc = acc + sum({e} for t in {v})"]
    if kind == "list":
        name = b.fresh("items")
        return [
            f"{name} = list({e} for t in {v})",
            f"acc = acc + sum({name})",
        ]
    if kind == "zip":
        w = b.vector()
        return [f"acc = acc + sum(p * q for p, q in zip({v}, ({e} for t in {w})))"]
    return [f"acc = acc + sum({v}[k] * {r.const()} for k in range({b.n}))"]


def lambda_lines(r: Rand, b: Builder) -> list[str]:
    """A lambda called where it is written, or kept in a local."""
    v = b.vector()
    body = smooth(r, "t", 2)
    if r.chance(0.5):
        return [f"acc = acc + {b.scalar(f'(lambda t: {body})({v})')}"]
    name = b.fresh("lam")
    return [f"{name} = lambda t: {body}", f"acc = acc + {b.scalar(f'{name}({v})')}"]


def callable_lines(r: Rand, b: Builder) -> list[str]:
    """A NumPy function kept in a local (chosen by a constant test) and
    called."""
    name = b.fresh("act")
    first, second = r.pick(UNARY), r.pick(UNARY)
    return [
        f"{name} = {first} if {r.int(0, 1)} else {second}",
        f"acc = acc + {b.scalar(f'{name}({b.vector()})')}",
    ]


#: The extras, by the family they belong to.
EXTRAS: dict[str, Callable[[Rand, Builder], list[str]]] = {
    "lambdas": lambda_lines,
    "callables": callable_lines,
    "side_effects": side_effect_lines,
    "random_draws": random_lines,
    "type_tests": type_test_lines,
    "dicts": dict_lines,
    "generators": generator_lines,
}


def mix(b: Builder, p: float = 0.6) -> None:
    """With probability ``p`` (then again, at most twice), an extra of
    another family in the body, sometimes in a loop or a branch."""
    r = b.r
    for _ in range(2):
        if not r.chance(p):
            return
        others = [name for name in EXTRAS if name != b.family]
        block = EXTRAS[r.pick(others)](r, b)
        b.body += wrap(r, block, b) if r.chance(0.4) else block
        p *= 0.5
