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
  same text for the same graph on every run;
* every op class answers one protocol: ``regions``, ``inputs()``,
  ``reads()``, ``defs()``, ``flows()`` and ``replace_inputs()`` (see the
  section "The protocol every op class follows"), and :func:`walk` is the
  one walker through nested regions;
* reverse mode never changes the ops it reads: an adjoint program's records
  about its forward loops, calls and branches are its :class:`AdjointState`
  (``AdjointGraph.ad``), and transformations start from :func:`copy_graph`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import builtins
import keyword
import types

import numpy as np

from .errors import SourceLoc


class Value:
    """One SSA value. ``name`` is its unique, readable name in the graph."""

    __slots__ = ("name", "kind", "op", "obj", "container", "scalar", "ndim")

    def __init__(self, name: str, kind: str, obj: Any = None):
        self.name = name
        self.kind = kind  # "param", "free" or "op"
        self.op: Op | None = None
        self.obj = obj  # the Python object a "free" value stands for
        #: False: an array or number; True: a list or tuple; None: unknown
        self.container: bool | None = False
        #: True: known to be a Python or NumPy scalar, of shape ``()``
        self.scalar = False
        #: the rank of a value known to be an array of that rank (or, for 0,
        #: a NumPy scalar), see :mod:`adcompiler.passes.ranks`; else None
        self.ndim: int | None = None

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
        items = tuple(tree_map(fn, item) for item in tree)
        # a tuple subclass (an object's children, trees.ObjectTree) stays one
        return items if type(tree) is tuple else type(tree)(items)
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

    prim: Any  # a primitives.record.Primitive
    args: tuple
    kwargs: dict
    out: Value
    loc: SourceLoc | None = None

    regions: tuple = ()

    @property
    def outs(self) -> list[Value]:
        return [self.out]

    def inputs(self) -> list[Value]:
        """The values this op reads, in operand order, without duplicates."""
        return _unique(tree_values((self.args, self.kwargs)))

    def reads(self) -> list[Value]:
        """Every read of a value by the op itself, one entry per read."""
        return list(tree_values((self.args, self.kwargs)))

    def defs(self) -> list[Value]:
        """The values the op itself defines (not those of its regions' ops)."""
        return [self.out]

    def flows(self) -> list[tuple[list[Value], list[Value]]]:
        """How values pass through the op: pairs ``(defined, sources)``, each
        defined value computed from (or a copy of) the values ``sources``
        lists, for dependence analyses (:mod:`adcompiler.passes.activity`)."""
        return [([self.out], self.inputs())]

    def replace_inputs(self, fn: Callable[[Value], Any]) -> None:
        """Replace every value ``v`` the op itself reads by ``fn(v)``."""
        self.args = _map_values(fn, self.args)
        self.kwargs = _map_values(fn, self.kwargs)


@dataclass(eq=False)
class Block:
    """A straight sequence of ops, then the values it yields to its owner."""

    ops: list[Any] = field(default_factory=list)
    yields: list[Any] = field(default_factory=list)


@dataclass(eq=False)
class IfOp:
    """``outs = then.yields if cond else orelse.yields``.

    Each out is a variable: both branches end by assigning their yield to
    the out's name. (Values of one branch that reverse mode needs after the
    ``if`` whichever branch ran are its exports, :class:`AdjointState`.)
    """

    cond: Any
    then: Block
    orelse: Block
    outs: list[Value]
    loc: SourceLoc | None = None

    @property
    def regions(self) -> tuple[Block, Block]:
        return (self.then, self.orelse)

    def inputs(self) -> list[Value]:
        return _unique(tree_values(self.cond))

    def reads(self) -> list[Value]:
        return list(tree_values(self.cond)) + _yields(self)

    def defs(self) -> list[Value]:
        return list(self.outs)

    def flows(self) -> list[tuple[list[Value], list[Value]]]:
        """Each output: from what either branch yields for it."""
        return [
            ([out], list(tree_values((self.then.yields[k], self.orelse.yields[k]))))
            for k, out in enumerate(self.outs)
        ]

    def replace_inputs(self, fn: Callable[[Value], Any]) -> None:
        self.cond = _map_values(fn, self.cond)
        _replace_yields(self, fn)


