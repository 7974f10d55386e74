"""The fuzzer's soundness profile (``--profile soundness``,
docs/fuzzing.md "Soundness profile"): its generator is deterministic and
writes valid programs of every family, and its checker classifies right,
wrong, stale, refused and crashing compiled functions correctly.

On current main many soundness programs mismatch (the bugs of issue #15),
so the checker is tested here with stand-ins for adcompiler: an exact one
(plain Python and central differences), deliberately wrong ones, a stale
one, a refusing one and a crashing one. Programs also go through adcompiler
itself, where the outcome is known not to depend on those bugs.
"""

from __future__ import annotations

import types
from typing import Any, Callable

import numpy as np
import pytest

from adcompiler.errors import ADError
from adcompiler.tools import fuzz
from adcompiler.tools.fuzz.soundness import (
    FAMILIES,
    Arg,
    SoundProgram,
    check_sound,
    generate_sound,
    minimize_sound,
)
from adcompiler.tools.fuzz.soundness.checker import _copies, _fd, writes_arguments

PER_FAMILY = 4


def _exact(f: Callable, wrt: tuple[int, ...]) -> Callable:
    """A stand-in for ``value_and_grad`` that is right by construction:
    Python's value (on copies) and central differences."""

    def run(*args: Any) -> tuple[Any, tuple[Any, ...]]:
        value = f(*_copies(args))
        return value, tuple(_fd(f, args, 1e-6))

    return run


def _scaled(f: Callable, wrt: tuple[int, ...]) -> Callable:
    """A wrong one: the right value, the gradient times 1.1 plus 0.1."""
    exact = _exact(f, wrt)

    def run(*args: Any) -> tuple[Any, tuple[Any, ...]]:
        value, grads = exact(*args)
        return value, tuple(
            g * 1.1 + 0.1 if isinstance(g, np.ndarray) else float(g * 1.1 + 0.1)
            for g in grads
        )

    return run


def _programs(family: str, count: int = PER_FAMILY) -> list[SoundProgram]:
    return [generate_sound(3, index, [family]) for index in range(count)]


def test_generator_is_deterministic_by_seed() -> None:
    for index in range(len(FAMILIES) * 2):
        a, b = generate_sound(7, index), generate_sound(7, index)
        assert a == b
    sources = {generate_sound(7, index).source for index in range(40)}
    assert len(sources) > 30  # varied programs, not one template per family
    assert generate_sound(7, 3).source != generate_sound(8, 3).source


def test_a_campaign_cycles_through_the_families() -> None:
    names = list(FAMILIES)
    for index in range(2 * len(names)):
        assert generate_sound(1, index).family == names[index % len(names)]
    assert {generate_sound(1, i, ["modulo"]).family for i in range(5)} == {"modulo"}
    with pytest.raises(ValueError, match="unknown soundness family"):
        generate_sound(1, 0, ["lambdas"])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_writes_varied_programs(family: str) -> None:
    sources = {p.source for p in _programs(family, 12)}
    assert len(sources) >= 8


@pytest.mark.parametrize("family", list(FAMILIES))
def test_an_exact_gradient_matches_and_a_wrong_one_mismatches(family: str) -> None:
    """With a stand-in that is right by construction, every program of a
    family that expects a result matches (the programs run, the point is
    smooth, the oracle agrees with itself); a family that expects a
    refusal mismatches on any value. A gradient off by 10 % is a mismatch
    everywhere."""
    for program in _programs(family):
        right = check_sound(program, compile=_exact)
        wrong = check_sound(program, compile=_scaled)
        if program.expect == "refusal":
            assert right.kind == "mismatch", right.detail
            assert "expected a refusal" in right.detail
            assert "right against Python" in right.detail
        else:
            assert right.kind == "ok", (right.detail, program.source)
            assert wrong.kind == "mismatch", (wrong.detail, program.source)
            assert "gradient vs finite differences" in wrong.detail


