"""The IR's protocol and who may change a graph.

Every op class answers ``regions``, ``inputs()``, ``reads()``, ``defs()``
and ``replace_inputs()``; :func:`adcompiler.ir.walk` visits nested regions
for every pass. Reverse mode keeps what it records about forward loops and
calls in the adjoint program's :class:`AdjointState`, never on the primal
graph's ops, and code generation reads a graph without changing it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from adcompiler import checkpoint

from adcompiler.codegen import generate, generate_function, generate_split
from adcompiler.forward import tangent_graph
from adcompiler.frontend import parse_function
from adcompiler.ir import (
    AdjointGraph,
    Block,
    CallOp,
    IfOp,
    LoopOp,
    Op,
    ReverseLoopOp,
    Value,
    copy_graph,
    format_graph,
    walk,
)
from adcompiler.lower import lower
from adcompiler.passes.tape import choose_residuals
from adcompiler.pipeline import CALL_SITES
from adcompiler.reverse import reverse


def helper(x, w):
    for _ in range(2):
        x = np.tanh(x * w)
    return x


def loops_calls_branches(x, w):
    s = 0.0
    for i in range(3):
        y = np.sin(x) * w
        if i > 0:
            y = y * y
        s = s + np.sum(y)
    return s + np.sum(helper(x, w))


def while_and_in_place(x, n):
    h = np.zeros((n, 3))
    k = 0
    while k < n:
        h[k] = np.cos(x) * k
        k = k + 1
    return np.sum(h * h)


def nested(x):
    total = 0.0
    for i in range(2):
        for j in range(3):
            if j > i:
                x = np.tanh(x)
            total = total + np.sum(x * x)
    return total


@checkpoint
def cell(h, w):
    return np.tanh(h * w)


def checkpointed_steps(x, w):
    for _ in range(3):
        x = cell(x, w)
    return np.sum(x)


PROGRAMS = [loops_calls_branches, while_and_in_place, nested, checkpointed_steps]


def _lowered(fn):
    parsed = parse_function(fn)
    return lower(parsed, (None,) * len(parsed.node.args.args), False, CALL_SITES)


def _reversed(lowering, split=False):
    graph = lowering.graph
    if split:
        wrt = [v for v in graph.params[:1]]
    else:
        wrt = [lowering.env_of_param(graph.params[0])]
    return reverse(graph, wrt, lowering.return_loc, CALL_SITES, split=split)


def _dump(graph) -> tuple:
    """Everything about a graph's ops and values that a pass could change:
    each op's fields (values by name and identity, blocks by their ops and
    yields), in walk order, with the printed graph."""

    def value(item):
        if isinstance(item, Value):
            return ("value", id(item), item.name, id(item.op), item.scalar, item.ndim)
        if isinstance(item, Block):
            return ("block", id(item), [id(op) for op in item.ops], value(item.yields))
        if isinstance(item, (list, tuple)):
            return (type(item).__name__, [value(i) for i in item])
        if isinstance(item, dict):
            return ("dict", [(k, value(v)) for k, v in item.items()])
        if isinstance(item, slice):
            return ("slice", value((item.start, item.stop, item.step)))
        return ("object", id(item))

    ops = [
        (
            type(op).__name__,
            id(op),
            [(f.name, value(getattr(op, f.name))) for f in dataclasses.fields(op)],
        )
        for op in walk(graph.body)
    ]
    return (
        format_graph(graph),
        ops,
        value(graph.body),
        value(graph.params),
        value(graph.free),
        value(graph.outputs),
        sorted((id(k), id(v)) for k, v in graph.reuses.items()),
    )


def test_every_op_class_follows_the_protocol():
    adjoint = _reversed(_lowered(loops_calls_branches))
    kinds = {type(op) for op in adjoint.walk()}
    assert kinds == {Op, IfOp, LoopOp, ReverseLoopOp, CallOp}
    for op in adjoint.walk():
        assert all(isinstance(region, Block) for region in op.regions)
        inputs, reads, defs = op.inputs(), op.reads(), op.defs()
        assert all(isinstance(v, Value) for v in inputs + reads + defs)
        assert len(inputs) == len({id(v) for v in inputs})
        assert set(inputs) <= set(reads)
        assert set(op.outs) <= set(defs)
        for region in op.regions:
            for v in region.yields:
                if isinstance(v, Value):
                    assert v in reads


def test_walk_visits_nested_regions_in_program_order():
    graph = _lowered(nested).graph
    order = list(walk(graph.body))
    outer = next(op for op in order if isinstance(op, LoopOp))
    inner = next(op for op in outer.body.ops if isinstance(op, LoopOp))
    branch = next(op for op in inner.body.ops if isinstance(op, IfOp))
    assert order.index(outer) < order.index(inner) < order.index(branch)
    assert order.index(branch) < order.index(branch.then.ops[0])
    # each op once, every op of every region
    assert len(order) == len({id(op) for op in order})
    assert all(op in order for op in inner.body.ops)
    assert list(graph.walk()) == order


def test_copy_graph_shares_no_op_block_or_value():
    graph = _lowered(loops_calls_branches).graph
    copy, copied = copy_graph(graph)
    assert format_graph(copy) == format_graph(graph)
    old_ops = {id(op) for op in graph.walk()}
    assert not old_ops & {id(op) for op in copy.walk()}
    assert all(copied[v] is not v for v in copied)
    for op in copy.walk():
        for region in op.regions:
            assert not any(region is r for o in graph.walk() for r in o.regions)
        for value in op.defs() + op.reads():
            assert value not in copied  # every value is the copy's own
            if value.op is not None:
                assert id(value.op) not in old_ops
    # both choose the same names from here on, independently
    assert copy.new_value("t").name == graph.new_value("t").name


def test_replace_inputs_rewrites_what_an_op_reads():
    graph = _lowered(loops_calls_branches).graph
    loop = next(op for op in graph.walk() if isinstance(op, LoopOp))
    carried_yield = loop.body.yields[0]
    fresh = Value("fresh", "op")
    loop.replace_inputs(lambda v: fresh if v is carried_yield else v)
    assert loop.body.yields[0] is fresh
    assert fresh in loop.reads()


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("fn", PROGRAMS)
def test_reverse_leaves_the_primal_graph_unchanged(fn, split):
    lowering = _lowered(fn)
    graph = lowering.graph
    before = _dump(graph)
    first = _reversed(lowering, split)
    assert _dump(graph) == before
    # differentiating the same primal graph again gives the same program
    second = _reversed(lowering, split)
    assert _dump(graph) == before
    assert format_graph(first) == format_graph(second)


@pytest.mark.parametrize("fn", PROGRAMS)
def test_forward_mode_leaves_the_primal_graph_unchanged(fn):
    lowering = _lowered(fn)
    graph = lowering.graph
    before = _dump(graph)
    first = tangent_graph(graph, graph.params[:1], CALL_SITES)
    assert _dump(graph) == before
    second = tangent_graph(graph, graph.params[:1], CALL_SITES)
    assert _dump(graph) == before
    assert format_graph(first) == format_graph(second)
    assert [v.name for v in first.tangent_params] == [
        v.name for v in second.tangent_params
    ]


def test_ad_state_lives_in_the_adjoint_program():
    lowering = _lowered(loops_calls_branches)
    adjoint = _reversed(lowering)
    assert isinstance(adjoint, AdjointGraph)
    loops = [op for op in adjoint.walk() if isinstance(op, LoopOp)]
    backward = [op for op in adjoint.walk() if isinstance(op, ReverseLoopOp)]
    assert backward and {id(op.forward) for op in backward} <= {id(op) for op in loops}
    for op in backward:
        record = adjoint.ad.tapes[op.forward]
        assert record is op.record
        assert record.saved and isinstance(record.tape, Value)
        assert record.tape in adjoint.ad.defs(op.forward)
        assert record.saved == adjoint.ad.reads(op.forward)
    (call,) = [op for op in adjoint.walk() if isinstance(op, CallOp) and op.callee]
    split = adjoint.ad.calls[call]
    assert call.callee is helper
    # the op still calls what the primal program calls; the adjoint program
    # calls the forward half
    assert call.fn is not split.halves.forward
    assert adjoint.ad.callee(call) is split.halves.forward
    assert split.saved in adjoint.ad.defs(call)
    for op in adjoint.walk():
        for name in ("tape", "saved", "counter", "covered", "read_outs", "split"):
            assert name not in vars(op)


def test_a_checkpointed_call_is_split_in_the_adjoint_program_only():
    lowering = _lowered(checkpointed_steps)
    adjoint = _reversed(lowering)
    (call, split), *others = adjoint.ad.calls.items()
    assert not others and call.checkpoint
    assert adjoint.ad.callee(call) is split.halves.forward is not call.fn
    primal_calls = [op for op in lowering.graph.walk() if isinstance(op, CallOp)]
    assert len(primal_calls) == 1 and primal_calls[0] not in adjoint.ad.calls


def test_exports_of_an_if_live_in_the_adjoint_program():
    # the tanh inside `if j > i` is saved per iteration of the inner loop:
    # the `if` exports it (here the branch's result holds it under its name)
    adjoint = _reversed(_lowered(nested))
    (branch, exported), *others = adjoint.ad.exports.items()
    assert not others
    assert isinstance(branch, IfOp)
    (value,) = exported
    assert value.op.prim.fn is np.tanh and value in branch.then.ops[-1].outs
    record = next(iter(r for r in adjoint.ad.tapes.values() if value in r.saved))
    assert record.tape is not None
    assert "exports" not in vars(branch)


def _generated(fn, kind):
    lowering = _lowered(fn)
    if kind == "primal":
        graph = lowering.graph
        return graph, lambda: generate_function(
            graph, "primal", list(graph.params), "", f"<primal {fn.__name__}>"
        )
    if kind == "grad":
        graph = _reversed(lowering)
        node = parse_function(fn).node
        return graph, lambda: generate(
            graph, node.args, {}, "grad", "", f"<grad {fn.__name__}>"
        )
    graph = _reversed(lowering, split=True)
    choose_residuals(graph)
    return graph, lambda: generate_split(
        graph, f"<split {fn.__name__}>", fn.__name__, ("forward", "backward")
    )


@pytest.mark.parametrize("kind", ["primal", "grad", "split"])
@pytest.mark.parametrize("fn", PROGRAMS)
def test_code_generation_reads_the_graph_without_changing_it(fn, kind):
    graph, generate = _generated(fn, kind)
    before = _dump(graph)
    first = generate()
    assert _dump(graph) == before
    assert generate().raw_source == first.raw_source
    assert _dump(graph) == before
