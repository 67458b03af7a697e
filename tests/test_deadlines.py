"""helpers.deadlines: each peer makes its step wait (real sockets); close_within bounds closing."""

from __future__ import annotations

import asyncio
import math
import socket
import struct

import pytest

from helpers.background import close_quietly, serve, stop_all
from helpers.deadlines import (
    MAX_SLEEP,
    close_within,
    dribble,
    never_reads,
    no_reply,
    parse_seconds,
    sleepy,
    slow_reply,
    stalled_listener,
    trickle,
)
from tests.support import eventually_async, run


async def fill(writer: asyncio.StreamWriter, limit: float = 1.0) -> int:
    """Write until drain() waits for more than ``limit`` s; the bytes written."""
    sent = 0
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(limit):
            while True:
                writer.write(bytes(65536))
                sent += 65536
                await writer.drain()
    return sent


def test_slow_reply_answers_each_line_after_its_delay():
    async def main():
        srv = await serve("t-slow", slow_reply(0.1))
        loop = asyncio.get_running_loop()
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            started = loop.time()
            writer.write(b"hi\n")
            assert await asyncio.wait_for(reader.readline(), 2) == b"reply to hi\n"
            assert loop.time() - started >= 0.1
            writer.write(b"bye\n")
            writer.transport.abort()  # leaves while the server sleeps: not an error
            assert await srv.wait_idle(1)  # the handler has returned
            assert srv.errors == []
        finally:
            await stop_all()
    run(main())


@pytest.mark.parametrize("line, seconds", [
    (b"0.25\n", 0.25), (b"0\n", 0.0), (b"\n", 0.0), (b"-3\n", 0.0), (b"99\n", MAX_SLEEP),
    (b"soon\n", 0.0), (b"nan\n", 0.0), (b"inf\n", MAX_SLEEP),
])
def test_parse_seconds_is_bounded_and_never_fails(line, seconds):
    assert parse_seconds(line) == seconds
    assert not math.isnan(parse_seconds(line))


def test_sleepy_waits_as_long_as_each_line_asks():
    async def main():
        srv = await serve("t-sleepy", sleepy)
        loop = asyncio.get_running_loop()
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            for ask, answer, at_least in [(b"0.1\n", b"slept 0.1 s\n", 0.1),
                                          (b"0\n", b"slept 0 s\n", 0.0)]:
                started = loop.time()
                writer.write(ask)
                assert await asyncio.wait_for(reader.readline(), 2) == answer
                assert loop.time() - started >= at_least
            writer.write(b"5\n")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.readline(), 0.1)
            await close_quietly(writer)
        finally:
            await stop_all()
    run(main())


def test_never_reads_makes_drain_wait_and_stop_ends_it():
    async def main():
        srv = await serve("t-mute", never_reads)
        reader, writer = await asyncio.open_connection(*srv.address)
        try:
            sent = await fill(writer, 0.3)
            assert sent > 0 and writer.transport.get_write_buffer_size() > 0
        finally:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await stop_all()
            assert loop.time() - started < 1.5
            writer.transport.abort()
    run(main())


def test_no_reply_reads_but_never_answers_and_notices_the_client_leaving():
    async def main():
        srv = await serve("t-quiet", no_reply)
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            writer.write(b"anyone?\n" * 1000)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.readline(), 0.2)
            assert srv.connections
            await close_quietly(writer)
            assert await srv.wait_idle(1)
            assert srv.errors == []
        finally:
            await stop_all()
    run(main())


def test_close_within_returns_true_when_nothing_is_left_to_send():
    async def main():
        srv = await serve("t-quiet2", no_reply)
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            writer.write(b"hello")
            assert await close_within(writer, 1) is True
            assert writer.get_extra_info("socket").fileno() == -1
        finally:
            await stop_all()
    run(main())


def test_close_within_aborts_a_writer_whose_peer_stopped_reading():
    async def main():
        srv = await serve("t-mute2", never_reads)
        loop = asyncio.get_running_loop()
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            await fill(writer, 0.2)
            started = loop.time()
            assert await close_within(writer, 0.2) is False
            assert 0.2 <= loop.time() - started < 1.0
            assert writer.get_extra_info("socket").fileno() == -1
        finally:
            await stop_all()
    run(main())


