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

import dataclasses
from typing import Sequence


from ..minimizer import minimize, same_failure
from ..program import Outcome, Program
from .checker import check_sound, writes_arguments
from .families import FAMILIES, Rand, program_of
from .program import SETTINGS, Arg, Change, SoundProgram


def generate_sound(
    seed: int, index: int = 0, families: Sequence[str] | None = None
) -> SoundProgram:
    """Program ``index`` of the soundness campaign ``seed``: of family
    ``families[index % len(families)]`` (all of :data:`FAMILIES` by
    default), deterministic in its arguments."""
    return program_of(FAMILIES, "soundness", 15, seed, index, families)


#: What makes a complex-intermediate program one (the minimizer keeps one).
COMPLEX_MARKS = ("j)", "j ", "complex", "fft")


def minimize_sound(
    program: SoundProgram, outcome: Outcome, budget: int = 300
) -> SoundProgram:
    """``program`` reduced by the default profile's minimizer (lines,
    blocks, then expressions by their parts) while :func:`check_sound`
    gives the same failure as ``outcome``; its arguments, settings module
    and changes stay as they are, and it writes into its arguments only if
    ``program`` did."""

    def sound(candidate: Program) -> SoundProgram:
        return dataclasses.replace(program, source=candidate.source)

    writes = writes_arguments(program)

    def keep(candidate: Program) -> bool:
        # a program expected to be refused must keep what makes it so, and
        # one that did not write into its arguments must not start to
        if program.expect == "refusal" and not any(
            mark in candidate.source for mark in COMPLEX_MARKS
        ):
            return False
        if writes_arguments(sound(candidate)) != writes:
            return False
        return same_failure(outcome, check_sound(sound(candidate), time_limit=10.0))

    start = Program(program.source, (1,), (), program.seed)
    return sound(minimize(start, keep, budget))


__all__ = [
    "FAMILIES",
    "SETTINGS",
    "Arg",
    "Change",
    "Rand",
    "SoundProgram",
    "check_sound",
    "generate_sound",
    "minimize_sound",
]