@pytest.mark.parametrize("family", list(FAMILIES))
def test_adcompiler_runs_every_family(family: str) -> None:
    """A few programs per family through adcompiler itself: each is a
    match, a mismatch, a crash or a refusal, never invalid (a program that
    fails in plain Python) nor skipped; a family that expects a refusal
    is never a match."""
    for program in _programs(family, 3):
        outcome = check_sound(program)
        assert outcome.kind in ("ok", "mismatch", "crash", "unsupported"), (
            outcome.kind,
            outcome.detail,
            program.source,
        )
        if program.expect == "refusal":
            assert outcome.kind != "ok"


def _source(body: str, prelude: str = "") -> str:
    return f"import numpy as np\n{prelude}\n\ndef f(x):\n" + body


def test_refusals_and_crashes_are_told_apart() -> None:
    program = SoundProgram(_source("    return np.sum(x * x)\n"), "test", [Arg((3,))])

    def refuse(f: Callable, wrt: tuple[int, ...]) -> Callable:
        def run(*args: Any) -> Any:
            raise ADError("refused on purpose")

        return run

    def crash(f: Callable, wrt: tuple[int, ...]) -> Callable:
        def run(*args: Any) -> Any:
            raise ValueError("broken on purpose")

        return run

    assert check_sound(program, compile=refuse).kind == "unsupported"
    crashed = check_sound(program, compile=crash)
    assert crashed.kind == "crash" and "broken on purpose" in crashed.detail
    assert check_sound(program).kind == "ok"  # adcompiler: 2 x


def test_a_wrong_value_is_a_mismatch() -> None:
    program = SoundProgram(_source("    return np.sum(x * x)\n"), "test", [Arg((3,))])

    def off(f: Callable, wrt: tuple[int, ...]) -> Callable:
        exact = _exact(f, wrt)

        def run(*args: Any) -> Any:
            value, grads = exact(*args)
            return value + 1e-6, grads

        return run

    outcome = check_sound(program, compile=off)
    assert outcome.kind == "mismatch" and outcome.detail.startswith("value:")


def test_arguments_are_left_as_they_were_or_as_python_leaves_them() -> None:
    """docs/subset.md section 7: writing into an argument gives the right
    gradient and leaves the caller's array alone. Leaving it as Python
    does is right too; any third state is a mismatch. Every evaluation of
    the differences runs on fresh copies, so a program that writes into
    its argument still has its true gradient."""
    program = SoundProgram(
        _source("    x[0] = 1.33\n    return np.sum(x * x)\n"), "test", [Arg((3,))]
    )
    assert writes_arguments(program)
    assert check_sound(program).kind == "ok"  # adcompiler: x unchanged
    assert check_sound(program, compile=_exact).kind == "ok"

    def like_python(f: Callable, wrt: tuple[int, ...]) -> Callable:
        exact = _exact(f, wrt)

        def run(*args: Any) -> Any:
            value, grads = exact(*args)
            args[0][0] = 1.33
            return value, grads

        return run

    def scribble(f: Callable, wrt: tuple[int, ...]) -> Callable:
        exact = _exact(f, wrt)

        def run(*args: Any) -> Any:
            value, grads = exact(*args)
            args[0][1] = 7.0
            return value, grads

        return run

    assert check_sound(program, compile=like_python).kind == "ok"
    outcome = check_sound(program, compile=scribble)
    assert outcome.kind == "mismatch" and "argument 0 after the call" in outcome.detail

    # the gradient of x -> sum(x*x) after x[0] = 1.33 is 2x with 0 first
    def writer(a: np.ndarray) -> float:
        a[0] = 1.33
        return float(np.sum(a * a))

    x = np.array([0.5, -0.25, 1.0])
    g = _fd(writer, [x], 1e-6)[0]
    np.testing.assert_allclose(g, [0.0, -0.5, 2.0], atol=1e-8)
    assert x.tolist() == [0.5, -0.25, 1.0]


