"""Source → Python AST, and the names in it → the objects they refer to.

Guarantees: :func:`parse_function` returns the ``FunctionDef`` of exactly the
function object given (decorators removed, indentation handled; a lambda as
the ``def`` returning its body, see :mod:`.lambdas`) together with
what is needed to report errors at the right ``file:line:col``; a function
whose source cannot be read raises :class:`SourceUnavailableError`.
:func:`resolve_global` finds the object a non-local name denotes (closure
cell, module global, builtin) the way Python would at call time.
:class:`Dependencies` records what a compilation read from outside the
function and checks, before each reuse, that it all still holds.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import math
import textwrap
import types
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SourceLoc, SourceUnavailableError, UnsupportedSyntaxError
from .lambdas import find_lambda, lambda_definition
from .primitives.record import CHANGES
from .trees import LEAF, argument_structure, structure

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
        found, lines = find_lambda(fn)
        return ParsedFunction(
            fn, lambda_definition(found), fn.__code__.co_filename, 1, 0, lines
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


# -- the dependency model -------------------------------------------------
#
# A compilation reads more than its function's source: the objects the free
# names denote, attributes of those objects (``settings.SCALE``,
# ``Config.scale``, ``model.act``, ``np.linalg.norm``), the function's
# default values, and the functions it inlined or whose lowering it used.
# What was read is recorded in one :class:`Dependencies` per compilation;
# its ``holds`` is a check, generated as Python code, that every read would
# give the same answer now. It runs before every reuse of the compiled code.


@dataclass(frozen=True)
class Derived:
    """A record of what ``compute(*args)`` gave while compiling (the
    generated code of a gradient function called from compiled code): it
    holds while the same call gives the same object."""

    compute: Any
    args: tuple


class Dependencies:
    """What one compilation of a function read from outside its body.

    Recorded: the function's code object, the rule registry's count of
    changes (a rule added with ``defvjp`` after compiling), its ``__defaults__`` and
    ``__kwdefaults__``; each global, closure or builtin name read, with the
    object it denoted (a list, tuple or dict also with its structure: its
    items are read at each call); each attribute chain read from such an
    object (``("settings", "SCALE")``), with what it gave (a list, tuple or
    dict as a copy of its items, which the code may have spelled as
    constants); each :class:`Derived` object (the generated code of a
    gradient function it calls); and for each function inlined or whose
    compiled form the code relied on, that function and its own
    :class:`Dependencies`.

    Guarantees: ``holds(fn)`` is true only if ``fn`` has the recorded code
    and defaults, no rule was registered or changed since, every recorded name, attribute chain and derived object
    gives the recorded object now (or an equal number or string, or a bound method of the same
    function and object; a container with the same items), and every
    callee's record holds. Any exception while checking (an attribute gone)
    makes it false. It reads no more than the compilation did.
    """

    __slots__ = (
        "code",
        "rules",
        "names",
        "attributes",
        "derived",
        "callees",
        "holds",
        "source",
    )

    def __init__(
        self,
        fn: types.FunctionType,
        resolved: dict,
        callees: "list[tuple[types.FunctionType, Dependencies]]" = (),  # type: ignore
    ):
        self.code = fn.__code__
        self.rules = CHANGES.count  # the rule registry as it was read
        self.names = {k: v for k, v in resolved.items() if isinstance(k, str)}
        self.attributes = {k: v for k, v in resolved.items() if isinstance(k, tuple)}
        self.derived = {k: v for k, v in resolved.items() if isinstance(k, Derived)}
        self.callees = tuple(callees)
        self.source, namespace = _guard_source(fn, self)
        exec(_guard_code(self.source), namespace)
        self.holds = namespace["holds"]


_ATOMS = (int, float, complex, str, bytes, bool, type(None))
_BOUND = (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType)


def same(now: Any, then: Any) -> bool:
    """Whether ``now`` (not ``then`` itself) may stand for ``then`` in
    compiled code: an equal number or string of the same type (``-0.0`` is
    not ``0.0``; a nan is a nan), or a bound method of the same function
    and object (each attribute read makes a new one)."""
    kind = type(then)
    if type(now) is not kind:
        return False
    if isinstance(then, _BOUND):
        return bool(now == then)
    if isinstance(then, _ATOMS) or (
        isinstance(then, np.generic) and then.dtype.kind in "biufc"
    ):
        if now != now:  # nan
            return bool(then != then)
        if not now == then:
            return False
        if kind is float or kind is np.float64:
            return math.copysign(1.0, now) == math.copysign(1.0, then)
        return True
    return False


def snapshot(obj: Any) -> Any:
    """A copy of the lists, tuples and dicts in ``obj`` (leaves shared)."""
    kind = type(obj)
    if kind is list or kind is tuple:
        return kind(snapshot(item) for item in obj)
    if kind is dict:
        return {key: snapshot(item) for key, item in obj.items()}
    return obj


def same_tree(now: Any, then: Any) -> bool:
    """Whether ``now`` has the containers of the :func:`snapshot` ``then``
    and leaves that may stand for its leaves (see :func:`same`)."""
    kind = type(then)
    if kind is list or kind is tuple:
        if type(now) is not kind or len(now) != len(then):
            return False
        return all(same_tree(a, b) for a, b in zip(now, then))
    if kind is dict:
        if type(now) is not dict or list(now) != list(then):
            return False
        return all(same_tree(now[key], item) for key, item in then.items())
    return now is then or same(now, then)


def _mutable_inside(obj: Any) -> bool:
    """Whether a list or dict is in ``obj`` (a tuple of atoms is not)."""
    kind = type(obj)
    if kind is list or kind is dict:
        return True
    return kind is tuple and any(_mutable_inside(item) for item in obj)


def _atoms_only(obj: Any) -> bool:
    """Whether the leaves of the containers in ``obj`` are numbers or strings."""
    kind = type(obj)
    if kind is list or kind is tuple:
        return all(_atoms_only(item) for item in obj)
    if kind is dict:
        return all(_atoms_only(item) for item in obj.values())
    return isinstance(obj, _ATOMS)


#: compiled checks by source (the objects are in each one's namespace): a
#: function compiled again after a change mostly reads what it read before
_GUARD_CODE: dict[str, types.CodeType] = {}


def _guard_code(source: str) -> types.CodeType:
    code = _GUARD_CODE.get(source)
    if code is None:
        if len(_GUARD_CODE) >= 1024:
            _GUARD_CODE.clear()
        code = _GUARD_CODE[source] = compile(
            source, "<adcompiler: dependency check>", "exec"
        )
    return code


def _guard_source(fn: types.FunctionType, deps: Dependencies) -> tuple[str, dict]:
    """The source of ``holds(fn)`` for ``deps``, and its namespace."""
    namespace: dict[str, Any] = {
        "M": _MISSING,
        "same": same,
        "same_tree": same_tree,
        "structure": argument_structure,
    }
    constants: dict[int, str] = {}

    def const(obj: Any) -> str:
        key = id(obj)
        if key not in constants:
            constants[key] = f"k{len(constants)}"
            namespace[constants[key]] = obj
        return constants[key]

    lines = ["def holds(fn):", " try:"]
    add = lines.append
    add(f"  if fn.__code__ is not {const(deps.code)}: return False")
    namespace["R"] = CHANGES
    add(f"  if R.count != {const(deps.rules)}: return False")
    for what in ("__defaults__", "__kwdefaults__"):
        now = getattr(fn, what)
        add(f"  d = fn.{what}")
        if now is None:
            add("  if d is not None: return False")
        elif _mutable_inside(now):
            add(f"  if not same_tree(d, {const(snapshot(now))}): return False")
        else:
            copy = const(snapshot(now))
            add(
                f"  if d is not {const(now)} and not same_tree(d, {copy}): return False"
            )
    code = fn.__code__
    closure = fn.__closure__ or ()
    module_builtins = fn.__globals__.get("__builtins__", builtins)
    if not isinstance(module_builtins, dict):
        module_builtins = module_builtins.__dict__
    namespace["b"] = module_builtins
    variables: dict[tuple, str] = {}
    if deps.names:
        add("  g = fn.__globals__")
    for name, obj in deps.names.items():
        var = variables[(name,)] = f"v{len(variables)}"
        if name in code.co_freevars and closure:
            add(
                f"  {var} = fn.__closure__[{code.co_freevars.index(name)}].cell_contents"
            )
        elif name in fn.__globals__:
            add(f"  {var} = g[{name!r}]")
        else:
            add(f"  if {name!r} in g: return False")
            add(f"  {var} = b.get({name!r}, M)")
        kept = const(obj)
        add(f"  if {var} is not {kept} and not same({var}, {kept}): return False")
        if structure(obj) is not LEAF:  # (its functions by identity)
            kept_structure = const(argument_structure(obj))
            add(f"  if structure({var}) != {kept_structure}: return False")
    for path, obj in sorted(deps.attributes.items(), key=lambda item: len(item[0])):
        var = variables[path] = f"v{len(variables)}"
        parent = variables[path[:-1]]  # recorded before it (see record_attribute)
        add(f"  {var} = {parent}.{path[-1]}")  # a module-level def: no mangling
        kept = const(obj)
        if type(obj) in (list, tuple, dict):
            # spelled as constants, a container of atoms is its items; else
            # the code holds the object itself
            if not _atoms_only(obj):
                add(f"  if {var} is not {kept}: return False")
            add(f"  if not same_tree({var}, {const(snapshot(obj))}): return False")
        else:
            add(f"  if {var} is not {kept} and not same({var}, {kept}): return False")
    for derived, obj in deps.derived.items():
        call = f"{const(derived.compute)}(*{const(derived.args)})"
        add(f"  if {call} is not {const(obj)}: return False")
    for callee, record in deps.callees:
        add(f"  if not {const(record.holds)}({const(callee)}): return False")
    add("  return True")
    add(" except Exception:")
    add("  return False")
    return "\n".join(lines) + "\n", namespace