@dataclass(eq=False)
class LoopOp:
    """A ``for`` or ``while`` loop with loop-carried variables.

    ``carried[k]`` holds ``inits[k]`` before the first iteration and
    ``body.yields[k]`` after each; ``outs[k]`` is its value after the loop
    and shares its name. A ``for`` loop binds ``target`` to each item of
    ``iterable``; a ``while`` loop runs ``cond`` (which yields one value)
    before each iteration and stops when it is false. When ``exit`` (a
    carried flag) is true after an iteration, the loop stops (``break``).
    What the loop saves for a backward sweep is not kept here: it is the
    :class:`LoopTape` of the adjoint program (:class:`AdjointState`).
    """

    kind: str  # "for" or "while"
    iterable: Any
    target: Value | None
    inits: list[Any]
    carried: list[Value]
    cond: Block | None
    body: Block
    outs: list[Value]
    loc: SourceLoc | None = None
    exit: Value | None = None

    @property
    def regions(self) -> tuple[Block, ...]:
        return (self.cond, self.body) if self.cond is not None else (self.body,)

    def inputs(self) -> list[Value]:
        return _unique(tree_values((self.iterable, self.inits)))

    def reads(self) -> list[Value]:
        reads = list(tree_values((self.iterable, self.inits)))
        if isinstance(self.exit, Value):
            reads.append(self.exit)
        return reads + _yields(self)

    def defs(self) -> list[Value]:
        """The results, the carried variables and the target."""
        target = [self.target] if self.target is not None else []
        return list(self.outs) + list(self.carried) + target

    def flows(self) -> list[tuple[list[Value], list[Value]]]:
        """Each carried variable and its result: from its initial value and
        what the body yields for it. (The target is an index, lowering
        iterates over ranges, and carries no derivative.)"""
        return _carried_flows(self)

    def replace_inputs(self, fn: Callable[[Value], Any]) -> None:
        self.iterable = _map_values(fn, self.iterable)
        self.inits = _map_values(fn, self.inits)
        if isinstance(self.exit, Value):
            self.exit = fn(self.exit)
        _replace_yields(self, fn)


@dataclass(eq=False)
class LoopTape:
    """What one forward loop saves for its backward loop, chosen by
    :func:`adcompiler.passes.tape.assign_tapes`.

    Each iteration appends the tuple of ``saved`` to the list ``tape``
    (or, when nothing is saved, adds one to ``counter``); the backward loop
    unpacks them, latest first. ``covered`` are values the backward loop
    reads by a name another saved value holds (an array changed in place);
    ``read_outs`` are results of the forward loop it reads by name.
    """

    saved: list[Value] = field(default_factory=list)
    covered: list[Value] = field(default_factory=list)
    read_outs: list[Value] = field(default_factory=list)
    tape: Value | None = None
    counter: Value | None = None

    def storage(self) -> list[Value]:
        """The value the forward loop defines to record its iterations (the
        tape, or the counter), once chosen."""
        return [v for v in (self.tape, self.counter) if v is not None]


