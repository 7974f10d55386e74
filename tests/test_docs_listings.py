"""The generated code shown in docs/*.md is what adcompiler generates now.

Each test takes the example files a page shows (read from the page itself),
regenerates the page's listings of generated code, SSA graphs or explained
views the way the page says they were made, and checks that each one is,
verbatim, a fenced block of the page. When a change to the compiler makes a
page stale, the failure names the page and the block to replace, and gives
the current text. With ``ADCOMPILER_UPDATE_DOCS=1`` in the environment,
the block is replaced instead (read the new text before committing it).
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import adcompiler
from adcompiler.tools import cli

DOCS = Path(__file__).resolve().parent.parent / "docs"


def fenced_blocks(page: str) -> list[tuple[int, str]]:
    """The fenced blocks of ``docs/<page>``: the line of the opening fence
    (1-based) and the text between the fences."""
    lines = (DOCS / page).read_text(encoding="utf-8").split("\n")
    blocks = []
    start = None
    for number, line in enumerate(lines):
        if start is None and re.fullmatch(r"```\w*", line):
            start = number
        elif start is not None and line == "```":
            blocks.append((start + 1, "\n".join(lines[start + 1 : number])))
            start = None
    return blocks


def example_file(page: str, filename: str) -> str:
    """The example file ``filename`` as ``docs/<page>`` shows it: the first
    ```python block after a paragraph that names it (`` `filename` ``)."""
    lines = (DOCS / page).read_text(encoding="utf-8").split("\n")
    named = False
    for number, line in enumerate(lines):
        if f"`{filename}`" in line and not line.startswith("```"):
            named = True
        elif named and line == "```python":
            end = lines.index("```", number + 1)
            return "\n".join(lines[number + 1 : end]) + "\n"
    raise AssertionError(f"docs/{page} shows no file `{filename}`")


def check_listing(page: str, generated: str, how: str) -> None:
    """Fail unless ``generated`` is one of the fenced blocks of the page,
    naming the block it should replace (the one with the same first line,
    else the most similar) and showing the difference."""
    text = generated.strip("\n")
    blocks = fenced_blocks(page)
    if any(body == text for _, body in blocks):
        return
    first = text.split("\n", 1)[0]

    def likeness(block: tuple[int, str]) -> tuple[bool, float]:
        body = block[1]
        same_start = body.split("\n", 1)[0] == first
        return same_start, difflib.SequenceMatcher(None, body, text).quick_ratio()

    line, body = max(blocks, key=likeness)
    diff = "\n".join(
        difflib.unified_diff(
            body.split("\n"),
            text.split("\n"),
            f"docs/{page}, block at line {line}",
            "current output",
            lineterm="",
        )
    )
    if os.environ.get("ADCOMPILER_UPDATE_DOCS") == "1":
        path = DOCS / page
        lines = path.read_text(encoding="utf-8").split("\n")
        old = body.split("\n") if body else []
        lines[line : line + len(old)] = text.split("\n")
        path.write_text("\n".join(lines), encoding="utf-8")
        return
    pytest.fail(
        f"docs/{page} is stale: the block at line {line} should be the current "
        f"output of {how}. Replace it (and the prose that reads it):\n{diff}",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """``example(page, "name.py")``: the module of an example file of a page,
    saved under its own name (generated code names it) and imported."""
    loaded: dict[tuple[str, str], object] = {}
    directories: dict[str, Path] = {}

    def load(page: str, filename: str):
        key = (page, filename)
        if key not in loaded:
            if page not in directories:
                directories[page] = tmp_path_factory.mktemp(Path(page).stem)
            path = directories[page] / filename
            path.write_text(example_file(page, filename), encoding="utf-8")
            name = f"docs_listing_{Path(page).stem}_{path.stem}".replace("-", "_")
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            loaded[key] = module
        return loaded[key]

    yield load
    for module in loaded.values():
        sys.modules.pop(module.__name__, None)


# control-flow.md


def test_control_flow_layer(example):
    layer = example("control-flow.md", "layer.py").layer
    g = adcompiler.grad(layer, wrt="w")
    check_listing("control-flow.md", str(g.graph), "print(grad(layer, wrt='w').graph)")
    check_listing("control-flow.md", g.source, "grad(layer, wrt='w').source")
    g(np.array([0.5, 1.0]), 0.5)  # the page says a float w changes nothing
    check_listing("control-flow.md", g.source, "grad(layer, wrt='w').source")


def test_control_flow_rnn(example):
    rnn = example("control-flow.md", "rnn.py").rnn
    g = adcompiler.grad(rnn, wrt=("W", "b"))
    check_listing("control-flow.md", str(g.graph), "print(grad(rnn).graph)")
    check_listing("control-flow.md", g.source, "grad(rnn, wrt=('W', 'b')).source")


def test_control_flow_piecewise(example):
    piecewise = example("control-flow.md", "piecewise.py").piecewise
    g = adcompiler.grad(piecewise)
    check_listing("control-flow.md", str(g.graph), "print(grad(piecewise).graph)")
    g(0.5)
    check_listing("control-flow.md", g.source, "grad(piecewise).source after g(0.5)")


def test_control_flow_jumps(example):
    jumps = example("control-flow.md", "jumps.py")
    check_listing("control-flow.md", adcompiler.grad(jumps.grow).source, "grad(grow)")
    graph = str(adcompiler.grad(jumps.first_big).graph)
    check_listing("control-flow.md", graph, "print(grad(first_big).graph)")


def test_control_flow_list_and_in_place(example):
    states = example("control-flow.md", "states.py")
    rows = example("control-flow.md", "rows.py")
    overwrite = example("control-flow.md", "overwrite.py")
    g = adcompiler.grad(states.rnn_states, wrt="W")
    check_listing("control-flow.md", g.source, "grad(rnn_states, wrt='W').source")
    g = adcompiler.grad(rows.rnn_rows, wrt="W")
    check_listing("control-flow.md", g.source, "grad(rnn_rows, wrt='W').source")
    g = adcompiler.grad(overwrite.overwrite)
    check_listing("control-flow.md", g.source, "grad(overwrite).source")


def test_control_flow_calls(example):
    net = example("control-flow.md", "net.py").net
    g = adcompiler.grad(net, wrt=("W", "b"))
    check_listing("control-flow.md", g.source, "grad(net, wrt=('W', 'b')).source")
    # the halves of the call of layers, read from the pipeline product behind them
    forward = g._current().generated.fn.__globals__["layers_forward"]
    halves = forward.__adcompiler_product__
    check_listing(
        "control-flow.md", halves.source, "the SplitFunction.source of layers"
    )


# how-it-works.md


def test_how_it_works_logistic_regression(example):
    loss = example("how-it-works.md", "logreg.py").loss
    g = adcompiler.grad(loss, wrt=("w", "b"))
    check_listing("how-it-works.md", str(g.graph), "print(g.graph) in run_hiw.py")
    graph = str(g.adjoint_graph)
    check_listing("how-it-works.md", graph, "print(g.adjoint_graph) in run_hiw.py")
    check_listing("how-it-works.md", g.source, "print(g.source) in run_hiw.py")
    # section 5: called with a float b, the gradient needs no d_matmul
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(5, 3)), np.array([0.0, 1.0, 1.0, 0.0, 1.0]), np.ones(3)
    g(w, 0.1, X, y)
    assert "d_matmul" not in g.source
    assert "d_b = unbroadcast(d_z, shape_6)" in g.source
    assert 'einsum_adjoint("matmul", 1, shape_7, d_z, X, None)' in g.source


