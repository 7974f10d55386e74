"""The front-end profile of the fuzzer (``--profile frontend``, issue #16):
families of programs written as people write Python (lambdas, functions as
values, objects and parameter trees, random draws, prints and asserts,
type tests, dicts and variadics, generators, ``grad`` inside ``grad``,
size-1 outputs), each a complete module, most mixing several constructs.

:func:`generate_front` writes program ``index`` of a campaign (family
``index % len(families)``, deterministic in ``(seed, index, families)``);
:func:`check_front` checks it against plain Python and central
differences (:mod:`.checker`, through the soundness checker). A campaign's
refusals are grouped by :func:`refusal_key` (campaign.Summary.refusals), so
its report says which constructs are still refused and how often.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence


from ..minimizer import minimize, same_failure
from ..program import Outcome, Program
from ..soundness.checker import Compiled
from ..soundness.families import program_of
from .checker import check_front, complex_step_grad, flatten, refusal_key
from .families import FAMILIES
from .program import FrontProgram


def generate_front(
    seed: int, index: int = 0, families: Sequence[str] | None = None
) -> FrontProgram:
    """Program ``index`` of the front-end campaign ``seed``: of family
    ``families[index % len(families)]`` (all of :data:`FAMILIES` by
    default), deterministic in its arguments."""
    return program_of(FAMILIES, "frontend", 16, seed, index, families)


def minimize_front(
    program: FrontProgram,
    outcome: Outcome,
    budget: int = 300,
    compile: Callable[[Callable, Any], Compiled] | None = None,
) -> FrontProgram:
    """``program`` reduced by the default profile's minimizer while
    :func:`check_front` (with ``compile``, as there) gives the same failure
    as ``outcome``; its target, tree and arguments stay as they are."""

    def front(candidate: Program) -> FrontProgram:
        return dataclasses.replace(program, source=candidate.source)

    def keep(candidate: Program) -> bool:
        checked = check_front(front(candidate), time_limit=10.0, compile=compile)
        return same_failure(outcome, checked)

    start = Program(program.source, (1,), (), program.seed)
    return front(minimize(start, keep, budget))


__all__ = [
    "FAMILIES",
    "FrontProgram",
    "check_front",
    "complex_step_grad",
    "flatten",
    "generate_front",
    "minimize_front",
    "refusal_key",
]