@dataclass(eq=False)
class ReverseLoopOp:
    """The backward sweep of a loop: runs ``body`` once per recorded iteration,
    latest first, with the saved values unpacked from ``tape`` (or
    ``count`` times when nothing was saved), as its :class:`LoopTape`
    ``record`` says. ``carried``/``inits``/``outs`` are adjoint
    accumulators, as in :class:`LoopOp`.
    """

    forward: LoopOp
    inits: list[Any]
    carried: list[Value]
    body: Block
    outs: list[Value]
    loc: SourceLoc | None = None
    record: LoopTape = field(default_factory=LoopTape)

    @property
    def regions(self) -> tuple[Block]:
        return (self.body,)

    def inputs(self) -> list[Value]:
        """The initial adjoints, the tape (or counter) and the forward loop's
        results the backward loop reads by name."""
        return _unique(self._operands())

    def reads(self) -> list[Value]:
        return self._operands() + _yields(self)

    def _operands(self) -> list[Value]:
        return (
            list(tree_values(self.inits))
            + self.record.storage()[:1]
            + list(self.record.read_outs)
        )

    def defs(self) -> list[Value]:
        """The results, the carried adjoints and the saved values each
        iteration unpacks (with those read under their names)."""
        record = self.record
        return list(self.outs) + list(self.carried) + record.saved + record.covered

    def flows(self) -> list[tuple[list[Value], list[Value]]]:
        """Each adjoint accumulator and its result: from its initial value
        and what the body yields for it."""
        return _carried_flows(self)

    def replace_inputs(self, fn: Callable[[Value], Any]) -> None:
        """Replace the initial adjoints and the yields; the tape and the
        results read by name belong to the record and stay."""
        self.inits = _map_values(fn, self.inits)
        _replace_yields(self, fn)


@dataclass(eq=False)
class CallOp:
    """``out_tree = fn(*args)``: a call whose result is a tree of values.

    ``fn`` is what generated code calls (a user function, or the forward or
    backward half of one, :mod:`adcompiler.pipeline`); ``outs`` are the
    :class:`Value` leaves of ``out_tree``. ``callee`` and ``structures``
    name the user function and its arguments' structures, for the reverse
    pass, which records how it differentiates the call in a
    :class:`CallSplit` of the adjoint program, not here.
    """

    fn: Any
    args: tuple
    out_tree: Any
    outs: list[Value]
    loc: SourceLoc | None = None
    callee: Any = None
    structures: tuple = ()
    #: a call of ``checkpoint(fn)``: recomputed in the backward sweep
    checkpoint: bool = False
    #: for each of ``outs``, the positions (in ``tree_leaves(args)``) of
    #: the argument leaves it depends on differentiably, as the callee's
    #: lowered graph says; None: every argument (the callee is opaque)
    depends: tuple | None = None

    regions: tuple = ()

    def inputs(self) -> list[Value]:
        return _unique(tree_values(self.args))

    def reads(self) -> list[Value]:
        return list(tree_values(self.args))

    def defs(self) -> list[Value]:
        return list(self.outs)

    def flows(self) -> list[tuple[list[Value], list[Value]]]:
        """Each result: from the arguments it depends on (``depends``), or
        from every argument."""
        if self.depends is None:
            inputs = self.inputs()
            return [([out], inputs) for out in self.outs]
        leaves = list(tree_leaves(self.args))
        return [
            (
                [out],
                _unique(leaves[k] for k in positions if isinstance(leaves[k], Value)),
            )
            for out, positions in zip(self.outs, self.depends)
        ]

    def replace_inputs(self, fn: Callable[[Value], Any]) -> None:
        self.args = _map_values(fn, self.args)


@dataclass(eq=False)
class CallSplit:
    """A differentiated call in an adjoint program: the call runs
    ``halves.forward`` (the forward half, :mod:`adcompiler.pipeline`) and
    binds what it saves to ``saved``, which the backward half reads."""

    halves: Any
    saved: Value


