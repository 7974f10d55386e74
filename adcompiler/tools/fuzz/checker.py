"""The differential tester: :func:`check` writes a program to a real file
(adcompiler reads source), imports it and compares
``adcompiler.value_and_grad`` with central finite differences at a random
point, and with the oracles of :mod:`.oracles`. A point where the finite
differences depend on the step (a kink, a branch boundary) is replaced by
another one."""

from __future__ import annotations

import importlib.util
import itertools
import linecache
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import traceback
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from ...api import value_and_grad
from ...errors import ADError
from ...testing import numerical_grad
from .oracles import get_oracle
from .program import Outcome, Program

_counter = itertools.count()


class _Loaded:
    """A program written to a real file in a temporary directory and imported."""

    def __init__(self, source: str, directory: str | None = None) -> None:
        self.directory = directory or tempfile.mkdtemp(prefix="adfuzz_")
        self.own_directory = directory is None
        self.name = f"adfuzz_{os.getpid()}_{next(_counter)}"
        self.path = os.path.join(self.directory, self.name + ".py")
        with open(self.path, "w") as handle:
            handle.write(source)
        spec = importlib.util.spec_from_file_location(self.name, self.path)
        assert spec is not None and spec.loader is not None
        self.module = importlib.util.module_from_spec(spec)
        sys.modules[self.name] = self.module
        try:
            spec.loader.exec_module(self.module)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Forget the module and remove its file (and the directory if it
        made it)."""
        sys.modules.pop(self.name, None)
        linecache.cache.pop(self.path, None)
        if self.own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        else:
            try:
                os.remove(self.path)
            except OSError:
                pass


def _inputs(program: Program, rng: np.random.Generator) -> tuple[Any, Any]:
    x = rng.uniform(-1.5, 1.5, size=program.x_shape)
    if program.y_shape == ():
        y: Any = float(rng.uniform(-1.5, 1.5))
    else:
        y = rng.uniform(-1.5, 1.5, size=program.y_shape)
    return x, y


def _read_only(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        a = a.copy()
        a.flags.writeable = False
    return a


def _as64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    a, b = _as64(a), _as64(b)
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def _worst(names: Sequence[str], got: Sequence[Any], want: Sequence[Any]) -> str:
    """The element with the largest difference, both values."""
    worst = (-1.0, "")
    for name, a, b in zip(names, got, want):
        a64, b64 = _as64(a), _as64(b)
        if a64.shape != b64.shape:
            return f"d{name} has shape {a64.shape}, expected {b64.shape}"
        diff = np.where(np.isnan(a64 - b64), np.inf, np.abs(a64 - b64))
        if diff.size == 0:
            continue
        i = np.unravel_index(int(np.argmax(diff)), diff.shape)
        if float(diff[i]) > worst[0]:
            where = f"[{', '.join(map(str, i))}]" if diff.ndim else ""
            worst = (
                float(diff[i]),
                f"d{name}{where}: adcompiler {float(a64[i])!r}, expected {float(b64[i])!r}",
            )
    return worst[1]


def _scale(value: float, grads: Sequence[Any]) -> float:
    biggest = max(
        (float(np.max(np.abs(_as64(g)), initial=0.0)) for g in grads), default=0.0
    )
    return max(1.0, abs(value), biggest)


def _numerical(f: Callable, x: Any, y: Any, eps: float) -> tuple[Any, Any]:
    with np.errstate(all="ignore"):
        return numerical_grad(f, x, y, wrt=(0, 1), eps=eps)


class _Timeout(BaseException):
    pass


class _deadline:
    """Raise :class:`_Timeout` after ``seconds`` (main thread only; elsewhere
    nothing)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.active = (
            seconds is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )

    def __enter__(self) -> None:
        if self.active:

            def expire(signum: int, frame: Any) -> None:
                raise _Timeout()

            self.previous = signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def check(
    program: Program,
    *,
    points: int = 3,
    oracles: Sequence[str] = (),
    directory: str | None = None,
    time_limit: float | None = None,
) -> Outcome:
    """Compare adcompiler's value and gradient of ``program`` with the
    oracles at up to ``points`` random points (the first smooth one):
    central finite differences always, and each of ``oracles`` ("autograd",
    "jax") where it can run the program and agrees with the differences.
    ``time_limit`` (seconds, main thread only) makes a program that runs
    longer ``invalid``: the minimizer can write endless loops."""
    try:
        with _deadline(time_limit):
            return _check(program, points, oracles, directory)
    except _Timeout:
        return Outcome("invalid", f"took more than {time_limit} s")


