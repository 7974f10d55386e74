"""Every script in examples/ runs under --quick and prints what it promises.

Each example is run once, in a subprocess (two at a time), with ``--quick``
and ``--output`` pointing at a temporary folder. We check its exit code,
that its last line is ``name: number`` with a sane number, and that the
PNG files it says it wrote exist.
"""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# script -> (name on its last line, lowest and highest sane value under --quick)
EXPECTED = {
    "logistic_regression": ("accuracy", 0.90, 1.0),
    "mlp_digits": ("test_accuracy", 0.85, 1.0),
    "finite_differences": ("speed_ratio", 10.0, float("inf")),
    "initialization": ("test_accuracy_glorot_minus_naive", 0.2, 1.0),
    "batchnorm_dropout": ("test_accuracy_batchnorm_dropout", 0.85, 1.0),
    "adversarial": ("fgsm_success", 0.5, 1.0),
    "saliency": ("saliency_ink_fraction", 0.0, 1.0),
    "feature_visualization": ("mean_target_probability", 0.5, 1.0),
    "lstm": ("test_mse", 0.0, 0.1),
    "as_written": ("loss_decrease", 0.1, float("inf")),
}
LAST_LINE = re.compile(r"^(\w+): (-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)$")


def _run(script, output):
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{script}.py"), "--quick", "--output", output],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All examples, run once with --quick, two at a time."""
    root = tmp_path_factory.mktemp("examples")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            script: pool.submit(_run, script, str(root / script)) for script in EXPECTED
        }
        return {script: future.result() for script, future in futures.items()}


def test_every_example_is_tested():
    scripts = {p.stem for p in EXAMPLES.glob("*.py")} - {"lecture", "quickstart"}
    assert scripts == set(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_quick(runs, script):
    result = runs[script]
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match, f"last line is not 'name: number': {lines[-1]!r}"
    name, low, high = EXPECTED[script]
    assert match.group(1) == name
    assert low <= float(match.group(2)) <= high, lines[-1]

    pngs = re.findall(r"(\S+\.png)\b", result.stdout)
    assert pngs, "no PNG reported"
    for png in pngs:
        path = Path(png)
        assert path.is_file() and path.stat().st_size > 1000, png
