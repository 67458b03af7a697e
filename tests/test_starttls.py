"""helpers.starttls: STARTTLS on both ends, and the plain-text injection refused.

The injection check is one function: it passes against the fixed server and fails
against the buggy one (``refuse_plaintext=False``), which the second test proves.

What the buggy server does depends on the release (gh-142352, 3.13.13+ and 3.14.4+: the
server's ``start_tls()`` feeds buffered bytes to TLS). None of the Pythons installed here
has that change; ``BufferToTLSLoop`` plays it, and every injection test runs on both
kinds of loop. ``FIXED`` is what the notebook's table says about the running Python,
and ``test_this_python_does_what_the_table_says`` holds it to that.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from helpers.background import close_quietly
from helpers.starttls import (
    BufferToTLSLoop,
    buffered_bytes_go_to_tls,
    inject_after_starttls,
    read_line,
    say,
    starttls_server,
    take_buffered,
)
from helpers.tls import LocalCA

CA = LocalCA()
INJECTED = b"NOTE pay mallory 100\n"
FIXED = sys.version_info >= (3, 14, 4) or (3, 13, 13) <= sys.version_info < (3, 14)
LOOPS = pytest.mark.parametrize("loop_factory", [None, BufferToTLSLoop],
                                ids=["this-python", "gh-142352"])


def run(main, loop_factory=None):
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main())


async def until(log: list, timeout: float = 2.0) -> None:
    """Wait (at most ``timeout`` s) for the handler's first log line."""
    async with asyncio.timeout(timeout):
        while not log:
            await asyncio.sleep(0.01)


async def serving(refuse_plaintext: bool, log: list, **kwargs) -> asyncio.Server:
    handler = starttls_server(CA.server_context(), log, refuse_plaintext=refuse_plaintext,
                              **kwargs)
    return await asyncio.start_server(handler, "127.0.0.1", 0)


def injection_refused(refuse_plaintext: bool, loop_factory=None) -> None:
    """Assert that injected plain text is refused and never taken for TLS."""
    async def main() -> tuple[list[str], list]:
        log: list = []
        async with await serving(refuse_plaintext, log) as server:
            heard = await inject_after_starttls(*server.sockets[0].getsockname()[:2],
                                                CA.client_context(), INJECTED)
            await until(log)  # the handler's log line
        return heard, log

    heard, log = run(main, loop_factory)
    assert ("pay mallory 100", "over TLS") not in log, log
    assert heard == ["WELCOME say STARTTLS", "ERR plain text after STARTTLS"], heard
    assert log == [f"refused: {len(INJECTED)} bytes of plain text after STARTTLS"], log


@LOOPS
def test_the_fixed_server_refuses_injected_plain_text(loop_factory):
    injection_refused(refuse_plaintext=True, loop_factory=loop_factory)


@LOOPS
def test_the_injection_test_fails_against_the_buggy_server(loop_factory):
    with pytest.raises(AssertionError):
        injection_refused(refuse_plaintext=False, loop_factory=loop_factory)


def naive(loop_factory) -> tuple[list[str], list]:
    """What the client heard and the buggy server logged, after the injection."""
    async def main() -> tuple[list[str], list]:
        log: list = []
        async with await serving(False, log) as server:
            heard = await inject_after_starttls(*server.sockets[0].getsockname()[:2],
                                                CA.client_context(), INJECTED)
            await until(log)
        return heard, log

    return run(main, loop_factory)


def assert_fed_to_tls(heard: list[str], log: list) -> None:
    """gh-142352's outcome: the plain text reached TLS, the handshake failed, both sides."""
    assert heard[:2] == ["WELCOME say STARTTLS", "GO AHEAD"], heard
    assert len(heard) == 3 and heard[2].startswith("(handshake failed: "), heard
    assert log == ["dropped: SSLError"], log


def assert_kept_in_buffer(heard: list[str], log: list) -> None:
    """The older outcome: the injected note was read as if it had come over TLS."""
    assert heard == ["WELCOME say STARTTLS", "GO AHEAD", "SECURE hello over TLS", "OK", "BYE"]
    assert log == [("pay mallory 100", "over TLS")], log


def test_with_gh_142352_the_buggy_server_feeds_the_plain_text_to_tls():
    assert_fed_to_tls(*naive(BufferToTLSLoop))