def test_a_bare_timeout_on_wait_closed_spoils_it_and_close_within_copes():
    """A timeout around wait_closed() cancels the writer's own "closed" future (3.11-3.13)."""
    async def main():
        srv = await serve("t-mute3", never_reads)
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            await fill(writer, 0.2)
            writer.close()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await writer.wait_closed()
            with pytest.raises(asyncio.CancelledError):
                await writer.wait_closed()  # at once: nobody cancelled this task
            assert asyncio.current_task().cancelling() == 0
            assert await close_within(writer, 0.05) is False
            assert writer.get_extra_info("socket").fileno() == -1
        finally:
            await stop_all()
    run(main())


def test_close_within_lets_a_cancellation_through():
    async def main():
        srv = await serve("t-mute4", never_reads)
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            await fill(writer, 0.2)
            task = asyncio.create_task(close_within(writer, 5))
            # close_within calls close() before its first await: then it is waiting
            await eventually_async(writer.transport.is_closing, what="close_within to wait")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 1)
            assert task.cancelled()
            writer.transport.abort()
        finally:
            await stop_all()
    run(main())


def test_dribble_sends_its_chunks_apart_then_closes():
    async def main():
        srv = await serve("t-drip", dribble([b"hello ", b"world\n"], pause=0.1))
        loop = asyncio.get_running_loop()
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            started = loop.time()
            assert await asyncio.wait_for(reader.read(100), 1) == b"hello "
            assert await asyncio.wait_for(reader.read(100), 1) == b"world\n"
            assert loop.time() - started >= 0.1
            assert await asyncio.wait_for(reader.read(), 1) == b""
            await close_quietly(writer)
        finally:
            await stop_all()
    run(main())


def test_dribble_without_close_waits_for_the_client():
    async def main():
        srv = await serve("t-drip2", dribble([b"a", b"b"], pause=0.01, close=False))
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            assert await asyncio.wait_for(reader.readexactly(2), 1) == b"ab"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.read(), 0.1)
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(), 1) == b""
            await close_quietly(writer)
            assert await srv.wait_idle(1)
        finally:
            await stop_all()
    run(main())


def test_trickle_never_lets_a_limit_per_read_fire_only_a_deadline():
    async def main():
        srv = await serve("t-trickle", trickle(b".", 0.02))
        try:
            reader, writer = await asyncio.open_connection(*srv.address)
            for _ in range(10):  # each read gets something well within 0.2 s
                assert await asyncio.wait_for(reader.read(100), 0.2)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):  # the whole exchange: it fires
                    await reader.read()
            await close_quietly(writer)
            assert await srv.wait_idle(1)  # it notices the client left
            assert srv.errors == []
        finally:
            await stop_all()
    run(main())


def test_stalled_listener_makes_connect_wait_and_goes_away_after():
    async def main():
        async with stalled_listener() as address:
            for _ in range(2):
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(0.1):
                        await asyncio.open_connection(*address)
        with pytest.raises(ConnectionRefusedError):
            await asyncio.wait_for(asyncio.open_connection(*address), 1)
    run(main())


def test_close_within_takes_the_error_a_reset_connection_left():
    """A reset leaves its error in the writer's "closed" future until someone waits for it.

    close_within once returned at once for a transport that had forgotten its protocol (the
    connection was lost) and never looked: at exit the garbage collector could then print
    "Future exception was never retrieved ... ConnectionResetError".
    """
    async def main() -> tuple[bool, BaseException | None]:
        writers: asyncio.Queue = asyncio.Queue()

        async def handler(reader, writer):
            await writers.put(writer)

        async with await asyncio.start_server(handler, "127.0.0.1", 0) as server:
            client = socket.create_connection(server.sockets[0].getsockname()[:2], timeout=5)
            writer = await asyncio.wait_for(writers.get(), 5)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # a reset (RST)
            await eventually_async(lambda: writer.transport.get_protocol() is None,
                                   what="the transport to take in the reset")
            assert await close_within(writer, 1)
            # what wait_closed() awaits (private: the only way to see whether anyone did)
            closed = writer._protocol._get_close_waiter(writer)
            unretrieved = closed._log_traceback  # before exception(), which retrieves it
            return unretrieved, closed.exception()

    unretrieved, error = run(main())
    assert isinstance(error, ConnectionResetError)
    assert not unretrieved, "nobody took the connection's error: it would be printed at exit"
