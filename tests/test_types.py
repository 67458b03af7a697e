"""mypy over helpers and tools (configured in pyproject.toml): part of the test run, as ruff is."""

import subprocess
import sys

import pytest

from tests.support import ROOT


@pytest.mark.timeout(300)  # a cold mypy cache on a loaded machine takes a while
def test_mypy_is_clean(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr
