"""00-start-here's exercise check: the solution passes; blocking or wrong answers do not."""

from __future__ import annotations

import asyncio
import runpy
import time
from pathlib import Path

from helpers import background
from helpers.echo import echo_once
from helpers.exercises.start_here import check

SOLUTION = Path(__file__).resolve().parent.parent / "notebooks/solutions/00-start-here.py"


def run_check(fn, **kwargs) -> bool:
    return asyncio.run(check(fn, **kwargs))


def test_the_reference_solution_passes(capsys):
    fn = runpy.run_path(str(SOLUTION))["nap_then_echo"]
    assert run_check(fn) is True
    assert capsys.readouterr().out.startswith("✓ nap_then_echo naps without blocking")
    assert background.running() == []  # the check stopped its own server


def test_offloading_the_blocking_nap_to_a_thread_also_passes(capsys):
    async def nap_then_echo(message, address):
        await asyncio.to_thread(time.sleep, 0.3)
        return await echo_once(message, *address)

    assert run_check(nap_then_echo) is True


def test_the_blocking_stub_fails(capsys):
    async def nap_then_echo(message, address):
        time.sleep(0.3)
        return await echo_once(message, *address)

    assert run_check(nap_then_echo) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ not yet: the event loop stood still during nap_then_echo")
    assert background.running() == []


def test_dropping_the_nap_fails(capsys):
    async def nap_then_echo(message, address):
        return await echo_once(message, *address)

    assert run_check(nap_then_echo) is False
    assert "returned too soon" in capsys.readouterr().out


def test_a_wrong_reply_fails(capsys):
    async def nap_then_echo(message, address):
        await asyncio.sleep(0.3)
        return (await echo_once(message, *address)).upper()

    assert run_check(nap_then_echo) is False
    assert "expected the echo 'ping', got 'PING'" in capsys.readouterr().out


def test_a_plain_function_fails_without_raising(capsys):
    def nap_then_echo(message, address):
        return message

    assert run_check(nap_then_echo) is False
    assert "must be a coroutine function" in capsys.readouterr().out


def test_the_learners_exception_is_reported_not_raised(capsys):
    async def nap_then_echo(message, address):
        raise NotImplementedError("your code here")

    assert run_check(nap_then_echo) is False
    out = capsys.readouterr().out
    assert out == "✗ not yet: nap_then_echo raised NotImplementedError: your code here\n"
    assert background.running() == []


def test_a_function_that_never_returns_times_out(capsys):
    async def nap_then_echo(message, address):
        await asyncio.Event().wait()

    assert run_check(nap_then_echo, timeout=0.5) is False
    assert "did not finish within 0.5 s" in capsys.readouterr().out
    assert background.running() == []


def test_a_connection_left_open_does_not_hang_the_check(capsys):
    async def nap_then_echo(message, address):
        await asyncio.sleep(0.3)
        reader, writer = await asyncio.open_connection(*address)
        writer.write(message.encode())
        reply = await reader.read(100)
        nap_then_echo.writer = writer  # never closed by the learner
        return reply.decode()

    async def main():
        ok = await check(nap_then_echo)
        nap_then_echo.writer.close()
        return ok

    assert asyncio.run(asyncio.wait_for(main(), 5)) is True