class AdjointState:
    """What reverse mode records about the forward ops of an adjoint
    program, kept beside them so that the ops stay as lowering made them:
    the :class:`LoopTape` of each differentiated loop, the
    :class:`CallSplit` of each differentiated call, and the *exports* of
    each ``if``: values defined in one branch that must exist after it
    whichever branch ran (the other sets them to None), because a tape or
    the residuals of a split save them."""

    def __init__(self) -> None:
        self.tapes: dict[LoopOp, LoopTape] = {}
        self.calls: dict[CallOp, CallSplit] = {}
        self.exports: dict[IfOp, list[Value]] = {}

    def defs(self, op: Any) -> list[Value]:
        """The values the adjoint program has ``op`` define besides its own:
        a loop's tape or counter, what a call's forward half saves."""
        if op in self.tapes:
            return self.tapes[op].storage()
        if op in self.calls:
            return [self.calls[op].saved]
        return []

    def reads(self, op: Any) -> list[Value]:
        """The values the adjoint program has ``op`` read besides its own:
        those a loop appends to its tape."""
        record = self.tapes.get(op)
        return list(record.saved) if record is not None else []

    def callee(self, op: "CallOp") -> Any:
        """What the adjoint program calls for ``op``: its forward half when
        the call is differentiated, else the function itself."""
        split = self.calls.get(op)
        return op.fn if split is None else split.halves.forward


def _unique(values: Any) -> list[Value]:
    seen: dict[int, Value] = {}
    for value in values:
        seen.setdefault(id(value), value)
    return list(seen.values())


def _map_values(fn: Callable[[Value], Any], tree: Any) -> Any:
    return tree_map(lambda leaf: fn(leaf) if isinstance(leaf, Value) else leaf, tree)


def _carried_flows(loop: Any) -> list[tuple[list[Value], list[Value]]]:
    return [
        (
            [carried, loop.outs[k]],
            list(tree_values((loop.inits[k], loop.body.yields[k]))),
        )
        for k, carried in enumerate(loop.carried)
    ]


def _yields(op: Any) -> list[Value]:
    return [v for region in op.regions for v in tree_values(region.yields)]


def _replace_yields(op: Any, fn: Callable[[Value], Any]) -> None:
    for region in op.regions:
        region.yields = _map_values(fn, region.yields)


# ---------------------------------------------------------------------------
# The protocol every op class follows, and one walker
#
# ``op.regions``: its nested blocks, in program order (none for a primitive
# or a call); ``op.inputs()``: the values its own operands read from the
# code around it, once each; ``op.reads()``: every read of a value by the op
# itself, its regions' yields included, one entry per read;
# ``op.defs()``: the values it defines itself (results, carried variables,
# loop targets), not those of its regions' ops; ``op.flows()``: which of
# those come from which values; ``op.replace_inputs(fn)``: rewrite what
# ``reads()`` lists. An :class:`AdjointState` adds what reverse mode has
# forward ops define and read. :func:`walk` visits the ops, at every depth;
# :func:`blocks` the blocks, for passes that rewrite their op lists.


def walk(block: Block) -> Iterator[Any]:
    """Every op of ``block``, nested regions included, in program order:
    each op comes before the ops of its regions."""
    for op in block.ops:
        yield op
        for region in op.regions:
            yield from walk(region)


def blocks(block: Block) -> Iterator[Block]:
    """``block`` and every block nested in it, each before the blocks
    nested in it, in program order. A pass may replace a block's ``ops``
    when it receives it: the blocks nested in the new ops come next."""
    yield block
    for op in block.ops:
        for region in op.regions:
            yield from blocks(region)


def used_list(graph: "Graph") -> list[Value]:
    """Every read of a value in the graph, one entry per read, outputs included."""
    reads: list[Value] = list(tree_values(graph.outputs))
    for op in graph.body.ops:
        reads.extend(_reads_of(op, graph.ad))
    return reads


def _reads_of(top: Any, ad: "AdjointState | None") -> list[Value]:
    """Every read of a value by ``top`` and the ops of its regions."""
    reads: list[Value] = []
    for op in walk(Block([top])):
        reads.extend(op.reads())
        if ad is not None:
            reads.extend(ad.reads(op))
    return reads


def defined_in(block: Block, ad: "AdjointState | None" = None) -> set[Value]:
    """Every value a block defines, nested regions included (with the
    definitions ``ad`` adds, when given)."""
    defined: set[Value] = set()
    for op in walk(block):
        defined.update(op.defs())
        if ad is not None:
            defined.update(ad.defs(op))
    return defined


