"""docs/numpy-coverage.md is the table adcompiler.tools.coverage generates."""

import os
import subprocess
import sys
from pathlib import Path

from adcompiler.tools.coverage import coverage_markdown

PAGE = Path(__file__).resolve().parent.parent / "docs" / "numpy-coverage.md"
REGENERATE = "python -m adcompiler.tools.coverage > docs/numpy-coverage.md"


def test_coverage_page_is_up_to_date():
    # A fresh interpreter: rules other tests register must not reach the table.
    generated = subprocess.run(
        [sys.executable, "-m", "adcompiler.tools.coverage"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=True,
    ).stdout
    assert PAGE.read_text(encoding="utf-8") == generated, (
        f"{PAGE.name} is out of date with the rule registry; regenerate it with "
        f"`{REGENERATE}`"
    )


def test_coverage_markdown_lists_the_rule_tables():
    page = coverage_markdown()
    assert "| `np.tanh` | yes | yes |" in page
    assert "| `np.argmax` | non-differentiable | — |" in page
    assert "| `np.where` | yes, except `condition` | yes |" in page
