"""helpers.exercises.echo_client: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path

from helpers import background
from helpers.echo import echo_once
from helpers.exercises.echo_client import MESSAGES, NAME, check

SOLUTION_FILE = Path(__file__).resolve().parent.parent / "notebooks/solutions/01-echo-client.py"
SOLUTION = runpy.run_path(str(SOLUTION_FILE))


def verdict(fn, capsys, timeout: float = 2.0) -> tuple[bool, str]:
    ok = asyncio.run(check(fn, timeout=timeout))
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"check prints exactly one line, got {out!r}"
    assert background.get(NAME) is None, "check must stop its private server"
    return ok, out


def test_the_reference_solution_passes(capsys):
    ok, out = verdict(SOLUTION["echo_all"], capsys)
    assert ok and out.startswith("✓"), out
    assert f"{len(MESSAGES)} messages" in out


def test_the_stub_is_not_yet(capsys):
    async def echo_all(host, port, messages):
        raise NotImplementedError("your code here")

    ok, out = verdict(echo_all, capsys)
    assert not ok and out.startswith("✗ not yet:") and "NotImplementedError" in out


def test_a_plain_function_is_not_yet(capsys):
    def echo_all(host, port, messages):
        return list(messages)

    ok, out = verdict(echo_all, capsys)
    assert not ok and "async" in out


def test_read_100_loses_the_rest_of_a_long_echo(capsys):
    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        echoes = []
        for message in messages:
            writer.write(message.encode())
            echoes.append((await reader.read(100)).decode())
        writer.close()
        await writer.wait_closed()
        return echoes

    ok, out = verdict(echo_all, capsys)
    assert not ok and out.startswith("✗ not yet: sent 'xxx"), out


def test_counting_characters_instead_of_bytes_fails(capsys):
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

    ok, out = verdict(echo_all, capsys)
    assert not ok and "naïve" in out, out


def test_one_connection_per_message_is_not_yet(capsys):
    async def echo_all(host, port, messages):
        return [await echo_once(m, host, port) for m in messages]

    ok, out = verdict(echo_all, capsys)
    assert not ok and f"opened {len(MESSAGES)} connections" in out, out


def test_a_connection_left_open_is_not_yet(capsys):
    kept = []

    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        kept.append(writer)
        echoes = []
        for message in messages:
            data = message.encode()
            writer.write(data)
            echoes.append((await reader.readexactly(len(data))).decode())
        return echoes  # forgot writer.close()

    async def main():
        ok = await check(echo_all)
        kept[0].close()
        await kept[0].wait_closed()
        return ok

    assert not asyncio.run(main())
    assert "still open" in capsys.readouterr().out


def test_waiting_for_an_eof_that_never_comes_times_out(capsys):
    async def echo_all(host, port, messages):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(messages[0].encode())
            return [(await reader.read()).decode()]  # read to EOF, but never sent ours
        finally:
            writer.close()
            await writer.wait_closed()

    ok, out = verdict(echo_all, capsys, timeout=0.3)
    assert not ok and "no result within 0.3 s" in out, out


def test_an_exception_is_reported_not_raised(capsys):
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

    ok, out = verdict(echo_all, capsys)
    assert not ok and out.startswith("✗ not yet: echo_all raised"), out


def test_a_wrong_type_is_not_yet(capsys):
    async def echo_all(host, port, messages):
        return " ".join(messages)

    ok, out = verdict(echo_all, capsys)
    assert not ok and "expected a list" in out
