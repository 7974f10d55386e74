"""Analyses and rewrites on the SSA graph, one per module.

Some passes are needed to generate code at all (activity, dead code, loop
tapes, names, restores of in-place changes). The others only make the code
faster or smaller, and must not change a single gradient: scalar
specialisation, needless unbroadcasts, shared arithmetic and shape queries,
shapes read early, in-place sums, ``del`` of dead arrays, and the rule
variants that store less. :func:`optimizations` turns them off, so tests
can compare gradients with and without them.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

_enabled = True


def optimizing() -> bool:
    """Whether the optional optimisations run (they do, unless turned off)."""
    return _enabled


@contextlib.contextmanager
def optimizations(enabled: bool) -> Iterator[None]:
    """Run the optional optimisations or not while the block runs (for
    tests: functions compiled inside keep the code they got; use functions
    not compiled before, as compiled code is cached per function)."""
    global _enabled
    previous, _enabled = _enabled, enabled
    try:
        yield
    finally:
        _enabled = previous
