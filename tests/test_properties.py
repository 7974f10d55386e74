"""Property tests (hypothesis): broadcasting binary operations, and every
reduction with every axis and keepdims, against central finite differences.

``axis`` and ``keepdims`` must be constants written in the source, so the
functions under test are generated once into a module in a temporary
directory (adcompiler reads source files) and drawn from by hypothesis.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import adcompiler  # noqa: E402

REDUCTIONS = ("sum", "mean", "prod", "max", "min", "var", "std")

#: Binary operations: the body of ``f(a, b)``'s return, differentiable
#: everywhere on the sampled domain (b in [0.5, 2] where it divides or is a base).
BINARY = {
    "add": "a + b",
    "sub": "a - b",
    "mul": "a * b",
    "div": "a / b",
    "pow": "b ** a",
    "maximum": "np.maximum(a, b)",
    "minimum": "np.minimum(a, b)",
    "arctan2": "np.arctan2(a, b)",
    "hypot": "np.hypot(a, b)",
    "logaddexp": "np.logaddexp(a, b)",
    "where": "np.where(a > 0.0, a * b, b)",
}


def _axes(ndim: int) -> list[Any]:
    """Every axis argument for ``ndim`` dimensions: None, each axis (both
    signs) and each tuple of distinct axes."""
    out: list[Any] = [None]
    out += list(range(-ndim, ndim))
    for r in range(1, ndim + 1):
        out += list(itertools.combinations(range(ndim), r))
    out.append(tuple(range(-1, -ndim - 1, -1)))  # negative, out of order
    return out


AXES = {ndim: _axes(ndim) for ndim in (1, 2, 3)}


def _axis_name(axis: Any) -> str:
    if axis is None:
        return "none"
    if isinstance(axis, tuple):
        return "t" + "_".join(str(a).replace("-", "m") for a in axis)
    return str(axis).replace("-", "m")


def _source() -> str:
    lines = ["import numpy as np", "", ""]
    for name, body in BINARY.items():
        lines += [f"def binary_{name}(a, b):", f"    return np.sum(np.sin({body}))", ""]
    for red in REDUCTIONS:
        for ndim, axes in AXES.items():
            for axis in axes:
                for keep in (False, True):
                    fname = f"{red}_{ndim}_{_axis_name(axis)}_{int(keep)}"
                    args = "x" if axis is None else f"x, axis={axis!r}"
                    args += ", keepdims=True" if keep else ""
                    lines += [
                        f"def {fname}(x):",
                        f"    r = np.{red}({args})",
                        "    return np.sum(np.sin(1.7 * r + 0.3))",
                        "",
                    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    path: Path = tmp_path_factory.mktemp("properties") / "property_functions.py"
    path.write_text(_source())
    spec = importlib.util.spec_from_file_location("property_functions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["property_functions"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("property_functions", None)


def _close(analytic: Any, numeric: Any, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(analytic, dtype=np.float64),
        np.asarray(numeric, dtype=np.float64),
        rtol=1e-5,
        atol=1e-6,
        err_msg=what,
    )


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3
    ),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_binary_operations(
    generated: ModuleType, name: str, shapes: Any, seed: int
) -> None:
    f = getattr(generated, f"binary_{name}")
    sa, sb = shapes.input_shapes
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.5, 1.5, size=sa)
    a = np.where(np.abs(a) < 0.1, 0.3, a)  # away from where's switch
    b = rng.uniform(0.5, 2.0, size=sb)
    if name in ("maximum", "minimum"):
        b = b - 1.25  # both signs; ties have probability 0
    ga, gb = adcompiler.grad(f, wrt=(0, 1))(a, b)
    na, nb = adcompiler.numerical_grad(f, a, b, wrt=(0, 1))
    assert np.shape(ga) == sa and np.shape(gb) == sb
    _close(ga, na, f"d/da of {BINARY[name]}, shapes {sa} and {sb}")
    _close(gb, nb, f"d/db of {BINARY[name]}, shapes {sa} and {sb}")


def _reduction_case(draw: Any) -> tuple[str, Any, bool, tuple[int, ...]]:
    red = draw(st.sampled_from(REDUCTIONS))
    ndim = draw(st.sampled_from([1, 2, 3]))
    axis = draw(st.sampled_from(AXES[ndim]))
    keep = draw(st.booleans())
    # std has an infinite derivative where the variance is 0: over an axis
    # of length 1 it is; sides of at least 2 for std
    low = 2 if red == "std" else 1
    shape = tuple(draw(st.lists(st.integers(low, 4), min_size=ndim, max_size=ndim)))
    return red, axis, keep, shape


reduction_cases = st.composite(_reduction_case)


@settings(max_examples=600, deadline=None)
@given(case=reduction_cases(), seed=st.integers(0, 2**16))
def test_every_reduction_axis_and_keepdims(
    generated: ModuleType, case: tuple[str, Any, bool, tuple[int, ...]], seed: int
) -> None:
    red, axis, keep, shape = case
    f = getattr(generated, f"{red}_{len(shape)}_{_axis_name(axis)}_{int(keep)}")
    rng = np.random.default_rng(seed)
    # distinct values (no ties for max/min), away from 0 (prod)
    x = rng.permutation(np.linspace(0.3, 1.6, int(np.prod(shape)))).reshape(shape)
    x = x * rng.choice([-1.0, 1.0], size=shape)
    value, g = adcompiler.value_and_grad(f)(x)
    assert value == pytest.approx(f(x), rel=1e-12)
    assert np.shape(g) == shape
    _close(
        g,
        adcompiler.numerical_grad(f, x),
        f"np.{red}(axis={axis}, keepdims={keep}) on {shape}",
    )


def test_every_reduction_axis_combination_is_generated() -> None:
    # 7 reductions x (1-d: 5, 2-d: 9, 3-d: 15 axis arguments) x keepdims
    assert sum(len(a) for a in AXES.values()) == 5 + 9 + 15
    assert len(REDUCTIONS) == 7
