"""The command line (run as a subprocess), DOT export, the explained view, HTML."""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import adcompiler
from adcompiler.tools.dot import graph_dot
from support.explained import logistic_loss

HERE = os.path.dirname(__file__)
MODEL = os.path.join(HERE, "support", "explained.py")


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "adcompiler", *args],
        capture_output=True,
        text=True,
        cwd=HERE,
    )


def test_show_prints_the_generated_gradient():
    result = run("show", f"{MODEL}:logistic_loss")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def grad_logistic_loss(w, x, y):")
    assert "# backward sweep" in result.stdout
    assert result.stdout == adcompiler.grad(logistic_loss).source


def test_show_with_wrt_names_and_indices():
    result = run("show", f"{MODEL}:logistic_loss", "--wrt", "0,x")
    assert result.returncode == 0, result.stderr
    assert "with respect to w, x" in result.stdout
    assert "grad_x = fit_gradient(d_x, x)" in result.stdout


def test_show_forward_mode():
    result = run("show", f"{MODEL}:logistic_loss", "--mode", "fwd")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def logistic_loss_jvp(w, x, y, t_w):")


def test_show_graph_and_adjoint_graph():
    result = run("show", f"{MODEL}:logistic_loss", "--graph")
    assert result.stdout.startswith("graph logistic_loss(%w, %x, %y):")
    adjoint = run("show", f"{MODEL}:logistic_loss", "--graph", "--adjoint")
    assert "seed_adjoint" in adjoint.stdout


def test_show_explain_matches_the_committed_text():
    result = run("show", f"{MODEL}:logistic_loss", "--explain")
    with open(os.path.join(HERE, "data", "explain_logistic_loss.txt")) as f:
        expected = f.read()
    assert result.stdout == expected
    assert adcompiler.explain(logistic_loss) == expected


def test_help_documents_the_command():
    result = run("show", "--help")
    assert result.returncode == 0
    for option in (
        "--wrt",
        "--mode",
        "--graph",
        "--dot",
        "--explain",
        "file.py:function",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("show", "no_such_file.py:f"), "no such file: no_such_file.py"),
        (("show", f"{MODEL}:missing"), "has no function 'missing'"),
        (("show", "nocolon"), "expected path/to/file.py:function"),
        (("show", f"{MODEL}:logistic_loss", "--wrt", "q"), "no parameter 'q'"),
    ],
)
def test_errors_are_one_line_with_exit_code_1(args, message):
    result = run(*args)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("adcompiler: error: ")
    assert message in lines[0]
    # then only the error's hint (tests/test_api_expected.py checks it)
    assert all(line.startswith("hint: ") for line in lines[1:])


def test_misuse_exits_with_2():
    result = run("show", f"{MODEL}:logistic_loss", "--bogus")
    assert result.returncode == 2
    assert result.stderr.startswith("adcompiler: error:")


def _check_dot_structure(text):
    assert text.startswith("digraph ") and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    declared = set(re.findall(r"^\s*(n\d+) \[", text, re.M))
    for source, target in re.findall(r"^\s*(n\d+) -> (n\d+)", text, re.M):
        assert source in declared and target in declared


def test_dot_of_function_and_adjoint_parses():
    g = adcompiler.grad(logistic_loss)
    for text in (graph_dot(g.graph), graph_dot(g.adjoint_graph)):
        _check_dot_structure(text)
    adjoint = graph_dot(g.adjoint_graph)
    assert 'class="adjoint"' in adjoint and "line 8" in adjoint
    assert 'class="adjoint"' not in graph_dot(g.graph)
    result = run("show", f"{MODEL}:logistic_loss", "--dot")
    assert result.stdout == graph_dot(g.graph)


def test_dot_of_loops_parses():
    from test_control_flow import rnn_for

    text = graph_dot(adcompiler.grad(rnn_for, wrt=(0, 1)).adjoint_graph)
    _check_dot_structure(text)
    assert "subgraph cluster_" in text and "backward of loop" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_accepts_the_dot():
    text = graph_dot(adcompiler.grad(logistic_loss).adjoint_graph)
    result = subprocess.run(
        ["dot", "-Tsvg"], input=text, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout


def test_html_display():
    html = adcompiler.grad(logistic_loss)._repr_html_()
    assert "grad_logistic_loss" in html and html.startswith("<div>")
