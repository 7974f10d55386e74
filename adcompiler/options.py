"""Compilation options: what a request for compiled code may vary in besides
the function and its arguments.

Guarantees: every option is part of the key under which compiled code is
cached (:mod:`adcompiler.pipeline`), so code compiled with one setting is
never reused under another.

Some passes are needed to generate code at all (activity, dead code, loop
tapes, names, restores of in-place changes). The others only make the code
faster or smaller, and must not change a single gradient: scalar
specialisation, needless unbroadcasts, shared arithmetic and shape queries,
shapes read early, in-place sums, ``del`` of dead arrays, inlining of small
functions, and the rule variants that store less. :func:`optimizations`
turns them off, so tests can compare gradients with and without them.
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
    """Run the optional optimisations or not while the block runs. The
    setting is part of the cache key: a function compiled both ways keeps
    both versions, and calls inside the block get the code of its setting."""
    global _enabled
    previous, _enabled = _enabled, enabled
    try:
        yield
    finally:
        _enabled = previous
