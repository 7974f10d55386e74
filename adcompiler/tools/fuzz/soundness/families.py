"""The soundness families: one generator function per class of programs
where a compiler can be silently wrong (issue #15's root causes). Each takes
a :class:`Rand` and returns a :class:`~.program.SoundProgram`; sizes,
operations, indices, nesting (loops, ``if``), aliases and the syntax of the
construct are drawn, so a family writes many different programs, not one
template.

Values stay in safe domains by construction (bounded functions, ``1 + e**2``
under ``log``), and the checker draws another point where central
differences depend on the step (a kink, a jump of ``%``, a branch
boundary)."""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from .program import SETTINGS, Arg, Change, SoundProgram

T = TypeVar("T")


class Rand:
    """The random choices of one program, from one seeded stream."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.rng.integers(len(options)))]

    def int(self, low: int, high: int) -> int:
        """An integer in ``[low, high]`` (both included)."""
        return int(self.rng.integers(low, high + 1))

    def const(self, low: float = 0.3, high: float = 1.9) -> str:
        """A float literal of magnitude in ``[low, high]``, either sign."""
        value = round(float(self.rng.uniform(low, high)), 2)
        return repr(-value if self.chance(0.3) else value)

    def pos(self, low: float = 0.3, high: float = 1.9) -> str:
        """A positive float literal in ``[low, high]``."""
        return repr(round(float(self.rng.uniform(low, high)), 2))


#: Smooth functions of one expression, defined everywhere and growing at
#: most linearly (loop-carried values stay bounded).
SMOOTH = [
    "np.sin({0})",
    "np.cos({0})",
    "np.tanh({0})",
    "0.5 * {0}",
    "({0} + 0.3)",
    "np.exp(0.3 * np.tanh({0}))",
    "np.log(1.0 + {0} ** 2)",
    "np.sqrt(1.0 + {0} ** 2)",
    "np.arctan({0})",
]


def _atom(e: str) -> str:
    """``e``, parenthesized unless it is a name, a literal or a call or
    subscript of one."""
    simple = re.fullmatch(r"[\w.]+(\[[^\]]*\]|\([^()]*\))?", e)
    return e if simple else f"({e})"


def smooth(r: Rand, e: str, depth: int = 1) -> str:
    """``e`` under 0 to ``depth`` functions of :data:`SMOOTH`."""
    for _ in range(r.int(0, depth)):
        e = r.pick(SMOOTH).format(_atom(e))
    return e


def combine(r: Rand, atoms: Sequence[str], depth: int = 1) -> str:
    """A smooth expression of one or two of ``atoms``."""
    a = smooth(r, r.pick(atoms), depth)
    if r.chance(0.5):
        b = smooth(r, r.pick(atoms), depth)
        op = r.pick(["+", "-", "*"])
        a = f"{a} {op} {b}"
        if op == "*" and r.chance(0.5):
            a = f"np.tanh({a})"
    if r.chance(0.3):
        a = f"{r.const()} * {a}"
    return a


def weights(n: int) -> str:
    """Weights ``1 .. n`` that tell the elements of a result apart."""
    return f"np.arange(1.0, {n + 1}.0)"


def lines_to_source(body: list[str], prelude: Sequence[str] = ()) -> str:
    head = ["import numpy as np", *prelude, ""]
    return "\n".join(head + body) + "\n"


def indent(block: list[str], n: int = 1) -> list[str]:
    return ["    " * n + line for line in block]


def maybe_if(r: Rand, block: list[str], cond: str, p: float = 0.3) -> list[str]:
    """``block``, or (with probability ``p``) ``block`` under ``if cond:``."""
    if not r.chance(p):
        return block
    return [f"if {cond}:"] + indent(block)


# ---------------------------------------------------------------- families


def tuple_targets(r: Rand) -> SoundProgram:
    """Tuple and list targets that assign into subscripts (array items,
    rows, dict or list items) and names, inside loops (root causes 1 and
    13): pair updates, swaps, bubble sort, row swaps through views."""
    n = r.int(2, 5)
    kind = r.pick(["array", "array", "swap", "rows", "dict", "list"])
    body = ["def f(x):"]
    if kind == "rows":
        m = r.int(2, 4)
        args = [Arg((m, n))]
        init = r.pick(["x * 1.0", "np.sin(x)", "x.copy()", "np.tanh(x) + 0.5"])
        a, b = r.int(0, m - 1), r.int(0, m - 1)
        while b == a:
            b = r.int(0, m - 1)
        rhs_b = r.pick([f"y[{b}]", f"y[{b}].copy()", f"y[{b}] * 1.0"])
        rhs_a = r.pick([f"y[{a}]", f"y[{a}].copy()", f"2.0 * y[{a}]"])
        target = r.pick(["{0}, {1}", "[{0}, {1}]", "({0}, {1})"])
        stmt = target.format(f"y[{a}]", f"y[{b}]") + f" = {rhs_b}, {rhs_a}"
        block = [stmt]
        if r.chance(0.5):
            block.append(f"y = {smooth(r, 'y')}")
        loop = r.int(1, 3)
        inner = maybe_if(r, block, f"np.sum(y[{a}]) > np.sum(y[{b}])", 0.3)
        body += indent(
            [f"y = {init}"]
            + ([f"for i in range({loop}):"] + indent(inner) if r.chance(0.6) else inner)
            + [f"return np.sum(y * np.arange(1.0, {m * n + 1}.0).reshape({m}, {n}))"]
        )
        return SoundProgram(lines_to_source(body), "tuple_targets", args)
    args = [Arg((n,))]
    if kind == "swap":
        init = r.pick(["x * 1.0", "np.sin(x) + x", "x.copy()", "np.tanh(2.0 * x)"])
        cmp = r.pick([">", "<"])
        swap = r.pick(
            [
                "y[i], y[i + 1] = y[i + 1], y[i]",
                "[y[i], y[i + 1]] = [y[i + 1], y[i]]",
                "y[i + 1], y[i] = y[i], y[i + 1]",
                "t = y[i]\ny[i], y[i + 1] = y[i + 1], t",
            ]
        )
        passes = r.pick([f"range({n - 1})", "range(1)", f"range({max(1, n - 2)})"])
        inner = [f"if y[i] {cmp} y[i + 1]:"] + [
            "    " + line for line in swap.split("\n")
        ]
        body += indent(
            [f"y = {init}", f"for p in {passes}:"]
            + indent([f"for i in range({n - 1}):"] + indent(inner))
            + [f"return np.sum(y * {weights(n)})"]
        )
        return SoundProgram(lines_to_source(body), "tuple_targets", args)
    # pair updates of items and names in a loop
    if kind == "array":
        init = [r.pick([f"y = np.zeros({n})", f"y = np.ones({n})", "y = x * 0.5"])]
        k = r.int(1, n - 1)
        item_targets = ["y[i]", "y[i + 1]", "y[0]", "y[-1]", f"y[{n - 1} - i]"]
        state = ["y[i]", "y[i + 1]", "y[0]"]
        result = f"np.sum(y * {weights(n)})"
    elif kind == "dict":
        init = [f'y = {{"a": {r.pick(["0.0", "x[0]", "1.0"])}, "b": x[1] * 0.5}}']
        k = r.int(1, n - 1)
        item_targets = ['y["a"]', 'y["b"]']
        state = ['y["a"]', 'y["b"]']
        result = 'y["a"] + 3.0 * y["b"]'
    else:
        init = [f"y = [{r.pick(['0.0', 'x[0]', '1.0'])}, x[1] * 0.5, 0.0]"]
        k = r.int(1, n - 1)
        item_targets = ["y[0]", "y[1]", "y[2]", "y[-1]"]
        state = ["y[0]", "y[1]"]
        result = "y[0] + 3.0 * y[1] - 2.0 * y[2]"
    use_name = r.chance(0.5)
    if use_name:
        init.append(f"s = {r.pick(['0.0', '1.0', 'x[0] * 0.3'])}")
        state.append("s")
        result += " + 5.0 * s"
    ntargets = r.int(2, 3)
    targets = []
    pool = item_targets + (["s"] if use_name else [])
    for _ in range(ntargets):
        targets.append(r.pick(pool))
    if len(set(targets)) == 1:
        targets[-1] = r.pick([t for t in pool if t != targets[0]])
    atoms = ["x[i]", "x[i + 1]", *state, r.const()]
    values = [combine(r, atoms) for _ in targets]
    shape = r.pick(["tuple", "list", "paren", "nested", "via"])
    if shape == "tuple":
        stmts = [", ".join(targets) + " = " + ", ".join(values)]
    elif shape == "list":
        stmts = ["[" + ", ".join(targets) + "] = [" + ", ".join(values) + "]"]
    elif shape == "paren":
        stmts = ["(" + ", ".join(targets) + ") = (" + ", ".join(values) + ")"]
    elif shape == "nested" and len(targets) == 3:
        stmts = [
            f"({targets[0]}, {targets[1]}), {targets[2]} = "
            f"({values[0]}, {values[1]}), {values[2]}"
        ]
    else:
        stmts = [
            "pair = (" + ", ".join(values) + ")",
            ", ".join(targets) + " = pair",
        ]
    stmts = maybe_if(r, stmts, f"x[i] > {r.const(0.0, 0.8)}", 0.3)
    loop = r.pick(
        [
            f"for i in range({k}):",
            f"for i in range({k - 1}, -1, -1):",
            f"for i in range(0, {k}, 2):",
            f"for i, xi in enumerate(x[:{k}]):",
            "while",
        ]
    )
    if loop == "while":  # a counter: the loop's carried names include i
        block = ["i = 0", f"while i < {k}:"] + indent(stmts + ["i += 1"])
    else:
        if "xi" in loop:  # the item as an operand too
            stmts = [line.replace("x[i]", "xi", 1) for line in stmts]
        block = [loop] + indent(stmts)
    body += indent(init + block + [f"return {result}"])
    return SoundProgram(lines_to_source(body), "tuple_targets", args)


VIEWS_1D = [
    "x.reshape(-1)",
    "x[:]",
    "x[0:{k}]",
    "x[1:]",
    "x[::2]",
    "np.asarray(x)",
    "x.view()",
    "x.ravel()",
    "x",
    "helper(x)",
    "p['w']",
    "x.astype(np.float64, copy=False)",
]
VIEWS_2D = [
    "x.reshape(-1)",
    "x.T",
    "x[:]",
    "x[0:{k}]",
    "x[:, 0]",
    "x[1]",
    "np.asarray(x)",
    "x.ravel()",
    "np.transpose(x)",
    "helper(x)",
    "p['w']",
    "x.astype(np.float64, copy=False)",
]


def arg_view_write(r: Rand) -> SoundProgram:
    """Writes through a view of an argument (``x.reshape(-1)``, ``x.T``,
    ``x[:]``, slices, ``np.asarray``, a helper returning a slice, a dict
    item, ``astype(copy=False)``), then reads of the argument (root causes
    2 and 4). Python's result, and the argument as Python leaves it, are
    the reference."""
    two = r.chance(0.5)
    if two:
        m, n = r.int(2, 3), r.int(2, 4)
        shape: tuple[int, ...] = (m, n)
        view = r.pick(VIEWS_2D).format(k=r.int(1, m))
    else:
        n = r.int(2, 5)
        shape = (n,)
        view = r.pick(VIEWS_1D).format(k=r.int(1, n))
    with_y = r.chance(0.5)
    prelude: list[str] = []
    # a module-level array instead of the argument (the checker puts it back
    # before every evaluation)
    base = "G" if r.chance(0.25) else "x"
    if base == "G":
        view = re.sub(r"\bx\b", "G", view)
        size = int(np.prod(shape))
        prelude += ["", f"G = np.linspace(0.1, 0.9, {size}).reshape({shape})"]
    if "helper" in view:
        prelude += [
            "",
            "",
            "def helper(a):",
            f"    return a[{r.pick([':2', '1:', ':'])}]",
        ]
    pre = []
    if "p[" in view:
        pre.append(f"p = {{'w': {base}, 'b': 1.0}}")
    pre.append(f"v = {view}")
    r.const()  # (a draw kept: the programs of existing seeds stay as they are)
    writes = []
    for _ in range(r.int(1, 2)):
        form = r.pick(["item", "slice", "iadd", "imul", "all", "loop"])
        if form == "item":
            writes.append(
                f"v[0] = {combine(r, ['np.sum(x[0])', 'np.sum(v[-1])'] + (['y'] if with_y else []) + [r.const()])}"
            )
        elif form == "slice":
            writes.append(
                f"v[:1] = {combine(r, ['v[-1:]', r.const()] + (['y'] if with_y else []))}"
            )
        elif form == "iadd":
            writes.append(
                f"v += {combine(r, ['v', r.const()] + (['y'] if with_y else []))}"
            )
        elif form == "imul":
            writes.append(
                f"v *= {r.pick([r.const(), 'np.tanh(v)'] + (['y'] if with_y else []))}"
            )
        elif form == "all":
            writes.append(f"v[...] = {smooth(r, 'v', 2)}")
        else:
            writes += [
                "for i in range(2):",
                f"    v[-1] = v[-1] * {r.const()} + {r.pick(['1.0', 'np.sum(x) * 0.1'] + (['y'] if with_y else []))}",
            ]
    if r.chance(0.25):
        writes = [f"if np.sum(x) > {r.const(0.0, 0.5)}:"] + indent(writes)
    wx = f"np.arange(1.0, {int(np.prod(shape)) + 1}.0).reshape({shape})"
    result = r.pick(
        [
            "np.sum(x * x)",
            f"np.sum({smooth(r, 'x')} * {wx})",
            f"np.sum(x * {wx}) + np.sum(v)",
            "np.sum(v * v) + np.sum(x)",
        ]
    )
    if base == "G":
        result = r.pick(
            [
                "np.sum(G * x)",
                f"np.sum(G * {wx}) + np.sum(x * x)",
                "np.sum(v) * np.sum(x) + np.sum(G)",
            ]
        )
    if with_y:
        result += " + y"
    args = [Arg(shape)] + ([Arg(())] if with_y else [])
    params = "x, y" if with_y else "x"
    body = [f"def f({params}):"] + indent(pre + writes + [f"return {result}"])
    return SoundProgram(lines_to_source(body, prelude), "arg_view_write", args)


def container_iadd(r: Rand) -> SoundProgram:
    """Augmented assignment through a container item (``d["a"] += ...``,
    ``lst[0] *= ...``, ``for a in lst: a += ...``, nested containers) that
    must reach every other name of the same array (root cause 3)."""
    n = r.int(2, 5)
    args = [Arg((n,))]
    y_init = r.pick(["x * 2.0", "np.sin(x)", "x + 1.0", "np.tanh(x) * 1.5"])
    z_init = r.pick(["np.cos(x)", "x * x", "np.ones(" + str(n) + ")", "x * 0.5"])
    box = r.pick(
        ["dict", "dict", "list", "list", "nested", "loop", "loop", "dictloop", "buffer"]
    )
    if box == "buffer":
        return _buffer_appended(r, n, args)
    op = r.pick(["+=", "-=", "*="])
    rhs = r.pick(
        [r.const(), "x", f"np.tanh(x) * {r.const()}", "1.0", f"x[0] * {r.const()}"]
    )
    if op == "*=":
        rhs = r.pick([r.const(0.5, 1.5), "np.tanh(x)", "(1.0 + 0.5 * np.sin(x))"])
    sub = r.pick(["", "", "", "", "[0]", "[1:]", "[-1]", "[:]"])
    if sub in ("[0]", "[-1]"):
        rhs = r.pick([r.const(0.5, 1.5), "x[0]", f"np.tanh(x[1]) * {r.const()}"])
    elif sub == "[1:]" and "x" in rhs:
        rhs = rhs.replace("x", "x[1:]", 1)
    stmts: list[str]
    if box == "dict":
        build = ['d = {"a": y, "b": z}']
        stmts = [f'd["{r.pick(["a", "b"])}"]{sub} {op} {rhs}']
    elif box == "list":
        build = ["lst = [y, z]"]
        stmts = [f"lst[{r.pick(['0', '1', '-1'])}]{sub} {op} {rhs}"]
    elif box == "nested":
        build = ['d = {"p": [y, z], "q": {"w": z}}']
        stmts = [
            r.pick(
                [
                    f'd["p"][0]{sub} {op} {rhs}',
                    f'd["q"]["w"]{sub} {op} {rhs}',
                    f'd["p"][1]{sub} {op} {rhs}',
                ]
            )
        ]
    elif box == "loop":
        build = [r.pick(["lst = [y, z]", "lst = (y, z)", "lst = [z, y, y]"])]
        stmts = ["for a in lst:", f"    a{sub} {op} {rhs}"]
    else:
        build = ['d = {"a": y, "b": z}']
        stmts = [
            "for key in d:",
            f"    d[key]{sub} {op} {rhs}",
        ]
    if r.chance(0.3):
        stmts = [f"for k in range({r.int(1, 3)}):"] + indent(stmts)
    if r.chance(0.2):
        stmts = [f"if x[0] > {r.const(0.0, 0.5)}:"] + indent(stmts)
    alias = []
    if r.chance(0.3):
        alias = ["w = y"]
    result = r.pick(
        [
            "np.sum(y * x) + np.sum(z)",
            f"np.sum(y * {weights(n)}) + np.sum(z * x)",
            "np.sum(np.sin(y)) + np.sum(z * z)",
        ]
    )
    if alias:
        result += " + np.sum(w)"
    body = ["def f(x):"] + indent(
        [f"y = {y_init}", f"z = {z_init}"]
        + alias
        + build
        + stmts
        + [f"return {result}"]
    )
    return SoundProgram(lines_to_source(body), "container_iadd", args)


def _buffer_appended(r: Rand, n: int, args: list[Arg]) -> SoundProgram:
    """The same array appended several times and written between the
    appends (``buf[:] = x * (i + 1); out.append(buf)``): every item is the
    last contents (root cause 13)."""
    # a constant count (unrolled: exact), a local list of numbers (unrolled),
    # or a count known at run time, len(x) (refused)
    loop = r.pick(["range", "range", "list", "run time"])
    steps = n if loop == "run time" else r.int(2, 4)
    init = r.pick([f"np.zeros({n})", f"np.ones({n})", "x * 0.5"])
    write = r.pick(
        [
            f"buf[:] = {smooth(r, 'x')} * (i + 1.0)",
            f"buf[i % {n}] = {smooth(r, 'x[i % ' + str(n) + ']')}",
            f"buf *= {r.const(0.5, 1.5)}",
            f"buf += {smooth(r, 'x')}",
        ]
    )
    append = r.pick(["out.append(buf)", "out = out + [buf]", "out += [buf]"])
    result = r.pick(
        [
            f"np.sum(np.stack(out) * np.arange(1.0, {steps * n + 1}.0).reshape({steps}, {n}))",
            "np.sum(out[0] * x) + np.sum(out[-1])",
            "np.sum(sum(out) * x)",
        ]
    )
    header = f"for i in range({steps}):"
    if loop == "list":
        header = f"for i in {list(range(steps))}:"
    elif loop == "run time":
        header = "for i in range(len(x)):"
    after = []
    if r.chance(0.3):  # a write after the loop, seen by every item
        after = [f"buf[0] = {smooth(r, 'x[0]')}"]
    body = ["def f(x):"] + indent(
        [f"buf = {init}", "out = []", header]
        + indent([write, append])
        + after
        + [f"return {result}"]
    )
    return SoundProgram(lines_to_source(body), "container_iadd", args)


def sequence_iadd(r: Rand) -> SoundProgram:
    """``+=`` and ``*=`` on lists and tuples (concatenation and repetition,
    not arithmetic), with aliases that must see a list extended in place
    and must not see a tuple rebound (root cause 5)."""
    n = r.int(2, 5)
    args = [Arg((n,))]
    kind = r.pick(["list", "list", "tuple"])
    open_, close = ("[", "]") if kind == "list" else ("(", ",)")
    atoms = ["x[0]", "x[1]", f"x[{n - 1}]"]

    def item() -> str:
        return combine(r, atoms)

    stmts = [f"acc = {open_}{item()}{close}"]
    alias = r.chance(0.5)
    if alias:
        stmts.append("b = acc")
    for _ in range(r.int(1, 3)):
        form = r.pick(["extend", "repeat", "loop", "loopif"])
        if form == "extend":
            extra = ", ".join(item() for _ in range(r.int(1, 2)))
            stmts.append(f"acc += {open_}{extra}{close}")
        elif form == "repeat":
            stmts.append(f"acc *= {r.int(1, 2)}")
        elif form == "loop":
            e = combine(r, ["x[i]", "acc[-1]", r.const()])
            stmts += [f"for i in range({n}):", f"    acc += {open_}{e}{close}"]
        else:
            e = combine(r, ["x[i]", "acc[0]"])
            stmts += [
                f"for i in range({n}):",
                f"    if x[i] > {r.const(0.0, 0.5)}:",
                f"        acc += {open_}{e}{close}",
            ]
    result = r.pick(
        [
            "acc[0] * acc[-1] + len(acc) * 0.1",
            "sum(acc)",
            "np.sum(np.array(acc) * np.arange(1.0, len(acc) + 1.0))",
            "acc[0] * acc[1 % len(acc)]",
        ]
    )
    if alias:
        result += " + 2.0 * b[-1] + 0.3 * len(b)"
    body = ["def f(x):"] + indent(stmts + [f"return {result}"])
    return SoundProgram(lines_to_source(body), "sequence_iadd", args)


def helper_container_write(r: Rand) -> SoundProgram:
    """A helper that assigns into its dict or list argument (an item, an
    append, an in-place update of an array item), visible to the caller
    afterwards (root cause 6)."""
    n = r.int(2, 5)
    args = [Arg((n,))]
    kind = r.pick(["normalize", "setitem", "append", "bump", "inplace", "nested"])
    if kind == "normalize":
        helper = [
            "def normalize(p):",
            '    p["w"] = p["w"] / np.sqrt(1.0 + np.sum(p["w"] ** 2))',
        ]
        build = ['p = {"w": ' + smooth(r, "x") + ', "b": 0.5}']
        call = ["normalize(p)"]
        result = f'np.sum(p["w"] * {weights(n)}) + p["b"]'
    elif kind == "setitem":
        helper = ["def put(lst, k, v):", "    lst[k] = v"]
        build = [f"lst = [x * 1.0, {smooth(r, 'x')}]"]
        call = [f"put(lst, {r.pick(['0', '1', '-1'])}, {combine(r, ['x', 'lst[0]'])})"]
        result = f"np.sum(lst[0] * {weights(n)}) + np.sum(lst[1])"
    elif kind == "append":
        helper = ["def push(lst, v):", "    lst.append(v)"]
        build = [f"lst = [{smooth(r, 'x[0]')}]"]
        call = [
            f"for i in range({n}):",
            f"    push(lst, {combine(r, ['x[i]', 'lst[-1]'])})",
        ]
        result = "sum(lst) + lst[-1] * lst[0]"
    elif kind == "bump":
        helper = [
            "def bump(d, c):",
            f'    d["s"] = d["s"] {r.pick(["+", "*", "-"])} c',
        ]
        build = ['d = {"s": ' + smooth(r, "x[0]") + "}"]
        call = [f"for i in range({n}):", f"    bump(d, {smooth(r, 'x[i]')})"]
        result = 'd["s"]'
    elif kind == "inplace":
        helper = [
            "def scale(p):",
            f'    p["w"] {r.pick(["*=", "+=", "-="])} {r.const()}',
        ]
        build = ["w = " + r.pick(["x * 1.0", "np.sin(x)", "x + 0.5"]), 'p = {"w": w}']
        call = ["scale(p)"]
        result = f"np.sum(w * {weights(n)}) + np.sum(p['w'] * x)"
    else:
        helper = [
            "def fill(d):",
            '    d["out"].append(np.tanh(d["in"]))',
            '    d["in"] = d["in"] * 0.5',
        ]
        build = ['d = {"in": x, "out": []}']
        call = [f"for i in range({r.int(1, 3)}):", "    fill(d)"]
        result = 'np.sum(np.stack(d["out"] + [x])) + np.sum(d["in"])'
    # the call as a statement, or its (added) result used
    style = r.pick(["statement", "discard", "used"])
    if style != "statement":
        helper.append("    return " + r.pick(["0.0", "1.0", "0.5"]))
        name = "s" if style == "used" else "_"
        call = [
            (
                line.replace(line.strip(), f"{name} = {line.strip()}")
                if "(" in line and not line.strip().startswith(("for", "if"))
                else line
            )
            for line in call
        ]
        if style == "used":
            build = build + ["s = 0.0"]
            result += " + s"
    if r.chance(0.2):
        call = [f"if x[0] > {r.const(0.0, 0.5)}:"] + indent(call)
    body = ["def f(x):"] + indent(build + call + [f"return {result}"])
    return SoundProgram(
        lines_to_source([""] + body, ["", ""] + helper),
        "helper_container_write",
        args,
    )


def module_attribute(r: Rand) -> SoundProgram:
    """Reads of attributes that change between calls: a settings module's
    float, integer (a loop count), flag, array or function, changed by
    ``setattr`` or by editing the file and ``importlib.reload``; the
    program's own global or function; a class attribute; a
    ``SimpleNamespace`` field; a default argument changed through
    ``f.__defaults__`` (root cause 7). The checker changes them after the
    first call and checks again, through the same compiled function and a
    new one."""
    n = r.int(2, 5)
    args = [Arg((n,))]
    where = r.pick(
        ["settings", "settings", "module", "class", "namespace", "defaults", "reload"]
    )
    kind = r.pick(["scale", "count", "flag", "array", "function"])
    if where in ("class", "namespace") and kind == "function":
        kind = "scale"
    if where == "defaults" and kind in ("array", "function"):
        kind = "scale"
    prelude: list[str] = []
    settings = ""
    params = "x"
    if where in ("settings", "reload"):
        prelude = [f"import {SETTINGS} as settings"]
        ref, obj = "settings.", "settings"
    elif where in ("module", "defaults"):
        ref, obj = "", "module"
    elif where == "class":
        prelude = ["", "", "class Config:"]
        ref, obj = "Config.", "Config"
    else:
        prelude = ["import types", ""]
        ref, obj = "cfg.", "cfg"
    old: str
    new: str
    if kind == "scale":
        name, old, new = "SCALE", r.pos(), r.pos()
        use = [f"return np.sum({smooth(r, f'{ref}SCALE * x')}) + {ref}SCALE"]
    elif kind == "count":
        steps = r.int(1, 3)
        name, old, new = "STEPS", str(steps), str((steps + r.int(1, 4)) % 5)
        use = [
            "h = x * 1.0",
            f"for i in range({ref}STEPS):",
            f"    h = {smooth(r, 'h', 1)} + {r.const()} * x",
            f"return np.sum(h * {weights(n)})",
        ]
    elif kind == "flag":
        name, old = "FLAG", r.pick(["True", "False"])
        new = "False" if old == "True" else "True"
        use = [
            f"if {ref}FLAG:",
            f"    return np.sum({smooth(r, 'x', 2)})",
            f"return np.sum({smooth(r, 'x', 2)} * {weights(n)})",
        ]
    elif kind == "array":
        name = "W"
        old = "np.array([" + ", ".join(r.const() for _ in range(n)) + "])"
        new = "np.array([" + ", ".join(r.const() for _ in range(n)) + "])"
        use = [f"return np.sum({smooth(r, f'{ref}W * x')})"]
    else:
        name = "act"
        old_fn, new_fn = r.pick(
            [("np.tanh", "np.sin"), ("np.sin", "np.cos"), ("np.cos", "np.arctan")]
        )
        old = old_fn
        new = new_fn
        use = [f"return np.sum({ref}act(x) * {weights(n)})"]
    changes = [Change(obj, name, new)]
    if where in ("settings", "reload"):
        settings = f"import numpy as np\n\n{name} = {old}\n"
        if where == "reload":  # the file edited, then importlib.reload
            changes = [
                Change("reload", name, f"import numpy as np\n\n{name} = {new}\n")
            ]
    elif where == "defaults":  # a default argument, then f.__defaults__ changed
        params = f"x, {name.lower()}={old}"
        use = [line.replace(name, name.lower()) for line in use]
        changes = [Change("f", "__defaults__", f"({new},)")]
    elif where == "module" and kind == "function":  # a module function replaced
        prelude += [
            "",
            "",
            "def act(v):",
            f"    return {old}(v)",
            "",
            "",
            "def other(v):",
            f"    return {new}(v) * 0.5",
        ]
        changes = [Change("module", "act", "other")]
    elif where == "module":
        prelude += ["", f"{name} = {old}"]
    elif where == "class":
        prelude += [f"    {name} = {old}"]
    else:
        prelude += [f"cfg = types.SimpleNamespace({name}={old})"]
    body = ["", "", f"def f({params}):"] + indent(use)
    source = "\n".join(["import numpy as np", *prelude] + body) + "\n"
    return SoundProgram(
        source, "module_attribute", args, settings_source=settings, changes=changes
    )


def reshape_order(r: Rand) -> SoundProgram:
    """``reshape``, ``ravel``, ``flatten`` with ``order="C"``, ``"F"``,
    ``"A"`` (on arrays and transposes), chained, under elementwise
    functions and weights that tell the elements apart (root cause 8)."""
    m, n = r.int(2, 3), r.int(2, 4)
    size = m * n
    args = [Arg((m, n))]
    e = r.pick(["x", "x.T", "np.sin(x)", "x * 1.0", "x[::-1]"])
    shapes = [s for s in [(size,), (n, m), (m, n), (1, size), (size, 1)]]
    if size % 2 == 0 and size > 2:
        shapes += [(2, size // 2), (size // 2, 2)]
    if size in (8, 12):
        shapes += [(2, 2, size // 4)]
    cur_shape: tuple[int, ...] = (n, m) if e == "x.T" else (m, n)
    for _ in range(r.int(1, 3)):
        order = r.pick(['"C"', '"F"', '"A"', "'F'"])
        form = r.pick(["method", "function", "ravel", "flatten", "npravel"])
        target = r.pick(shapes)
        if form == "method":
            e = f"({e}).reshape({target}, order={order})"
            cur_shape = target
        elif form == "function":
            e = f"np.reshape({e}, {target}, order={order})"
            cur_shape = target
        elif form == "ravel":
            e = f"({e}).ravel(order={order})"
            cur_shape = (size,)
        elif form == "flatten":
            e = f"({e}).flatten({order})"
            cur_shape = (size,)
        else:
            e = f"np.ravel({e}, order={order})"
            cur_shape = (size,)
        if r.chance(0.3):
            e = smooth(r, e)
    w = f"np.arange(1.0, {size + 1}.0).reshape({cur_shape})"
    result = f"np.sum({e} * {w})"
    body = ["def f(x):"] + indent([f"return {result}"])
    return SoundProgram(lines_to_source(body), "reshape_order", args)


def modulo(r: Rand) -> SoundProgram:
    """``%``, ``np.mod``, ``np.remainder``, ``np.fmod`` of arrays and Python
    floats by constants and by positive expressions (derivative 1 in the
    dividend, ``-floor(a / b)`` in the divisor; the checker avoids the
    jumps) (root cause 9)."""
    n = r.int(2, 5)
    with_y = r.chance(0.5)
    args = [Arg((n,))] + ([Arg((), low=0.5, high=2.0)] if with_y else [])
    a = r.pick(["x", "3.0 * x", "np.sin(x) * 2.0", "x * x + x", "x + 5.0"])
    b = r.pick(
        [r.pos(0.4, 1.5), "(1.0 + x ** 2)", "(0.5 + np.exp(0.3 * x))"]
        + (["y", "(y + 0.3)"] if with_y else [])
    )
    fn = r.pick(
        ["{0} % {1}", "np.mod({0}, {1})", "np.remainder({0}, {1})", "np.fmod({0}, {1})"]
    )
    e = fn.format(f"({a})", b)
    stmts = [f"r = {e}"]
    # where the jumps are: the quotients of every `%` (integers there); the
    # checker draws another point when one is near an integer
    quotients = [f"({a}) / {b}"]
    if with_y and r.chance(0.5):
        dividend, divisor = r.pick(
            [("y", "0.7"), ("(2.0 * y)", "1.3"), ("(y * 3.0)", "(0.5 + y)")]
        )
        stmts.append(f"s = {dividend} % {divisor}")
        quotients.append(f"{dividend} / {divisor}")
    else:
        stmts.append("s = 0.0")
    if r.chance(0.3):
        c = r.pos(0.5, 2.0)
        stmts += [
            f"for i in range({n}):",
            f"    r[i] = (r[i] + x[i]) % {c}",
        ]
        quotients.append(f"({e} + x) / {c}")
    result = f"np.sum({smooth(r, 'r')} * {weights(n)}) + s"
    params = "x, y" if with_y else "x"
    body = [f"def f({params}):"] + indent(stmts + [f"return {result}"])
    body += ["", "", f"def _kinks({params}):"] + indent(
        ["return [" + ", ".join(quotients) + "]"]
    )
    return SoundProgram(lines_to_source(body), "modulo", args)


def int_power_zero(r: Rand) -> SoundProgram:
    """``x ** k`` and ``np.power`` with integer ``k`` drawn at run time
    (loop counters, ``len``, a variable), ``k = 0`` included, at points
    with exact zeros, on arrays and Python floats (root cause 11)."""
    n = r.int(2, 5)
    with_y = r.chance(0.5)
    args = [Arg((n,), zeros=r.int(1, n))] + (
        [Arg((), zeros=1 if r.chance(0.7) else 0)] if with_y else []
    )
    degree = r.int(1, 4)
    coeffs = "[" + ", ".join(r.const() for _ in range(degree + 1)) + "]"
    form = r.pick(["genexp", "loop", "loop", "power", "power", "var", "listcomp"])
    if form == "genexp":
        stmts = [f"c = {coeffs}", "p = sum(c[k] * x ** k for k in range(len(c)))"]
    elif form == "listcomp":
        stmts = [
            f"c = {coeffs}",
            "p = np.sum([c[k] * x ** k for k in range(len(c))], axis=0)",
        ]
    elif form == "loop":
        stmts = [
            f"c = {coeffs}",
            "p = np.zeros_like(x)",
            "for k in range(len(c)):",
            "    p = p + c[k] * x ** k",
        ]
    elif form == "power":
        stmts = [
            "p = 0.0",
            f"for k in range({degree + 1}):",
            f"    p = p + {r.const()} * np.power(x, k)",
        ]
    else:
        stmts = [
            f"k = {r.pick(['0', 'len(x) - len(x)', '1', '2', str(n) + ' - ' + str(n)])}",
            "p = x ** k + x ** (k + 1)",
        ]
    result = f"np.sum(p * {weights(n)})"
    if with_y:
        stmts += [
            "q = 0.0",
            f"for k in range({r.int(1, 3)}):",
            f"    q = q + {r.const()} * y ** k",
        ]
        result += " + q"
    params = "x, y" if with_y else "x"
    body = [f"def f({params}):"] + indent(stmts + [f"return {result}"])
    return SoundProgram(lines_to_source(body), "int_power_zero", args)


def complex_intermediate(r: Rand) -> SoundProgram:
    """Complex values in the differentiated path (``np.exp(1j * x)``,
    ``astype(np.complex128)``, ``x + 0j``, ``np.fft.fft``, ``complex(...)``)
    brought back to a real result by ``abs``, ``.real``, ``.imag``,
    ``np.angle``, ``conj`` products (root cause 10, fixed by complex
    differentiation: docs/subset.md, "Complex numbers"). Expected: the
    gradient of the real result (a refusal only where a function has no
    rule yet, such as ``np.fft`` before its rules)."""
    n = r.int(2, 5)
    args = [Arg((n,))]
    inner = smooth(r, "x")
    make = r.pick(
        [
            f"np.exp(1j * {inner})",
            f"({inner}).astype(np.complex128)",
            f"{inner} + 0j",
            f"{inner} * (1.0 + 2.0j)",
            f"np.fft.fft({inner})",
            f"np.array({inner}, dtype=complex)",
            f"{inner} + 1j * np.cos(x)",
            f"np.sin(x) + 1j * ({inner})",
        ]
    )
    stmts = [f"z = {make}"]
    if r.chance(0.5):
        stmts.append(
            f"z = {r.pick(['z * z', 'z + 1.0', 'np.exp(z * 0.3)', 'z * np.conj(z) + z'])}"
        )
    if r.chance(0.4):
        # complex values written into a real array (NumPy keeps their real
        # parts), whose adjoint then comes back complex (through a complex
        # matrix product): the written values' adjoint is its real part
        k = r.int(0, n - 1)
        write = r.pick(
            [
                f"a[{k}] = z[{k}]",
                f"a[:{k + 1}] = z[:{k + 1}]",
                "a[...] = z",
                f"a[{k}:] = a[{k}:] + z[{k}:]",
            ]
        )
        stmts += [
            f"a = np.zeros({n})",
            write,
            f"z = a @ (np.eye({n}) * (0.5 - 1.5j) + 0.2j) + z",
        ]
    real = r.pick(
        [
            "np.abs(z + 1.0)",
            "z.real",
            "np.real(z * z)",
            "z.imag + 2.0",
            "np.angle(z + 2.0)",
            "(z * np.conj(z)).real",
            "np.real(np.sign(z + 0.5) * z)",
            "np.imag(z.conj() * z * z)",
            "np.abs(np.real_if_close(z * np.conjugate(z)))",
        ]
    )
    result = f"np.sum({real} * {weights(n)})"
    body = ["def f(x):"] + indent(stmts + [f"return {result}"])
    return SoundProgram(lines_to_source(body), "complex_intermediate", args)


def adjoint_fan_out(r: Rand) -> SoundProgram:
    """One value added to several others, each sum rebound to a name
    (``d = d + m; d = d + m``), ``m`` and ``d`` read again later, all of one
    shape the compiler knows (a scalar times a global array, or functions of
    one array): every adjoint of a sum is its operands' adjoint too, so the
    compiler's needless unbroadcasts drop and several values share one
    adjoint. Expected: the gradient. Found: after the drops, a sum into one
    operand's adjoint overwrote the storage another's rule still read (a
    silently wrong gradient, fixed in passes.same_shape)."""
    n = r.int(2, 5)
    scalar = r.chance(0.5)
    args = [Arg(()) if scalar else Arg((n,), low=0.3, high=1.4)]
    base = f"x * {weights(n)}" if scalar else smooth(r, "x")
    stmts = [f"y = {base}"]
    names = ["y"]
    for name in ("a", "m"):
        stmts.append(f"{name} = {combine(r, names)}")
        names.append(name)
    # a value whose derivative reads its own result (a quotient, an exp)
    stmts.append(
        r.pick(
            [
                "d = a / (1.5 + y * y)",
                "d = np.exp(0.3 * np.tanh(a)) * y",
                "d = a * y",
                "d = np.tanh(a) - y",
            ]
        )
    )
    for _ in range(r.int(2, 4)):
        other = r.pick(["m", "a", "y", "d"])
        op = r.pick(["+", "+", "-"])
        target = r.pick(["d", "d", "t"]) if "t" in names else r.pick(["d", "t"])
        source = target if target in names or target == "d" else "d"
        stmts.append(f"{target} = {source} {op} {other}")
        if target not in names:
            names.append(target)
        if r.chance(0.3):
            stmts.append(f"{other} = {other} * {r.const()}")
    reads = " + ".join(f"np.sum({v} * {r.pick(names)})" for v in names[-2:])
    body = ["def f(x):"] + indent(stmts + [f"return {reads}"])
    return SoundProgram(lines_to_source(body), "adjoint_fan_out", args)


def invariant_scalars(r: Rand) -> SoundProgram:
    """Loops over Python floats reading a step from a module constant, a
    default or a parameter (``x = x + 0.5 * DT * f(x)``), with invariant
    products, quotients by constants and by parameters, powers, several
    steps per iteration, loops of 0 to 4 iterations and ``while`` loops.
    Expected: the gradient. Found (issue 18): a float constant read in a
    loop made every value's shape unknown (94 times slower, right values);
    its fix marks such numbers scalars and computes invariant arithmetic once
    before the loop, which must keep the derivatives of differentiated steps
    and leave loops that do not run as they were."""
    count = r.int(0, 4)
    default = r.pos(0.05, 0.4)
    step = r.pick(["DT", "h", "a", "DT * a", "0.5 * DT"])
    invariant = r.pick(
        [
            f"0.5 * {step}",
            f"{step} / 6.0",
            f"{step} * {step}",
            f"-{step}",
            f"({step} + {r.const()}) ** 2",
            f"{step} / (1.0 + a * a)",
            f"2.0 * {step} - a",
        ]
    )
    update = r.pick(
        [
            f"x = x + {invariant} * {smooth(r, 'x')}",
            f"x = x * (1.0 + {invariant}) + {step} * np.tanh(x)",
            f"k1 = {smooth(r, 'x')}\n"
            f"mid = x + 0.5 * {step} * k1\n"
            f"x = x + {step} * ({smooth(r, 'mid')}) + {invariant} * k1",
        ]
    )
    body_lines = update.split("\n")
    if r.chance(0.5):
        loop = [f"for i in range({count}):"] + indent(body_lines)
    else:
        loop = ["i = 0", f"while i < {count}:"] + indent(body_lines + ["i = i + 1"])
    result = r.pick(["x", "x * x + a", f"np.sin(x) * {step}"])
    body = [f"def f(x, a, h={default}):"] + indent(loop + [f"return {result}"])
    prelude = [f"DT = {r.pos(0.01, 0.3)}"]
    args = [Arg(()), Arg((), low=0.2, high=1.2)]
    program = SoundProgram(lines_to_source(body, prelude), "invariant_scalars", args)
    # the step changed between calls: the compiled code must follow it
    new_step = r.pick([repr(float(r.pos(0.01, 0.3))), "0", "np.float64(0.125)"])
    program.changes = [Change("module", "DT", new_step)]
    return program


def shifted_softmax(r: Rand) -> SoundProgram:
    """Softmax, log-softmax and log-sum-exp with the usual max shift
    (``s = z - np.max(z, axis, keepdims=True)``) along either axis or the
    whole array, and near misses whose result does depend on the shift
    (the shifted values, their exponentials or the log-sum-exp also read
    elsewhere, the sum along another axis). Expected: the gradient. The
    compiler drops the max's adjoint where the result is invariant to the
    shift (passes/fused.py, ShiftInvariant, issue 18): dropped wrongly, the
    near misses would lose a term."""
    rows, cols = r.int(2, 4), r.int(2, 5)
    args = [Arg((rows, cols))]
    axis = r.pick(["0", "1", None])
    spec = f", axis={axis}, keepdims=True" if axis is not None else ""
    other = {"0": "1", "1": "0", None: "0"}[axis]
    z = smooth(r, "x")
    stmts = [f"z = {z}", f"s = z - np.max(z{spec})", "e = np.exp(s)"]
    total = f"np.sum(e{spec})"
    kind = r.pick(["log_softmax", "softmax", "lse_shifted"])
    if kind == "log_softmax":
        stmts.append(f"out = s - np.log({total})")
    elif kind == "softmax":
        stmts.append(f"out = e / {total}")
    else:
        stmts.append(f"out = np.log({total}) + 0.0 * s")
    extra = r.pick(
        [
            "",
            "",
            " + np.sum(s * 0.3)",
            " + np.sum(e) * 0.1",
            f" + np.sum(np.log({total}))",
            f" + np.sum(np.log(np.sum(e, axis={other}, keepdims=True)))",
        ]
    )
    weights_ = f"np.arange(1.0, {rows * cols + 1}.0).reshape({rows}, {cols})"
    result = f"np.sum(np.sin(out) * {weights_}){extra}"
    body = ["def f(x):"] + indent(stmts + [f"return {result}"])
    return SoundProgram(lines_to_source(body), "shifted_softmax", args)


#: The soundness families, by name, in the order a campaign cycles through
#: them (program ``i`` of a campaign is of family ``i % len(FAMILIES)``).
FAMILIES: dict[str, Callable[[Rand], SoundProgram]] = {
    "tuple_targets": tuple_targets,
    "arg_view_write": arg_view_write,
    "container_iadd": container_iadd,
    "sequence_iadd": sequence_iadd,
    "helper_container_write": helper_container_write,
    "module_attribute": module_attribute,
    "reshape_order": reshape_order,
    "modulo": modulo,
    "int_power_zero": int_power_zero,
    "complex_intermediate": complex_intermediate,
    "adjoint_fan_out": adjoint_fan_out,
    "invariant_scalars": invariant_scalars,
    "shifted_softmax": shifted_softmax,
}


def program_of(
    table: dict, profile: str, salt: int, seed: int, index: int, families: Any
) -> Any:
    """Program ``index`` of a campaign ``seed`` of a profile whose families
    are ``table``: of family ``families[index % len(families)]`` (all of
    ``table`` by default), deterministic in its arguments (``salt`` tells
    the profiles' draws apart)."""
    names = list(families) if families else list(table)
    for name in names:
        if name not in table:
            raise ValueError(
                f"unknown {profile} family {name!r}: one of {', '.join(table)}"
            )
    name = names[index % len(names)]
    which = list(table).index(name)
    rng = np.random.default_rng([seed, index, which, salt])
    program = table[name](Rand(rng))
    program.seed = int(np.random.default_rng([seed, index, which, 7]).integers(2**31))
    return program
