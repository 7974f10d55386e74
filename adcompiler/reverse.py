"""Reverse mode: a primal graph → a graph computing value and gradients.

The result holds the forward sweep (the primal ops, of which dead code
elimination keeps only those the output or the backward reads) followed by
the backward sweep: for every active op, in reverse order, the ops its rules
record, each tagged with the op's source location. Control flow is reversed
structurally: the backward of an ``if`` is an ``if`` on the same condition
whose branches are the backward of the forward branches; the backward of a
loop is a loop over the recorded iterations, latest first
(:class:`ReverseLoopOp`), whose body is the backward of the forward body.
Guarantees:

* an adjoint is the sum of one contribution per use of its value: the first
  contribution is assigned, later ones are added (``d_x = d_x + ...``);
  inside a loop, contributions to values defined outside it accumulate in
  variables the backward loop carries;
* a value flowing into an argument that has no rule raises
  :class:`NonDifferentiableError` naming the function, the argument and the
  line, never a silent zero;
* the outputs are ``(value, (gradient, ...))`` in ``wrt`` order, each
  gradient passed through :func:`runtime.fit_gradient` so it has the type,
  shape and dtype of its argument;
* each forward loop whose backward reads values of its iterations saves
  exactly those values, once per iteration (:mod:`.passes.tape`).
"""

from __future__ import annotations

import builtins
import operator
from typing import Any, Callable, Collection, Sequence

import numpy as np

from . import runtime
from .callables import CallSites
from .errors import NonDifferentiableError, OutputError, SourceLoc
from .ir import (
    AdjointGraph,
    Block,
    CallOp,
    CallSplit,
    Graph,
    IfOp,
    LoopOp,
    Op,
    ReverseLoopOp,
    Value,
    copy_graph,
    defined_in,
    tree_leaves,
    tree_map,
    tree_values,
    walk,
)
from .options import optimizing
from .passes.activity import active_values
from .passes.fused import Composites
from .passes.ranks import call_facts
from .passes.restore import keep_returned_values
from .passes.schedule import Facts, run_passes
from .primitives.registry import lookup
from .primitives.symbolic import Emitter, Sym, apply_rule, packed


class _Scope:
    """The adjoints of one region of the backward sweep.

    A branch scope sees its parent's adjoints and may add to them; a loop
    scope gives each outer value it adds to a carried accumulator, created
    on first use, whose value before the loop is the parent's adjoint.
    """

    def __init__(self, reverser: "_Reverser", parent: "_Scope | None" = None):
        self.reverser = reverser
        self.parent = parent
        self.of: dict[Value, Any] = {}
        self.loop: ReverseLoopOp | None = None
        self.local: set[Value] = set()
        self.accumulators: list[tuple[Value, Value]] = []
        self.preheader = Block()  # ops that must run before a backward loop

    def get(self, value: Value) -> Any:
        """The adjoint of ``value`` so far, or None."""
        if value in self.of:
            return self.of[value]
        if self.parent is None:
            return None
        if self.loop is None or value in self.local:
            return self.parent.get(value) if value not in self.local else None
        return self._accumulator(value)

    def _accumulator(self, value: Value) -> Value:
        outside = self.parent.get(value)
        reverser = self.reverser
        arg = reverser.result.new_value(f"d_{self.reverser.result.display_name(value)}")
        if isinstance(outside, Value) and outside in reverser.owned:
            reverser.result.reuses[arg] = outside
        if outside is None:
            # computed before the backward loop starts
            current = reverser.emitter.block
            reverser.emitter.block = self.preheader
            outside = reverser.zero(value)
            reverser.emitter.block = current
        self.loop.inits.append(outside)
        self.loop.carried.append(arg)
        reverser.owned.add(arg)
        self.accumulators.append((value, arg))
        self.of[value] = arg
        return arg

    def set(self, value: Value, adjoint: Any) -> None:
        self.of[value] = adjoint


