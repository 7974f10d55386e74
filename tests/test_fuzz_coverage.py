"""The fuzzer's coverage profile (issue #17, ``--profile coverage``): its
programs are deterministic, valid, draw every row of the table, and are
checked at orders 1 and 2 (a wrong second-order rule is caught)."""

from __future__ import annotations

import numpy as np
import pytest

from adcompiler.api import grad, hessian, hvp, jvp
from adcompiler.primitives.array_helpers import sinc_derivative
from adcompiler.primitives.norms import nuclear_hessian, spectral_hessian
from adcompiler.primitives.registry import lookup
from adcompiler.tools.fuzz.campaign import PROFILES, generate_for, run
from adcompiler.tools.fuzz.coverage import check_coverage, generate_coverage
from adcompiler.tools.fuzz.generator import COVERAGE_FAMILIES, FAMILIES, ENTRIES
from adcompiler.tools.fuzz.generator.coverage17 import Coverage17, available_entries
from adcompiler.tools.fuzz.program import Program


def test_the_profile_is_registered_and_deterministic():
    assert "coverage" in PROFILES
    assert Coverage17 in COVERAGE_FAMILIES and Coverage17 not in FAMILIES
    assert generate_for("coverage", 3, 5).source == generate_coverage(3, 5).source
    assert generate_coverage(3, 5).source != generate_coverage(3, 6).source


#: a spelling each row of the table writes (the first of its group)
_SPELLINGS = {
    "roll": "np.roll(",
    "flip": "np.flip",
    "rot90": "np.rot90(",
    "tril/triu": "np.tri",
    "diag/diagonal": "np.diag",
    "trace": "np.trace(",
    "append": "np.append(",
    "split": "split(",
    "stacks": "stack(",
    "pad": "np.pad(",
    "select": "np.select(",
    "meshgrid": "np.meshgrid(",
    "kron": "np.kron(",
    "cross": "np.cross(",
    "diff": "np.diff(",
    "gradient": "np.gradient(",
    "trapezoid": "np.trapezoid(",
    "sort": "np.sort(",
    "partition": "np.partition(",
    "take_along_axis": "np.take_along_axis(",
    "nan_to_num": "np.nan_to_num(",
    "sinc": "np.sinc(",
    "cumprod": "cumprod(",
    "interp": "np.interp(",
    "convolve/correlate": "np.co",
    "polyval": "np.polyval(",
    "logaddexp": "np.logaddexp",
    "einsum sublists": "np.einsum(",
    "linalg.norm": "np.linalg.norm(",
    "scipy.special": "scipy.special.",
    "logsumexp/softmax": "scipy.special.",
    "static parameters": "moved(",
    "fft": "np.fft.",
    "complex": "1j",
    "linalg.svd": "np.linalg.svd",
    "linalg.eigh": "np.linalg.eig",
    "linalg.eig": "np.linalg.eig",
    "linalg.qr": "np.linalg.qr(",
    "linalg.cholesky": "np.linalg.cholesky(",
    "linalg.det/slogdet": "np.linalg.",
    "linalg.pinv": "np.linalg.pinv(",
    "linalg.matrix_power": "np.linalg.matrix_power(",
    "linalg.lstsq": "np.linalg.lstsq(",
    "linalg.solve/inv": "np.linalg.",
    "scipy.linalg.solve_triangular": "scipy.linalg.solve_triangular(",
    "scipy.linalg.cho": "scipy.linalg.cho",
    "scipy.linalg.expm/sqrtm": "scipy.linalg.",
    "scipy.linalg.solve_sylvester": "scipy.linalg.solve_sylvester(",
    "scipy.linalg.block_diag": "scipy.linalg.block_diag(",
    "scipy.signal": "scipy.signal.",
}


def test_every_row_of_the_table_is_drawn():
    assert {entry.name for entry in ENTRIES} == set(_SPELLINGS)
    sources = "".join(generate_coverage(1, k).source for k in range(300))
    for entry in available_entries():
        assert _SPELLINGS[entry.name] in sources, entry.name


def test_a_small_campaign_matches():
    summary = run(12, 11, profile="coverage")
    assert summary.counts.get("invalid", 0) == 0, summary.failures
    assert not [f for f in summary.failures if f[2].failed], summary.failures
    assert summary.counts.get("ok", 0) >= 8


def test_a_wrong_second_order_rule_is_caught(monkeypatch: pytest.MonkeyPatch):
    """The tangent rule of sinc's derivative made wrong: the gradient is
    right (it only evaluates that derivative), so only the second-order
    check sees it."""
    program = Program(
        "import numpy as np\n\n\ndef f(x, y):\n"
        "    return np.sum(np.sinc(x)) + np.sum(y)\n",
        (2, 3),
        (3,),
        seed=4,
    )
    assert check_coverage(program).kind == "ok"
    prim = lookup(sinc_derivative)
    wrong = tuple(
        (lambda rule: lambda *a, **k: 1.5 * rule(*a, **k))(rule) for rule in prim.jvps
    )
    monkeypatch.setattr(prim, "jvps", wrong)
    outcome = check_coverage(program)
    assert outcome.kind == "mismatch" and "second order" in outcome.detail


def _norm_of_a_constant_zero(x):
    # np.select keeps none of x here: the norm's operand is the zero matrix,
    # whose tangent is 0 (campaign `--profile coverage --count 12 --seed 11`,
    # program 8: the Hessian-vector product was NaN, from 0 / 0 in the
    # spectral norm's curvature at a matrix with singular values all 0)
    zero = np.select([x > 5.0], [x], default=0.0)
    spectral = np.linalg.norm(zero, ord=2, axis=(1, 0))
    nuclear = np.linalg.norm(zero, ord="nuc")
    return np.sum(np.sin(x)) + spectral + nuclear


# the curvature's SVD formulas divide by zero at the zero matrix (NumPy warns
# in the generated code): the zero direction's result is selected around them
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_matrix_norm_curvature_of_a_zero_direction_is_zero():
    """spectral_hessian and nuclear_hessian are linear in the direction: a
    zero direction gives 0 at any matrix, also a degenerate one (the zero
    matrix) where their SVD formulas divide 0 by 0."""
    x = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]])
    t = np.array([[1.0, -0.5, 0.25], [0.5, 2.0, -1.0]])
    expected = -np.sin(x) * t  # the Hessian of sum(sin(x)), the norms are 0
    assert np.allclose(hvp(_norm_of_a_constant_zero)(x, t), expected, atol=1e-10)
    _, second = jvp(grad(_norm_of_a_constant_zero), (x,), (t,))
    assert np.allclose(second, expected, atol=1e-10)
    # the whole Hessian, and central differences of the gradient
    full = hessian(_norm_of_a_constant_zero)(x).reshape(6, 6)
    assert np.allclose(full, np.diag(-np.sin(x).ravel()), atol=1e-10)
    step = 1e-5
    g = grad(_norm_of_a_constant_zero)
    fd = (g(x + step * t) - g(x - step * t)) / (2 * step)
    assert np.allclose(second, fd, atol=1e-7)
    zero = np.zeros((2, 3))
    assert not np.any(spectral_hessian(zero, zero, 2, (0, 1)))
    assert not np.any(nuclear_hessian(zero, zero, (0, 1)))
    # a nonzero direction at the degenerate matrix is not made 0: no derivative
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(spectral_hessian(zero, t, 2, (0, 1))))
