"""tools.navigation: the navigation lines and both tables follow the notebooks themselves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tests.notebook_tools import ROOT
from tools import navigation


def scratch_copy(tmp_path: Path) -> Path:
    """The notebooks and README.md, copied to a scratch repository."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns("solutions", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "README.md", tmp_path)
    return tmp_path


def run(root: Path, capsys, *args: str) -> tuple[int, set[str]]:
    code = navigation.main([*args, "--root", str(root)])
    return code, set(capsys.readouterr().out.splitlines())


def edit(path: Path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def snapshot(root: Path) -> dict[str, bytes]:
    files = [*sorted((root / "notebooks").glob("*.ipynb")), root / "README.md"]
    return {p.name: p.read_bytes() for p in files}


def code_cells(root: Path) -> dict[str, list]:
    return {p.name: [c for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
            for p in sorted((root / "notebooks").glob("*.ipynb"))}


def test_the_repository_is_up_to_date():
    result = subprocess.run([sys.executable, "-m", "tools.navigation", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK"), result.stdout


def test_check_names_each_stale_place_and_the_tool_fixes_them(tmp_path, capsys):
    root = scratch_copy(tmp_path)
    nbs = root / "notebooks"
    assert run(root, capsys, "--check")[0] == 0

    def retitle(nb):
        nb.cells[0].source = nb.cells[0].source.replace("Reading and framing", "Reading bytes")

    edit(nbs / "03-reading-and-framing.ipynb", retitle)
    last = sorted(nbs.glob("*.ipynb"))[-1]  # the course's last notebook, whichever it is now
    number = f"{int(last.name[:2]) + 1:02d}"
    extra = f"{number}-extra.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell(f"# {number} · Extra\n\nOne more."),
                                       new_code_cell("await stop_all()")]),
                   nbs / extra)
    before = code_cells(root)

    code, lines = run(root, capsys, "--check")
    assert code == 1
    assert lines == {
        "notebooks/00-start-here.ipynb: index table is stale",
        "notebooks/02-echo-server.ipynb: top navigation is stale",
        "notebooks/02-echo-server.ipynb: bottom navigation is stale",
        "notebooks/04-writing-and-flow-control.ipynb: top navigation is stale",
        "notebooks/04-writing-and-flow-control.ipynb: bottom navigation is stale",
        f"notebooks/{last.name}: top navigation is stale",  # it gains a "next" link
        f"notebooks/{last.name}: bottom navigation is stale",
        f"notebooks/{extra}: no navigation cell: run python -m tools.navigation",
        "README.md: notebook table is stale",
    }

    assert run(root, capsys)[0] == 0
    assert run(root, capsys, "--check") == (0, {
        "OK: navigation, index and README table are up to date"})
    assert code_cells(root) == before  # sources, outputs and execution counts untouched
    nb = nbformat.read(nbs / extra, as_version=4)
    title = nbformat.read(last, as_version=4).cells[0].source.splitlines()[0].lstrip("# ")
    line = f"[← {title}]({last.name}) | [Index](00-start-here.ipynb)"
    assert [c.source.splitlines()[-1] for c in (nb.cells[1], nb.cells[-1])] == [line, line]
    assert [c.id for c in (nb.cells[1], nb.cells[-1])] == ["navigation-top", "navigation-bottom"]
    first = nbformat.read(nbs / "00-start-here.ipynb", as_version=4).cells[1].source
    assert first.endswith("\n[Index](00-start-here.ipynb)"
                          " | [01 · The echo client →](01-echo-client.ipynb)")
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "| 03 | [Reading bytes](notebooks/03-reading-and-framing.ipynb) |" in readme


def test_running_it_twice_changes_nothing_the_second_time(tmp_path, capsys):
    root = scratch_copy(tmp_path)

    def drop_navigation(nb):
        nb.cells = [c for c in nb.cells if not navigation.is_navigation(c)]

    edit(root / "notebooks/05-unix-sockets.ipynb", drop_navigation)
    assert run(root, capsys) == (0, {"wrote notebooks/05-unix-sockets.ipynb"})
    first = snapshot(root)
    assert run(root, capsys) == (0, {"OK: nothing to change"})
    assert snapshot(root) == first


def test_a_notebook_without_a_title_is_named(tmp_path, capsys):
    root = scratch_copy(tmp_path)

    def untitle(nb):
        nb.cells[0].source = "Some words.\n\nMore words."

    edit(root / "notebooks/06-socketpair.ipynb", untitle)
    before = snapshot(root)
    code, lines = run(root, capsys)
    assert code == 1
    assert lines == {"notebooks/06-socketpair.ipynb: the first Markdown cell must be "
                     "'# 06 · Title', then a one-line promise"}
    assert snapshot(root) == before
