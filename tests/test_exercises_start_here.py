"""00-start-here's exercise check: the solution passes; blocking or wrong answers do not."""

from __future__ import annotations

import asyncio
import time

from helpers.echo import echo_once
from helpers.exercises.start_here import check
from tests.exercise_support import not_yet, passes, solution

nap_then_echo = solution("00-start-here", "nap_then_echo")


def test_the_reference_solution_passes():
    assert passes(check, nap_then_echo) == (
        "✓ nap_then_echo naps without blocking: the event loop kept running, and the echo"
        " came back")


def test_offloading_the_blocking_nap_to_a_thread_also_passes():
    async def nap_then_echo(message, address):
        await asyncio.to_thread(time.sleep, 0.3)
        return await echo_once(message, *address)

    passes(check, nap_then_echo)


def test_the_blocking_stub_fails():
    async def nap_then_echo(message, address):
        time.sleep(0.3)
        return await echo_once(message, *address)

    assert not_yet(check, nap_then_echo) == (
        "the event loop stood still during nap_then_echo (a blocking call such as time.sleep?)")


def test_dropping_the_nap_fails():
    async def nap_then_echo(message, address):
        return await echo_once(message, *address)

    assert "returned too soon" in not_yet(check, nap_then_echo)


def test_a_wrong_reply_fails():
    async def nap_then_echo(message, address):
        await asyncio.sleep(0.3)
        return (await echo_once(message, *address)).upper()

    assert not_yet(check, nap_then_echo) == "expected the echo 'ping', got 'PING'"


def test_answering_without_asking_the_server_fails():
    async def nap_then_echo(message, address):
        await asyncio.sleep(0.3)
        return message  # the right text, but no echo server was asked

    assert not_yet(check, nap_then_echo) == (
        "nap_then_echo returned 'ping' without asking the echo server: keep the"
        " echo_once(...) line")


def test_a_connection_never_closed_fails():
    async def nap_then_echo(message, address):
        await asyncio.sleep(0.3)
        reader, writer = await asyncio.open_connection(*address)
        writer.write(message.encode())
        return (await reader.read(100)).decode()  # the writer is dropped, never closed

    assert not_yet(check, nap_then_echo) == (
        "nap_then_echo left a connection open (only Python's garbage collector closed it):"
        " close the writer, then await writer.wait_closed()")


def test_a_plain_function_fails_without_raising():
    def nap_then_echo(message, address):
        return message

    assert "must be a coroutine function" in not_yet(check, nap_then_echo)


def test_the_learners_exception_is_reported_not_raised():
    async def nap_then_echo(message, address):
        raise NotImplementedError("your code here")

    assert not_yet(check, nap_then_echo) == (
        "nap_then_echo raised NotImplementedError: your code here")


def test_a_function_that_never_returns_times_out():
    async def nap_then_echo(message, address):
        await asyncio.Event().wait()

    assert "did not finish within 0.5 s" in not_yet(check, nap_then_echo, timeout=0.5)