def test_this_python_does_what_the_table_says():
    """3.13.13+ and 3.14.4+ feed the bytes to TLS; 3.11, 3.12 and older 3.13/3.14 keep them."""
    heard, log = naive(None)
    (assert_fed_to_tls if FIXED else assert_kept_in_buffer)(heard, log)


@LOOPS
def test_the_probe_tells_which_case_applies(loop_factory):
    async def main() -> bool:
        return await buffered_bytes_go_to_tls(CA.server_context(), CA.client_context())

    assert run(main, loop_factory) is (FIXED or loop_factory is BufferToTLSLoop)


def test_an_honest_client_upgrades_and_its_notes_arrive_over_tls():
    async def main() -> tuple[list[str], list]:
        log: list = []
        async with await serving(True, log) as server:
            host, port = server.sockets[0].getsockname()[:2]
            reader, writer = await asyncio.open_connection(host, port)
            heard = [await read_line(reader)]
            await say(writer, "NOTE before")
            heard.append(await read_line(reader))
            await say(writer, "STARTTLS")
            heard.append(await read_line(reader))
            await writer.start_tls(CA.client_context(), server_hostname=host)
            heard.append(await read_line(reader))
            heard.append(writer.get_extra_info("ssl_object").version())
            await say(writer, "NOTE after")
            heard.append(await read_line(reader))
            await say(writer, "QUIT")
            heard.append(await read_line(reader))
            await close_quietly(writer)
        return heard, log

    heard, log = asyncio.run(main())
    assert heard == ["WELCOME say STARTTLS", "OK", "GO AHEAD",
                     "SECURE hello over TLS", "TLSv1.3", "OK", "BYE"]
    assert log == [("before", "in plain text"), ("after", "over TLS")]


def test_a_client_that_never_starts_the_handshake_is_dropped():
    async def main() -> list:
        log: list = []
        async with await serving(True, log, handshake_timeout=0.2) as server:
            reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
            await read_line(reader)
            await say(writer, "STARTTLS")
            assert await read_line(reader) == "GO AHEAD"
            async with asyncio.timeout(2):
                assert await reader.read() == b""  # then silence: dropped
            await close_quietly(writer)
            await until(log)
        return log

    assert asyncio.run(main()) == ["dropped: ConnectionAbortedError"]


def test_take_buffered_takes_what_is_there_and_never_waits():
    async def main() -> list[bytes]:
        reader = asyncio.StreamReader()
        got = [await take_buffered(reader)]
        reader.feed_data(b"line one\nline two")
        assert await reader.readline() == b"line one\n"
        got.append(await take_buffered(reader))
        got.append(await take_buffered(reader))
        reader.feed_data(b"last")
        reader.feed_eof()
        got.append(await take_buffered(reader))
        return got

    assert asyncio.run(main()) == [b"", b"line two", b"", b"last"]


@LOOPS
def test_a_client_hello_buffered_before_start_tls_stalls_the_handshake_without_the_fix(
        loop_factory):
    """Why 09 says "make start_tls the handler's first await"."""
    async def main() -> str:
        outcome: asyncio.Queue = asyncio.Queue()

        async def late_upgrade(reader, writer):
            async with asyncio.timeout(2):  # awaits before start_tls: the hello is read
                while not reader._buffer:
                    await asyncio.sleep(0.01)
            try:
                await writer.start_tls(CA.server_context(), ssl_handshake_timeout=0.3)
                await outcome.put("handshake done")
            except OSError as exc:
                await outcome.put(type(exc).__name__)
            finally:
                await close_quietly(writer)

        server = await asyncio.start_server(late_upgrade, "127.0.0.1", 0)
        async with server:
            host, port = server.sockets[0].getsockname()[:2]
            client = asyncio.ensure_future(asyncio.open_connection(
                host, port, ssl=CA.client_context(), ssl_handshake_timeout=2))
            said = await asyncio.wait_for(outcome.get(), 5)
            try:
                _, writer = await client
                await close_quietly(writer)
            except OSError:
                pass
        return said

    fixed = FIXED or loop_factory is BufferToTLSLoop
    assert run(main, loop_factory) == ("handshake done" if fixed else "ConnectionAbortedError")
