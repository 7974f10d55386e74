"""SSA graph → Python source → a compiled function.

Guarantees: one statement per op, each group of statements preceded by a
comment with the user's source line it came from; names are the graph's
value names (an accumulation that reuses its previous adjoint's storage
reuses its name); the same graph gives byte-identical source; the code is
compiled under a file name registered with :mod:`linecache`, so tracebacks,
``pdb`` and ``inspect`` show the generated lines; the namespace it runs in
holds exactly the modules, helpers and free values the graph names. The
black-formatted text (:attr:`Generated.source`) is produced on first access.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import astor
import numpy as np

from .errors import ADError
from .options import optimizing
from .passes.release import release_dead_names, small_names
from .ir import (
    AdjointGraph,
    AdjointState,
    Block,
    CallOp,
    Graph,
    IfOp,
    LoopOp,
    LoopTape,
    Op,
    ReverseLoopOp,
    Value,
    defined_in,
    root_name,
    tree_values,
    used_list,
)

_INDENT = "    "


class _Formatted:
    """``.source``: ``raw_source`` formatted by black, on first access (black
    takes longer than the rest of a compilation)."""

    raw_source: str
    _formatted: str | None

    @property
    def source(self) -> str:
        """The source, formatted by black."""
        if self._formatted is None:
            import black

            self._formatted = black.format_str(self.raw_source, mode=black.Mode())
        return self._formatted


@dataclass
class Generated(_Formatted):
    """A compiled generated function and its source."""

    fn: Callable
    raw_source: str
    filename: str
    namespace: dict[str, Any]
    _formatted: str | None = field(default=None, repr=False)


class _Writer:
    def __init__(self, graph: Graph):
        self.graph = graph
        # names chosen while writing (temporaries, modules and helpers first
        # named here) are this writer's: the graph stays as it was
        self.namer = graph.namer.copy()
        self.roots = dict(graph.roots)
        self.np_name = self.root_name(np)
        self.backward_start = (
            graph.backward_start if isinstance(graph, AdjointGraph) else None
        )
        self.inlined = _inlined_iterables(graph)
        #: what reverse mode records about forward loops and calls (read only)
        self.ad = graph.ad if graph.ad is not None else AdjointState()

    def name_of(self, value: Value) -> str:
        return self.graph.display_name(value)

    def root_name(self, obj: Any) -> str:
        """The name the code uses for a module, builtin or helper: the
        graph's (:meth:`Graph.root_name`), or one chosen here likewise."""
        return root_name(self.roots, self.namer, obj)

    def operand(self, tree: Any) -> ast.expr:
        if isinstance(tree, Value):
            obj = tree.obj
            if (
                tree.kind == "free"
                and getattr(obj, "__name__", None)
                and getattr(np, obj.__name__, None) is obj
            ):
                return _attribute(self.np_name, (obj.__name__,))
            return ast.Name(self.name_of(tree), ast.Load())
        if isinstance(tree, tuple):
            return ast.Tuple([self.operand(item) for item in tree], ast.Load())
        if isinstance(tree, list):
            return ast.List([self.operand(item) for item in tree], ast.Load())
        if isinstance(tree, dict):
            keys = [ast.Constant(key) for key in tree]
            return ast.Dict(keys, [self.operand(item) for item in tree.values()])
        if isinstance(tree, slice):
            parts = [self.operand(p) for p in (tree.start, tree.stop, tree.step)]
            return ast.Call(ast.Name("slice", ast.Load()), parts, [])
        if isinstance(tree, np.dtype):
            dtype = _attribute(self.np_name, (tree.type.__name__,))
            return ast.Call(_attribute(self.np_name, ("dtype",)), [dtype], [])
        if isinstance(tree, type):
            if tree in (float, int, bool, complex):
                return ast.Name(tree.__name__, ast.Load())
            return _attribute(self.np_name, (tree.__name__,))
        if isinstance(tree, float) and not math.isfinite(tree):
            return ast.Call(
                ast.Name("float", ast.Load()), [ast.Constant(repr(tree))], []
            )
        return ast.Constant(tree)

    def index(self, tree: Any) -> ast.expr:
        if isinstance(tree, tuple) and tree:
            return ast.Tuple([self.index_part(item) for item in tree], ast.Load())
        return self.index_part(tree)

    def index_part(self, tree: Any) -> ast.expr:
        if isinstance(tree, slice):
            parts = (tree.start, tree.stop, tree.step)
            lower, upper, step = (None if p is None else self.operand(p) for p in parts)
            return ast.Slice(lower, upper, step)
        return self.operand(tree)

    def expression(self, op: Op) -> ast.expr:
        render = op.prim.render
        kind = render[0]
        args = [self.operand(a) for a in op.args]
        keywords = [ast.keyword(k, self.operand(v)) for k, v in op.kwargs.items()]
        if kind == "call":
            if op.prim.fn is np.shape and _array(op.args):
                # an array of known rank: its shape is an attribute
                return ast.Attribute(args[0], "shape", ast.Load())
            func = _attribute(self.root_name(render[1]), render[2])
            return ast.Call(func, args, keywords)
        if kind == "binop":
            return ast.BinOp(args[0], render[1], args[1])
        if kind == "unaryop":
            return ast.UnaryOp(render[1], args[0])
        if kind == "compare":
            return ast.Compare(args[0], [render[1]], [args[1]])
        if kind == "subscript":
            return ast.Subscript(args[0], self.index(op.args[1]), ast.Load())
        if kind in ("method", "inplace_method"):
            return ast.Call(
                ast.Attribute(args[0], render[1], ast.Load()), args[1:], keywords
            )
        if kind == "name":
            return args[0]
        if kind == "method_spread":  # a.name(*b)
            spread = ast.Starred(args[1], ast.Load())
            return ast.Call(ast.Attribute(args[0], render[1], ast.Load()), [spread], [])
        if kind == "matmul_transposed":
            right = ast.Attribute(args[1], "T", ast.Load())
            return ast.BinOp(args[0], ast.MatMult(), right)
        if kind == "transposed_matmul":
            left = ast.Attribute(args[0], "T", ast.Load())
            return ast.BinOp(left, ast.MatMult(), args[1])
        if kind == "list":
            return ast.List(args, ast.Load())
        if kind == "tuple":
            return ast.Tuple(args, ast.Load())
        raise ADError(f"internal error: cannot render {op.prim.name}")

    def statement(self, op: Op) -> str:
        if op.prim.render[0] == "inplace_method" or op.prim.statement:
            return _source(ast.Expr(self.expression(op)))
        if op.prim.render[0] == "setitem":
            array, index, value = op.args
            target = ast.Subscript(self.operand(array), self.index(index), ast.Store())
            return _source(ast.Assign([target], self.operand(value)))
        target = ast.Name(self.name_of(op.out), ast.Store())
        node = ast.Assign([target], self.expression(op))
        return _source(node)

    # -- blocks -----------------------------------------------------------
    def block(self, block: Block, indent: str, lines: list[str]) -> None:
        """Append the statements of ``block`` (and its regions) to ``lines``."""
        last_line = None
        start = len(lines)
        for op in block.ops:
            if op is self.backward_start:
                lines.append("")
                lines.append(f"{indent}# backward sweep: adjoints, in reverse order")
                last_line = None
            if op.loc is None and last_line != "gradients":
                lines.append(f"{indent}# gradients, in the arguments' types")
                last_line = "gradients"
            if op.loc is not None and (op.loc.line, op.loc.within) != last_line:
                lines.append(indent + _comment(op))
                last_line = (op.loc.line, op.loc.within)
            if isinstance(op, Op):
                if op.out not in self.inlined:
                    lines.append(indent + self.statement(op))
            elif isinstance(op, IfOp):
                self.if_op(op, indent, lines)
            elif isinstance(op, LoopOp):
                self.loop_op(op, indent, lines)
            elif isinstance(op, ReverseLoopOp):
                self.reverse_loop_op(op, indent, lines)
                last_line = None
            elif isinstance(op, CallOp):
                lines.extend(indent + line for line in self.call_op(op))
        if not any(
            line.strip() and not line.strip().startswith("#") for line in lines[start:]
        ):
            lines.append(indent + "pass")

    def call_op(self, op: CallOp) -> list[str]:
        """``pattern = f(args)``; a forward half also returns what it saves.

        Returns unindented lines: the call, then the statements taking
        apart the dicts in its result."""
        after: list[ast.stmt] = []
        target = self.pattern(op.out_tree, after)
        split = self.ad.calls.get(op)
        if split is not None:
            saved = ast.Name(self.name_of(split.saved), ast.Store())
            target = ast.Tuple([target, saved], ast.Store())
        func = ast.Name(self.root_name(self.ad.callee(op)), ast.Load())
        call = ast.Call(func, [self.operand(arg) for arg in op.args], [])
        return [_source(stmt) for stmt in [ast.Assign([target], call), *after]]

    def pattern(self, tree: Any, after: list[ast.stmt]) -> ast.expr:
        """An assignment target with the shape of ``tree``; a dict is bound
        to a name and its items assigned from it by statements put in
        ``after``."""
        if isinstance(tree, Value):
            return ast.Name(self.name_of(tree), ast.Store())
        if isinstance(tree, (tuple, list)):
            return ast.Tuple([self.pattern(item, after) for item in tree], ast.Store())
        if isinstance(tree, dict):
            name = self.namer.claim("result")
            for key, item in tree.items():
                inner: list[ast.stmt] = []
                target = self.pattern(item, inner)
                lookup = ast.Subscript(
                    ast.Name(name, ast.Load()), ast.Constant(key), ast.Load()
                )
                after.append(ast.Assign([target], lookup))
                after.extend(inner)
            return ast.Name(name, ast.Store())
        return ast.Name(self.namer.claim("_"), ast.Store())

    def assign_all(
        self, targets: list[Value], values: list, indent: str, lines
    ) -> None:
        """``targets = values`` for those whose names differ, all at once."""
        pairs = [
            (t, v)
            for t, v in zip(targets, values)
            if not (isinstance(v, Value) and self.name_of(v) == self.name_of(t))
        ]
        if not pairs:
            return
        if len(pairs) == 1:
            target: ast.expr = ast.Name(self.name_of(pairs[0][0]), ast.Store())
            value = self.operand(pairs[0][1])
        else:
            target = ast.Tuple(
                [ast.Name(self.name_of(t), ast.Store()) for t, _ in pairs], ast.Store()
            )
            value = ast.Tuple([self.operand(v) for _, v in pairs], ast.Load())
        lines.append(indent + _source(ast.Assign([target], value)))

    def if_op(self, op: IfOp, indent: str, lines: list[str]) -> None:
        inner = indent + _INDENT
        both = defined_in(op.then, self.ad) | defined_in(op.orelse, self.ad)
        lines.append(indent + _header(ast.If(self.operand(op.cond), [ast.Pass()], [])))
        for index, branch in enumerate(op.regions):
            if index == 1:
                lines.append(indent + "else:")
            start = len(lines)
            self.block(branch, inner, lines)
            if lines[-1] == inner + "pass" and len(lines) > start:
                lines.pop()
            self.assign_all(op.outs, branch.yields, inner, lines)
            defined = defined_in(branch, self.ad)
            out_names = {self.name_of(out) for out in op.outs}
            # a value stored under the name of one from before the `if` (an
            # array changed in place) keeps that name bound: never set to None
            missing = [
                v
                for v in self.ad.exports.get(op, ())
                if v not in defined
                and self.name_of(v) not in out_names
                and self.graph.storage(v) in both
            ]
            self.assign_all(missing, [None] * len(missing), inner, lines)
            _ensure_statement(lines, start, inner)
        if lines[-1] == inner + "pass" and lines[-2] == indent + "else:":
            del lines[-2:]

    def loop_op(self, op: LoopOp, indent: str, lines: list[str]) -> None:
        inner = indent + _INDENT
        # a loop nothing differentiates saves and counts nothing
        record = self.ad.tapes.get(op) or LoopTape()
        self.assign_all(op.carried, op.inits, indent, lines)
        if record.tape is not None:
            lines.append(f"{indent}{self.name_of(record.tape)} = []")
        elif record.counter is not None:
            lines.append(f"{indent}{self.name_of(record.counter)} = 0")
        if op.kind == "for":
            target = ast.Name(self.name_of(op.target), ast.Store())
            lines.append(
                indent
                + _header(ast.For(target, self.iterable(op.iterable), [ast.Pass()], []))
            )
        else:
            condition = op.cond.yields[0]
            if not op.cond.ops:
                test = self.operand(condition)
                lines.append(indent + _header(ast.While(test, [ast.Pass()], [])))
            else:
                lines.append(indent + "while True:")
                self.block(op.cond, inner, lines)
                if lines[-1] == inner + "pass":
                    lines.pop()
                test = ast.UnaryOp(ast.Not(), self.operand(condition))
                lines.append(inner + _header(ast.If(test, [ast.Pass()], [])))
                lines.append(inner + _INDENT + "break")
        body_start = len(lines)
        self.block(op.body, inner, lines)
        if lines[-1] == inner + "pass":
            lines.pop()
        if record.tape is not None:
            saved = self.saved_tuple(record.saved, ast.Load)
            call = ast.Call(
                ast.Attribute(
                    ast.Name(self.name_of(record.tape), ast.Load()),
                    "append",
                    ast.Load(),
                ),
                [saved],
                [],
            )
            lines.append(inner + _source(ast.Expr(call)))
        elif record.counter is not None:
            lines.append(f"{inner}{self.name_of(record.counter)} += 1")
        self.assign_all(op.carried, op.body.yields, inner, lines)
        if op.exit is True:
            lines.append(inner + "break")
        elif op.exit is not None:
            lines.append(
                inner + _header(ast.If(self.operand(op.exit), [ast.Pass()], []))
            )
            lines.append(inner + _INDENT + "break")
        _ensure_statement(lines, body_start, inner)

    def iterable(self, tree: Any) -> ast.expr:
        if isinstance(tree, Value) and tree in self.inlined:
            return self.expression(tree.op)
        return self.operand(tree)

    def saved_tuple(self, values: list[Value], ctx: type) -> ast.expr:
        by_name: dict[str, Value] = {}
        for value in values:  # one array changed in place: one name, saved once
            by_name.setdefault(self.name_of(value), value)
        values = list(by_name.values())
        if len(values) == 1:
            return ast.Name(self.name_of(values[0]), ctx())
        return ast.Tuple([ast.Name(self.name_of(v), ctx()) for v in values], ctx())

    def reverse_loop_op(self, op: ReverseLoopOp, indent: str, lines: list[str]) -> None:
        inner = indent + _INDENT
        record = op.record
        self.assign_all(op.carried, op.inits, indent, lines)
        if record.tape is not None:
            target = self.saved_tuple(record.saved, ast.Store)
            reversed_name = self.root_name(builtins.reversed)
            iterable: ast.expr = ast.Call(
                ast.Name(reversed_name, ast.Load()),
                [ast.Name(self.name_of(record.tape), ast.Load())],
                [],
            )
        else:
            target = ast.Name(self.namer.claim("_"), ast.Store())
            iterable = ast.Call(
                ast.Name(self.root_name(builtins.range), ast.Load()),
                [ast.Name(self.name_of(record.counter), ast.Load())],
                [],
            )
        header = _header(ast.For(target, iterable, [ast.Pass()], []))
        lines.append(f"{indent}{header}  # backward of the loop at line {op.loc.line}")
        body_start = len(lines)
        self.block(op.body, inner, lines)
        if lines[-1] == inner + "pass":
            lines.pop()
        self.assign_all(op.carried, op.body.yields, inner, lines)
        _ensure_statement(lines, body_start, inner)


