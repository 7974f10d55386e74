"""The SSA graph.

Guarantees:

* every :class:`Value` is defined once: as a parameter of the graph, as a free
  value (a global or closure object the code reads), or as the single result
  of one :class:`Op`;
* an op's operands are *trees*: tuples, lists and slices whose leaves are
  values or Python constants, so ``np.concatenate([a, b], axis=0)`` keeps its
  list and ``x[1:n, None]`` keeps its index structure;
* an op may own nested :class:`Block` regions (the bodies of ``if`` and loops);
  a block lists its ops in execution order;
* value names are unique in a graph, never collide with an identifier of the
  user's code, and are chosen deterministically; :func:`format_graph` prints the
  same text for the same graph on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from .errors import SourceLoc


class Value:
    """One SSA value. ``name`` is its unique, readable name in the graph."""

    __slots__ = ("name", "kind", "op", "obj")

    def __init__(self, name: str, kind: str, obj: Any = None):
        self.name = name
        self.kind = kind  # "param", "free" or "op"
        self.op: Op | None = None
        self.obj = obj  # the Python object a "free" value stands for

    def __repr__(self) -> str:
        return f"%{self.name}"


# ---------------------------------------------------------------------------
# Operand trees

_LITERALS = (int, float, complex, bool, str, type(None), type(Ellipsis))


def is_literal(obj: Any) -> bool:
    """True for constants generated code spells in place: numbers, strings,
    None, ``...``, dtypes (``np.float32``, ``float``), and tuples, lists and
    slices of these."""
    if isinstance(obj, (tuple, list)):
        return all(is_literal(item) for item in obj)
    if isinstance(obj, slice):
        return is_literal((obj.start, obj.stop, obj.step))
    if isinstance(obj, type):
        return _is_dtype_type(obj)
    if isinstance(obj, np.dtype):
        return _is_dtype_type(obj.type)
    return isinstance(obj, _LITERALS)


def _is_dtype_type(obj: type) -> bool:
    if obj in (float, int, bool, complex):
        return True
    return issubclass(obj, np.generic) and getattr(np, obj.__name__, None) is obj


def tree_leaves(tree: Any) -> Iterator[Any]:
    """Yield the leaves of an operand tree in order (tuples, lists, slices, dicts)."""
    if isinstance(tree, (tuple, list)):
        for item in tree:
            yield from tree_leaves(item)
    elif isinstance(tree, slice):
        yield from tree_leaves((tree.start, tree.stop, tree.step))
    elif isinstance(tree, dict):
        for item in tree.values():
            yield from tree_leaves(item)
    else:
        yield tree


def tree_values(tree: Any) -> Iterator[Value]:
    """Yield the :class:`Value` leaves of an operand tree in order."""
    for leaf in tree_leaves(tree):
        if isinstance(leaf, Value):
            yield leaf


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Apply ``fn`` to every leaf of an operand tree, keeping its structure."""
    if isinstance(tree, tuple):
        return tuple(tree_map(fn, item) for item in tree)
    if isinstance(tree, list):
        return [tree_map(fn, item) for item in tree]
    if isinstance(tree, slice):
        return slice(
            *(tree_map(fn, part) for part in (tree.start, tree.stop, tree.step))
        )
    if isinstance(tree, dict):
        return {key: tree_map(fn, item) for key, item in tree.items()}
    return fn(tree)


# ---------------------------------------------------------------------------
# Ops, blocks and graphs


@dataclass(eq=False)
class Op:
    """``out = prim(*args, **kwargs)``, with the source location it came from."""

    prim: Any  # a rules.registry.Primitive
    args: tuple
    kwargs: dict
    out: Value
    loc: SourceLoc | None = None
    regions: list["Block"] = field(default_factory=list)

    def inputs(self) -> list[Value]:
        """The values this op reads, in operand order, without duplicates."""
        seen: dict[int, Value] = {}
        for value in tree_values((self.args, self.kwargs)):
            seen.setdefault(id(value), value)
        return list(seen.values())


@dataclass(eq=False)
class Block:
    """A straight sequence of ops, executed in order."""

    ops: list[Op] = field(default_factory=list)


