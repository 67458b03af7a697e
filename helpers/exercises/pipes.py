"""Check for 11-pipes-and-subprocesses' exercise: run a filter program without deadlocking.

The learner writes ``async def run_filter(args, data) -> tuple[int, bytes]``: start the
program ``args`` with pipes, send it ``data`` on stdin, and return its exit code and
everything it wrote on stdout. The check runs it on small Python children that catch the
usual mistakes: a line-by-line echo fed 2.4 MB (write everything, then read: deadlock), one
1 MB line (``readline()`` and its 64 KiB limit), an exit code of 3 (``returncode`` read
before ``wait()``), and a child that exits without reading its input (a broken pipe).
Every child kills itself after a while (``signal.alarm``), and the check kills any child
still running when it is done, so nothing outlives a wrong answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import warnings
from asyncio.base_subprocess import BaseSubprocessTransport
from typing import NamedTuple

from helpers.exercises.contract import Exercise, NotYet, Trial, name_of, short

WATCHDOG = "import signal; signal.alarm(60)\n"  # a stuck child ends itself


class Case(NamedTuple):
    what: str  # the child, for the learner
    code: str  # the child's Python source
    data: bytes  # its stdin
    code_expected: int
    out_expected: bytes
    hint: str


ECHO = "import sys\nfor line in sys.stdin.buffer:\n    sys.stdout.buffer.write(line)\n"
BIG = b"".join(b"line %06d\n" % i for i in range(200_000))  # 2.4 MB
CASES = [
    Case("a line-by-line echo fed 3 short lines", ECHO, b"a\nb\nc\n", 0, b"a\nb\nc\n",
         "send the data, close stdin, read stdout to EOF, then wait()"),
    Case(f"a line-by-line echo fed {len(BIG) / 1e6:.1f} MB", ECHO, BIG, 0, BIG,
         "write stdin and read stdout at the same time: proc.communicate(data)"),
    Case("a child that prints one 1 MB line", "print('x' * 1_000_000)", b"", 0,
         b"x" * 1_000_000 + b"\n",
         "readline() stops at 64 KiB: read(), or communicate(), has no line limit"),
    Case("a child that exits with code 3", "import sys\nsys.stdout.write(sys.stdin.read())\n"
         "sys.exit(3)", b"bye\n", 3, b"bye\n",
         "proc.returncode is None until the child is waited for: await proc.wait()"),
    Case("a child that exits without reading its 1 MB of input", "print('not listening')",
         b"z" * 1_000_000, 0, b"not listening\n",
         "a child may stop reading: communicate() ignores the broken pipe"),
]
HINTS = [
    "proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.PIPE,"
    " stdout=asyncio.subprocess.PIPE), then one call that writes stdin, reads stdout and"
    " waits for the exit, all at once.",
    "out, _ = await proc.communicate(data); return proc.returncode, out",
]


def _children() -> list:
    try:
        import psutil  # type: ignore[import-untyped]  # ipykernel's own dependency
    except ImportError:  # pragma: no cover - every child still ends itself (WATCHDOG)
        return []
    return psutil.Process(os.getpid()).children(recursive=True)


def _alive(child) -> bool:
    try:
        return child.status() != "zombie"
    except Exception:  # gone, already reaped
        return False


async def _stop_new_children(before: set[int]) -> None:
    """Kill the children a wrong answer left running, wait until they are gone, and let
    asyncio close what the learner's code dropped while the loop still runs (otherwise
    their transports are closed later, when the loop is gone: "Event loop is closed")."""
    left = [c for c in _children() if c.pid not in before]
    for child in left:
        with contextlib.suppress(Exception):
            child.kill()
    # Wait (bounded) until each is dead, without reaping it: asyncio's child watcher must
    # collect its exit status, or the learner's transport would never finish.
    async with asyncio.timeout(10):
        while any(_alive(c) for c in left):
            await asyncio.sleep(0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
        # A transport whose stdout was never read stays paused, so it never sees EOF and
        # never finishes: close it now, while the loop runs.
        for obj in gc.get_objects():
            if isinstance(obj, BaseSubprocessTransport) and not obj.is_closing():
                with contextlib.suppress(Exception):
                    obj.close()
    for _ in range(5):  # connection_lost callbacks, scheduled by the closes
        await asyncio.sleep(0)


async def _try_cases(trial: Trial, run_filter, name: str, timeout: float) -> None:
    for case in CASES:
        args = [sys.executable, "-c", WATCHDOG + case.code]

        def say(exc: BaseException, case: Case = case) -> str:
            return f"{str(exc) or '(no message)'} ({case.hint})"

        got = await trial.call(
            run_filter, args, case.data, name=f"{name} on {case.what}", timeout=timeout,
            on_timeout=f"{name} did not finish within {timeout:g} s on {case.what}"
                       f" (a deadlock?): {case.hint}",
            stub=f"{name} raised NotImplementedError: your code here",
            say=say)
        if not (isinstance(got, tuple) and len(got) == 2):
            raise NotYet(f"{name} returned {short(got)}: return a tuple"
                         " (exit code, stdout bytes)")
        code, out = got
        if code != case.code_expected:
            raise NotYet(f"{name} gave exit code {code!r} for {case.what}, expected"
                         f" {case.code_expected} ({case.hint})")
        if out != case.out_expected:
            raise NotYet(f"{name} returned {len(out) if isinstance(out, bytes) else short(out)}"
                         f"{' bytes' if isinstance(out, bytes) else ''} of stdout for"
                         f" {case.what}, expected {len(case.out_expected):,} bytes"
                         f" ({case.hint})")


async def _run(trial: Trial, run_filter, timeout: float = 10.0) -> str:
    """Print ✓ or "✗ not yet: why"; return whether ``run_filter`` handles every child."""
    name = name_of(run_filter, "run_filter")
    before = {c.pid for c in _children()}
    reason = None
    try:
        await _try_cases(trial, run_filter, name, timeout)
    except NotYet as exc:
        reason = str(exc)  # the exception (and the frames holding the learner's process) goes
    except BaseException:  # the check's own failure, or a cancelled cell
        await _stop_new_children(before)
        raise
    await _stop_new_children(before)
    if reason is not None:
        raise NotYet(reason)
    return (f"{name} handles all {len(CASES)} children: a 2.4 MB echo without deadlock,"
            " a 1 MB line, exit code 3, and a child that stops reading")


check = Exercise(_run, hints=HINTS, deadline=90)
hint = check.hint
