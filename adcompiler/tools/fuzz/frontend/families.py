"""The front-end families (issue #16: Python as people write it): one
generator function per class of constructs. Each takes a
:class:`~..soundness.families.Rand` and returns a
:class:`~.program.FrontProgram`. The construct's variant, the callable, the
nesting, the container shapes, the number of arguments and where the
construct sits (the function itself, a helper, a loop, a branch) are drawn,
and most programs also mix in extras of other families
(:func:`~.pieces.mix`), so a family writes many different programs."""

from __future__ import annotations

from typing import Callable

from ..soundness.families import Rand, indent, smooth
from .pieces import (
    UNARY,
    Builder,
    dict_lines,
    generator_lines,
    mix,
    random_lines,
    side_effect_lines,
    type_test_lines,
    wrap,
)
from .program import FrontProgram


def _function(name: str, params: str, body: list[str], ret: str = "acc") -> list[str]:
    return [f"def {name}({params}):"] + indent(body + [f"return {ret}"])


def finish(
    b: Builder,
    *,
    target: str = "f",
    tree: str = "",
    nested: str = "",
    params: str = "",
    ret: str = "acc",
) -> FrontProgram:
    """The module: imports, definitions, then ``f`` (parameters ``params``,
    by default the arguments) with the body, unless the family defined
    ``f`` itself (a forwarding ``f`` after its target)."""
    lines = list(b.imports) + [""] + b.defs
    if not any(line.startswith("def f(") for line in b.defs):
        lines += _function("f", params or ", ".join(b.names), b.body, ret)
    source = "\n".join(lines).rstrip() + "\n"
    return FrontProgram(
        source, b.family, b.args, target=target, tree=tree, nested=nested
    )


def _forward(b: Builder, call: str) -> None:
    """A plain ``f`` that calls the target: the reference."""
    b.define([f"def f({', '.join(b.names)}):", f"    return {call}"])


# ------------------------------------------------------------------ lambdas


def lambdas(r: Rand) -> FrontProgram:
    """Lambdas as the differentiated function (alone, or several on one
    line), handed to helpers, kept in locals, with closures and defaults."""
    b = Builder(r, "lambdas")
    params = ", ".join(b.names)
    kind = r.pick(["target", "one_line", "helper", "local", "default"])
    if kind in ("target", "one_line"):
        e = b.scalar(b.term(2))
        mix(b, 0.3)
        if kind == "target":
            b.define([f"loss = lambda {params}: {e}"])
            name = "loss"
        else:
            other = b.scalar(b.term(1))
            first = r.chance(0.5)
            pair = [f"lambda {params}: {e}", f"lambda {params}: {other}"]
            if not first:
                pair.reverse()
            sep = r.pick([", ", ",  "])
            b.define([f"loss, other = {sep.join(pair)}"])
            name = "loss" if first else "other"
        if b.body != ["acc = 0.0"]:  # extras: a lambda calls a function
            b.define(_function("extra", params, b.body))
            wrapped = f"lambda {params}: {name}({params}) + extra({params})"
            b.define([f"total = {wrapped}"])
            name = "total"
        _forward(b, f"{name}({params})")
        return finish(b, target=name)
    v = b.vector()
    fn = r.pick(UNARY)
    c = r.const()
    lam = r.pick(
        [
            f"lambda t: {fn}(t) * {c}",
            f"lambda t: {smooth(r, 't', 2)}",
            f"lambda t, k={r.pos()}: k * {fn}(t)",
            f"lambda t: t * {smooth(r, v, 1)}",
        ]
    )
    if kind == "helper":
        b.define(["def apply(fn, v):", "    return fn(v)", ""])
        b.define(
            ["def apply_twice(fn, v):", "    return fn(fn(v))"]
            if r.chance(0.5)
            else ["def apply_twice(fn, v):", "    return 0.5 * fn(v)"]
        )
        call = r.pick(["apply", "apply_twice"])
        b.add(f"{call}({lam}, {v})")
    elif kind == "local":
        name = b.fresh("g")
        b.body.append(f"{name} = {lam}")
        b.add(f"{name}({v}) + {name}({smooth(r, v)})")
    else:
        b.define(
            ["def transform(v, fn=lambda t: " + f"{fn}(t)" + "):", "    return fn(v)"]
        )
        b.add(r.pick([f"transform({v})", f"transform({v}, {lam})"]))
    mix(b)
    return finish(b)


