"""The troubleshooting page is generated from the notebooks' error entries, and kept true."""

import shutil

import nbformat

from tests.support import ROOT
from tools import troubleshooting


def copy_of_notebooks(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


def first_tagged_cell(root):
    for path in sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("streams_lab", {}).get("errors"):
                return path, nb, cell
    raise AssertionError("no cell carries an error entry")


def test_the_page_is_up_to_date_and_lists_at_least_40_messages(capsys):
    assert troubleshooting.main(["--check"]) == 0, capsys.readouterr().out
    said = capsys.readouterr().out
    count = int(said.split("(")[1].split()[0])
    assert count >= 40, said
    page = (ROOT / "notebooks" / troubleshooting.PAGE).read_text(encoding="utf-8")
    assert troubleshooting.listed(page) >= {"RuntimeError: Event loop is closed"}


def test_an_output_that_no_longer_shows_its_message_is_stale(tmp_path, capsys):
    root = copy_of_notebooks(tmp_path)
    path, nb, cell = first_tagged_cell(root)
    message = cell.metadata["streams_lab"]["errors"][0]["message"]
    cell.outputs = []  # as if the cell now ran without the error
    nbformat.write(nb, path)
    assert troubleshooting.main(["--check", "--root", str(root)]) == 1
    said = capsys.readouterr().out
    assert f"{path.name}, cell {cell.id}: stale entry: {message!r}" in said


def test_a_deleted_cell_makes_the_page_stale(tmp_path, capsys):
    root = copy_of_notebooks(tmp_path)
    path, nb, cell = first_tagged_cell(root)
    gone = {e["message"] for e in cell.metadata["streams_lab"]["errors"]}
    nb.cells.remove(cell)
    nbformat.write(nb, path)
    assert troubleshooting.main(["--check", "--root", str(root)]) == 1
    said = capsys.readouterr().out
    assert "troubleshooting.md is stale" in said
    # messages reproduced nowhere else are named as such
    page_after = troubleshooting.render(troubleshooting.collect(
        troubleshooting.read_notebooks(root))[0])
    for message in gone - troubleshooting.listed(page_after):
        assert f"no longer reproduced: {message!r}" in said


def test_an_entry_with_a_port_in_it_is_refused(tmp_path, capsys):
    root = copy_of_notebooks(tmp_path)
    path, nb, cell = first_tagged_cell(root)
    cell.metadata["streams_lab"]["errors"].append(
        {"message": "ConnectionRefusedError: ('127.0.0.1', 8888)", "cause": "x"})
    nbformat.write(nb, path)
    assert troubleshooting.main(["--check", "--root", str(root)]) == 1
    assert "names a port, path or address" in capsys.readouterr().out
