"""The pass schedule: which passes run on which graph, in which order, and
what each needs.

:data:`SCHEDULE` is the one list of the graph passes. Each entry
(:class:`Pass`) names its function, the kinds of graph it runs on, the
facts it is given by the transformation that made the graph (:class:`Facts`
fields, passed as arguments after the graph), the properties earlier passes
must have established (``after``) and those it establishes itself
(``gives``), and whether it is an optimisation that runs only while
optimising (:mod:`adcompiler.options`). :func:`run_passes` runs the entries
for one graph in the declared order and refuses, with a
:class:`ScheduleError`, an entry whose needs are not met;
:func:`check_schedule` proves at import that every entry's needs are met
for each kind of graph, optimising or not.

The graph kinds and where they come from:

* ``lowered``: a function's graph as lowered, marked before any
  transformation reads it (:mod:`adcompiler.pipeline`, for every request);
* ``grad`` and ``split``: the adjoint graph :func:`adcompiler.reverse.reverse`
  makes for a whole gradient or for forward and backward halves;
* ``tangent``: the graph :func:`adcompiler.forward.tangent_graph` makes.

What stays outside the schedule (:data:`OUTSIDE`), and why:

* the activity analyses (:func:`.activity.active_values`,
  :func:`.activity.varied_values`) and the composite rewrite
  (:class:`.fused.Composites`): the transformations ask them while they
  build the adjoint or tangent graph, so they run inside the transformation,
  not on its result;
* :func:`.release.release_dead_names` (with :func:`.release.small_names`):
  it rewrites the generated source text, not a graph, in the moment between
  writing the lines and executing them that code generation owns;
* ``_keep_outputs`` in :mod:`adcompiler.reverse` is not a pass of this
  package: it is the last step of building a gradient graph's outputs (the
  value bound under its own name when a backward loop rebinds it), run by
  the reverse pass after the schedule because it reads the tapes; so is
  :func:`.restore.keep_returned_values` (a copy of each returned array the
  backward restores in place), which needs the cut and the kept restores.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, Sequence

from ..errors import ADError
from ..ir import Graph
from .cse import share_repeated_arithmetic, share_shape_computations
from .cut import mark_cut
from .dce import eliminate_dead_code
from .hoist import hoist_invariant_scalars
from .inplace import accumulate_in_place, assemble_pieces
from .names import share_loop_names
from .ranks import mark_ranks
from .restore import prune_restores
from .same_shape import drop_needless_unbroadcasts
from .scalars import mark_scalars
from .shapes import read_shapes_early
from .tape import assign_tapes, choose_residuals

#: The kinds of graph passes run on (see the module docstring).
KINDS = ("lowered", "grad", "split", "tangent")

_ADJOINT = frozenset({"grad", "split"})


class ScheduleError(ADError):
    """A pass was asked to run without what it needs: a fact its graph's
    transformation did not give, or a property no earlier pass established."""


@dataclass
class Facts:
    """What the transformation that made a graph knows and hands to the
    passes; None where it gives nothing.

    ``restores``: the ``(change, save, restore)`` ops of in-place changes
    the reverse pass made; ``backward``: the ids of the top-level ops of the
    backward sweep; ``accumulations``: the ids of the ops adding adjoint
    contributions; ``scalars`` and ``ranks``: per parameter, whether it is
    a scalar and its rank, as the request knows them.
    """

    restores: list | None = None
    backward: set[int] | None = None
    accumulations: set[int] | None = None
    scalars: Sequence[bool] | None = None
    ranks: Sequence[int | None] | None = None

    def given(self) -> set[str]:
        """The names of the facts given."""
        return {f.name for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Pass:
    """One entry of the schedule: ``fn(graph, *facts)`` for the facts named
    in ``uses``, on graphs of the kinds in ``kinds``, once the properties in
    ``after`` hold; afterwards those in ``gives`` hold. With ``optional``
    it runs only while optimising."""

    name: str
    fn: Callable[..., None]
    kinds: frozenset[str]
    uses: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    gives: tuple[str, ...] = ()
    optional: bool = False

    def applies(self, kind: str, optimize: bool) -> bool:
        """Whether this entry runs on a graph of ``kind``."""
        return kind in self.kinds and (optimize or not self.optional)

    def missing(self, facts: set[str], established: set[str]) -> list[str]:
        """What this entry needs and lacks, given the facts and properties
        available (empty when it may run)."""
        return [f"fact {n!r}" for n in self.uses if n not in facts] + [
            f"property {n!r}" for n in self.after if n not in established
        ]


#: The graph passes, in the order they run.
SCHEDULE: tuple[Pass, ...] = (
    # the lowered graph: what the request knows of the parameters
    Pass(
        "mark scalars",
        mark_scalars,
        frozenset({"lowered"}),
        uses=("scalars",),
        gives=("scalars marked",),
        optional=True,
    ),
    Pass(
        "mark ranks",
        mark_ranks,
        frozenset({"lowered"}),
        uses=("ranks",),
        gives=("ranks marked",),
        optional=True,
    ),
    Pass(
        "hoist invariant scalars",
        hoist_invariant_scalars,
        frozenset({"lowered"}),
        after=("scalars marked",),
        optional=True,
    ),
    # adjoint graphs: first the passes that rewrite ops on both sides of
    # the cut, while the backward ops are known by identity
    Pass(
        "prune restores",
        prune_restores,
        _ADJOINT,
        uses=("restores", "backward"),
        gives=("restores pruned",),
    ),
    Pass(
        "drop needless unbroadcasts",
        drop_needless_unbroadcasts,
        _ADJOINT,
        optional=True,
    ),
    Pass(
        "share repeated arithmetic",
        share_repeated_arithmetic,
        _ADJOINT,
        optional=True,
    ),
    Pass(
        "eliminate dead code",
        eliminate_dead_code,
        _ADJOINT | {"tangent"},
        gives=("no dead code",),
    ),
    # in-place sums count readers: dead readers must be gone
    Pass(
        "accumulate in place",
        accumulate_in_place,
        _ADJOINT,
        uses=("accumulations",),
        after=("no dead code",),
        optional=True,
    ),
    Pass(
        "assemble pieces",
        assemble_pieces,
        _ADJOINT,
        after=("no dead code",),
        optional=True,
    ),
    Pass(
        "eliminate dead code again",
        eliminate_dead_code,
        _ADJOINT,
        optional=True,
    ),
    Pass(
        "mark the cut",
        mark_cut,
        _ADJOINT,
        uses=("backward",),
        after=("restores pruned", "no dead code"),
        gives=("cut",),
    ),
    # passes that move ops across the cut keep it up to date
    Pass(
        "read shapes early",
        read_shapes_early,
        _ADJOINT,
        after=("cut",),
        optional=True,
    ),
    Pass(
        "share shape computations",
        share_shape_computations,
        _ADJOINT,
        after=("cut",),
        optional=True,
    ),
    # names last but for the tapes: tapes save values by name
    Pass(
        "share loop names",
        share_loop_names,
        _ADJOINT,
        after=("cut",),
        gives=("loop names",),
    ),
    Pass(
        "assign tapes",
        assign_tapes,
        _ADJOINT,
        after=("loop names",),
        gives=("tapes",),
    ),
    Pass(
        "choose residuals",
        choose_residuals,
        frozenset({"split"}),
        after=("cut", "tapes"),
        gives=("residuals",),
    ),
)


#: What each kind of graph's transformation gives the passes.
GIVEN: dict[str, frozenset[str]] = {
    "lowered": frozenset({"scalars", "ranks"}),
    "grad": frozenset({"restores", "backward", "accumulations"}),
    "split": frozenset({"restores", "backward", "accumulations"}),
    "tangent": frozenset(),
}


#: Functions of this package called outside the schedule, and why (see the
#: module docstring); nothing else of the package is called from outside it.
OUTSIDE: dict[str, str] = {
    "activity.active_values": "read by the reverse pass while it builds the adjoint",
    "activity.varied_values": "read by forward mode while it builds the tangent",
    "fused.Composites": "asked by the reverse pass for each op it differentiates",
    "ranks.call_facts": "what a call site knows of its operands, for compiling the callee's "
    "halves and tangent (reverse and forward mode)",
    "release.release_dead_names": "rewrites generated source, inside code generation",
    "release.small_names": "what release_dead_names leaves alone, for codegen",
    "restore.keep_returned_values": "the last step of a gradient graph's outputs",
}


def run_passes(
    graph: Graph,
    kind: str,
    facts: Facts,
    optimize: bool,
    schedule: Sequence[Pass] | None = None,
) -> list[str]:
    """Run the entries of ``schedule`` (by default :data:`SCHEDULE`) that
    apply to a graph of ``kind``, in order, optional ones only when
    ``optimize``; return their names in the order they ran.

    Raises :class:`ScheduleError` before running an entry whose facts were
    not given or whose ``after`` properties no earlier entry established;
    the entries before it have run.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown graph kind {kind!r}")
    given = facts.given()
    established: set[str] = set()
    ran = []
    for entry in SCHEDULE if schedule is None else schedule:
        if not entry.applies(kind, optimize):
            continue
        missing = entry.missing(given, established)
        if missing:
            raise ScheduleError(
                f"the pass {entry.name!r} cannot run on a {kind} graph: it needs "
                f"{', '.join(missing)}, which the transformation did not give or "
                "no earlier pass established"
            )
        entry.fn(graph, *(getattr(facts, name) for name in entry.uses))
        established.update(entry.gives)
        ran.append(entry.name)
    return ran


def check_schedule(schedule: Sequence[Pass], given: dict[str, frozenset[str]]) -> None:
    """Raise :class:`ScheduleError` unless, for every kind of graph,
    optimising or not, each applying entry of ``schedule`` finds the facts
    ``given[kind]`` holds for what it uses, and what it needs after
    established by an earlier applying entry."""
    for kind in KINDS:
        for optimize in (True, False):
            established: set[str] = set()
            for entry in schedule:
                if not entry.applies(kind, optimize):
                    continue
                missing = entry.missing(set(given[kind]), established)
                if missing:
                    setting = "optimising" if optimize else "not optimising"
                    raise ScheduleError(
                        f"the pass {entry.name!r} on a {kind} graph ({setting}) "
                        f"needs {', '.join(missing)}, which the transformation "
                        "does not give or no earlier pass establishes"
                    )
                established.update(entry.gives)


check_schedule(SCHEDULE, GIVEN)
