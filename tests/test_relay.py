"""helpers.relay: a TCP relay on 127.0.0.1 that splits and merges bytes on purpose."""

from __future__ import annotations

import asyncio

import pytest

from helpers import background
from helpers.background import serve, stop_all
from helpers.echo import handle_echo
from helpers.relay import (
    TO_CLIENT,
    TO_SERVER,
    Plan,
    relayed,
    start_relay,
    text_table,
)
from tests.scripts import free_port


async def recording_server(name: str = "t-recorder"):
    """A server that records what each ``read(1000)`` returned, then closes at EOF."""
    reads: list[bytes] = []

    async def record(reader, writer):
        while data := await reader.read(1000):
            reads.append(data)

    return await serve(name, record), reads


async def send(address, writes: list[bytes], gap: float = 0.0) -> bytes:
    """Connect, make each write (``gap`` s apart), send EOF, return the reply to EOF."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        for data in writes:
            writer.write(data)
            await writer.drain()
            if gap:
                await asyncio.sleep(gap)
        writer.write_eof()
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


def test_plan_cuts_batches_into_the_sizes_asked_for():
    assert Plan(chunks=[4]).cut(b"hello world") == [b"hell", b"o wo", b"rld"]
    assert Plan(chunks=4).cut(b"hello") == [b"hell", b"o"]
    assert Plan(chunks=[1, 2, 5]).cut(b"hello world!") == [b"h", b"el", b"lo wo", b"rld!"]
    assert Plan().cut(b"hello") == [b"hello"]
    assert Plan().cut(b"") == [] and Plan(chunks=[3]).cut(b"") == []
    for bad in (dict(chunks=[]), dict(chunks=[0]), dict(chunks=-1), dict(pause=-1),
                dict(coalesce=0)):
        with pytest.raises(ValueError):
            Plan(**bad)


def test_one_write_arrives_as_several_reads():
    async def main():
        srv, reads = await recording_server()
        try:
            relay = await start_relay("t-relay", srv.address, chunks=[4])
            await send(relay.address, [b"hello, world\n"])
        finally:
            await stop_all()
        assert reads == [b"hell", b"o, w", b"orld", b"\n"]  # every piece read alone
        assert relay.pieces() == reads and relay.pieces(TO_CLIENT) == []
        assert [p.conn for p in relay.crossed] == [1, 1, 1, 1]
        times = [p.at for p in relay.crossed]
        assert times == sorted(times) and times[-1] - times[0] > 0.025  # 3 pauses of 0.01 s
        assert relay.errors == [] and srv.errors == []
    asyncio.run(main())


def test_several_writes_arrive_as_one_read():
    async def main():
        srv, reads = await recording_server()
        try:
            relay = await start_relay("t-relay", srv.address, coalesce=True)
            await send(relay.address, [b"one\n", b"two\n", b"three\n"], gap=0.01)
        finally:
            await stop_all()
        assert reads == [b"one\ntwo\nthree\n"]
        assert relay.pieces() == reads
    asyncio.run(main())


def test_coalesce_a_number_of_bytes_then_cut():
    async def main():
        srv, reads = await recording_server()
        try:
            relay = await start_relay("t-relay", srv.address, coalesce=6, chunks=[5])
            await send(relay.address, [b"ab", b"cd", b"ef", b"gh"], gap=0.01)
        finally:
            await stop_all()
        # Held until 6 bytes were there, then cut in 5s; the last 2 bytes end at EOF.
        assert reads == [b"abcde", b"f", b"gh"]
    asyncio.run(main())


def test_replies_can_be_cut_too_and_eof_passes_both_ways():
    async def main():
        srv = await serve("t-echo", handle_echo)
        try:
            relay = await start_relay("t-relay", srv.address,
                                      reply=Plan(chunks=[2], pause=0.001))
            # The echo server echoes until OUR EOF, then closes: EOF went through
            # the relay to it, and its EOF came back through the relay to us.
            assert await send(relay.address, [b"hello"]) == b"hello"
        finally:
            await stop_all()
        assert relay.pieces(TO_SERVER) == [b"hello"]
        assert relay.pieces(TO_CLIENT) == [b"he", b"ll", b"o"]
    asyncio.run(main())


def test_each_connection_is_numbered_and_clear_forgets():
    async def main():
        srv, reads = await recording_server()
        try:
            relay = await start_relay("t-relay", srv.address)
            await send(relay.address, [b"first"])
            await send(relay.address, [b"second"])
            assert [(p.conn, p.direction, p.data) for p in relay.crossed] == [
                (1, TO_SERVER, b"first"), (2, TO_SERVER, b"second")]
            assert relay.pieces(conn=2) == [b"second"]
            assert relay.table().splitlines() == [
                "conn  dir  bytes  data",
                "----  ---  -----  ---------",
                "   1  →        5  b'first'",
                "   2  →        6  b'second'",
            ]
            relay.clear()
            assert relay.crossed == []
        finally:
            await stop_all()
    asyncio.run(main())


def test_an_unreachable_target_closes_the_client_and_is_recorded():
    async def main():
        relay = await start_relay("t-relay", ("127.0.0.1", free_port()))
        try:
            assert await send(relay.address, [b"anyone?"]) == b""
        finally:
            await stop_all()
        assert len(relay.errors) == 1 and isinstance(relay.errors[0], ConnectionRefusedError)
    asyncio.run(main())


def test_stop_drops_a_connection_in_progress():
    async def main():
        srv, reads = await recording_server()
        relay = await start_relay("t-relay", srv.address)
        reader, writer = await asyncio.open_connection(*relay.address)
        writer.write(b"still talking")
        await writer.drain()
        async with asyncio.timeout(2):
            while not reads:
                await asyncio.sleep(0.01)
        await relay.stop()
        assert background.get("t-relay") is None
        async with asyncio.timeout(2):
            assert await reader.read() == b""  # the relay hung up on us
        writer.close()
        await writer.wait_closed()
        await stop_all()
        assert reads == [b"still talking"]
    asyncio.run(main())


def test_relayed_stops_the_relay_on_exit():
    async def main():
        srv, reads = await recording_server()
        try:
            async with relayed("t-relay", srv.address, chunks=[3]) as relay:
                await send(relay.address, [b"abcdefg"])
                assert background.get("t-relay") is not None
            assert background.get("t-relay") is None
        finally:
            await stop_all()
        assert reads == [b"abc", b"def", b"g"]
    asyncio.run(main())


def test_text_table_aligns_columns():
    assert text_table(["n", "data"], [(1, "b'a'"), (10, "b'bcd'")]).splitlines() == [
        " n  data",
        "--  ------",
        " 1  b'a'",
        "10  b'bcd'",
    ]
    assert text_table(["a"], []) == "a\n-"
