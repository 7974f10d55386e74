"""The soundness profile's checker: :func:`check_sound` runs a
:class:`~.program.SoundProgram` in plain Python and through
``adcompiler.value_and_grad`` and classifies the result.

The reference is Python itself: the value from ``f`` run on copies of the
arguments (and the arguments as ``f`` leaves them, since these programs may
write into them), the gradient from central differences in float64, each
evaluation on fresh copies of every argument. adcompiler gets writable
copies too, and must leave each argument as it was (the convention of
docs/subset.md section 7) or as Python leaves it: anything else is a
mismatch.

Outcomes (:class:`~..program.Outcome` kinds): ``ok`` (a match),
``mismatch`` (a wrong value, gradient or argument state; or a value where a
refusal was expected), ``crash`` (an exception that is not an
:class:`~adcompiler.ADError`), ``unsupported`` (a refusal: an ``ADError``,
acceptable), ``skipped`` (no smooth point in ``points`` draws: the
differences depend on the step there, a kink or a jump), ``invalid`` (the
program fails in plain Python: a bug of the family).
"""

from __future__ import annotations

import importlib.util
import itertools
import linecache
import math
import os
import shutil
import sys
import tempfile
import traceback
from typing import Any, Callable, Sequence

import numpy as np

from ....api import value_and_grad
from ....errors import ADError
from ..checker import _close, _deadline, _Loaded, _Timeout, _worst
from ..program import Outcome
from .program import SETTINGS, Arg, SoundProgram

_counter = itertools.count()

#: The result of the compiled function: ``(value, gradients)``.
Compiled = Callable[..., Any]


def _draw(specs: Sequence[Arg], rng: np.random.Generator) -> list[Any]:
    out: list[Any] = []
    for spec in specs:
        if spec.shape == ():
            value = float(rng.uniform(spec.low, spec.high))
            out.append(0.0 if spec.zeros else value)
            continue
        a = rng.uniform(spec.low, spec.high, size=spec.shape)
        if spec.zeros:
            flat = a.reshape(-1)
            flat[
                rng.choice(flat.size, size=min(spec.zeros, flat.size), replace=False)
            ] = 0.0
        out.append(a)
    return out