class _Reverser:
    def __init__(self, graph: Graph, wrt: Sequence[Value], sites: CallSites):
        self.graph = graph
        #: the halves of called user functions come from here
        self.sites = sites
        self.active = active_values(graph, wrt)
        result = AdjointGraph(graph.name, graph.namer, graph.loc)
        result.params = graph.params
        result.free = list(graph.free)
        result.roots = graph.roots
        result.reuses = graph.reuses
        self.result = result
        self.emitter = Emitter(result, result.body)
        # adjoint values no other adjoint aliases: an accumulation may reuse
        # their Python name
        self.owned: set[Value] = set()
        self.used: set[Value] = set()
        self.add = lookup(operator.add)
        self.subtract = lookup(operator.sub)
        self.add_adjoints = lookup(runtime.add_adjoints)
        self.restores: list[tuple[Op, Op, Op]] = []
        self.popped_saves: list[Op] = []
        #: ids of the ops that add adjoint contributions (see passes.inplace)
        self.accumulations: set[int] = set()
        self.composites = Composites(graph) if optimizing() else None

    def zero(self, value: Value) -> Any:
        """A zero adjoint shaped like ``value`` (rules index adjoints, so 0.0
        alone is not enough), computed where the code stands."""
        return self.emitter.op(lookup(runtime.zero_adjoint), (value,), {}, "zero")

    def _zeros_like(self, value: Value) -> Any:
        """0.0 for a number or a list; zeros of ``value``'s shape for an
        array, read through ``np.shape`` (a loop's tape keeps the shape,
        not the array)."""
        if value.scalar or value.container is not False:
            return 0.0
        shape = self.emitter.op(lookup(np.shape), (value,), {}, "shape")
        return self.emitter.op(lookup(np.zeros), (shape,), {}, "zero")

    # -- accumulation -----------------------------------------------------
    def accumulate(
        self, scope: _Scope, value: Any, contribution: Any, fresh: set[Value]
    ) -> None:
        if not isinstance(value, Value) or value not in self.active:
            return
        contribution = packed(contribution)  # a list of adjoints: one list
        if contribution is None or (
            not isinstance(contribution, Value) and contribution == 0
        ):
            return
        previous = scope.get(value)
        if previous is None:
            if isinstance(contribution, Value):
                if contribution in fresh and contribution not in self.used:
                    self.result.rename(
                        contribution, f"d_{self.result.display_name(value)}"
                    )
                    self.owned.add(contribution)
                else:
                    self.owned.discard(contribution)
                self.used.add(contribution)
            scope.set(value, contribution)
            return
        # lists add item by item: `+` would concatenate them
        add = self.add if value.container is False else self.add_adjoints
        negated = _negated(contribution, fresh) if add is self.add else None
        if negated is not None and optimizing():
            # previous + (-c) is previous - c: one array operation fewer
            add, contribution = self.subtract, negated
        total = self.emitter.op(
            add,
            (previous, contribution),
            {},
            f"d_{self.result.display_name(value)}",
        )
        if add in (self.add, self.subtract) and not value.scalar:
            self.accumulations.add(id(total.op))
        if previous in self.owned:
            self.result.reuses[total] = previous
            self.owned.discard(previous)
        self.owned.add(total)
        self.used.add(total)
        scope.set(value, total)

    # -- blocks -----------------------------------------------------------
    def backward_block(
        self, block: Block, scope: _Scope, ops: list | None = None
    ) -> None:
        """The backward of ``block``'s ops (or of ``ops``, a prefix of them)."""
        for op in reversed(list(block.ops if ops is None else ops)):
            if isinstance(op, Op):
                if op.out in self.active and scope.get(op.out) is not None:
                    self.emitter.loc = op.loc
                    self.backward_op(op, scope)
                if op.prim.fn is runtime.set_item:
                    self.emitter.loc = op.loc
                    self.restore_items(op, block)
                # lists grown or shrunk are put back whether or not the
                # gradient flows through them: backward reads may need them
                if op.prim.fn is runtime.list_pop:
                    self.emitter.loc = op.loc
                    self.restore_popped(op, block)
                if op.prim.fn is runtime.list_append:
                    # undo the append, so the backward of earlier statements
                    # (and earlier iterations) sees the list as it was then
                    self.emitter.loc = op.loc
                    self.emitter.op(lookup(runtime.list_pop), (op.out,), {})
            elif isinstance(op, IfOp):
                if not self._region_active(op):
                    self.restore_lists(op, block)
                self.backward_if(op, scope)
            elif isinstance(op, LoopOp):
                if not self._region_active(op):
                    self.restore_lists(op, block)
                self.backward_loop(op, scope)
            elif isinstance(op, CallOp):
                self.backward_call(op, scope)

    def restore_lists(self, op: Any, block: Block) -> None:
        """Lists a loop or an if grows or shrinks, when the gradient does not
        go through it (so no backward of its appends and pops runs): copied
        before it, put back here, so the backward of earlier statements
        sees them as they were (the backward of an earlier append pops)."""
        inside = set()
        for region in op.regions:
            inside |= defined_in(region)
        carried = list(getattr(op, "carried", ()))
        lists: list[Value] = []
        for region in op.regions:
            for inner in walk(region):
                if not (
                    isinstance(inner, Op)
                    and inner.prim.fn in (runtime.list_append, runtime.list_pop)
                ):
                    continue
                sequence = inner.args[0]
                if sequence in carried:
                    sequence = op.inits[carried.index(sequence)]
                elif sequence in inside:
                    continue  # made inside: not seen before it
                if isinstance(sequence, Value) and sequence not in lists:
                    lists.append(sequence)
        for sequence in lists:
            if _fresh_and_unread_before(sequence, op, block):
                continue  # no earlier statement sees it: nothing to put back
            scratch = Block()
            with Emitter(self.result, scratch, op.loc) as forward:
                copy = forward.op(lookup(builtins.list), (sequence,), {}, "items")
            block.ops.insert(block.ops.index(op), scratch.ops[0])
            self.popped_saves.append(scratch.ops[0])
            self.emitter.loc = op.loc
            self.emitter.op(lookup(runtime.restore_list), (sequence, copy), {})

    def restore_popped(self, op: Op, block: Block) -> None:
        """Save the item ``sequence.pop()`` removes; append it back here."""
        (sequence,) = op.args
        scratch = Block()
        with Emitter(self.result, scratch, op.loc) as forward:
            popped = forward.op(lookup(runtime.list_item), (sequence, -1), {}, "popped")
        block.ops.insert(block.ops.index(op), scratch.ops[0])
        self.popped_saves.append(scratch.ops[0])
        self.emitter.op(lookup(runtime.list_append), (op.out, popped), {})

    def restore_items(self, op: Op, block: Block) -> None:
        """Save what ``array[index] = value`` overwrites; put it back here.

        :func:`prune_restores` later drops the pair where nothing needs it.
        """
        array, index, _ = op.args
        scratch = Block()
        with Emitter(self.result, scratch, op.loc) as forward:
            saved = forward.op(lookup(runtime.saved_items), (array, index), {})
        save = scratch.ops[0]
        block.ops.insert(block.ops.index(op), save)
        restore = self.emitter.op(
            lookup(runtime.restore_items), (op.out, index, saved), {}
        )
        self.restores.append((op, save, restore.op))

    def backward_op(self, op: Op, scope: _Scope) -> None:
        """Add the adjoint contributions of ``op``'s arguments: those of the
        composite pattern ending at ``op`` when the composite rewrite finds
        one (:mod:`.passes.fused`), else those of the op's rules."""
        step = _OpBackward(self, op, scope)
        match = self.composites.find(op, step) if self.composites else None
        if match is None:
            step.apply_rules()
        else:
            match.backward(step)

    def _pair(self, scope: _Scope, operand: Any, contribution: Any, fresh) -> None:
        if isinstance(operand, Value):
            self.accumulate(scope, operand, contribution, fresh)
        elif isinstance(operand, (tuple, list)) and contribution is not None:
            if isinstance(contribution, Sym):
                # a list adjoint known only at run time: take it item by item
                item_of = lookup(runtime.adjoint_item)
                for k, item in enumerate(operand):
                    if any(v in self.active for v in tree_values(item)):
                        part = item_of(contribution, k)
                        fresh = fresh | {part.value}
                        self._pair(scope, item, part, fresh)
                return
            for item, part in zip(operand, contribution, strict=True):
                self._pair(scope, item, part, fresh)

    def _region_active(self, op: Any) -> bool:
        return any(v in self.active for v in op.outs) or any(
            o.out in self.active
            for region in op.regions
            for o in walk(region)
            if isinstance(o, Op)
        )

    # -- if ---------------------------------------------------------------
    def backward_if(self, op: IfOp, scope: _Scope) -> None:
        if not self._region_active(op):
            return
        adjoints = [scope.get(out) for out in op.outs]
        backward = IfOp(op.cond, Block(), Block(), [], op.loc)
        scopes = []
        outer_block = self.emitter.block
        owned_before = set(self.owned)
        owned_after = set(owned_before)
        for forward_block, backward_block in (
            (op.then, backward.then),
            (op.orelse, backward.orelse),
        ):
            # the branches are exclusive: each may reuse what was owned before
            self.owned = set(owned_before)
            branch = _Scope(self, scope)
            branch.local = defined_in(forward_block, self.result.ad)
            self.emitter.block = backward_block
            self.emitter.loc = op.loc
            for value, adjoint in zip(forward_block.yields, adjoints):
                if adjoint is not None:
                    self.accumulate(branch, value, adjoint, set())
            self.backward_block(forward_block, branch)
            scopes.append(branch)
            owned_after |= self.owned - owned_before
        self.owned = owned_after
        self.emitter.block = outer_block
        changed = [
            v
            for v in dict.fromkeys(list(scopes[0].of) + list(scopes[1].of))
            if v not in scopes[0].local and v not in scopes[1].local
        ]
        for value in changed:
            before = scope.get(value)
            sides = [s.of.get(value, before) for s in scopes]
            sides = [self.zero(value) if side is None else side for side in sides]
            out = self.result.new_value(f"d_{self.result.display_name(value)}")
            anchor = before if before in owned_before else None
            if anchor is None:
                anchor = next(
                    (s for s in sides if isinstance(s, Value) and s in owned_after),
                    None,
                )
            if anchor is not None:
                self.result.reuses[out] = anchor
                self.owned.discard(anchor)
            backward.then.yields.append(sides[0])
            backward.orelse.yields.append(sides[1])
            backward.outs.append(out)
            self.owned.add(out)
            self.used.add(out)
            scope.set(value, out)
        self.result.coalesce_if(backward)
        self.emitter.block.ops.append(backward)

    # -- calls ------------------------------------------------------------
    def backward_call(self, op: CallOp, scope: _Scope) -> None:
        """``d_args = f_backward(saved, d_out)`` for a call of a user function.

        The call itself becomes ``out, saved = f_forward(args)``; both halves
        come from the callee, transformed for the argument leaves that are
        active here.
        """
        adjoints = [scope.get(out) for out in op.outs]
        if not any(
            op.outs[k] in self.active and a is not None for k, a in enumerate(adjoints)
        ):
            return
        leaves = list(tree_leaves(op.args))
        active = tuple(
            isinstance(leaf, Value) and leaf in self.active for leaf in leaves
        )
        if not any(active):
            return
        if op.checkpoint:  # saves the arguments, recomputes the rest
            halves = self.sites.checkpointed(op.callee, op.structures, active)
        else:
            known = call_facts(op.args)
            halves = self.sites.split(op.callee, op.structures, active, known)
        # recorded beside the call: the primal graph's op stays as it was
        split = CallSplit(halves, self.result.new_value(f"saved_{op.callee.__name__}"))
        self.result.ad.calls[op] = split
        self.result.root_name(halves.forward)
        self.emitter.loc = op.loc
        seeds = tuple(
            adjoint if adjoint is not None else self.zero(out)
            for out, adjoint in zip(op.outs, adjoints)
        )
        targets = [leaf for leaf, flag in zip(leaves, active) if flag]
        contributions = [
            self.result.new_value(f"d_{self.result.display_name(leaf)}")
            for leaf in targets
        ]
        backward = CallOp(
            halves.backward,
            (split.saved,) + seeds,
            tuple(contributions),
            contributions,
            op.loc,
        )
        self.result.root_name(halves.backward)
        self.emitter.block.ops.append(backward)
        fresh = set(contributions)
        for leaf, contribution in zip(targets, contributions):
            self.accumulate(scope, leaf, contribution, fresh)

    # -- loops ------------------------------------------------------------
    def backward_loop(self, op: LoopOp, scope: _Scope) -> None:
        if not self._region_active(op):
            return
        self.emitter.loc = op.loc
        backward = ReverseLoopOp(op, [], [], Block(), [], op.loc)
        # what the forward loop saves: chosen by passes.tape.assign_tapes
        self.result.ad.tapes[op] = backward.record
        inner = _Scope(self, scope)
        inner.loop = backward
        inner.local = defined_in(op.body, self.result.ad) | set(op.carried)
        if op.target is not None:
            inner.local.add(op.target)
        carried_adjoints: list[tuple[int, Value]] = []
        for k, carried in enumerate(op.carried):
            if carried in self.active:
                after = scope.get(op.outs[k])
                arg = self.result.new_value(f"d_{self.result.display_name(carried)}")
                if isinstance(after, Value) and after in self.owned:
                    self.result.reuses[arg] = after
                backward.inits.append(self.zero(op.outs[k]) if after is None else after)
                backward.carried.append(arg)
                self.owned.add(arg)
                carried_adjoints.append((k, arg))
        outer_block = self.emitter.block
        self.emitter.block = backward.body
        self.emitter.loc = op.loc
        for k, arg in carried_adjoints:
            self.accumulate(inner, op.body.yields[k], arg, set())
        self.backward_block(op.body, inner)
        # a body that rebinds a carried array without reading it gives it a
        # zero adjoint, shaped as it was (its shape may change in the loop)
        yields = [
            (
                self._zeros_like(op.carried[k])
                if inner.get(op.carried[k]) is None
                else inner.get(op.carried[k])
            )
            for k, _ in carried_adjoints
        ]
        self.emitter.block = outer_block
        yields += [inner.of[value] for value, _ in inner.accumulators]
        backward.body.yields = [0.0 if y is None else y for y in yields]
        for arg in backward.carried:
            out = Value(arg.name, "op")
            self.result.reuses[out] = arg  # a loop's result is its carried variable
            backward.outs.append(out)
            self.owned.add(out)
            self.used.add(out)
        outs = iter(backward.outs)
        pending = []
        for k, _ in carried_adjoints:
            pending.append((op.inits[k], next(outs)))
        for value, _ in inner.accumulators:
            scope.set(value, next(outs))
        self.emitter.block.ops.extend(inner.preheader.ops)
        self.emitter.block.ops.append(backward)
        self.emitter.loc = op.loc
        for init, out in pending:
            self.accumulate(scope, init, out, set())


