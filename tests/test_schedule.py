"""The pass schedule (adcompiler.passes.schedule): the declared order is the
order passes run in, for every kind of graph; a pass whose needs are not
met is refused; and nothing in the package calls a scheduled pass but the
schedule."""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

import numpy as np
import pytest

import adcompiler
from adcompiler.ir import AdjointGraph, Graph, Namer
from adcompiler.options import optimizations
from adcompiler.passes import schedule
from adcompiler.passes.schedule import (
    GIVEN,
    OUTSIDE,
    SCHEDULE,
    Facts,
    Pass,
    ScheduleError,
    check_schedule,
    run_passes,
)

PACKAGE = Path(adcompiler.__file__).parent


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the scheduled passes that run, in order: every entry of
    SCHEDULE wrapped to record itself before it runs."""
    found: list[str] = []

    def recording(entry: Pass) -> Pass:
        def fn(graph, *facts):
            found.append(entry.name)
            entry.fn(graph, *facts)

        return dataclasses.replace(entry, fn=fn)

    monkeypatch.setattr(schedule, "SCHEDULE", tuple(map(recording, SCHEDULE)))
    return found


def _graph() -> Graph:
    return Graph("g", Namer(set()))


def _declared(kind: str, optimize: bool) -> list[str]:
    return [p.name for p in SCHEDULE if p.applies(kind, optimize)]


def loop_loss(x, w):
    h = x
    for _ in range(3):
        h = np.tanh(h * w)
    return np.sum(h * h)


def split_loss(x, w):
    h = x
    for _ in range(2):
        h = np.sin(h) * w
    return h


def tangent_fn(x, w):
    return np.sin(x) * w


def unoptimised_loss(x, w):
    return np.sum(np.exp(x) * w)


def test_grad_runs_the_declared_order(ran: list[str]) -> None:
    x, w = np.ones(3), np.full(3, 0.5)
    adcompiler.grad(loop_loss, wrt=(0, 1))(x, w)
    assert ran == _declared("lowered", True) + _declared("grad", True)
    assert "accumulate in place" in ran and "choose residuals" not in ran


def test_vjp_runs_the_declared_order(ran: list[str]) -> None:
    _, pullback = adcompiler.vjp(split_loss, np.ones(3), np.full(3, 0.5))
    pullback(np.ones(3))
    assert ran == _declared("lowered", True) + _declared("split", True)
    assert ran[-1] == "choose residuals"


def test_jvp_runs_the_declared_order(ran: list[str]) -> None:
    adcompiler.jvp(tangent_fn, (np.ones(3), 2.0), (np.ones(3), 1.0))
    assert ran == _declared("lowered", True) + _declared("tangent", True)


def test_without_optimisations_only_the_needed_passes_run(ran: list[str]) -> None:
    with optimizations(False):
        adcompiler.grad(unoptimised_loss)(np.ones(3), np.ones(3))
    assert ran == _declared("lowered", False) + _declared("grad", False)
    assert not any(p.optional for p in SCHEDULE if p.name in ran)
    assert "share loop names" in ran and "read shapes early" not in ran


def test_run_passes_returns_what_ran(ran: list[str]) -> None:
    result = run_passes(_graph(), "tangent", Facts(), True)
    assert result == ran == ["eliminate dead code"]


def test_a_missing_fact_is_refused() -> None:
    graph = AdjointGraph("g", Namer(set()))
    with pytest.raises(ScheduleError, match="prune restores.*'restores'"):
        run_passes(graph, "grad", Facts(accumulations=set()), True)


def test_a_missing_property_is_refused() -> None:
    calls: list[str] = []
    first = Pass("first", lambda g: calls.append("first"), frozenset({"tangent"}))
    needs = Pass(
        "needs tapes",
        lambda g: calls.append("needs"),
        frozenset({"tangent"}),
        after=("tapes",),
    )
    with pytest.raises(ScheduleError, match="needs tapes.*property 'tapes'"):
        run_passes(_graph(), "tangent", Facts(), True, (first, needs))
    assert calls == ["first"]  # refused before it ran


def test_the_schedule_meets_every_need() -> None:
    check_schedule(SCHEDULE, GIVEN)  # also run at import


def test_tapes_before_names_is_refused() -> None:
    names = next(p for p in SCHEDULE if p.name == "share loop names")
    reordered = tuple(p for p in SCHEDULE if p is not names) + (names,)
    with pytest.raises(ScheduleError, match="assign tapes.*'loop names'"):
        check_schedule(reordered, GIVEN)


def test_a_need_only_an_optimisation_gives_is_refused() -> None:
    """With optimisations off, an optional pass gives nothing: a pass that
    always runs cannot rely on it."""
    gives = Pass("gives", lambda g: None, frozenset({"tangent"}), gives=("p",))
    needs = Pass("needs", lambda g: None, frozenset({"tangent"}), after=("p",))
    check_schedule((gives, needs), GIVEN)
    with pytest.raises(ScheduleError, match="not optimising"):
        check_schedule((dataclasses.replace(gives, optional=True), needs), GIVEN)


def test_a_fact_the_transformation_does_not_give_is_refused() -> None:
    uses = Pass("uses", lambda g, r: None, frozenset({"tangent"}), uses=("restores",))
    with pytest.raises(ScheduleError, match="fact 'restores'"):
        check_schedule((uses,), GIVEN)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        run_passes(_graph(), "hessian", Facts(), True)


# -- the schedule is the only caller -------------------------------------


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(["adcompiler", *parts])] = path
    return found


def _imported(module: str, path: Path) -> list[tuple[str, str, int]]:
    """``(module imported from, name, line)`` for each ``from ... import``."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            source = node.module or ""
            if node.level:
                source = f"{base}.{source}" if source else base
            for alias in node.names:
                found.append((source, alias.name, node.lineno))
    return found