def test_a_stale_compiled_function_is_caught_after_a_module_change() -> None:
    """The module-attribute family changes what ``f`` reads between calls;
    a compiled function that kept the old value (here: ``f`` run with a
    snapshot of its globals taken at compile time) mismatches after the
    change, and an exact one matches."""
    stale_programs = [
        p
        for p in (generate_sound(5, i, ["module_attribute"]) for i in range(40))
        if p.changes[0].where == "module"
    ]
    assert stale_programs
    for program in stale_programs[:3]:

        def stale(f: Callable, wrt: tuple[int, ...]) -> Callable:
            frozen = types.FunctionType(f.__code__, dict(f.__globals__))
            return _exact(frozen, wrt)

        assert check_sound(program, compile=_exact).kind == "ok"
        outcome = check_sound(program, compile=stale)
        assert outcome.kind == "mismatch", (outcome.detail, program.source)
        assert "after module." in outcome.detail and "same function" in outcome.detail


def test_a_settings_module_is_written_and_changed() -> None:
    settings = [
        p
        for p in (generate_sound(5, i, ["module_attribute"]) for i in range(60))
        if p.settings_source
    ]
    assert settings and all("__SETTINGS__" in p.source for p in settings)
    seen = []

    def spy(f: Callable, wrt: tuple[int, ...]) -> Callable:
        exact = _exact(f, wrt)

        def run(*args: Any) -> Any:
            module = f.__globals__["settings"]
            change = settings[0].changes[0]
            seen.append(repr(getattr(module, change.attr)))
            return exact(*args)

        return run

    assert check_sound(settings[0], compile=spy).kind == "ok"
    assert len(set(seen)) == 2  # the old value, then the changed one


def test_a_point_near_a_kink_is_redrawn_not_a_mismatch() -> None:
    """At a point within the step of a kink the differences depend on the
    step: the checker draws another point (here every point is that close,
    so the program is skipped), even for a right gradient."""
    near = SoundProgram(
        _source("    return np.sum(np.abs(x - 0.7)) + np.sum(x % 0.35)\n"),
        "test",
        [Arg((2,), low=0.7 - 3e-7, high=0.7 + 3e-7)],
    )

    def sign(f: Callable, wrt: tuple[int, ...]) -> Callable:
        def run(x: np.ndarray) -> Any:
            return f(x.copy()), (np.sign(x - 0.7) + 1.0,)

        return run

    assert check_sound(near, compile=sign).kind == "skipped"
    far = SoundProgram(near.source, "test", [Arg((2,), low=0.1, high=0.3)])
    assert check_sound(far, compile=sign).kind == "ok"


def test_minimizing_keeps_the_failure_and_the_family() -> None:
    program = SoundProgram(
        "import numpy as np\nfrom adcompiler import stop_gradient\n\n\n"
        "def f(x):\n"
        "    y = x * 2.0\n"
        "    a = np.sin(x) * 2.0\n"
        "    d = {'w': y}\n"
        "    d['w'] = d['w'] * stop_gradient(x)\n"
        "    return np.sum(a) + np.sum(d['w'])\n",
        "test",
        [Arg((3,))],
    )
    outcome = check_sound(program)
    assert outcome.kind == "mismatch"
    small = minimize_sound(program, outcome, budget=100)
    assert check_sound(small).kind == "mismatch"
    assert "np.sin" not in small.source and len(small.source) < len(program.source)
    # `y = x * 2.0` must not become `y = x`: that would write into x
    assert not writes_arguments(small)


def test_the_command_line_runs_the_profile(capsys: pytest.CaptureFixture[str]) -> None:
    code = fuzz.main(
        ["--profile", "soundness", "--count", "4", "--seed", "3", "--family", "modulo"]
    )
    out = capsys.readouterr().out
    assert "| modulo | 4 |" in out and "programs: 4, mismatches: " in out
    assert code in (0, 1)
    fuzz.main(["--profile", "soundness", "--seed", "3", "--show", "5"])
    shown = capsys.readouterr().out
    program = generate_sound(3, 5)
    assert shown == program.header() + program.source
    assert "# fuzz-soundness: family=module_attribute" in shown


def test_the_default_profile_is_unchanged() -> None:
    # the soundness profile is selected, never drawn into default campaigns
    program = fuzz.generate(7, 3)
    assert not hasattr(program, "family")
    assert "def f(x, y)" in program.source


