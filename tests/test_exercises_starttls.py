"""helpers.exercises.starttls: the reference solution passes, each usual mistake fails."""

from __future__ import annotations

import asyncio
import logging
import ssl

import pytest

from helpers.background import close_quietly
from helpers.exercises.starttls import FORGED, LEFT_OPEN, STUB, check, hint
from helpers.starttls import BufferToTLSBothEndsLoop, BufferToTLSLoop, read_line, take_buffered
from tests.exercise_support import judged, not_yet, passes, solution

secure_greeting = solution("09-tls-server", "secure_greeting")


async def upgrade(host, port, ctx, *, server_hostname="same", check_buffer=True):
    """The solution's steps, with one of them changeable; returns (reader, writer)."""
    reader, writer = await asyncio.open_connection(host, port)
    await read_line(reader)
    writer.write(b"STARTTLS\n")
    await read_line(reader)
    if check_buffer and await take_buffered(reader):
        await close_quietly(writer)
        raise ConnectionError("plain text before the handshake")
    await writer.start_tls(ctx, server_hostname=host if server_hostname == "same"
                           else server_hostname)
    return reader, writer


def judge_on(loop_factory, fn) -> tuple[bool, str]:
    """``judge``, on an event loop made by ``loop_factory``."""
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(judged(check, fn))


async def reads_what_was_buffered(host, port, ctx):
    """The usual wrong answer: upgrades without looking at what is already buffered."""
    reader, writer = await upgrade(host, port, ctx, check_buffer=False)
    try:
        return await read_line(reader)
    finally:
        await close_quietly(writer)


def test_the_reference_solution_passes():
    assert passes(check, secure_greeting) == (
        "✓ secure_greeting upgrades with STARTTLS, refuses an unknown CA and a certificate"
        " for another name, and never takes plain text for TLS")


def test_the_stub_is_not_yet():
    async def secure_greeting(host, port, ctx):
        raise NotImplementedError("your code here")

    assert not_yet(check, secure_greeting) == STUB


def test_verification_off_is_not_yet():
    async def secure_greeting(host, port, ctx):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # "it works now"
        reader, writer = await upgrade(host, port, ctx)
        try:
            return await read_line(reader)
        finally:
            await close_quietly(writer)

    assert "no CA you trust has signed, secure_greeting returned 'SECURE hello" in \
        not_yet(check, secure_greeting)


def test_no_server_hostname_is_not_yet():
    """start_tls without server_hostname checks no name at all (no ValueError either)."""
    async def secure_greeting(host, port, ctx):
        reader, writer = await upgrade(host, port, ctx, server_hostname=None)
        try:
            return await read_line(reader)
        finally:
            await close_quietly(writer)

    reason = not_yet(check, secure_greeting)
    assert "for another name (elsewhere.test), secure_greeting returned 'SECURE hello" in reason
    assert "without it, start_tls checks no name at all" in reason


def test_host_name_check_off_is_not_yet():
    async def secure_greeting(host, port, ctx):
        ctx.check_hostname = False  # the usual way around the ValueError above
        reader, writer = await upgrade(host, port, ctx, server_hostname=None)
        try:
            return await read_line(reader)
        finally:
            await close_quietly(writer)

    assert "for another name (elsewhere.test), secure_greeting returned 'SECURE hello" in \
        not_yet(check, secure_greeting)


def test_reading_buffered_plain_text_after_starttls_is_not_yet():
    reason = not_yet(check, reads_what_was_buffered)
    assert reason.startswith(f"secure_greeting returned {FORGED!r}, which a man in the middle")


@pytest.mark.parametrize("loop_factory", [BufferToTLSLoop, BufferToTLSBothEndsLoop])
def test_the_reference_solution_passes_whatever_start_tls_does_with_buffered_bytes(
        loop_factory):
    """3.13.13+ and 3.14.4+ move a server's buffered bytes into TLS (gh-142352);
    BufferToTLSLoop plays that here. No release does it on the client's end;
    BufferToTLSBothEndsLoop plays that too."""
    ok, line = judge_on(loop_factory, secure_greeting)
    assert ok, line


def test_on_releases_with_gh_142352_reading_the_buffer_is_still_not_yet():
    """The check's servers never have bytes buffered at their start_tls: same verdict."""
    ok, line = judge_on(BufferToTLSLoop, reads_what_was_buffered)
    assert line == "✗ not yet: " + not_yet(check, reads_what_was_buffered)


def test_a_client_whose_handshake_fails_on_the_forgery_has_not_refused_it():
    """Were the client's buffered bytes fed to TLS, the wrong answer would raise SSLError.

    Raising is not refusing: it started the handshake after plain text had arrived.
    The check sees that through its context (it counts wrap_bio calls), so this answer
    cannot pass by accident on any release.
    """
    ok, line = judge_on(BufferToTLSBothEndsLoop, reads_what_was_buffered)
    assert line.startswith("✗ not yet: secure_greeting started the TLS handshake although"
                           " plain text had come right after GO AHEAD (then raised "), line


def test_looking_at_the_buffer_before_go_ahead_is_not_yet_and_told_when():
    """Nothing is buffered yet before GO AHEAD arrives: the look must come after it."""
    async def secure_greeting(host, port, ctx):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await read_line(reader)
            writer.write(b"STARTTLS\n")
            if await take_buffered(reader):  # too early: GO AHEAD has not arrived
                raise ConnectionError("plain text before the handshake")
            await read_line(reader)
            await writer.start_tls(ctx, server_hostname=host)
            return await read_line(reader)
        finally:
            await close_quietly(writer)

    reason = not_yet(check, secure_greeting)
    assert reason.startswith(f"secure_greeting returned {FORGED!r}, which a man in the middle")
    assert "after reading GO AHEAD and before start_tls" in reason


def test_a_client_that_closes_right_after_the_handshake_adds_no_warning(caplog):
    """The check's one line is all the learner sees.

    The usual wrong answer (reading the forged line) closes right after the handshake.
    Its close_notify can then reach the check's server before the server's start_tls()
    returns, and asyncio logs "returning true from eof_received() has no effect when
    using ssl" (3.11 to 3.13): a second, puzzling line under the check's. Five tries: it is a race.
    """
    async def secure_greeting(host, port, ctx):
        reader, writer = await upgrade(host, port, ctx, check_buffer=False)
        try:
            return await read_line(reader)
        finally:
            await close_quietly(writer)

    caplog.set_level(logging.WARNING)
    for _ in range(5):
        not_yet(check, secure_greeting)
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_tls_from_the_start_is_not_yet():
    async def secure_greeting(host, port, ctx):
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
        try:
            return await read_line(reader)
        finally:
            await close_quietly(writer)

    assert not_yet(check, secure_greeting).startswith("secure_greeting raised SSLError")


def test_returning_bytes_is_not_yet():
    async def secure_greeting(host, port, ctx):
        reader, writer = await upgrade(host, port, ctx)
        try:
            return await reader.readline()
        finally:
            await close_quietly(writer)

    assert not_yet(check, secure_greeting) == (
        "secure_greeting returned bytes: decode the line and return a str")


def test_swallowing_errors_is_not_yet():
    async def secure_greeting(host, port, ctx):
        try:
            return await solution("09-tls-server", "secure_greeting")(host, port, ctx)
        except (OSError, ValueError):
            return None  # "it did not work": but the caller cannot tell

    assert "(raise an error instead of returning)" in not_yet(check, secure_greeting)


def test_a_connection_left_open_is_not_yet():
    async def secure_greeting(host, port, ctx):
        reader, writer = await upgrade(host, port, ctx)
        return await read_line(reader)  # the writer is dropped, still open

    reason = not_yet(check, secure_greeting)
    # 3.13 collects the dropped writer and warns; 3.11 and 3.12 keep it alive: the server sees it
    assert reason == LEFT_OPEN or reason.startswith("secure_greeting left a connection open")


def test_the_greeting_line_with_its_newline_is_not_yet():
    async def secure_greeting(host, port, ctx):
        reader, writer = await upgrade(host, port, ctx)
        try:
            return (await reader.readline()).decode()
        finally:
            await close_quietly(writer)

    assert not_yet(check, secure_greeting).startswith("expected the first line sent over TLS")


def test_hints_come_one_at_a_time(capsys):
    hint()
    assert capsys.readouterr().out.startswith("Hint 1 of 4 (call hint() again for the next)")
