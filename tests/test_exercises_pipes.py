"""11-pipes-and-subprocesses' exercise check: the solution passes; the usual mistakes get
their exact reasons, and no child process outlives the check."""

from __future__ import annotations

import asyncio

from helpers.exercises.pipes import _children, check
from tests.exercise_support import not_yet, passes, solution

run_filter = solution("11-pipes-and-subprocesses", "run_filter")
PIPE = asyncio.subprocess.PIPE


def test_the_reference_solution_passes():
    assert passes(check, run_filter) == (
        "✓ run_filter handles all 5 children: a 2.4 MB echo without deadlock, a 1 MB line,"
        " exit code 3, and a child that stops reading")


def test_the_stub_is_reported_not_raised():
    async def run_filter(args, data):
        raise NotImplementedError("your code here")

    assert not_yet(check, run_filter) == "run_filter raised NotImplementedError: your code here"


def test_write_everything_then_read_deadlocks_and_is_reported():
    async def run_filter(args, data):
        proc = await asyncio.create_subprocess_exec(*args, stdin=PIPE, stdout=PIPE)
        try:
            proc.stdin.write(data)
            await proc.stdin.drain()  # the child blocks on its full stdout: so do we
            proc.stdin.close()
            out = await proc.stdout.read()
            return await proc.wait(), out
        finally:
            if proc.returncode is None:
                proc.kill()

    before = {c.pid for c in _children()}
    assert not_yet(check, run_filter, timeout=3) == (
        "run_filter did not finish within 3 s on a line-by-line echo fed 2.4 MB (a deadlock?):"
        " write stdin and read stdout at the same time: proc.communicate(data)")
    assert {c.pid for c in _children() if c.is_running()} - before == set()


def test_readline_meets_the_64_kib_limit():
    async def run_filter(args, data):
        proc = await asyncio.create_subprocess_exec(*args, stdin=PIPE, stdout=PIPE)
        proc.stdin.write(data)
        proc.stdin.close()
        try:
            lines = [line async for line in proc.stdout]
        except ValueError:
            proc.kill()
            raise
        finally:
            await proc.wait()
        return proc.returncode, b"".join(lines)

    reason = not_yet(check, run_filter)
    assert reason.startswith("run_filter on a child that prints one 1 MB line raised"
                             " ValueError: Separator is"), reason
    assert reason.endswith("(readline() stops at 64 KiB: read(), or communicate(), has no"
                           " line limit)"), reason


def test_an_exit_code_taken_for_granted_is_caught():
    async def run_filter(args, data):
        proc = await asyncio.create_subprocess_exec(*args, stdin=PIPE, stdout=PIPE)
        out, _ = await proc.communicate(data)
        return 0, out  # "it worked"

    assert not_yet(check, run_filter) == (
        "run_filter gave exit code 0 for a child that exits with code 3, expected 3"
        " (proc.returncode is None until the child is waited for: await proc.wait())")


def test_a_broken_pipe_escapes_a_hand_written_feeder():
    async def run_filter(args, data):
        proc = await asyncio.create_subprocess_exec(*args, stdin=PIPE, stdout=PIPE)

        async def feed():
            proc.stdin.write(data)
            await proc.stdin.drain()
            proc.stdin.close()

        try:
            _, out = await asyncio.gather(feed(), proc.stdout.read())
        finally:
            await proc.wait()
        return proc.returncode, out

    reason = not_yet(check, run_filter)
    assert reason.startswith("run_filter on a child that exits without reading its 1 MB of"
                             " input raised "), reason
    assert reason.endswith("(a child may stop reading: communicate() ignores the broken pipe)")
    assert "BrokenPipeError" in reason or "ConnectionResetError" in reason, reason


def test_a_plain_function_is_refused():
    def run_filter(args, data):
        return 0, b""

    assert not_yet(check, run_filter) == "run_filter must be a coroutine function (async def)"


def test_a_wrong_shape_is_named():
    async def run_filter(args, data):
        proc = await asyncio.create_subprocess_exec(*args, stdin=PIPE, stdout=PIPE)
        out, _ = await proc.communicate(data)
        return out

    assert not_yet(check, run_filter) == (
        "run_filter returned b'a\\nb\\nc\\n': return a tuple (exit code, stdout bytes)")
