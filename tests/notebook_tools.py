"""Reading notebooks and running them the way JupyterLab's Run All does."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager

from tests.support import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
RAISES_TAGS = {"raises-exception", "nbval-raises-exception"}


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def may_raise(cell) -> bool:
    return bool(RAISES_TAGS & set(cell.metadata.get("tags", [])))


@dataclass
class Reply:
    index: int  # position among the code cells, from 1
    status: str  # "ok", "error" or "aborted"
    ename: str = ""
    stderr: list[str] = field(default_factory=list)


class Kernel:
    """One python3 kernel of this environment, started in the notebooks folder."""

    def __init__(self, cwd: Path = NOTEBOOK_DIR):
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def run_all(self, cells: list, timeout: float = 120.0) -> list[Reply]:
        """Queue every cell at once, as Run All does, and wait for every reply.

        Like JupyterLab, a cell tagged ``raises-exception`` is sent with
        ``stop_on_error=False``; any other cell that fails aborts the queue.
        """
        sent = {}
        for i, cell in enumerate(cells, 1):
            msg_id = self.client.execute(cell.source, stop_on_error=not may_raise(cell))
            sent[msg_id] = Reply(i, "pending")
        deadline = time.monotonic() + timeout
        pending = set(sent)
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                stuck = sorted(sent[m].index for m in pending)
                raise TimeoutError(f"no reply from code cells {stuck} after {timeout} s")
            self._drain_iopub(sent)
            try:
                msg = self.client.get_shell_msg(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            msg_id = msg["parent_header"].get("msg_id")
            if msg_id in pending:
                sent[msg_id].status = msg["content"]["status"]
                sent[msg_id].ename = msg["content"].get("ename", "")
                pending.discard(msg_id)
        time.sleep(0.1)
        self._drain_iopub(sent)
        return list(sent.values())

    def _drain_iopub(self, sent: dict[str, Reply]) -> None:
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=0)
            except queue.Empty:
                return
            reply = sent.get(msg["parent_header"].get("msg_id"))
            if reply and msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                reply.stderr.append(msg["content"]["text"])
