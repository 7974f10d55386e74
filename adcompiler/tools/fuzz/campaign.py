"""Campaigns: programs ``start .. start + count - 1`` of a seed, generated
and checked, in this process (:func:`run`) or in worker processes
(:func:`run_parallel`), counted in a :class:`Summary`."""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .checker import check
from .coverage import check_coverage, generate_coverage
from .frontend import check_front, generate_front, refusal_key
from .generator import generate
from .program import Outcome, Program
from .soundness import check_sound, generate_sound

#: The generators' profiles: ``default`` (the construct families of
#: :mod:`.generator`, checked by :func:`.checker.check`) and ``soundness``
#: (the families of :mod:`.soundness`, checked by
#: :func:`.soundness.check_sound`) and ``frontend`` (the families of
#: :mod:`.frontend`, checked by :func:`.frontend.check_front`) and
#: ``coverage`` (the functions of issue #17, :mod:`.coverage`, checked at
#: orders 1 and 2 by :func:`.coverage.check_coverage`).
PROFILES = ("default", "soundness", "frontend", "coverage")


def generate_for(
    profile: str, seed: int, index: int, families: Sequence[str] | None = None
) -> Any:
    """Program ``index`` of campaign ``seed`` of ``profile`` (``families``
    restricts the soundness or front-end profile's families)."""
    if profile == "soundness":
        return generate_sound(seed, index, families)
    if profile == "frontend":
        return generate_front(seed, index, families)
    if profile == "coverage":
        return generate_coverage(seed, index)
    if profile != "default":
        raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    return generate(seed, index)


def check_for(
    profile: str, program: Any, oracles: Sequence[str], directory: str
) -> Outcome:
    """Check ``program`` with its profile's checker."""
    if profile == "soundness":
        return check_sound(program, directory=directory)
    if profile == "frontend":
        return check_front(program, directory=directory)
    if profile == "coverage":
        return check_coverage(program, oracles=oracles, directory=directory)
    return check(program, oracles=oracles, directory=directory)


