"""The lowering stays split along its seams: no class of ``adcompiler.lower``
grows past the size one can read as one piece, and its parts share one
explicit state object instead of each other's attributes."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import adcompiler.lower
from adcompiler.frontend import parse_function
from adcompiler.lower import lower
from adcompiler.pipeline import CALL_SITES

LOWER = Path(adcompiler.lower.__file__).parent

#: The most lines a class of the lowering may span (issue #14: ~500).
MOST_LINES = 500


def test_no_class_of_the_lowering_is_over_the_bound():
    large = []
    for path in sorted(LOWER.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MOST_LINES:
                    large.append(f"{path.name}:{node.name} is {lines} lines")
    assert not large, "\n".join(large)


def _loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sum(x[i] * 2.0)
    return s


def test_the_parts_share_one_state():
    """Every part reads and changes the one State of the lowering, so a
    branch's or an inlined function's environment is seen by all."""
    lowering = lower(parse_function(_loop), (), False, CALL_SITES)
    parts = [value for value in vars(lowering).values() if hasattr(value, "state")]
    assert len(parts) >= 8
    assert all(part.state is lowering.state for part in parts)
    assert lowering.graph is lowering.state.graph
