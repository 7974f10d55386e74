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
from dataclasses import dataclass, field
from typing import Any, Callable

import astor
import numpy as np

from .errors import ADError
from .ir import Graph, Op, Value

_INDENT = "    "


@dataclass
class Generated:
    """A compiled generated function and its source."""

    fn: Callable
    raw_source: str
    filename: str
    namespace: dict[str, Any]
    _formatted: str | None = field(default=None, repr=False)

    @property
    def source(self) -> str:
        """The source, formatted by black."""
        if self._formatted is None:
            import black

            self._formatted = black.format_str(self.raw_source, mode=black.Mode())
        return self._formatted


class _Writer:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.np_name = graph.root_name(np)

    def name_of(self, value: Value) -> str:
        while value in self.graph.reuses:
            value = self.graph.reuses[value]
        return value.name

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
            func = _attribute(self.graph.root_name(render[1]), render[2])
            return ast.Call(func, args, keywords)
        if kind == "binop":
            return ast.BinOp(args[0], render[1], args[1])
        if kind == "unaryop":
            return ast.UnaryOp(render[1], args[0])
        if kind == "compare":
            return ast.Compare(args[0], [render[1]], [args[1]])
        if kind == "subscript":
            return ast.Subscript(args[0], self.index(op.args[1]), ast.Load())
        if kind == "method":
            return ast.Call(
                ast.Attribute(args[0], render[1], ast.Load()), args[1:], keywords
            )
        raise ADError(f"internal error: cannot render {op.prim.name}")

    def statement(self, op: Op) -> str:
        if op.regions:
            raise ADError(f"internal error: regions of {op.prim.name} in codegen")
        target = ast.Name(self.name_of(op.out), ast.Store())
        node = ast.Assign([target], self.expression(op))
        return astor.to_source(node).rstrip("\n")


def _attribute(root: str, path: tuple) -> ast.expr:
    node: ast.expr = ast.Name(root, ast.Load())
    for part in path:
        node = ast.Attribute(node, part, ast.Load())
    return node


def _comment(op: Op) -> str:
    return f"# line {op.loc.line}: {op.loc.text.strip()}"


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
    def_line = astor.to_source(header).splitlines()[0]
    lines = [def_line, f'{_INDENT}"""{docstring}"""']
    last_line = None
    backward = getattr(graph, "backward_start", None)
    lines.append(f"{_INDENT}# forward sweep")
    for op in graph.body.ops:
        if op is backward:
            lines.append("")
            lines.append(f"{_INDENT}# backward sweep: adjoints, in reverse order")
            last_line = None
        if op.loc is None and last_line != "gradients":
            lines.append(f"{_INDENT}# gradients, in the arguments' types")
            last_line = "gradients"
        if op.loc is not None and op.loc.line != last_line:
            lines.append(_INDENT + _comment(op))
            last_line = op.loc.line
        lines.append(_INDENT + writer.statement(op))
    result = astor.to_source(ast.Return(writer.operand(graph.outputs))).rstrip("\n")
    lines.append(_INDENT + result)
    source = "\n".join(lines) + "\n"

    for obj, name in graph.roots.values():
        namespace[name] = obj
    for value in graph.free:
        namespace[value.name] = value.obj
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    exec(code, namespace)
    return Generated(namespace[fn_name], source, filename, namespace)


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
        vararg=None,
        kwonlyargs=[plain(a) for a in signature.kwonlyargs],
        kw_defaults=[
            default(a) if d is not None else None
            for a, d in zip(signature.kwonlyargs, signature.kw_defaults)
        ],
        kwarg=None,
        defaults=[default(a) for a in with_default],
    )
