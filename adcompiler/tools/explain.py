"""The explained view: each line of the user's function beside the forward
statements it became, then, in reverse order, the backward statements that
differentiate it.

Guarantees: the text is built from the generated source (the ``# line N:``
comments codegen writes before each group of statements), so it shows
exactly the code that runs, less the ``del`` statements that free arrays
(:mod:`adcompiler.passes.release`); it is deterministic.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from ..api import GradFunction, grad

_COMMENT = re.compile(r"^(\s*)# (line \d+(?: in \S+ \([^)]*\))?): (.*)$")
_BACKWARD = "# backward sweep"
_GRADIENTS = "# gradients"


def _groups(lines: list[str]) -> list[tuple[str, list[str]]]:
    """``(source line label, statements)`` groups, in generated order."""
    groups: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in lines:
        match = _COMMENT.match(line)
        if match:
            label = f"{match.group(2)}: {match.group(3)}"
            if groups and groups[-1][0] == label:
                current = groups[-1][1]
            else:
                current = []
                groups.append((label, current))
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "del ")) or current is None:
            continue
        current.append(line)
    return groups


def explain_source(source: str) -> str:
    """The explained view of a generated gradient's source."""
    body = source.split("\n")
    start = next(i for i, line in enumerate(body) if line.lstrip().startswith('"""'))
    end = next(i for i in range(start + 1, len(body)) if '"""' in body[i])
    body = body[end + 1 :]
    split = next(
        (i for i, line in enumerate(body) if line.strip().startswith(_BACKWARD)),
        len(body),
    )
    finish = next(
        (i for i, line in enumerate(body) if line.strip().startswith(_GRADIENTS)),
        len(body),
    )
    forward = _groups(body[:split])
    backward = _groups(body[split:finish])
    out = ["FORWARD: each line of the function, and the statements it became", ""]
    for label, statements in forward:
        out.append(label)
        out.extend(
            "    " + s for s in textwrap.dedent("\n".join(statements)).split("\n")
        )
        out.append("")
    out.append(
        "BACKWARD: the same lines in reverse order, each differentiated "
        "(d_v is the adjoint dL/dv)"
    )
    out.append("")
    for label, statements in backward:
        out.append(label)
        out.extend(
            "    " + s for s in textwrap.dedent("\n".join(statements)).split("\n")
        )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def explain(f: Any, wrt: Any = 0) -> str:
    """Print and return the explained view of ``grad(f, wrt=wrt)``.

    ``f`` may also be a gradient function (its own ``wrt`` is then used).
    """
    g = f if isinstance(f, GradFunction) else grad(f, wrt=wrt)
    text = explain_source(g.source)
    print(text, end="")
    return text
