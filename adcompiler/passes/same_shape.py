"""Values known to have the same shape, and the reductions that need none.

Rules of broadcasting operations end with ``unbroadcast(d, np.shape(a))``:
sum the adjoint ``d`` down to the shape of the operand ``a``, for when NumPy
broadcasting enlarged ``a``. Most of the time nothing was enlarged: ``z * z``,
``np.sin(x) * x``, ``h - 1.0``. This pass proves such cases at compile time
and drops the call (and the ``np.shape`` query it read, and so the array it
kept alive), without knowing any actual shape.

It partitions values into classes of equal shape, from facts that hold for
every input:

* an elementwise function of one operand (``np.exp(x)``, ``-x``) has the
  shape of its operand;
* an elementwise function of two operands (``a * b``, ``np.maximum(a, b)``)
  has the shape of ``a`` when ``b`` fits into ``a``: ``b`` has ``a``'s
  shape, or is a number, or is a ``keepdims=True`` reduction of an array of
  ``a``'s shape (``x - np.max(x, axis=1, keepdims=True)``); and symmetrically;
* ``unbroadcast(g, np.shape(a))``, ``np.broadcast_to(g, np.shape(a))`` and
  the other helpers given ``np.shape(a)`` return arrays of ``a``'s shape;
  ``zero_adjoint(x)``, ``zero_at(g, ...)``, ``add_into(acc, c)`` (for ``c``
  of ``acc``'s shape) keep their operand's;
* a loop-carried value keeps its initial value's shape when every
  iteration's new value has it (assumed, then checked, until stable); an
  ``if`` output has the shape its two branches agree on.

Lists and tuples never take part (``[1, 2] * 2`` is not elementwise).

Example: in ``np.sum(z * z)``, ``mul = z * z`` has ``z``'s shape, so the
backward's ``d_z = unbroadcast(d_mul * z, np.shape(z))`` becomes
``d_z = d_mul * z``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from .. import runtime
from ..ir import Graph, IfOp, LoopOp, Op, ReverseLoopOp, Value, used_list
from ..primitives.record import category
from .cse import substitute
from .scalars import ARITHMETIC, REDUCTIONS

#: Elementwise, besides ARITHMETIC (+ - * / ** and the unary - + abs) and
#: NumPy's elementwise ufuncs (read below, with their argument counts): one
#: array operand keeps its shape, two broadcast.
_ELEMENTWISE = {f for f in category("elementwise") if not isinstance(f, np.ufunc)}

#: Helpers whose result has the shape given as their ``k``-th argument.
_SHAPED = {
    runtime.unbroadcast: 1,
    np.broadcast_to: 1,
    runtime.broadcast_to_shape: 1,
    runtime.unindex: 1,
    runtime.add_at: 2,
    runtime.einsum_adjoint: 2,
    runtime.assemble: 0,
    runtime.concatenate_tiles: 0,
}


class SameShape:
    """Classes of values of equal shape (a union-find), with ``keepdims``
    reductions recorded per class."""

    def __init__(self) -> None:
        self.parent: dict[Value, Value] = {}
        #: class representative -> arrays its values are keepdims reductions of
        self.reduced_from: dict[Value, set[Value]] = {}

    def find(self, value: Value) -> Value:
        root = value
        while root in self.parent:
            root = self.parent[root]
        while value is not root:  # path compression
            self.parent[value], value = root, self.parent[value]
        return root

    def join(self, a: Value, b: Value) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[ra] = rb
            moved = self.reduced_from.pop(ra, None)
            if moved:
                self.reduced_from.setdefault(rb, set()).update(moved)

    def reduces(self, value: Value, array: Value) -> None:
        """Record that ``value`` is a ``keepdims`` reduction of ``array``."""
        self.reduced_from.setdefault(self.find(value), set()).add(array)

    def same(self, a: Any, b: Any) -> bool:
        """True when ``a`` and ``b`` are arrays or numbers of one shape."""
        if _number(a) and _number(b):
            return True
        return _array(a) and _array(b) and self.find(a) is self.find(b)

    def fits(self, b: Any, a: Any) -> bool:
        """True when broadcasting ``b`` against ``a`` gives ``a``'s shape."""
        if not _array(a):
            return False
        if _number(b):
            return True
        if not _array(b):
            return False
        if self.same(a, b):
            return True
        target = self.find(a)
        reduced = self.reduced_from.get(self.find(b), ())
        return any(self.find(r) is target for r in reduced)


def _number(x: Any) -> bool:
    if isinstance(x, Value):
        return x.scalar
    return type(x) in (int, float, bool)


def _array(x: Any) -> bool:
    return isinstance(x, Value) and x.container is False


