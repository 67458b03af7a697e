"""helpers.exercises.server_script: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

import asyncio
import sys

from helpers.exercises.server_script import (
    FLOOD_OPEN,
    HANG,
    LEFT_OPEN,
    NOT_TOLD,
    STILL_ACCEPTS,
    STUB,
    check,
    hint,
)
from tests.exercise_support import not_yet, passes, solution

shutdown = solution("12-server-script", "shutdown")
STILL_RUNNING = ("of 3 handler tasks still running after shutdown returned: drop the"
                 " connections that do not read (writer.transport.abort()), then cancel the"
                 " tasks that are left and wait for them")


def test_the_reference_solution_passes():
    line = passes(check, shutdown)
    assert line.startswith("✓ shutdown stopped 3 clients within its grace: the silent"), line
    assert line.endswith("the sleeping handler was cancelled"), line


def test_the_stub_is_not_yet():
    async def shutdown(server, clients, grace):
        raise NotImplementedError("your code here")

    assert not_yet(check, shutdown) == STUB


def test_close_then_an_unbounded_wait_closed():
    """3.11: wait_closed() returns at once, the handlers run on; 3.12+: it never returns."""
    async def shutdown(server, clients, grace):
        server.close()
        await server.wait_closed()

    reason = not_yet(check, shutdown)
    if sys.version_info >= (3, 12):
        assert reason == HANG
    else:
        assert reason == f"3 {STILL_RUNNING}"


def test_telling_and_closing_without_abort_or_cancel_leaves_two_handlers():
    async def shutdown(server, clients, grace):
        server.close()
        for writer in clients.values():
            writer.write(b"BYE server stopping\n")
            writer.close()
        await asyncio.wait(list(clients), timeout=grace)

    assert not_yet(check, shutdown) == f"2 {STILL_RUNNING}"


def test_cancelling_without_aborting_leaves_the_flood_connection_open():
    async def shutdown(server, clients, grace):
        server.close()
        for writer in clients.values():
            writer.write(b"BYE server stopping\n")
            writer.close()
        for task in clients:
            task.cancel()
        await asyncio.wait(list(clients), timeout=grace)

    assert not_yet(check, shutdown) == FLOOD_OPEN


def test_dropping_everyone_without_a_word_is_not_yet():
    async def shutdown(server, clients, grace):
        server.close()
        for writer in clients.values():
            writer.transport.abort()
        for task in clients:
            task.cancel()
        await asyncio.wait(list(clients), timeout=grace)

    assert not_yet(check, shutdown) == NOT_TOLD


def test_forgetting_server_close_is_not_yet():
    async def shutdown(server, clients, grace):
        for writer in clients.values():
            writer.write(b"BYE server stopping\n")
            writer.close()
        await asyncio.wait(list(clients), timeout=grace)
        for writer in clients.values():
            writer.transport.abort()
        for task in clients:
            task.cancel()
        await asyncio.wait(list(clients), timeout=grace)

    assert not_yet(check, shutdown) == STILL_ACCEPTS


def test_telling_only_the_busy_ones_leaves_the_silent_client_open():
    async def shutdown(server, clients, grace):
        server.close()
        for task in clients:  # cancelled, every one, and nobody told
            task.cancel()
        await asyncio.wait(list(clients), timeout=grace)

    # The check's handler closes its writer when cancelled, so this one is told nothing.
    assert not_yet(check, shutdown) == NOT_TOLD


def test_waiting_longer_than_the_grace_is_not_yet():
    async def shutdown(server, clients, grace):
        server.close()
        for writer in clients.values():
            writer.write(b"BYE server stopping\n")
            writer.close()
        await asyncio.sleep(10 * grace)  # a fixed wait, much longer than the grace
        for writer in clients.values():
            writer.transport.abort()
        for task in clients:
            task.cancel()
        await asyncio.wait(list(clients), timeout=grace)

    assert not_yet(check, shutdown).startswith("shutdown took 2.")


def test_not_async_is_not_yet():
    def shutdown(server, clients, grace):
        server.close()

    assert not_yet(check, shutdown) == "shutdown must be a coroutine function (async def)"


def test_hints_come_one_at_a_time(capsys):
    hint()
    hint()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Hint 1 of 3 (call hint() again for the next): Six steps")
    assert out[1].startswith("Hint 2 of 3")


def test_left_open_reason_names_writer_close():
    assert "writer.close()" in LEFT_OPEN