@dataclass
class Summary:
    """The outcomes of a campaign's programs: counts by kind and by oracle,
    the failing and invalid programs, and the messages of the refused ones."""

    programs: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[int, Program, Outcome]] = field(default_factory=list)
    unsupported: list[tuple[int, str]] = field(default_factory=list)
    oracle_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: outcome counts by family (soundness profile: programs have a family)
    by_family: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, index: int, program: Program, outcome: Outcome) -> None:
        """Count program ``index`` with its ``outcome``; keep it if it failed
        or is invalid, and the first line of the message if refused."""
        self.programs += 1
        self.counts[outcome.kind] = self.counts.get(outcome.kind, 0) + 1
        for name in outcome.oracles:
            self.oracle_counts[name] = self.oracle_counts.get(name, 0) + 1
        if outcome.failed or outcome.kind == "invalid":
            self.failures.append((index, program, outcome))
        if outcome.kind == "unsupported":
            self.unsupported.append((index, outcome.detail.splitlines()[0]))
        family = getattr(program, "family", None)
        if family is not None:
            counts = self.by_family.setdefault(family, {})
            counts[outcome.kind] = counts.get(outcome.kind, 0) + 1

    def merge(self, other: "Summary") -> None:
        """Add the programs of ``other`` (another slice of the campaign)."""
        self.programs += other.programs
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        for key, value in other.oracle_counts.items():
            self.oracle_counts[key] = self.oracle_counts.get(key, 0) + value
        self.failures += other.failures
        self.unsupported += other.unsupported
        for family, counts in other.by_family.items():
            mine = self.by_family.setdefault(family, {})
            for key, value in counts.items():
                mine[key] = mine.get(key, 0) + value

    def line(self) -> str:
        """``programs: N, mismatches: M, crashes: C, unsupported: U`` (and
        ``died: D`` when a process died)."""
        c = self.counts
        died = f", died: {c['died']}" if c.get("died") else ""
        return (
            f"programs: {self.programs}, mismatches: {c.get('mismatch', 0)}, "
            f"crashes: {c.get('crash', 0)}, unsupported: {c.get('unsupported', 0)}"
            + died
        )

    def details(self) -> str:
        """The other counts, the oracles used, and the time taken."""
        c = self.counts
        oracles = ", ".join(f"{k}: {v}" for k, v in sorted(self.oracle_counts.items()))
        if self.by_family and not oracles:
            oracles = "plain Python and finite differences"
        return (
            f"ok: {c.get('ok', 0)}, skipped (no smooth point): {c.get('skipped', 0)}, "
            f"invalid (generator bugs): {c.get('invalid', 0)}; checked against {oracles}; "
            f"{self.seconds:.1f} s"
        )

    def refusals(self) -> list[tuple[str, int]]:
        """The refusals grouped by :func:`.frontend.refusal_key` (the
        message without its place), most frequent first."""
        counts: dict[str, int] = {}
        for _, message in self.unsupported:
            key = refusal_key(message)
            counts[key] = counts.get(key, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def refusal_table(self) -> str:
        """A Markdown table of :meth:`refusals` (empty without any)."""
        rows = self.refusals()
        if not rows:
            return ""
        lines = ["| refusals | message (first line) |", "|---|---|"]
        bar = "\\|"  # a | in a message would end its cell
        lines += [f"| {n} | {key.replace('|', bar)} |" for key, n in rows]
        return "\n".join(lines)

    def family_table(self) -> str:
        """A Markdown table of the outcomes by family (empty when the
        programs have no family)."""
        if not self.by_family:
            return ""
        kinds = ["ok", "mismatch", "crash", "unsupported", "skipped", "invalid", "died"]
        heads = ["match", "mismatch", "crash", "refusal", "skipped", "invalid", "died"]
        rows = [
            "| family | programs | " + " | ".join(heads) + " |",
            "|---|---|" + "---|" * len(heads),
        ]
        for family in sorted(self.by_family):
            counts = self.by_family[family]
            rows.append(
                f"| {family} | {sum(counts.values())} | "
                + " | ".join(str(counts.get(k, 0)) for k in kinds)
                + " |"
            )
        return "\n".join(rows)


def run(
    count: int,
    seed: int,
    *,
    start: int = 0,
    oracles: Sequence[str] = (),
    progress: Callable[[int, Outcome], None] | None = None,
    profile: str = "default",
    families: Sequence[str] | None = None,
) -> Summary:
    """Programs ``start .. start + count - 1`` of campaign ``seed`` of
    ``profile`` (``families`` restricts the soundness profile's)."""
    summary = Summary()
    began = time.perf_counter()
    directory = tempfile.mkdtemp(prefix="adfuzz_")
    try:
        for index in range(start, start + count):
            program = generate_for(profile, seed, index, families)
            outcome = check_for(profile, program, oracles, directory)
            summary.add(index, program, outcome)
            if progress is not None:
                progress(index, outcome)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    summary.seconds = time.perf_counter() - began
    return summary


def _worker(arguments: tuple[Any, ...]) -> Summary:
    seed, start, count, oracles, profile, families = arguments
    return run(
        count, seed, start=start, oracles=oracles, profile=profile, families=families
    )


def run_parallel(
    count: int,
    seed: int,
    *,
    start: int = 0,
    oracles: Sequence[str] = (),
    jobs: int = 2,
    profile: str = "default",
    families: Sequence[str] | None = None,
) -> Summary:
    """:func:`run` in ``jobs`` worker processes, in slices.

    A program that kills the process checking it (the interpreter itself
    crashes: a segmentation fault in NumPy or in an oracle) breaks the pool
    and loses the slices in flight (at most ``jobs``: no more are queued).
    Those are run again one at a time, each alone in its own process, and a
    slice that still kills its process is halved, until the program is
    alone: it is counted as ``died`` and the campaign goes on.
    """
    size = max(1, math.ceil(count / (jobs * 4)))
    queue = [
        (s, min(size, start + count - s)) for s in range(start, start + count, size)
    ]
    summary = Summary()
    job = (seed, tuple(oracles), profile, tuple(families) if families else None)
    suspects = _run_slices(queue, jobs, job, summary)
    while suspects:
        s, n = suspects.pop(0)
        if not _run_slices([(s, n)], 1, job, summary):
            continue
        if n > 1:
            half = n // 2
            suspects[:0] = [(s, half), (s + half, n - half)]
        else:
            summary.add(
                s,
                generate_for(profile, seed, s, families),
                Outcome(
                    "died",
                    "the process checking it died (the interpreter crashed, e.g. "
                    "a segmentation fault in NumPy or in an oracle; run it alone "
                    "with python -X faulthandler to see where)",
                ),
            )
    return summary


def _run_slices(
    queue: list[tuple[int, int]],
    jobs: int,
    job: tuple[Any, ...],
    summary: Summary,
) -> list[tuple[int, int]]:
    """Run the slices ``(start, count)`` of ``queue`` with ``jobs`` processes,
    at most ``jobs`` at a time, adding their results to ``summary``; return
    the slices lost when a process died (the rest of the queue goes on in a
    new pool)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    pending = list(queue)
    lost: list[tuple[int, int]] = []
    while pending:
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            running: dict[Any, tuple[int, int]] = {}
            broken = False
            while (pending or running) and not broken:
                while pending and len(running) < jobs:
                    s, n = pending.pop(0)
                    seed, oracles, profile, families = job
                    future = pool.submit(
                        _worker, (seed, s, n, oracles, profile, families)
                    )
                    running[future] = (s, n)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    piece = running.pop(future)
                    try:
                        summary.merge(future.result())
                    except BrokenProcessPool:
                        lost.append(piece)
                        broken = True
            if broken:  # the others in flight are lost with it
                for future, piece in running.items():
                    try:
                        summary.merge(future.result())
                    except BrokenProcessPool:
                        lost.append(piece)
    return lost
