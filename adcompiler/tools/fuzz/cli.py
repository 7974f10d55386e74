"""The command line: ``python -m adcompiler.tools.fuzz``."""

from __future__ import annotations

import argparse
import os
import time
from typing import Sequence

from .campaign import PROFILES, generate_for, run, run_parallel
from .checker import check
from .corpus import corpus_header
from .frontend import FrontProgram, check_front, minimize_front
from .minimizer import minimize_failure
from .oracles import available_oracles
from .program import Outcome, Program
from .soundness import check_sound, minimize_sound


def _save(
    directory: str,
    seed: int,
    index: int,
    program: Program,
    outcome: Outcome,
    minimize_it: bool,
) -> str:
    os.makedirs(directory, exist_ok=True)
    if not isinstance(program, Program):  # the soundness or front-end profile
        front = isinstance(program, FrontProgram)
        if minimize_it and outcome.failed:
            program = (minimize_front if front else minimize_sound)(program, outcome)
            outcome = (check_front if front else check_sound)(program)
        stem = "front" if front else "sound"
        path = os.path.join(directory, f"{stem}_{seed}_{index}_{outcome.kind}.py")
        with open(path, "w") as handle:
            detail = "\n".join(f"# {line}" for line in outcome.detail.splitlines())
            handle.write(program.header() + detail + "\n" + program.source)
        return path
    if minimize_it and outcome.failed:
        program = minimize_failure(program, outcome)
        outcome = check(program)
    path = os.path.join(directory, f"fuzz_{seed}_{index}_{outcome.kind}.py")
    with open(path, "w") as handle:
        handle.write(
            corpus_header(program, outcome, "TODO: the correct behaviour")
            + program.source
        )
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run a campaign (or ``--show`` one program) as the command line says;
    print each failure and refusal, then the summary lines. Returns 1 if a
    program gave a mismatch, a crash or killed its process, else 0."""
    parser = argparse.ArgumentParser(
        prog="python -m adcompiler.tools.fuzz",
        description="Differential fuzzing of adcompiler's gradients against finite "
        "differences (and autograd or JAX when installed).",
    )
    parser.add_argument("--count", type=int, default=300, help="programs to run")
    parser.add_argument("--seed", type=int, default=0, help="campaign seed")
    parser.add_argument("--start", type=int, default=0, help="first program index")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--save-failures", metavar="DIR", help="write failing programs here"
    )
    parser.add_argument(
        "--minimize", action="store_true", help="minimize saved failures"
    )
    parser.add_argument(
        "--oracles",
        default="autograd",
        help="comma-separated: autograd, jax (each used if installed), or none "
        "(default: autograd; jax is thorough but slow: it traces every program)",
    )
    parser.add_argument(
        "--show", type=int, metavar="INDEX", help="print one program and exit"
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="print each failure"
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="default",
        help="default: the construct families, against finite differences and "
        "the oracles; soundness: the families of docs/fuzzing.md's 'Soundness "
        "profile' (memory, dependencies, rules that lie), against plain Python "
        "and finite differences (--oracles does not apply); frontend: the "
        "families of docs/fuzzing.md's 'The front-end profile' (Python as people "
        "write it), checked the same way, the refusals grouped by message; "
        "coverage: the functions of issue #17 (generator/coverage17.py's table), "
        "checked at orders 1 and 2",
    )
    parser.add_argument(
        "--family",
        action="append",
        metavar="NAME",
        help="soundness or frontend profile: only this family (repeatable)",
    )
    args = parser.parse_args(argv)
    families = args.family
    if families and args.profile == "default":
        parser.error("--family applies to --profile soundness or frontend only")

    if args.show is not None:
        program = generate_for(args.profile, args.seed, args.show, families)
        print(program.header() + program.source, end="")
        return 0

    began = time.perf_counter()
    wanted = [] if args.oracles == "none" else args.oracles.split(",")
    oracles = tuple(available_oracles(wanted))
    if args.jobs > 1:
        summary = run_parallel(
            args.count,
            args.seed,
            start=args.start,
            oracles=oracles,
            jobs=args.jobs,
            profile=args.profile,
            families=families,
        )
    else:
        summary = run(
            args.count,
            args.seed,
            start=args.start,
            oracles=oracles,
            profile=args.profile,
            families=families,
        )
    summary.seconds = time.perf_counter() - began

    for index, program, outcome in summary.failures:
        first = outcome.detail.strip().splitlines()[0] if outcome.detail else ""
        print(f"program {index}: {outcome.kind}: {first}")
        if args.verbose:
            print(program.source)
            print(outcome.detail)
        if args.save_failures:
            path = _save(
                args.save_failures, args.seed, index, program, outcome, args.minimize
            )
            print(f"  saved {path}")
    if args.profile == "frontend":  # many refusals: grouped by message
        if args.verbose:
            for index, message in summary.unsupported:
                print(f"program {index}: unsupported: {message}")
        if summary.unsupported:
            print(summary.refusal_table())
    else:
        for index, message in summary.unsupported:
            print(f"program {index}: unsupported: {message}")
    if summary.by_family:
        print(summary.family_table())
    print(summary.line())
    print(summary.details())
    failed = sum(summary.counts.get(kind, 0) for kind in ("mismatch", "crash", "died"))
    return 1 if failed else 0
