"""The two set-ups stay apart: a learner's (requirements.txt, also Binder's) and the tests'.

README's command 1 installs the learner file, command 2 the test file; `.ci/run` runs
command 2 and the other Pythons install the test file; Binder pins a supported Python.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

LEARNER = ROOT / "requirements.txt"
TESTS = ROOT / "requirements-test.txt"
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"
BINDER = ROOT / "binder"

# Only the test run needs these; a learner's venv (and Binder's image) must not carry them.
TEST_ONLY = {"playwright", "hypothesis", "ruff", "pytest-xdist", "mypy", "pytest-timeout"}
# What the notebooks, their widgets and plot, local TLS and `pytest --nbval notebooks/` need.
LEARNER_NEEDS = {"jupyterlab", "ipykernel", "ipywidgets", "nest-asyncio2", "matplotlib",
                 "trustme", "pytest", "nbval"}
BINDER_PYTHONS = {"3.12", "3.13"}  # supported here, and repo2docker has a base env for each


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lines(path: Path) -> list[str]:
    """A requirements file's lines without comments and blank lines."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def packages(path: Path) -> set[str]:
    """The package names a requirements file lists itself (not through -r, -e)."""
    names = set()
    for line in lines(path):
        if line.startswith("-"):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        assert match, f"{path.name}: cannot read {line!r}"
        names.add(normalize(match.group()))
    return names


def readme_command(heading: str) -> str:
    """The one-line command in the ```bash block after a bold heading of README's Start."""
    text = README.read_text(encoding="utf-8")
    match = re.search(re.escape(f"**{heading}**") + r"\s*```bash\n(.+?)\n```", text)
    assert match, f"README.md has no command under **{heading}**"
    return match.group(1)


def test_learner_file_has_what_a_learner_needs_and_nothing_test_only():
    listed = packages(LEARNER)
    assert "-e ." in lines(LEARNER), "the learner set installs the course's own helpers"
    assert not LEARNER_NEEDS - listed, f"requirements.txt lacks {LEARNER_NEEDS - listed}"
    assert not listed & TEST_ONLY, f"test-only packages in requirements.txt: {listed & TEST_ONLY}"
    assert not any(line.startswith("-r") for line in lines(LEARNER))


def test_test_file_includes_the_learner_file_and_adds_the_test_stack():
    assert lines(TESTS)[0] == "-r requirements.txt"
    listed = packages(TESTS)
    assert not TEST_ONLY - listed, f"requirements-test.txt lacks {TEST_ONLY - listed}"
    assert not listed & packages(LEARNER), "listed twice: " + str(listed & packages(LEARNER))


def test_readme_command_1_sets_up_the_learner_file_and_opens_lab():
    command = readme_command("1. Set up and open the course in JupyterLab")
    assert "pip install -r requirements.txt &&" in command
    assert command.endswith("jupyter lab notebooks/00-start-here.ipynb")


def test_readme_command_2_sets_up_the_test_file_and_runs_every_test():
    command = readme_command("2. Set up and run every test")
    assert "pip install -r requirements-test.txt &&" in command
    assert "python -m pytest -n 4 --dist loadscope" in command


def test_ci_runs_readme_command_2_and_installs_the_test_file_elsewhere():
    ci = CI.read_text(encoding="utf-8")
    awk = re.search(r"awk '([^']+)' README\.md", ci)
    assert awk, ".ci/run no longer reads the test command out of README.md"
    if shutil.which("awk") is None:
        pytest.fail("awk is not installed: cannot check what .ci/run reads from README.md")
    found = subprocess.run(["awk", awk.group(1), "README.md"], cwd=ROOT,
                           capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    assert found == readme_command("2. Set up and run every test")
    # the other Pythons' venvs get the whole test stack; the learner venv only requirements.txt
    assert re.search(r'pip" install -q -r requirements-test\.txt', ci)
    assert re.search(r'pip" install -q -r requirements\.txt', ci), "no learner set-up in CI"


def test_binder_pins_a_supported_python_and_installs_the_learner_file():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)  # repo2docker's runtime.txt form
    assert match and match.group(1) in BINDER_PYTHONS, runtime
    # repo2docker reads only binder/ when it exists; its requirements.txt is the learner set
    assert lines(BINDER / "requirements.txt") == ["-r ../requirements.txt"]


def test_readme_has_a_binder_badge_opening_00_in_jupyterlab():
    first_lines = "\n".join(README.read_text(encoding="utf-8").splitlines()[:6])
    badge = re.search(
        r"\[!\[[^\]]*Binder[^\]]*\]\(https://mybinder\.org/badge_logo\.svg\)\]"
        r"\(https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/HEAD\?urlpath=lab/tree/([^)\s]+)\)",
        first_lines)
    assert badge, "no 'launch on Binder' badge at the top of README.md"
    assert badge.group(1) == "notebooks/00-start-here.ipynb"
    assert (ROOT / badge.group(1)).is_file()
