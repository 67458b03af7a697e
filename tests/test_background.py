"""helpers.background: start, replace, stop, and survive rude clients, on real sockets."""

from __future__ import annotations

import asyncio
import socket

import pytest

from helpers import background
from helpers.background import serve, serve_unix, stop_all
from helpers.echo import echo_once, handle_echo
from tests.support import eventually_async, run


def test_serve_binds_loopback_on_a_free_port_and_echoes():
    async def main():
        srv = await serve("t-echo", handle_echo)
        try:
            assert srv.host == "127.0.0.1" and srv.port > 0
            assert await echo_once("hello", *srv.address) == "hello"
            assert background.running() == ["t-echo"]
        finally:
            assert await stop_all() == ["t-echo"]
        assert background.running() == []
        assert not srv.is_serving()
    run(main())


def test_serving_again_under_the_same_name_replaces_the_old_server():
    async def main():
        first = await serve("t-same", handle_echo)
        second = await serve("t-same", handle_echo)
        try:
            assert not first.is_serving() and second.is_serving()
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection(*first.address)
            assert await echo_once("still here", *second.address) == "still here"
        finally:
            await stop_all()
    run(main())


def test_stop_returns_quickly_while_a_client_is_still_connected():
    """The 3.12+ Server.wait_closed() waits for clients: stop() must drop them itself."""
    async def main():
        srv = await serve("t-hold", handle_echo)
        reader, writer = await asyncio.open_connection(*srv.address)
        writer.write(b"hi")
        assert await reader.read(2) == b"hi"
        loop = asyncio.get_running_loop()
        started = loop.time()
        await background.stop("t-hold", timeout=5)
        assert loop.time() - started < 1.0
        assert await asyncio.wait_for(reader.read(), 1) == b""  # the server hung up
        writer.close()
        await writer.wait_closed()
    run(main())


def test_many_concurrent_clients_each_get_their_own_echo():
    async def main():
        srv = await serve("t-many", handle_echo)
        try:
            words = [f"client-{i}" * (i + 1) for i in range(50)]
            replies = await asyncio.gather(*(echo_once(w, *srv.address) for w in words))
            assert replies == words
            assert srv.served == 50 and srv.connections == set()
        finally:
            await stop_all()
    run(main())


def test_rude_clients_do_not_stop_the_server():
    async def main():
        srv = await serve("t-rude", handle_echo)
        try:
            # vanish mid-message with a reset (RST), not a polite FIN
            _, writer = await asyncio.open_connection(*srv.address)
            writer.write(b"half a mess")
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
            writer.transport.abort()
            # send bytes that are not UTF-8
            raw_r, raw_w = await asyncio.open_connection(*srv.address)
            raw_w.write(b"\xff\xfe\x00garbage")
            raw_w.write_eof()
            assert await raw_r.read() == b"\xff\xfe\x00garbage"
            raw_w.close()
            await raw_w.wait_closed()
            assert await echo_once("after the rude ones", *srv.address) == "after the rude ones"
        finally:
            await stop_all()
    run(main())


def test_handler_errors_are_collected_not_printed(capsys):
    async def crash(reader, writer):
        await reader.read(1)
        raise ValueError("boom")

    async def main():
        srv = await serve("t-crash", crash)
        try:
            for _ in range(2):
                reader, writer = await asyncio.open_connection(*srv.address)
                writer.write(b"x")
                assert await reader.read() == b""  # the server closed this connection
                writer.close()
                await writer.wait_closed()
            assert [str(e) for e in srv.errors] == ["boom", "boom"]
            assert srv.is_serving()
        finally:
            await stop_all()
    run(main())
    assert capsys.readouterr().err == ""


