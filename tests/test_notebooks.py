"""What nbval cannot see: Run All in one kernel (twice), and the hygiene of saved notebooks.

nbval sends one cell, waits for its reply, then sends the next. JupyterLab's Run All
queues every cell at once, which is how nest_asyncio 1.6 hung here (DESIGN.md).
"""

from __future__ import annotations

import re

import pytest

from tests.notebook_tools import (
    Kernel,
    code_cells,
    may_raise,
    notebook_paths,
    read,
)

NOTEBOOKS = notebook_paths()
IDS = [p.stem for p in NOTEBOOKS]
BAD_STDERR = re.compile(r"Warning|Traceback|Task exception|never retrieved|never awaited|"
                        r"Task was destroyed|Unhandled exception")
MACHINE_PATH = re.compile(r"(/tmp/|/root/|/home/|/work/|/Users/|~/|\.pyenv|site-packages|"
                          r"ipykernel_\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Error texts known to differ between the supported Pythons (3.11-3.14). A checked output
# (a cell not tagged nbval-ignore-output) must not contain them: show a fact that holds on
# every version instead (the exception's type, an errno name, a comparison).
VERSION_DEPENDENT = [
    "bytes-like object",  # write(str), 3.11-3.13: "data argument must be a bytes-like object"
    "bytes, bytearray, or memoryview",  # the same TypeError, worded anew in 3.14
    "error while attempting to bind",  # start_server on a taken port: EADDRINUSE wording
]
SECTIONS = ["What you'll do", "What you'll learn", "What you'll need", "Then and now",
            "Summary", "Further reading", "Clean up"]


# Two halves, each its own class: pytest-xdist's --dist loadscope (README's test command)
# keeps a class on one worker, so the halves run at the same time.
class TestEvenNotebooks:
    @pytest.mark.parametrize("path", NOTEBOOKS[0::2], ids=IDS[0::2])
    def test_run_all_twice_in_one_kernel(self, path):
        run_all_twice_in_one_kernel(path)


class TestOddNotebooks:
    @pytest.mark.parametrize("path", NOTEBOOKS[1::2], ids=IDS[1::2])
    def test_run_all_twice_in_one_kernel(self, path):
        run_all_twice_in_one_kernel(path)


def run_all_twice_in_one_kernel(path) -> None:
    cells = code_cells(read(path))
    kernel = Kernel()
    try:
        for round_ in ("first", "second"):
            for reply in kernel.run_all(cells):
                cell = cells[reply.index - 1]
                where = f"{path.name}, {round_} Run All, code cell {reply.index}"
                if not may_raise(cell):
                    assert reply.status == "ok", f"{where}: {reply.status} {reply.ename}"
                elif round_ == "first":  # the second time, nest_asyncio2 may let it pass
                    assert reply.status == "error", f"{where}: tagged to raise, did not"
                noise = BAD_STDERR.search("".join(reply.stderr))
                assert not noise, f"{where}: stderr says {''.join(reply.stderr)[:300]!r}"
    finally:
        kernel.close()


def output_text(output) -> str:
    if "text" in output:
        return output["text"]
    return output.get("data", {}).get("text/plain", "")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_saved_outputs_are_clean(path):
    nb = read(path)
    cells = code_cells(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: re-execute with nbconvert"
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), "re-run top to bottom in a fresh kernel"
    for i, cell in enumerate(cells, 1):
        for out in cell.outputs:
            if out.output_type == "error":
                assert may_raise(cell), f"code cell {i}: unexpected {out.ename}"
                traceback = ANSI.sub("", "\n".join(out.traceback))
                found = MACHINE_PATH.search(traceback)
                assert not found, f"code cell {i}: its traceback shows a machine path {found[0]}"
                continue
            text = output_text(out)
            assert not MACHINE_PATH.search(text), f"code cell {i} shows a machine path"
            if out.get("name") == "stderr":
                assert not BAD_STDERR.search(text), f"code cell {i}: stderr {text[:200]!r}"
    for cell in cells:
        if may_raise(cell):
            assert any(o.output_type == "error" for o in cell.outputs), \
                "a cell tagged raises-exception that does not raise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_timing_metadata(path):
    """Outputs made with record_timing=False: a re-run changes only what a learner sees."""
    timed = [i for i, c in enumerate(code_cells(read(path)), 1) if "execution" in c.metadata]
    assert not timed, (f"code cells {timed[:8]} keep timing metadata: re-execute with "
                       "nbconvert --ExecutePreprocessor.record_timing=False")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_cell_meant_to_raise_is_tagged_raises_exception(path):
    """JupyterLab's Run All honours only this tag; any other marker stops Run All there."""
    for i, cell in enumerate(code_cells(read(path)), 1):
        tags = cell.metadata.get("tags", [])
        meant = ("nbval-raises-exception" in tags or "NBVAL_RAISES_EXCEPTION" in cell.source
                 or any(o.output_type == "error" for o in cell.outputs))
        if meant:
            assert "raises-exception" in tags, \
                f"code cell {i} is meant to raise but is not tagged raises-exception"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_checked_outputs_hold_on_every_python(path):
    for i, cell in enumerate(code_cells(read(path)), 1):
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                text = f"{out.ename}: {out.evalue}"
            else:
                text = output_text(out)
            for phrase in VERSION_DEPENDENT:
                assert phrase not in text, (
                    f"code cell {i}: its checked output says {phrase!r}, which differs "
                    "between Python versions")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_shape(path):
    """The sections every notebook has. Navigation and the index: tests/test_navigation.py."""
    nb = read(path)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for section in SECTIONS:
        assert f"## {section}" in prose, f"{path.name} has no '## {section}' section"
    for target in re.findall(r"\]\(([^)#\s]+\.ipynb)", prose):
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"
    last_code = code_cells(nb)[-1].source
    assert "stop_all()" in last_code, "the last code cell stops what the notebook started"
