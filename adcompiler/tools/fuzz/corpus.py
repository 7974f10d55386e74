"""The regression corpus (``tests/fuzz_corpus/``): a corpus file is a
program with a ``# fuzz:`` header line giving the argument shapes and the
point seed, and comment lines saying what was found and what is expected."""

from __future__ import annotations

import re

from .program import Outcome, Program


def corpus_header(program: Program, outcome: Outcome, expected: str) -> str:
    """The comment lines a corpus file starts with: the ``# fuzz:`` line,
    what was found (the first 12 lines of the detail) and ``expected``."""
    detail = "\n".join(
        "#   " + line for line in outcome.detail.strip().splitlines()[:12]
    )
    return (
        program.header()
        + f"# found: {outcome.kind}\n{detail}\n"
        + f"# expected: {expected}\n"
    )


_HEADER = re.compile(r"# fuzz: x=(\([^)]*\)) y=(\([^)]*\)) seed=(\d+)")


def load_corpus_file(path: str) -> Program:
    """A corpus program: its source, and shapes and point seed from the
    ``# fuzz:`` header line."""
    with open(path) as handle:
        source = handle.read()
    match = _HEADER.search(source)
    if match is None:
        raise ValueError(f"{path}: no '# fuzz: x=(..) y=(..) seed=N' line")
    x_shape = tuple(eval(match.group(1)))
    y_shape = tuple(eval(match.group(2)))
    return Program(source, x_shape, y_shape, int(match.group(3)))