# seeing.md


def show(capsys, function: str, *options: str) -> str:
    """The output of ``adcompiler show lecture_examples.py:<function> ...``."""
    target = f"{DOCS / 'lecture_examples.py'}:{function}"
    assert cli.main(["show", target, *options]) == 0
    return capsys.readouterr().out


def test_seeing_explained_view(capsys):
    text = show(capsys, "logistic_regression", "--wrt", "w,b", "--explain")
    check_listing("seeing.md", text, "show ...:logistic_regression --explain")


def test_seeing_graph_and_loop(capsys):
    check_listing("seeing.md", show(capsys, "mlp", "--graph"), "show ...:mlp --graph")
    text = show(capsys, "rnn", "--wrt", "h,W")
    check_listing("seeing.md", text, "show lecture_examples.py:rnn --wrt h,W")


# getting-started.md


def test_getting_started_first_gradient(example):
    f = example("getting-started.md", "first.py").f
    df = adcompiler.grad(f)
    df(np.array([0.0, 1.0, 2.0]))
    check_listing("getting-started.md", df.source, "print(df.source) in run_first.py")


# transformations.md


def test_transformations_sources(example):
    model = example("transformations.md", "model.py")
    vecfun = example("transformations.md", "vecfun.py")
    step = adcompiler.value_and_grad(model.mlp_loss)
    params = {"W1": np.ones((3, 4)), "b1": np.zeros(4), "W2": np.ones((4, 1))}
    step({**params, "b2": np.zeros(1)}, np.ones((5, 3)), np.ones((5, 1)))
    check_listing("transformations.md", step.source, "print(step.source) in run_mlp.py")
    x, W = np.ones(3), np.ones((2, 3))
    pullback = adcompiler.vjp(vecfun.layer, x, W)[1]
    check_listing("transformations.md", pullback.source, "vjp(layer, x, W)[1].source")
    both = (
        adcompiler.jvp_source(vecfun.layer, (x, W))
        + "\n"
        + adcompiler.jvp_source(vecfun.rnn, (np.ones(3), np.eye(3), 4))
    )
    check_listing("transformations.md", both, "the two jvp_source prints of run_jvp.py")
    ckpt = example("transformations.md", "ckpt.py")
    g = adcompiler.grad(ckpt.loss, wrt=(0, 1))
    check_listing("transformations.md", g.source, "grad(ckpt.loss, wrt=(0, 1)).source")
    W, U, xs = np.eye(3) * 0.5, np.ones((2, 3)) * 0.1, np.ones((4, 5, 2))
    adcompiler.check_grad(ckpt.loss, W, U, xs, wrt=(0, 1))


# custom-rules.md


def test_custom_rules_sources(example):
    lse = example("custom-rules.md", "lse.py")
    clipgrad = example("custom-rules.md", "clipgrad.py")
    lse_axis = example("custom-rules.md", "lse_axis.py")
    quant = example("custom-rules.md", "quant.py")
    z = np.array([1000.0, 1000.5, 999.0])
    w, x = np.array([1.0, -2.0, 0.5]), np.ones((2, 3))
    cases = [
        (lse.cross_entropy, (z, 1), "run_lse.py"),
        (clipgrad.loss, (w, x), "run_clip.py"),
        (clipgrad.loss_bound, (w, x, 0.5), "run_clip_bound.py"),
        (lse_axis.row_loss, (np.ones((2, 3)),), "run_lse_axis.py"),
        (quant.straight_through, (z,), "run_quant.py"),
    ]
    for fn, args, script in cases:
        g = adcompiler.grad(fn)
        g(*args)
        check_listing("custom-rules.md", g.source, f"the .source printed by {script}")