def test_module_arrays_are_put_back_before_every_evaluation() -> None:
    """A program that writes into a module-level array changes it for the
    next call in Python; the checker restores it before each evaluation, so
    a right stand-in matches (it too must restore the array between its own
    evaluations), and one that leaves the array in a third state, or whose
    gradient is wrong, mismatches."""
    program = SoundProgram(
        _source(
            "    v = G[:2]\n    v += x[:2]\n    return np.sum(G * x)\n",
            "\nG = np.linspace(0.1, 0.9, 3)\n",
        ),
        "test",
        [Arg((3,))],
    )

    def restoring(
        make: Callable, third_state: bool = False
    ) -> Callable[[Callable, tuple[int, ...]], Callable]:
        def compile(f: Callable, wrt: tuple[int, ...]) -> Callable:
            G = f.__globals__["G"]
            saved = G.copy()

            def fresh(*args: Any) -> Any:
                G[...] = saved
                return f(*args)

            inner = make(fresh, wrt)

            def run(*args: Any) -> Any:
                out = inner(*args)
                fresh(*_copies(args))  # G as Python leaves it
                if third_state:
                    G[2] = 5.0
                return out

            return run

        return compile

    assert check_sound(program, compile=restoring(_exact)).kind == "ok"
    outcome = check_sound(program, compile=restoring(_exact, third_state=True))
    assert outcome.kind == "mismatch" and "global G after the call" in outcome.detail
    wrong = check_sound(program, compile=restoring(_scaled))
    assert wrong.kind == "mismatch" and "gradient" in wrong.detail


def test_a_known_jump_of_modulo_near_the_point_is_redrawn() -> None:
    """The modulo family writes ``_kinks``, the quotients of its ``%``: a
    point whose quotient is within 1e-3 of an integer is not compared (the
    jump could fall inside a difference step)."""
    source = _source("    return np.sum(x % 0.5)\n") + (
        "\n\ndef _kinks(x):\n    return [x / 0.5]\n"
    )
    near = SoundProgram(source, "test", [Arg((2,), low=0.5 - 2e-4, high=0.5 + 2e-4)])
    outcome = check_sound(near, compile=_exact)
    assert outcome.kind == "skipped" and "a jump of %" in outcome.detail
    far = SoundProgram(source, "test", [Arg((2,), low=0.6, high=0.9)])
    assert check_sound(far, compile=_exact).kind == "ok"
    assert all("def _kinks(" in p.source for p in _programs("modulo"))


@pytest.mark.parametrize("where", ["reload", "f", "module", "Config", "cfg"])
def test_each_kind_of_change_reaches_the_function(where: str) -> None:
    """An edited and reloaded settings file, ``f.__defaults__``, a module
    function or global replaced, a class attribute, a namespace field: the
    checker's change is what ``f`` reads on the next calls."""
    program = next(
        p
        for p in (generate_sound(9, i, ["module_attribute"]) for i in range(200))
        if p.changes[0].where == where
    )
    change = program.changes[0]
    seen: list[str] = []

    def spy(f: Callable, wrt: tuple[int, ...]) -> Callable:
        exact = _exact(f, wrt)

        def run(*args: Any) -> Any:
            if where == "f":
                seen.append(repr(f.__defaults__))
            else:
                holder = {
                    "reload": lambda: f.__globals__["settings"],
                    "module": lambda: types.SimpleNamespace(**f.__globals__),
                }.get(where, lambda: f.__globals__[where])()
                seen.append(repr(getattr(holder, change.attr)))
            return exact(*args)

        return run

    assert check_sound(program, compile=spy).kind == "ok", program.source
    assert len(set(seen)) == 2, (seen, program.source)


def test_a_value_that_is_not_a_real_scalar_is_a_mismatch() -> None:
    program = SoundProgram(_source("    return np.sum(x * x)\n"), "test", [Arg((3,))])

    def returning(make: Callable[[Any], Any]) -> Callable:
        def compile(f: Callable, wrt: tuple[int, ...]) -> Callable:
            exact = _exact(f, wrt)

            def run(*args: Any) -> Any:
                value, grads = exact(*args)
                return make(value), grads

            return run

        return compile

    for make in (lambda v: v + 0j, lambda v: np.array([v, v])):
        outcome = check_sound(program, compile=returning(make))
        assert outcome.kind == "mismatch" and "Python the real scalar" in outcome.detail