# ---------------------------------------------------------------- callables


def callables(r: Rand) -> FrontProgram:
    """Functions as values: a parameter (with a default such as
    ``nonlin=np.tanh``), ``functools.partial``, ``map``, a list of
    functions, and a hand-written RK4 taking the vector field."""
    b = Builder(r, "callables")
    v = b.vector()
    kind = r.pick(["default", "param", "partial", "map", "list", "rk4"])
    fn = r.pick(UNARY)
    if kind == "default":
        b.add(f"nonlin({b.term()})")
        mix(b)
        return finish(b, params=", ".join(b.names) + f", nonlin={fn}")
    if kind == "param":
        b.define(
            [
                f"def layer(v, act, scale={r.pos()}):",
                "    return act(scale * v)",
                "",
            ]
        )
        b.define(
            ["def square(t):", "    return t * t"]
            if r.chance(0.5)
            else ["def square(t):", "    return np.tanh(t) ** 2"]
        )
        act = r.pick(UNARY + ["square"])
        b.add(r.pick([f"layer({v}, {act})", f"layer({b.term()}, act={act})"]))
        if r.chance(0.5):
            b.add(f"layer(layer({v}, {r.pick(UNARY)}), {act})")
    elif kind == "partial":
        b.need("import functools")
        b.define(["def scaled(v, k, shift=0.0):", f"    return k * {fn}(v) + shift"])
        p = r.pick(
            [
                f"functools.partial(scaled, k={r.pos()})",
                f"functools.partial(scaled, k={r.pos()}, shift={r.const()})",
                f"functools.partial(scaled, shift={r.const()}, k=0.5)",
            ]
        )
        name = b.fresh("h")
        b.body.append(f"{name} = {p}")
        b.add(f"{name}({v})")
    elif kind == "map":
        rows = ", ".join(smooth(r, v) for _ in range(r.int(2, 3)))
        how = r.pick(
            [
                f"sum(map(np.sum, [{rows}]))",
                f"np.sum(np.stack(list(map({fn}, [{rows}]))))",
                f"sum(map(lambda t: np.sum({fn}(t)), ({rows},)))",
            ]
        )
        b.body.append(f"acc = acc + {how}")
    elif kind == "list":
        fns = ", ".join(r.pick(UNARY) for _ in range(r.int(2, 3)))
        b.body += [
            f"for g in [{fns}]:",
            f"    acc = acc + {b.scalar(f'g({v})')}",
        ]
    else:
        k = r.pos(0.2, 0.9)
        field = r.pick(
            [
                ["def field(t, u):", f"    return -{k} * u + np.sin(u)"],
                ["def field(t, u):", f"    return np.tanh(u) - {k} * u * t"],
                ["def field(t, u, k=" + k + "):", "    return -k * u"],
            ]
        )
        b.define(field)
        b.define(
            [
                "def rk4(fun, u, h, steps):",
                "    t = 0.0",
                "    for _ in range(steps):",
                "        k1 = fun(t, u)",
                "        k2 = fun(t + h / 2, u + h / 2 * k1)",
                "        k3 = fun(t + h / 2, u + h / 2 * k2)",
                "        k4 = fun(t + h, u + h * k3)",
                "        u = u + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)",
                "        t = t + h",
                "    return u",
            ]
        )
        vf = r.pick(["field", "lambda t, u: field(t, u)"])
        b.add(f"rk4({vf}, {v}, {r.pick(['0.1', '0.2', '0.05'])}, {r.int(1, 4)})")
    mix(b)
    return finish(b)


