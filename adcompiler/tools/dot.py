"""SSA graphs as Graphviz DOT text (no dependency), and as SVG/PNG with the
optional ``graphviz`` package.

Guarantees: the text is deterministic; every node is declared before an
edge uses it; one node per op (labelled with its function and source line)
and per parameter; ``if`` branches and loop bodies are clusters; in an
adjoint graph the backward sweep's nodes and edges are red and dashed
(``class="adjoint"``), the forward sweep's black.
"""

from __future__ import annotations

from typing import Any

from ..errors import ADError
from ..ir import (
    AdjointGraph,
    Block,
    CallOp,
    Graph,
    IfOp,
    LoopOp,
    Op,
    Value,
    tree_values,
    walk,
)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Writer:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.lines: list[str] = []
        # edges go after every node, outside the clusters: an edge inside a
        # cluster would pull both its ends into it
        self.edge_lines: list[str] = []
        self.node_of: dict[Value, str] = {}
        self.count = 0
        self.backward_ids: set[int] = set()
        if isinstance(graph, AdjointGraph) and graph.backward_start is not None:
            backward = Block(graph.body.ops[graph.forward_count :])
            self.backward_ids = {id(op) for op in walk(backward)}

    def new_node(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def style(self, op: Any) -> str:
        if id(op) in self.backward_ids:
            return ', color="red", fontcolor="red", style="dashed", class="adjoint"'
        return ""

    def op_node(self, op: Any, label: str, indent: str) -> str:
        node = self.new_node()
        loc = op.loc
        line = f"\\nline {loc.line_label}" if loc is not None else ""
        shape = "box" if isinstance(op, (Op, CallOp)) else "box3d"
        self.lines.append(
            f'{indent}{node} [label={_quote(label)[:-1]}{line}", shape={shape}'
            f"{self.style(op)}];"
        )
        return node

    def edges(self, op: Any, node: str, inputs: list[Value], indent: str) -> None:
        for value in inputs:
            source = self.node_of.get(value)
            if source is not None:
                self.edge_lines.append(f"  {source} -> {node}{self._edge_style(op)};")

    def _edge_style(self, op: Any) -> str:
        if id(op) in self.backward_ids:
            return ' [color="red", style="dashed", class="adjoint"]'
        return ""

    def block(self, block: Block, indent: str) -> None:
        for op in block.ops:
            if isinstance(op, Op):
                label = f"{op.out.name} = {op.prim.name}"
                node = self.op_node(op, label, indent)
                self.edges(op, node, op.inputs(), indent)
                self.node_of[op.out] = node
            elif isinstance(op, CallOp):
                ad = self.graph.ad
                fn = op.fn if ad is None else ad.callee(op)
                name = getattr(fn, "__name__", "call")
                outs = ", ".join(v.name for v in op.outs) or "_"
                node = self.op_node(op, f"{outs} = {name}(...)", indent)
                self.edges(op, node, op.inputs(), indent)
                for value in op.outs:
                    self.node_of[value] = node
            else:
                self.region_op(op, indent)

    def region_op(self, op: Any, indent: str) -> None:
        self.count += 1
        cluster = f"cluster_{self.count}"
        if isinstance(op, IfOp):
            title = "if"
        elif isinstance(op, LoopOp):
            title = f"{op.kind} loop"
        else:
            title = "backward of loop"
        line = f" (line {op.loc.line_label})" if op.loc is not None else ""
        color = ', color="red", fontcolor="red"' if id(op) in self.backward_ids else ""
        self.lines.append(f"{indent}subgraph {cluster} {{")
        self.lines.append(
            f"{indent}  label={_quote(title + line)}{color.replace(', ', '; ')};"
        )
        head = self.op_node(op, title, indent + "  ")
        self.edges(op, head, op.inputs(), indent + "  ")
        # what the op defines for its regions: carried variables, a loop's
        # target, what a backward loop unpacks from the tape
        for value in op.defs():
            if value not in op.outs:
                self.node_of[value] = head
        for region in op.regions:
            self.block(region, indent + "  ")
            sink = self.new_node()
            self.lines.append(
                f'{indent}  {sink} [label="yield", shape=point{self.style(op)}];'
            )
            self.edges(op, sink, list(tree_values(region.yields)), indent + "  ")
            for value in op.outs:
                self.node_of[value] = sink
        self.lines.append(f"{indent}}}")


def graph_dot(graph: Graph, title: str | None = None) -> str:
    """The graph as DOT text."""
    writer = _Writer(graph)
    name = title or graph.name
    writer.lines.append(f"digraph {_quote(name)} {{")
    writer.lines.append('  rankdir="TB";')
    writer.lines.append('  node [fontname="monospace", fontsize=10];')
    for param in graph.params:
        node = writer.new_node()
        writer.lines.append(f"  {node} [label={_quote(param.name)}, shape=ellipse];")
        writer.node_of[param] = node
    for value in graph.free:
        node = writer.new_node()
        writer.lines.append(f"  {node} [label={_quote(value.name)}, shape=note];")
        writer.node_of[value] = node
    writer.block(graph.body, "  ")
    result = writer.new_node()
    writer.lines.append(f'  {result} [label="return", shape=doublecircle];')
    writer.edges(None, result, list(tree_values(graph.outputs)), "  ")
    writer.lines.extend(writer.edge_lines)
    writer.lines.append("}")
    return "\n".join(writer.lines) + "\n"


def render(dot: str, path: str, format: str = "svg") -> str:
    """Render DOT text to ``path`` (``.svg``/``.png``) with the optional
    ``graphviz`` package and the ``dot`` program; returns the file written."""
    try:
        import graphviz
    except ImportError as exc:
        raise ADError(
            "rendering a graph needs the graphviz Python package and program",
            hint="pip install graphviz, and install Graphviz (apt-get install graphviz)",
        ) from exc
    source = graphviz.Source(dot)
    stem = path[: -len(format) - 1] if path.endswith("." + format) else path
    return source.render(stem, format=format, cleanup=True)
