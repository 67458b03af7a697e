"""05-unix-sockets' exercise check: the solution passes; each kind of wrong probe fails."""

from __future__ import annotations

import asyncio
import os
import runpy
import socket
from pathlib import Path

import pytest

from helpers import background
from helpers.exercises.unix_sockets import check
from helpers.unix_echo import probe as script_probe

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")

SOLUTION = Path(__file__).resolve().parent.parent / "notebooks/solutions/05-unix-sockets.py"


def run_check(fn, **kwargs) -> bool:
    return asyncio.run(check(fn, **kwargs))


def test_the_reference_solution_passes(capsys):
    probe = runpy.run_path(str(SOLUTION))["probe"]
    assert run_check(probe) is True
    assert capsys.readouterr().out.startswith("✓ probe tells them apart")
    assert background.running() == []  # the check stopped its own server


def test_the_scripts_probe_passes_too(capsys):
    assert run_check(script_probe) is True


def test_the_stub_is_reported_not_raised(capsys):
    async def probe(path):
        raise NotImplementedError("your code here")

    assert run_check(probe) is False
    out = capsys.readouterr().out
    assert out == ("✗ not yet: probe(a path with nothing there) raised "
                   "NotImplementedError: your code here\n")
    assert background.running() == []


def test_connecting_without_looking_at_the_file_type_fails(capsys):
    async def probe(path):  # a regular file refuses connections too
        try:
            _, writer = await asyncio.open_unix_connection(path)
        except FileNotFoundError:
            return "missing"
        except ConnectionRefusedError:
            return "stale"
        writer.close()
        await writer.wait_closed()
        return "listening"

    assert run_check(probe) is False
    assert ("probe(a regular file) returned 'stale', expected 'not a socket'"
            in capsys.readouterr().out)


def test_calling_every_socket_file_listening_fails(capsys):
    async def probe(path):
        if not os.path.exists(path):
            return "missing"
        return "listening" if Path(path).is_socket() else "not a socket"

    assert run_check(probe) is False
    assert ("returned 'listening', expected 'stale'" in capsys.readouterr().out)


def test_leaving_the_connection_open_fails(capsys):
    kept = []

    async def probe(path):
        answer = await script_probe(path)
        if answer == "listening":
            kept.append(await asyncio.open_unix_connection(path))  # and never closed
        return answer

    async def check_then_close() -> bool:
        try:
            return await check(probe)
        finally:
            for _, writer in kept:
                await background.close_quietly(writer)

    assert asyncio.run(check_then_close()) is False
    assert "left its connection to the live server open" in capsys.readouterr().out


def test_removing_the_stale_file_fails(capsys):
    async def probe(path):
        answer = await script_probe(path)
        if answer == "stale":
            os.unlink(path)  # "helpful", but a probe only looks
        return answer

    assert run_check(probe) is False
    assert "removed the stale socket file" in capsys.readouterr().out


def test_a_plain_function_and_a_hang_fail_without_raising(capsys):
    def plain(path):
        return "missing"

    async def hangs(path):
        await asyncio.sleep(10)

    assert run_check(plain) is False
    assert "must be a coroutine function" in capsys.readouterr().out
    assert run_check(hangs, timeout=0.2) is False
    assert "did not answer within 0.2 s" in capsys.readouterr().out
    assert background.running() == []