def same_shapes(graph: Graph) -> SameShape:
    """The classes of equal shape of ``graph``'s values (see the module
    docstring for the facts used)."""
    loops = [op for op in graph.walk() if isinstance(op, (LoopOp, ReverseLoopOp))]
    assumed = {loop: [True] * len(loop.carried) for loop in loops}
    while True:
        classes = SameShape()
        for loop in loops:
            for k, flag in enumerate(assumed[loop]):
                init = loop.inits[k]
                if flag and _array(init) and _array(loop.carried[k]):
                    classes.join(loop.carried[k], init)
                    classes.join(loop.outs[k], init)
        for op in graph.walk():
            _facts(op, classes)
        changed = False
        for loop in loops:
            for k, flag in enumerate(assumed[loop]):
                if flag and not classes.same(loop.body.yields[k], loop.carried[k]):
                    assumed[loop][k] = False
                    changed = True
        if not changed:
            return classes


def _facts(op: Any, classes: SameShape) -> None:
    if isinstance(op, IfOp):
        for out, a, b in zip(op.outs, op.then.yields, op.orelse.yields):
            if _array(out) and classes.same(a, b) and _array(a):
                classes.join(out, a)
        return
    if not isinstance(op, Op) or not _array(op.out):
        return
    fn, args, out = op.prim.fn, op.args, op.out
    if fn in REDUCTIONS and op.kwargs.get("keepdims") is True and _array(args[0]):
        classes.reduces(out, args[0])
        return
    if op.kwargs:
        return
    ufunc = (
        isinstance(fn, np.ufunc)
        and fn.nout == 1
        and fn.signature is None
        and fn.nin == len(args)
    )
    if fn is runtime.zero_at or (
        (fn in ARITHMETIC or fn in _ELEMENTWISE or ufunc) and len(args) == 1
    ):
        if _array(args[0]):  # zero_at(g, index) has g's shape
            classes.join(out, args[0])
        return
    if (fn in ARITHMETIC or fn in _ELEMENTWISE or ufunc) and len(args) == 2:
        a, b = args
        if classes.fits(b, a):
            classes.join(out, a)
        elif classes.fits(a, b):
            classes.join(out, b)
        return
    position = _SHAPED.get(fn)
    if position is not None and len(args) > position:
        of = _shape_of(args[position])
        if of is not None:
            classes.join(out, of)


def _shape_of(shape: Any) -> Value | None:
    """``a`` when ``shape`` is the value of ``np.shape(a)``, else None."""
    if not isinstance(shape, Value) or not isinstance(shape.op, Op):
        return None
    op = shape.op
    if op.prim.fn is not np.shape or op.kwargs or len(op.args) != 1:
        return None
    return op.args[0] if _array(op.args[0]) else None


def drop_needless_unbroadcasts(graph: Graph) -> None:
    """Remove ``unbroadcast(g, np.shape(a))`` and ``np.broadcast_to(g,
    np.shape(a))`` where ``g`` is known to have ``a``'s shape: the result is
    ``g`` itself. When ``g`` is read only there, it takes the result's name
    (``d_z = d_mul * z`` rather than ``mul = d_mul * z; d_z = mul``)."""
    classes = same_shapes(graph)
    reads = Counter(used_list(graph))
    replaced: dict[Value, Value] = {}
    renamed: set[Value] = set()
    for op in graph.walk():
        if not isinstance(op, Op) or op.kwargs or len(op.args) != 2:
            continue
        if op.prim.fn not in (runtime.unbroadcast, np.broadcast_to):
            continue
        g, shape = op.args
        g = replaced.get(g, g)
        of = _shape_of(shape)
        if of is None or not _array(g) or not classes.same(g, of):
            continue
        if op.out in graph.reuses:
            continue
        replaced[op.out] = g
        only_reader = reads.get(g) == 1
        # g now stands for the result too: its readers are g's
        reads[g] += reads.get(op.out, 0) - 1
        if (
            only_reader
            and g.kind == "op"
            and op.out.name.startswith("d_")
            and g not in graph.reuses
            and g not in graph.reuses.values()
            and op.out not in graph.reuses
        ):
            _take_name(graph, g, op.out)
            renamed.add(op.out)
    if replaced:
        _keep_storage_names(graph, replaced, renamed)
        substitute(graph, replaced)


def _take_name(graph: Graph, value: Value, dropped: Value) -> None:
    graph.namer.taken.discard(value.name)
    value.name, dropped.name = dropped.name, value.name


def _keep_storage_names(
    graph: Graph, replaced: dict[Value, Value], renamed: set[Value]
) -> None:
    """Values stored under a dropped value's name (sums adding into an
    adjoint) keep that name: the first of them becomes the name's owner,
    unless the replacement took the name itself."""
    owners: dict[Value, Value] = {}
    for value, anchor in list(graph.reuses.items()):
        if anchor not in replaced:
            continue
        new = replaced[anchor]
        if anchor in renamed:
            graph.reuses[value] = new
            continue
        owner = owners.get(anchor)
        if owner is None:
            del graph.reuses[value]
            graph.namer.taken.discard(value.name)
            value.name = anchor.name
            owners[anchor] = value
        else:
            graph.reuses[value] = owner
