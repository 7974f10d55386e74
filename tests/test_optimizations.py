"""Optimised gradients equal the unoptimised ones.

Each program is compiled twice, from two separate imports of its source
(compiled code is cached per function): once as usual, once with the
optional optimisations off (``adcompiler.options.optimizations(False)``:
no scalar specialisation, no unbroadcasts proven needless, no shared
arithmetic or shape queries, no shapes read early, no in-place sums, no
``del``, no rule variants that store less). Values must be equal and
gradients equal up to rounding (the variants compute the same quantities in
another order), on the benchmark cases, the fuzz regression corpus, and a
batch of generated programs.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import numpy as np
import pytest

from adcompiler import ADError, value_and_grad
from adcompiler.tools import fuzz
from adcompiler.options import optimizations, optimizing
from support.modules import load_module

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fuzz_corpus"
_names = itertools.count()


def _import(source: str, directory: Path) -> ModuleType:
    name = f"optimizations_{next(_names)}"
    return load_module(directory / f"{name}.py", source, name)


def _flat(tree: Any) -> np.ndarray:
    if isinstance(tree, (tuple, list)):
        return np.concatenate([_flat(t) for t in tree] or [np.zeros(0)])
    return np.ravel(np.asarray(tree, dtype=float))


def _both(source: str, name: str, args: tuple, wrt: Any, directory: Path) -> Any:
    """(value, gradients) of ``name`` with and without optimisations, or the
    exception type each raised."""
    results = []
    for enabled in (True, False):
        module = _import(source, directory)
        with optimizations(enabled), np.errstate(all="ignore"):
            try:
                results.append(value_and_grad(getattr(module, name), wrt=wrt)(*args))
            except ADError as exc:
                results.append(type(exc))
    return results


def _assert_same(optimised: Any, plain: Any, what: str) -> None:
    if isinstance(optimised, type) or isinstance(plain, type):
        assert optimised == plain, f"{what}: {optimised} vs {plain}"
        return
    (value, grads), (value_2, grads_2) = optimised, plain
    np.testing.assert_allclose(value, value_2, rtol=1e-12, atol=1e-14, err_msg=what)
    a, b = _flat(grads), _flat(grads_2)
    scale = max(1.0, float(np.nanmax(np.abs(b), initial=0.0)))
    np.testing.assert_allclose(
        a, b, rtol=1e-9, atol=1e-12 * scale, equal_nan=True, err_msg=what
    )


def test_optimizations_are_on_by_default_and_can_be_turned_off():
    assert optimizing()
    with optimizations(False):
        assert not optimizing()
    assert optimizing()


BENCHMARKS = [
    ("mlp_loss", "mlp_inputs", (0, 1, 2, 3)),
    ("loop_math", "loop_inputs", (0, 1)),
    ("loop_np", "loop_inputs", (0, 1)),
    ("chain", "chain_inputs", 0),
    ("rnn_loss", "rnn_inputs", (0, 1, 2)),
    ("lstm_loss", "lstm_inputs", (0, 1, 2)),
    ("lstm_loss_steps", "lstm_inputs", (0, 1, 2)),
    ("lstm_loss_checkpointed", "lstm_inputs", (0, 1, 2)),
]


@pytest.mark.parametrize(
    "name, inputs, wrt", BENCHMARKS, ids=[b[0] for b in BENCHMARKS]
)
def test_benchmark_cases(name: str, inputs: str, wrt: Any, tmp_path: Path) -> None:
    source = (ROOT / "benchmarks" / "cases.py").read_text()
    if name == "chain":  # a smaller chain: the comparison, not the speed, matters
        source = source.replace("size=10**6", "size=1000")
    args = getattr(_import(source, tmp_path), inputs)()
    optimised, plain = _both(source, name, args, wrt, tmp_path)
    _assert_same(optimised, plain, name)


def _corpus() -> list[Path]:
    return [
        path
        for path in sorted(CORPUS.glob("*.py"))
        if "# BUG:" not in path.read_text() and "# refused:" not in path.read_text()
    ]


def _inputs(program: fuzz.Program) -> tuple[Any, Any]:
    rng = np.random.default_rng(program.seed)
    x = rng.uniform(-1.5, 1.5, size=program.x_shape)
    y: Any = (
        float(rng.uniform(-1.5, 1.5))
        if program.y_shape == ()
        else rng.uniform(-1.5, 1.5, size=program.y_shape)
    )
    return x, y


def _check_program(program: fuzz.Program, what: str, directory: Path) -> bool:
    """Compare the two compilations of a program; False when the program
    itself fails at its point (nothing to compare)."""
    x, y = _inputs(program)
    try:
        with np.errstate(all="ignore"):
            _import(program.source, directory).f(x.copy(), np.copy(y))
    except Exception:
        return False
    optimised, plain = _both(program.source, "f", (x, y), (0, 1), directory)
    _assert_same(optimised, plain, what)
    return True


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.stem)
def test_corpus_programs(path: Path, tmp_path: Path) -> None:
    program = fuzz.load_corpus_file(str(path))
    _check_program(program, path.stem, tmp_path)


def test_generated_programs(tmp_path: Path) -> None:
    compared = 0
    for index in range(120):
        program = fuzz.generate(31, index)
        compared += _check_program(program, f"seed 31, program {index}", tmp_path)
    assert compared >= 100


def test_a_pass_that_changed_a_gradient_would_be_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the comparison is not vacuous: a rule variant that is off by a factor
    # only when optimising makes the benchmark comparison fail
    from adcompiler.primitives import elementwise
    from adcompiler.primitives.registry import lookup

    original: Callable = elementwise._divide_y

    def skewed(g, ans, x, y):
        result = original(g, ans, x, y)
        return result * 1.001 if optimizing() else result

    prim = lookup(np.divide)
    monkeypatch.setattr(prim, "vjps", (prim.vjps[0], skewed))
    source = "import numpy as np\n\n\ndef f(x):\n    return np.sum(np.divide(1.0, 1.0 + x * x))\n"
    optimised, plain = _both(source, "f", (np.linspace(0.1, 1.0, 4),), 0, tmp_path)
    with pytest.raises(AssertionError):
        _assert_same(optimised, plain, "skewed")