def _made_since(block: Block, start: int) -> set[Value]:
    """The values the ops appended to ``block`` from ``start`` on define."""
    return {op.out for op in block.ops[start:] if isinstance(op, Op)}


def _negated(contribution: Any, fresh: set[Value]) -> Any:
    """``c`` when ``contribution`` is ``-c``, made by the rule just applied
    (nothing else reads it), else None."""
    if not isinstance(contribution, Value) or contribution not in fresh:
        return None
    op = contribution.op
    if isinstance(op, Op) and op.prim.fn is operator.neg and not op.kwargs:
        return op.args[0]
    return None


class _OpBackward:
    """The backward of one primitive op: its rules applied, and what a
    composite pattern's backward may ask for (:class:`.passes.fused.Backward`)."""

    def __init__(self, reverser: _Reverser, op: Op, scope: _Scope):
        self.reverser = reverser
        self.scope = scope
        self.op = op
        self.g = Sym(scope.get(op.out))
        self.ans = Sym(op.out)
        self.args = _symbolic(op.args)
        self.kwargs = _symbolic(op.kwargs)

    def is_active(self, value: Any) -> bool:
        """Whether the gradient flows through ``value``."""
        return isinstance(value, Value) and value in self.reverser.active

    def contribute(self, value: Any, make: Callable[[], Any]) -> Any:
        """Add ``make()``, emitted now, to the adjoint of ``value``; return it."""
        block = self.reverser.emitter.block
        start = len(block.ops)
        contribution = make()
        fresh = _made_since(block, start)
        self.reverser.accumulate(self.scope, value, contribution, fresh)
        return contribution

    def add_again(self, operand: Any, contribution: Any) -> None:
        """Add ``contribution``, made for another use, to ``operand``'s adjoint."""
        self.reverser._pair(self.scope, operand, contribution, set())

    def apply_rules(self, skip: Collection[int] = ()) -> dict[int, Any]:
        """Apply the op's rule for each argument the gradient flows through,
        but those at the indices in ``skip``; return each contribution by
        index. An integer parameter without a rule contributes nothing; any
        other argument without one raises :class:`NonDifferentiableError`."""
        op, reverser = self.op, self.reverser
        prim = op.prim
        bound = prim.signature.bind(*op.args, **op.kwargs)
        names = list(prim.signature.parameters)
        block = reverser.emitter.block
        made: dict[int, Any] = {}
        for index, rule in enumerate(prim.vjps):
            if index in skip:
                continue
            name = names[index]
            operand = bound.arguments.get(name)
            if not any(v in reverser.active for v in tree_values(operand)):
                continue
            if rule is None and name in prim.integers:
                continue  # an integer (a shape): its derivative is zero
            if rule is None:
                raise NonDifferentiableError(
                    f"{prim.name} has no derivative with respect to its argument "
                    f"`{name}`, and the gradient depends on it",
                    op.loc,
                    prim.no_rule_hint
                    or "pass a constant there, or wrap the value in a function with "
                    "its own rule (adcompiler.defvjp)",
                )
            start = len(block.ops)
            contribution = apply_rule(
                rule, prim, name, op.loc, self.g, self.ans, *self.args, **self.kwargs
            )
            fresh = _made_since(block, start)
            reverser._pair(self.scope, operand, contribution, fresh)
            made[index] = contribution
        return made


