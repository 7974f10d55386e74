"""Reverse mode: a primal graph → a graph computing value and gradients.

The result holds the forward sweep (the primal ops, of which dead code
elimination keeps only those the output or the backward reads) followed by
the backward sweep: for every active op, in reverse order, the ops its rules
record, each tagged with the op's source location. Guarantees:

* an adjoint is the sum of one contribution per use of its value: the first
  contribution is assigned, later ones are added (``d_x = d_x + ...``);
* a value flowing into an argument that has no rule raises
  :class:`NonDifferentiableError` naming the function, the argument and the
  line, never a silent zero;
* the outputs are ``(value, (gradient, ...))`` in ``wrt`` order, each
  gradient passed through :func:`runtime.fit_gradient` so it has the type,
  shape and dtype of its argument.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

from . import runtime
from .errors import ADError, NonDifferentiableError, OutputError, SourceLoc
from .ir import Graph, Op, Value, tree_map, tree_values
from .passes.activity import active_values
from .passes.dce import eliminate_dead_code
from .rules.registry import lookup
from .symbolic import Emitter, Sym


class _Adjoints:
    """Adjoint bookkeeping: value → its adjoint so far."""

    def __init__(self, graph: Graph, emitter: Emitter):
        self.graph = graph
        self.emitter = emitter
        self.of: dict[Value, Any] = {}
        # adjoint values that belong to exactly one primal value, whose
        # Python name an accumulation may therefore reuse
        self.owned: set[Value] = set()
        self.used: set[Value] = set()
        self.add = lookup(operator.add)

    def accumulate(self, value: Value, contribution: Any, fresh: set[Value]) -> None:
        if isinstance(contribution, Sym):
            contribution = contribution.value
        if contribution is None or (
            not isinstance(contribution, Value) and contribution == 0
        ):
            return
        if value not in self.of:
            if isinstance(contribution, Value):
                if contribution in fresh and contribution not in self.used:
                    self.graph.rename(contribution, f"d_{value.name}")
                    self.owned.add(contribution)
                else:
                    self.owned.discard(contribution)
                self.used.add(contribution)
            self.of[value] = contribution
            return
        previous = self.of[value]
        total = self.emitter.op(
            self.add, (previous, contribution), {}, f"d_{value.name}"
        )
        if previous in self.owned:
            self.graph.reuses[total] = previous
            self.owned.discard(previous)
        self.owned.add(total)
        self.used.add(total)
        self.of[value] = total


def reverse(graph: Graph, wrt: Sequence[Value], return_loc: SourceLoc | None) -> Graph:
    """The graph of ``(value, gradients)`` for ``graph`` with respect to ``wrt``."""
    output = graph.outputs
    if isinstance(output, (tuple, list)):
        raise OutputError(
            f"grad needs a function with a scalar output; {graph.name} returns "
            f"a {type(output).__name__}",
            return_loc,
            "return one scalar (for several outputs, use a Jacobian)",
        )
    active = active_values(graph, wrt)
    result = Graph(graph.name, graph.namer, graph.loc)
    result.params = graph.params
    result.free = list(graph.free)
    result.roots = graph.roots
    result.reuses = graph.reuses
    forward = list(graph.body.ops)
    result.body.ops = list(forward)

    emitter = Emitter(result, result.body, return_loc)
    adjoints = _Adjoints(result, emitter)
    with emitter:
        out_name = output.name if isinstance(output, Value) else "out"
        seed = emitter.op(lookup(runtime.seed_adjoint), (output,), {}, f"d_{out_name}")
        if isinstance(output, Value) and output in active:
            adjoints.of[output] = seed
            adjoints.owned.add(seed)
        for op in reversed(forward):
            if op.out in adjoints.of:
                emitter.loc = op.loc
                _backward_of(op, adjoints, active)
        emitter.loc = None
        fit = lookup(runtime.fit_gradient)
        gradients = tuple(
            emitter.op(fit, (adjoints.of.get(w, 0.0), w), {}, f"grad_{w.name}")
            for w in wrt
        )
    result.outputs = (output, gradients)
    result.backward_start = seed.op  # type: ignore[attr-defined]
    eliminate_dead_code(result)
    return result


def _backward_of(op: Op, adjoints: _Adjoints, active: set[Value]) -> None:
    prim = op.prim
    bound = prim.signature.bind(*op.args, **op.kwargs)
    names = list(prim.signature.parameters)
    sym_args = _symbolic(op.args)
    sym_kwargs = _symbolic(op.kwargs)
    g = Sym(adjoints.of[op.out])
    ans = Sym(op.out)
    block = adjoints.emitter.block
    for index, rule in enumerate(prim.vjps):
        name = names[index]
        operand = bound.arguments.get(name)
        if not any(v in active for v in tree_values(operand)):
            continue
        if rule is None:
            raise NonDifferentiableError(
                f"{prim.name} has no derivative with respect to its argument "
                f"`{name}`, and the gradient depends on it",
                op.loc,
                "pass a constant there, or wrap the value in a function with "
                "its own rule (adcompiler.defvjp)",
            )
        start = len(block.ops)
        try:
            contribution = rule(g, ans, *sym_args, **sym_kwargs)
        except ADError as exc:
            if exc.loc is not None:
                raise
            raise type(exc)(exc.message, op.loc, exc.hint) from None
        fresh = {new.out for new in block.ops[start:]}
        _pair(operand, contribution, adjoints, active, fresh)


def _pair(operand: Any, contribution: Any, adjoints: _Adjoints, active, fresh) -> None:
    if isinstance(operand, Value):
        if operand in active:
            adjoints.accumulate(operand, contribution, fresh)
    elif isinstance(operand, (tuple, list)) and contribution is not None:
        for item, part in zip(operand, contribution, strict=True):
            _pair(item, part, adjoints, active, fresh)


def _symbolic(tree: Any) -> Any:
    return tree_map(lambda leaf: Sym(leaf) if isinstance(leaf, Value) else leaf, tree)
