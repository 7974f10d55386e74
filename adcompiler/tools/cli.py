"""The command line: ``python -m adcompiler show path/to/file.py:function``.

Guarantees: prints the generated adjoint (``--mode rev``, the default) or
tangent (``--mode fwd``) code, the SSA graph (``--graph``), Graphviz DOT
(``--dot``) or the explained view (``--explain``); an error is written to
stderr as ``adcompiler: error: file:line:col: message``, then, as the API's
message has them, the source line and the ``hint:`` line, with exit code 1
(2 for a misused command line, as argparse does).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import Any, Sequence

from .. import api
from ..callables import source_function, user_function
from ..options import optimizing
from ..pipeline import Request, compiled
from ..errors import ADError
from ..trees import LEAF
from .dot import graph_dot
from .explain import explain_source

DESCRIPTION = """\
Show what adcompiler generates for a function of a Python file.

examples:
  adcompiler show model.py:loss                  the gradient code (forward and backward sweeps)
  adcompiler show model.py:loss --wrt 0,W        with respect to argument 0 and parameter W
  adcompiler show model.py:loss --explain        each line beside its forward and backward code
  adcompiler show model.py:loss --graph          the SSA graph of the function, as text
  adcompiler show model.py:loss --graph --adjoint  the graph of the generated code
  adcompiler show model.py:loss --dot > g.dot    the graph as Graphviz DOT (dot -Tsvg g.dot)
  adcompiler show model.py:loss --mode fwd       the forward-mode (tangent) code
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2
        sys.stderr.write(f"adcompiler: error: {message}\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="adcompiler",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.required = True
    show = commands.add_parser(
        "show",
        help="print the generated code, graph, DOT or explained view of a function",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("target", help="path/to/file.py:function")
    show.add_argument(
        "--wrt",
        default="0",
        help="arguments to differentiate: indices or names, comma-separated (default 0)",
    )
    show.add_argument(
        "--mode",
        choices=("rev", "fwd"),
        default="rev",
        help="reverse mode (gradient) or forward mode (tangent); default rev",
    )
    view = show.add_mutually_exclusive_group()
    view.add_argument(
        "--graph", action="store_true", help="print the SSA graph as text"
    )
    view.add_argument("--dot", action="store_true", help="print the SSA graph as DOT")
    view.add_argument(
        "--explain",
        action="store_true",
        help="print each line beside its forward and, in reverse order, backward code",
    )
    show.add_argument(
        "--adjoint",
        action="store_true",
        help="with --graph or --dot: the graph of the generated code, not of the function",
    )
    return parser


def load_function(target: str) -> Any:
    """The function ``name`` of the Python file in ``path/to/file.py:name``."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise ADError(f"expected path/to/file.py:function, got {target!r}")
    if not os.path.isfile(path):
        raise ADError(f"no such file: {path}")
    module_name = "adcompiler_cli_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ADError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's module failed to import
        raise ADError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(directory)
    fn = module
    for part in name.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise ADError(f"{path} has no function {name!r}")
    return fn


def _wrt(text: str) -> Any:
    items = [item.strip() for item in text.split(",") if item.strip()]
    parsed = tuple(int(item) if item.lstrip("-").isdigit() else item for item in items)
    return parsed[0] if len(parsed) == 1 else parsed


def _show(args: argparse.Namespace) -> str:
    fn = load_function(args.target)
    wrt = _wrt(args.wrt)
    if args.mode == "fwd":
        if args.graph or args.dot or args.explain:
            raise ADError("--graph, --dot and --explain go with --mode rev")
        indices, _ = api._wrt_indices(fn, wrt)
        code = user_function(fn).__code__
        structures = (LEAF,) * (code.co_argcount + code.co_kwonlyargcount)
        active = tuple(i in indices for i in range(len(structures)))
        request = Request(
            "tangent", structures, active, top=True, optimize=optimizing()
        )
        return compiled(source_function(fn, structures), request).source
    g = api.grad(fn, wrt=wrt)
    if args.explain:
        return explain_source(g.source)
    graph = g.adjoint_graph if args.adjoint else g.graph
    if args.dot:
        return graph_dot(graph)
    if args.graph:
        return str(graph) + "\n"
    return g.source


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        text = _show(args)
    except (ADError, SyntaxError) as exc:
        lines = str(exc).splitlines() if str(exc) else [type(exc).__name__]
        if not isinstance(exc, ADError):
            lines = lines[:1]  # a SyntaxError's own text: one line
        sys.stderr.write(f"adcompiler: error: {lines[0]}\n")
        for line in lines[1:]:  # the source line and the hint
            sys.stderr.write(f"{line}\n")
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
