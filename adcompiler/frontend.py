"""Source → Python AST, and the names in it → the objects they refer to.

Guarantees: :func:`parse_function` returns the ``FunctionDef`` of exactly the
function object given (decorators removed, indentation handled) together with
what is needed to report errors at the right ``file:line:col``; a function
whose source cannot be read raises :class:`SourceUnavailableError`.
:func:`resolve_global` finds the object a non-local name denotes (closure
cell, module global, builtin) the way Python would at call time.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass
from typing import Any

from .errors import SourceLoc, SourceUnavailableError, UnsupportedSyntaxError
from .trees import LEAF, structure

_MISSING = object()


@dataclass
class ParsedFunction:
    """A function's AST and where it came from."""

    fn: types.FunctionType
    node: ast.FunctionDef
    file: str
    first_line: int  # line number in the file of the source's first line
    col_offset: int  # indentation removed by dedent
    lines: list[str]  # the dedented source lines
    #: set when the function is inlined into another: its qualified name
    within: str = ""

    def loc(self, node: ast.AST) -> SourceLoc:
        """The user's ``file:line:col`` of an AST node, with the line's text."""
        lineno = getattr(node, "lineno", self.node.lineno)
        col = getattr(node, "col_offset", 0)
        text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return SourceLoc(
            self.file,
            lineno + self.first_line - 1,
            col + self.col_offset,
            text,
            self.within,
        )

    @property
    def generated(self) -> bool:
        """Whether this is adcompiler's generated code (differentiated again)."""
        return self.file.startswith("<adcompiler:")

    def error(
        self, cls: type, message: str, node: ast.AST, hint: str = ""
    ) -> Exception:
        return cls(message, self.loc(node), hint)

    def unsupported(self, what: str, node: ast.AST, hint: str) -> Exception:
        return self.error(
            UnsupportedSyntaxError,
            f"{what} is not supported in differentiated code",
            node,
            hint,
        )


def parse_function(fn: Any) -> ParsedFunction:
    """Read and parse the source of ``fn``."""
    if not isinstance(fn, types.FunctionType):
        raise SourceUnavailableError(
            f"cannot differentiate {fn!r}: it is not a Python function "
            "(builtins and C extensions have no Python source)",
            hint="wrap it in a Python function, or register a rule for it "
            "with adcompiler.defvjp",
        )
    name = fn.__code__.co_name
    if name == "<lambda>":
        raise SourceUnavailableError(
            f"cannot differentiate the lambda at "
            f"{fn.__code__.co_filename}:{fn.__code__.co_firstlineno}",
            hint="define it with def",
        )
    file = fn.__code__.co_filename
    linecache.checkcache(file)
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__} ({file}): {exc}",
            hint="define the function in a file (functions typed at the "
            "interactive prompt have no source to read)",
        ) from None
    source = "".join(lines)
    dedented = textwrap.dedent(source)
    col_offset = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    try:
        module = ast.parse(dedented)
    except SyntaxError as exc:
        raise SourceUnavailableError(
            f"cannot parse the source of {fn.__qualname__} ({file}): {exc.msg}"
        ) from None
    node = module.body[0] if module.body else None
    if isinstance(node, ast.AsyncFunctionDef):
        raise UnsupportedSyntaxError(
            "async functions are not supported",
            SourceLoc(file, first_line, col_offset, lines[0]),
            "differentiate a plain def",
        )
    if not isinstance(node, ast.FunctionDef) or node.name != name:
        raise SourceUnavailableError(
            f"cannot find the definition of {fn.__qualname__} in its source "
            f"({file}:{first_line})"
        )
    node.decorator_list = []
    return ParsedFunction(
        fn, node, file, first_line, col_offset, dedented.splitlines(keepends=True)
    )


def resolve_global(fn: types.FunctionType, name: str) -> Any:
    """The object a free name of ``fn`` denotes now, or ``_MISSING``."""
    code = fn.__code__
    if fn.__closure__ and name in code.co_freevars:
        cell = fn.__closure__[code.co_freevars.index(name)]
        try:
            return cell.cell_contents
        except ValueError:
            return _MISSING
    if name in fn.__globals__:
        return fn.__globals__[name]
    module_builtins = fn.__globals__.get("__builtins__", builtins)
    if isinstance(module_builtins, dict):
        return module_builtins.get(name, _MISSING)
    return getattr(module_builtins, name, _MISSING)


def is_missing(obj: Any) -> bool:
    return obj is _MISSING


def local_names(node: ast.FunctionDef) -> set[str]:
    """Every identifier the function binds: parameters and assigned names."""
    names: set[str] = set()
    for arg in ast.walk(node.args):
        if isinstance(arg, ast.arg):
            names.add(arg.arg)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.ClassDef)) and sub is not node:
            names.add(sub.name)
    return names


#: The name of a record of :func:`dependencies` for a function called or
#: inlined.
_CALLEE = object()


def dependencies(resolved: dict[str, Any], callees: Any = ()) -> tuple:
    """What a compilation read from outside the function: ``(name, object,
    structure)`` for each name, the structure of a list, tuple or dict (its
    items are read at each call, but its shape was compiled in); then, for
    each function it inlined or whose compiled form it relied on (its
    result's structure, what its result may be a view of) as ``(fn, code,
    its own dependencies)``, a record that holds while ``fn`` keeps that
    code and its own dependencies hold."""
    own = tuple((name, obj, structure(obj)) for name, obj in resolved.items())
    return own + tuple((_CALLEE, fn, (code, deps)) for fn, code, deps in callees)


def unchanged(fn: Any, recorded: tuple) -> bool:
    """Whether every name still denotes the same object, of the same structure.

    Runs before every call of compiled code: a module global is looked up
    directly, other names (closures, builtins) through :func:`resolve_global`;
    a function inlined or called is checked the same way, against its own
    globals."""
    module = fn.__globals__
    plain = not fn.__closure__
    for name, obj, shape in recorded:
        if name is _CALLEE:  # a function inlined or called
            code, own = shape
            if obj.__code__ is not code or not unchanged(obj, own):
                return False
            continue
        now = module.get(name, _MISSING) if plain else _MISSING
        if now is _MISSING:
            now = resolve_global(fn, name)
        if now is not obj or (shape is not LEAF and structure(now) != shape):
            return False
    return True