def free_reads(ops: list, ad: "AdjointState | None" = None) -> list[Value]:
    """Values a sequence of ops reads that it does not define itself."""
    return _free(Block(list(ops)), ad)


def free_inputs(op: Any, ad: "AdjointState | None" = None) -> list[Value]:
    """Values an op and the ops of its regions read from outside the op
    (not what it defines itself, such as a loop's carried variables)."""
    return _free(Block([op]), ad)


def _free(block: Block, ad: "AdjointState | None") -> list[Value]:
    reads: list[Value] = []
    defined: set[Value] = set()
    for op in walk(block):
        reads.extend(op.inputs())
        for region in op.regions:
            reads.extend(tree_values(region.yields))
        defined.update(op.defs())
        if ad is not None:
            defined.update(ad.defs(op))
    return _unique(v for v in reads if v not in defined)


def _identifier(hint: str) -> str:
    """``hint`` as a Python identifier: a lambda's ``<lambda>_forward`` is
    ``lambda_forward``, ``<lambda>`` itself ``lambda_``."""
    if hint.isidentifier() and not keyword.iskeyword(hint):
        return hint
    cleaned = "".join(c for c in hint if c.isalnum() or c == "_") or "t"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    if keyword.iskeyword(cleaned):
        cleaned += "_"
    return cleaned


class Namer:
    """Chooses unique names that never collide with the user's identifiers.

    A user variable gets its own name the first time it is defined; every
    other name (temporaries, adjoints, later versions of a reassigned
    variable) is a hint with the smallest ``_N`` suffix that is still free.
    Only the names of the builtins themselves may shadow builtins.
    """

    def __init__(self, reserved: set[str]):
        self.reserved = set(reserved)
        self.taken: set[str] = _Taken()

    def copy(self) -> "Namer":
        """A namer that has taken the same names and chooses as this one
        would, without changing it."""
        other = Namer(self.reserved)
        other.taken.update(self.taken)
        other.taken.floor.update(self.taken.floor)
        return other

    def claim(
        self, hint: str, user_variable: bool = False, builtin: bool = False
    ) -> str:
        hint = _identifier(hint or "t")
        if user_variable and hint not in self.taken:
            self.taken.add(hint)
            return hint
        # every suffix below the hint's floor is known taken: start there
        n = 1 if builtin else self.taken.floor.get(hint, 1)
        candidate = hint if n == 1 else f"{hint}_{n}"
        while (
            candidate in self.taken
            or candidate in self.reserved
            or (not builtin and candidate in _BUILTIN_NAMES)
        ):
            n += 1
            candidate = f"{hint}_{n}"
        self.taken.add(candidate)
        if not builtin:
            self.taken.floor[hint] = n
        return candidate


class _Taken(set):
    """The names in use, with, per hint, a suffix below which every name is
    in use (``claim`` scans from there); freeing a name lowers its floor."""

    def __init__(self) -> None:
        super().__init__()
        self.floor: dict[str, int] = {}

    def discard(self, name: str) -> None:
        super().discard(name)
        self._freed(name)

    def remove(self, name: str) -> None:
        super().remove(name)
        self._freed(name)

    def _freed(self, name: str) -> None:
        hint, _, suffix = name.rpartition("_")
        if hint and suffix.isdigit() and int(suffix) >= 2:
            if self.floor.get(hint, 1) > int(suffix):
                self.floor[hint] = int(suffix)
        self.floor.pop(name, None)


_BUILTIN_NAMES = frozenset(dir(builtins))


def root_name(roots: dict[int, tuple[Any, str]], namer: Namer, obj: Any) -> str:
    """The name of the module, builtin or helper ``obj`` in ``roots`` (id ->
    ``(obj, name)``), chosen by ``namer`` and added there on first use:
    ``np`` for NumPy, a module's last name (``special`` for ``scipy.special``),
    else the object's ``__name__``."""
    entry = roots.get(id(obj))
    if entry is None:
        preferred = "np" if obj is np else getattr(obj, "__name__", "fn")
        if isinstance(obj, types.ModuleType):  # scipy.special: special
            preferred = preferred.rpartition(".")[2]
        is_builtin = getattr(builtins, preferred, None) is obj
        entry = (obj, namer.claim(preferred, builtin=is_builtin))
        roots[id(obj)] = entry
    return entry[1]