def _run(
    lines: list[str],
    filename: str,
    graph: Graph,
    roots: dict[int, tuple[Any, str]],
    namespace: dict[str, Any],
) -> tuple[str, str]:
    """The generated source of ``lines`` (with ``del`` of dead arrays when
    optimising), executed in ``namespace`` with the graph's modules, helpers
    and globals bound, its lines known to ``linecache`` (tracebacks,
    ``inspect``, ``pdb``) under the file name returned with it."""
    source = "\n".join(lines) + "\n"
    if optimizing():
        source = release_dead_names(source, small_names(graph))
    for obj, name in roots.values():
        namespace[name] = obj
    for value in graph.free:
        namespace[value.name] = value.obj
    filename = unique_filename(filename, source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return source, filename


def unique_filename(filename: str, source: str) -> str:
    """``filename``, or ``filename`` numbered (``<... [2]>``) when another
    generated source is registered under it: the same function compiled
    for other argument structures or ranks. Each generated function's
    source must stay readable under its own name, since transforming it
    again (``grad(grad(f))``, ``hessian``) reads that source."""
    lines = source.splitlines(True)
    candidate, number = filename, 1
    while True:
        known = linecache.cache.get(candidate)
        if known is None or known[2] == lines:
            return candidate
        number += 1
        candidate = f"{filename[:-1]} [{number}]>"


def _ensure_statement(lines: list[str], start: int, indent: str) -> None:
    """End a compound statement's body (``lines[start:]``) with ``pass`` when
    it holds no statement, only comments or nothing."""
    if not any(
        line.strip() and not line.strip().startswith("#") for line in lines[start:]
    ):
        lines.append(indent + "pass")


def _one_line(parts: list[str]) -> str:
    return "".join(parts)  # black wraps long lines later, consistently


def _source(node: ast.AST) -> str:
    node = ast.fix_missing_locations(node)
    return astor.to_source(node, pretty_source=_one_line).rstrip("\n")


def _header(node: ast.AST) -> str:
    """The first line of a compound statement (``for ...:``, ``if ...:``)."""
    return _source(node).splitlines()[0]


def _attribute(root: str, path: tuple) -> ast.expr:
    node: ast.expr = ast.Name(root, ast.Load())
    for part in path:
        node = ast.Attribute(node, part, ast.Load())
    return node


def _inlined_iterables(graph: Graph) -> set[Value]:
    """``range(...)`` values used once, as a loop's iterable: written in place."""
    uses: dict[Value, int] = {}
    for value in used_list(graph):
        uses[value] = uses.get(value, 0) + 1
    inlined = set()
    for op in graph.walk():
        if isinstance(op, LoopOp) and isinstance(op.iterable, Value):
            value = op.iterable
            if (
                value.op is not None
                and value.op.prim.fn in (builtins.range, builtins.reversed)
                and uses.get(value) == 1
                and not any(
                    isinstance(v, Value) and v in inlined for v in value.op.args
                )
            ):
                inlined.add(value)
    return inlined


def _comment(op: Op) -> str:
    """``# line N: text``, or for a line of a function inlined here (see
    :meth:`lower.inlining.Inliner.inline_function`) ``# line N in f (file.py): text``.
    """
    loc = op.loc
    file = f" ({os.path.basename(loc.file)})" if loc.within else ""
    return f"# line {loc.line_label}{file}: {loc.text.strip()}"


def generate(
    graph: Graph,
    signature: ast.arguments,
    defaults: dict[str, Any],
    fn_name: str,
    docstring: str,
    filename: str,
) -> Generated:
    """Write ``graph`` as ``def fn_name(<signature>)`` and compile it."""
    writer = _Writer(graph)
    namespace: dict[str, Any] = {"__builtins__": builtins}
    header = ast.FunctionDef(
        fn_name, _signature(signature, defaults, namespace), [ast.Pass()], [], None
    )
    ast.fix_missing_locations(header)
    def_line = _source(header).splitlines()[0]
    lines = [def_line, f'{_INDENT}"""{docstring}"""', f"{_INDENT}# forward sweep"]
    writer.block(graph.body, _INDENT, lines)
    if lines[-1] == _INDENT + "pass":
        lines.pop()
    result = _source(ast.Return(writer.operand(graph.outputs)))
    lines.append(_INDENT + result)
    source, filename = _run(lines, filename, graph, writer.roots, namespace)
    return Generated(namespace[fn_name], source, filename, namespace)


def generate_function(
    graph: Graph, fn_name: str, params: list[Value], docstring: str, filename: str
) -> Generated:
    """Write ``graph`` as ``def fn_name(*params)`` (all positional) and compile it."""
    arguments = ast.arguments(
        [], [ast.arg(p.name, None) for p in params], None, [], [], None, []
    )
    return generate(graph, arguments, {}, fn_name, docstring, filename)


def _signature(
    signature: ast.arguments, defaults: dict[str, Any], namespace: dict[str, Any]
) -> ast.arguments:
    """The user's parameters, with defaults as literals or namespace names."""

    def default(arg: ast.arg) -> ast.expr:
        value = defaults[arg.arg]
        if isinstance(value, (int, float, str, bool, type(None))):
            return ast.Constant(value)
        name = f"default_{arg.arg}"
        namespace[name] = value
        return ast.Name(name, ast.Load())

    def plain(arg: ast.arg) -> ast.arg:
        return ast.arg(arg.arg, None)

    positional = signature.posonlyargs + signature.args
    n_defaults = len(signature.defaults)
    with_default = positional[len(positional) - n_defaults :] if n_defaults else []
    return ast.arguments(
        posonlyargs=[plain(a) for a in signature.posonlyargs],
        args=[plain(a) for a in signature.args],
        vararg=plain(signature.vararg) if signature.vararg else None,
        kwonlyargs=[plain(a) for a in signature.kwonlyargs],
        kw_defaults=[
            default(a) if d is not None else None
            for a, d in zip(signature.kwonlyargs, signature.kw_defaults)
        ],
        kwarg=plain(signature.kwarg) if signature.kwarg else None,
        defaults=[default(a) for a in with_default],
    )


@dataclass
class GeneratedSplit(_Formatted):
    """The forward and backward halves of a user function, compiled."""

    forward: Callable
    backward: Callable
    raw_source: str
    filename: str
    _formatted: str | None = field(default=None, repr=False)


def generate_split(
    graph: AdjointGraph,
    filename: str,
    title: str,
    names: tuple[str, str],
) -> GeneratedSplit:
    """Write a split graph (:func:`reverse.reverse` with ``split``, its
    residuals chosen by :func:`passes.tape.choose_residuals`) as two
    functions: ``<name>_forward(params) -> (outputs, saved)`` and
    ``<name>_backward(saved, *output adjoints) -> adjoints of the
    differentiated argument leaves``."""
    writer = _Writer(graph)
    writer.backward_start = None
    namespace: dict[str, Any] = {"__builtins__": builtins}
    forward_ops = graph.body.ops[: graph.forward_count]
    backward_ops = graph.body.ops[graph.forward_count :]
    output, gradients = graph.outputs
    saved = graph.residuals
    # the names under which the function's own recursive calls reach it:
    # the definitions replace those entries, so recursion calls them directly
    forward_name, backward_name = names
    residuals_name = writer.namer.claim("saved")

    # callers pass every parameter, positionally
    every = ast.arguments(
        [], [ast.arg(p.name, None) for p in graph.params], None, [], [], None, []
    )
    header = ast.FunctionDef(forward_name, every, [ast.Pass()], [], None)

    lines = [_source(header).splitlines()[0]]
    lines.append(
        f'{_INDENT}"""Forward half of {title}: its value, and what its backward reads."""'
    )
    writer.block(Block(forward_ops), _INDENT, lines)
    if lines[-1] == _INDENT + "pass":
        lines.pop()
    residuals = ast.Tuple(
        [ast.Name(writer.name_of(v), ast.Load()) for v in saved], ast.Load()
    )
    lines.append(
        _INDENT
        + _source(
            ast.Return(ast.Tuple([writer.operand(output), residuals], ast.Load()))
        )
    )
    lines.append("")
    lines.append("")

    seeds = [v for v in tree_values(graph.seeds)]
    params = [ast.arg(residuals_name, None)] + [
        ast.arg(writer.name_of(v), None) for v in seeds
    ]
    arguments = ast.arguments([], params, None, [], [], None, [])
    header = ast.FunctionDef(backward_name, arguments, [ast.Pass()], [], None)
    lines.append(_source(header).splitlines()[0])
    lines.append(
        f'{_INDENT}"""Backward half of {title}: adjoints of its differentiated arguments."""'
    )
    if saved:
        target = ast.Tuple(
            [ast.Name(writer.name_of(v), ast.Store()) for v in saved], ast.Store()
        )
        lines.append(
            _INDENT
            + _source(ast.Assign([target], ast.Name(residuals_name, ast.Load())))
        )
    writer.block(Block(backward_ops), _INDENT, lines)
    if lines[-1] == _INDENT + "pass":
        lines.pop()
    lines.append(_INDENT + _source(ast.Return(writer.operand(tuple(gradients)))))
    source, filename = _run(lines, filename, graph, writer.roots, namespace)
    return GeneratedSplit(
        namespace[forward_name], namespace[backward_name], source, filename
    )


def _array(args: tuple) -> bool:
    """``args`` is one value known to be an array of rank 1 or more."""
    return (
        len(args) == 1
        and isinstance(args[0], Value)
        and args[0].ndim is not None
        and args[0].ndim >= 1
    )