def reverse(
    graph: Graph,
    wrt: Sequence[Any],
    return_loc: SourceLoc | None,
    sites: CallSites,
    split: bool = False,
    has_aux: bool = False,
) -> AdjointGraph:
    """The graph of ``(value, gradients)`` for ``graph`` with respect to ``wrt``.

    ``wrt`` holds one tree of parameter values per differentiated argument
    (a single value for an array or number argument); each gradient has that
    tree's structure. With ``split``, the backward sweep starts from adjoints
    given for the outputs (``result.seeds``, a tree like the outputs) instead
    of from 1, and the gradients are the raw adjoints: the graph is then cut
    at ``result.forward_count`` into a forward and a backward function
    (calls of user functions), the forward saving ``result.residuals``.
    The passes for the graph's kind run as :mod:`.passes.schedule` declares.

    ``graph`` is left as it was: the result's forward sweep is a copy of it
    (:func:`copy_graph`), and what reverse mode records about its loops and
    calls is in ``result.ad`` (:class:`AdjointState`), so the same graph
    can be differentiated again, with the same result.
    """
    # the adjoint program starts from a copy: what reverse mode and its
    # passes change (blocks, names, reuses) is never the primal graph's
    graph, copied = copy_graph(graph)
    wrt = [
        tree_map(
            lambda leaf: copied.get(leaf, leaf) if isinstance(leaf, Value) else leaf,
            tree,
        )
        for tree in wrt
    ]
    output = graph.outputs[0] if has_aux else graph.outputs
    if not split and isinstance(output, (tuple, list, dict)):
        raise OutputError(
            f"grad needs a function with a scalar output; {graph.name} returns "
            f"a {type(output).__name__}",
            return_loc,
            "return one scalar (for several outputs, use a Jacobian)",
        )
    leaves = [leaf for tree in wrt for leaf in tree_values(tree)]
    reverser = _Reverser(graph, leaves, sites)
    result = reverser.result
    result.body.ops = list(graph.body.ops)
    result.forward_count = len(result.body.ops)
    forward = {id(op) for op in result.body.ops}
    emitter = reverser.emitter
    scope = _Scope(reverser)
    with emitter:
        emitter.loc = return_loc
        if split:
            result.seeds = tree_map(lambda leaf: _seed_param(result, leaf), output)
            for leaf, seed in zip(tree_values(output), tree_values(result.seeds)):
                if leaf in reverser.active:
                    reverser.accumulate(scope, leaf, seed, set())
        else:
            out_name = (
                result.display_name(output) if isinstance(output, Value) else "out"
            )
            seed = emitter.op(
                lookup(runtime.seed_adjoint), (output,), {}, f"d_{out_name}"
            )
            if isinstance(output, Value) and output in reverser.active:
                scope.set(output, seed)
                reverser.owned.add(seed)
                reverser.used.add(seed)
        reverser.backward_block(result.body, scope, list(graph.body.ops))
        emitter.block = result.body
        emitter.loc = None
        if split:
            # an argument the result does not depend on gets zeros of its
            # shape: the caller's rules may index or reshape its adjoint
            gradients = tuple(
                tree_map(
                    lambda w: (
                        scope.get(w)
                        if scope.get(w) is not None
                        else (
                            reverser.zero(w)
                            if isinstance(w, Value) and w.container is False
                            else 0.0
                        )
                    ),
                    tree,
                )
                for tree in wrt
            )
        else:
            fit = lookup(runtime.fit_gradient)
            gradients = tuple(
                tree_map(
                    lambda w: emitter.op(
                        fit,
                        (0.0 if scope.get(w) is None else scope.get(w), w),
                        {},
                        f"grad_{result.display_name(w)}",
                    ),
                    tree,
                )
                for tree in wrt
            )
    result.outputs = (graph.outputs, gradients)
    forward |= {id(save) for _, save, _ in reverser.restores}
    forward |= {id(save) for save in reverser.popped_saves}
    backward = {id(op) for op in result.body.ops if id(op) not in forward}
    facts = Facts(
        restores=reverser.restores,
        backward=backward,
        accumulations=reverser.accumulations,
    )
    run_passes(result, "split" if split else "grad", facts, optimizing())
    keep_returned_values(result)
    if not split:
        _keep_outputs(result)
    return result