def _check(
    program: Program, points: int, oracles: Sequence[str], directory: str | None
) -> Outcome:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            loaded = _Loaded(program.source, directory)
    except Exception as exc:
        return Outcome("invalid", f"import: {type(exc).__name__}: {exc}")
    try:
        f = loaded.module.f
        rng = np.random.default_rng(program.seed)
        skipped = "no point tried"
        for _ in range(points):
            x, y = _inputs(program, rng)
            try:
                with np.errstate(all="raise", under="ignore"):
                    expected = f(_read_only(x), _read_only(y))
                expected = float(expected)
            except Exception as exc:
                return Outcome(
                    "invalid", f"the program fails: {type(exc).__name__}: {exc}"
                )
            if not math.isfinite(expected) or abs(expected) > 1e8:
                skipped = f"value {expected}"
                continue
            xr, yr = _read_only(x), _read_only(y)
            try:
                with np.errstate(all="ignore"):
                    value, (gx, gy) = value_and_grad(f, wrt=(0, 1))(xr, yr)
            except ADError as exc:
                return Outcome("unsupported", f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                return Outcome(
                    "crash",
                    f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}",
                )
            if not (np.array_equal(xr, x) and np.array_equal(yr, y)):
                return Outcome("mismatch", "adcompiler wrote into an argument")
            if not _close(np.float64(value), np.float64(expected), 1e-9, 1e-12):
                return Outcome(
                    "mismatch",
                    f"value: adcompiler {float(value)!r}, f gives {expected!r}",
                )
            if np.shape(gx) != np.shape(x) or np.shape(gy) != np.shape(y):
                return Outcome(
                    "mismatch",
                    f"gradient shapes {np.shape(gx)}, {np.shape(gy)}; expected "
                    f"{np.shape(x)}, {np.shape(y)}",
                )
            if isinstance(y, float) and not isinstance(gy, float):
                return Outcome("mismatch", f"dy is {type(gy).__name__}, not float")
            nx, ny = _numerical(f, x, y, 1e-6)
            scale = _scale(expected, (nx, ny))
            rtol, atol = 1e-5, 1e-6 * scale
            used = ["finite differences"]
            good = _close(gx, nx, rtol, atol) and _close(gy, ny, rtol, atol)
            if not good and _singular(f, xr, yr, (gx, gy)):
                skipped = (
                    "a non-differentiable point: the derivative divides by zero "
                    "(np.std of equal values, sqrt at 0, ...)"
                )
                continue
            if not good:
                # a wrong gradient, or a point near a kink or a branch boundary:
                # there the finite differences depend on the step
                mx, my = _numerical(f, x, y, 1e-5)
                tx, ty = _numerical(f, x, y, 1e-7)
                steady = all(
                    _close(a, b, 1e-4, 1e-5 * scale) for a, b in ((mx, nx), (my, ny))
                ) and all(
                    _close(a, b, 1e-3, 1e-4 * scale) for a, b in ((tx, nx), (ty, ny))
                )
                if not steady:
                    skipped = "finite differences depend on the step (a kink?)"
                    continue
                return Outcome(
                    "mismatch",
                    "gradient vs finite differences: "
                    + _worst(("x", "y"), (gx, gy), (nx, ny))
                    + f"\nat x = {x.tolist()!r}, y = {y if isinstance(y, float) else y.tolist()!r}",
                    tuple(used),
                )
            for name in oracles:
                oracle = get_oracle(name)
                try:
                    with np.errstate(all="ignore"), warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ox, oy = oracle(program.source, x, y)
                except Exception:
                    continue  # the oracle cannot run this program
                # a tighter comparison, trusted only where the oracle
                # agrees with the finite differences
                if not (_close(ox, nx, rtol, atol) and _close(oy, ny, rtol, atol)):
                    continue
                used.append(name)
                if not (
                    _close(gx, ox, 1e-8, 1e-10 * scale)
                    and _close(gy, oy, 1e-8, 1e-10 * scale)
                ):
                    return Outcome(
                        "mismatch",
                        f"gradient vs {name}: "
                        + _worst(("x", "y"), (gx, gy), (ox, oy)),
                        tuple(used),
                    )
            return Outcome("ok", "", tuple(used))
        return Outcome("skipped", skipped)
    finally:
        loaded.close()


def _singular(f: Callable, x: Any, y: Any, grads: Sequence[Any]) -> bool:
    """Whether a non-finite gradient comes from a point where the function
    has no derivative: computing it again divides by zero or takes an
    invalid operation (``f`` itself runs clean there, so the derivative of
    one of its functions is infinite or undefined: ``np.std`` of equal
    values, ``sqrt`` at 0). A NaN or inf the gradient makes any other way
    stays a mismatch."""
    if all(np.all(np.isfinite(_as64(g))) for g in grads):
        return False
    try:
        with np.errstate(
            divide="raise", invalid="raise", over="ignore", under="ignore"
        ):
            value_and_grad(f, wrt=(0, 1))(x, y)
    except FloatingPointError:
        return True
    except Exception:
        return False
    return False
