"""Run a small asyncio program in a fresh Python and read what debug mode reported.

asyncio's debug mode writes its reports to stderr (through the ``asyncio`` logger
and the ``warnings`` module). In a notebook, text on stderr from the kernel lands
wherever it likes, so notebook 08 runs each demonstration in a child process and
reads the child's stderr as a log:

    log = await run_dev(CODE)                      # python -X dev -c CODE
    log = await run_dev(CODE, how="env")           # PYTHONASYNCIODEBUG=1 python -c CODE
    log = await run_dev(CODE, how="plain")         # no debug mode at all
    for line in grep(log, "never awaited"):
        print(line)

The log comes back with what changes from machine to machine or run to run
masked: file paths, line numbers inside the standard library, timings, addresses.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys

HOW = {
    "dev": ["-X", "dev"],  # Python's development mode: asyncio debug mode and more
    "env": [],  # PYTHONASYNCIODEBUG=1 in the environment: asyncio debug mode only
    "plain": [],  # neither
}

_MASKS = [
    # a standard-library file, wherever Python is installed: "asyncio/runners.py"
    (re.compile(r"(?:[A-Za-z]:)?[^\s\"'<>(]*[\\/]lib[\\/]python3\.\d+[\\/]"), ""),
    (re.compile(r"(asyncio/\w+\.py):\d+"), r"\1"),  # "asyncio/runners.py:100"
    (re.compile(r"(asyncio/\w+\.py\"), line \d+"), r"\1"),  # 'File "asyncio/x.py", line 9'

    (re.compile(r"took \d+\.\d+ seconds"), "took … seconds"),
    (re.compile(r"0x[0-9a-fA-F]+"), "0x…"),
]


def tidy(text: str) -> str:
    """``text`` with standard-library paths, their line numbers, timings and addresses masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


async def run_dev(code: str, how: str = "dev", *, timeout: float = 10.0) -> str:
    """Run ``code`` with ``python -c`` in a child process; return its stderr, tidied.

    ``how``: ``"dev"`` (``-X dev``), ``"env"`` (``PYTHONASYNCIODEBUG=1``) or ``"plain"``.
    The child's stdout is added at the end after a ``--- stdout ---`` line, if any.
    """
    if how not in HOW:
        raise ValueError(f"how must be one of {sorted(HOW)}, not {how!r}")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONWARNINGS")}
    if how == "env":
        env["PYTHONASYNCIODEBUG"] = "1"
    proc = await asyncio.create_subprocess_exec(
        # -S: no site-packages, the demonstrations need only the standard library
        # (and start in a fraction of the time).
        sys.executable, "-S", *HOW[how], "-c", code, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise TimeoutError(f"the program did not end within {timeout} s") from None
    log = err.decode(errors="backslashreplace")
    if out:
        log += "--- stdout ---\n" + out.decode(errors="backslashreplace")
    return tidy(log)


def grep(log: str, *words: str) -> list[str]:
    """The lines of ``log`` that contain any of ``words``."""
    return [line for line in log.splitlines() if any(w in line for w in words)]
