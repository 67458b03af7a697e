"""ruff over helpers, tests, tools and notebooks: part of the test run, not a habit."""

import subprocess
import sys

from tests.notebook_tools import ROOT


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache",
         "helpers", "tests", "tools", "notebooks"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