class Graph:
    """A function as an SSA graph: parameters, free values, a body, outputs."""

    #: what reverse mode records about the forward ops (an adjoint program's
    #: :class:`AdjointState`); None in any other graph
    ad: "AdjointState | None" = None

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
        return root_name(self.roots, self.namer, obj)

    def storage(self, value: Value) -> Value:
        """The value whose Python name ``value`` is stored under (``reuses``)."""
        while value in self.reuses:
            value = self.reuses[value]
        return value

    def display_name(self, value: Value) -> str:
        """The Python name ``value`` has in generated code."""
        return self.storage(value).name

    def coalesce_if(self, op: "IfOp") -> None:
        """Name each output of an ``if`` after a value its branch defines for it.

        On the path where a branch ran, the output *is* that value, so they
        can share a Python name and the branch needs no copy. A value that
        itself reuses the name of one defined before the ``if`` (an array
        changed in place) is not a candidate: the other branch would rebind
        that name while the earlier value may still be read.
        """
        defined = [defined_in(op.then, self.ad), defined_in(op.orelse, self.ad)]
        yields = list(op.then.yields) + list(op.orelse.yields)
        for k, out in enumerate(op.outs):
            own = [
                (y, region)
                for y, branch, region in (
                    (op.then.yields[k], 0, op.then),
                    (op.orelse.yields[k], 1, op.orelse),
                )
                if isinstance(y, Value)
                and y.op is not None
                and y in defined[branch]
                and self.storage(y) in defined[branch]
                and sum(1 for other in yields if other is y) == 1
            ]
            anchor = self.reuses.get(out)
            if anchor is None and own:
                anchor = own[0][0]
                self.reuses[out] = anchor
            for value, region in own:
                # the anchor may be a value from before the `if` that the
                # branch still reads after defining `value` (an adjoint read
                # by a later rule of the branch): then `value` keeps its name
                if (
                    value is not anchor
                    and value not in self.reuses
                    and not self._read_after(region, value, self.storage(anchor))
                ):
                    self.reuses[value] = anchor

    def _read_after(self, block: Block, value: Value, storage: Value) -> bool:
        """Whether ``block`` reads a value stored under ``storage``'s name
        (other than ``value``) after the op defining ``value``, its yields
        included: binding ``value`` to that name would overwrite it first."""
        start = next(
            (
                i
                for i, op in enumerate(block.ops)
                if value in op.outs
                or any(value in defined_in(region, self.ad) for region in op.regions)
            ),
            None,
        )
        if start is None:
            return True
        reads: list[Value] = list(tree_values(block.yields))
        for i, op in enumerate(block.ops[start:]):
            if not (i == 0 and isinstance(op, Op)):  # an op reads, then writes
                reads.extend(_reads_of(op, self.ad))
        return any(
            v is not value and self.storage(v) is storage
            for v in reads
            if isinstance(v, Value)
        )

    def rename(self, value: Value, hint: str, user_variable: bool = False) -> None:
        """Give ``value`` a new name chosen from ``hint``."""
        self.namer.taken.discard(value.name)
        value.name = self.namer.claim(hint, user_variable)

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

    def walk(self) -> Iterator[Any]:
        """Every op of the graph, nested regions included, in program order
        (:func:`walk`)."""
        yield from walk(self.body)


#: each op class's constructor fields, in order (copy_graph's, cached)
_INIT_FIELDS: dict[type, tuple[str, ...]] = {}


