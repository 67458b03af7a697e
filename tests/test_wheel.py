"""The wheel a `pip install .` builds holds every module of the source tree.

A hand-kept package list once left out helpers.chat: notebook 13 then worked only with the
editable install (`-e .`) that requirements.txt uses, and failed from a built wheel.
"""

import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.support import ROOT


def source_modules() -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / "helpers").rglob("*.py")
            if "__pycache__" not in p.parts}


@pytest.mark.timeout(300)
def test_the_wheel_holds_every_module(tmp_path):
    # Built from a copy: setuptools writes build/ and *.egg-info next to pyproject.toml.
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree)
    shutil.copytree(ROOT / "helpers", tree / "helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(tree)],
        capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = tmp_path.glob("streams_lab-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(source_modules() - inside)
    assert not missing, f"not in {wheel.name}: {missing}"
    assert "helpers/chat/server.py" in inside  # the package a hand-kept list once left out