# ------------------------------------------------------------------ objects


def objects(r: Rand) -> FrontProgram:
    """Bound methods as the target, methods of user classes called inside
    (one calling another), ``__call__``, ``self`` attributes (a float and
    an array)."""
    b = Builder(r, "objects")
    params = ", ".join(b.names)
    kind = r.pick(["method", "call", "inside"])
    n = b.n
    w = ", ".join(r.const() for _ in range(n))
    fn = r.pick(UNARY)
    cls = [
        "class Model:",
        f"    def __init__(self, scale={r.pos()}):",
        "        self.scale = scale",
        f"        self.w = np.array([{w}])",
        "",
        "    def feature(self, v):",
        f"        return {fn}(self.scale * v) * self.w",
        "",
    ]
    term = b.term()
    method = [f"    def loss(self, {params}):", "        acc = 0.0"] + indent(
        [f"acc = acc + np.sum(self.feature({b.vector()}))"]
        + [f"acc = acc + self.scale * {b.scalar(term)}"],
        2,
    )
    method.append("        return acc")
    if kind == "call":
        method += ["", f"    def __call__(self, {params}):"]
        method.append(f"        return self.loss({params})")
    b.define(cls + method)
    b.define([f"model = Model({r.pick(['', r.pos()])})"])
    if kind == "inside":
        b.body.append(f"m = Model({r.pos()})")
        b.add(f"m.feature({b.vector()})")
        b.body.append(f"acc = acc + m.loss({params})")
        mix(b)
        return finish(b)
    target = "model.loss" if kind == "method" else "model"
    _forward(b, f"{target}({params})")
    return finish(b, target=target)


def _tree_class(r: Rand, b: Builder, kind: str, fields: list[str]) -> str:
    """Define the class of a parameter tree of ``fields``; its name."""
    annotations = [f"    {name}: np.ndarray" for name in fields]
    method = []
    if r.chance(0.4):  # a method the loss calls
        method = ["", "    def energy(self):"] + [
            "        return "
            + " + ".join(f"np.sum(np.tanh(self.{name}))" for name in fields)
        ]
    if kind == "dataclass":
        b.need("from dataclasses import dataclass")
        b.define(["@dataclass", "class Params:"] + annotations + method)
        return "Params"
    if kind == "namedtuple":
        b.need("from typing import NamedTuple")
        b.define(["class Params(NamedTuple):"] + annotations + method)
        return "Params"
    init = [f"    def __init__(self, {', '.join(fields)}):"] + [
        f"        self.{name} = {name}" for name in fields
    ]
    b.define(["class Layer:"] + init + method)
    if r.chance(0.5):  # children as a tuple
        children = "(" + ", ".join(f"o.{name}" for name in fields) + ",)"
        rebuild = "Layer(*children)"
    else:  # as a dict: attribute reads by name
        children = "{" + ", ".join(f'"{name}": o.{name}' for name in fields) + "}"
        rebuild = "Layer(**children)"
    b.define(
        [
            "try:",
            "    from adcompiler.trees import register_tree",
            "except ImportError:  # adcompiler without the hook: plain Python",
            "",
            "    def register_tree(cls, flatten, unflatten):",
            "        return cls",
            "",
            "",
            f"register_tree(Layer, lambda o: ({children}, None), "
            f"lambda aux, children: {rebuild})",
        ]
    )
    return "Layer"


def param_trees(r: Rand) -> FrontProgram:
    """The differentiated argument is a tree of the arrays: a dataclass, a
    NamedTuple, a class registered with ``register_tree``, a dict, or a
    dict holding such an object and a list; its fields read by attribute,
    by key, by unpacking, or by a method of the class."""
    b = Builder(r, "param_trees")
    kind = r.pick(["dataclass", "namedtuple", "registered", "dict", "nested"])
    fields = [f"w{k}" for k in range(len(b.names))]
    slots = [f"{{{k}}}" for k in range(len(fields))]
    if kind == "dict":
        tree = "{{" + ", ".join(f'"{n}": {s}' for n, s in zip(fields, slots)) + "}}"
        reads = [f'p["{name}"]' for name in fields]
    else:
        own = fields[:1] if kind == "nested" else fields  # the object's fields
        cls = _tree_class(r, b, "dataclass" if kind == "nested" else kind, own)
        if r.chance(0.5):
            tree = f"{cls}(" + ", ".join(slots) + ")"
        else:
            pairs = (f"{n}={s}" for n, s in zip(fields, slots))
            tree = f"{cls}(" + ", ".join(pairs) + ")"
        reads = [f"p.{name}" for name in fields]
        if kind == "nested":
            rest = fields[1:]
            inner = f"{cls}({slots[0]})"
            tree = '{{"layer": ' + inner + ', "extra": [' + ", ".join(slots[1:]) + "]}}"
            reads = ['p["layer"].w0'] + [f'p["extra"][{k}]' for k in range(len(rest))]
    if kind == "namedtuple" and r.chance(0.5):
        lines = [", ".join(b.names) + ("," if len(b.names) == 1 else "") + " = p"]
    else:
        lines = [f"{a} = {read}" for a, read in zip(b.names, reads)]
    b.body = []
    b.add(b.term(2))
    if any(line.strip() == "def energy(self):" for line in b.defs) and kind != "nested":
        b.body.append(f"acc = acc + {r.const()} * p.energy()")
    mix(b, 0.4)
    b.define(_function("loss", "p", lines + ["acc = 0.0"] + b.body))
    _forward(b, "loss(" + tree.format(*b.names) + ")")
    return finish(b, target="loss", tree=tree)


# ------------------------------------------------------------- random draws


def random_draws(r: Rand) -> FrontProgram:
    """A generator seeded inside the function (``default_rng(seed)`` or a
    ``RandomState``), its draws used as noise, masks or weights, in the
    function, a loop, a branch or a helper."""
    b = Builder(r, "random_draws")
    block = random_lines(r, b)
    where = r.pick(["body", "body", "helper"])
    if where == "helper":
        params = ", ".join(b.names)
        inner = ["acc = 0.0"] + block
        b.define(_function("noisy", params, inner))
        b.add(f"noisy({params})")
    else:
        b.body += wrap(r, block, b)
    if r.chance(0.4):
        b.body += random_lines(r, b)
    mix(b, 0.5)
    return finish(b)


# ------------------------------------------------------------- side effects


def side_effects(r: Rand) -> FrontProgram:
    """``print`` with f-strings, ``logging``, ``warnings.warn`` and
    ``assert`` between the computation's statements, in loops, branches
    and helpers."""
    b = Builder(r, "side_effects")
    for _ in range(r.int(1, 3)):
        b.add(b.term())
        lines = side_effect_lines(r, b)
        if r.chance(0.3):
            params = ", ".join(b.names)
            name = b.fresh("report")
            b.define([f"def {name}(acc, {params}):"] + indent(lines + ["return acc"]))
            b.body.append(f"acc = {name}(acc, {params})")
        else:
            b.body += wrap(r, lines, b)
    mix(b, 0.4)
    return finish(b)


# --------------------------------------------------------------- type tests


