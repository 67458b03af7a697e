"""helpers.widgets.EchoClientWidget against a real echo server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

import pytest

from helpers.background import serve, serve_unix, stop_all
from helpers.echo import handle_echo
from helpers.widgets import EchoClientWidget
from tests.scripts import free_port


def test_send_returns_the_echo_and_writes_the_transcript():
    async def main():
        srv = await serve("t-widget", handle_echo)
        try:
            w = EchoClientWidget("t-widget")
            assert await w.send("hello") == "hello"
            long = "é" * 150  # 300 bytes: the server echoes it 100 bytes at a time
            assert await w.send(long) == long
        finally:
            await stop_all()
        assert w.lines == ["→ 'hello'", "← 'hello'", f"→ {long!r}", f"← {long!r}"]
        assert w.log.value == w.transcript == "\n".join(w.lines)
        assert w.reply.value == repr(long)
        assert srv.served == 2 and srv.errors == []
    asyncio.run(main())


def test_clicking_send_starts_a_task_that_the_widget_keeps():
    async def main():
        await serve("t-widget", handle_echo)
        try:
            w = EchoClientWidget("t-widget")
            w.text.value = "clicked"
            w.button.click()
            assert len(w.pending) == 1  # kept, so it cannot be garbage-collected
            (future,) = w.pending
            assert await future == "clicked"
            assert w.pending == set()
        finally:
            await stop_all()
        assert w.reply.value == "'clicked'"
        assert w.lines[-1] == "← 'clicked'"
    asyncio.run(main())


def test_connection_refused_is_a_line_in_the_widget_not_an_exception():
    async def main():
        w = EchoClientWidget(host="127.0.0.1", port=free_port())
        assert await w.send("anyone?") is None
        return w
    w = asyncio.run(main())
    assert w.reply.value.startswith("✗ connection refused")
    assert w.lines == ["→ 'anyone?'",
                       "✗ ConnectionRefusedError: connection refused"
                       " (is the server running, on that port?)"]


def test_a_silent_server_is_a_timeout_line():
    async def main():
        client_gave_up = asyncio.Event()

        async def silent(reader, writer):
            await client_gave_up.wait()  # never answers

        srv = await serve("t-silent", silent)
        try:
            w = EchoClientWidget("t-silent", timeout=0.2)
            assert await w.send("hello?") is None
            client_gave_up.set()
            await asyncio.wait(list(srv.tasks), timeout=1)
        finally:
            await stop_all()
        return w
    w = asyncio.run(main())
    assert w.lines[-1] == "✗ TimeoutError: timed out"
    assert w.reply.value == "✗ timed out"


def test_the_widget_tree_holds_the_parts():
    async def main():  # ipywidgets needs no loop, but the Button callback does
        return EchoClientWidget(host="127.0.0.1", port=1)
    w = asyncio.run(main())
    children = w.widget.children
    assert children[0].children == (w.text, w.button)
    assert w.reply in children[1].children and children[2] is w.log
    assert w.log.disabled  # a transcript, not an input


def test_after_the_clean_up_cell_a_send_starts_the_server_again():
    """Run All ends with `await stop_all()`: the widget above must still echo, 你好 included."""
    async def main():
        await serve("t-echo", handle_echo)
        w = EchoClientWidget("t-echo")
        await stop_all()  # the notebook's last cell
        try:
            return await w.send("你好 from the widget"), w
        finally:
            await stop_all()
    reply, w = asyncio.run(main())
    assert reply == "你好 from the widget"
    assert w.reply.value == "'你好 from the widget'"
    assert w.lines == ["→ '你好 from the widget'", "← '你好 from the widget'"]


def test_a_cell_that_starts_the_server_again_on_a_new_port_is_followed():
    async def main():
        first = await serve("t-echo", handle_echo)
        w = EchoClientWidget("t-echo")
        assert await w.send("one") == "one"
        second = await serve("t-echo", handle_echo)  # the set-up cell, run again
        try:
            assert second.port != first.port
            assert await w.send("two") == "two"
        finally:
            await stop_all()
        return second
    second = asyncio.run(main())
    assert second.served == 1  # the second send went to the new server


def test_a_unix_echo_server_by_name():
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this platform")

    async def main():
        await serve_unix("t-unix", handle_echo)
        w = EchoClientWidget("t-unix")
        try:
            return await w.send("over a path")
        finally:
            await stop_all()
    assert asyncio.run(main()) == "over a path"


def test_a_name_or_an_address_not_both():
    async def main():
        with pytest.raises(TypeError):
            EchoClientWidget("echo", host="127.0.0.1", port=1)
        with pytest.raises(TypeError):
            EchoClientWidget()
    asyncio.run(main())


def test_a_server_never_started_is_a_line_that_says_what_to_run():
    async def main():
        w = EchoClientWidget("t-never-started")
        return await w.send("hello?"), w
    reply, w = asyncio.run(main())
    assert reply is None
    assert w.reply.value == ("✗ no server called 't-never-started' was started here: "
                             "run the cell that starts it first")
