"""helpers.exercises.echo_client: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

import asyncio

from helpers.echo import echo_once
from helpers.exercises.echo_client import MESSAGES, STILL_OPEN, UNCLOSED, check
from tests.exercise_support import judged, not_yet, passes, solution

echo_all = solution("01-echo-client", "echo_all")


def test_the_reference_solution_passes():
    line = passes(check, echo_all)
    assert line == f"✓ {len(MESSAGES)} messages echoed over one connection, then closed cleanly"


def test_the_stub_is_not_yet():
    async def echo_all(host, port, messages):
        raise NotImplementedError("your code here")

    assert not_yet(check, echo_all) == "echo_all still raises NotImplementedError: write its body"


def test_a_plain_function_is_not_yet():
    def echo_all(host, port, messages):
        return list(messages)

    assert not_yet(check, echo_all) == "echo_all must be a coroutine function (async def)"


def test_read_100_loses_the_rest_of_a_long_echo():
    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        echoes = []
        for message in messages:
            writer.write(message.encode())
            echoes.append((await reader.read(100)).decode())
        writer.close()
        await writer.wait_closed()
        return echoes

    assert not_yet(check, echo_all).startswith("sent 'xxx")


def test_counting_characters_instead_of_bytes_fails():
    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        echoes = []
        for message in messages:
            writer.write(message.encode())
            data = await reader.readexactly(len(message))  # characters, not bytes
            echoes.append(data.decode(errors="replace"))
        writer.close()
        await writer.wait_closed()
        return echoes

    assert "naïve" in not_yet(check, echo_all)


def test_one_connection_per_message_is_not_yet():
    async def echo_all(host, port, messages):
        return [await echo_once(m, host, port) for m in messages]

    assert f"opened {len(MESSAGES)} connections" in not_yet(check, echo_all)


def test_a_connection_never_closed_is_not_yet():
    """Right echoes, no close(): the writer is dropped, and the garbage collector closes it.

    The server sees a clean end either way; the check must still say who closed it.
    """
    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        echoes = []
        for message in messages:
            data = message.encode()
            writer.write(data)
            await writer.drain()
            echoes.append((await reader.readexactly(len(data))).decode())
        return echoes  # forgot writer.close()

    assert not_yet(check, echo_all) == UNCLOSED
    assert "never closed its connection" in UNCLOSED


def test_a_connection_kept_open_is_not_yet():
    kept = []

    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        kept.append(writer)  # kept somewhere: the garbage collector cannot close it
        echoes = []
        for message in messages:
            data = message.encode()
            writer.write(data)
            echoes.append((await reader.readexactly(len(data))).decode())
        return echoes

    async def main():
        try:
            return await judged(check, echo_all)
        finally:
            kept[0].close()
            await kept[0].wait_closed()

    ok, line = asyncio.run(main())
    assert (ok, line) == (False, f"✗ not yet: {STILL_OPEN}")


def test_waiting_for_an_eof_that_never_comes_times_out():
    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(messages[0].encode())
            return [(await reader.read()).decode()]  # read to EOF, but never sent ours
        finally:
            writer.close()
            await writer.wait_closed()

    assert not_yet(check, echo_all, timeout=0.3).startswith("no result within 0.3 s")


def test_an_exception_is_reported_not_raised():
    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            echoes = []
            for message in messages:
                writer.write(message.encode())
                writer.write_eof()  # fine once; a second write after EOF fails
                echoes.append((await reader.read()).decode())
            return echoes
        finally:
            writer.close()
            await writer.wait_closed()

    assert not_yet(check, echo_all).startswith("echo_all raised")


def test_a_wrong_type_is_not_yet():
    async def echo_all(host, port, messages):
        return " ".join(messages)

    assert "expected a list" in not_yet(check, echo_all)
