"""Forward mode: a primal graph → a graph computing value and tangent.

Each op is followed by the ops its tangent rules record
(:func:`primitives.registry.defjvp`): the tangent of the result is the sum of one
contribution per argument that has a tangent. Control flow keeps its shape:
an ``if`` gains tangent outputs, a loop carries the tangents of its carried
variables, a call of a user function calls that function's own tangent
version. Nothing is saved: forward mode needs no tape.

Guarantees: a value has a tangent exactly when it depends on a tangent
input through differentiable primitives (the *varied* values of
:mod:`.passes.activity`); a missing tangent is never read as zero by a rule
that indexes it (zeros of the right shape are made where a merge needs
them); a tangent flowing into an argument without a tangent rule raises
:class:`NonDifferentiableError`.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

from . import runtime
from .callables import CallSites
from .errors import NonDifferentiableError
from .ir import (
    TangentGraph,
    Block,
    CallOp,
    Graph,
    IfOp,
    LoopOp,
    Op,
    Value,
    copy_graph,
    tree_leaves,
    tree_map,
    tree_values,
)
from .options import optimizing
from .passes.activity import varied_values
from .passes.ranks import call_facts
from .passes.schedule import Facts, run_passes
from .primitives.registry import lookup
from .primitives.symbolic import Emitter, Sym, apply_rule, packed


class _Forward:
    def __init__(self, graph: Graph, wrt: Sequence[Value], sites: CallSites):
        self.graph = graph
        #: the tangent versions of called user functions come from here
        self.sites = sites
        self.varied = varied_values(graph, wrt)
        result = TangentGraph(graph.name, graph.namer, graph.loc)
        result.params = list(graph.params)
        result.free = list(graph.free)
        result.roots = graph.roots
        result.reuses = graph.reuses
        self.result = result
        self.emitter = Emitter(result, result.body)
        self.tangent: dict[Value, Any] = {}
        self.tangent_params = []
        for leaf in wrt:
            t = Value(graph.namer.claim(f"t_{graph.display_name(leaf)}"), "param")
            t.container = leaf.container
            self.tangent[leaf] = t
            self.tangent_params.append(t)

    # -- helpers ----------------------------------------------------------
    def zero(self, value: Any) -> Any:
        return self.emitter.op(lookup(runtime.zero_adjoint), (value,), {}, "zero")

    def tangent_or_zero(self, value: Any) -> Any:
        if isinstance(value, Value) and value in self.tangent:
            return self.tangent[value]
        if isinstance(value, Value):
            return self.zero(value)
        return 0.0

    def add(self, value: Value, a: Any, b: Any) -> Any:
        fn = operator.add if value.container is False else runtime.add_adjoints
        return self.emitter.op(lookup(fn), (a, b), {}, f"t_{self.name(value)}")

    def name(self, value: Value) -> str:
        return self.result.display_name(value)

    # -- blocks -----------------------------------------------------------
    def block(self, source: Block, target: Block) -> None:
        saved = self.emitter.block
        self.emitter.block = target
        for op in source.ops:
            if isinstance(op, Op):
                target.ops.append(op)
                if op.out in self.varied:
                    self.emitter.loc = op.loc
                    self.op(op)
            elif isinstance(op, IfOp):
                self.if_op(op)
            elif isinstance(op, LoopOp):
                self.loop_op(op)
            elif isinstance(op, CallOp):
                self.call_op(op)
        self.emitter.block = saved

    def op(self, op: Op) -> None:
        prim = op.prim
        bound = prim.signature.bind(*op.args, **op.kwargs)
        names = list(prim.signature.parameters)
        sym_args = _symbolic(op.args)
        sym_kwargs = _symbolic(op.kwargs)
        ans = Sym(op.out)
        total = None
        start = len(self.emitter.block.ops)
        for index, name in enumerate(names):
            if index >= len(prim.vjps):
                break
            operand = bound.arguments.get(name)
            if not any(v in self.tangent for v in tree_values(operand)):
                continue
            rule = (
                prim.jvps[index]
                if prim.jvps is not None and index < len(prim.jvps)
                else None
            )
            if rule is None and prim.vjps[index] is None and name in prim.integers:
                continue  # an integer (a shape): its derivative is zero
            if rule is None:
                raise NonDifferentiableError(
                    f"{prim.name} has no tangent (forward-mode) rule for its argument "
                    f"`{name}`, and the derivative depends on it",
                    op.loc,
                    prim.no_rule_hint
                    or "use reverse mode (grad, vjp), or register one with adcompiler.defjvp",
                )
            if isinstance(operand, Value):
                t = Sym(self.tangent[operand])
            else:  # a tuple or list of values: zeros where one has no tangent
                t = tree_map(lambda v: _as_sym(self.tangent_or_zero(v)), operand)
            contribution = apply_rule(
                rule, prim, name, op.loc, t, ans, *sym_args, **sym_kwargs
            )
            contribution = packed(contribution)  # a list of tangents: one list
            if contribution is None:
                continue
            total = (
                contribution if total is None else self.add(op.out, total, contribution)
            )
        if total is None:
            return
        fresh = {
            new.out for new in self.emitter.block.ops[start:] if isinstance(new, Op)
        }
        if (
            isinstance(total, Value)
            and total in fresh
            and total not in self.tangent.values()
        ):
            self.result.rename(total, f"t_{self.name(op.out)}")
        self.tangent[op.out] = total

    # -- control flow -----------------------------------------------------
    def if_op(self, op: IfOp) -> None:
        new = IfOp(op.cond, Block(), Block(), list(op.outs), op.loc)
        varied_outs = [k for k, out in enumerate(op.outs) if out in self.varied]
        tangent_outs = [
            self.result.new_value(f"t_{self.name(op.outs[k])}") for k in varied_outs
        ]
        for source, target in ((op.then, new.then), (op.orelse, new.orelse)):
            before = dict(self.tangent)
            self.block(source, target)
            target.yields = list(source.yields)
            saved = self.emitter.block
            self.emitter.block = target
            self.emitter.loc = op.loc
            for k in varied_outs:
                target.yields.append(self.tangent_or_zero(source.yields[k]))
            self.emitter.block = saved
            self.tangent = before
        new.outs += tangent_outs
        for k, t in zip(varied_outs, tangent_outs):
            t.container = op.outs[k].container
            self.tangent[op.outs[k]] = t
        self.result.coalesce_if(new)
        self.emitter.block.ops.append(new)

    def loop_op(self, op: LoopOp) -> None:
        self.emitter.loc = op.loc
        varied = [k for k, carried in enumerate(op.carried) if carried in self.varied]
        inits = list(op.inits) + [self.tangent_or_zero(op.inits[k]) for k in varied]
        tangent_carried = []
        for k in varied:
            t = self.result.new_value(f"t_{self.name(op.carried[k])}")
            t.container = op.carried[k].container
            tangent_carried.append(t)
            self.tangent[op.carried[k]] = t
        new = LoopOp(
            op.kind,
            op.iterable,
            op.target,
            inits,
            list(op.carried) + tangent_carried,
            op.cond,
            Block(),
            list(op.outs),
            op.loc,
            op.exit,
        )
        self.block(op.body, new.body)
        saved = self.emitter.block
        self.emitter.block = new.body
        self.emitter.loc = op.loc
        new.body.yields = list(op.body.yields) + [
            self.tangent_or_zero(op.body.yields[k]) for k in varied
        ]
        self.emitter.block = saved
        for k, t in zip(varied, tangent_carried):
            out = Value(t.name, "op")
            self.result.reuses[out] = t
            out.container = t.container
            new.outs.append(out)
            self.tangent[op.outs[k]] = out
        self.emitter.block.ops.append(new)

    def call_op(self, op: CallOp) -> None:
        leaves = list(tree_leaves(op.args))
        active = tuple(
            isinstance(leaf, Value) and leaf in self.tangent for leaf in leaves
        )
        if not any(active):
            self.emitter.block.ops.append(op)
            return
        self.emitter.loc = op.loc
        tangents = tuple(
            self.tangent[leaf] for leaf, flag in zip(leaves, active) if flag
        )
        tangent_tree = tree_map(
            lambda leaf: (
                self.result.new_value(f"t_{self.name(leaf)}")
                if isinstance(leaf, Value)
                else leaf
            ),
            op.out_tree,
        )
        known = call_facts(op.args)
        function = self.sites.tangent(op.callee, op.structures, active, known)
        new = CallOp(
            function,
            tuple(op.args) + tangents,
            (op.out_tree, tangent_tree),
            list(op.outs) + list(tree_values(tangent_tree)),
            op.loc,
        )
        self.result.root_name(function)
        for out, t in zip(tree_values(op.out_tree), tree_values(tangent_tree)):
            t.container = out.container
            # a result depending on no varied argument has no tangent
            if out in self.varied:
                self.tangent[out] = t
        self.emitter.block.ops.append(new)


def tangent_graph(graph: Graph, wrt: Sequence[Value], sites: CallSites) -> TangentGraph:
    """The graph of ``(value, tangent of value)`` given tangents for ``wrt``.

    ``result.tangent_params`` are the tangent inputs, one per ``wrt`` leaf;
    ``sites`` gives the tangent versions of the user functions it calls.
    ``graph`` is left as it was: the result is built from a copy of it
    (:func:`copy_graph`), with its own namer.
    """
    graph, copied = copy_graph(graph)
    wrt = [copied.get(leaf, leaf) for leaf in wrt]
    forward = _Forward(graph, wrt, sites)
    result = forward.result
    with forward.emitter:
        forward.block(graph.body, result.body)
        forward.emitter.block = result.body
        forward.emitter.loc = None
        output = graph.outputs
        tangent_out = tree_map(
            lambda leaf: (
                forward.tangent_or_zero(leaf) if isinstance(leaf, Value) else 0.0
            ),
            output,
        )
    result.outputs = (output, tangent_out)
    result.tangent_params = forward.tangent_params
    run_passes(result, "tangent", Facts(), optimizing())
    return result


def _as_sym(value: Any) -> Any:
    return Sym(value) if isinstance(value, Value) else value


def _symbolic(tree: Any) -> Any:
    return tree_map(lambda leaf: Sym(leaf) if isinstance(leaf, Value) else leaf, tree)