SCHEDULED = {id(p.fn) for p in SCHEDULE}
SCHEDULED_NAMES = {p.fn.__name__ for p in SCHEDULE}


def test_no_module_but_the_schedule_imports_a_scheduled_pass() -> None:
    offending = []
    for module, path in _modules().items():
        if module == "adcompiler.passes.schedule":
            continue
        for source, name, line in _imported(module, path):
            if not source.startswith("adcompiler"):
                continue
            obj = getattr(importlib.import_module(source), name, None)
            if id(obj) in SCHEDULED:
                offending.append(f"{module}:{line} imports {name} from {source}")
    assert not offending, "\n".join(offending)


def test_no_module_but_the_schedule_names_a_scheduled_pass() -> None:
    """Not even through an attribute (``dce.eliminate_dead_code(g)``): the
    only mention of a scheduled function's name is its definition."""
    offending = []
    for module, path in _modules().items():
        if module == "adcompiler.passes.schedule":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr if isinstance(node, ast.Attribute) else None
            )
            if name in SCHEDULED_NAMES:
                offending.append(f"{module}:{node.lineno} names {name}")
    assert not offending, "\n".join(offending)


def test_what_the_package_calls_outside_the_schedule_is_declared() -> None:
    """Every function or class of adcompiler.passes imported by a module
    outside the subpackage is the schedule's or listed in OUTSIDE."""
    allowed = {f"schedule.{n}" for n in ("Facts", "run_passes")} | set(OUTSIDE)
    undeclared = []
    for module, path in _modules().items():
        if module.startswith("adcompiler.passes"):
            continue
        for source, name, line in _imported(module, path):
            if not source.startswith("adcompiler.passes."):
                continue
            obj = getattr(importlib.import_module(source), name)
            short = f"{source.removeprefix('adcompiler.passes.')}.{name}"
            if callable(obj) and short not in allowed:
                undeclared.append(f"{module}:{line} imports {short}")
    assert not undeclared, "\n".join(undeclared)
    for entry in OUTSIDE:  # and each declared exception exists
        source, _, name = entry.rpartition(".")
        assert callable(
            getattr(importlib.import_module(f"adcompiler.passes.{source}"), name)
        )
