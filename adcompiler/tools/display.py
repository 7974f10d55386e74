"""Notebook display of gradient functions.

Guarantees: :func:`gradient_html` needs nothing beyond the standard
library; it highlights the source with pygments and adds the adjoint graph
as an SVG picture with graphviz, each only when installed. The package
attaches it as ``GradFunction._repr_html_`` (``adcompiler/__init__.py``), so
the compiler core never imports the tools.
"""

from __future__ import annotations

import html

from ..api import GradFunction
from .dot import graph_dot


def gradient_html(g: GradFunction) -> str:
    """Jupyter: the generated source, highlighted with pygments when it is
    installed, and the graph of the generated code as SVG when graphviz is."""
    source = g.source
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        code = highlight(source, PythonLexer(), HtmlFormatter(noclasses=True))
    except ImportError:
        code = f"<pre>{html.escape(source)}</pre>"
    try:
        import graphviz

        svg = graphviz.Source(graph_dot(g.adjoint_graph)).pipe(format="svg")
        picture = svg.decode("utf-8")
    except Exception:  # no graphviz package or program: the code alone
        picture = ""
    return f"<div>{code}{picture}</div>"
