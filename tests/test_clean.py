"""tools.clean removes timing metadata and widget state, and leaves the run's record alone."""

import shutil

import nbformat

from tests.support import ROOT
from tools import clean


def dirty_copy(tmp_path):
    path = tmp_path / "01-echo-client.ipynb"
    shutil.copy(ROOT / "notebooks" / "01-echo-client.ipynb", path)
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].metadata["execution"] = {"iopub.status.busy": "2026-12-04T10:00:00Z"}
    code[1].metadata["scrolled"] = True
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(nb, path)
    return path, [c.outputs for c in code], [c.execution_count for c in code]


def test_check_finds_what_clean_removes(tmp_path, capsys):
    path, outputs, counts = dirty_copy(tmp_path)
    assert clean.main(["--check", str(path)]) == 1
    said = capsys.readouterr().out
    assert "widget state" in said and "execution" in said and "scrolled" in said
    assert clean.main([str(path)]) == 0
    assert clean.main(["--check", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "widgets" not in nb.metadata
    assert not any("execution" in c.metadata or "scrolled" in c.metadata for c in code)
    assert [c.outputs for c in code] == outputs  # the run's record is kept
    assert [c.execution_count for c in code] == counts


def test_a_clean_notebook_is_left_byte_for_byte(tmp_path):
    path = tmp_path / "00-start-here.ipynb"
    shutil.copy(ROOT / "notebooks" / "00-start-here.ipynb", path)
    before = path.read_bytes()
    assert clean.main([str(path)]) == 0
    assert path.read_bytes() == before


def test_a_folder_stands_for_its_notebooks(tmp_path, capsys):
    """`python -m tools.clean --check notebooks` once passed by checking nothing."""
    dirty_copy(tmp_path)
    assert clean.main(["--check", str(tmp_path)]) == 1
    assert "01-echo-client.ipynb: unclean: widget state" in capsys.readouterr().out