def test_a_plain_function_callback_is_closed_by_stop():
    kept = []

    def remember(reader, writer):  # a plain callback: it owns the writer
        kept.append(writer)

    async def main():
        srv = await serve("t-plain", remember)
        reader, writer = await asyncio.open_connection(*srv.address)
        await eventually_async(lambda: kept, what="the callback")
        assert len(kept) == 1 and len(srv.connections) == 1
        await stop_all()
        assert await asyncio.wait_for(reader.read(), 1) == b""
        writer.close()
        await writer.wait_closed()
    run(main())


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets need a Unix")
def test_unix_server_lives_in_a_private_directory_removed_on_stop():
    async def main():
        srv = await serve_unix("t-unix", handle_echo)
        folder = srv.private_dir
        assert folder.stat().st_mode & 0o777 == 0o700
        reader, writer = await asyncio.open_unix_connection(srv.path)
        writer.write(b"over a file")
        writer.write_eof()
        assert await reader.read() == b"over a file"
        writer.close()
        await writer.wait_closed()
        await stop_all()
        assert not folder.exists()
    run(main())


def test_ensure_returns_the_running_server_or_starts_it_again_after_stop_all():
    """A widget calls ensure(): after the notebook's clean-up, its server comes back."""
    async def main():
        first = await serve("t-ensure", handle_echo)
        try:
            assert await background.ensure("t-ensure") is first
            await stop_all()  # the notebook's last cell
            again = await background.ensure("t-ensure")
            assert again is not first and again.is_serving() and not first.is_serving()
            assert await echo_once("你好, again", *again.address) == "你好, again"
            assert background.running() == ["t-ensure"]
        finally:
            await stop_all()
    run(main())


def test_ensure_follows_a_cell_that_started_the_server_again_elsewhere():
    async def handler_b(reader, writer):
        writer.write(b"b")
        await writer.drain()
        writer.close()

    async def main():
        await serve("t-moved", handle_echo)
        moved = await serve("t-moved", handler_b)  # the cell re-run, with another handler
        try:
            assert await background.ensure("t-moved") is moved
            await stop_all()
            again = await background.ensure("t-moved")  # started as it was *last* started
            reader, writer = await asyncio.open_connection(*again.address)
            assert await reader.read() == b"b"
            writer.close()
            await writer.wait_closed()
        finally:
            await stop_all()
    run(main())


def test_ensure_a_unix_server_gets_a_new_private_directory():
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this platform")

    async def main():
        first = await serve_unix("t-unix-ensure", handle_echo)
        await stop_all()  # removes the private directory
        again = await background.ensure("t-unix-ensure")
        try:
            assert again.path != first.path
            assert await echo_once("你好", path=again.path) == "你好"
        finally:
            await stop_all()
    run(main())


def test_ensure_a_name_never_started_says_so():
    with pytest.raises(LookupError, match="no server called 'never'"):
        run(background.ensure("never"))


def test_registered_servers_are_stopped_by_stop_all():
    """One list: a server in a thread (plain stop()) is stopped with the asyncio ones."""
    class Threaded:
        def __init__(self):
            self.serving = True

        def is_serving(self):
            return self.serving

        def stop(self):
            self.serving = False

    async def main():
        await serve("t-async", handle_echo)
        first = Threaded()
        background.register("t-thread", first, Threaded)
        second = Threaded()
        background.register("t-thread", second, Threaded)  # replaces: the old one stops
        assert not first.serving and second.serving
        with pytest.raises(ValueError, match="asyncio server"):
            background.register("t-async", Threaded(), Threaded)
        assert await stop_all() == ["t-async", "t-thread"]
        assert not second.serving
        third = await background.ensure("t-thread")
        assert isinstance(third, Threaded) and third.serving
        await stop_all()
    run(main())


def test_two_clicks_at_once_start_one_server_not_two():
    """Two quick clicks after the clean-up: both get the same new server, none is leaked."""
    async def main():
        await serve("t-twice", handle_echo)
        await stop_all()
        first, second = await asyncio.gather(background.ensure("t-twice"),
                                             background.ensure("t-twice"))
        await stop_all()
        return first, second
    first, second = run(main())
    assert first is second and not first.is_serving()