def type_tests(r: Rand) -> FrontProgram:
    """``isinstance(v, (list, tuple))``, ``x is None`` (a default of
    ``None``), ``callable(f)``, ``type(x) is tuple``, in the function and
    in helpers that take either kind."""
    b = Builder(r, "type_tests")
    v = b.vector()
    kind = r.pick(["inline", "helper", "none_default"])
    if kind == "inline":
        for _ in range(r.int(1, 2)):
            b.body += wrap(r, type_test_lines(r, b), b)
    elif kind == "helper":
        b.define(
            [
                "def total(v):",
                "    if isinstance(v, (list, tuple)):",
                "        return sum(np.sum(np.tanh(e)) for e in v)",
                "    return np.sum(v)",
            ]
        )
        arg = r.pick([v, f"[{v}, {smooth(r, v)}]", f"({v},)", b.term()])
        b.add(f"total({arg})", place=False)
        if r.chance(0.5):
            b.add(f"total(({v}, {v} * 0.5))")
    else:
        b.define(
            [
                "def scaled(v, scale=None, act=None):",
                "    if scale is None:",
                f"        scale = {r.pos()}",
                "    if act is not None and callable(act):",
                "        v = act(v)",
                "    return scale * v",
            ]
        )
        call = r.pick(
            [
                f"scaled({v})",
                f"scaled({v}, {r.pos()})",
                f"scaled({v}, act={r.pick(UNARY)})",
                f"scaled({v}, None, {r.pick(UNARY)})",
            ]
        )
        b.add(call)
    mix(b, 0.4)
    return finish(b)


# -------------------------------------------------------------------- dicts


def dicts(r: Rand) -> FrontProgram:
    """Dicts built by literals, ``dict(...)``, ``dict(zip(...))`` and
    comprehensions, iterated by key, ``.items()``, ``.keys()``,
    ``.values()`` and ``sorted``; passed to helpers."""
    b = Builder(r, "dicts")
    kind = r.pick(["lines", "dict_call", "comprehension", "helper"])
    if kind == "lines":
        b.body += wrap(r, dict_lines(r, b), b)
    elif kind == "dict_call":
        d = b.fresh("d")
        b.body.append(
            r.pick(
                [
                    f"{d} = dict(a={b.term()}, b={b.term()})",
                    f'{d} = dict(zip(["a", "b"], [{b.term()}, {b.term()}]))',
                    f'{d} = dict([("a", {b.term()}), ("b", {b.term()})])',
                ]
            )
        )
        b.add(f'{d}["a"] * {d}["b"]' if r.chance(0.5) else f'{d}["b"]')
    elif kind == "comprehension":
        d = b.fresh("d")
        v = b.vector()
        src = r.pick(
            [
                f"{{k: {smooth(r, v)} * (i + 1) for i, k in enumerate(['a', 'b', 'c'])}}",
                f"{{f'k{{i}}': {v}[i] ** 2 for i in range({b.n})}}",
                f"{{k: np.tanh(v) for k, v in {{'a': {v}, 'b': {b.term()}}}.items()}}",
            ]
        )
        b.body.append(f"{d} = {src}")
        b.body += [f"for key in sorted({d}):", f"    acc = acc + np.sum({d}[key])"]
    else:
        b.define(
            [
                "def weigh(params, scale=1.0):",
                "    out = 0.0",
                "    for name, value in params.items():",
                "        out = out + scale * np.sum(np.sin(value))",
                "    return out",
            ]
        )
        keys = ["w", "b", "u"][: r.int(1, 3)]
        lit = "{" + ", ".join(f'"{k}": {b.term()}' for k in keys) + "}"
        b.body.append(f"acc = acc + weigh({lit}{r.pick(['', ', 0.5', ', scale=2.0'])})")
    mix(b, 0.4)
    return finish(b)


# ---------------------------------------------------------------- variadics