def copy_graph(graph: Graph) -> tuple[Graph, dict[Value, Value]]:
    """A copy of ``graph`` that shares nothing a pass may change with it.

    Every op, block and value is new (values keep their names and what is
    known about them; ``Value.op`` points at the copy's op); primitives,
    called functions, source locations and the objects of free values are
    shared. ``graph`` is a primal (or tangent) graph: an adjoint program's
    :class:`AdjointState` is not copied, so copying one raises ValueError.
    The namer is a copy that has taken the same names, so the copy chooses
    the same new names the original would have. Returns the copy
    and the map from each of ``graph``'s values to its copy.
    """
    if graph.ad is not None:
        raise ValueError(f"copy_graph copies primal graphs; {graph.name} is adjoint")
    values: dict[Value, Value] = {}
    ops: dict[int, Any] = {}

    def value(old: Value) -> Value:
        new = values.get(old)
        if new is None:
            new = Value(old.name, old.kind, old.obj)
            new.container, new.scalar, new.ndim = old.container, old.scalar, old.ndim
            values[old] = new
        return new

    def item(old: Any) -> Any:
        if isinstance(old, Value):
            return value(old)
        if isinstance(old, Block):
            return Block([op_copy(op) for op in old.ops], item(old.yields))
        if isinstance(old, (tuple, list, dict, slice)):
            return tree_map(item, old)
        if id(old) in ops:
            return ops[id(old)]
        return old

    def op_copy(old: Any) -> Any:
        cls = type(old)
        names = _INIT_FIELDS.get(cls)
        if names is None:
            names = _INIT_FIELDS[cls] = tuple(
                f.name for f in dataclasses.fields(cls) if f.init
            )
        new = cls(**{name: item(getattr(old, name)) for name in names})
        ops[id(old)] = new
        return new

    copy = type(graph).__new__(type(graph))
    copy.__dict__.update(graph.__dict__)
    copy.namer = graph.namer.copy()
    copy.params = [value(v) for v in graph.params]
    copy.param_defaults = dict(graph.param_defaults)
    copy.free = [value(v) for v in graph.free]
    copy.body = item(graph.body)
    copy.outputs = item(graph.outputs)
    copy.roots = dict(graph.roots)
    copy.reuses = {value(k): value(v) for k, v in graph.reuses.items()}
    if isinstance(copy, TangentGraph):
        copy.tangent_params = [value(v) for v in copy.tangent_params]
    for old, new in values.items():
        if old.op is not None:
            new.op = ops.get(id(old.op), old.op)
    return copy, values


class AdjointGraph(Graph):
    """The graph reverse mode makes of a function: its forward sweep (the
    first :attr:`forward_count` ops of the body), then its backward sweep.

    ``backward_start`` is the first op of the backward sweep (None when it
    is empty); with a split (:func:`adcompiler.reverse.reverse`),
    ``seeds`` are the parameters holding the adjoints of the outputs (a tree
    like them) and ``residuals`` the values the forward half saves for the
    backward half, in order.
    """

    def __init__(self, name: str, namer: Namer, loc: SourceLoc | None = None):
        super().__init__(name, namer, loc)
        self.forward_count = 0
        self.backward_start: Any = None
        self.seeds: Any = None
        self.residuals: list[Value] = []
        self.ad: AdjointState = AdjointState()


class TangentGraph(Graph):
    """The graph forward mode makes of a function: ``(value, tangent)``,
    taking ``tangent_params`` (one per differentiated leaf) after the
    function's own parameters."""

    def __init__(self, name: str, namer: Namer, loc: SourceLoc | None = None):
        super().__init__(name, namer, loc)
        self.tangent_params: list[Value] = []


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


def _with_line(text: str, op: Any) -> str:
    if op.loc is not None:
        return f"{text:<56}  # line {op.loc.line_label}"
    return text


def _names(values: list[Value]) -> str:
    return ", ".join(f"%{v.name}" for v in values)


def format_op(op: Op) -> str:
    args = [format_operand(a) for a in op.args]
    args += [f"{k}={format_operand(v)}" for k, v in op.kwargs.items()]
    return _with_line(f"%{op.out.name} = {op.prim.name}({', '.join(args)})", op)


