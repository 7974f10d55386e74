"""The fuzzer's coverage profile (issue #17, ``--profile coverage``): its
programs are deterministic, valid, draw every row of the table, and are
checked at orders 1 and 2 (a wrong second-order rule is caught)."""

from __future__ import annotations

import pytest

from adcompiler.primitives.array_helpers import sinc_derivative
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
