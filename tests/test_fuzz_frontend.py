"""The fuzzer's front-end profile (``--profile frontend``, docs/fuzzing.md
"The front-end profile"): its generator is deterministic and writes valid
programs of every family, whose plain Python reference (value, central
differences) is finite; its checker tells a match, a wrong gradient, a
refusal and a crash apart; and a small campaign through adcompiler itself
finds no mismatch and no crash.

On today's main most front-end programs are refused, so the checker is
tested with stand-ins for ``adcompiler.value_and_grad``: an exact one
(plain Python and central differences, through the reference the checker
builds, so it also sees the trees flattened and the nested ``grad``
replaced), a wrong one, a refusing one and a crashing one.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

from adcompiler.errors import ADError, UnsupportedSyntaxError
from adcompiler.tools import fuzz
from adcompiler.tools.fuzz.campaign import run
from adcompiler.tools.fuzz.frontend import (
    FAMILIES,
    FrontProgram,
    check_front,
    complex_step_grad,
    flatten,
    generate_front,
    minimize_front,
    refusal_key,
)
from adcompiler.tools.fuzz.soundness import Arg
from adcompiler.tools.fuzz.soundness.checker import _copies, _fd

PER_FAMILY = 4


def _module_globals(target: Any) -> dict[str, Any]:
    """The globals of the module a target (function, bound method,
    instance) comes from."""
    for fn in (target, getattr(target, "__func__", None), type(target).__call__):
        if hasattr(fn, "__globals__"):
            return fn.__globals__
    raise AssertionError(f"no module for {target!r}")


def _exact_for(program: FrontProgram, seen: list[Any] | None = None) -> Callable:
    """A stand-in for ``value_and_grad`` that is right by construction:
    the program's plain ``f`` (with the complex-step ``grad`` of a nested
    program) and central differences. It also checks that the target
    agrees with ``f`` in plain Python and that every value and derivative
    is finite; a tree's gradient is the tuple of its leaves' (``flatten``
    maps it to the same list)."""

    def make(target: Any, wrt: Any) -> Callable:
        module = _module_globals(target)

        def plain(fn: Callable) -> Callable:
            def call(*args: Any) -> Any:
                saved = module.get(program.nested) if program.nested else None
                if program.nested:
                    module[program.nested] = complex_step_grad
                try:
                    return fn(*args)
                finally:
                    if program.nested:
                        module[program.nested] = saved

            return call

        reference = plain(module["f"])

        def run(*args: Any) -> tuple[Any, tuple[Any, ...]]:
            leaves = flatten(args[0]) if program.tree else list(args)
            value = reference(*_copies(leaves))
            again = plain(target)(*_copies(args))
            assert np.allclose(value, again, rtol=1e-12), (value, again)
            grads = _fd(reference, leaves, 1e-6)
            assert np.all(np.isfinite(value))
            assert all(np.all(np.isfinite(g)) for g in grads), grads
            if seen is not None:
                seen.append(value)
            return value, tuple(grads)

        return run

    return make


def _wrong_for(program: FrontProgram) -> Callable:
    """A wrong one: the right value, the gradient times 1.1 plus 0.1."""
    exact = _exact_for(program)

    def make(target: Any, wrt: Any) -> Callable:
        right = exact(target, wrt)

        def run(*args: Any) -> tuple[Any, tuple[Any, ...]]:
            value, grads = right(*args)
            return value, tuple(
                g * 1.1 + 0.1 if isinstance(g, np.ndarray) else float(g * 1.1 + 0.1)
                for g in grads
            )

        return run

    return make


def _programs(family: str, count: int = PER_FAMILY) -> list[FrontProgram]:
    return [generate_front(4, index, [family]) for index in range(count)]


def test_generation_is_deterministic_per_seed() -> None:
    for index in range(2 * len(FAMILIES)):
        assert generate_front(7, index) == generate_front(7, index)
    assert generate_front(7, 3).source != generate_front(8, 3).source
    names = list(FAMILIES)
    for index in range(2 * len(names)):
        assert generate_front(1, index).family == names[index % len(names)]
    with pytest.raises(ValueError, match="unknown frontend family"):
        generate_front(1, 0, ["closures"])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_writes_varied_programs(family: str) -> None:
    programs = _programs(family, 12)
    assert len({p.source for p in programs}) >= 8
    # several constructs per program: most mix in an extra of another family
    assert all(p.family == family for p in programs)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_runs_in_plain_python_with_a_finite_reference(family: str) -> None:
    """Every program imports, runs in plain Python (its target agreeing
    with ``f``), and has a finite value and finite central differences:
    through the exact stand-in it is a match, and through a gradient off by
    10 % a mismatch."""
    for program in _programs(family):
        seen: list[Any] = []
        right = check_front(program, compile=_exact_for(program, seen))
        assert right.kind == "ok", (right.kind, right.detail, program.source)
        assert seen and all(np.all(np.isfinite(v)) for v in seen)
        wrong = check_front(program, compile=_wrong_for(program))
        assert wrong.kind == "mismatch", (wrong.detail, program.source)
        assert "gradient vs finite differences" in wrong.detail


def test_a_wrong_value_and_a_wrong_output_shape_are_mismatches() -> None:
    program = generate_front(2, 0, ["size1_output"])
    exact = _exact_for(program)

    def shifted(target: Any, wrt: Any) -> Callable:
        right = exact(target, wrt)
        return lambda *args: (right(*args)[0] + 1e-3, right(*args)[1])

    def doubled(target: Any, wrt: Any) -> Callable:
        right = exact(target, wrt)
        return lambda *args: (np.repeat(np.ravel(right(*args)[0]), 2), right(*args)[1])

    assert "value: adcompiler" in check_front(program, compile=shifted).detail
    outcome = check_front(program, compile=doubled)
    assert outcome.kind == "mismatch" and "of shape (2,)" in outcome.detail


def _program(body: str, prelude: str = "", **kw: Any) -> FrontProgram:
    source = f"import numpy as np\n{prelude}\n\ndef f(x):\n" + body
    return FrontProgram(source, "test", [Arg((3,))], **kw)


def test_refusals_and_crashes_are_told_apart() -> None:
    program = _program("    return np.sum(np.sin(x))\n")

    def refuse_when_made(target: Any, wrt: Any) -> Callable:
        raise ADError("refused on purpose")

    def refuse(target: Any, wrt: Any) -> Callable:
        def run(*args: Any) -> Any:
            raise UnsupportedSyntaxError("refused when called")

        return run

    def crash(target: Any, wrt: Any) -> Callable:
        def run(*args: Any) -> Any:
            raise ValueError("broken on purpose")

        return run

    made = check_front(program, compile=refuse_when_made)
    assert made.kind == "unsupported" and "refused on purpose" in made.detail
    assert check_front(program, compile=refuse).kind == "unsupported"
    crashed = check_front(program, compile=crash)
    assert crashed.kind == "crash" and "broken on purpose" in crashed.detail
    assert check_front(program).kind == "ok"  # adcompiler itself: cos(x)


def test_adcompiler_refuses_what_it_cannot_read() -> None:
    """A refused program through adcompiler itself: ``eval`` of a string
    has no source to transform."""
    program = _program('    return np.sum(eval("x * x"))\n')
    outcome = check_front(program)
    assert outcome.kind == "unsupported", outcome.detail


def test_the_target_and_the_tree_reach_adcompiler() -> None:
    """A lambda target, and a NamedTuple tree whose gradient is flattened
    in the order of the arguments: what adcompiler receives is the target,
    called with the tree built from the arguments."""
    received: list[Any] = []
    prelude = (
        "from typing import NamedTuple\n\n\nclass P(NamedTuple):\n"
        "    a: np.ndarray\n    b: np.ndarray\n\n\n"
        "loss = lambda p: np.sum(p.a * p.b)\n"
    )
    program = FrontProgram(
        f"import numpy as np\n{prelude}\n\ndef f(x, y):\n    return loss(P(x, y))\n",
        "test",
        [Arg((2,)), Arg((2,))],
        target="loss",
        tree="P(a={0}, b={1})",
    )

    def spy(target: Any, wrt: Any) -> Callable:
        received.append((target.__name__, wrt))

        def run(p: Any) -> Any:
            received.append(type(p).__name__)
            return target(p), type(p)(p.b, p.a)  # d(a.b)/da = b, /db = a

        return run

    assert check_front(program, compile=spy).kind == "ok"
    assert received[0] == ("<lambda>", 0) and received[1] == "P"
    swapped = FrontProgram(**{**program.__dict__, "tree": "P(a={1}, b={0})"})
    assert check_front(swapped, compile=spy).kind == "mismatch"


def test_the_nested_reference_is_a_complex_step() -> None:
    u = np.array([0.3, -1.2, 0.7])
    got = complex_step_grad(lambda v: np.sum(np.sin(v) * v))(u)
    assert np.allclose(got, np.cos(u) * u + np.sin(u), rtol=1e-14, atol=0.0)
    g = complex_step_grad(lambda a, v: a * np.sum(v**3), wrt=1)(2.0, u)
    assert np.allclose(g, 6.0 * u**2, rtol=1e-14)
    assert complex_step_grad(lambda s: np.tanh(s))(0.4) == pytest.approx(
        1.0 - np.tanh(0.4) ** 2, rel=1e-14
    )


def test_refusals_are_grouped_without_their_place() -> None:
    a = "UnsupportedSyntaxError: /tmp/adfuzz_x/adfuzz_12_3.py:6:7: assert is not supported"
    b = "UnsupportedSyntaxError: /tmp/adfuzz_y/adfuzz_40_9.py:2:4: assert is not supported"
    assert (
        refusal_key(a)
        == refusal_key(b)
        == ("UnsupportedSyntaxError: assert is not supported")
    )
    c = "SourceUnavailableError: cannot differentiate <adfuzz_1_2.Model object at 0x7f12>"
    assert (
        refusal_key(c)
        == "SourceUnavailableError: cannot differentiate <<module>.Model object>"
    )
    summary = fuzz.Summary()
    for index, message in enumerate([a, b, c]):
        summary.add(
            index, _program("    return 0.0\n"), fuzz.Outcome("unsupported", message)
        )
    assert summary.refusals() == [
        ("UnsupportedSyntaxError: assert is not supported", 2),
        ("SourceUnavailableError: cannot differentiate <<module>.Model object>", 1),
    ]
    assert "| 2 | UnsupportedSyntaxError: assert is not supported |" in (
        summary.refusal_table()
    )


def test_minimizing_keeps_the_failure() -> None:
    program = generate_front(4, 1, ["side_effects"])
    wrong = _wrong_for(program)
    outcome = check_front(program, compile=wrong)
    assert outcome.kind == "mismatch"
    small = minimize_front(program, outcome, budget=40, compile=wrong)
    assert len(small.source) <= len(program.source)
    assert (small.family, small.target, small.args) == (
        program.family,
        program.target,
        program.args,
    )
    assert check_front(small, compile=wrong).kind == "mismatch"


def test_a_small_campaign_has_no_mismatch_and_no_crash() -> None:
    """60 programs through adcompiler: whatever is accepted must be right;
    each refusal is counted under its message."""
    summary = run(60, 11, profile="frontend")
    counts = summary.counts
    assert summary.programs == 60
    assert counts.get("mismatch", 0) == 0, summary.failures
    assert counts.get("crash", 0) == 0, summary.failures
    assert counts.get("invalid", 0) == 0, summary.failures
    assert sum(n for _, n in summary.refusals()) == counts.get("unsupported", 0)
    assert all(".py:" not in key for key, _ in summary.refusals())
    assert set(summary.by_family) == set(FAMILIES)


def test_the_command_line_runs_the_profile(capsys: pytest.CaptureFixture[str]) -> None:
    code = fuzz.main(["--profile", "frontend", "--seed", "2", "--count", "12"])
    out = capsys.readouterr().out
    assert code == 0
    assert "| family | programs |" in out and "programs: 12" in out
    if "unsupported: 0" not in out:
        assert "| refusals | message (first line) |" in out
    nested = str(list(FAMILIES).index("nested_grad"))
    fuzz.main(["--profile", "frontend", "--seed", "2", "--show", nested])
    shown = capsys.readouterr().out
    assert shown.startswith("# fuzz-frontend: family=nested_grad")
    assert "# target: f" in shown and "complex step" in shown
    fuzz.main(["--profile", "frontend", "--family", "dicts", "--count", "3"])
    assert "| dicts | 3 |" in capsys.readouterr().out