def _copies(args: Sequence[Any]) -> list[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _fd(f: Callable, args: Sequence[Any], eps: float) -> list[Any]:
    """Central differences of ``f`` in every argument, each evaluation on
    fresh copies of all the arguments (``f`` may write into them)."""

    def at(index: int, value: Any) -> float:
        call = _copies(args)
        call[index] = value
        return real(f(*call))

    grads: list[Any] = []
    with np.errstate(all="ignore"):
        for index, a in enumerate(args):
            if isinstance(a, float):
                h = eps * max(1.0, abs(a))
                grads.append((at(index, a + h) - at(index, a - h)) / (2.0 * h))
                continue
            g = np.zeros(np.shape(a))
            for i in np.ndindex(np.shape(a)):
                h = eps * max(1.0, abs(float(a[i])))
                up, down = a.copy(), a.copy()
                up[i] += h
                down[i] -= h
                g[i] = (at(index, up) - at(index, down)) / (2.0 * h)
            grads.append(g)
    return grads


def real(result: Any) -> float:
    """A program's result as a Python float: a scalar, or the one element
    of a size-1 array (the front-end profile's size-1 outputs)."""
    a = np.asarray(result)
    return float(a.reshape(()) if a.size == 1 else a)


def _scale(value: float, grads: Sequence[Any]) -> float:
    biggest = max(
        (float(np.max(np.abs(np.asarray(g, dtype=float)), initial=0.0)) for g in grads),
        default=0.0,
    )
    return max(1.0, abs(value), biggest)


def _args_text(args: Sequence[Any]) -> str:
    return ", ".join(
        repr(a.tolist()) if isinstance(a, np.ndarray) else repr(a) for a in args
    )


class _Globals:
    """The arrays among the program module's globals: saved when loaded,
    put back (in place, so every reference sees it) before each evaluation,
    since a program may write into a global, which Python keeps from one
    call to the next."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.save()

    def save(self) -> None:
        self.saved = {
            name: value.copy()
            for name, value in vars(self.module).items()
            if isinstance(value, np.ndarray) and not name.startswith("__")
        }

    def reset(self) -> None:
        for name, value in self.saved.items():
            current = getattr(self.module, name, None)
            if (
                isinstance(current, np.ndarray)
                and current.shape == value.shape
                and current.flags.writeable
            ):
                current[...] = value

    def state(self) -> dict[str, Any]:
        return {
            name: np.array(getattr(self.module, name, None), copy=True)
            for name in self.saved
        }

    def resetting(self, fn: Callable) -> Callable:
        """``fn`` called after :meth:`reset`."""

        def call(*args: Any) -> Any:
            self.reset()
            return fn(*args)

        return call


#: How near (in units of the quotient) a jump of ``%`` may be: the largest
#: difference step, 1e-5 * max(1, |x|), moves the generated quotients by
#: well under this.
KINK_DISTANCE = 1e-3


def near_kink(kinks: Callable | None, args: Sequence[Any]) -> bool:
    """Whether a program's ``_kinks(*args)`` (the quotients of its ``%``,
    integers at the jumps) puts a jump within :data:`KINK_DISTANCE` of the
    point (no ``_kinks``: no known jump)."""
    if kinks is None:
        return False
    try:
        with np.errstate(all="ignore"):
            quotients = kinks(*_copies(args))
    except Exception:
        return False
    for q in quotients:
        q = np.asarray(q, dtype=float)
        if q.size and float(np.min(np.abs(q - np.round(q)))) < KINK_DISTANCE:
            return True
    return False


class _Point:
    """A verdict at one point: an outcome, or ``None`` to draw another."""

    def __init__(self, outcome: Outcome | None, why: str = "") -> None:
        self.outcome = outcome
        self.why = why


def _at_point(
    program: SoundProgram,
    f: Callable,
    g: Compiled,
    args: list[Any],
    label: str,
    globals_: _Globals,
    kinks: Callable | None = None,
) -> _Point:
    where = f"{label}at {_args_text(args)}"
    if near_kink(kinks, args):
        return _Point(None, "a jump of % within the difference step")
    ref = _copies(args)
    try:
        with np.errstate(all="raise", under="ignore"):
            result = f(*ref)
        if np.iscomplexobj(result):
            return _Point(Outcome("invalid", "the program returns a complex value"))
        expected = real(result)
        python_globals = globals_.state()
    except Exception as exc:
        return _Point(
            Outcome("invalid", f"the program fails: {type(exc).__name__}: {exc}")
        )
    if not math.isfinite(expected) or abs(expected) > 1e8:
        return _Point(None, f"value {expected}")
    mine = _copies(args)
    try:
        with np.errstate(all="ignore"):
            value, grads = g(*mine)
        compiled_globals = globals_.state()
    except ADError as exc:
        return _Point(Outcome("unsupported", f"{type(exc).__name__}: {exc}"))
    except Exception as exc:
        return _Point(
            Outcome(
                "crash",
                f"{type(exc).__name__}: {exc} ({where})\n"
                f"{traceback.format_exc(limit=-4)}",
            )
        )
    if np.iscomplexobj(value) or np.shape(value) not in ((), np.shape(result)):
        return _Point(
            Outcome(
                "mismatch",
                f"value: adcompiler returns {type(value).__name__} of shape "
                f"{np.shape(value)}, Python the real scalar {expected!r}"
                + (f" of shape {np.shape(result)}" if np.shape(result) else "")
                + f" {where}",
            )
        )
    value = real(value)  # a size-1 result of the shape of Python's
    if program.expect == "refusal":
        try:
            numeric = _fd(f, args, 1e-6)
            right = _close(
                np.float64(value), np.float64(expected), 1e-9, 1e-12
            ) and all(
                _close(a, b, 1e-5, 1e-6 * _scale(expected, numeric))
                for a, b in zip(grads, numeric)
            )
        except Exception:
            right = False
        return _Point(
            Outcome(
                "mismatch",
                f"expected a refusal (ADError), got value {float(value)!r} and a "
                f"gradient ({'right' if right else 'wrong'} against Python and "
                f"central differences: value {expected!r}) {where}",
            )
        )
    if not _close(np.float64(value), np.float64(expected), 1e-9, 1e-12):
        return _Point(
            Outcome(
                "mismatch",
                f"value: adcompiler {float(value)!r}, Python {expected!r} {where}",
            )
        )
    for k, (a, b, before) in enumerate(zip(mine, ref, args)):
        # docs/subset.md section 7: the gradient function leaves an argument
        # as it was, or changes it as Python does; nothing else
        if not (
            _close(np.asarray(a), np.asarray(b), 1e-9, 1e-12)
            or _close(np.asarray(a), np.asarray(before), 0.0, 0.0)
        ):
            return _Point(
                Outcome(
                    "mismatch",
                    f"argument {k} after the call: adcompiler leaves "
                    f"{_args_text([a])}, Python {_args_text([b])} (and it was "
                    f"{_args_text([before])}) {where}",
                )
            )
    for name, before in globals_.saved.items():
        a, b = compiled_globals[name], python_globals[name]
        if not (
            _close(a, b, 1e-9, 1e-12)
            or (a.shape == before.shape and _close(a, before, 0.0, 0.0))
        ):
            return _Point(
                Outcome(
                    "mismatch",
                    f"global {name} after the call: adcompiler leaves "
                    f"{_args_text([a])}, Python {_args_text([b])} {where}",
                )
            )
    for k, (gk, a) in enumerate(zip(grads, args)):
        if np.shape(gk) != np.shape(a):
            return _Point(
                Outcome(
                    "mismatch",
                    f"gradient {k} has shape {np.shape(gk)}, expected {np.shape(a)}",
                )
            )
        if isinstance(a, float) and not isinstance(gk, float):
            return _Point(
                Outcome("mismatch", f"gradient {k} is {type(gk).__name__}, not float")
            )
    try:
        numeric = _fd(f, args, 1e-6)
    except Exception as exc:
        return _Point(None, f"finite differences fail: {type(exc).__name__}")
    scale = _scale(expected, numeric)
    if all(_close(a, b, 1e-5, 1e-6 * scale) for a, b in zip(grads, numeric)):
        return _Point(Outcome("ok"))
    # a wrong gradient, or a kink, jump or branch boundary within the step:
    # there the differences depend on the step
    try:
        wide, narrow = _fd(f, args, 1e-5), _fd(f, args, 1e-7)
    except Exception:
        return _Point(None, "finite differences fail")
    steady = all(
        _close(a, b, 1e-4, 1e-5 * scale) for a, b in zip(wide, numeric)
    ) and all(_close(a, b, 1e-3, 1e-4 * scale) for a, b in zip(narrow, numeric))
    if not steady:
        return _Point(None, "finite differences depend on the step (a kink?)")
    names = [str(k) for k in range(len(args))]
    return _Point(
        Outcome(
            "mismatch",
            "gradient vs finite differences: "
            + _worst(names, grads, numeric)
            + f" {where}",
        )
    )


def _phase(
    program: SoundProgram,
    f: Callable,
    g: Compiled,
    rng: np.random.Generator,
    points: int,
    label: str,
    globals_: _Globals,
) -> Outcome:
    why = "no point tried"
    for _ in range(points):
        verdict = _at_point(
            program,
            globals_.resetting(f),
            globals_.resetting(g),
            _draw(program.args, rng),
            label,
            globals_,
            getattr(globals_.module, "_kinks", None),
        )
        if verdict.outcome is not None:
            return verdict.outcome
        why = verdict.why
    return Outcome("skipped", why)


class _Settings:
    """The settings module of a module-attribute program, written to a real
    file and registered in ``sys.modules`` under a unique name."""

    def __init__(self, source: str, directory: str) -> None:
        self.name = f"adfuzz_settings_{os.getpid()}_{next(_counter)}"
        self.path = os.path.join(directory, self.name + ".py")
        with open(self.path, "w") as handle:
            handle.write(source)
        spec = importlib.util.spec_from_file_location(self.name, self.path)
        assert spec is not None and spec.loader is not None
        self.module = importlib.util.module_from_spec(spec)
        sys.modules[self.name] = self.module
        spec.loader.exec_module(self.module)

    def rewrite(self, source: str) -> None:
        """Edit the file and ``importlib.reload`` the module (the notebook
        workflow): the same module object gets the new contents."""
        with open(self.path, "w") as handle:
            handle.write(source)
        shutil.rmtree(
            os.path.join(os.path.dirname(self.path), "__pycache__"), ignore_errors=True
        )
        importlib.invalidate_caches()
        linecache.cache.pop(self.path, None)
        directory = os.path.dirname(self.path)
        sys.path.insert(0, directory)  # where reload's finders look
        try:
            importlib.reload(self.module)
        finally:
            sys.path.remove(directory)

    def close(self) -> None:
        sys.modules.pop(self.name, None)
        linecache.cache.pop(self.path, None)
        try:
            os.remove(self.path)
        except OSError:
            pass


def writes_arguments(program: SoundProgram, directory: str | None = None) -> bool:
    """Whether plain Python's ``f`` changes an argument at the program's
    first point (the minimizer keeps this as it was: reducing ``y = x * 2.0``
    to ``y = x`` turns an alias of a new array into a write into an
    argument, another root cause). A program that fails counts as not."""
    own = directory is None
    directory = directory or tempfile.mkdtemp(prefix="adfuzz_")
    settings = loaded = None
    try:
        source = program.source
        if program.settings_source:
            settings = _Settings(program.settings_source, directory)
            source = source.replace(SETTINGS, settings.name)
        loaded = _Loaded(source, directory)
        args = _draw(program.args, np.random.default_rng(program.seed))
        mine = _copies(args)
        with np.errstate(all="ignore"):
            loaded.module.f(*mine)
        return not all(
            np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(mine, args)
        )
    except Exception:
        return False
    finally:
        if loaded is not None:
            loaded.close()
        if settings is not None:
            settings.close()
        if own:
            shutil.rmtree(directory, ignore_errors=True)


def check_sound(
    program: SoundProgram,
    *,
    points: int = 3,
    directory: str | None = None,
    time_limit: float | None = 60.0,
    compile: Callable[[Callable, tuple[int, ...]], Compiled] | None = None,
    reference: Callable[[Any], Callable] | None = None,
) -> Outcome:
    """Check ``program`` at up to ``points`` random points (the first smooth
    one) against plain Python and central differences, and return the
    :class:`~..program.Outcome`. With ``changes`` (the module-attribute
    family), after the first check the attributes are changed and the
    program is checked again through the same compiled function and
    through a new one. ``compile(f, wrt)`` replaces
    ``adcompiler.value_and_grad(f, wrt=wrt)`` (the tests give it a wrong
    one, to see the checker catch it). ``reference(module)`` gives the plain
    Python function the reference runs (``module.f`` by default; the
    front-end profile's nested ``grad`` puts an independent inner gradient
    in)."""
    make = compile or (lambda fn, wrt: value_and_grad(fn, wrt=wrt))
    try:
        with _deadline(time_limit):
            return _check(program, points, directory, make, reference)
    except _Timeout:
        return Outcome("invalid", f"took more than {time_limit} s")
    except Exception as exc:  # a bug of the checker or the family: counted apart
        return Outcome(
            "invalid",
            f"the checker failed: {type(exc).__name__}: {exc}\n"
            f"{traceback.format_exc(limit=-4)}",
        )


def _check(
    program: SoundProgram,
    points: int,
    directory: str | None,
    make: Callable[[Callable, tuple[int, ...]], Compiled],
    reference: Callable[[Any], Callable] | None = None,
) -> Outcome:
    own = directory is None
    directory = directory or tempfile.mkdtemp(prefix="adfuzz_")
    settings: _Settings | None = None
    loaded: _Loaded | None = None
    try:
        source = program.source
        if program.settings_source:
            settings = _Settings(program.settings_source, directory)
            source = source.replace(SETTINGS, settings.name)
        try:
            loaded = _Loaded(source, directory)
        except Exception as exc:
            return Outcome("invalid", f"import: {type(exc).__name__}: {exc}")
        f = reference(loaded.module) if reference else loaded.module.f
        wrt = tuple(range(len(program.args)))
        rng = np.random.default_rng(program.seed)
        g = make(f, wrt)
        globals_ = _Globals(loaded.module)
        first = _phase(program, f, g, rng, points, "", globals_)
        if first.kind != "ok" or not program.changes:
            return first
        globals_.reset()  # as loaded, then the changes
        for change in program.changes:
            if change.where == "reload":
                assert settings is not None
                settings.rewrite(change.value)
                continue
            if change.where == "settings":
                assert settings is not None
                target: Any = settings.module
            elif change.where == "module":
                target = loaded.module
            else:
                target = getattr(loaded.module, change.where)
            setattr(target, change.attr, eval(change.value, vars(loaded.module)))
        globals_.save()
        said = "; ".join(
            (
                f"reloading the edited settings module ({c.attr} changed)"
                if c.where == "reload"
                else f"{c.where}.{c.attr} = {c.value}"
            )
            for c in program.changes
        )
        again = _phase(
            program, f, g, rng, points, f"after {said}, same function, ", globals_
        )
        if again.kind != "ok":
            return again
        return _phase(
            program,
            f,
            make(f, wrt),
            rng,
            points,
            f"after {said}, a new function, ",
            globals_,
        )
    finally:
        if loaded is not None:
            loaded.close()
        if settings is not None:
            settings.close()
        if own:
            shutil.rmtree(directory, ignore_errors=True)