def variadics(r: Rand) -> FrontProgram:
    """``*args`` and ``**kwargs`` helpers, calls with ``f(*args)`` and
    ``**d``, ``zip(*pairs)``, ``enumerate(zip(a, b))``,
    ``enumerate(x, 1)``; sometimes ``f`` itself takes ``*args``."""
    b = Builder(r, "variadics")
    v = b.vector()
    kind = r.pick(["star", "kwargs", "call_star", "zip_star", "enum_zip", "enum_start"])
    if kind == "star":
        b.define(
            [
                "def total(*parts):",
                "    out = 0.0",
                "    for p in parts:",
                "        out = out + np.sum(np.tanh(p))",
                "    return out",
            ]
        )
        parts = ", ".join(b.term() for _ in range(r.int(1, 3)))
        b.body.append(f"acc = acc + total({parts})")
    elif kind == "kwargs":
        b.define(
            [
                "def combine(v, **weights):",
                "    out = 0.0",
                "    for name in weights:",
                "        out = out + weights[name] * np.sum(np.sin(v))",
                "    return out + len(weights)",
            ]
        )
        kw = ", ".join(f"{k}={r.const()}" for k in ["a", "b", "c"][: r.int(1, 3)])
        b.body.append(f"acc = acc + combine({b.term()}, {kw})")
    elif kind == "call_star":
        b.define(["def pair(a, b, c=0.5):", "    return np.sum(a * b) + c"])
        items = ", ".join([b.term(), b.term()] + ([r.const()] if r.chance(0.5) else []))
        args = b.fresh("args")
        b.body += [f"{args} = ({items})", f"acc = acc + pair(*{args})"]
        if r.chance(0.5):
            b.body.append(f'acc = acc + pair(**{{"a": {v}, "b": {b.term()}}})')
    elif kind == "zip_star":
        pairs = ", ".join(f"({b.term()}, {b.term()})" for _ in range(r.int(2, 3)))
        b.body += [
            f"firsts, seconds = zip(*[{pairs}])",
            "for p, q in zip(firsts, seconds):",
            f"    acc = acc + {b.scalar('p * q')}",
        ]
    elif kind == "enum_zip":
        w = b.vector()
        b.body += [
            f"for i, (p, q) in enumerate(zip({v}, {smooth(r, w)})):",
            "    acc = acc + (i + 1) * p * q",
        ]
    else:
        start = r.int(0, 2)
        b.body += [
            f"for i, t in enumerate({v}, {start}):",
            f"    acc = acc + i * {smooth(r, 't')}",
        ]
    if "s" not in b.names and r.chance(0.3):  # f(*args) itself
        b.body = [f"{', '.join(b.names)}, = args"] + b.body
        mix(b, 0.3)
        return finish(b, params="*args")
    mix(b, 0.4)
    return finish(b)


# --------------------------------------------------------------- generators


def generators(r: Rand) -> FrontProgram:
    """Generator expressions and generator functions (``yield``, in a loop
    or one by one) consumed by ``sum``, ``list``, ``zip``, ``tuple`` and
    a ``for``."""
    b = Builder(r, "generators")
    v = b.vector()
    kind = r.pick(["expression", "function", "function", "pairs"])
    if kind == "expression":
        b.body += wrap(r, generator_lines(r, b), b)
    elif kind == "function":
        body = r.pick(
            [
                ["for t in v:", f"    yield {smooth(r, 't')}"],
                ["for i in range(len(v)):", f"    yield v[i] * {r.const()}"],
                ["yield np.sum(v)", f"yield np.sum({smooth(r, 'v')})"],
            ]
        )
        b.define(["def terms(v):"] + indent(body))
        how = r.pick(
            [
                f"acc = acc + sum(terms({v}))",
                f"acc = acc + np.sum(np.array(list(terms({smooth(r, v)}))))",
                f"acc = acc + sum(a * b for a, b in zip(terms({v}), terms({b.vector()})))",
            ]
        )
        b.body += wrap(r, [how], b) if r.chance(0.3) else [how]
        if r.chance(0.4):
            b.body += [f"for t in terms({v}):", "    acc = acc + 0.5 * t"]
    else:
        b.define(
            [
                "def pairs(a, b):",
                "    for p, q in zip(a, b):",
                "        yield p, q",
            ]
        )
        b.body += [
            f"for p, q in pairs({v}, {smooth(r, b.vector())}):",
            "    acc = acc + p * q",
        ]
    mix(b, 0.4)
    return finish(b)


# ------------------------------------------------------- nested derivatives


