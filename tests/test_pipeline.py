"""One pipeline and one cache for every transformation (adcompiler.pipeline).

``grad`` and ``vjp`` of the same function go through the same stages and so
generate the same forward code; the options are part of the cache key.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import adcompiler
from adcompiler import pipeline
from adcompiler.options import optimizations

ROOT = Path(__file__).resolve().parents[1]


def _load_cases():
    spec = importlib.util.spec_from_file_location(
        "benchmark_cases_for_pipeline", ROOT / "benchmarks" / "cases.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cases = _load_cases()


def lstm_step_loss(x, h, c, Wx, Wh, b):
    h, c = cases.lstm_step(x, h, c, Wx, Wh, b)
    return np.sum(h * c)


def _lstm_arguments():
    rng = np.random.default_rng(3)
    Wx, Wh, b, _ = cases.lstm_inputs()
    x, h, c = (rng.normal(size=(4, 64)) for _ in range(3))
    return x, h, c, Wx, Wh, b


def _statements(lines: list[str]) -> list[str]:
    """The lines that compute, without ``del`` (the release pass places those
    by what the rest of each function reads) and blank lines."""
    return [
        line.strip()
        for line in lines
        if line.strip() and not line.strip().startswith("del ")
    ]


def _grad_forward(source: str) -> list[str]:
    lines = source.splitlines()
    start = lines.index("    # forward sweep") + 1
    end = next(i for i, line in enumerate(lines) if "# backward sweep" in line)
    return _statements(lines[start:end])


def _vjp_forward(source: str) -> list[str]:
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def ")) + 2
    end = next(i for i, line in enumerate(lines) if line.startswith("    return "))
    return _statements(lines[start:end])


def test_grad_and_vjp_generate_the_same_forward_code_for_the_lstm_step():
    args = _lstm_arguments()
    g = adcompiler.grad(lstm_step_loss, wrt=(0, 1, 2, 3, 4, 5))
    gradients = g(*args)
    value, pullback = adcompiler.vjp(lstm_step_loss, *args)
    cotangents = pullback(1.0)
    grad_forward = _grad_forward(g.source)
    vjp_forward = _vjp_forward(pullback.source)
    assert grad_forward == vjp_forward
    # both know the ranks of the arguments: shapes are attributes, and the
    # products of matrices get the lecture's adjoints
    assert "shape = Wh.shape" in grad_forward
    assert "d_h = d_matmul_2 @ Wh.T" in pullback.source
    for a, b in zip(gradients, cotangents):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    expected = adcompiler.numerical_grad(lstm_step_loss, *args, wrt=4)
    np.testing.assert_allclose(gradients[4], expected, rtol=1e-6, atol=1e-8)


def tanh_energy(x):
    y = np.tanh(x)
    return np.sum(y * y)


def test_options_are_part_of_the_cache_key():
    x = np.linspace(-1.0, 1.0, 5)
    g = adcompiler.grad(tanh_energy)
    optimised = g.source
    with optimizations(False):
        plain = adcompiler.grad(tanh_energy).source
        g(x)  # the call made under the setting compiles for it
        assert g.source == plain
    assert plain != optimised
    g(x)
    assert g.source == optimised
    expected = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(g(x), expected)
    with optimizations(False):
        np.testing.assert_allclose(g(x), expected)


def helper(x, w):
    for _ in range(2):
        x = np.tanh(x * w)
    return x


def uses_helper(x, w):
    return np.sum(helper(x, w) ** 2)


def test_a_callee_is_compiled_once_for_each_request():
    x, w = np.linspace(-1.0, 1.0, 4), 0.7
    adcompiler.grad(uses_helper)(x, w)
    adcompiler.grad(uses_helper, wrt=1)(x, w)
    requests = [
        request for request in pipeline._products[helper] if request.kind == "split"
    ]
    # one product per set of differentiated leaves, each made once
    assert sorted(r.active for r in requests) == [(False, True), (True, False)]
    for request in requests:
        assert (
            pipeline.product_of(helper, request) is pipeline._products[helper][request]
        )


def test_every_kind_of_request_has_a_stage():
    assert set(pipeline._TRANSFORMS) | {"checkpoint"} == set(pipeline.KINDS)
    with pytest.raises(ValueError, match="unknown request kind"):
        pipeline.Request("hessian", ())


def square(x):
    return x * x


def test_generated_docstrings_name_the_transformation():
    g = adcompiler.grad(tanh_energy)
    assert "Value of tanh_energy and its gradient with respect to x" in g.source
    second = adcompiler.grad(adcompiler.grad(square))
    assert second(3.0) == 2.0
    assert "Value of square and its derivative with respect to x" in second.source


def _fresh(fn):
    """A new function object with ``fn``'s code: nothing is cached for it."""
    return type(fn)(fn.__code__, fn.__globals__, fn.__name__)


@pytest.mark.parametrize("optimize", [True, False])
def test_a_product_is_compiled_under_its_request_options(optimize):
    # a callee's halves may be compiled lazily, during a call made under the
    # other setting: the code must still be the one its key names
    structures = (adcompiler.trees.structure(0.0), adcompiler.trees.structure(0.0))
    request = pipeline.Request("split", structures, (True, True), optimize=optimize)
    with optimizations(optimize):
        expected = pipeline.compiled(_fresh(helper), request).entry.generated.source
    with optimizations(not optimize):
        made = pipeline.compiled(_fresh(helper), request).entry.generated.source
    assert made == expected
    with optimizations(not optimize):
        other = pipeline.Request(
            "split", structures, (True, True), optimize=not optimize
        )
        assert pipeline.compiled(_fresh(helper), other).entry.generated.source != made
