"""The soundness profile of the fuzzer (``--profile soundness``): families of
programs where a compiler is silently wrong when its model of memory,
dependencies or a rule is (issue #15): tuple and list targets with
subscripts in loops, writes through views of arguments, ``+=`` through
container items, ``+=``/``*=`` on lists and tuples, helpers writing into
containers, module attributes changed between calls, reshape orders, ``%``,
integer powers at 0, complex intermediates.

:func:`generate_sound` writes program ``index`` of a campaign (family
``index % len(families)``, deterministic in ``(seed, index, families)``);
:func:`check_sound` checks it against plain Python and central differences
(:mod:`.checker`). The default profile (:func:`..generate`) is separate and
unchanged by this one.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .checker import check_sound
from .families import FAMILIES, Rand
from .program import SETTINGS, Arg, Change, SoundProgram


def generate_sound(
    seed: int, index: int = 0, families: Sequence[str] | None = None
) -> SoundProgram:
    """Program ``index`` of the soundness campaign ``seed``: of family
    ``families[index % len(families)]`` (all of :data:`FAMILIES` by
    default), deterministic in its arguments."""
    names = list(families) if families else list(FAMILIES)
    for name in names:
        if name not in FAMILIES:
            raise ValueError(
                f"unknown soundness family {name!r}: one of {', '.join(FAMILIES)}"
            )
    name = names[index % len(names)]
    which = list(FAMILIES).index(name)
    rng = np.random.default_rng([seed, index, which, 15])
    program = FAMILIES[name](Rand(rng))
    program.seed = int(np.random.default_rng([seed, index, which, 7]).integers(2**31))
    return program


__all__ = [
    "FAMILIES",
    "SETTINGS",
    "Arg",
    "Change",
    "Rand",
    "SoundProgram",
    "check_sound",
    "generate_sound",
]
