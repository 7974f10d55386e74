"""Size: a 2,000-statement straight-line function and a 10,000-iteration loop
compile and run without recursion errors, in reasonable time.

The times are printed (``pytest -s tests/test_size.py``); the bounds are
generous, to catch a blow-up (quadratic passes, recursion), not to benchmark.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import adcompiler
from support.modules import load_module

STATEMENTS = 2000
ITERATIONS = 10_000
BOUND_SECONDS = 60.0


def _straight_line_source(n: int) -> str:
    """``f(x, w)``: n statements, each reading one or two earlier values."""
    rng = np.random.default_rng(0)
    lines = ["import numpy as np", "", "", "def f(x, w):", "    v0 = x * w"]
    ops = [
        "np.sin(v{a}) * 0.9 + v{b} * 0.1",
        "np.tanh(v{a} + 0.01 * v{b})",
        "v{a} * 0.5 + np.cos(v{b}) * 0.5",
        "(v{a} - v{b}) * 0.3 + w * 0.01",
    ]
    for i in range(1, n):
        a = i - 1
        b = int(rng.integers(max(0, i - 50), i))
        lines.append(f"    v{i} = " + ops[i % len(ops)].format(a=a, b=b))
    lines.append(f"    return np.sum(v{n - 1} ** 2)")
    return "\n".join(lines) + "\n"


def test_two_thousand_statement_function(tmp_path: Path) -> None:
    module = load_module(
        tmp_path / "size_straight.py",
        _straight_line_source(STATEMENTS),
        "size_straight",
    )
    x = np.linspace(-1.0, 1.0, 5)
    g = adcompiler.grad(module.f, wrt=(0, 1))
    began = time.perf_counter()
    gx, gw = g(x, 0.7)
    compiled = time.perf_counter() - began
    began = time.perf_counter()
    g(x, 0.7)
    run = time.perf_counter() - began
    print(
        f"\n{STATEMENTS}-statement function: compile + first call {compiled:.2f} s, "
        f"cached call {run * 1e3:.1f} ms"
    )
    assert compiled < BOUND_SECONDS
    # spot check against central differences in a random direction
    rng = np.random.default_rng(1)
    d = rng.normal(size=x.shape)
    h = 1e-6
    numeric = (module.f(x + h * d, 0.7) - module.f(x - h * d, 0.7)) / (2 * h)
    assert float(np.dot(gx, d)) == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    numeric_w = (module.f(x, 0.7 + h) - module.f(x, 0.7 - h)) / (2 * h)
    assert gw == pytest.approx(numeric_w, rel=1e-5, abs=1e-8)


LOOP_SOURCE = """import numpy as np


def rnn(h, W, b, n):
    total = 0.0
    for t in range(n):
        h = np.tanh(W @ h + b)
        total = total + np.sum(h) * 0.001
    k = 0
    s = h * 1.0
    while k < n:
        s = 0.999 * s + 0.001 * np.sin(s)
        k += 1
    return total + np.sum(s**2)
"""


def test_ten_thousand_iteration_loops(tmp_path: Path) -> None:
    module = load_module(tmp_path / "size_loop.py", LOOP_SOURCE, "size_loop")
    rng = np.random.default_rng(2)
    h = rng.normal(size=4)
    W = rng.normal(size=(4, 4)) * 0.3
    b = rng.normal(size=4) * 0.1
    g = adcompiler.grad(module.rnn, wrt=(1, 2))
    began = time.perf_counter()
    dW, db = g(h, W, b, ITERATIONS)
    first = time.perf_counter() - began
    began = time.perf_counter()
    g(h, W, b, ITERATIONS)
    again = time.perf_counter() - began
    began = time.perf_counter()
    module.rnn(h, W, b, ITERATIONS)
    plain = time.perf_counter() - began
    print(
        f"\n{ITERATIONS}-iteration for and while loops: compile + first call "
        f"{first:.2f} s, cached call {again:.2f} s (the function alone: {plain:.2f} s)"
    )
    assert first < BOUND_SECONDS and again < BOUND_SECONDS
    assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))
    # central differences on b, in a random direction
    d = rng.normal(size=4)
    eps = 1e-6
    numeric = (
        module.rnn(h, W, b + eps * d, ITERATIONS)
        - module.rnn(h, W, b - eps * d, ITERATIONS)
    ) / (2 * eps)
    assert float(np.dot(db, d)) == pytest.approx(numeric, rel=1e-5, abs=1e-8)