def nested_grad(r: Rand) -> FrontProgram:
    """``grad`` called inside the differentiated function (of a helper, a
    lambda, a lambda reading the outer arguments, or a function of two
    arguments with ``wrt`` whose other argument may depend on them), its
    result used in a loop, a branch or an expression, or unrolled gradient
    steps ``u = u - rate * grad(energy)(u)``; the inner function is
    analytic so that the reference's complex step is exact."""
    b = Builder(r, "nested_grad")
    b.need("from adcompiler import grad")
    v = b.vector()
    fn1, fn2 = r.pick(UNARY), r.pick(UNARY)
    c = r.const()
    inner = r.pick(
        [
            f"np.sum({fn1}(u) * {fn2}({c} * u))",
            f"np.sum({fn1}(u) ** 2)",
            f"np.sum(u * {fn1}(u)) + {c} * np.sum(u ** 3)",
        ]
    )
    kind = r.pick(["helper", "lambda", "wrt", "closure", "descent"])
    name = b.fresh("g")
    if kind == "descent":  # unrolled gradient steps: u depends on x through grad
        b.define(["def energy(u):", f"    return {inner}"])
        steps, rate = r.int(1, 3), r.pick(["0.1", "0.05", "0.2"])
        b.body += [
            f"{name} = {smooth(r, v)}",
            f"for i in range({steps}):",
            f"    {name} = {name} - {rate} * grad(energy)({name})",
        ]
        b.add(f"np.tanh({name})")
        mix(b, 0.3)
        return finish(b, nested="grad")
    if kind == "helper":
        b.define(["def energy(u):", f"    return {inner}"])
        call = f"grad(energy)({smooth(r, v)})"
    elif kind == "lambda":
        call = f"grad(lambda u: {inner})({v})"
    elif kind == "closure":  # the inner function reads the outer arguments
        outer = b.term()
        call = f"grad(lambda u: np.sum({r.pick(UNARY)}(u * {outer})))({v})"
    else:
        b.define(["def energy(a, u):", f"    return a * ({inner})"])
        a = r.pick([r.pos(), f"np.sum(np.tanh({b.vector()}))"])
        call = f"grad(energy, wrt=1)({a}, {v})"
    use = [f"{name} = {call}", f"acc = acc + {b.scalar(f'{name} * {smooth(r, v)}')}"]
    b.body += wrap(r, use, b)
    mix(b, 0.3)
    return finish(b, nested="grad")


# -------------------------------------------------------- size-1 outputs


def size1_output(r: Rand) -> FrontProgram:
    """A function whose result is an array of one element (``(1,)`` or
    ``(1, 1)``), built by ``reshape``, ``np.array([...])``,
    ``np.atleast_1d``, a slice, or ``@`` of a row and a column."""
    b = Builder(r, "size1_output")
    b.add(b.term(2))
    mix(b, 0.5)
    v = b.vector()
    n = b.n
    ret = r.pick(
        [
            "np.reshape(acc, (1,))",
            "np.array([acc])",
            "np.atleast_1d(acc)",
            "acc * np.ones(1)",
            "(acc + 0.0 * x[:1]).reshape(1, 1)",
            f"acc + np.sin({v}[:1])",
            f"acc + {v}.reshape(1, {n}) @ np.ones(({n}, 1))",
        ]
    )
    return finish(b, ret=ret)


#: The front-end families, by name, in the order a campaign cycles through
#: them (program ``i`` of a campaign is of family ``i % len(FAMILIES)``).
FAMILIES: dict[str, Callable[[Rand], FrontProgram]] = {
    "lambdas": lambdas,
    "callables": callables,
    "objects": objects,
    "param_trees": param_trees,
    "random_draws": random_draws,
    "side_effects": side_effects,
    "type_tests": type_tests,
    "dicts": dicts,
    "variadics": variadics,
    "generators": generators,
    "nested_grad": nested_grad,
    "size1_output": size1_output,
}
