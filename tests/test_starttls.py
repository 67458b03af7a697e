"""helpers.starttls: STARTTLS on both ends, and the plain-text injection refused.

The injection check is one function: it passes against the fixed server and fails
against the buggy one (``refuse_plaintext=False``), which the second test proves.
"""

from __future__ import annotations

import asyncio

import pytest

from helpers.background import close_quietly
from helpers.starttls import inject_after_starttls, read_line, say, starttls_server, take_buffered
from helpers.tls import LocalCA

CA = LocalCA()
INJECTED = b"NOTE pay mallory 100\n"


async def serving(refuse_plaintext: bool, log: list, **kwargs) -> asyncio.Server:
    handler = starttls_server(CA.server_context(), log, refuse_plaintext=refuse_plaintext,
                              **kwargs)
    return await asyncio.start_server(handler, "127.0.0.1", 0)


def injection_refused(refuse_plaintext: bool) -> None:
    """Assert that injected plain text is refused and never taken for TLS."""
    async def main() -> tuple[list[str], list]:
        log: list = []
        async with await serving(refuse_plaintext, log) as server:
            heard = await inject_after_starttls(*server.sockets[0].getsockname()[:2],
                                                CA.client_context(), INJECTED)
            await asyncio.sleep(0.05)  # the handler's last log line
        return heard, log

    heard, log = asyncio.run(main())
    assert ("pay mallory 100", "over TLS") not in log, log
    assert heard == ["WELCOME say STARTTLS", "ERR plain text after STARTTLS"], heard
    assert log == [f"refused: {len(INJECTED)} bytes of plain text after STARTTLS"]


def test_the_fixed_server_refuses_injected_plain_text():
    injection_refused(refuse_plaintext=True)


def test_the_injection_test_fails_against_the_buggy_server():
    with pytest.raises(AssertionError, match="pay mallory 100.*over TLS"):
        injection_refused(refuse_plaintext=False)


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
            await asyncio.sleep(0.05)
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