def _keep_outputs(result: AdjointGraph) -> None:
    """Bind the function's value to its own name at the end of the forward
    sweep when a backward loop reuses the name it had (unpacking a tape)."""
    rebound = {
        result.display_name(v)
        for record in result.ad.tapes.values()
        for v in record.saved
    }
    value, gradients = result.outputs

    def keep(leaf: Any) -> Any:
        if not isinstance(leaf, Value) or result.display_name(leaf) not in rebound:
            return leaf
        kept = result.new_value("value")
        op = Op(lookup(runtime.identity), (leaf,), {}, kept, None)
        kept.op = op
        result.body.ops.insert(result.forward_count, op)
        result.forward_count += 1
        return kept

    result.outputs = (tree_map(keep, value), gradients)


def _seed_param(graph: Graph, leaf: Any) -> Any:
    """A parameter of the backward function: the adjoint given for an output."""
    if not isinstance(leaf, Value):
        return None
    return Value(graph.namer.claim(f"d_{graph.display_name(leaf)}"), "param")


def _symbolic(tree: Any) -> Any:
    return tree_map(lambda leaf: Sym(leaf) if isinstance(leaf, Value) else leaf, tree)


def _fresh_and_unread_before(sequence: Value, op: Any, block: Block) -> bool:
    """Whether ``sequence`` is a list made in ``block`` (``[...]``) that no
    op between its making and ``op`` reads: the backward of earlier
    statements then never sees it, so what ``op`` appended to it or popped
    from it need not be undone (and the code differentiated again reads no
    list after a loop grew it through another name)."""
    position = block.ops.index(op)
    for start, earlier in enumerate(block.ops[:position]):
        if sequence in earlier.defs():
            break
    else:
        return False
    if not (isinstance(earlier, Op) and earlier.prim.fn is runtime.make_list):
        return False
    return not any(
        sequence in inner.inputs()
        for between in block.ops[start + 1 : position]
        for inner in walk(Block([between]))
    )