class Namer:
    """Chooses unique names that never collide with the user's identifiers.

    A user variable gets its own name the first time it is defined; every
    other name (temporaries, adjoints, later versions of a reassigned
    variable) is a hint with the smallest ``_N`` suffix that is still free.
    """

    def __init__(self, reserved: set[str]):
        self.reserved = set(reserved)
        self.taken: set[str] = set()

    def claim(self, hint: str, user_variable: bool = False) -> str:
        hint = hint or "t"
        if user_variable and hint not in self.taken:
            self.taken.add(hint)
            return hint
        candidate = hint
        n = 1
        while candidate in self.taken or candidate in self.reserved:
            n += 1
            candidate = f"{hint}_{n}"
        self.taken.add(candidate)
        return candidate


class Graph:
    """A function as an SSA graph: parameters, free values, a body, outputs."""

    def __init__(self, name: str, namer: Namer, loc: SourceLoc | None = None):
        self.name = name
        self.namer = namer
        self.loc = loc
        self.params: list[Value] = []
        self.param_defaults: dict[str, Any] = {}
        self.free: list[Value] = []
        self.body = Block()
        self.outputs: Any = None  # an operand tree
        self.roots: dict[int, tuple[Any, str]] = {}
        #: value -> earlier value whose storage (Python name) it reuses
        self.reuses: dict[Value, Value] = {}

    def root_name(self, obj: Any) -> str:
        """The name generated code uses for a module, builtin or helper."""
        entry = self.roots.get(id(obj))
        if entry is None:
            preferred = "np" if obj is np else getattr(obj, "__name__", "fn")
            entry = (obj, self.namer.claim(preferred))
            self.roots[id(obj)] = entry
        return entry[1]

    def rename(self, value: Value, hint: str) -> None:
        """Give ``value`` a new name chosen from ``hint``."""
        self.namer.taken.discard(value.name)
        value.name = self.namer.claim(hint)

    def add_param(self, name: str) -> Value:
        value = Value(self.namer.claim(name, user_variable=True), "param")
        self.params.append(value)
        return value

    def add_free(self, hint: str, obj: Any) -> Value:
        for value in self.free:
            if value.obj is obj:
                return value
        value = Value(self.namer.claim(hint), "free", obj)
        self.free.append(value)
        return value

    def new_value(self, hint: str, user_variable: bool = False) -> Value:
        return Value(self.namer.claim(hint, user_variable), "op")

    def __str__(self) -> str:
        return format_graph(self)

    def walk(self) -> Iterator[Op]:
        """Every op of the graph, nested regions included, in program order."""
        yield from _walk(self.body)


def _walk(block: Block) -> Iterator[Op]:
    for op in block.ops:
        yield op
        for region in op.regions:
            yield from _walk(region)


# ---------------------------------------------------------------------------
# Printing


def format_operand(tree: Any) -> str:
    """Text of an operand tree: values as ``%name``, constants by ``repr``."""
    if isinstance(tree, Value):
        return f"%{tree.name}"
    if isinstance(tree, tuple):
        inner = ", ".join(format_operand(item) for item in tree)
        return f"({inner},)" if len(tree) == 1 else f"({inner})"
    if isinstance(tree, list):
        return "[" + ", ".join(format_operand(item) for item in tree) + "]"
    if isinstance(tree, slice):
        parts = (tree.start, tree.stop, tree.step)
        return "slice(" + ", ".join(format_operand(p) for p in parts) + ")"
    if isinstance(tree, dict):
        inner = ", ".join(f"{k!r}: {format_operand(v)}" for k, v in tree.items())
        return "{" + inner + "}"
    if tree is Ellipsis:
        return "..."
    if isinstance(tree, type):
        return f"{tree.__module__}.{tree.__qualname__}"
    return repr(tree)


def format_op(op: Op) -> str:
    args = [format_operand(a) for a in op.args]
    args += [f"{k}={format_operand(v)}" for k, v in op.kwargs.items()]
    line = f"%{op.out.name} = {op.prim.name}({', '.join(args)})"
    if op.loc is not None:
        line = f"{line:<56}  # line {op.loc.line}"
    return line


def _format_block(block: Block, indent: str, lines: list[str]) -> None:
    for op in block.ops:
        lines.append(indent + format_op(op))
        for index, region in enumerate(op.regions):
            lines.append(f"{indent}  region {index}:")
            _format_block(region, indent + "    ", lines)


def format_graph(graph: Graph) -> str:
    """The graph as deterministic text, one op per line."""
    params = ", ".join(f"%{p.name}" for p in graph.params)
    lines = [f"graph {graph.name}({params}):"]
    for value in graph.free:
        lines.append(f"  %{value.name} = free {type(value.obj).__name__}")
    _format_block(graph.body, "  ", lines)
    lines.append(f"  return {format_operand(graph.outputs)}")
    return "\n".join(lines)
