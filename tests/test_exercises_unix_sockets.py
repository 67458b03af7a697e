"""05-unix-sockets' exercise check: the solution passes; each kind of wrong probe fails."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

from helpers import background
from helpers.exercises import unix_sockets
from helpers.exercises.unix_sockets import check
from helpers.unix_echo import probe as script_probe
from tests.exercise_support import judge, judged, not_yet, passes, solution

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")

probe = solution("05-unix-sockets", "probe")


def test_the_reference_solution_passes():
    assert passes(check, probe) == (
        "✓ probe tells them apart by type, not name: missing, not a socket (files, a directory),"
        " stale, listening (str or Path)")


def test_the_scripts_probe_passes_too():
    passes(check, script_probe)


def test_the_stub_is_reported_not_raised():
    async def probe(path):
        raise NotImplementedError("your code here")

    assert not_yet(check, probe) == (
        "probe(a path with nothing there) raised NotImplementedError: your code here")


def test_connecting_without_looking_at_the_file_type_fails():
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

    assert not_yet(check, probe).startswith(
        "probe(a regular file) returned 'stale', expected 'not a socket'")


def test_calling_every_socket_file_listening_fails():
    async def probe(path):
        if not os.path.exists(path):
            return "missing"
        return "listening" if Path(path).is_socket() else "not a socket"

    assert "returned 'listening', expected 'stale'" in not_yet(check, probe)


async def never_hangs_up(path):
    """Right answers, but the connection to the live server is simply dropped."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    if not stat.S_ISSOCK(mode):
        return "not a socket"
    try:
        reader, writer = await asyncio.open_unix_connection(path)
    except ConnectionRefusedError:
        return "stale"
    return "listening"  # forgot writer.close(): the garbage collector closes it later


def test_a_probe_that_never_hangs_up_fails():
    assert not_yet(check, never_hangs_up) == (
        "never_hangs_up never hung up on the live server (only Python's garbage collector"
        " did, later): writer.close(), then await writer.wait_closed()")


async def by_name(path):
    """Decides "not a socket" from the name: only paths ending in .sock are sockets."""
    if not os.path.exists(path):
        return "missing"
    if not str(path).endswith(".sock"):
        return "not a socket"
    try:
        reader, writer = await asyncio.open_unix_connection(path)
    except ConnectionRefusedError:
        return "stale"
    writer.close()
    await writer.wait_closed()
    return "listening"


def test_a_probe_that_goes_by_the_name_fails():
    assert not_yet(check, by_name) == (
        "by_name(a regular file named notes.sock) returned 'stale', expected 'not a socket':"
        " the name says nothing, look at the file's type (stat.S_ISSOCK)")


def test_a_probe_that_trusts_only_names_without_suffix_fails_on_the_socket_names():
    async def by_suffix(path):  # a file with .sock is a regular file's name here
        if not os.path.exists(path):
            return "missing"
        if str(path).endswith(".sock") or os.path.isdir(path) or str(path).endswith(".txt"):
            return "not a socket" if not Path(path).is_socket() else await by_name(path)
        return "not a socket"

    assert not_yet(check, by_suffix).startswith(
        "by_suffix(a stale socket file named old-server) returned 'not a socket', expected"
        " 'stale'")


def test_leaving_the_connection_open_fails():
    kept = []

    async def probe(path):
        answer = await script_probe(path)
        if answer == "listening":
            kept.append(await asyncio.open_unix_connection(path))  # and never closed
        return answer

    async def check_then_close():
        try:
            return await judged(check, probe)
        finally:
            for _, writer in kept:
                await background.close_quietly(writer)

    ok, line = asyncio.run(check_then_close())
    assert not ok and "left its connection to the live server open" in line


def test_removing_the_stale_file_fails():
    async def probe(path):
        answer = await script_probe(path)
        if answer == "stale":
            os.unlink(path)  # "helpful", but a probe only looks
        return answer

    assert "removed the stale socket file" in not_yet(check, probe)


def test_a_plain_function_and_a_hang_fail_without_raising():
    def plain(path):
        return "missing"

    async def hangs(path):
        await asyncio.sleep(10)

    assert "must be a coroutine function" in not_yet(check, plain)
    assert "did not answer within 0.2 s" in not_yet(check, hangs, timeout=0.2)


def test_no_unix_sockets_is_not_the_learners_fault(monkeypatch):
    monkeypatch.setattr(unix_sockets, "unix_sockets_available", lambda: False)
    assert judge(check, probe) == (
        False, "✗ could not check: Unix sockets are not available here (Windows?)")