def _format_block(
    block: Block, indent: str, lines: list[str], ad: AdjointState | None
) -> None:
    for op in block.ops:
        if isinstance(op, Op):
            lines.append(indent + format_op(op))
        elif isinstance(op, IfOp):
            head = f"{_names(op.outs) or '()'} = if {format_operand(op.cond)}:"
            lines.append(indent + _with_line(head, op))
            _format_block(op.then, indent + "    ", lines, ad)
            lines.append(indent + "else:")
            _format_block(op.orelse, indent + "    ", lines, ad)
        elif isinstance(op, LoopOp):
            carried = ", ".join(
                f"%{c.name}={format_operand(i)}" for c, i in zip(op.carried, op.inits)
            )
            if op.kind == "for":
                head = f"for %{op.target.name} in {format_operand(op.iterable)}"
            else:
                head = "while"
            head = f"{_names(op.outs) or '()'} = {head} carrying ({carried})"
            if op.exit is not None:
                head += f" until %{op.exit.name}"
            lines.append(indent + _with_line(head + ":", op))
            if op.cond is not None:
                lines.append(indent + "  condition:")
                _format_block(op.cond, indent + "    ", lines, ad)
                lines.append(indent + "  body:")
            _format_block(op.body, indent + "    ", lines, ad)
        elif isinstance(op, CallOp):
            fn = op.fn if ad is None else ad.callee(op)
            name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "f")
            args = ", ".join(format_operand(a) for a in op.args)
            lines.append(
                indent
                + _with_line(f"{format_operand(op.out_tree)} = call {name}({args})", op)
            )
        elif isinstance(op, ReverseLoopOp):
            carried = ", ".join(
                f"%{c.name}={format_operand(i)}" for c, i in zip(op.carried, op.inits)
            )
            head = (
                f"{_names(op.outs) or '()'} = for ({_names(op.record.saved)}) in "
                f"reversed iterations carrying ({carried}):"
            )
            lines.append(indent + _with_line(head, op))
            _format_block(op.body, indent + "    ", lines, ad)
    if block.yields:
        lines.append(
            indent + "yield " + ", ".join(format_operand(y) for y in block.yields)
        )


def format_graph(graph: Graph) -> str:
    """The graph as deterministic text, one op per line."""
    params = ", ".join(f"%{p.name}" for p in graph.params)
    lines = [f"graph {graph.name}({params}):"]
    for value in graph.free:
        lines.append(f"  %{value.name} = free {type(value.obj).__name__}")
    _format_block(graph.body, "  ", lines, graph.ad)
    lines.append(f"  return {format_operand(graph.outputs)}")
    return "\n".join(lines)


def carries_derivative(op: Any) -> bool:
    """Whether values flow through ``op`` with a derivative: every op but a
    primitive declared without one (``len``, comparisons, ...)."""
    return not isinstance(op, Op) or op.prim.differentiable


def output_dependence(graph: Graph) -> list[frozenset[int]]:
    """For each leaf of ``graph.outputs`` (in :func:`tree_values` order),
    the indices of the parameters it depends on through differentiable
    primitives: what a call of the graph's function passes on from each
    argument to each result (see :class:`CallOp`). The
    same propagation as activity analysis (``passes.activity``), for every parameter at once.
    """
    ops = list(graph.walk())
    depends: dict[Value, frozenset[int]] = {
        param: frozenset((k,)) for k, param in enumerate(graph.params)
    }
    changed = True
    while changed:
        changed = False
        for op in ops:
            if not carries_derivative(op):
                continue
            for defined, sources in op.flows():
                union = frozenset().union(
                    *(depends.get(v, frozenset()) for v in sources)
                )
                if not union:
                    continue
                for value in defined:
                    old = depends.get(value, frozenset())
                    if not union <= old:
                        depends[value] = old | union
                        changed = True
    return [depends.get(v, frozenset()) for v in tree_values(graph.outputs)]
