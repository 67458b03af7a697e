"""helpers.exercises.timeouts: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

import asyncio

from helpers.background import close_quietly
from helpers.exercises.timeouts import (
    LEFT_OPEN_ON_TIMEOUT,
    NO_EOF,
    STUB,
    check,
    hint,
)
from tests.exercise_support import judged, not_yet, passes, solution

fetch = solution("08-timeouts-and-cancellation", "fetch")


def test_the_reference_solution_passes():
    line = passes(check, fetch)
    assert line.startswith("✓ fetch got the whole reply, gave up at its 0.1 s deadline"), line


def test_the_stub_is_not_yet():
    async def fetch(host, port, request, timeout):
        raise NotImplementedError("your code here")

    assert not_yet(check, fetch) == STUB


def test_a_connection_never_closed_is_not_yet():
    async def fetch(host, port, request, timeout):
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            writer.write_eof()
            return await reader.read()  # and the writer is dropped, still open

    assert "left a connection open (only Python's garbage collector closed it)" in \
        not_yet(check, fetch)


def test_a_plain_function_is_not_yet():
    def fetch(host, port, request, timeout):
        return b""

    assert not_yet(check, fetch) == "fetch must be a coroutine function (async def)"


def test_forgetting_write_eof_is_explained():
    async def fetch(host, port, request, timeout):
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                return await reader.read()
            finally:
                await close_quietly(writer)

    assert not_yet(check, fetch) == f"fetch raised TimeoutError: {NO_EOF}"


def test_one_read_of_100_bytes_is_not_the_whole_reply():
    async def fetch(host, port, request, timeout):
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                writer.write_eof()
                return await reader.read(100)
            finally:
                await close_quietly(writer)

    assert not_yet(check, fetch).startswith("expected the whole reply (224 bytes), got 100")


def test_a_connection_never_closed_but_kept_is_not_yet():
    """The quick server closes first and cannot tell; the trickling one can."""
    kept = []

    async def fetch(host, port, request, timeout):
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            kept.append(writer)  # kept, so the garbage collector cannot close it either
            writer.write(request)
            writer.write_eof()
            return await reader.read()

    async def main():
        try:
            return await judged(check, fetch)
        finally:
            for writer in kept:
                await close_quietly(writer)

    ok, line = asyncio.run(main())
    assert not ok and line == f"✗ not yet: {LEFT_OPEN_ON_TIMEOUT}", line


def test_a_deadline_around_the_reads_only_never_fires_while_connecting():
    async def fetch(host, port, request, timeout):
        reader, writer = await asyncio.open_connection(host, port)  # no deadline here
        try:
            async with asyncio.timeout(timeout):
                writer.write(request)
                writer.write_eof()
                return await reader.read()
        finally:
            await close_quietly(writer)

    reason = not_yet(check, fetch)
    assert reason.startswith("connecting to a server that never accepts, fetch was still"
                             " waiting"), reason
    assert "must cover open_connection" in reason


def test_a_limit_per_read_is_not_a_deadline():
    async def fetch(host, port, request, timeout):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        try:
            writer.write(request)
            writer.write_eof()
            data = b""
            while chunk := await asyncio.wait_for(reader.read(100), timeout):  # per read
                data += chunk
            return data
        finally:
            await close_quietly(writer)

    reason = not_yet(check, fetch)
    assert reason.startswith("against a server that sends a byte every"), reason
    assert "a limit per read never fires" in reason


def test_a_timeout_turned_into_a_value_is_not_yet():
    async def fetch(host, port, request, timeout):
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
                try:
                    writer.write(request)
                    writer.write_eof()
                    return await reader.read()
                finally:
                    await close_quietly(writer)
        except TimeoutError:
            return b""

    reason = not_yet(check, fetch)
    assert reason.startswith("against a server that never accepts, fetch returned b''"
                             " instead of raising TimeoutError"), reason


def test_a_cancellation_swallowed_inside_the_deadline_is_not_yet():
    """The reason names CancelledError too: this fetch never catches TimeoutError."""
    async def fetch(host, port, request, timeout):
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                writer.write_eof()
                return await reader.read()
            except asyncio.CancelledError:
                return b""  # swallowed: the deadline never becomes a TimeoutError
            finally:
                await close_quietly(writer)

    assert not_yet(check, fetch) == (
        "against a server that never stops sending, fetch returned b'' instead of raising"
        " TimeoutError: catch neither TimeoutError nor CancelledError, let them reach the"
        " caller")


def test_a_connection_left_open_on_timeout_is_not_yet():
    kept = []

    async def fetch(host, port, request, timeout):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        kept.append(writer)
        async with asyncio.timeout(timeout):
            writer.write(request)
            writer.write_eof()
            reply = await reader.read()
        writer.close()  # skipped by a TimeoutError
        await writer.wait_closed()
        return reply

    async def main():
        try:
            return await judged(check, fetch)
        finally:
            for writer in kept:
                await close_quietly(writer)

    ok, line = asyncio.run(main())
    assert not ok and line == f"✗ not yet: {LEFT_OPEN_ON_TIMEOUT}", line


def test_a_connection_dropped_on_timeout_is_not_yet():
    """Not kept anywhere: only the garbage collector closes it, with a ResourceWarning."""
    async def fetch(host, port, request, timeout):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        async with asyncio.timeout(timeout):
            writer.write(request)
            writer.write_eof()
            reply = await reader.read()
        writer.close()
        await writer.wait_closed()
        return reply

    assert not_yet(check, fetch) == LEFT_OPEN_ON_TIMEOUT


def test_a_swallowed_cancellation_is_not_yet():
    async def fetch(host, port, request, timeout):
        try:
            return await solution_fetch(host, port, request, timeout)
        except asyncio.CancelledError:
            return b""  # swallowed

    solution_fetch = solution("08-timeouts-and-cancellation", "fetch")
    reason = not_yet(check, fetch)
    assert reason == ("the check cancelled the task running fetch, and fetch returned b'':"
                      " let CancelledError through (clean up in finally:, or re-raise it)"), reason


def test_a_cancellation_turned_into_a_timeout_is_not_yet():
    async def fetch(host, port, request, timeout):
        try:
            return await solution_fetch(host, port, request, timeout)
        except asyncio.CancelledError:
            raise TimeoutError from None

    solution_fetch = solution("08-timeouts-and-cancellation", "fetch")
    assert "and fetch raised TimeoutError: let CancelledError through" in not_yet(check, fetch)


def test_giving_up_before_the_deadline_is_not_yet():
    async def fetch(host, port, request, timeout):
        return await solution_fetch(host, port, request, timeout / 2)

    solution_fetch = solution("08-timeouts-and-cancellation", "fetch")
    reason = not_yet(check, fetch)
    assert reason.startswith("fetch raised TimeoutError after") and "before its deadline" in reason


def test_hints_come_one_at_a_time(capsys):
    hint()
    first = capsys.readouterr().out
    assert first.startswith("Hint 1 of 3 (call hint() again for the next):"), first
    assert "asyncio.timeout(timeout)" in first
    hint()
    assert capsys.readouterr().out.startswith("Hint 2 of 3")
